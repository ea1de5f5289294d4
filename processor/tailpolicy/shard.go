// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"container/heap"
	"sync/atomic"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/sampling"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

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

	out outputBatch
	// retainEnc encodes a dropped trace's spans for retention (retainencode.go).
	retainEnc *retainEncoder
	emit      func(ptrace.Traces)
	scratch   ptrace.Span
	scaleFor  []float64 // per team slot
	scaled    [][]sampling.Threshold

	wal   *shardWAL // nil without wal.directory
	index int       // among the workers
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
		codec:     newSpanCodec(),
		scopes:    make(map[string]*internScope),
	}
	slots := 1
	if eng.teams != nil {
		slots += len(eng.teams.teams)
	}
	for range slots {
		s.scaleFor = append(s.scaleFor, -1)
		s.scaled = append(s.scaled, make([]sampling.Threshold, len(eng.rules.rules)))
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
				eng.countKept(int(d.rule), 1, ref.scope.res.team)
				s.walLateSpan(id, d, now)
				s.keep(ref, d.threshold, int(d.rule))
				continue
			}
			if s.cache.dropped.contains(id, now) {
				eng.tel.lateSpan(lateDropped)
				if eng.retain != nil {
					s.retainLate(ref, now)
				} else {
					s.release(ref)
				}
				continue
			}
			if state != stateNormal {
				s.decideStateless(ref, now)
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
