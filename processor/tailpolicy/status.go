// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"time"

	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
)

// The warden_status snapshots (kinds "tail" and "summary"). Both read atomics
// the pipeline already updates, and the baseline's bounded snapshot (the
// busiest baseline.metrics_routes armed keys) copied under its lock, so a
// snapshot never waits on a worker.

type tailReport struct {
	Rules         []ruleReport     `json:"rules"`
	Percentile    float64          `json:"percentile"`
	TrackedRoutes int              `json:"tracked_routes"`
	Baselines     []baselineReport `json:"baselines"`
	Overload      overloadReport   `json:"overload"`
	Buffer        bufferReport     `json:"buffer"`
}

type ruleReport struct {
	Rule          string `json:"rule"`
	KeptTraces    int64  `json:"kept_traces"`
	DroppedTraces int64  `json:"dropped_traces"`
	KeptSpans     int64  `json:"kept_spans"`
	DroppedSpans  int64  `json:"dropped_spans"`
}

type baselineReport struct {
	Service    string  `json:"service"`
	Route      string  `json:"route"`
	SpanKind   string  `json:"span_kind"`
	QuantileMS float64 `json:"quantile_ms"`
	Samples    uint64  `json:"samples"`
}

type overloadReport struct {
	State       string  `json:"state"`
	Grade       int32   `json:"grade"` // 0 normal, 1 stateless, 2 refusing
	BudgetScale float64 `json:"budget_scale"`
}

type bufferReport struct {
	Traces     int64 `json:"traces"`
	Bytes      int64 `json:"bytes"`
	LimitBytes int64 `json:"limit_bytes"`
}

// registerStatus registers the providers (retention's only with
// wal.retain_dropped); the returned function removes them.
func (p *tailPolicy) registerStatus(host component.Host) func() {
	undoTail := statusapi.Register(host, p.id, statusapi.KindTail, statusapi.ProviderFunc(func() any { return p.tailReport() }))
	undoSummary := statusapi.Register(host, p.id, statusapi.KindSummary, statusapi.ProviderFunc(func() any { return p.summary() }))
	undoRetention := func() {}
	if p.eng.retain != nil {
		undoRetention = statusapi.Register(host, p.id, statusapi.KindTailRetention, retentionProvider{p})
	}
	return func() { undoTail(); undoSummary(); undoRetention() }
}

// configuredRoutes are the routes the rules name: shown verbatim.
func (e *engine) configuredRoutes() map[string]struct{} {
	m := map[string]struct{}{}
	for _, r := range e.rules.rules {
		for _, route := range r.routes {
			m[route] = struct{}{}
		}
	}
	return m
}

func (p *tailPolicy) tailReport() tailReport {
	tel := p.eng.tel
	rep := tailReport{Percentile: p.cfg.Baseline.Percentile, Rules: make([]ruleReport, len(p.eng.ruleNames))}
	for i, name := range p.eng.ruleNames {
		c := &tel.ruleCounts[i]
		rep.Rules[i] = ruleReport{
			Rule:          name, // configured or reserved: never from the data
			KeptTraces:    c.traces[1].Load(),
			DroppedTraces: c.traces[0].Load(),
			KeptSpans:     c.spans[1].Load(),
			DroppedSpans:  c.spans[0].Load(),
		}
	}
	snap, tracked := p.eng.baseline.summary(p.clock.Now())
	rep.TrackedRoutes = tracked
	rep.Baselines = make([]baselineReport, 0, len(snap))
	for _, s := range snap {
		rep.Baselines = append(rep.Baselines, baselineReport{
			Service:    statusapi.ReportName(s.key.service, nil),
			Route:      statusapi.ReportName(s.key.route, p.routeNames),
			SpanKind:   statusapi.ReportName(s.key.kind, nil),
			QuantileMS: float64(s.quantile) / float64(time.Millisecond),
			Samples:    uint64(s.samples),
		})
	}
	state := p.eng.state.Load()
	rep.Overload = overloadReport{State: overloadState(state).String(), Grade: state, BudgetScale: p.eng.budgetScale()}
	rep.Buffer = bufferReport{Traces: p.bufferedTraces(), Bytes: p.bufferedBytes(), LimitBytes: p.cfg.Memory.LimitBytes}
	return rep
}

// summary: in = spans of accepted requests, out = spans the next consumer
// accepted; removed = dropped spans per deciding rule, late spans of dropped
// traces, spans with an empty trace id, and kept spans lost downstream.
// Buffered spans are in neither out nor removed yet. Bytes are not measured.
func (p *tailPolicy) summary() statusapi.Summary {
	tel := p.eng.tel
	sum := statusapi.Summary{
		In:  statusapi.Volume{Items: uint64(tel.spansIn.Load())},
		Out: statusapi.Volume{Items: uint64(tel.spansOut.Load())},
	}
	add := func(reason string, n int64) {
		if n > 0 {
			sum.Removed = append(sum.Removed, statusapi.Removal{Reason: reason, Items: uint64(n)})
		}
	}
	for i, name := range p.eng.ruleNames {
		add(name, tel.ruleCounts[i].spans[0].Load())
	}
	add("late_dropped", tel.lateCounts[lateDropped].Load())
	add("empty_trace_id", tel.emptyID.Load())
	for i, name := range downstreamReasonNames {
		add("downstream_"+name, tel.lostSpans[i].Load())
	}
	return sum
}
