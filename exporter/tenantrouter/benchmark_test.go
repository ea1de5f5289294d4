// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tenantrouter

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

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

// BenchmarkMarshalPath compares, per record, what each exporter does with a batch before the HTTP
// call: otlp_http marshals it (exactly its pushLogs: NewExportRequestFromLogs + MarshalProto);
// tenant_router resolves every record's tenant, moves it into its tenant's part and marshals each part.
// The batch copy each iteration needs (splitting moves records out) is excluded from the timing.
func BenchmarkMarshalPath(b *testing.B) {
	src := benchLogs()
	records := float64(src.LogRecordCount())

	b.Run("otlp_http", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			body, err := plogotlp.NewExportRequestFromLogs(src).MarshalProto()
			if err != nil || len(body) == 0 {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/records, "ns/record")
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
			copies := make([]plog.Logs, 0, 64)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i%64 == 0 {
					b.StopTimer()
					copies = copies[:0]
					for range 64 {
						c := plog.NewLogs()
						src.CopyTo(c)
						copies = append(copies, c)
					}
					b.StartTimer()
				}
				ld := copies[i%64]
				i++
				batch := r.newBatch()
				r.sig.split(ld, batch)
				for _, p := range batch.parts {
					body, err := r.sig.marshal(p.data)
					if err != nil || len(body) == 0 {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/records, "ns/record")
			require.NoError(b, r.lanes.shutdown(context.Background()))
		})
	}
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
