package wardenstatus // import "github.com/otelcol-warden/otelcol-warden/extension/wardenstatus"

import (
	"context"
	"math"
	"sort"
	"time"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
)

// totals are a component's lifetime counters at one moment.
type totals struct {
	InItems, InBytes, OutItems, OutBytes uint64
	Removed                              map[string]statusapi.Removal
	FromSelfMetrics, FromProvider        bool
}

// collection is every component's totals at one moment.
type collection struct {
	At       time.Time
	Totals   map[componentKey]*totals
	Counters map[seriesKey]uint64 // the report counters the tail and pii charts draw
	SelfErr  string
	selfSeen bool
}

// collect reads the own metrics and the summary providers and merges them per component: item
// counts from the own metrics when they have the component (the figures Prometheus sees), else
// from the provider; bytes and reasons for removal from the provider.
func (e *statusExtension) collect(ctx context.Context, now time.Time) collection {
	c := collection{At: now, Totals: map[componentKey]*totals{}, Counters: e.reportCounters()}
	graph := e.graph.get()
	get := func(key componentKey) *totals {
		t := c.Totals[key]
		if t == nil {
			t = &totals{Removed: map[string]statusapi.Removal{}}
			c.Totals[key] = t
		}
		return t
	}
	if e.cfg.SelfMetrics.Enabled {
		endpoint := e.cfg.SelfMetrics.Endpoint
		if endpoint == "" {
			endpoint = graph.telemetryEndpoint
		}
		self, err := e.self.read(ctx, endpoint, now)
		if err != nil {
			c.SelfErr = "own metrics unavailable"
		}
		c.selfSeen = err == nil
		for key, sc := range self {
			t := get(key)
			t.InItems, t.OutItems, t.FromSelfMetrics = sc.in, sc.out, true
			for reason, n := range sc.removed {
				if n > 0 {
					t.Removed[reason] = statusapi.Removal{Reason: reason, Items: n}
				}
			}
		}
	}
	for _, reg := range e.registry.of(statusapi.KindSummary) {
		s, ok := summaryOf(reg.provider)
		if !ok {
			continue
		}
		key := componentKey{kind: graph.kindOf(reg.id.String()), id: reg.id.String()}
		if key.kind == "" {
			key.kind = "processor"
		}
		t := get(key)
		if !t.FromSelfMetrics {
			t.InItems += s.In.Items
			t.OutItems += s.Out.Items
		}
		t.InBytes += s.In.Bytes
		t.OutBytes += s.Out.Bytes
		t.FromProvider = true
		for _, r := range s.Removed {
			reason := redactString(r.Reason)
			acc := t.Removed[reason]
			acc.Reason = reason
			acc.Items += r.Items
			acc.Bytes += r.Bytes
			t.Removed[reason] = acc
		}
	}
	return c
}

// summaryOf calls a summary provider, surviving a panic and a snapshot of the wrong type.
func summaryOf(p statusapi.Provider) (s statusapi.Summary, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	switch v := p.StatusSnapshot().(type) {
	case statusapi.Summary:
		return v, true
	case *statusapi.Summary:
		if v != nil {
			return *v, true
		}
	}
	return statusapi.Summary{}, false
}

// windowDoc is what a component did over one window (lifetime, last 5 or 60 minutes).
type windowDoc struct {
	Seconds int64        `json:"seconds"`
	In      volumeDoc    `json:"in"`
	Out     volumeDoc    `json:"out"`
	Removed []removalDoc `json:"removed"`
	// ReductionRatio is 1 - out/in in items (0 when nothing came in): the share the component
	// did not pass on.
	ReductionRatio float64 `json:"reduction_ratio"`
}

type volumeDoc struct {
	Items uint64 `json:"items"`
	Bytes uint64 `json:"bytes"`
}

type removalDoc struct {
	Reason string `json:"reason"`
	Items  uint64 `json:"items"`
	Bytes  uint64 `json:"bytes"`
}

// window is now minus past (counters that went backwards, a restarted provider, count from 0).
func window(now, past *totals, seconds int64) windowDoc {
	if now == nil {
		now = &totals{}
	}
	if past == nil {
		past = &totals{}
	}
	w := windowDoc{
		Seconds: seconds,
		In:      volumeDoc{Items: sub(now.InItems, past.InItems), Bytes: sub(now.InBytes, past.InBytes)},
		Out:     volumeDoc{Items: sub(now.OutItems, past.OutItems), Bytes: sub(now.OutBytes, past.OutBytes)},
		Removed: []removalDoc{},
	}
	for reason, r := range now.Removed {
		p := past.Removed[reason]
		w.Removed = append(w.Removed, removalDoc{Reason: reason, Items: sub(r.Items, p.Items), Bytes: sub(r.Bytes, p.Bytes)})
	}
	sort.Slice(w.Removed, func(i, j int) bool {
		if w.Removed[i].Items != w.Removed[j].Items {
			return w.Removed[i].Items > w.Removed[j].Items
		}
		return w.Removed[i].Reason < w.Removed[j].Reason
	})
	if w.In.Items > 0 && w.Out.Items <= w.In.Items {
		w.ReductionRatio = math.Round((1-float64(w.Out.Items)/float64(w.In.Items))*1e4) / 1e4
	}
	return w
}

func sub(a, b uint64) uint64 {
	if a < b {
		return a
	}
	return a - b
}
