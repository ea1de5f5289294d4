package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// localConfigEnv moves every address of configs/local.yaml to a free loopback port.
func localConfigEnv(t *testing.T) (env []string, grpcEndpoint, httpEndpoint, promEndpoint, healthEndpoint string) {
	grpcEndpoint, httpEndpoint = FreeEndpoint(t), FreeEndpoint(t)
	promEndpoint, healthEndpoint = FreeEndpoint(t), FreeEndpoint(t)
	env = []string{
		"WARDEN_OTLP_GRPC_ENDPOINT=" + grpcEndpoint,
		"WARDEN_OTLP_HTTP_ENDPOINT=" + httpEndpoint,
		"WARDEN_PROMETHEUS_ENDPOINT=" + promEndpoint,
		"WARDEN_HEALTH_ENDPOINT=" + healthEndpoint,
		"WARDEN_STATUS_ENDPOINT=" + FreeEndpoint(t),
	}
	env = append(env, configTestEnv(t)...)
	return env, grpcEndpoint, httpEndpoint, promEndpoint, healthEndpoint
}

func readConfig(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "configs", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The `make run` promise: telemetrygen's OTLP traffic, over gRPC and HTTP, lands in the data folder as OTLP
// JSON lines, metrics also on the Prometheus scrape endpoint, and the health check answers.
func TestLocalConfigAcceptsOTLPFromTelemetrygen(t *testing.T) {
	env, grpcEndpoint, httpEndpoint, promEndpoint, healthEndpoint := localConfigEnv(t)
	c := StartCollector(t, readConfig(t, "local.yaml"), WithName("local"), WithEnv(env...))

	// Error traces: every sampling rule keeps them, so the count below is exact whatever local.yaml samples.
	Telemetrygen(t, "traces", "--otlp-insecure", "--otlp-endpoint", grpcEndpoint, "--traces", "40", "--child-spans", "1", "--status-code", "Error", "--service", "e2e-local")
	Telemetrygen(t, "logs", "--otlp-insecure", "--otlp-http", "--otlp-endpoint", httpEndpoint, "--logs", "25", "--service", "e2e-local")
	Telemetrygen(t, "metrics", "--otlp-insecure", "--otlp-endpoint", grpcEndpoint, "--metrics", "10", "--metric-type", "Sum", "--service", "e2e-local")

	spans := func() int {
		n := 0
		for _, td := range ReadTracesFile(t, filepath.Join(c.DataDir, "traces.jsonl")) {
			n += td.SpanCount()
		}
		return n
	}
	logs := func() int {
		n := 0
		for _, ld := range ReadLogsFile(t, filepath.Join(c.DataDir, "logs.jsonl")) {
			n += ld.LogRecordCount()
		}
		return n
	}
	points := func() int {
		n := 0
		for _, md := range ReadMetricsFile(t, filepath.Join(c.DataDir, "metrics.jsonl")) {
			n += md.DataPointCount()
		}
		return n
	}
	Eventually(t, 30*time.Second, func() bool { return spans() >= 80 && logs() >= 25 && points() >= 10 },
		"want 80 spans, 25 logs, 10 points in the data folder; have %d, %d, %d", spans(), logs(), points())
	if got := spans(); got != 80 {
		t.Errorf("traces.jsonl holds %d spans, want exactly the 80 sent", got)
	}
	if got := logs(); got != 25 {
		t.Errorf("logs.jsonl holds %d log records, want exactly the 25 sent", got)
	}

	scrape, err := httpGet("http://" + promEndpoint + "/metrics")
	if err != nil {
		t.Fatalf("Prometheus scrape endpoint: %v", err)
	}
	if !strings.Contains(scrape, "gen") || !strings.Contains(scrape, `service_name="e2e-local"`) && !strings.Contains(scrape, `job="e2e-local"`) {
		t.Errorf("the scrape endpoint does not show telemetrygen's metric:\n%.2000s", scrape)
	}
	if _, err := httpGet("http://" + healthEndpoint + "/"); err != nil {
		t.Errorf("health check: %v", err)
	}
	if got := c.SelfMetric(t, "otelcol_receiver_accepted_spans"); got < 80 {
		t.Errorf("self-metrics count %v accepted spans, want ≥ 80", got)
	}
}

// Metrics from a real instrumented client (the OTel Go SDK) reach a real Prometheus through remote write.
func TestMetricsReachRealPrometheus(t *testing.T) {
	prom := StartPrometheus(t)
	otlpEndpoint := FreeEndpoint(t)
	StartCollector(t, `
receivers:
  otlp:
    protocols:
      grpc: {endpoint: "${env:OTLP}"}
exporters:
  prometheusremotewrite:
    endpoint: "${env:PRW}"
    remote_write_queue: {num_consumers: 1}
service:
  pipelines:
    metrics: {receivers: [otlp], exporters: [prometheusremotewrite]}
`, WithName("prw"), WithEnv("OTLP="+otlpEndpoint, "PRW="+prom.RemoteWriteURL()))

	ctx := context.Background()
	exp, err := otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithEndpoint(otlpEndpoint), otlpmetricgrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	provider := sdkmetric.NewMeterProvider(
		sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(time.Hour))),
		sdkmetric.WithResource(resource.NewSchemaless(attribute.String("service.name", "checkout"))))
	counter, err := provider.Meter("e2e").Int64Counter("warden_e2e_requests")
	if err != nil {
		t.Fatal(err)
	}
	for _, route := range []string{"/checkout", "/payment", "/auth"} {
		counter.Add(ctx, 7, metric.WithAttributes(attribute.String("http.route", route)))
	}
	if err := provider.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := provider.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	var series []Sample
	Eventually(t, 30*time.Second, func() bool {
		series = prom.Query(t, `warden_e2e_requests_total{job="checkout"}`)
		return len(series) == 3
	}, "Prometheus has %d series of warden_e2e_requests_total, want 3", len(series))
	for _, s := range series {
		if s.Value != 7 {
			t.Errorf("series %v = %v, want 7", s.Labels, s.Value)
		}
	}
	if bad := prom.SelfMetric(t, "prometheus_http_requests_total", `code="400"`); bad != 0 {
		t.Errorf("Prometheus answered %v remote-write requests with 400", bad)
	}
}

// Traces from the OTel Go SDK and logs reach the OTLP sink (Tempo's and Loki's stand-in) over gRPC and HTTP.
func TestTracesAndLogsReachOTLPSink(t *testing.T) {
	sink := StartOTLPSink(t)
	otlpEndpoint := FreeEndpoint(t)
	StartCollector(t, `
receivers:
  otlp:
    protocols:
      grpc: {endpoint: "${env:OTLP}"}
exporters:
  otlp_grpc:
    endpoint: "${env:SINK_GRPC}"
    tls: {insecure: true}
  otlp_http:
    endpoint: "${env:SINK_HTTP}"
service:
  pipelines:
    traces: {receivers: [otlp], exporters: [otlp_grpc]}
    logs: {receivers: [otlp], exporters: [otlp_http]}
`, WithName("forwarder"), WithEnv("OTLP="+otlpEndpoint, "SINK_GRPC="+sink.GRPCEndpoint(), "SINK_HTTP="+sink.HTTPEndpoint()))

	ctx := context.Background()
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(otlpEndpoint), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "payment"))))
	tracer := tp.Tracer("e2e")
	for i := range 20 {
		_, root := tracer.Start(ctx, fmt.Sprintf("GET /payment/%d", i))
		if i%5 == 0 {
			root.SetStatus(codes.Error, "card declined")
		}
		root.End()
	}
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	client := NewOTLPClient(t, otlpEndpoint)
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty()
	lrs.Resource().Attributes().PutStr("k8s.namespace.name", "shop")
	records := lrs.ScopeLogs().AppendEmpty().LogRecords()
	for i := range 15 {
		lr := records.AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Now()))
		lr.Body().SetStr(fmt.Sprintf("order %d shipped", i))
	}
	if err := client.SendLogs(ld); err != nil {
		t.Fatal(err)
	}

	Eventually(t, 30*time.Second, func() bool { return sink.SpanCount(t) == 20 && sink.LogRecordCount(t) == 15 },
		"sink has %d spans and %d logs, want 20 and 15", sink.SpanCount(t), sink.LogRecordCount(t))
	errorsSeen := 0
	for _, td := range sink.Traces(t) {
		for _, rs := range td.ResourceSpans().All() {
			if svc, _ := rs.Resource().Attributes().Get("service.name"); svc.Str() != "payment" {
				t.Errorf("span resource service.name = %q, want payment", svc.Str())
			}
			for _, ss := range rs.ScopeSpans().All() {
				for _, span := range ss.Spans().All() {
					if span.Status().Code() == 2 {
						errorsSeen++
					}
				}
			}
		}
	}
	if errorsSeen != 4 {
		t.Errorf("sink has %d error spans, want 4", errorsSeen)
	}
}

// Bad configuration stops start-up with a non-zero exit and a message naming what is wrong; the
// `validate` subcommand says the same without starting anything.
func TestBadConfigurationStopsStartup(t *testing.T) {
	const pipeline = `
service:
  pipelines:
    traces: {receivers: [otlp], exporters: [debug]}
`
	receiver := "receivers:\n  otlp:\n    protocols:\n      grpc: {endpoint: \"127.0.0.1:0\"}\n"
	cases := []struct {
		name, config, wantInMessage string
	}{
		{"unknown key", receiver + "exporters:\n  debug:\n    verbosity_levle: basic\n" + pipeline, "verbosity_levle"},
		{"wrong type", "receivers:\n  otlp:\n    protocols:\n      grpc: {endpoint: \"127.0.0.1:0\", max_recv_msg_size_mib: lots}\nexporters:\n  debug: {}\n" + pipeline, "max_recv_msg_size_mib"},
		{"missing required field", receiver + "exporters:\n  debug: {}\n  otlp_grpc: {}\nservice:\n  pipelines:\n    traces: {receivers: [otlp], exporters: [otlp_grpc]}\n", "endpoint"},
		{"unknown component", receiver + "exporters:\n  debug: {}\nprocessors:\n  no_such_processor: {}\nservice:\n  pipelines:\n    traces: {receivers: [otlp], processors: [no_such_processor], exporters: [debug]}\n", "no_such_processor"},
		{"pipeline names an undefined component", receiver + "exporters:\n  debug: {}\nservice:\n  pipelines:\n    traces: {receivers: [otlp], exporters: [debug/missing]}\n", "debug/missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.yaml")
			if err := os.WriteFile(path, []byte(tc.config), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"validate", "--config", path}, {"--config", path}} {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				out, err := exec.CommandContext(ctx, WardenBin(t), args...).CombinedOutput()
				timedOut := ctx.Err() != nil
				cancel()
				if timedOut {
					t.Fatalf("%v did not stop on a bad config within 30 s:\n%s", args, out)
				}
				if err == nil {
					t.Fatalf("%v exited 0 on a bad config:\n%s", args, out)
				}
				if !strings.Contains(string(out), tc.wantInMessage) {
					t.Errorf("%v: message does not name %q:\n%s", args, tc.wantInMessage, out)
				}
			}
		})
	}
}

// Every shipped config validates with the binary, as a user would check it before deploying.
func TestShippedConfigsValidate(t *testing.T) {
	configs, err := filepath.Glob(filepath.Join(repoRoot, "configs", "*.yaml"))
	if err != nil || len(configs) == 0 {
		t.Fatalf("no configs found: %v", err)
	}
	for _, path := range configs {
		if filepath.Base(path) == "kustomization.yaml" {
			continue // the Kubernetes entry point, checked by tests/k8s
		}
		t.Run(filepath.Base(path), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, WardenBin(t), "validate", "--config", path)
			cmd.Env = append(os.Environ(), configTestEnv(t)...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("validate %s: %v\n%s", path, err, out)
			}
		})
	}
}

// configTestEnv provides what the shipped configs read from the environment in production: secrets
// mounted as files, and the addresses of their peers.
func configTestEnv(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	key := filepath.Join(dir, "pii-scrub.key")
	if err := os.WriteFile(key, []byte("ZTJlLXRlc3Qta2V5LW5vdC1hLXNlY3JldC0xMjM0NTY3OA==\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"WARDEN_PII_KEY_FILE=" + key}
}
