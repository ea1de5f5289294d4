package main

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	dto "github.com/prometheus/client_model/go"
)

// shopNamespace is the Kubernetes namespace, and so the usage_meter team, of each shop service:
// three teams, so that the summary can show usage and savings per team.
func shopNamespace(svc string) string {
	switch svc {
	case "checkout", "payment":
		return "payments"
	case "auth", "accounts":
		return "identity"
	default:
		return "storefront"
	}
}

// usageKey is one team and signal.
type usageKey struct{ team, signal string }

// usageBy sums a usage_meter counter by team and signal for one stage.
func usageBy(self map[string]*dto.MetricFamily, name, stage string) map[usageKey]float64 {
	out := map[usageKey]float64{}
	mf, ok := self[name]
	if !ok {
		return out
	}
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, lp := range m.GetLabel() {
			labels[lp.GetName()] = lp.GetValue()
		}
		if labels["stage"] != stage {
			continue
		}
		v := m.GetCounter().GetValue()
		if m.GetGauge() != nil {
			v = m.GetGauge().GetValue()
		}
		out[usageKey{labels["team"], labels["signal"]}] += v
	}
	return out
}

// printUsage shows, per team and signal, what reached usage_meter/received and what left through
// usage_meter/exported (records and OTLP bytes), the saving, and the estimated monthly cost at
// the list prices of configs/local.yaml.
func printUsage(w io.Writer, self map[string]*dto.MetricFamily) {
	const records, bytes = "otelcol_processor_usage_meter_records", "otelcol_processor_usage_meter_bytes"
	inRec, outRec := usageBy(self, records, "received"), usageBy(self, records, "exported")
	inBytes, outBytes := usageBy(self, bytes, "received"), usageBy(self, bytes, "exported")
	cost := usageBy(self, "otelcol_processor_usage_meter_estimated_monthly_cost", "exported")
	if len(inRec) == 0 {
		fmt.Fprintln(w, "\nusage_meter: no usage metrics found (is usage_meter in the pipelines?)")
		return
	}
	keys := make([]usageKey, 0, len(inRec))
	for k := range inRec {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].team != keys[j].team {
			return keys[i].team < keys[j].team
		}
		return keys[i].signal < keys[j].signal
	})
	fmt.Fprintln(w, "\nusage per team (usage_meter/received -> usage_meter/exported; OTLP bytes, uncompressed):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "team\tsignal\trecords in\trecords out\tbytes in\tbytes out\tsaved\test. cost/month (exported)\t")
	for _, k := range keys {
		saved := 0.0
		if inBytes[k] > 0 {
			saved = 100 * (1 - outBytes[k]/inBytes[k])
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.0f\t%s\t%s\t%.1f%%\t%.2f USD\t\n", k.team, k.signal, inRec[k], outRec[k],
			humanBytes(inBytes[k]), humanBytes(outBytes[k]), saved, cost[k])
	}
	tw.Flush()
}

func humanBytes(n float64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f GB", n/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.2f MB", n/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", n/1e3)
	}
	return fmt.Sprintf("%.0f B", n)
}
