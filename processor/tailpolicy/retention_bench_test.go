// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/metadata"
)

// BenchmarkRetainDropped: BenchmarkThroughput's op (start, 10,000 spans of
// the http workload, shutdown deciding everything) with the log (sync
// never), without and with wal.retain_dropped.
// With retention every dropped trace is decoded, encoded as OTLP protobuf
// and written; shutdown waits for the writer.
func BenchmarkRetainDropped(b *testing.B) {
	for _, retain := range []bool{false, true} {
		b.Run(map[bool]string{false: "off", true: "on"}[retain], func(b *testing.B) {
			b.ReportAllocs()
			spans := 0
			var cpu time.Duration
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				input := httpWorkload(uint64(i))
				cfg := newBenchDefaultConfig(createDefaultConfig().(*Config).Memory.CompactPercent)
				withRetention(b.TempDir(), 0)(cfg)
				if retain {
					cfg.WAL.RetainDropped.MaxBytes = 256 << 20
				}
				p, err := NewFactory().CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
				require.NoError(b, err)
				runtime.GC()
				b.StartTimer()
				cpuStart := processCPU()
				require.NoError(b, p.Start(context.Background(), nil))
				for _, td := range input {
					spans += td.SpanCount()
					require.NoError(b, p.ConsumeTraces(context.Background(), td))
				}
				require.NoError(b, p.Shutdown(context.Background()))
				cpu += processCPU() - cpuStart
			}
			b.ReportMetric(float64(spans)/cpu.Seconds(), "spans/cpu-s")
		})
	}
}
