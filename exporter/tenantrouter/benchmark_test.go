// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tenantrouter

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/exporter/otlphttpexporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter/internal/metadata"
)

const (
	benchResources = 10
	benchRecords   = 100 // per resource: 1000 records per batch
)

// benchLogs is an agent-sized batch: 10 namespaces x 100 records, every 10th record scrubbed, each
// record with a few attributes and a 100-byte body.
func benchLogs() plog.Logs {
	ld := plog.NewLogs()
	for r := range benchResources {
		rl := ld.ResourceLogs().AppendEmpty()
		attrs := rl.Resource().Attributes()
		attrs.PutStr("k8s.namespace.name", fmt.Sprintf("namespace-%d", r))
		attrs.PutStr("k8s.pod.name", fmt.Sprintf("pod-%d-7d9f8c6b5-x2x4z", r))
		attrs.PutStr("service.name", fmt.Sprintf("service-%d", r))
		lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
		for i := range benchRecords {
			lr := lrs.AppendEmpty()
			lr.Body().SetStr(fmt.Sprintf("%-100s", fmt.Sprintf("GET /api/v1/items/%d completed in 12ms", i)))
			lr.Attributes().PutStr("http.method", "GET")
			lr.Attributes().PutInt("http.status_code", 200)
			if i%10 == 0 {
				lr.Attributes().PutBool("pii.scrubbed", true)
			}
		}
	}
	return ld
}

func benchRouter(b *testing.B, cfg *Config) *router[plog.Logs] {
	r, err := newRouter(exportertest.NewNopSettings(exportertest.NopType), cfg, logsOps, "")
	require.NoError(b, err)
	return r
}

// batchCopies hands out a fresh copy of the batch for every iteration, made with the timer stopped
// just before it is used: splitting moves records out of it, and a fresh copy is hot in the CPU cache
// the way a batch is when it arrives from the receiver and the processors. Both sides of
// BenchmarkMarshalPath read their input this way, so they see the same memory layout.
type batchCopies struct {
	src plog.Logs
}

func (c *batchCopies) get(b *testing.B) plog.Logs {
	b.StopTimer()
	ld := plog.NewLogs()
	c.src.CopyTo(ld)
	b.StartTimer()
	return ld
}

// report adds ns/record to the benchmark's output. On a shared machine this wall time swings with the
// load of other processes; BenchmarkMarshalPathPaired gives the steadier ratio.
func (c *batchCopies) report(b *testing.B, records float64) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/records, "ns/record")
}

// BenchmarkMarshalPath compares, per record, what each exporter does with a batch before the HTTP
// call: otlp_http marshals it (exactly its pushLogs: NewExportRequestFromLogs + MarshalProto);
// tenant_router resolves every record's tenant, moves it into its tenant's part and marshals each part.
// Both take each batch from the same kind of fresh copy (batchCopies); the copying is not timed.
func BenchmarkMarshalPath(b *testing.B) {
	src := benchLogs()
	records := float64(src.LogRecordCount())

	b.Run("otlp_http", func(b *testing.B) {
		copies := batchCopies{src: src}
		b.ReportAllocs()
		for b.Loop() {
			body, err := plogotlp.NewExportRequestFromLogs(copies.get(b)).MarshalProto()
			if err != nil || len(body) == 0 {
				b.Fatal(err)
			}
		}
		copies.report(b, records)
	})

	for _, tc := range []struct {
		name  string
		rules []RuleConfig
	}{
		{name: "tenant_router/resource_rule", rules: []RuleConfig{{Attribute: "k8s.namespace.name", Scope: ScopeResource}}},
		{name: "tenant_router/marker_and_namespace", rules: []RuleConfig{
			{Attribute: "pii.scrubbed", Scope: ScopeRecord, Equals: "true", Tenant: "restricted"},
			{Attribute: "k8s.namespace.name", Scope: ScopeResource},
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := namespaceConfig("http://127.0.0.1:1")
			cfg.Rules = tc.rules
			r := benchRouter(b, cfg)
			// lanes are opened once, outside the measurement, as in a running collector
			r.lanes.host = componenttest.NewNopHost()
			copies := batchCopies{src: src}
			b.ReportAllocs()
			for b.Loop() {
				batch := r.newBatch(context.Background())
				r.sig.split(copies.get(b), batch)
				for _, p := range batch.parts {
					body, err := plogotlp.NewExportRequestFromLogs(p.data).MarshalProto() // what the lane's otlp_http does
					if err != nil || len(body) == 0 {
						b.Fatal(err)
					}
				}
			}
			copies.report(b, records)
			require.NoError(b, r.lanes.shutdown(context.Background()))
		})
	}
}

// BenchmarkMarshalPathPaired measures both paths on the same machine state: every iteration runs
// otlp_http's marshal path and tenant_router's split-and-marshal path once each, on fresh copies of the
// same batch, alternating which goes first, and times each side separately. On a shared machine whose
// load changes from second to second, this gives a steadier ratio than comparing two benchmarks that
// ran at different moments (GC excluded, see below). Reported: the median wall time per record of each
// side (otlp-ns/record, router-ns/record) and their ratio; ns/op is the mean time of one batch through
// both paths (the copies and the GC between iterations are not timed).
func BenchmarkMarshalPathPaired(b *testing.B) {
	src := benchLogs()
	records := float64(src.LogRecordCount())
	for _, tc := range []struct {
		name  string
		rules []RuleConfig
	}{
		{name: "resource_rule", rules: []RuleConfig{{Attribute: "k8s.namespace.name", Scope: ScopeResource}}},
		{name: "marker_and_namespace", rules: []RuleConfig{
			{Attribute: "pii.scrubbed", Scope: ScopeRecord, Equals: "true", Tenant: "restricted"},
			{Attribute: "k8s.namespace.name", Scope: ScopeResource},
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := namespaceConfig("http://127.0.0.1:1")
			cfg.Rules = tc.rules
			r := benchRouter(b, cfg)
			r.lanes.host = componenttest.NewNopHost()
			otlpPath := func(ld plog.Logs) {
				body, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
				if err != nil || len(body) == 0 {
					b.Fatal(err)
				}
			}
			routerPath := func(ld plog.Logs) {
				batch := r.newBatch(context.Background())
				r.sig.split(ld, batch)
				for _, p := range batch.parts {
					body, err := plogotlp.NewExportRequestFromLogs(p.data).MarshalProto() // what the lane's otlp_http does
					if err != nil || len(body) == 0 {
						b.Fatal(err)
					}
				}
			}
			fresh := func() plog.Logs {
				ld := plog.NewLogs()
				src.CopyTo(ld)
				return ld
			}
			// No GC cycle runs inside the timed sections: it would land on either side at random. The
			// garbage is collected every 16 iterations between them instead. Allocation costs stay in
			// the timing; allocated bytes are in BenchmarkMarshalPath's B/op.
			defer debug.SetGCPercent(debug.SetGCPercent(-1))
			var otlpTimes, routerTimes []time.Duration
			i := 0
			for b.Loop() {
				// Only the two paths are on the benchmark's clock: ns/op is the time of one batch
				// through otlp_http's path plus one through tenant_router's.
				b.StopTimer()
				i++
				if i%16 == 0 {
					runtime.GC()
				}
				// The copy made last is the hotter one in the cache: alternate it with the order.
				var a, c plog.Logs
				if i%2 == 0 {
					a, c = fresh(), fresh()
				} else {
					c, a = fresh(), fresh()
				}
				b.StartTimer()
				if i%2 == 0 {
					t0 := time.Now()
					otlpPath(a)
					t1 := time.Now()
					routerPath(c)
					otlpTimes, routerTimes = append(otlpTimes, t1.Sub(t0)), append(routerTimes, time.Since(t1))
				} else {
					t0 := time.Now()
					routerPath(c)
					t1 := time.Now()
					otlpPath(a)
					routerTimes, otlpTimes = append(routerTimes, t1.Sub(t0)), append(otlpTimes, time.Since(t1))
				}
			}
			// Medians: a batch during which the scheduler ran another process for a few milliseconds
			// is an outlier on whichever side it hit.
			otlpMedian, routerMedian := median(otlpTimes), median(routerTimes)
			b.ReportMetric(float64(otlpMedian.Nanoseconds())/records, "otlp-ns/record")
			b.ReportMetric(float64(routerMedian.Nanoseconds())/records, "router-ns/record")
			b.ReportMetric(float64(routerMedian)/float64(otlpMedian), "ratio")
			require.NoError(b, r.lanes.shutdown(context.Background()))
		})
	}
}

func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}

// BenchmarkExport runs both exporters end to end (no queue, no retry, no compression) against the same
// loopback server answering 200: one request for otlp_http, one per tenant (11) for tenant_router.
func BenchmarkExport(b *testing.B) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	b.Cleanup(server.Close)
	src := benchLogs()

	run := func(b *testing.B, exp exporter.Logs) {
		require.NoError(b, exp.Start(context.Background(), componenttest.NewNopHost()))
		b.Cleanup(func() { require.NoError(b, exp.Shutdown(context.Background())) })
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			ld := plog.NewLogs()
			src.CopyTo(ld)
			b.StartTimer()
			if err := exp.ConsumeLogs(context.Background(), ld); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(src.LogRecordCount()), "ns/record")
	}

	b.Run("otlp_http", func(b *testing.B) {
		f := otlphttpexporter.NewFactory()
		cfg := f.CreateDefaultConfig().(*otlphttpexporter.Config)
		cfg.ClientConfig.Endpoint = server.URL
		cfg.ClientConfig.Compression = configcompression.Type("")
		cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
		cfg.RetryConfig.Enabled = false
		exp, err := f.CreateLogs(context.Background(), exportertest.NewNopSettings(f.Type()), cfg)
		require.NoError(b, err)
		run(b, exp)
	})
	b.Run("tenant_router", func(b *testing.B) {
		cfg := namespaceConfig(server.URL)
		cfg.ClientConfig.Compression = configcompression.Type("")
		cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
		cfg.RetryConfig.Enabled = false
		exp, err := NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
		require.NoError(b, err)
		run(b, exp)
	})
}
