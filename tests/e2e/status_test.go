package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The warden_status page, in a real browser: the numbers it shows are the API's, and the API's
// are the collector's own metrics; nothing personal reaches it; it fits a phone's width.

// statusCanary is personal data in the traffic: neither it nor its pseudonym may be shown.
const statusCanary = "jane.canary@example.com"

type statusSummary struct {
	Pipelines []struct {
		ID string `json:"id"`
	} `json:"pipelines"`
	Components  []statusComponent `json:"components"`
	SelfMetrics string            `json:"self_metrics"`
}

type statusComponent struct {
	ID       string       `json:"id"`
	Kind     string       `json:"kind"`
	Health   string       `json:"health"`
	Sources  []string     `json:"sources"`
	Lifetime statusWindow `json:"lifetime"`
	Last5m   statusWindow `json:"last_5m"`
	Last60m  statusWindow `json:"last_60m"`
}

type statusWindow struct {
	In  struct{ Items uint64 } `json:"in"`
	Out struct{ Items uint64 } `json:"out"`
}

func statusGet(t *testing.T, url string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func fetchStatusSummary(t *testing.T, base string) statusSummary {
	t.Helper()
	code, body := statusGet(t, base+"/api/v1/summary")
	if code != http.StatusOK {
		t.Fatalf("/api/v1/summary: %d %s", code, body)
	}
	var doc struct {
		Status string        `json:"status"`
		Data   statusSummary `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || doc.Status != "success" {
		t.Fatalf("/api/v1/summary: %v %s", err, body)
	}
	return doc.Data
}

// selfCount sums a self-metric with or without the _total suffix the Prometheus exporter may add.
func selfCount(exposition, name string, labels ...string) uint64 {
	return uint64(SumSamples(exposition, name, labels...) + SumSamples(exposition, name+"_total", labels...))
}

// expectedFromSelfMetrics is what the summary must say a component received and passed on.
func expectedFromSelfMetrics(exposition string, c statusComponent) (in, out uint64, ok bool) {
	label := fmt.Sprintf(`%s="%s"`, c.Kind, c.ID)
	switch c.Kind {
	case "processor":
		return selfCount(exposition, "otelcol_processor_incoming_items", label), selfCount(exposition, "otelcol_processor_outgoing_items", label), true
	case "receiver", "exporter":
		var accepted, other uint64
		for _, sig := range []string{"spans", "metric_points", "log_records"} {
			if c.Kind == "receiver" {
				accepted += selfCount(exposition, "otelcol_receiver_accepted_"+sig, label)
				other += selfCount(exposition, "otelcol_receiver_refused_"+sig, label) + selfCount(exposition, "otelcol_receiver_failed_"+sig, label)
			} else {
				accepted += selfCount(exposition, "otelcol_exporter_sent_"+sig, label)
				other += selfCount(exposition, "otelcol_exporter_send_failed_"+sig, label)
			}
		}
		return accepted + other, accepted, true
	}
	return 0, 0, false
}

// waitSettled waits until the own item counters stop moving (tail_policy decides a trace a few
// seconds after its last span; batch flushes every second).
func waitSettled(t *testing.T, c *Collector) {
	t.Helper()
	last := ""
	Eventually(t, 90*time.Second, func() bool {
		text := c.SelfMetrics(t)
		var parts []string
		for _, n := range []string{"otelcol_processor_incoming_items", "otelcol_processor_outgoing_items", "otelcol_exporter_sent_spans", "otelcol_exporter_sent_log_records", "otelcol_exporter_sent_metric_points"} {
			parts = append(parts, strconv.FormatUint(selfCount(text, n), 10))
		}
		now := strings.Join(parts, ",")
		settled := now == last && selfCount(text, "otelcol_exporter_sent_spans") > 0
		last = now
		if !settled {
			time.Sleep(3 * time.Second)
		}
		return settled
	}, "own item counters still moving")
}

func TestStatusPageShowsTheCollectorsNumbers(t *testing.T) {
	env, grpcEndpoint, httpEndpoint, _, _ := localConfigEnv(t)
	statusEndpoint := FreeEndpoint(t)
	env = append(env, "WARDEN_STATUS_ENDPOINT="+statusEndpoint, "WARDEN_STATUS_SNAPSHOT_INTERVAL=5s")
	c := StartCollector(t, readConfig(t, "local.yaml"), WithName("local"), WithEnv(env...))
	base := "http://" + statusEndpoint
	if !strings.Contains(c.Log(), "warden_status: serving the status page") || !strings.Contains(c.Log(), base+"/") {
		t.Errorf("the log does not print the page's address %s/", base)
	}

	attr := fmt.Sprintf(`user.email="%s"`, statusCanary)
	// Error traces: every sampling rule keeps them (as in TestLocalConfigAcceptsOTLPFromTelemetrygen).
	Telemetrygen(t, "traces", "--otlp-insecure", "--otlp-endpoint", grpcEndpoint, "--traces", "40", "--child-spans", "1", "--status-code", "Error", "--service", "e2e-status", "--telemetry-attributes", attr)
	Telemetrygen(t, "logs", "--otlp-insecure", "--otlp-http", "--otlp-endpoint", httpEndpoint, "--logs", "40", "--service", "e2e-status", "--body", "login by "+statusCanary)
	Telemetrygen(t, "metrics", "--otlp-insecure", "--otlp-endpoint", grpcEndpoint, "--metrics", "20", "--metric-type", "Sum", "--service", "e2e-status")
	waitSettled(t, c)

	// The API equals the own metrics, component by component.
	exposition := c.SelfMetrics(t)
	sum := fetchStatusSummary(t, base)
	if sum.SelfMetrics != "ok" || len(sum.Pipelines) != 3 {
		t.Fatalf("summary: self_metrics %q, %d pipelines; want ok, 3", sum.SelfMetrics, len(sum.Pipelines))
	}
	byKey := map[string]statusComponent{}
	for _, comp := range sum.Components {
		byKey[comp.Kind+"/"+comp.ID] = comp
		in, out, ok := expectedFromSelfMetrics(exposition, comp)
		if !ok {
			continue
		}
		if in == 0 && out == 0 && slices.Contains(comp.Sources, "provider") {
			// Our processors publish no otelcol_processor_*_items; their figures come from the
			// summary provider they register, checked against their neighbours below.
			continue
		}
		if comp.Lifetime.In.Items != in || comp.Lifetime.Out.Items != out {
			t.Errorf("%s/%s: API in/out %d/%d, own metrics %d/%d", comp.Kind, comp.ID, comp.Lifetime.In.Items, comp.Lifetime.Out.Items, in, out)
		}
		if comp.Health != "ok" {
			t.Errorf("%s/%s: health %q, want ok", comp.Kind, comp.ID, comp.Health)
		}
	}
	// The providers' figures agree with the components around them: usage_meter/received gets
	// what memory_limiter passed on; each reducing processor passes on (through batch) what its
	// pipeline's exporter received; usage_meter/exported passes on what all the exporters received.
	items := func(key string, w func(statusComponent) uint64) uint64 {
		comp, found := byKey[key]
		if !found {
			t.Errorf("%s: not in the summary", key)
		}
		return w(comp)
	}
	in := func(c statusComponent) uint64 { return c.Lifetime.In.Items }
	out := func(c statusComponent) uint64 { return c.Lifetime.Out.Items }
	for _, pair := range []struct{ provider, neighbour string }{
		{"processor/usage_meter/received", "processor/memory_limiter"},
		{"processor/tail_policy", "exporter/file/traces"},
		{"processor/log_reduce", "exporter/file/logs"},
		{"processor/cardinality_guard", "exporter/file/metrics"},
	} {
		got, want := items(pair.provider, out), items(pair.neighbour, out)
		if pair.provider == "processor/usage_meter/received" {
			got = items(pair.provider, in)
		}
		if got != want || got == 0 {
			t.Errorf("%s: %d items, want %d (as %s) and more than 0", pair.provider, got, want, pair.neighbour)
		}
	}
	exported := items("exporter/file/traces", in) + items("exporter/file/logs", in) + items("exporter/file/metrics", in)
	if got := items("processor/usage_meter/exported", out); got != exported {
		t.Errorf("processor/usage_meter/exported: passed on %d items, the exporters received %d", got, exported)
	}
	for _, key := range []string{"receiver/otlp", "processor/memory_limiter", "processor/pii_scrub", "exporter/file/traces", "exporter/file/logs", "exporter/file/metrics"} {
		if byKey[key].Lifetime.In.Items == 0 {
			t.Errorf("%s: no items in the summary", key)
		}
	}

	b := startBrowser(t)
	// Laptop width, JavaScript off: every number is in the server-rendered HTML.
	b.do("laptop page", scripts(false), chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#components")))
	html := browserValue(b, "page html", chromedp.OuterHTML(chromedp.CSS("html")))
	b.do("scripts on", scripts(true))
	cells := browserValue(b, "read the numbers", chromedp.Evaluate[[][]string](`Array.from(document.querySelectorAll('tr[data-component] [data-metric]')).map(e => [e.closest('tr').dataset.component, e.dataset.metric, e.dataset.value, e.textContent.trim()])`))
	shown := map[string]string{}
	for _, cell := range cells {
		shown[cell[0]+" "+cell[1]] = cell[2]
		if strings.HasSuffix(cell[1], ".items") && strings.ReplaceAll(cell[3], ",", "") != cell[2] {
			t.Errorf("%s %s: shows %q for %s", cell[0], cell[1], cell[3], cell[2])
		}
	}
	for key, comp := range byKey {
		for metric, want := range map[string]uint64{
			"lifetime.in.items": comp.Lifetime.In.Items, "lifetime.out.items": comp.Lifetime.Out.Items,
			"last_5m.in.items": comp.Last5m.In.Items, "last_60m.out.items": comp.Last60m.Out.Items,
		} {
			if got := shown[key+" "+metric]; got != strconv.FormatUint(want, 10) {
				b.screenshotOnFailure("numbers")
				t.Errorf("%s %s: page shows %q, API says %d", key, metric, got, want)
			}
		}
	}
	for _, want := range []string{`data-pipeline="traces"`, `data-pipeline="logs"`, `data-pipeline="metrics"`, `data-chart="processor/pii_scrub"`, "<polyline"} {
		if !strings.Contains(html, want) {
			t.Errorf("the page has no %s", want)
		}
	}
	if path := os.Getenv("WARDEN_STATUS_SCREENSHOT"); path != "" {
		if err := b.screenshot(path); err != nil {
			t.Errorf("screenshot for the docs: %v", err)
		}
	}

	// Phone width: nothing wider than the screen.
	b.do("phone page", chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#components")))
	widths := browserValue(b, "phone width", chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`))
	if len(widths) != 2 || widths[0] > widths[1] || widths[1] != 390 {
		b.screenshotOnFailure("phone")
		t.Errorf("at 390 px the page is %v (scrollWidth, clientWidth) wide: horizontal overflow", widths)
	}

	// Nothing personal on the page or any endpoint, neither the value nor its pseudonym.
	bodies := []string{html}
	for _, path := range []string{"/api/v1/summary", "/api/v1/history", "/api/v1/cardinality", "/api/v1/tail", "/api/v1/pii", "/api/v1/usage", "/api/v1/logs"} {
		code, body := statusGet(t, base+path)
		if code != http.StatusOK {
			t.Errorf("%s: %d", path, code)
		}
		bodies = append(bodies, body)
	}
	for i, body := range bodies {
		if strings.Contains(body, statusCanary) || strings.Contains(body, "pii:email:") {
			t.Errorf("document %d shows the canary or its pseudonym", i)
		}
	}
	code, body := statusGet(t, base+"/api/v1/tail/traces/0102030405060708090a0b0c0d0e0f10")
	if code != http.StatusNotFound || !strings.Contains(body, "no component retains dropped traces") {
		t.Errorf("retained trace without retention: %d %s", code, body)
	}
}

func TestStatusPageBehindBearerToken(t *testing.T) {
	const token = "e2e-status-token-not-a-secret"
	statusEndpoint, grpcEndpoint := FreeEndpoint(t), FreeEndpoint(t)
	cfg := fmt.Sprintf(`
extensions:
  bearertokenauth/status:
    token: %s
  warden_status:
    endpoint: %s
    auth:
      authenticator: bearertokenauth/status
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: %s
exporters:
  debug: {}
service:
  extensions: [bearertokenauth/status, warden_status]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [debug]
`, token, statusEndpoint, grpcEndpoint)
	StartCollector(t, cfg, WithName("status-auth"))
	for _, path := range []string{"/", "/api/v1/summary"} {
		if code, _ := statusGet(t, "http://"+statusEndpoint+path); code != http.StatusUnauthorized {
			t.Errorf("%s without a token: %d, want 401", path, code)
		}
		if code, _ := statusGet(t, "http://"+statusEndpoint+path, "Authorization", "Bearer "+token); code != http.StatusOK {
			t.Errorf("%s with the token: %d, want 200", path, code)
		}
	}
	// The shipped gateway config protects the page the same way; every shipped config keeps it on loopback.
	if auth := get(shippedConfig(t, "gateway.yaml"), "extensions", "warden_status", "auth", "authenticator"); auth != "bearertokenauth/status" {
		t.Errorf("configs/gateway.yaml: warden_status auth is %v", auth)
	}
	for _, name := range []string{"local.yaml", "agent.yaml", "gateway.yaml", "container.yaml"} {
		ep, _ := get(shippedConfig(t, name), "extensions", "warden_status", "endpoint").(string)
		if !strings.Contains(ep, "127.0.0.1:13134") {
			t.Errorf("configs/%s: warden_status endpoint %q is not loopback by default", name, ep)
		}
	}
}
