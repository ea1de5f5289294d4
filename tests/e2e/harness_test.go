// Package e2e drives the built otelcol-warden binary on loopback ports and checks what reaches real sinks:
// a real Prometheus server (Debian's package, remote-write receiver on) and an OTLP sink, which is a second
// otelcol-warden writing what it receives to files (it stands in for Tempo and Loki, which cannot be
// installed here).
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

const (
	startTimeout = 60 * time.Second
	stopTimeout  = 30 * time.Second
	readyLogLine = "Everything is ready. Begin running and processing data."
)

var (
	wardenBin string
	repoRoot  string
	buildOnce sync.Once
	buildErr  error
)

func TestMain(m *testing.M) {
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	repoRoot = filepath.Clean(filepath.Join(wd, "..", ".."))
	os.Exit(m.Run())
}

// WardenBin returns the collector binary under test: $WARDEN_BIN (set by `make e2e-test`), or a fresh build.
func WardenBin(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		if bin := os.Getenv("WARDEN_BIN"); bin != "" {
			wardenBin = bin
			return
		}
		dir, err := os.MkdirTemp("", "warden-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		wardenBin = filepath.Join(dir, "otelcol-warden")
		cmd := exec.Command("go", "build", "-trimpath", "-o", wardenBin, ".")
		cmd.Dir = filepath.Join(repoRoot, "cmd", "otelcol-warden")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building otelcol-warden: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return wardenBin
}

// Collector is one otelcol-warden process started by a test.
type Collector struct {
	t          testing.TB
	name       string
	configPath string
	env        []string
	// TelemetryEndpoint serves the collector's own metrics on /metrics.
	TelemetryEndpoint string
	// DataDir is exported to the config as ${env:WARDEN_DATA_DIR}.
	DataDir string

	mu   sync.Mutex
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
}

// CollectorOption adjusts how a collector is started.
type CollectorOption func(*Collector)

// WithEnv passes KEY=VALUE to the collector, for ${env:KEY} references in its config.
func WithEnv(kv ...string) CollectorOption {
	return func(c *Collector) { c.env = append(c.env, kv...) }
}

// WithName names the collector in failure output.
func WithName(name string) CollectorOption {
	return func(c *Collector) { c.name = name }
}

// WithDataDir sets ${env:WARDEN_DATA_DIR} (default: a fresh temporary folder), e.g. to keep a persistent
// queue across a restart.
func WithDataDir(dir string) CollectorOption {
	return func(c *Collector) { c.DataDir = dir }
}

// StartCollector writes configYAML to a file and starts the binary on it. The collector's own metrics are
// always moved to a free port (TelemetryEndpoint), whatever the config says, so collectors never collide.
// It returns once the collector logs that it is ready; the test fails with the collector's log if it exits
// first. The process is stopped when the test ends; a failing test prints its log.
func StartCollector(t testing.TB, configYAML string, opts ...CollectorOption) *Collector {
	t.Helper()
	c := &Collector{t: t, name: "otelcol-warden"}
	for _, o := range opts {
		o(c)
	}
	if c.DataDir == "" {
		c.DataDir = t.TempDir()
	}
	c.configPath = filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(c.configPath, []byte(configYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	c.TelemetryEndpoint = FreeEndpoint(t)
	c.Start()
	t.Cleanup(func() {
		c.Stop()
		if t.Failed() {
			t.Logf("----- log of %s -----\n%s", c.name, c.Log())
		}
	})
	return c
}

// Start (re)starts the process on the same config, data folder and ports.
func (c *Collector) Start() {
	t := c.t
	t.Helper()
	host, port, _ := net.SplitHostPort(c.TelemetryEndpoint)
	telemetry := fmt.Sprintf("yaml:service::telemetry::metrics::readers: [{pull: {exporter: {prometheus: {host: %q, port: %s}}}}]", host, port)
	cmd := exec.Command(WardenBin(t), "--config", c.configPath, "--config", telemetry)
	cmd.Env = append(os.Environ(), "WARDEN_DATA_DIR="+c.DataDir)
	cmd.Env = append(cmd.Env, c.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if c.log == nil {
		c.log = &syncBuffer{}
	}
	ready := make(chan struct{})
	c.log.watchFor(readyLogLine, ready)
	cmd.Stdout = c.log
	cmd.Stderr = c.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", c.name, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	c.mu.Lock()
	c.cmd, c.done = cmd, done
	c.mu.Unlock()
	select {
	case <-ready:
	case <-done:
		t.Fatalf("%s exited during start-up (%v):\n%s", c.name, cmd.ProcessState, c.Log())
	case <-time.After(startTimeout):
		t.Fatalf("%s not ready after %s:\n%s", c.name, startTimeout, c.Log())
	}
}

// Reconfigure replaces the config file; it takes effect at the next Start, as a rolled-out ConfigMap does.
func (c *Collector) Reconfigure(configYAML string) {
	c.t.Helper()
	if err := os.WriteFile(c.configPath, []byte(configYAML), 0o600); err != nil {
		c.t.Fatal(err)
	}
}

// Stop sends SIGTERM and waits for a graceful shutdown (killing the process after stopTimeout).
func (c *Collector) Stop() { c.signal(syscall.SIGTERM) }

// Kill ends the process at once, as a crash or an OOM kill would.
func (c *Collector) Kill() { c.signal(syscall.SIGKILL) }

func (c *Collector) signal(sig syscall.Signal) {
	c.mu.Lock()
	cmd, done := c.cmd, c.done
	c.cmd = nil
	c.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(stopTimeout):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// Running reports whether the process is still alive.
func (c *Collector) Running() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil {
		return false
	}
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// Log returns everything the collector wrote so far.
func (c *Collector) Log() string { return c.log.String() }

// SelfMetrics scrapes the collector's own metrics endpoint (Prometheus text format).
func (c *Collector) SelfMetrics(t testing.TB) string {
	t.Helper()
	body, err := httpGet("http://" + c.TelemetryEndpoint + "/metrics")
	if err != nil {
		t.Fatalf("scraping %s self-metrics: %v", c.name, err)
	}
	return body
}

// SelfMetric sums every sample of the named self-metric whose labels contain all of labelSubstrings.
func (c *Collector) SelfMetric(t testing.TB, name string, labelSubstrings ...string) float64 {
	t.Helper()
	return SumSamples(c.SelfMetrics(t), name, labelSubstrings...)
}

// SumSamples sums the samples of metric name in a Prometheus text exposition, filtered by label substrings.
func SumSamples(exposition, name string, labelSubstrings ...string) float64 {
	var total float64
	sc := bufio.NewScanner(strings.NewReader(exposition))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		match := true
		for _, s := range labelSubstrings {
			if !strings.Contains(rest, s) {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(rest[strings.LastIndexByte(rest, ' ')+1:], &v); err == nil {
			total += v
		}
	}
	return total
}

// Sink is an OTLP endpoint that records everything it receives: a second otelcol-warden with the file
// exporter. It stands in for Tempo and Loki.
type Sink struct {
	*Collector
	grpc, http string
}

const sinkConfig = `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ${env:SINK_GRPC}
        max_recv_msg_size_mib: 64
      http:
        endpoint: ${env:SINK_HTTP}
exporters:
  file/traces: {path: "${env:WARDEN_DATA_DIR}/traces.jsonl", format: json, flush_interval: 100ms}
  file/logs: {path: "${env:WARDEN_DATA_DIR}/logs.jsonl", format: json, flush_interval: 100ms}
  file/metrics: {path: "${env:WARDEN_DATA_DIR}/metrics.jsonl", format: json, flush_interval: 100ms}
service:
  pipelines:
    traces: {receivers: [otlp], exporters: [file/traces]}
    logs: {receivers: [otlp], exporters: [file/logs]}
    metrics: {receivers: [otlp], exporters: [file/metrics]}
`

// StartOTLPSink starts a sink collector on free loopback ports.
func StartOTLPSink(t testing.TB) *Sink {
	t.Helper()
	s := &Sink{grpc: FreeEndpoint(t), http: FreeEndpoint(t)}
	s.Collector = StartCollector(t, sinkConfig, WithName("otlp-sink"), WithEnv("SINK_GRPC="+s.grpc, "SINK_HTTP="+s.http))
	return s
}

// GRPCEndpoint is host:port of the sink's OTLP/gRPC receiver.
func (s *Sink) GRPCEndpoint() string { return s.grpc }

// HTTPEndpoint is the base URL of the sink's OTLP/HTTP receiver.
func (s *Sink) HTTPEndpoint() string { return "http://" + s.http }

// Traces returns every batch the sink has written so far.
func (s *Sink) Traces(t testing.TB) []ptrace.Traces {
	t.Helper()
	var u ptrace.JSONUnmarshaler
	return readJSONLines(t, filepath.Join(s.DataDir, "traces.jsonl"), u.UnmarshalTraces)
}

// Logs returns every batch the sink has written so far.
func (s *Sink) Logs(t testing.TB) []plog.Logs {
	t.Helper()
	var u plog.JSONUnmarshaler
	return readJSONLines(t, filepath.Join(s.DataDir, "logs.jsonl"), u.UnmarshalLogs)
}

// Metrics returns every batch the sink has written so far.
func (s *Sink) Metrics(t testing.TB) []pmetric.Metrics {
	t.Helper()
	var u pmetric.JSONUnmarshaler
	return readJSONLines(t, filepath.Join(s.DataDir, "metrics.jsonl"), u.UnmarshalMetrics)
}

// ForEachSpan calls fn for every span of the batches, in order.
func ForEachSpan(batches []ptrace.Traces, fn func(ptrace.Span)) {
	for _, td := range batches {
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, span := range ss.Spans().All() {
					fn(span)
				}
			}
		}
	}
}

// SpanCount counts the spans in the sink.
func (s *Sink) SpanCount(t testing.TB) int {
	n := 0
	for _, td := range s.Traces(t) {
		n += td.SpanCount()
	}
	return n
}

// LogRecordCount counts the log records in the sink.
func (s *Sink) LogRecordCount(t testing.TB) int {
	n := 0
	for _, ld := range s.Logs(t) {
		n += ld.LogRecordCount()
	}
	return n
}

// ReadJSONLines decodes an OTLP JSON-lines file as the file exporter writes it (a missing file is empty);
// a line still being written (no newline yet) is left for the next read.
func readJSONLines[T any](t testing.TB, path string, unmarshal func([]byte) (T, error)) []T {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	var out []T
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		line := data[:i]
		data = data[i+1:]
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		v, err := unmarshal(line)
		if err != nil {
			t.Fatalf("decoding a line of %s: %v", path, err)
		}
		out = append(out, v)
	}
	return out
}

// ReadTracesFile, ReadLogsFile and ReadMetricsFile decode a file exporter's JSON-lines output.
func ReadTracesFile(t testing.TB, path string) []ptrace.Traces {
	var u ptrace.JSONUnmarshaler
	return readJSONLines(t, path, u.UnmarshalTraces)
}

func ReadLogsFile(t testing.TB, path string) []plog.Logs {
	var u plog.JSONUnmarshaler
	return readJSONLines(t, path, u.UnmarshalLogs)
}

func ReadMetricsFile(t testing.TB, path string) []pmetric.Metrics {
	var u pmetric.JSONUnmarshaler
	return readJSONLines(t, path, u.UnmarshalMetrics)
}

// Eventually polls cond every 200 ms until it holds or timeout passes, then fails with msg.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, msg string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: "+msg, append([]any{timeout}, args...)...)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Prometheus is a real Prometheus server (Debian's package) with the remote-write receiver enabled.
type Prometheus struct {
	t        testing.TB
	bin      string
	args     []string
	Endpoint string
	mu       sync.Mutex
	cmd      *exec.Cmd
	done     chan struct{}
	log      *syncBuffer
}

// PrometheusOption adjusts the server.
type PrometheusOption func(*prometheusSettings)

type prometheusSettings struct {
	scrapeTargets    []string
	outOfOrderWindow string
}

// WithOutOfOrderWindow sets storage.tsdb.out_of_order_time_window (e.g. "30m"), as recommended for
// remote-write targets whose senders may replay a queue after a restart.
func WithOutOfOrderWindow(window string) PrometheusOption {
	return func(s *prometheusSettings) { s.outOfOrderWindow = window }
}

// WithScrapeTargets makes Prometheus scrape these host:port targets every second.
func WithScrapeTargets(targets ...string) PrometheusOption {
	return func(s *prometheusSettings) { s.scrapeTargets = append(s.scrapeTargets, targets...) }
}

// StartPrometheus starts Prometheus on a free loopback port with its TSDB in a temporary folder.
// `make test` (and .ci/run) install Debian's prometheus package; without it the test fails, it is not skipped.
func StartPrometheus(t testing.TB, opts ...PrometheusOption) *Prometheus {
	t.Helper()
	var s prometheusSettings
	for _, o := range opts {
		o(&s)
	}
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatalf("the e2e tests need a real Prometheus server (apt-get install prometheus): %v", err)
	}
	dir := t.TempDir()
	cfg := "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n"
	if len(s.scrapeTargets) > 0 {
		cfg += "  - job_name: targets\n    static_configs:\n      - targets: [" + strings.Join(quoteAll(s.scrapeTargets), ", ") + "]\n"
	} else {
		cfg = strings.TrimSuffix(cfg, "scrape_configs:\n")
	}
	if s.outOfOrderWindow != "" {
		cfg += "storage:\n  tsdb:\n    out_of_order_time_window: " + s.outOfOrderWindow + "\n"
	}
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &Prometheus{t: t, bin: bin, Endpoint: FreeEndpoint(t), log: &syncBuffer{}}
	p.args = []string{
		"--config.file=" + cfgPath,
		"--storage.tsdb.path=" + filepath.Join(dir, "tsdb"),
		"--web.listen-address=" + p.Endpoint,
		"--web.enable-remote-write-receiver",
		"--storage.tsdb.retention.time=1d",
	}
	p.Start()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("----- log of prometheus -----\n%s", p.log.String())
		}
	})
	return p
}

// Start (re)starts the server on the same port and TSDB, and waits until it is ready.
func (p *Prometheus) Start() {
	t := p.t
	t.Helper()
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting prometheus: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	p.mu.Lock()
	p.cmd, p.done = cmd, done
	p.mu.Unlock()
	deadline := time.Now().Add(startTimeout)
	for {
		if _, err := httpGet("http://" + p.Endpoint + "/-/ready"); err == nil {
			return
		}
		select {
		case <-done:
			t.Fatalf("prometheus exited during start-up:\n%s", p.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus not ready after %s:\n%s", startTimeout, p.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop shuts the server down gracefully (its TSDB stays for a later Start).
func (p *Prometheus) Stop() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(stopTimeout):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// RemoteWriteURL is where the prometheusremotewrite exporter sends samples.
func (p *Prometheus) RemoteWriteURL() string { return "http://" + p.Endpoint + "/api/v1/write" }

// Sample is one element of an instant-query vector.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// Query runs an instant PromQL query and returns the vector (or scalar, as one sample) it yields.
func (p *Prometheus) Query(t testing.TB, promql string) []Sample {
	t.Helper()
	body, err := httpGet("http://" + p.Endpoint + "/api/v1/query?query=" + url.QueryEscape(promql))
	if err != nil {
		t.Fatalf("query %q: %v", promql, err)
	}
	var resp struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatalf("query %q: decoding %q: %v", promql, body, err)
	}
	if resp.Status != "success" {
		t.Fatalf("query %q: %s", promql, resp.Error)
	}
	switch resp.Data.ResultType {
	case "vector":
		var vec []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(resp.Data.Result, &vec); err != nil {
			t.Fatalf("query %q: %v", promql, err)
		}
		out := make([]Sample, 0, len(vec))
		for _, v := range vec {
			out = append(out, Sample{Labels: v.Metric, Value: parseFloat(v.Value[1])})
		}
		return out
	case "scalar":
		var v [2]any
		if err := json.Unmarshal(resp.Data.Result, &v); err != nil {
			t.Fatalf("query %q: %v", promql, err)
		}
		return []Sample{{Value: parseFloat(v[1])}}
	default:
		t.Fatalf("query %q: unexpected result type %q", promql, resp.Data.ResultType)
		return nil
	}
}

// QueryScalar runs a query expected to yield one value (0 when the vector is empty).
func (p *Prometheus) QueryScalar(t testing.TB, promql string) float64 {
	t.Helper()
	res := p.Query(t, promql)
	if len(res) == 0 {
		return 0
	}
	if len(res) > 1 {
		t.Fatalf("query %q: %d samples, want one", promql, len(res))
	}
	return res[0].Value
}

// HeadSeries is Prometheus' own count of series in its head block (what a cardinality explosion grows).
func (p *Prometheus) HeadSeries(t testing.TB) float64 {
	t.Helper()
	body, err := httpGet("http://" + p.Endpoint + "/metrics")
	if err != nil {
		t.Fatalf("prometheus self-metrics: %v", err)
	}
	return SumSamples(body, "prometheus_tsdb_head_series")
}

// SelfMetric sums a metric of Prometheus' own /metrics, e.g. prometheus_http_requests_total{code="400"}.
func (p *Prometheus) SelfMetric(t testing.TB, name string, labelSubstrings ...string) float64 {
	t.Helper()
	body, err := httpGet("http://" + p.Endpoint + "/metrics")
	if err != nil {
		t.Fatalf("prometheus self-metrics: %v", err)
	}
	return SumSamples(body, name, labelSubstrings...)
}

func parseFloat(v any) float64 {
	s, _ := v.(string)
	var f float64
	_, _ = fmt.Sscan(s, &f)
	return f
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

func httpGet(u string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, http.NoBody)
	if err != nil {
		return "", err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return string(b), nil
}

// syncBuffer collects a process's output and signals when a line containing a marker appears.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	marker  string
	reached chan struct{}
}

func (b *syncBuffer) watchFor(marker string, reached chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.marker, b.reached = marker, reached
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	start := b.buf.Len()
	n, err := b.buf.Write(p)
	if b.reached != nil {
		// Look a little before this write too: the marker may straddle two writes.
		from := max(0, start-len(b.marker))
		if bytes.Contains(b.buf.Bytes()[from:], []byte(b.marker)) {
			close(b.reached)
			b.reached = nil
		}
	}
	return n, err
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
