// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter // import "github.com/otelcol-warden/otelcol-warden/processor/usagemeter"

import (
	"context"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
)

// tracesMeter counts spans. A traces budget is measured (utilization, throttled) but never
// enforced: dropping spans here would break traces; the gateway's tail_policy is where a team's
// trace volume can be scaled down coherently.
type tracesMeter struct {
	*instance
	next  consumer.Traces
	sizer ptrace.ProtoMarshaler
}

func newTracesMeter(set processor.Settings, cfg *Config, next consumer.Traces) (*tracesMeter, error) {
	in, err := newInstance(set, cfg, signalTraces)
	if err != nil {
		return nil, err
	}
	return &tracesMeter{instance: in, next: next}, nil
}

func (p *tracesMeter) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	var tl tally
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		t := p.teamOf(rs.Resource().Attributes(), &tl)
		size := framed(p.sizer.ResourceSpansSize(rs))
		if b := t.budgets[signalTraces]; b != nil {
			b.charge(p.m.now(), int(size))
		}
		spans := 0
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans += sss.At(j).Spans().Len()
		}
		tl.add(t, int64(spans), size)
	}
	p.flush(ctx, &tl)
	return p.next.ConsumeTraces(ctx, td)
}
