// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/metadatatest"
)

// BenchmarkDecisionLag: the real processor (workers = GOMAXPROCS, decision_delay 200ms, wall
// clock) ingests the benchmark workload as fast as ConsumeTraces accepts it; each op is 10 000 new
// spans (500 traces), and decisions happen on the workers' ticks while ingest goes on. Reports the
// decision lag (a trace's deadline to its decision) over all root-span decisions: mean, and the
// histogram bucket bound under which 99% fall; plus the rate offered (generation included).
func BenchmarkDecisionLag(b *testing.B) {
	for _, compact := range []struct {
		name    string
		percent int
	}{{"references", 100}, {"compact", 0}} {
		b.Run(compact.name, func(b *testing.B) {
			tt := componenttest.NewTelemetry()
			defer func() { require.NoError(b, tt.Shutdown(context.Background())) }()
			cfg := newBenchConfig(compact.percent)
			cfg.DecisionDelay = 200 * time.Millisecond
			p, err := newTailPolicy(metadatatest.NewSettings(tt), cfg, consumertest.NewNop(), realClock{})
			require.NoError(b, err)
			require.NoError(b, p.Start(context.Background(), nil))
			spans := 0
			start := time.Now()
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				input := benchWorkload(uint64(i))
				b.StartTimer()
				for _, td := range input {
					spans += td.SpanCount()
					require.NoError(b, p.ConsumeTraces(context.Background(), td))
				}
			}
			elapsed := time.Since(start)
			// Let the last root deadlines pass; shutdown decisions record no lag.
			time.Sleep(cfg.DecisionDelay + 2*tickInterval)
			require.NoError(b, p.Shutdown(context.Background()))

			m, err := tt.GetMetric("otelcol_processor_tail_policy_decision_lag")
			require.NoError(b, err)
			var sum, count uint64
			var bounds []float64
			var counts []uint64
			for _, dp := range m.Data.(metricdata.Histogram[int64]).DataPoints {
				sum += uint64(dp.Sum)
				count += dp.Count
				bounds = dp.Bounds
				if counts == nil {
					counts = make([]uint64, len(dp.BucketCounts))
				}
				for i, c := range dp.BucketCounts {
					counts[i] += c
				}
			}
			if count == 0 {
				b.Fatal("no root-span decision recorded a lag")
			}
			p99 := -1.0 // +Inf
			var cum uint64
			for i, c := range counts {
				cum += c
				if float64(cum) >= 0.99*float64(count) && i < len(bounds) {
					p99 = bounds[i]
					break
				}
			}
			b.ReportMetric(float64(sum)/float64(count), "lag-ms-mean")
			b.ReportMetric(p99, "lag-ms-p99-bound")
			b.ReportMetric(float64(count), "decisions")
			b.ReportMetric(float64(spans)/elapsed.Seconds(), "offered-spans/s")
		})
	}
}
