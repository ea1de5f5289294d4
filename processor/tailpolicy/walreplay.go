// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"slices"
	"time"
)

// run applies this worker's part of the log, in log order (walrecover.go).
func (w *workerReplay) run() {
	for m := range w.in {
		switch m.kind {
		case recSpans:
			w.spans(m)
		case recDecisions:
			w.decisions(m)
		case recHanded:
			delete(w.rounds, m.round)
		case recCaches:
			w.caches(m)
		}
	}
}

// spans files each span of one record: when the log never decides its
// trace, into the buffer at once (ingest treats it as the worker did,
// late spans of cached decisions included); else to its trace waiting for
// its decision later in the log, to the late spans of a kept trace (forwarded
// again: whether the next consumer took them is not logged), or nowhere for
// a dropped trace.
func (w *workerReplay) spans(m replayMsg) {
	sh := w.sh
	now := w.stream[:0]
	rec := -1
	for _, ref := range m.refs {
		id := ref.span.TraceID()
		if t := w.pending[id]; t != nil {
			t.refs = append(t.refs, replayRef{ref, w.arrival(&rec, m.at)})
			continue
		}
		if w.r.index.traces[id] == nil {
			now = append(now, ref)
			continue
		}
		if d, ok := sh.cache.kept.Get(id); ok {
			if w.r.index.lateHanded(id, m.pos) {
				continue
			}
			w.late = append(w.late, replayKept{id: id, refs: []spanRef{ref}, th: d.threshold, rule: int(d.rule)})
			continue
		}
		if sh.cache.dropped.contains(id, m.at) {
			continue
		}
		w.pending[id] = &replayTrace{refs: []replayRef{{ref, w.arrival(&rec, m.at)}}}
	}
	if len(now) > 0 {
		sh.ingest(now, m.at)
	}
	w.stream = now[:0]
}

// arrival records the record's arrival time once and returns its index.
func (w *workerReplay) arrival(rec *int, at time.Time) int {
	if *rec < 0 {
		*rec = len(w.arrivals)
		w.arrivals = append(w.arrivals, at)
	}
	return *rec
}

func (w *workerReplay) decisions(m replayMsg) {
	sh := w.sh
	for _, d := range m.decs {
		if d.late {
			continue // the index's business (walindex.go)
		}
		idx := w.r.rule(d.rule)
		if !d.keep {
			sh.cache.dropped.add(d.id, d.at)
			delete(w.pending, d.id)
			continue
		}
		sh.cache.kept.Add(d.id, keptDecision{threshold: d.th, rule: uint16(idx)})
		if t := w.pending[d.id]; t != nil {
			delete(w.pending, d.id)
			k := replayKept{id: d.id, th: d.th, rule: idx}
			for _, ref := range t.refs {
				k.refs = append(k.refs, ref.ref)
			}
			w.rounds[m.round] = append(w.rounds[m.round], k)
		}
	}
}

func (w *workerReplay) caches(m replayMsg) {
	sh := w.sh
	if c := m.filter; c != nil {
		f := sh.cache.dropped
		gens := []*bloomFilter{&f.current, &f.previous}
		if c.capacity == f.capacity && len(c.gens[0].words) == len(f.current.bits) && len(c.gens[1].words) == len(f.previous.bits) {
			for g, gen := range gens {
				copy(gen.bits, c.gens[g].words)
				gen.count = c.gens[g].count
			}
			f.rotatedAt = c.rotatedAt
		}
	}
	for _, d := range m.decs {
		sh.cache.kept.Add(d.id, keptDecision{threshold: d.th, rule: uint16(w.r.rule(d.rule))})
	}
}

// finish forwards again the kept traces whose round has no H record (their
// decisions logged anew, so that a second crash knows them), buffers the
// traces still waiting (their decision was in a record lost to a torn or
// skipped tail), then decides what is past its deadline.
func (w *workerReplay) finish(now time.Time) {
	sh := w.sh
	var all []replayKept
	for _, ks := range w.rounds {
		all = append(all, ks...)
	}
	for _, k := range append(all, w.late...) {
		for _, ref := range k.refs {
			sh.keep(ref, k.th, k.rule)
		}
		sh.walLogDecision(k.id, k.rule, true, k.th, now)
		sh.walKeptSpan()
	}
	sh.flush()
	var refs []replayRef
	for _, t := range w.pending {
		refs = append(refs, t.refs...)
	}
	slices.SortStableFunc(refs, func(a, b replayRef) int { return a.rec - b.rec })
	var batch []spanRef
	for i := 0; i < len(refs); {
		rec := refs[i].rec
		batch = batch[:0]
		for ; i < len(refs) && refs[i].rec == rec; i++ {
			batch = append(batch, refs[i].ref)
		}
		sh.ingest(batch, w.arrivals[rec])
	}
	sh.expire(now)
}
