package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The report sections of the status page, in headless Chromium: after traffic through
// configs/local.yaml, every figure a section shows (tail decisions per rule, cardinality series,
// PII findings per type, usage per team and stage, folded log templates) equals the API's, and
// at a phone's width every figure is on screen without scrolling sideways.

var sectionKinds = []string{"tail", "cardinality", "pii", "usage", "logs"}

// providerDoc is one entry of a per-kind endpoint's providers[].
type providerDoc struct {
	Component string         `json:"component"`
	Instance  int            `json:"instance"`
	Snapshot  map[string]any `json:"snapshot"`
	Error     string         `json:"error"`
}

func fetchProviders(t *testing.T, base, kind string) []providerDoc {
	t.Helper()
	code, body := statusGet(t, base+"/api/v1/"+kind)
	if code != http.StatusOK {
		t.Fatalf("/api/v1/%s: %d %s", kind, code, body)
	}
	var doc struct {
		Data struct {
			Providers []providerDoc `json:"providers"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("/api/v1/%s: %v", kind, err)
	}
	return doc.Data.Providers
}

// apiFigures is, per kind, "<data-provider> <data-metric>" -> value, read from the API's JSON
// without the page's code: the figures each section must show.
func apiFigures(t *testing.T, base string, kinds ...string) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for _, kind := range kinds {
		figures := map[string]string{}
		set := func(provider, metric string, v any) {
			if f, ok := v.(float64); ok {
				v = strconv.FormatFloat(f, 'f', -1, 64)
			}
			figures[provider+" "+metric] = fmt.Sprint(v)
		}
		for _, p := range fetchProviders(t, base, kind) {
			if p.Error != "" {
				t.Errorf("/api/v1/%s: %s: %s", kind, p.Component, p.Error)
				continue
			}
			key := fmt.Sprintf("%s#%d", p.Component, p.Instance)
			snapshotFigures(kind, key, p.Snapshot, set)
		}
		out[kind] = figures
	}
	return out
}

func snapshotFigures(kind, key string, snap map[string]any, set func(provider, metric string, v any)) {
	list := func(v any) []map[string]any {
		items, _ := v.([]any)
		out := make([]map[string]any, 0, len(items))
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	num := func(v any) float64 { f, _ := v.(float64); return f }
	switch kind {
	case "tail":
		for _, r := range list(snap["rules"]) {
			if num(r["kept_traces"])+num(r["dropped_traces"]) > 0 {
				set(key, "tail.rule."+r["rule"].(string)+".kept_traces", r["kept_traces"])
				set(key, "tail.rule."+r["rule"].(string)+".dropped_traces", r["dropped_traces"])
			}
		}
	case "cardinality":
		data, _ := snap["data"].(map[string]any)
		head, _ := data["headStats"].(map[string]any)
		set(key, "cardinality.num_series", head["numSeries"])
		for _, nv := range list(data["seriesCountByMetricName"]) {
			set(key, "cardinality.metric."+nv["name"].(string), nv["value"])
		}
		for _, nv := range list(data["labelValueCountByLabelName"]) {
			set(key, "cardinality.label."+nv["name"].(string), nv["value"])
		}
	case "pii":
		set(key, "pii.detections", snap["detections"])
		byType, _ := snap["by_type"].(map[string]any)
		for typ, n := range byType {
			set(key, "pii.type."+typ, n)
		}
	case "usage":
		for _, team := range list(snap["teams"]) {
			var records float64
			for _, sig := range list(team["signals"]) {
				records += num(sig["records"])
			}
			prefix := "usage." + snap["stage"].(string) + "." + team["team"].(string)
			set("usage", prefix+".records", records)
			set("usage", prefix+".bytes", team["bytes"])
		}
	case "tail_retention":
		set(key, "retention.traces", snap["traces"])
		set(key, "retention.bytes", snap["bytes"])
	case "logs":
		for _, svc := range list(snap["services"]) {
			set(key, "logs.service."+svc["service"].(string)+".suppressed", svc["suppressed"])
			for _, tpl := range list(svc["top_templates"]) {
				set(key, "logs.template."+tpl["id"].(string)+".suppressed", tpl["suppressed"])
			}
		}
	}
}

// pageFigure is one [data-metric] of a report section as the browser shows it.
type pageFigure struct {
	Kind, Provider, Metric, Value, Text string
	Left, Right, Width                  float64
}

const readFigures = `Array.from(document.querySelectorAll('section.report [data-provider] [data-metric]')).map(e => {
  const r = e.getBoundingClientRect();
  return {Kind: e.closest('section').id.replace('report-', ''), Provider: e.closest('[data-provider]').dataset.provider,
    Metric: e.dataset.metric, Value: e.dataset.value, Text: e.textContent.trim(), Left: r.left, Right: r.right, Width: r.width};
})`

// figureDiffs lists every API figure the page does not show identically, and shown numbers whose
// text is not their value.
func figureDiffs(want map[string]map[string]string, shown []pageFigure) []string {
	got := map[string]map[string]string{}
	var diffs []string
	for _, f := range shown {
		if got[f.Kind] == nil {
			got[f.Kind] = map[string]string{}
		}
		got[f.Kind][f.Provider+" "+f.Metric] = f.Value
		if _, err := strconv.ParseUint(f.Value, 10, 64); err == nil && !strings.HasSuffix(f.Text, "B") && strings.ReplaceAll(f.Text, ",", "") != f.Value {
			diffs = append(diffs, fmt.Sprintf("%s %s %s: shows %q for %s", f.Kind, f.Provider, f.Metric, f.Text, f.Value))
		}
	}
	for kind, figures := range want {
		for key, v := range figures {
			if got[kind][key] != v {
				diffs = append(diffs, fmt.Sprintf("%s %s: page %q, API %q", kind, key, got[kind][key], v))
			}
		}
	}
	sort.Strings(diffs)
	return diffs
}

func TestStatusSectionsShowTheAPIsFigures(t *testing.T) {
	env, grpcEndpoint, httpEndpoint, _, _ := localConfigEnv(t)
	statusEndpoint := FreeEndpoint(t)
	env = append(env, "WARDEN_STATUS_ENDPOINT="+statusEndpoint, "WARDEN_STATUS_SNAPSHOT_INTERVAL=5s")
	c := StartCollector(t, readConfig(t, "local.yaml"), WithName("local-sections"), WithEnv(env...))
	base := "http://" + statusEndpoint

	attr := fmt.Sprintf(`user.email="%s"`, statusCanary)
	// Error traces (kept by the errors rule) and plain ones (sampled by the probabilistic rules),
	// logs of one template (log_reduce folds all but keep_first), and a few metric series.
	Telemetrygen(t, "traces", "--otlp-insecure", "--rate", "50", "--otlp-endpoint", grpcEndpoint, "--traces", "30", "--child-spans", "1", "--status-code", "Error", "--service", "checkout", "--telemetry-attributes", attr)
	Telemetrygen(t, "traces", "--otlp-insecure", "--rate", "50", "--otlp-endpoint", grpcEndpoint, "--traces", "120", "--child-spans", "1", "--service", "checkout")
	Telemetrygen(t, "logs", "--otlp-insecure", "--rate", "100", "--otlp-http", "--otlp-endpoint", httpEndpoint, "--logs", "300", "--service", "checkout", "--body", "login failed for "+statusCanary+" from 10.20.30.40")
	Telemetrygen(t, "metrics", "--otlp-insecure", "--rate", "20", "--otlp-endpoint", grpcEndpoint, "--metrics", "20", "--metric-type", "Sum", "--service", "checkout")
	waitSettled(t, c)

	b := startBrowser(t)
	var want map[string]map[string]string
	var diffs []string
	deadline := time.Now().Add(60 * time.Second)
	for {
		// The API before and after the page: equal means nothing moved while the page was built.
		want = apiFigures(t, base, sectionKinds...)
		b.do("laptop page", scripts(false), chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#report-logs")), scripts(true))
		shown := browserValue(b, "read the sections' figures", chromedp.Evaluate[[]pageFigure](readFigures))
		diffs = figureDiffs(want, shown)
		if len(diffs) == 0 && fmt.Sprint(apiFigures(t, base, sectionKinds...)) == fmt.Sprint(want) {
			break
		}
		if time.Now().After(deadline) {
			b.screenshotOnFailure("sections")
			t.Fatalf("the sections do not show the API's figures:\n%s", strings.Join(diffs, "\n"))
		}
		time.Sleep(2 * time.Second)
	}
	for _, kind := range sectionKinds {
		t.Logf("section %s: %d figures equal the API's", kind, len(want[kind]))
		if len(want[kind]) == 0 {
			b.screenshotOnFailure("sections")
			t.Errorf("section %s: the API has no figure for it after the traffic", kind)
		}
	}
	if len(want["tail"]) > 0 && want["tail"]["tail_policy#0 tail.rule.errors.kept_traces"] != "30" {
		t.Errorf("tail: the errors rule kept %q traces, want the 30 error traces", want["tail"]["tail_policy#0 tail.rule.errors.kept_traces"])
	}
	html := browserValue(b, "page html", chromedp.OuterHTML(chromedp.CSS("html")))
	if strings.Contains(html, statusCanary) || strings.Contains(html, "10.20.30.40") || strings.Contains(html, "pii:email:") {
		b.screenshotOnFailure("canary")
		t.Errorf("the page shows the canary, its IP or a pseudonym")
	}

	// Phone width: no sideways overflow, and every figure of every section on screen.
	b.do("phone page", scripts(false), chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#report-logs")), scripts(true))
	widths := browserValue(b, "phone width", chromedp.Evaluate[[]float64](`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`))
	shown := browserValue(b, "phone figures", chromedp.Evaluate[[]pageFigure](readFigures))
	var off []string
	for _, f := range shown {
		if f.Width <= 0 || f.Left < 0 || f.Right > widths[1]+0.5 {
			off = append(off, fmt.Sprintf("%s %s %s at %.0f..%.0f", f.Kind, f.Provider, f.Metric, f.Left, f.Right))
		}
	}
	if widths[0] > widths[1] || widths[1] != 390 || len(off) > 0 || len(shown) == 0 {
		b.screenshotOnFailure("phone-sections")
		t.Errorf("at 390 px: page %v (scrollWidth, clientWidth), %d figures, off screen: %v", widths, len(shown), off)
	}
}
