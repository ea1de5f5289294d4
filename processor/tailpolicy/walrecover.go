// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/sampling"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/wal"
)

// replay rebuilds the processor's state from the log, record by record, as
// the workers built it: spans of undecided traces are gathered with their
// arrival times, decisions go into the caches (so that later spans of a
// decided trace follow it, as late spans did), kept traces wait for their
// round's H record, and cache snapshots restore the caches.
type replay struct {
	p        *tailPolicy
	index    *replayIndex // the first pass; nil: decode every S record
	pos      int          // records seen
	ruleIdx  map[string]int
	pending  map[pcommon.TraceID]*replayTrace
	rounds   map[uint64][]replayKept
	late     []replayKept
	arrivals []time.Time
	maxRound uint64
	spans    int
	bad      int
}

type replayRef struct {
	ref spanRef
	rec int // index into arrivals
}

type replayTrace struct {
	refs []replayRef
}

type replayKept struct {
	id   pcommon.TraceID
	refs []spanRef
	th   sampling.Threshold
	rule int
}

func newReplay(p *tailPolicy) *replay {
	r := &replay{p: p, ruleIdx: map[string]int{}, pending: map[pcommon.TraceID]*replayTrace{}, rounds: map[uint64][]replayKept{}}
	for i, name := range p.eng.ruleNames {
		r.ruleIdx[name] = i
	}
	return r
}

// recoverWAL opens the log, replays it and hands the result to the workers
// (which are not running yet): kept traces whose forwarding was not
// confirmed are forwarded again, undecided traces are buffered with their
// original arrival times and those past their deadline decided at once.
func (p *tailPolicy) recoverWAL(now time.Time) error {
	start := time.Now()
	r := newReplay(p)
	if idx := newReplayIndex(); wal.Scan(p.cfg.WAL.logDir(), idx.record) == nil {
		r.index = idx
	}
	l, st, err := wal.Open(p.cfg.WAL.logDir(), p.cfg.WAL.SegmentBytes, r.record)
	if err != nil {
		return fmt.Errorf("tail_policy: wal: %w", err)
	}
	p.wal = newWALLog(l, p.cfg.WAL, p.tb, p.logger)
	if err := p.registerWALGauges(); err != nil {
		return err
	}
	p.walRounds.Store(r.maxRound)
	for _, sh := range p.shards {
		sh.wal = newShardWAL(p.wal, &p.walRounds)
		sh.wal.seg = l.First() // what replay rebuilds pins the old segments
	}
	traces := len(r.pending)
	r.forwardUnconfirmed(now)
	r.rebuild(now)
	ctx := context.Background()
	p.tb.ProcessorTailPolicyWalReplayedSpans.Add(ctx, int64(r.spans))
	p.tb.ProcessorTailPolicyWalReplayedTraces.Add(ctx, int64(traces))
	p.tb.ProcessorTailPolicyWalTruncatedRecords.Add(ctx, int64(st.TruncatedTails))
	p.tb.ProcessorTailPolicyWalSkippedSegments.Add(ctx, int64(st.SkippedSegments))
	if st.Records > 0 || st.TruncatedTails > 0 || st.SkippedSegments > 0 {
		p.logger.Info("tail_policy: write-ahead log replayed",
			zap.Int("records", st.Records), zap.Int("spans", r.spans), zap.Int("undecided_traces", traces),
			zap.Int("truncated_tails", st.TruncatedTails), zap.Int("skipped_segments", st.SkippedSegments),
			zap.Int("malformed_records", r.bad), zap.Duration("took", time.Since(start)))
	}
	return nil
}

// record replays one record; a malformed one (its CRC held, so this is a
// bug or a foreign file) is counted and skipped, never a failure to start.
func (r *replay) record(rec []byte) error {
	pos := r.pos
	r.pos++
	if len(rec) == 0 {
		r.bad++
		return nil
	}
	var err error
	switch rec[0] {
	case recSpans:
		err = r.spansRecord(rec[1:], pos)
	case recDecisions:
		err = r.decisionsRecord(rec[1:])
	case recHanded:
		var round uint64
		if round, err = decodeHanded(rec[1:]); err == nil {
			delete(r.rounds, round)
		}
	case recCaches:
		err = r.cachesRecord(rec[1:])
	default:
		err = errBadRecord
	}
	if err != nil {
		r.bad++
	}
	return nil
}

func (r *replay) spansRecord(b []byte, pos int) error {
	at, proto, err := decodeSpansHeader(b)
	if err != nil {
		return err
	}
	if r.index != nil {
		if skip, spans := r.index.skippable(proto, pos); skip {
			r.spans += spans
			return nil
		}
	}
	var u ptrace.ProtoUnmarshaler
	td, err := u.UnmarshalTraces(proto)
	if err != nil {
		return err
	}
	rec := len(r.arrivals)
	r.arrivals = append(r.arrivals, at)
	for w, batch := range r.p.split(td) {
		sh := r.p.shards[w]
		for _, ref := range batch {
			r.spans++
			id := ref.span.TraceID()
			if t := r.pending[id]; t != nil {
				t.refs = append(t.refs, replayRef{ref, rec})
				continue
			}
			if d, ok := sh.cache.kept.Get(id); ok {
				// Forwarded as a late span then; whether the next consumer took
				// it is not logged, so it is forwarded again.
				r.late = append(r.late, replayKept{id: id, refs: []spanRef{ref}, th: d.threshold, rule: int(d.rule)})
				continue
			}
			if sh.cache.dropped.contains(id, at) {
				continue
			}
			r.pending[id] = &replayTrace{refs: []replayRef{{ref, rec}}}
		}
	}
	return nil
}

func (r *replay) decisionsRecord(b []byte) error {
	round, ds, err := decodeDecisions(b)
	if err != nil {
		return err
	}
	r.maxRound = max(r.maxRound, round)
	for _, d := range ds {
		idx := r.rule(d.rule)
		sh := r.p.shards[shardIndex(d.id, len(r.p.shards))]
		if !d.keep {
			sh.cache.dropped.add(d.id, d.at)
			delete(r.pending, d.id)
			continue
		}
		sh.cache.kept.Add(d.id, keptDecision{threshold: d.th, rule: uint16(idx)})
		if t := r.pending[d.id]; t != nil {
			delete(r.pending, d.id)
			k := replayKept{id: d.id, th: d.th, rule: idx}
			for _, ref := range t.refs {
				k.refs = append(k.refs, ref.ref)
			}
			r.rounds[round] = append(r.rounds[round], k)
		}
	}
	return nil
}

// rule maps a logged rule name to today's rules; a rule removed from the
// configuration since maps to the catch-all.
func (r *replay) rule(name string) int {
	if idx, ok := r.ruleIdx[name]; ok {
		return idx
	}
	return len(r.p.eng.rules.rules) - 1
}

// cachesRecord restores a worker's caches from a checkpoint's snapshot. The
// dropped filter is restored only into the same worker layout; kept
// decisions are exact and go to whichever worker owns the id now.
func (r *replay) cachesRecord(b []byte) error {
	c, err := decodeCaches(b)
	if err != nil {
		return err
	}
	n := len(r.p.shards)
	if c.workers == n && c.worker < n {
		f := r.p.shards[c.worker].cache.dropped
		gens := []*bloomFilter{&f.current, &f.previous}
		if c.capacity == f.capacity && len(c.gens[0].words) == len(f.current.bits) && len(c.gens[1].words) == len(f.previous.bits) {
			for g, gen := range gens {
				copy(gen.bits, c.gens[g].words)
				gen.count = c.gens[g].count
			}
			f.rotatedAt = c.rotatedAt
		}
	}
	for _, d := range c.kept {
		sh := r.p.shards[shardIndex(d.id, n)]
		sh.cache.kept.Add(d.id, keptDecision{threshold: d.th, rule: uint16(r.rule(d.rule))})
	}
	return nil
}

// forwardUnconfirmed forwards again the kept traces whose round has no H
// record, and logs their decisions anew so that a second crash knows them.
func (r *replay) forwardUnconfirmed(now time.Time) {
	var all []replayKept
	for _, ks := range r.rounds {
		all = append(all, ks...)
	}
	all = append(all, r.late...)
	n := len(r.p.shards)
	for _, k := range all {
		sh := r.p.shards[shardIndex(k.id, n)]
		for _, ref := range k.refs {
			sh.keep(ref, k.th, k.rule)
		}
		sh.walLogDecision(k.id, k.rule, true, k.th, now)
		sh.walKeptSpan()
	}
	for _, sh := range r.p.shards {
		sh.flush()
	}
}

// rebuild buffers the undecided traces' spans in log order, each record's
// with its arrival time, then decides those past their deadline.
func (r *replay) rebuild(now time.Time) {
	var refs []replayRef
	for _, t := range r.pending {
		refs = append(refs, t.refs...)
	}
	slices.SortStableFunc(refs, func(a, b replayRef) int { return a.rec - b.rec })
	n := len(r.p.shards)
	batches := make([][]spanRef, n)
	for i := 0; i < len(refs); {
		rec := refs[i].rec
		for ; i < len(refs) && refs[i].rec == rec; i++ {
			w := shardIndex(refs[i].ref.span.TraceID(), n)
			batches[w] = append(batches[w], refs[i].ref)
		}
		for w, b := range batches {
			if len(b) > 0 {
				r.p.shards[w].ingest(b, r.arrivals[rec])
				batches[w] = b[:0]
			}
		}
	}
	for _, sh := range r.p.shards {
		sh.expire(now)
	}
}
