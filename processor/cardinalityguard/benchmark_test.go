package cardinalityguard

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/metricstransformprocessor"
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/transformprocessor"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
)

const benchPoints = 1000

// benchInput is one batch of benchPoints cumulative counter points of one metric with
// four attributes; attrs(i) varies them per scenario.
func benchInput(attrs func(i int) map[string]any) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "checkout")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("http.server.requests")
	s := m.SetEmptySum()
	s.SetIsMonotonic(true)
	s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for i := range benchPoints {
		dp := s.DataPoints().AppendEmpty()
		_ = dp.Attributes().FromRaw(attrs(i))
		dp.SetStartTimestamp(at(1))
		dp.SetTimestamp(at(2))
		dp.SetIntValue(int64(i))
	}
	return md
}

var benchScenarios = []struct {
	name  string
	attrs func(i int) map[string]any
	guard func(*Config)
	// transform is the OTTL statement of the nearest transformprocessor equivalent ("" = none).
	transform string
	// aggregate lists the labels metricstransform's aggregate_labels keeps (nil = not applicable).
	aggregate []string
}{
	{
		name: "passthrough",
		attrs: func(i int) map[string]any {
			return map[string]any{"http.route": "/r" + strconv.Itoa(i%20), "http.request.method": "GET", "http.response.status_code": int64(200), "pod": "p" + strconv.Itoa(i/20)}
		},
		transform: `delete_key(attributes, "user_id")`, // no such key: the peer also changes nothing
	},
	{
		name: "relabel",
		attrs: func(i int) map[string]any {
			return map[string]any{"http.route": "/r" + strconv.Itoa(i%20), "http.request.method": "GET", "http.response.status_code": int64(200), "pod": "p" + strconv.Itoa(i/20)}
		},
		guard: func(c *Config) {
			c.MetricRelabelConfigs = []map[string]any{{"action": "labeldrop", "regex": "pod"}}
		},
		transform: `delete_key(attributes, "pod")`,
		aggregate: []string{"http.route", "http.request.method", "http.response.status_code"},
	},
	{
		name: "normalize",
		attrs: func(i int) map[string]any {
			return map[string]any{"url.path": "/users/" + strconv.Itoa(i%50) + "/orders", "http.request.method": "GET", "http.response.status_code": int64(200), "pod": "p" + strconv.Itoa(i/50)}
		},
		transform: `replace_pattern(attributes["url.path"], "/users/[0-9]+/", "/users/{id}/")`,
	},
	{
		name: "fold",
		attrs: func(i int) map[string]any {
			return map[string]any{"http.route": "/r" + strconv.Itoa(i%20), "http.request.method": "GET", "http.response.status_code": int64(200), "user_id": "u" + strconv.Itoa(i)}
		},
		transform: `delete_key(attributes, "user_id")`,
		aggregate: []string{"http.route", "http.request.method", "http.response.status_code"},
	},
}

// BenchmarkCardinalityGuard reports ns and allocations per data point (ns/point, allocs/op
// divided by 1000 points) for each step, next to contrib's transform and metricstransform
// processors doing the nearest equivalent on the same input in the same run.
func BenchmarkCardinalityGuard(b *testing.B) {
	for _, sc := range benchScenarios {
		input := benchInput(sc.attrs)
		b.Run(sc.name+"/cardinality_guard", func(b *testing.B) {
			tg := newTestGuard(b, func(c *Config) { // defaults: limits and detection on
				if sc.guard != nil {
					sc.guard(c)
				}
			})
			tg.sink = nil
			tg.next = consumertest.NewNop()
			runBench(b, input, tg)
		})
		if sc.transform != "" {
			b.Run(sc.name+"/transform", func(b *testing.B) {
				runBench(b, input, contribProcessor(b, transformprocessor.NewFactory(), map[string]any{
					"metric_statements": []any{map[string]any{"context": "datapoint", "statements": []any{sc.transform}}},
				}))
			})
		}
		if sc.aggregate != nil {
			b.Run(sc.name+"/metricstransform", func(b *testing.B) {
				labels := make([]any, len(sc.aggregate))
				for i, l := range sc.aggregate {
					labels[i] = l
				}
				runBench(b, input, contribProcessor(b, metricstransformprocessor.NewFactory(), map[string]any{
					"transforms": []any{map[string]any{
						"include": "http.server.requests", "action": "update",
						"operations": []any{map[string]any{"action": "aggregate_labels", "label_set": labels, "aggregation_type": "sum"}},
					}},
				}))
			})
		}
	}
}

func contribProcessor(b *testing.B, f processor.Factory, raw map[string]any) consumer.Metrics {
	cfg := f.CreateDefaultConfig()
	require.NoError(b, confmap.NewFromStringMap(raw).Unmarshal(&cfg))
	p, err := f.CreateMetrics(context.Background(), processortest.NewNopSettings(f.Type()), cfg, consumertest.NewNop())
	require.NoError(b, err)
	return p
}

// runBench feeds p copies of input, each batch one second after the previous one (as an
// exporter's successive exports: re-aggregated counters really fold, none is out of order).
// Copies are made and their garbage collected outside the timed region, so that neither
// the wall time (ns/point) nor the process CPU time (cpu-ns/point: every thread, including
// the GC work caused by p's own allocations; the figure to read on a loaded machine)
// includes the harness.
func runBench(b *testing.B, input pmetric.Metrics, p consumer.Metrics) {
	ctx := context.Background()
	batches := make([]pmetric.Metrics, 64)
	step := 0
	refill := func() {
		for i := range batches {
			batches[i] = pmetric.NewMetrics()
			input.CopyTo(batches[i])
			step++
			setTimestamps(batches[i], at(time.Duration(2+step)*time.Second))
		}
		runtime.GC()
	}
	refill()
	require.NoError(b, p.ConsumeMetrics(ctx, batches[0])) // warm state (admission, memo)
	n := 1
	b.ReportAllocs()
	b.ResetTimer()
	var cpu time.Duration
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if n == len(batches) {
			cpu += cpuTime() - c0
			b.StopTimer()
			refill()
			n = 0
			b.StartTimer()
			c0 = cpuTime()
		}
		_ = p.ConsumeMetrics(ctx, batches[n])
		n++
	}
	cpu += cpuTime() - c0
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchPoints), "ns/point")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*benchPoints), "cpu-ns/point")
}

func setTimestamps(md pmetric.Metrics, ts pcommon.Timestamp) {
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				for _, dp := range m.Sum().DataPoints().All() {
					dp.SetTimestamp(ts)
				}
			}
		}
	}
}

// BenchmarkMemoryPerSeries measures heap per admitted series (pass-through, no label
// storage: only hashes are kept) and per folded input (re-aggregation state).
func BenchmarkMemoryPerSeries(b *testing.B) {
	for _, sc := range []struct {
		name   string
		attrs  func(i int) map[string]any
		series int
	}{
		{"admitted", func(i int) map[string]any { return map[string]any{"pod": "p" + strconv.Itoa(i)} }, 100_000},
		{"folded_input", func(i int) map[string]any {
			return map[string]any{"pod": "p" + strconv.Itoa(i%100), "user_id": "u" + strconv.Itoa(i)}
		}, 100_000},
	} {
		b.Run(sc.name, func(b *testing.B) {
			batches := make([]pmetric.Metrics, sc.series/benchPoints)
			for j := range batches {
				off := j * benchPoints
				batches[j] = benchInput(func(i int) map[string]any { return sc.attrs(off + i) })
			}
			for i := 0; i < b.N; i++ {
				tg := newTestGuard(b, func(c *Config) {
					c.MaxSeriesPerMetric, c.MaxValuesPerLabel, c.Detection.Enabled = 0, 0, false
				})
				tg.next = consumertest.NewNop()
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				for _, md := range batches {
					cp := pmetric.NewMetrics()
					md.CopyTo(cp)
					_ = tg.ConsumeMetrics(context.Background(), cp)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric((float64(after.HeapAlloc)-float64(before.HeapAlloc))/float64(sc.series), "B/series")
				runtime.KeepAlive(tg)
			}
		})
	}
}
