package k8s

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// upstreamSelfMetrics are the collector's own metrics (v0.161.0, Prometheus names without unit
// and type suffixes, the default of service::telemetry) that the dashboard and alerts read.
var upstreamSelfMetrics = []string{
	"otelcol_receiver_accepted_spans", "otelcol_receiver_accepted_metric_points", "otelcol_receiver_accepted_log_records",
	"otelcol_receiver_refused_spans", "otelcol_receiver_refused_metric_points", "otelcol_receiver_refused_log_records",
	"otelcol_exporter_queue_size", "otelcol_exporter_queue_capacity",
	"otelcol_exporter_send_failed_spans", "otelcol_exporter_send_failed_metric_points", "otelcol_exporter_send_failed_log_records",
	"otelcol_loadbalancer_num_backends",
	"otelcol_process_memory_rss", "otelcol_process_cpu_seconds", "otelcol_process_runtime_heap_alloc_bytes", "otelcol_process_uptime",
}

var selfMetricName = regexp.MustCompile(`\botelcol_[a-z0-9_]+`)

// knownSelfMetrics is every otelcol_* name the distribution can expose: upstream's, plus those
// declared in our components' metadata.yaml (histograms also as _bucket, _sum, _count).
func knownSelfMetrics(t *testing.T) map[string]bool {
	t.Helper()
	known := map[string]bool{}
	for _, m := range upstreamSelfMetrics {
		known[m] = true
	}
	for _, m := range countConnectorMetrics(t) {
		known[m] = true
	}
	files, _ := filepath.Glob(filepath.Join(repoRoot(t), "*", "*", "metadata.yaml"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var md struct {
			Telemetry struct {
				Metrics map[string]map[string]any `json:"metrics"`
			} `json:"telemetry"`
		}
		if err := yaml.Unmarshal(data, &md); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for name, def := range md.Telemetry.Metrics {
			known["otelcol_"+name] = true
			if _, ok := def["histogram"]; ok {
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					known["otelcol_"+name+suffix] = true
				}
			}
		}
	}
	return known
}

// countConnectorMetrics is what the shipped collector configs make of their count connectors'
// metrics (count/pii on the agents): a prometheus exporter's namespace, the metric name with dots
// as underscores, and _total (monotonic sums), as Prometheus stores them.
func countConnectorMetrics(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, name := range []string{"agent.yaml", "gateway.yaml"} {
		data, err := os.ReadFile(filepath.Join(repoRoot(t), "configs", name))
		if err != nil {
			t.Fatal(err)
		}
		var cfg struct {
			Connectors map[string]map[string]any `json:"connectors"`
			Exporters  map[string]map[string]any `json:"exporters"`
		}
		if err := yaml.Unmarshal(data, &cfg); err != nil {
			t.Fatalf("configs/%s: %v", name, err)
		}
		var namespaces []string
		for id, exp := range cfg.Exporters {
			if ns, ok := exp["namespace"].(string); ok && strings.Split(id, "/")[0] == "prometheus" {
				namespaces = append(namespaces, ns)
			}
		}
		for id, conn := range cfg.Connectors {
			if strings.Split(id, "/")[0] != "count" {
				continue
			}
			for _, section := range conn {
				metrics, _ := section.(map[string]any)
				for metric := range metrics {
					for _, ns := range namespaces {
						out = append(out, ns+"_"+strings.ReplaceAll(metric, ".", "_")+"_total")
					}
				}
			}
		}
	}
	return out
}

// checkMetricNames reports self-metric names in expr that nobody exposes.
func checkMetricNames(t *testing.T, where, expr string, known map[string]bool) {
	t.Helper()
	for _, name := range selfMetricName.FindAllString(expr, -1) {
		if !known[name] {
			t.Errorf("%s: metric %s is exposed by no component (typo, or a metric renamed upstream?)", where, name)
		}
	}
}

// checkParses has promtool parse the expressions, written as recording rules.
func checkParses(t *testing.T, exprs map[string]string) {
	t.Helper()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Log("promtool not installed: dashboard queries not parsed")
		return
	}
	type rule struct {
		Record string `json:"record"`
		Expr   string `json:"expr"`
	}
	var rules []rule
	names := make([]string, 0, len(exprs))
	for where := range exprs {
		names = append(names, where)
	}
	slices.Sort(names)
	for i, where := range names {
		// Grafana's variables are not PromQL; give them values of the right kind.
		concrete := strings.NewReplacer("$__rate_interval", "5m", "$instance", ".*").Replace(exprs[where])
		rules = append(rules, rule{Record: fmt.Sprintf("dashboard:query_%d", i), Expr: concrete})
	}
	data, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "dashboard.rules.yaml")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", file).CombinedOutput(); err != nil {
		t.Errorf("dashboard queries do not parse: %v\n%s\n(query_N is the N-th of: %v)", err, out, names)
	}
}

type grafanaPanel struct {
	Type    string `json:"type"`
	Title   string `json:"title"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	Panels []grafanaPanel `json:"panels"`
}

// TestGrafanaDashboard: the dashboard is valid JSON, every panel queries something, every query
// parses, and it covers each component of the distribution.
func TestGrafanaDashboard(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(repoRoot(t), "configs", "grafana", "*.json"))
	if len(files) == 0 {
		t.Fatal("no dashboard in configs/grafana")
	}
	known := knownSelfMetrics(t)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var dash struct {
			UID    string         `json:"uid"`
			Title  string         `json:"title"`
			Panels []grafanaPanel `json:"panels"`
		}
		if err := json.Unmarshal(data, &dash); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if dash.UID == "" || dash.Title == "" {
			t.Errorf("%s: uid and title are required", f)
		}
		var queried []string
		exprs := map[string]string{}
		var walk func([]grafanaPanel)
		walk = func(panels []grafanaPanel) {
			for _, p := range panels {
				walk(p.Panels)
				if p.Type == "row" {
					continue
				}
				if len(p.Targets) == 0 {
					t.Errorf("%s panel %q has no query", filepath.Base(f), p.Title)
				}
				for i, target := range p.Targets {
					where := fmt.Sprintf("%s panel %q query %d", filepath.Base(f), p.Title, i)
					checkMetricNames(t, where, target.Expr, known)
					exprs[where] = target.Expr
					queried = append(queried, selfMetricName.FindAllString(target.Expr, -1)...)
				}
			}
		}
		walk(dash.Panels)
		checkParses(t, exprs)
		for _, prefix := range []string{"otelcol_processor_pii_scrub_", "otelcol_processor_tail_policy_", "otelcol_processor_cardinality_guard_", "otelcol_exporter_tenant_router_", "otelcol_exporter_queue_size"} {
			if !slices.ContainsFunc(queried, func(m string) bool { return strings.HasPrefix(m, prefix) }) {
				t.Errorf("%s: nothing on the dashboard reads %s*", filepath.Base(f), prefix)
			}
		}
	}
}

// TestAlertExpressionsUseExposedMetrics complements promtool (which parses the rules in
// TestAlertRules): its unit tests feed the series the rules expect, so they cannot catch a metric
// name no collector exposes.
func TestAlertExpressionsUseExposedMetrics(t *testing.T) {
	known := knownSelfMetrics(t)
	files, _ := filepath.Glob(filepath.Join(repoRoot(t), "configs", "alerts", "*.rules.yaml"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var rules struct {
			Groups []struct {
				Rules []struct {
					Alert string `json:"alert"`
					Expr  string `json:"expr"`
				} `json:"rules"`
			} `json:"groups"`
		}
		if err := yaml.Unmarshal(data, &rules); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, g := range rules.Groups {
			for _, r := range g.Rules {
				checkMetricNames(t, filepath.Base(f)+" "+r.Alert, r.Expr, known)
			}
		}
	}
}
