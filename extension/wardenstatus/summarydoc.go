package wardenstatus // import "github.com/otelcol-warden/otelcol-warden/extension/wardenstatus"

import (
	"context"
	"sort"
	"time"
)

// summaryDoc is the data of /api/v1/summary; the page renders the same value.
type summaryDoc struct {
	StartedAt               time.Time      `json:"started_at"`
	UptimeSeconds           int64          `json:"uptime_seconds"`
	SnapshotIntervalSeconds int64          `json:"snapshot_interval_seconds"`
	SelfMetrics             string         `json:"self_metrics"` // "ok", "unavailable" or "disabled"
	Pipelines               []pipelineDoc  `json:"pipelines"`
	Components              []componentDoc `json:"components"`
}

type componentDoc struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind"`
	Health      string     `json:"health"`
	HealthSince *time.Time `json:"health_since,omitempty"`
	// Sources: "self_metrics" (the collector's own otelcol_* counters), "provider" (the component's
	// registered summary); empty when nothing reports on the component.
	Sources  []string  `json:"sources"`
	Lifetime windowDoc `json:"lifetime"`
	Last5m   windowDoc `json:"last_5m"`
	Last60m  windowDoc `json:"last_60m"`
}

func (e *statusExtension) buildSummary(ctx context.Context, now time.Time) summaryDoc {
	cur := e.collect(ctx, now)
	graph := e.graph.get()
	entries := e.history.all()
	doc := summaryDoc{
		StartedAt:               e.started.UTC(),
		UptimeSeconds:           int64(now.Sub(e.started).Seconds()),
		SnapshotIntervalSeconds: int64(e.cfg.SnapshotInterval.Seconds()),
		SelfMetrics:             "disabled",
		Pipelines:               graph.Pipelines,
		Components:              []componentDoc{},
	}
	if doc.Pipelines == nil {
		doc.Pipelines = []pipelineDoc{}
	}
	if e.cfg.SelfMetrics.Enabled {
		doc.SelfMetrics = "unavailable"
		if cur.selfSeen {
			doc.SelfMetrics = "ok"
		}
	}
	p5, _ := at(entries, now.Add(-5*time.Minute))
	p60, _ := at(entries, now.Add(-60*time.Minute))
	for _, key := range componentOrder(graph, cur) {
		t := cur.Totals[key]
		c := componentDoc{ID: key.id, Kind: key.kind, Health: "unknown", Sources: []string{}}
		if h, ok := e.health.of(key); ok {
			c.Health = h.Status
			since := h.Since.UTC()
			c.HealthSince = &since
		}
		if t != nil && t.FromSelfMetrics {
			c.Sources = append(c.Sources, "self_metrics")
		}
		if t != nil && t.FromProvider {
			c.Sources = append(c.Sources, "provider")
		}
		c.Lifetime = window(t, nil, doc.UptimeSeconds)
		c.Last5m = window(t, p5.Totals[key], windowSeconds(now, p5.At, e.started))
		c.Last60m = window(t, p60.Totals[key], windowSeconds(now, p60.At, e.started))
		doc.Components = append(doc.Components, c)
	}
	return doc
}

// windowSeconds is the length a window really covers: from the history entry it starts at
// (or from start-up when there is none yet) to now.
func windowSeconds(now, from, started time.Time) int64 {
	if from.IsZero() {
		from = started
	}
	return int64(now.Sub(from).Seconds())
}

// componentOrder: configured components in pipeline order, then any others that report (sorted).
func componentOrder(graph pipelineGraph, cur collection) []componentKey {
	keys := graph.components()
	seen := map[componentKey]bool{}
	for _, k := range keys {
		seen[k] = true
	}
	var extra []componentKey
	for k := range cur.Totals {
		if !seen[k] {
			extra = append(extra, k)
		}
	}
	sort.Slice(extra, func(i, j int) bool {
		if extra[i].kind != extra[j].kind {
			return extra[i].kind < extra[j].kind
		}
		return extra[i].id < extra[j].id
	})
	return append(keys, extra...)
}

// historyDoc is the data of /api/v1/history: per component, what happened in each snapshot
// interval (deltas between consecutive snapshots, the last one up to now).
type historyDoc struct {
	IntervalSeconds int64       `json:"interval_seconds"`
	Series          []seriesDoc `json:"series"`
	At              []int64     `json:"at"` // Unix seconds at the end of each interval
}

type seriesDoc struct {
	ID           string   `json:"id"`
	Kind         string   `json:"kind"`
	InItems      []uint64 `json:"in_items"`
	OutItems     []uint64 `json:"out_items"`
	RemovedItems []uint64 `json:"removed_items"`
	InBytes      []uint64 `json:"in_bytes"`
	OutBytes     []uint64 `json:"out_bytes"`
}

func (e *statusExtension) buildHistory(ctx context.Context, now, since time.Time) historyDoc {
	entries := append(e.history.all(), e.collect(ctx, now))
	graph := e.graph.get()
	doc := historyDoc{IntervalSeconds: int64(e.cfg.SnapshotInterval.Seconds()), Series: []seriesDoc{}, At: []int64{}}
	first := 1
	for first < len(entries) && entries[first].At.Before(since) {
		first++
	}
	for i := first; i < len(entries); i++ {
		doc.At = append(doc.At, entries[i].At.Unix())
	}
	for _, key := range componentOrder(graph, entries[len(entries)-1]) {
		s := seriesDoc{ID: key.id, Kind: key.kind}
		for i := first; i < len(entries); i++ {
			w := window(entries[i].Totals[key], entries[i-1].Totals[key], 0)
			var removed uint64
			for _, r := range w.Removed {
				removed += r.Items
			}
			s.InItems = append(s.InItems, w.In.Items)
			s.OutItems = append(s.OutItems, w.Out.Items)
			s.RemovedItems = append(s.RemovedItems, removed)
			s.InBytes = append(s.InBytes, w.In.Bytes)
			s.OutBytes = append(s.OutBytes, w.Out.Bytes)
		}
		doc.Series = append(doc.Series, s)
	}
	return doc
}
