package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// outputFiles reads the file exporter's OTLP JSON lines in the demo's data folder.
type outputFiles struct{ dir string }

func (o outputFiles) read(name string, each func(line []byte) error) error {
	f, err := os.Open(filepath.Join(o.dir, name))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			return nil // a line without its newline is still being written
		}
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(line)) > 0 {
			if err := each(line); err != nil {
				return err
			}
		}
	}
}

func (o outputFiles) traces() ([]ptrace.Traces, error) {
	var out []ptrace.Traces
	var u ptrace.JSONUnmarshaler
	err := o.read("traces.jsonl", func(line []byte) error {
		td, err := u.UnmarshalTraces(line)
		out = append(out, td)
		return err
	})
	return out, err
}

func (o outputFiles) logs() ([]plog.Logs, error) {
	var out []plog.Logs
	var u plog.JSONUnmarshaler
	err := o.read("logs.jsonl", func(line []byte) error {
		ld, err := u.UnmarshalLogs(line)
		out = append(out, ld)
		return err
	})
	return out, err
}

func (o outputFiles) metrics() ([]pmetric.Metrics, error) {
	var out []pmetric.Metrics
	var u pmetric.JSONUnmarshaler
	err := o.read("metrics.jsonl", func(line []byte) error {
		md, err := u.UnmarshalMetrics(line)
		out = append(out, md)
		return err
	})
	return out, err
}

// size is the total size of the output files: it stops growing once the pipeline has settled.
func (o outputFiles) size() int64 {
	var total int64
	for _, name := range []string{"traces.jsonl", "logs.jsonl", "metrics.jsonl"} {
		if fi, err := os.Stat(filepath.Join(o.dir, name)); err == nil {
			total += fi.Size()
		}
	}
	return total
}

func (o outputFiles) waitStable(quiet, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	last, since := o.size(), time.Now()
	for time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
		if s := o.size(); s != last {
			last, since = s, time.Now()
		} else if time.Since(since) >= quiet {
			return
		}
	}
}

// scrape reads the collector's own metrics and keeps a copy of the exposition in savePath.
func scrape(url, savePath string) (map[string]*dto.MetricFamily, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(savePath, body, 0o644); err != nil {
		return nil, err
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(bytes.NewReader(body))
}

// sumBy sums a self-metric's samples grouped by one label ("" sums everything into one group).
func sumBy(families map[string]*dto.MetricFamily, name, label string) map[string]float64 {
	out := map[string]float64{}
	mf, ok := families[name]
	if !ok {
		return out
	}
	for _, m := range mf.GetMetric() {
		key := ""
		for _, lp := range m.GetLabel() {
			if lp.GetName() == label {
				key = lp.GetValue()
			}
		}
		switch {
		case m.GetCounter() != nil:
			out[key] += m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			out[key] += m.GetGauge().GetValue()
		}
	}
	return out
}

func total(m map[string]float64) float64 {
	var t float64
	for _, v := range m {
		t += v
	}
	return t
}

func printSummary(w io.Writer, sent *traffic, out outputFiles, self map[string]*dto.MetricFamily) error {
	traces, err := out.traces()
	if err != nil {
		return err
	}
	logs, err := out.logs()
	if err != nil {
		return err
	}
	metrics, err := out.metrics()
	if err != nil {
		return err
	}

	spansOut, keptByRule, tracesOut := 0, map[string]int{}, map[pcommon.TraceID]struct{}{}
	for _, td := range traces {
		spansOut += td.SpanCount()
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, span := range ss.Spans().All() {
					if _, seen := tracesOut[span.TraceID()]; seen {
						continue
					}
					tracesOut[span.TraceID()] = struct{}{}
					rule := "(no sampling.rule attribute)"
					if v, ok := span.Attributes().Get("sampling.rule"); ok {
						rule = v.AsString()
					}
					keptByRule[rule]++
				}
			}
		}
	}
	logsOut, scrubbedLogs := 0, 0
	for _, ld := range logs {
		logsOut += ld.LogRecordCount()
		for _, rl := range ld.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					if v, ok := lr.Attributes().Get("pii.scrubbed"); ok && v.Bool() {
						scrubbedLogs++
					}
				}
			}
		}
	}
	seriesOut := map[string]struct{}{}
	for _, md := range metrics {
		for _, rm := range md.ResourceMetrics().All() {
			for _, sm := range rm.ScopeMetrics().All() {
				for _, m := range sm.Metrics().All() {
					if m.Name() != "http.server.request.count" || m.Type() != pmetric.MetricTypeSum {
						continue
					}
					for _, dp := range m.Sum().DataPoints().All() {
						seriesOut[fmt.Sprint(dp.Attributes().AsRaw())] = struct{}{}
					}
				}
			}
		}
	}

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\n=== otelcol-warden demo: before / after ===")
	fmt.Fprintln(tw, "\tsent by the shop\tleft the collector")
	fmt.Fprintf(tw, "traces\t%d\t%d\t(%.1f%% kept)\n", sent.traces, len(tracesOut), pct(len(tracesOut), sent.traces))
	fmt.Fprintf(tw, "spans\t%d\t%d\t(%.1f%% volume reduction)\n", sent.spans, spansOut, 100-pct(spansOut, sent.spans))
	fmt.Fprintf(tw, "  of which error / slow / synthetic traces\t%d / %d / %d\t\n", sent.errorTraces, sent.slowTraces, sent.syntheticTraces)
	fmt.Fprintf(tw, "log records\t%d\t%d\t(%d marked pii.scrubbed)\n", sent.logs, logsOut, scrubbedLogs)
	fmt.Fprintf(tw, "series of http.server.request.count\t%d\t%d\t\n", len(sent.series), len(seriesOut))
	tw.Flush()

	fmt.Fprintln(w, "\ntraces kept, by the rule that kept them (read from the output's sampling.rule attribute):")
	printCounts(w, keptByRule)

	detections := sumBy(self, "otelcol_processor_pii_scrub_detections", "entity")
	fmt.Fprintf(w, "\npersonal data found by pii_scrub (its own metrics; metrics re-send their attributes every export), %v in all\n  planted by the shop in spans and logs: %v\n", total(detections), sent.piiPlanted)
	printFloatCounts(w, detections)
	leaks, err := leakedEmails(out)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  e-mail addresses of the shop's users still in the output files: %d\n", leaks)

	folded := sumBy(self, "otelcol_processor_cardinality_guard_datapoints_folded", "reason")
	active := sumBy(self, "otelcol_processor_cardinality_guard_series_active", "")
	fmt.Fprintf(w, "\ncardinality_guard: %v series admitted, %v points folded\n", total(active), total(folded))
	printFloatCounts(w, folded)
	if metric, label, demand := topOffender(self); metric != "" {
		fmt.Fprintf(w, "  top offender: label %q of metric %q, about %.0f distinct values\n", label, metric, demand)
	} else if metric, series := topMetric(self); metric != "" {
		fmt.Fprintf(w, "  no label past the detection threshold; most series: metric %q with %.0f\n", metric, series)
	}
	printUsage(w, self)
	return nil
}

// leakedEmails counts the shop's e-mail addresses (all at example.com) that reached an output file.
func leakedEmails(out outputFiles) (int, error) {
	n := 0
	for _, name := range []string{"traces.jsonl", "logs.jsonl", "metrics.jsonl"} {
		b, err := os.ReadFile(filepath.Join(out.dir, name))
		if err != nil && !os.IsNotExist(err) {
			return 0, err
		}
		n += strings.Count(string(b), "@example.com")
	}
	return n, nil
}

func topOffender(self map[string]*dto.MetricFamily) (metric, label string, demand float64) {
	mf, ok := self["otelcol_processor_cardinality_guard_label_demand"]
	if !ok {
		return "", "", 0
	}
	for _, m := range mf.GetMetric() {
		if v := m.GetGauge().GetValue(); v > demand {
			demand = v
			for _, lp := range m.GetLabel() {
				switch lp.GetName() {
				case "metric_name":
					metric = lp.GetValue()
				case "label_key":
					label = lp.GetValue()
				}
			}
		}
	}
	return metric, label, demand
}

// topMetric is the metric with the most admitted series, from the guard's last report.
func topMetric(self map[string]*dto.MetricFamily) (metric string, series float64) {
	for name, v := range sumBy(self, "otelcol_processor_cardinality_guard_top_series", "metric_name") {
		if v > series {
			metric, series = name, v
		}
	}
	return metric, series
}

func pct(part, whole int) float64 {
	if whole == 0 {
		return 0
	}
	return 100 * float64(part) / float64(whole)
}

func printCounts(w io.Writer, counts map[string]int) {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return counts[keys[i]] > counts[keys[j]] })
	for _, k := range keys {
		fmt.Fprintf(w, "  %-32s %d\n", k, counts[k])
	}
}

func printFloatCounts(w io.Writer, counts map[string]float64) {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return counts[keys[i]] > counts[keys[j]] })
	for _, k := range keys {
		fmt.Fprintf(w, "  %-32s %.0f\n", k, counts[k])
	}
}
