// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter

import (
	"context"
	"fmt"
	"testing"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-warden/otelcol-warden/processor/usagemeter/internal/metadata"
)

// The benchmarks compare the least a pass-through collector does per request (decode the OTLP
// request, encode it again for the exporter) with the same work plus usage_meter/received and
// usage_meter/exported. Inputs look like real telemetry: 10 resources of 5 teams with k8s and
// service attributes, HTTP server spans and JSON log bodies with current semantic conventions.

func benchResource(res pcommon.Map, i int) {
	res.PutStr("k8s.namespace.name", fmt.Sprintf("team-%d", i%5))
	res.PutStr("k8s.pod.name", fmt.Sprintf("checkout-7d9f8b6c5-%05d", i))
	res.PutStr("service.name", "checkout")
	res.PutStr("service.version", "1.14.2")
	res.PutStr("host.name", fmt.Sprintf("node-%d", i))
}

func benchLogs() plog.Logs {
	ld := plog.NewLogs()
	for i := range 10 {
		rl := ld.ResourceLogs().AppendEmpty()
		benchResource(rl.Resource().Attributes(), i)
		sl := rl.ScopeLogs().AppendEmpty()
		sl.Scope().SetName("checkout/http")
		for j := range 100 {
			lr := sl.LogRecords().AppendEmpty()
			lr.SetTimestamp(pcommon.Timestamp(1_700_000_000_000_000_000 + j))
			lr.SetSeverityNumber(plog.SeverityNumberInfo)
			lr.SetSeverityText("INFO")
			lr.Body().SetStr(fmt.Sprintf(`{"msg":"order placed","order_id":"o-%d","items":3,"latency_ms":%d,"http.route":"/api/orders/{id}"}`, j, j%250))
			lr.Attributes().PutStr("http.request.method", "POST")
			lr.Attributes().PutStr("url.path", "/api/orders")
		}
	}
	return ld
}

func benchTraces() ptrace.Traces {
	td := ptrace.NewTraces()
	for i := range 10 {
		rs := td.ResourceSpans().AppendEmpty()
		benchResource(rs.Resource().Attributes(), i)
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp")
		for j := range 100 {
			sp := ss.Spans().AppendEmpty()
			sp.SetName("POST /api/orders")
			sp.SetKind(ptrace.SpanKindServer)
			sp.SetTraceID(pcommon.TraceID{byte(i), byte(j), 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
			sp.SetSpanID(pcommon.SpanID{byte(i), byte(j), 3, 4, 5, 6, 7, 8})
			sp.SetStartTimestamp(1_700_000_000_000_000_000)
			sp.SetEndTimestamp(1_700_000_000_050_000_000)
			a := sp.Attributes()
			a.PutStr("http.request.method", "POST")
			a.PutStr("http.route", "/api/orders")
			a.PutStr("url.full", "https://shop.example.com/api/orders?ref=campaign")
			a.PutStr("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36")
			a.PutStr("client.address", "192.0.2.10")
			a.PutInt("http.response.status_code", 201)
		}
	}
	return td
}

func benchMetrics() pmetric.Metrics {
	md := pmetric.NewMetrics()
	for i := range 10 {
		rm := md.ResourceMetrics().AppendEmpty()
		benchResource(rm.Resource().Attributes(), i)
		sm := rm.ScopeMetrics().AppendEmpty()
		m := sm.Metrics().AppendEmpty()
		m.SetName("http.server.request.duration")
		dps := m.SetEmptyHistogram().DataPoints()
		for j := range 100 {
			dp := dps.AppendEmpty()
			dp.Attributes().PutStr("http.route", fmt.Sprintf("/api/r%d", j))
			dp.Attributes().PutStr("http.request.method", "GET")
			dp.Attributes().PutInt("http.response.status_code", 200)
			dp.SetCount(10)
			dp.SetSum(1.5)
			dp.BucketCounts().FromRaw([]uint64{1, 2, 3, 4})
			dp.ExplicitBounds().FromRaw([]float64{0.05, 0.1, 0.5})
		}
	}
	return md
}

func newBenchSettings(name string) processor.Settings {
	set := processortest.NewNopSettings(metadata.Type)
	set.ID = testID(name)
	return set
}

// measure runs op b.N times and reports wall and process CPU nanoseconds per record.
func measure(b *testing.B, records int, op func()) {
	b.ReportAllocs()
	c0 := cpuTime()
	for b.Loop() {
		op()
	}
	cpu := cpuTime() - c0
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*records), "ns/record")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*records), "cpu-ns/record")
}

func BenchmarkLogs(b *testing.B) {
	req := benchLogs()
	body, _ := (&plog.ProtoMarshaler{}).MarshalLogs(req)
	records := req.LogRecordCount()
	cfg := createDefaultConfig().(*Config)
	pass := func(ld plog.Logs) { _, _ = (&plog.ProtoMarshaler{}).MarshalLogs(ld) }
	run := func(b *testing.B, consume func(plog.Logs)) {
		measure(b, records, func() {
			ld, _ := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(body)
			consume(ld)
		})
	}
	b.Run("pass_through", func(b *testing.B) { run(b, pass) })
	b.Run("two_meters", func(b *testing.B) {
		exported, _ := newLogsMeter(newBenchSettings("exported"), cfg, consumertest.NewNop())
		received, _ := newLogsMeter(newBenchSettings("received"), cfg, exported)
		ctx := context.Background()
		run(b, func(ld plog.Logs) { _ = received.ConsumeLogs(ctx, ld); pass(ld) })
	})
	b.Run("meters_only", func(b *testing.B) {
		exported, _ := newLogsMeter(newBenchSettings("exported"), cfg, consumertest.NewNop())
		received, _ := newLogsMeter(newBenchSettings("received"), cfg, exported)
		ctx := context.Background()
		measure(b, records, func() { _ = received.ConsumeLogs(ctx, req) })
	})
}

func BenchmarkTraces(b *testing.B) {
	req := benchTraces()
	body, _ := (&ptrace.ProtoMarshaler{}).MarshalTraces(req)
	records := req.SpanCount()
	cfg := createDefaultConfig().(*Config)
	pass := func(td ptrace.Traces) { _, _ = (&ptrace.ProtoMarshaler{}).MarshalTraces(td) }
	run := func(b *testing.B, consume func(ptrace.Traces)) {
		measure(b, records, func() {
			td, _ := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(body)
			consume(td)
		})
	}
	b.Run("pass_through", func(b *testing.B) { run(b, pass) })
	b.Run("two_meters", func(b *testing.B) {
		exported, _ := newTracesMeter(newBenchSettings("exported"), cfg, consumertest.NewNop())
		received, _ := newTracesMeter(newBenchSettings("received"), cfg, exported)
		ctx := context.Background()
		run(b, func(td ptrace.Traces) { _ = received.ConsumeTraces(ctx, td); pass(td) })
	})
	b.Run("meters_only", func(b *testing.B) {
		exported, _ := newTracesMeter(newBenchSettings("exported"), cfg, consumertest.NewNop())
		received, _ := newTracesMeter(newBenchSettings("received"), cfg, exported)
		ctx := context.Background()
		measure(b, records, func() { _ = received.ConsumeTraces(ctx, req) })
	})
}

func BenchmarkMetrics(b *testing.B) {
	req := benchMetrics()
	body, _ := (&pmetric.ProtoMarshaler{}).MarshalMetrics(req)
	records := req.DataPointCount()
	cfg := createDefaultConfig().(*Config)
	pass := func(md pmetric.Metrics) { _, _ = (&pmetric.ProtoMarshaler{}).MarshalMetrics(md) }
	run := func(b *testing.B, consume func(pmetric.Metrics)) {
		measure(b, records, func() {
			md, _ := (&pmetric.ProtoUnmarshaler{}).UnmarshalMetrics(body)
			consume(md)
		})
	}
	b.Run("pass_through", func(b *testing.B) { run(b, pass) })
	b.Run("two_meters", func(b *testing.B) {
		exported, _ := newMetricsMeter(newBenchSettings("exported"), cfg, consumertest.NewNop())
		received, _ := newMetricsMeter(newBenchSettings("received"), cfg, exported)
		ctx := context.Background()
		run(b, func(md pmetric.Metrics) { _ = received.ConsumeMetrics(ctx, md); pass(md) })
	})
	b.Run("meters_only", func(b *testing.B) {
		exported, _ := newMetricsMeter(newBenchSettings("exported"), cfg, consumertest.NewNop())
		received, _ := newMetricsMeter(newBenchSettings("received"), cfg, exported)
		ctx := context.Background()
		measure(b, records, func() { _ = received.ConsumeMetrics(ctx, req) })
	})
}
