// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/metadatatest"
)

// TestConcurrentIngestAndDecisions runs the real processor (two workers, their forwarders and the
// control loop on the wall clock) under concurrent ConsumeTraces calls, while the telemetry is read
// (which runs the gauge callbacks: buffered bytes and traces, baselines). Run with -race. Every error
// trace must arrive complete, and nothing stays buffered after Shutdown.
func TestConcurrentIngestAndDecisions(t *testing.T) {
	for _, compact := range []int{100, 0} {
		t.Run(fmt.Sprintf("compact_percent=%d", compact), func(t *testing.T) { testConcurrentIngest(t, compact) })
	}
}

func testConcurrentIngest(t *testing.T, compactPercent int) {
	cfg := createDefaultConfig().(*Config)
	cfg.Memory.CompactPercent = compactPercent
	cfg.Workers = 2
	cfg.DecisionDelay = 20 * time.Millisecond
	cfg.Baseline.Window = time.Second
	cfg.Baseline.SubWindows = 4
	cfg.Baseline.MinSamples = 5
	cfg.Baseline.LogInterval = 300 * time.Millisecond
	require.NoError(t, cfg.Validate())
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	sink := new(consumertest.TracesSink)
	p, err := newTailPolicy(metadatatest.NewSettings(tt), cfg, sink, realClock{})
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))

	const senders, batches, tracesPerBatch = 4, 40, 25
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Add(1)
	go func() {
		defer readers.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				_, _ = tt.GetMetric("otelcol_processor_tail_policy_buffered_bytes")
				_, _ = tt.GetMetric("otelcol_processor_tail_policy_baseline_quantile")
			}
		}
	}()
	var wg sync.WaitGroup
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				td := ptrace.NewTraces()
				rs := td.ResourceSpans().AppendEmpty()
				rs.Resource().Attributes().PutStr("service.name", "shop")
				spans := rs.ScopeSpans().AppendEmpty().Spans()
				for i := range tracesPerBatch {
					n := uint64(s*batches*tracesPerBatch + b*tracesPerBatch + i)
					var id pcommon.TraceID
					binary.BigEndian.PutUint64(id[:8], n+1)
					binary.BigEndian.PutUint64(id[8:], n*0x9E3779B97F4A7C15)
					now := time.Now()
					for k := range 3 {
						span := spans.AppendEmpty()
						span.SetTraceID(id)
						span.SetSpanID(pcommon.SpanID{byte(k + 1), 1})
						if k > 0 {
							span.SetParentSpanID(pcommon.SpanID{1, 1})
						} else {
							span.Attributes().PutStr("http.route", []string{"/api/checkout", "/api/catalog", "/api/search"}[n%3])
						}
						span.SetStartTimestamp(pcommon.NewTimestampFromTime(now.Add(-time.Duration(10+n%50) * time.Millisecond)))
						span.SetEndTimestamp(pcommon.NewTimestampFromTime(now))
						if k == 2 && n%10 == 0 {
							span.Status().SetCode(ptrace.StatusCodeError)
						}
					}
				}
				assert.NoError(t, p.ConsumeTraces(context.Background(), td))
			}
		}()
	}
	wg.Wait()
	time.Sleep(50 * time.Millisecond) // let some decisions happen on the tick, the rest at shutdown
	close(stop)
	readers.Wait()
	require.NoError(t, p.Shutdown(context.Background()))

	assert.Zero(t, p.bufferedBytes())
	assert.Zero(t, p.bufferedTraces())
	errSpans := map[pcommon.TraceID]int{}
	for _, td := range sink.AllTraces() {
		rss := td.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			spans := rss.At(i).ScopeSpans().At(0).Spans()
			for k := 0; k < spans.Len(); k++ {
				s := spans.At(k)
				id := s.TraceID()
				if n := binary.BigEndian.Uint64(id[:8]) - 1; n%10 == 0 {
					errSpans[id]++
				}
			}
		}
	}
	assert.Len(t, errSpans, senders*batches*tracesPerBatch/10, "every error trace arrives")
	for id, n := range errSpans {
		assert.Equal(t, 3, n, "error trace %s arrives complete", id)
	}
}
