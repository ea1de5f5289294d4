// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"container/heap"
	"context"
	"encoding/binary"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/sampling"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"
)

// sourceResource and sourceScope point into an incoming request. Buffered spans
// stay where the receiver put them (the processor declares MutatesData, so it
// owns them): only a 24-byte reference per span is added, and spans are moved,
// not copied, into the output once kept.
type sourceResource struct {
	rs        ptrace.ResourceSpans
	service   string
	synthetic bool
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

// shard owns the traces whose id hashes to it. All its methods run on one
// goroutine (or a test), so nothing in it is locked; only the byte and trace
// counters are atomics, read by the overload controller and gauges.
type shard struct {
	eng    *engine
	traces map[pcommon.TraceID]*traceState
	queue  deadlineQueue
	oldest *traceState
	newest *traceState
	cache  *decisionCache
	// resources counts the buffered traces referencing each source resource
	// (references mode) and what it was charged.
	resources map[*sourceResource]resourceCharge

	bytes      atomic.Int64
	traceCount atomic.Int64

	// The compact encoding: during one ingest batch, spans are encoded into enc
	// (recs say which trace each record belongs to); seal copies each trace's
	// records into one exactly sized chunk.
	codec      *spanCodec
	enc        []byte
	recs       []pendingRecord
	staged     []*traceState
	chunkBufs  [][]byte
	scopes     map[string]*internScope
	keyBuf     []byte
	lastSrc    *sourceScope
	lastIntern *internScope
	compactAt  int64
	evictAt    int64
	evictTo    int64

	out      outputBatch
	emit     func(ptrace.Traces)
	scratch  ptrace.Span
	scaleFor float64
	scaled   []sampling.Threshold
}

func newShard(eng *engine, budgetBytes int64, now time.Time, emit func(ptrace.Traces)) *shard {
	cfg := eng.cfg
	n := int64(eng.workers)
	s := &shard{
		eng:       eng,
		traces:    make(map[pcommon.TraceID]*traceState),
		resources: make(map[*sourceResource]resourceCharge),
		cache:     newDecisionCache(cfg.DecisionCache.KeptTraces/eng.workers, cfg.DecisionCache.DroppedTraces/eng.workers, cfg.DecisionCache.DroppedWindow, now),
		evictAt:   budgetBytes / n * int64(cfg.Memory.EvictPercent) / 100,
		compactAt: budgetBytes / n * int64(cfg.Memory.CompactPercent) / 100,
		emit:      emit,
		scratch:   ptrace.NewSpan(),
		scaleFor:  -1,
		scaled:    make([]sampling.Threshold, len(eng.rules.rules)),
		codec:     newSpanCodec(),
		scopes:    make(map[string]*internScope),
	}
	s.evictTo = s.evictAt * 9 / 10
	s.out.reset()
	return s
}

// ingest buffers or decides every span of one batch, then enforces the memory
// budget and hands kept spans on.
func (s *shard) ingest(batch []spanRef, now time.Time) {
	eng := s.eng
	state := overloadState(eng.state.Load())
	compact := s.bytes.Load() >= s.compactAt
	for _, ref := range batch {
		span := ref.span
		id := span.TraceID()
		isRoot := span.ParentSpanID().IsEmpty()
		if isRoot {
			// The baseline learns from every root span, whatever happens to it.
			eng.observeRoot(ref, now)
		}
		ts := s.traces[id]
		if ts == nil {
			if d, ok := s.cache.kept.Get(id); ok {
				eng.tel.lateSpan(lateKept)
				eng.tel.spansDecided(int(d.rule), true, 1)
				eng.countKept(int(d.rule), 1)
				s.keep(ref, d.threshold, int(d.rule))
				continue
			}
			if s.cache.dropped.contains(id, now) {
				eng.tel.lateSpan(lateDropped)
				s.release(ref)
				continue
			}
			if state != stateNormal {
				s.decideStateless(ref)
				continue
			}
			if end := span.EndTimestamp().AsTime(); !end.IsZero() && now.Sub(end) > eng.cfg.TraceTimeout+eng.cfg.DecisionDelay {
				// Its trace is long gone and so is its decision: decided again,
				// on partial data, as a new trace.
				eng.tel.lateSpan(lateOrphan)
			}
			ts = s.newTrace(id, now)
		}
		s.add(ts, ref, isRoot, compact, now)
	}
	s.seal()
	s.enforceBudget(now)
	s.flush()
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
	}
	s.traces[id] = ts
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
	eng := s.eng
	span := ref.span
	ts.spanIDs = append(ts.spanIDs, span.SpanID())
	if !compact {
		// Compact spans count their encoded size (stage).
		size := estimateSpanBytes(span)
		ts.bytes += size
		s.bytes.Add(size)
		if n := len(ts.resources); n == 0 || ts.resources[n-1] != ref.scope.res {
			s.chargeResource(ts, ref.scope.res)
		}
	}

	start, end := span.StartTimestamp(), span.EndTimestamp()
	if end < start {
		eng.tel.badInput(badEndBeforeStart, 1)
	} else {
		ts.minStart = min(ts.minStart, start)
		ts.maxEnd = max(ts.maxEnd, end)
	}
	if end.AsTime().Sub(now) > eng.cfg.MaxClockSkew {
		eng.tel.badInput(badClockSkew, 1)
	}
	if raw := span.TraceState().AsRaw(); raw != "" {
		s.readTraceState(ts, raw)
	}
	attrs := span.Attributes()
	if isRoot && !ts.hasRoot {
		ts.hasRoot = true
		ts.rootKey = rootKeyOf(ref)
		ts.route = ts.rootKey.route
		if end >= start {
			ts.rootDuration = time.Duration(end - start)
		}
		if d := now.Add(eng.cfg.DecisionDelay); d.Before(ts.deadline) {
			ts.deadline, ts.trigger = d, triggerRootSpan
			heap.Fix(&s.queue, ts.heapIndex)
		}
	} else if ts.route == "" {
		ts.route = routeOf(attrs)
	}

	bits := eng.rules.classifySpan(ref.scope.res, ref.scope.ss, span, isRoot)
	if compact {
		s.stage(ts, ref)
	} else {
		ts.spans = append(ts.spans, ref)
	}
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

// earlyKeepMatch returns the first rule that can keep the trace right now: it
// depends only on span bits that never unset, and every rule before it keeps
// 100% too, so waiting could change at most the rule name, never the outcome.
func (rs *ruleSet) earlyKeepMatch(bits uint64) (int, bool) {
	for i := range rs.rules {
		r := &rs.rules[i]
		if r.probability != 1 {
			return 0, false
		}
		if r.earlyKeep && bits&r.spanMask == r.spanMask {
			return i, true
		}
	}
	return 0, false
}

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
// for probabilistic rules.
func (s *shard) ruleThreshold(idx int) sampling.Threshold {
	r := &s.eng.rules.rules[idx]
	if !r.probabilistic() {
		return r.threshold
	}
	scale := s.eng.budgetScale()
	if scale >= 1 {
		return r.threshold
	}
	if scale != s.scaleFor {
		s.scaleFor = scale
		for i := range s.scaled {
			s.scaled[i] = sampling.Threshold{}
		}
	}
	if s.scaled[idx] == (sampling.Threshold{}) {
		p := max(r.probability*scale, sampling.MinSamplingProbability)
		th, err := sampling.ProbabilityToThresholdWithPrecision(p, thresholdPrecision)
		if err != nil {
			return r.threshold
		}
		s.scaled[idx] = th
	}
	return s.scaled[idx]
}

// decide applies rule idx to the trace, records the decision for late spans
// and releases the trace's memory.
func (s *shard) decide(ts *traceState, idx int, trg trigger, now time.Time) {
	eng := s.eng
	r := &eng.rules.rules[idx]
	keep := false
	var th sampling.Threshold
	if r.probability > 0 {
		th = s.ruleThreshold(idx)
		if sampling.ThresholdGreater(ts.inThreshold, th) {
			th = ts.inThreshold
		}
		keep = th.ShouldSample(ts.randomness)
	}
	s.remove(ts)
	defer s.releaseScopes(ts)
	spans := len(ts.spanIDs)

	tb := eng.tel.tb
	ctx := context.Background()
	switch trg {
	case triggerRootSpan, triggerTraceTimeout:
		tb.ProcessorTailPolicyDecisionLag.Record(ctx, now.Sub(ts.deadline).Milliseconds())
	case triggerEviction:
		tb.ProcessorTailPolicyEvictions.Add(ctx, 1)
	}
	tb.ProcessorTailPolicyTraceTimeInBuffer.Record(ctx, now.Sub(ts.firstSeen).Milliseconds())
	eng.tel.decided(idx, keep, trg, spans)

	if !keep {
		// Chunks and pending records are released as they are.
		ts.pendingSpans = 0
		s.cache.dropped.add(ts.id, now)
		for _, ref := range ts.spans {
			s.release(ref)
		}
		return
	}
	s.cache.kept.Add(ts.id, keptDecision{threshold: th, rule: uint16(idx)})
	eng.countKept(idx, spans)
	var seen map[pcommon.SpanID]struct{}
	if dups := duplicateSpans(ts.spanIDs); dups > 0 {
		eng.tel.badInput(badDuplicateSpan, dups)
		seen = make(map[pcommon.SpanID]struct{}, spans)
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
		dst := s.out.spanSlot(ts.scopes[si].src)
		if r.readSpan(id, ts.id, dst) != nil {
			break
		}
		dst.Attributes().PutStr(samplingRuleAttribute, s.eng.ruleNames[idx])
		s.stampThreshold(dst, th)
	}
	if r.err != nil {
		// Cannot happen for bytes this shard wrote; never silently.
		s.eng.logger.Error("tail_policy: a buffered chunk does not decode; its remaining spans are lost", zap.Error(r.err))
	}
}

type pendingRecord struct {
	ts       *traceState
	off, end int
}

// internScope is one distinct resource + scope of the buffered compact spans,
// shared by every trace that uses it (reference counted) and held as a private
// pdata copy, so that the received request can be released.
type internScope struct {
	src   *sourceScope
	key   string
	refs  int
	bytes int64
}

// internScopeOverhead: the pdata copy's fixed cost beyond its encoded key.
const internScopeOverhead = 400

func (s *shard) intern(sc *sourceScope) *internScope {
	if sc == s.lastSrc {
		return s.lastIntern
	}
	key := s.keyBuf[:0]
	rs := sc.res.rs
	key = appendString(key, rs.SchemaUrl())
	key = s.codec.appendMap(key, rs.Resource().Attributes())
	key = binary.AppendUvarint(key, uint64(rs.Resource().DroppedAttributesCount()))
	scope := sc.ss.Scope()
	key = appendString(key, sc.ss.SchemaUrl())
	key = appendString(key, scope.Name())
	key = appendString(key, scope.Version())
	key = s.codec.appendMap(key, scope.Attributes())
	key = binary.AppendUvarint(key, uint64(scope.DroppedAttributesCount()))
	s.keyBuf = key
	is := s.scopes[string(key)]
	if is == nil {
		nrs := ptrace.NewResourceSpans()
		rs.Resource().CopyTo(nrs.Resource())
		nrs.SetSchemaUrl(rs.SchemaUrl())
		nss := nrs.ScopeSpans().AppendEmpty()
		scope.CopyTo(nss.Scope())
		nss.SetSchemaUrl(sc.ss.SchemaUrl())
		is = &internScope{
			src:   &sourceScope{res: &sourceResource{rs: nrs, service: sc.res.service, synthetic: sc.res.synthetic}, ss: nss},
			key:   string(key),
			bytes: internScopeOverhead + 3*int64(len(key)),
		}
		s.scopes[is.key] = is
		s.bytes.Add(is.bytes)
	}
	s.lastSrc, s.lastIntern = sc, is
	return is
}

// releaseScopes drops the trace's references to its interned scopes.
func (s *shard) releaseScopes(ts *traceState) {
	for _, is := range ts.scopes {
		is.refs--
		if is.refs == 0 {
			delete(s.scopes, is.key)
			s.bytes.Add(-is.bytes)
			if s.lastIntern == is {
				s.lastSrc, s.lastIntern = nil, nil
			}
		}
	}
	ts.scopes = nil
}

// stage encodes a span into the batch's records, straight from the request.
func (s *shard) stage(ts *traceState, ref spanRef) {
	is := s.intern(ref.scope)
	si := -1
	for i, x := range ts.scopes {
		if x == is {
			si = i
			break
		}
	}
	if si < 0 {
		si = len(ts.scopes)
		ts.scopes = append(ts.scopes, is)
		is.refs++
		ts.bytes += 8
		s.bytes.Add(8)
	}
	off := len(s.enc)
	s.enc = s.codec.appendSpan(s.enc, ref.span, si)
	if ts.pendingSpans == 0 {
		s.staged = append(s.staged, ts)
	}
	ts.pendingSpans++
	ts.pendingLen += len(s.enc) - off
	// The record, plus the span's 8-byte id in spanIDs.
	size := int64(len(s.enc)-off) + 8
	ts.bytes += size
	s.bytes.Add(size)
	s.recs = append(s.recs, pendingRecord{ts: ts, off: off, end: len(s.enc)})
}

// chunkOverhead is the heap a chunk costs beyond its bytes (slice header and
// allocation rounding); each span adds its 8-byte id. compactTraceOverhead is
// the trace's own state (traceState, map and heap entries, id slice growth),
// which the per-span estimate covers for referenced spans; calibrated with
// BenchmarkHeapPerBufferedSpan.
const (
	chunkOverhead        = 40
	compactTraceOverhead = 840
)

// seal copies every trace's records of the batch into one exactly sized chunk
// (each record was counted at its encoded size; the chunk adds its overhead).
func (s *shard) seal() {
	bufs := s.chunkBufs[:0]
	for _, ts := range s.staged {
		ts.pendingSlot = int32(len(bufs))
		if ts.pendingSpans == 0 {
			bufs = append(bufs, nil) // decided during the batch
			continue
		}
		bufs = append(bufs, make([]byte, 0, ts.pendingLen))
	}
	for _, rec := range s.recs {
		if ts := rec.ts; ts.pendingSpans > 0 {
			bufs[ts.pendingSlot] = append(bufs[ts.pendingSlot], s.enc[rec.off:rec.end]...)
		}
	}
	for _, ts := range s.staged {
		if ts.pendingSpans > 0 {
			chunk := bufs[ts.pendingSlot]
			delta := int64(chunkOverhead)
			if len(ts.chunks) == 0 && len(ts.spans) == 0 {
				delta += compactTraceOverhead
			}
			ts.chunks = append(ts.chunks, chunk)
			ts.bytes += delta
			s.bytes.Add(delta)
		}
		ts.pendingSpans, ts.pendingLen = 0, 0
	}
	clear(bufs)
	s.chunkBufs = bufs[:0]
	clear(s.staged)
	s.staged = s.staged[:0]
	clear(s.recs)
	s.recs = s.recs[:0]
	if cap(s.enc) > 4<<20 {
		s.enc = nil
	}
	s.enc = s.enc[:0]
	// The last request may go now.
	s.lastSrc, s.lastIntern = nil, nil
}

func (s *shard) remove(ts *traceState) {
	delete(s.traces, ts.id)
	heap.Remove(&s.queue, ts.heapIndex)
	if ts.prev != nil {
		ts.prev.next = ts.next
	} else {
		s.oldest = ts.next
	}
	if ts.next != nil {
		ts.next.prev = ts.prev
	} else {
		s.newest = ts.prev
	}
	ts.prev, ts.next = nil, nil
	s.bytes.Add(-ts.bytes)
	s.traceCount.Add(-1)
	s.releaseResources(ts)
}

type resourceCharge struct {
	traces int32
	bytes  int64
}

// chargeResource accounts, once per shard, for the received request's resource
// a referenced span pins (its resource and scopes stay alive as long as one of
// its spans is buffered), the first time a buffered trace references it.
func (s *shard) chargeResource(ts *traceState, res *sourceResource) {
	for _, r := range ts.resources {
		if r == res {
			return
		}
	}
	ts.resources = append(ts.resources, res)
	c := s.resources[res]
	if c.traces == 0 {
		c.bytes = estimateResourceBytes(res.rs)
		s.bytes.Add(c.bytes)
	}
	c.traces++
	s.resources[res] = c
}

func (s *shard) releaseResources(ts *traceState) {
	for _, res := range ts.resources {
		c := s.resources[res]
		if c.traces--; c.traces == 0 {
			delete(s.resources, res)
			s.bytes.Add(-c.bytes)
		} else {
			s.resources[res] = c
		}
	}
	ts.resources = nil
}

// decideStateless handles a span of an unbuffered trace under memory pressure:
// error spans are kept, the others kept iff the trace's randomness passes the
// overload threshold, so all spans of a trace (and all replicas) agree.
func (s *shard) decideStateless(ref spanRef) {
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
	if keep {
		s.keep(ref, th, idx)
	} else {
		s.release(ref)
	}
}

// enforceBudget decides traces early, heaviest-and-oldest first, while the
// shard is over its share of the eviction mark. Eviction always decides.
func (s *shard) enforceBudget(now time.Time) {
	if s.bytes.Load() <= s.evictAt {
		return
	}
	timeout := float64(s.eng.cfg.TraceTimeout)
	for s.bytes.Load() > s.evictTo && s.oldest != nil {
		// Among the oldest few, pick the largest cache impact (Refinery's
		// size × (1 + 4·age/timeout)): a bounded scan, not a full sort.
		var victim *traceState
		best := -1.0
		ts := s.oldest
		for range evictionCandidates {
			if ts == nil {
				break
			}
			impact := float64(ts.bytes) * (1 + 4*float64(now.Sub(ts.firstSeen))/timeout)
			if impact > best {
				victim, best = ts, impact
			}
			ts = ts.next
		}
		s.decide(victim, s.firstMatch(victim, now), triggerEviction, now)
	}
}

const evictionCandidates = 8

// expire decides every trace whose deadline has passed.
func (s *shard) expire(now time.Time) {
	for len(s.queue) > 0 && !s.queue[0].deadline.After(now) {
		ts := s.queue[0]
		s.decide(ts, s.firstMatch(ts, now), ts.trigger, now)
	}
	s.flush()
}

// shutdown decides everything still buffered.
func (s *shard) shutdown(now time.Time) {
	for len(s.queue) > 0 {
		ts := s.queue[0]
		s.decide(ts, s.firstMatch(ts, now), triggerShutdown, now)
	}
	s.flush()
}

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

const samplingRuleAttribute = "sampling.rule"

// stampThreshold writes `ot=th:<T>` into the span's tracestate, keeping other
// vendors' entries and never lowering a stricter incoming threshold.
func (s *shard) stampThreshold(span ptrace.Span, th sampling.Threshold) {
	ts := span.TraceState()
	raw := ts.AsRaw()
	var w3c sampling.W3CTraceState
	var err error
	if raw != "" {
		w3c, err = sampling.NewW3CTraceState(raw)
		if err != nil {
			// Unusable downstream too (W3C lets a participant discard an invalid
			// tracestate): replaced, so that the span still carries its th.
			s.eng.tel.badInput(badUnparseableTracestate, 1)
		}
	}
	if raw == "" || err != nil {
		tv, ok := s.eng.tvalues[th]
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

func (s *shard) flush() {
	if s.out.spans == 0 {
		return
	}
	td := s.out.td
	s.out.reset()
	s.emit(td)
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

// Per-span memory estimate, calibrated with BenchmarkHeapPerBufferedSpan: the
// fixed cost of a span plus the reference to it, then each attribute by size.
const (
	spanBaseBytes  = 240
	attrBaseBytes  = 48
	eventBaseBytes = 120
	linkBaseBytes  = 120
)

// estimateResourceBytes is a pinned request's resource and scopes: the same
// fixed cost as an interned resource+scope, plus the resource's attributes.
func estimateResourceBytes(rs ptrace.ResourceSpans) int64 {
	b := internScopeOverhead + rs.ScopeSpans().Len()*attrBaseBytes
	rs.Resource().Attributes().Range(func(k string, v pcommon.Value) bool {
		b += attrBaseBytes + len(k)
		if v.Type() == pcommon.ValueTypeStr {
			b += len(v.Str())
		}
		return true
	})
	return int64(b)
}

func estimateSpanBytes(span ptrace.Span) int64 {
	b := spanBaseBytes + len(span.Name())
	span.Attributes().Range(func(k string, v pcommon.Value) bool {
		b += attrBaseBytes + len(k)
		if v.Type() == pcommon.ValueTypeStr {
			b += len(v.Str())
		}
		return true
	})
	b += span.Events().Len()*eventBaseBytes + span.Links().Len()*linkBaseBytes
	return int64(b)
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

// deadlineQueue is a min-heap on deadline whose entries can move earlier
// (root seen), unlike a fixed one-second ring.
type deadlineQueue []*traceState

func (q deadlineQueue) Len() int           { return len(q) }
func (q deadlineQueue) Less(i, j int) bool { return q[i].deadline.Before(q[j].deadline) }
func (q deadlineQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].heapIndex, q[j].heapIndex = i, j
}

func (q *deadlineQueue) Push(x any) {
	ts := x.(*traceState)
	ts.heapIndex = len(*q)
	*q = append(*q, ts)
}

func (q *deadlineQueue) Pop() any {
	old := *q
	ts := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return ts
}
