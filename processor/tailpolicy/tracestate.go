// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"strings"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/sampling"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func (s *shard) readTraceState(ts *traceState, raw string) {
	w3c, err := sampling.NewW3CTraceState(raw)
	if err != nil {
		s.eng.tel.badInput(badUnparseableTracestate, 1)
		return
	}
	ot := w3c.OTelValue()
	if th, ok := ot.TValueThreshold(); ok && ot.TValue() != "" && sampling.ThresholdGreater(th, ts.inThreshold) {
		ts.inThreshold = th
	}
	if rnd, ok := ot.RValueRandomness(); ok {
		ts.randomness = rnd
	}
}

const samplingRuleAttribute = "sampling.rule"

// stampThreshold writes `ot=th:<T>` into the span's tracestate, keeping other
// vendors' entries and never lowering a stricter incoming threshold.
func (s *shard) stampThreshold(span ptrace.Span, th sampling.Threshold) {
	s.eng.stampThreshold(span, th)
}

// stampThreshold is shard.stampThreshold for callers outside the workers
// (retroactive keeps): it reads only what the workers never write.
func (e *engine) stampThreshold(span ptrace.Span, th sampling.Threshold) {
	ts := span.TraceState()
	raw := ts.AsRaw()
	var w3c sampling.W3CTraceState
	var err error
	if raw != "" {
		w3c, err = sampling.NewW3CTraceState(raw)
		if err != nil {
			// Unusable downstream too (W3C lets a participant discard an invalid
			// tracestate): replaced, so that the span still carries its th.
			e.tel.badInput(badUnparseableTracestate, 1)
		}
	}
	if raw == "" || err != nil {
		tv, ok := e.tvalues[th]
		if !ok {
			tv = "ot=th:" + th.TValue() // not memoised: th may come from a client
		}
		ts.FromRaw(tv)
		return
	}
	if err := w3c.OTelValue().UpdateTValueWithSampling(th); err != nil {
		// The span already carries a stricter threshold: it stays.
		return
	}
	var b strings.Builder
	if err := w3c.Serialize(&b); err == nil {
		ts.FromRaw(b.String())
	}
}
