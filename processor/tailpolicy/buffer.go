// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"container/heap"
	"math"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/sampling"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// sourceResource and sourceScope point into an incoming request. Buffered spans
// stay where the receiver put them (the processor declares MutatesData, so it
// owns them): only a 24-byte reference per span is added, and spans are moved,
// not copied, into the output once kept.
type sourceResource struct {
	rs        ptrace.ResourceSpans
	service   string
	synthetic bool
	team      int32 // index in engine.teams, or noTeam
}

type sourceScope struct {
	res *sourceResource
	ss  ptrace.ScopeSpans
}

type spanRef struct {
	scope *sourceScope
	span  ptrace.Span
}

// traceState is everything a decision needs, accumulated span by span.
type traceState struct {
	id pcommon.TraceID
	// spans are references into the received requests (no copy): the fast path.
	spans []spanRef
	// resources are the distinct requests' resources spans points into, each
	// charged once per shard while any buffered trace references it.
	resources []*sourceResource
	// chunks hold spans in the compact encoding (codec.go), one per ingest
	// batch, once the shard is at memory.compact_percent: a fraction of the
	// heap of pdata, released at once when dropped, decoded only when kept.
	chunks [][]byte
	// scopes are the interned resource+scope pairs the chunks' spans index.
	scopes []*internScope
	// The current batch's records of this trace (see shard.seal).
	pendingSpans int32
	pendingSlot  int32
	pendingLen   int
	// spanIDs of every buffered span, for the span count and duplicate removal.
	spanIDs   []pcommon.SpanID
	firstSeen time.Time
	deadline  time.Time
	trigger   trigger
	heapIndex int
	walSeg    int // segment of the log its first span is in (walround.go)
	bytes     int64
	bits      uint64

	hasRoot      bool
	rootKey      baselineKey
	rootDuration time.Duration
	route        string
	minStart     pcommon.Timestamp
	maxEnd       pcommon.Timestamp

	// inThreshold is the strictest incoming `th` of the trace's spans; a decision
	// never writes a lower one.
	inThreshold sampling.Threshold
	randomness  sampling.Randomness

	// team is the budgeted team of the root span's resource (else of the
	// first span's), or noTeam.
	team int32

	prev, next *traceState // arrival order, oldest first
}

func (ts *traceState) duration() time.Duration {
	if ts.hasRoot {
		return ts.rootDuration
	}
	if ts.maxEnd > ts.minStart {
		return time.Duration(ts.maxEnd - ts.minStart)
	}
	return 0
}

func (s *shard) newTrace(id pcommon.TraceID, now time.Time) *traceState {
	ts := &traceState{
		id:          id,
		firstSeen:   now,
		deadline:    now.Add(s.eng.cfg.TraceTimeout),
		trigger:     triggerTraceTimeout,
		randomness:  sampling.TraceIDToRandomness(id),
		inThreshold: sampling.AlwaysSampleThreshold,
		minStart:    math.MaxUint64,
		team:        noTeam,
	}
	s.traces[id] = ts
	s.walTraceStarted(ts)
	heap.Push(&s.queue, ts)
	if s.newest == nil {
		s.oldest, s.newest = ts, ts
	} else {
		ts.prev, s.newest.next, s.newest = s.newest, ts, ts
	}
	s.traceCount.Add(1)
	return ts
}

// add appends one span to its trace and updates everything decisions read.
func (s *shard) add(ts *traceState, ref spanRef, isRoot, compact bool, now time.Time) {
	span := ref.span
	if len(ts.spanIDs) == 0 || (isRoot && !ts.hasRoot) {
		ts.team = ref.scope.res.team
	}
	ts.spanIDs = append(ts.spanIDs, span.SpanID())
	if !compact {
		s.chargeReferenced(ts, ref)
	}
	s.observeTiming(ts, span, now)
	if raw := span.TraceState().AsRaw(); raw != "" {
		s.readTraceState(ts, raw)
	}
	if isRoot && !ts.hasRoot {
		s.observeRootSpan(ts, ref, now)
	} else if ts.route == "" {
		ts.route = routeOf(span.Attributes())
	}

	bits := s.eng.rules.classifySpan(ref.scope.res, ref.scope.ss, span, isRoot)
	if compact {
		s.stage(ts, ref)
	} else {
		ts.spans = append(ts.spans, ref)
	}
	s.decideIfSettled(ts, bits, now)
}

// chargeReferenced counts a span kept as a reference into its request
// (compact spans count their encoded size in stage).
func (s *shard) chargeReferenced(ts *traceState, ref spanRef) {
	size := estimateSpanBytes(ref.span)
	ts.bytes += size
	s.bytes.Add(size)
	if n := len(ts.resources); n == 0 || ts.resources[n-1] != ref.scope.res {
		s.chargeResource(ts, ref.scope.res)
	}
}

// observeTiming widens the trace's time span and counts bad timestamps.
func (s *shard) observeTiming(ts *traceState, span ptrace.Span, now time.Time) {
	tel := s.eng.tel
	start, end := span.StartTimestamp(), span.EndTimestamp()
	if end < start {
		tel.badInput(badEndBeforeStart, 1)
	} else {
		ts.minStart = min(ts.minStart, start)
		ts.maxEnd = max(ts.maxEnd, end)
	}
	if end.AsTime().Sub(now) > s.eng.cfg.MaxClockSkew {
		tel.badInput(badClockSkew, 1)
	}
}

// observeRootSpan records the root's key, route and duration, and moves the
// trace's deadline to decision_delay from now if that is earlier.
func (s *shard) observeRootSpan(ts *traceState, ref spanRef, now time.Time) {
	ts.hasRoot = true
	ts.rootKey = rootKeyOf(ref)
	ts.route = ts.rootKey.route
	if start, end := ref.span.StartTimestamp(), ref.span.EndTimestamp(); end >= start {
		ts.rootDuration = time.Duration(end - start)
	}
	if d := now.Add(s.eng.cfg.DecisionDelay); d.Before(ts.deadline) {
		ts.deadline, ts.trigger = d, triggerRootSpan
		heap.Fix(&s.queue, ts.heapIndex)
	}
}

// decideIfSettled decides at once when the span's bits settle the decision
// (early keep) or the trace reached span_limit.
func (s *shard) decideIfSettled(ts *traceState, bits uint64, now time.Time) {
	eng := s.eng
	if bits&^ts.bits != 0 {
		ts.bits |= bits
		if idx, ok := eng.rules.earlyKeepMatch(ts.bits); ok {
			s.decide(ts, idx, triggerEarlyKeep, now)
			return
		}
	}
	if len(ts.spanIDs) >= eng.cfg.SpanLimit {
		eng.tel.badInput(badSpanLimit, 1)
		s.decide(ts, s.firstMatch(ts, now), triggerSpanLimit, now)
	}
}

// duplicateSpans counts repeated span ids; quadratic below 32 spans, where it
// is cheaper than a map.
func duplicateSpans(spans []pcommon.SpanID) int {
	if len(spans) < 2 {
		return 0
	}
	dups := 0
	if len(spans) < 32 {
		for i := 1; i < len(spans); i++ {
			id := spans[i]
			for j := range i {
				if spans[j] == id {
					dups++
					break
				}
			}
		}
		return dups
	}
	seen := make(map[pcommon.SpanID]struct{}, len(spans))
	for _, id := range spans {
		if _, dup := seen[id]; dup {
			dups++
		}
		seen[id] = struct{}{}
	}
	return dups
}

func rootKeyOf(ref spanRef) baselineKey {
	span := ref.span
	route := routeOf(span.Attributes())
	if route == "" {
		route = nameRoute(span.Name())
	}
	return baselineKey{service: ref.scope.res.service, route: route, kind: span.Kind().String()}
}
