package wardenstatus // import "github.com/otelcol-warden/otelcol-warden/extension/wardenstatus"

import (
	"fmt"
	"html/template"
	"sort"
	"time"
)

// The tail section: traces kept and dropped per rule (with the last hour per rule), the learned
// latency baselines per route, and the overload state and buffer.

// tailSnapshot is what the section reads of tail_policy's report (processor/tailpolicy/status.go).
type tailSnapshot struct {
	Rules []struct {
		Rule          string `json:"rule"`
		KeptTraces    uint64 `json:"kept_traces"`
		DroppedTraces uint64 `json:"dropped_traces"`
		KeptSpans     uint64 `json:"kept_spans"`
		DroppedSpans  uint64 `json:"dropped_spans"`
	} `json:"rules"`
	Percentile    float64 `json:"percentile"`
	TrackedRoutes int     `json:"tracked_routes"`
	Baselines     []struct {
		Service    string  `json:"service"`
		Route      string  `json:"route"`
		SpanKind   string  `json:"span_kind"`
		QuantileMS float64 `json:"quantile_ms"`
		Samples    uint64  `json:"samples"`
	} `json:"baselines"`
	Overload struct {
		State       string  `json:"state"`
		Grade       int     `json:"grade"`
		BudgetScale float64 `json:"budget_scale"`
	} `json:"overload"`
	Buffer struct {
		Traces     uint64 `json:"traces"`
		Bytes      uint64 `json:"bytes"`
		LimitBytes uint64 `json:"limit_bytes"`
	} `json:"buffer"`
}

type tailView struct {
	Rules                     []tailRuleView
	KeptTraces, DroppedTraces uint64
	KeptShare                 string
	Percentile                string
	TrackedRoutes             int
	Baselines                 []baselineView
	OverloadState             string
	OverloadClass             string
	BudgetScale               string
	BufferTraces              uint64
	BufferBytes, BufferLimit  uint64
	BufferFill                string
}

type tailRuleView struct {
	Rule                      string
	KeptTraces, DroppedTraces uint64
	KeptSpans, DroppedSpans   uint64
	KeptShare                 string
	Chart                     template.HTML
}

type baselineView struct {
	Service, Route, SpanKind, Quantile string
	Samples                            uint64
}

// tailViewOf builds the view, or nil when the snapshot is not a tail report. Rules that never
// decided a trace (the reserved overload rules on a calm day) are left out.
func tailViewOf(snapshot any, owner seriesOwner, past []collection) any {
	snap, ok := decodeAs[tailSnapshot](snapshot)
	if !ok || snap.Rules == nil {
		return nil
	}
	since := pastHour(past)
	v := &tailView{
		Percentile: fmt.Sprintf("p%g", snap.Percentile*100), TrackedRoutes: snap.TrackedRoutes,
		OverloadState: snap.Overload.State, OverloadClass: overloadClass(snap.Overload.Grade),
		BudgetScale:  fmt.Sprintf("%.2f", snap.Overload.BudgetScale),
		BufferTraces: snap.Buffer.Traces, BufferBytes: snap.Buffer.Bytes, BufferLimit: snap.Buffer.LimitBytes,
		BufferFill: share(snap.Buffer.Bytes, snap.Buffer.LimitBytes),
	}
	for _, r := range snap.Rules {
		if r.KeptTraces+r.DroppedTraces == 0 {
			continue
		}
		v.KeptTraces += r.KeptTraces
		v.DroppedTraces += r.DroppedTraces
		kept := perInterval(past, seriesKey{owner, "kept/" + r.Rule}, since)
		dropped := perInterval(past, seriesKey{owner, "dropped/" + r.Rule}, since)
		v.Rules = append(v.Rules, tailRuleView{
			Rule: r.Rule, KeptTraces: r.KeptTraces, DroppedTraces: r.DroppedTraces,
			KeptSpans: r.KeptSpans, DroppedSpans: r.DroppedSpans,
			KeptShare: share(r.KeptTraces, r.KeptTraces+r.DroppedTraces),
			Chart:     sparkline(r.Rule+": traces kept and dropped per interval, last hour", sparkSeries{"out", kept}, sparkSeries{"removed", dropped}),
		})
	}
	v.KeptShare = share(v.KeptTraces, v.KeptTraces+v.DroppedTraces)
	for _, b := range snap.Baselines {
		v.Baselines = append(v.Baselines, baselineView{Service: b.Service, Route: b.Route, SpanKind: b.SpanKind,
			Quantile: fmt.Sprintf("%.1f ms", b.QuantileMS), Samples: b.Samples})
	}
	sort.SliceStable(v.Baselines, func(i, j int) bool {
		if v.Baselines[i].Service != v.Baselines[j].Service {
			return v.Baselines[i].Service < v.Baselines[j].Service
		}
		return v.Baselines[i].Route < v.Baselines[j].Route
	})
	return v
}

func overloadClass(grade int) string {
	switch grade {
	case 0:
		return "ok"
	case 1:
		return "warn"
	default:
		return "bad"
	}
}

// share is part/whole as a percentage with one decimal ("–" when whole is 0).
func share(part, whole uint64) string {
	if whole == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", float64(part)*100/float64(whole))
}

// pastHour is where the charts start: an hour before the newest entry.
func pastHour(entries []collection) time.Time {
	if len(entries) == 0 {
		return time.Time{}
	}
	return entries[len(entries)-1].At.Add(-time.Hour)
}
