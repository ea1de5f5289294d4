// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"context"
	"errors"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/sampling"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/retain"
)

// Dropped traces back after an incident: RetainedTrace reads one from
// retention, KeepRetained sends retained traces on through the forwarders
// (the path kept spans take), marked sampling.rule=retroactive with th 0,
// and takes them out of retention. warden_status serves both
// (statusapi.KindTailRetention).

const (
	// ruleRetroactive is the sampling.rule of retroactively kept spans; no
	// configured rule may be called so.
	ruleRetroactive = "retroactive"
	// MaxKeepTraces bounds the traces one KeepRetained by service and time
	// range sends on (the earliest first seen); a trace id is one trace.
	MaxKeepTraces = 100
)

var (
	errNoRetention = errors.New("tail_policy: wal.retain_dropped is off")
	errNotRunning  = errors.New("tail_policy: not running")
)

// RetainedTrace returns the retained spans of a dropped trace; found is false
// when retention is off, or the trace was kept, has expired or was never seen.
func (p *tailPolicy) RetainedTrace(_ context.Context, id pcommon.TraceID) (ptrace.Traces, bool, error) {
	r := p.eng.retain
	if r == nil {
		return ptrace.NewTraces(), false, nil
	}
	td, found, err := r.ring.Get(id)
	if errors.Is(err, retain.ErrCorrupt) {
		p.tb.ProcessorTailPolicyRetainedCorruptions.Add(context.Background(), 1)
	}
	return td, found, err
}

// KeepRetained sends the retained traces req selects on to the next consumer
// and removes each from retention once the next consumer accepted it. A trace
// whose delivery fails stays retained; one whose delivery outlives ctx may be
// delivered and still be retained (at least once, as everywhere in the
// pipeline).
func (p *tailPolicy) KeepRetained(ctx context.Context, req statusapi.KeepRequest) (statusapi.KeepResult, error) {
	var res statusapi.KeepResult
	if err := req.Validate(); err != nil {
		return res, err
	}
	r := p.eng.retain
	if r == nil {
		return res, errNoRetention
	}
	ids := []pcommon.TraceID{req.TraceID}
	if req.TraceID.IsEmpty() {
		sel, err := r.ring.Select(req.Service, req.Start, req.End, MaxKeepTraces)
		if err != nil {
			return res, err
		}
		ids = ids[:0]
		for _, s := range sel {
			ids = append(ids, s.ID)
		}
	}
	for _, id := range ids {
		td, found, err := p.RetainedTrace(ctx, id)
		if err != nil {
			return res, err
		}
		if !found {
			continue
		}
		spans := td.SpanCount()
		p.eng.stampRetroactive(td)
		if err := p.forwardRetained(ctx, id, td); err != nil {
			return res, err
		}
		if _, err := r.ring.Remove(id); err != nil {
			return res, err
		}
		p.tb.ProcessorTailPolicyRetroactiveKeptSpans.Add(ctx, int64(spans))
		res.Traces++
		res.Spans += spans
	}
	return res, nil
}

// stampRetroactive marks every span kept by an operator: th 0 (all of them
// are kept, so each counts as itself; a stricter incoming th stays, as for
// every kept span) and the rule.
func (e *engine) stampRetroactive(td ptrace.Traces) {
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, span := range ss.Spans().All() {
				span.Attributes().PutStr(samplingRuleAttribute, ruleRetroactive)
				e.stampThreshold(span, sampling.AlwaysSampleThreshold)
			}
		}
	}
}

// forwardRetained queues td on the forwarder of the trace's worker and waits
// for the next consumer's answer.
func (p *tailPolicy) forwardRetained(ctx context.Context, id pcommon.TraceID, td ptrace.Traces) error {
	done := make(chan error, 1)
	if err := p.queueForward(ctx, shardIndex(id, len(p.outputs)), fwdBatch{td: td, done: done}); err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// queueForward holds ingest like ConsumeTraces: the outputs stay open until
// Shutdown has taken it, and Shutdown's stop ends the wait for a full queue.
func (p *tailPolicy) queueForward(ctx context.Context, i int, b fwdBatch) error {
	p.ingest.RLock()
	defer p.ingest.RUnlock()
	if p.closed || !p.started.Load() {
		return errNotRunning
	}
	select {
	case p.outputs[i] <- b:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.stop:
		return errNotRunning
	}
}

// forwardRetroactive is the forwarder's part: the next consumer's answer goes
// back to KeepRetained. The spans are not in the summary's out (they were
// counted as removed by their rule); retroactive_kept_spans counts them.
func (p *tailPolicy) forwardRetroactive(b fwdBatch) {
	if p.fwdCtx.Err() != nil {
		b.done <- errNotRunning
		return
	}
	ctx, cancel := context.WithTimeout(p.fwdCtx, p.cfg.ForwardTimeout)
	defer cancel()
	b.done <- p.next.ConsumeTraces(ctx, b.td)
}

// retentionProvider is the KindTailRetention provider: a snapshot of the
// ring's size, and the statusapi.TraceRetention calls.
type retentionProvider struct{ p *tailPolicy }

// retentionReport: OldestAgeSeconds is how far back a dropped trace can be got
// back (0 when nothing is retained), by the ring's clock (the wall clock); an
// age, not a time, because the status API hashes strings that look like
// timestamps.
type retentionReport struct {
	Traces           int     `json:"traces"`
	Bytes            int64   `json:"bytes"`
	LimitBytes       int64   `json:"limit_bytes"`
	MaxAgeSeconds    float64 `json:"max_age_seconds"`
	OldestAgeSeconds float64 `json:"oldest_age_seconds"`
	MaxKeepTraces    int     `json:"max_keep_traces"`
}

func (rp retentionProvider) StatusSnapshot() any {
	st := rp.p.eng.retain.ring.Stats()
	cfg := rp.p.cfg.WAL.RetainDropped
	report := retentionReport{
		Traces: st.Traces, Bytes: st.Bytes, LimitBytes: cfg.MaxBytes,
		MaxAgeSeconds: cfg.MaxAge.Seconds(), MaxKeepTraces: MaxKeepTraces,
	}
	if !st.Oldest.IsZero() {
		report.OldestAgeSeconds = max(time.Since(st.Oldest), 0).Round(time.Second).Seconds()
	}
	return report
}

func (rp retentionProvider) RetainedTrace(ctx context.Context, id pcommon.TraceID) (ptrace.Traces, bool, error) {
	return rp.p.RetainedTrace(ctx, id)
}

func (rp retentionProvider) KeepRetained(ctx context.Context, req statusapi.KeepRequest) (statusapi.KeepResult, error) {
	return rp.p.KeepRetained(ctx, req)
}

var (
	_ statusapi.TraceRetention = retentionProvider{}
	_ statusapi.Provider       = retentionProvider{}
)
