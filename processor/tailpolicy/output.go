// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/sampling"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// keep moves a span into the output batch, stamped with the rule and threshold.
func (s *shard) keep(ref spanRef, th sampling.Threshold, idx int) {
	dst := s.out.spanSlot(ref.scope)
	ref.span.MoveTo(dst)
	dst.Attributes().PutStr(samplingRuleAttribute, s.eng.ruleNames[idx])
	s.stampThreshold(dst, th)
}

// release frees a dropped span's content now rather than when the whole request
// it came in is released.
func (s *shard) release(ref spanRef) {
	ref.span.MoveTo(s.scratch)
}

func (s *shard) flush() {
	if s.wal != nil {
		s.walEndRound()
	}
	if s.out.spans == 0 {
		return
	}
	td := s.out.td
	s.out.reset()
	s.emit(td)
}

// outputBatch gathers kept spans of one ingest or expiry round into a single
// request, one ResourceSpans/ScopeSpans per source scope.
type outputBatch struct {
	td        ptrace.Traces
	spans     int
	resources map[*sourceResource]ptrace.ResourceSpans
	scopes    map[*sourceScope]ptrace.SpanSlice
}

func (o *outputBatch) reset() {
	o.td = ptrace.NewTraces()
	o.spans = 0
	if o.resources == nil {
		o.resources = map[*sourceResource]ptrace.ResourceSpans{}
		o.scopes = map[*sourceScope]ptrace.SpanSlice{}
	}
	clear(o.resources)
	clear(o.scopes)
}

func (o *outputBatch) spanSlot(sc *sourceScope) ptrace.Span {
	o.spans++
	slice, ok := o.scopes[sc]
	if !ok {
		rs, ok := o.resources[sc.res]
		if !ok {
			rs = o.td.ResourceSpans().AppendEmpty()
			sc.res.rs.Resource().CopyTo(rs.Resource())
			rs.SetSchemaUrl(sc.res.rs.SchemaUrl())
			o.resources[sc.res] = rs
		}
		ss := rs.ScopeSpans().AppendEmpty()
		sc.ss.Scope().CopyTo(ss.Scope())
		ss.SetSchemaUrl(sc.ss.SchemaUrl())
		slice = ss.Spans()
		o.scopes[sc] = slice
	}
	return slice.AppendEmpty()
}
