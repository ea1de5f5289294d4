// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/sampling"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.uber.org/zap"

	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/metadata"
	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/metadatatest"
	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/wal"
)

// newBenchTailPolicyWAL: the default buffering with the write-ahead log on
// in its default sync (5ms group commit), in a fresh directory per op.
func newBenchTailPolicyWAL(b *testing.B, defaults bool) processor.Traces {
	cfg := newBenchConfig(createDefaultConfig().(*Config).Memory.CompactPercent)
	if defaults {
		cfg = newBenchDefaultConfig(cfg.Memory.CompactPercent)
	}
	cfg.WAL.Directory = b.TempDir()
	if s := os.Getenv("TAIL_POLICY_BENCH_WAL_SYNC"); s != "" {
		cfg.WAL.Sync = s
	}
	p, err := NewFactory().CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	require.NoError(b, err)
	return p
}

// BenchmarkWALMarshal: the cost of an S record's body (OTLP protobuf, the
// first record format, still read), per span, on the http workload; compare
// BenchmarkWALEncode.
func BenchmarkWALMarshal(b *testing.B) {
	reqs := httpWorkload(1)
	var m ptrace.ProtoMarshaler
	spans := 0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		td := reqs[i%len(reqs)]
		spans += td.SpanCount()
		_, err := m.MarshalTraces(td)
		require.NoError(b, err)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(spans), "ns/span")
}

// BenchmarkWALEncode: the cost of a T record (the compact encoding,
// walspans.go), per span, on the http workload.
func BenchmarkWALEncode(b *testing.B) {
	reqs := httpWorkload(1)
	e := &spansEncoder{codec: newSpanCodec()}
	spans, bytes := 0, 0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		td := reqs[i%len(reqs)]
		spans += td.SpanCount()
		for _, p := range e.encode(td, t0) {
			bytes += len(p)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(spans), "ns/span")
	b.ReportMetric(float64(bytes)/float64(spans), "B/span")
}

// BenchmarkConsumeLatency: 4 concurrent senders of http requests (1 000
// spans each, generated before the clock starts), memory only and with the
// log in its default sync, in one processor: ConsumeTraces p50 and p99 in ms,
// and spans per CPU-second from the first request to the end of Shutdown
// (every trace decided and forwarded). Concurrent requests share group
// commits, as a gateway's receivers do. Run with -benchtime 200x or so.
func BenchmarkConsumeLatency(b *testing.B) {
	for _, mode := range []string{"memory", "wal"} {
		b.Run(mode, func(b *testing.B) {
			cfg := newBenchDefaultConfig(0)
			if mode == "wal" {
				cfg.WAL.Directory = b.TempDir()
				if s := os.Getenv("TAIL_POLICY_BENCH_WAL_SYNC"); s != "" {
					cfg.WAL.Sync = s
				}
			}
			var reqs []ptrace.Traces
			for i := range b.N {
				reqs = append(reqs, httpWorkload(uint64(i))[0])
			}
			p, err := NewFactory().CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
			require.NoError(b, err)
			require.NoError(b, p.Start(context.Background(), componenttest.NewNopHost()))
			runtime.GC()
			lat, cpu := sendConcurrently(b, p, reqs, 4)
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100])/1e6, "p99-ms")
			b.ReportMetric(float64(len(reqs)*reqs[0].SpanCount())/cpu.Seconds(), "spans/cpu-s")
		})
	}
}

func sendConcurrently(b *testing.B, p processor.Traces, reqs []ptrace.Traces, senders int) ([]time.Duration, time.Duration) {
	var mu sync.Mutex
	var lat []time.Duration
	work := make(chan ptrace.Traces, len(reqs))
	for _, td := range reqs {
		work <- td
	}
	close(work)
	b.ResetTimer()
	cpuStart := processCPU()
	var wg sync.WaitGroup
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for td := range work {
				start := time.Now()
				err := p.ConsumeTraces(context.Background(), td)
				d := time.Since(start)
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
				if err != nil {
					b.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	require.NoError(b, p.Shutdown(context.Background()))
	return lat, processCPU() - cpuStart
}

// TestWALRecoveryTime measures Start on a log holding
// TAIL_POLICY_WAL_RECOVERY_MIB of spans (the http workload; every trace
// decided and handed on, as when checkpoints lag, but those of the last
// 100 requests), then deletes it. Not part of make test:
//
//	TAIL_POLICY_WAL_RECOVERY_MIB=1024 go test -run TestWALRecoveryTime -v ./processor/tailpolicy/
func TestWALRecoveryTime(t *testing.T) {
	mib, _ := strconv.Atoi(os.Getenv("TAIL_POLICY_WAL_RECOVERY_MIB"))
	if mib <= 0 {
		t.Skip("set TAIL_POLICY_WAL_RECOVERY_MIB to measure recovery")
	}
	dir := t.TempDir()
	defer os.RemoveAll(dir)
	cfg := walConfig(dir, func(c *Config) {
		c.Workers = 0
		c.WAL.MaxBytes = int64(mib+256) << 20
		c.DecisionCache = createDefaultConfig().(*Config).DecisionCache
	})
	spans, bytes := writeRecoveryLog(t, cfg, int64(mib)<<20)
	runtime.GC()

	tt := componenttest.NewTelemetry()
	defer func() { _ = tt.Shutdown(context.Background()) }()
	p, err := newTailPolicy(metadatatest.NewSettings(tt), cfg, consumertest.NewNop(), &lockedClock{now: t0.Add(time.Hour)})
	require.NoError(t, err)
	start := time.Now()
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	took := time.Since(start)
	t.Logf("recovery of %d MiB (%d spans, GOMAXPROCS %d): %v", bytes>>20, spans, runtime.GOMAXPROCS(0), took)
	require.NoError(t, p.Shutdown(context.Background()))
}

// undecidedRequests is how many of the last requests stay undecided
// (TAIL_POLICY_WAL_RECOVERY_UNDECIDED=all: every one, as in a log of an
// instance killed with a full buffer).
var undecidedRequests = func() int {
	if os.Getenv("TAIL_POLICY_WAL_RECOVERY_UNDECIDED") == "all" {
		return math.MaxInt
	}
	return 100
}()

// writeRecoveryLog appends http requests, each followed by the decisions of
// its traces (5% kept) and their hand-on, until the log holds size bytes.
func writeRecoveryLog(t *testing.T, cfg *Config, size int64) (spans int, bytes int64) {
	l, _, err := wal.Open(cfg.WAL.logDir(), cfg.WAL.SegmentBytes, func([]byte) error { return nil })
	require.NoError(t, err)
	tb, err := metadata.NewTelemetryBuilder(componenttest.NewNopTelemetrySettings())
	require.NoError(t, err)
	w := newWALLog(l, cfg.WAL, tb, zap.NewNop())
	at := t0
	var pending []ptrace.Traces
	for seed := uint64(0); w.bytes.Load() < size; seed++ {
		for _, td := range httpWorkload(seed) {
			_, _, err := w.appendSpans(td, at, 0)
			require.NoError(t, err)
			spans += td.SpanCount()
			pending = append(pending, td)
			at = at.Add(time.Millisecond)
		}
		for len(pending) > undecidedRequests {
			appendDecided(t, w, pending[0], at)
			pending = pending[1:]
		}
	}
	require.NoError(t, w.close())
	return spans, w.bytes.Load()
}

var recoveryRound uint64

func appendDecided(t *testing.T, w *walLog, td ptrace.Traces, at time.Time) {
	recoveryRound++
	seen := map[pcommon.TraceID]bool{}
	var decs []byte
	eachSpan(td, func(s ptrace.Span) {
		id := s.TraceID()
		if !seen[id] {
			seen[id] = true
			keep := sampling.TraceIDToRandomness(id).Unsigned()%20 == 0
			decs = appendDecision(decs, id, keep, sampling.AlwaysSampleThreshold, at, "default")
		}
	})
	hdr := binary.AppendUvarint(binary.AppendUvarint([]byte{recDecisions}, recoveryRound), uint64(len(seen)))
	_, err := w.appendRecord(hdr, decs)
	require.NoError(t, err)
	_, err = w.appendRecord(binary.AppendUvarint([]byte{recHanded}, recoveryRound))
	require.NoError(t, err)
}
