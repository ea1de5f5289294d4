// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"context"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/sampling"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"
)

// firstMatch returns the index of the first rule the trace satisfies; the last
// rule is a catch-all (enforced by Validate).
func (s *shard) firstMatch(ts *traceState, now time.Time) int {
	rules := s.eng.rules.rules
	for i := range rules {
		r := &rules[i]
		if ts.bits&r.spanMask != r.spanMask {
			continue
		}
		if len(r.routes) > 0 && !routeMatches(ts.route, r.routes) {
			continue
		}
		if r.latencyOver > 0 && ts.duration() <= r.latencyOver {
			continue
		}
		if r.slowerThanBaseline {
			limit := s.eng.cfg.Baseline.StaticFallback
			if ts.hasRoot {
				limit, _ = s.eng.baseline.threshold(ts.rootKey, now)
			}
			if ts.duration() <= limit {
				continue
			}
		}
		return i
	}
	return len(rules) - 1
}

// ruleThreshold is the rule's threshold, scaled down by the throughput budget
// and by the trace's team budget for probabilistic rules. The scaled
// thresholds are cached per team slot (slot 0: no team budget).
func (s *shard) ruleThreshold(idx int, team int32) sampling.Threshold {
	r := &s.eng.rules.rules[idx]
	if !r.probabilistic() {
		return r.threshold
	}
	scale := s.eng.budgetScale() * s.eng.teamScale(team)
	if scale >= 1 {
		return r.threshold
	}
	slot := team + 1
	scaled := s.scaled[slot]
	if scale != s.scaleFor[slot] {
		s.scaleFor[slot] = scale
		clear(scaled)
	}
	if scaled[idx] == (sampling.Threshold{}) {
		p := max(r.probability*scale, sampling.MinSamplingProbability)
		th, err := sampling.ProbabilityToThresholdWithPrecision(p, thresholdPrecision)
		if err != nil {
			return r.threshold
		}
		scaled[idx] = th
	}
	return scaled[idx]
}

// decide applies rule idx to the trace, records the decision for late spans
// and releases the trace's memory.
func (s *shard) decide(ts *traceState, idx int, trg trigger, now time.Time) {
	th, keep := s.verdict(ts, idx)
	s.remove(ts)
	s.walDecided(ts, idx, keep, th, now)
	defer s.releaseScopes(ts)
	s.recordDecision(ts, idx, keep, trg, now)
	if !keep {
		if s.eng.retain != nil {
			s.retainDropped(ts, trg)
		}
		// Chunks and pending records are released as they are.
		ts.pendingSpans = 0
		s.cache.dropped.add(ts.id, now)
		for _, ref := range ts.spans {
			s.release(ref)
		}
		return
	}
	s.cache.kept.Add(ts.id, keptDecision{threshold: th, rule: uint16(idx)})
	s.eng.countKept(idx, len(ts.spanIDs), ts.team)
	s.keepTrace(ts, th, idx)
}

// verdict is the threshold rule idx gives the trace (never below its strictest
// incoming one) and whether the trace's randomness passes it.
func (s *shard) verdict(ts *traceState, idx int) (sampling.Threshold, bool) {
	if s.eng.rules.rules[idx].probability == 0 {
		return sampling.Threshold{}, false
	}
	th := s.ruleThreshold(idx, ts.team)
	if sampling.ThresholdGreater(ts.inThreshold, th) {
		th = ts.inThreshold
	}
	return th, th.ShouldSample(ts.randomness)
}

// recordDecision updates the decision metrics.
func (s *shard) recordDecision(ts *traceState, idx int, keep bool, trg trigger, now time.Time) {
	tb := s.eng.tel.tb
	ctx := context.Background()
	switch trg {
	case triggerRootSpan, triggerTraceTimeout:
		tb.ProcessorTailPolicyDecisionLag.Record(ctx, now.Sub(ts.deadline).Milliseconds())
	case triggerEviction:
		tb.ProcessorTailPolicyEvictions.Add(ctx, 1)
	}
	tb.ProcessorTailPolicyTraceTimeInBuffer.Record(ctx, now.Sub(ts.firstSeen).Milliseconds())
	s.eng.tel.decided(idx, keep, trg, len(ts.spanIDs))
}

// keepTrace moves or decodes every buffered span of a kept trace into the
// output, once per span id.
func (s *shard) keepTrace(ts *traceState, th sampling.Threshold, idx int) {
	var seen map[pcommon.SpanID]struct{}
	if dups := duplicateSpans(ts.spanIDs); dups > 0 {
		s.eng.tel.badInput(badDuplicateSpan, dups)
		seen = make(map[pcommon.SpanID]struct{}, len(ts.spanIDs))
	}
	for _, ref := range ts.spans {
		if seen != nil {
			id := ref.span.SpanID()
			if _, dup := seen[id]; dup {
				s.release(ref)
				continue
			}
			seen[id] = struct{}{}
		}
		s.keep(ref, th, idx)
	}
	for _, chunk := range ts.chunks {
		s.keepChunk(ts, chunk, th, idx, seen)
	}
	if ts.pendingSpans > 0 {
		// Decided in the middle of its batch: its records are still in enc.
		for _, rec := range s.recs {
			if rec.ts == ts {
				s.keepChunk(ts, s.enc[rec.off:rec.end], th, idx, seen)
			}
		}
		ts.pendingSpans = 0
	}
}

// keepChunk decodes the records of a kept trace into the output, stamped with
// the rule and threshold, without the duplicates of seen (when non-nil).
func (s *shard) keepChunk(ts *traceState, chunk []byte, th sampling.Threshold, idx int, seen map[pcommon.SpanID]struct{}) {
	s.decodeChunk(ts, chunk, &s.out, seen, s.eng.ruleNames[idx], th)
}

// decodeChunk decodes the records of a trace into out, without the
// duplicates of seen (when non-nil), stamped with rule and th unless rule is
// empty (retained dropped spans stay as they came).
func (s *shard) decodeChunk(ts *traceState, chunk []byte, out *outputBatch, seen map[pcommon.SpanID]struct{}, rule string, th sampling.Threshold) {
	r := newSpanReader(s.codec, chunk)
	for {
		id, si, ok := r.next()
		if !ok {
			break
		}
		if si >= len(ts.scopes) {
			r.err = errCorrupt
			break
		}
		if seen != nil {
			if _, dup := seen[id]; dup {
				// Read past it (rare).
				if r.readSpan(id, ts.id, ptrace.NewSpan()) != nil {
					break
				}
				continue
			}
			seen[id] = struct{}{}
		}
		dst := out.spanSlot(ts.scopes[si].src)
		if r.readSpan(id, ts.id, dst) != nil {
			break
		}
		if rule != "" {
			dst.Attributes().PutStr(samplingRuleAttribute, rule)
			s.stampThreshold(dst, th)
		}
	}
	if r.err != nil {
		// Cannot happen for bytes this shard wrote; never silently.
		s.eng.logger.Error("tail_policy: a buffered chunk does not decode; its remaining spans are lost", zap.Error(r.err))
	}
}

// decideStateless handles a span of an unbuffered trace under memory pressure:
// error spans are kept, the others kept iff the trace's randomness passes the
// overload threshold, so all spans of a trace (and all replicas) agree.
func (s *shard) decideStateless(ref spanRef, now time.Time) {
	eng := s.eng
	span := ref.span
	th := eng.overloadThreshold
	rnd := sampling.TraceIDToRandomness(span.TraceID())
	if raw := span.TraceState().AsRaw(); raw != "" {
		if w3c, err := sampling.NewW3CTraceState(raw); err == nil {
			if r, ok := w3c.OTelValue().RValueRandomness(); ok {
				rnd = r
			}
		}
	}
	idx := eng.ruleOverload
	keep := eng.overloadProbability > 0 && th.ShouldSample(rnd)
	if eng.rules.isError(span, span.Attributes()) {
		idx, th, keep = eng.ruleOverloadError, sampling.AlwaysSampleThreshold, true
	}
	eng.tel.spansDecided(idx, keep, 1)
	s.walLogDecision(span.TraceID(), idx, keep, th, now)
	if keep {
		s.walKeptSpan()
		s.keep(ref, th, idx)
	} else {
		s.release(ref)
	}
}
