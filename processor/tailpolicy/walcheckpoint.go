// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"encoding/binary"
	"math"
	"slices"
	"time"

	"go.uber.org/zap"
)

const checkpointInterval = time.Second

// maxFilterWords bounds a snapshot's filter (1 << 24 words: 128 MiB, far
// above any dropped_traces), so a corrupt size cannot allocate without bound.
const maxFilterWords = 1 << 24

// runCheckpoints deletes the log's segments once nothing in them is needed.
//
// A segment is needed while a buffered trace's first span is in it or in an
// older one (its later spans are in the same or newer segments), while a
// batch appended to it has not reached its worker, and while kept spans of a
// trace that started in it have not been handed on. Each worker publishes the
// oldest segment it needs (walround.go); everything older than the oldest of
// all is deleted. What older segments also hold and a restart still needs,
// the decision caches, is carried forward first: each worker appends a
// snapshot of its caches (C) to the current segment. Traces are decided
// within trace_timeout of their first span, so under steady load the log
// holds about (trace_timeout + the time to fill a segment) of spans, plus a
// snapshot per checkpoint.
func (p *tailPolicy) runCheckpoints() {
	defer p.workers.Done()
	ticker := time.NewTicker(checkpointInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			// Decisions and hand-ons wait for the next group commit; with no
			// new data, this one bounds what a crash can lose of them.
			_ = p.wal.syncAll()
			p.checkpoint()
		case <-p.drain:
			return
		}
	}
}

// keepSegment is the oldest segment anything still needs.
func (p *tailPolicy) keepSegment() int {
	keep := min(int(p.wal.current.Load()), p.wal.inflightMin())
	for _, sh := range p.shards {
		keep = min(keep, int(sh.wal.minSeg.Load()))
	}
	return keep
}

// checkpoint carries the caches forward and deletes what is not needed; it
// returns false when there was nothing to delete or it was interrupted.
func (p *tailPolicy) checkpoint() bool {
	keep := p.keepSegment()
	if keep <= int(p.wal.first.Load()) {
		return false
	}
	for i := range p.shards {
		done := make(chan struct{})
		select {
		case p.ctl[i] <- done:
		case <-p.drain:
			return false
		}
		select {
		case <-done:
		case <-p.drain:
			return false
		}
	}
	// The snapshots must be on disk before what they replace is deleted.
	if err := p.wal.syncAll(); err != nil {
		return false
	}
	if err := p.wal.checkpoint(keep); err != nil {
		p.logger.Warn("tail_policy: write-ahead log checkpoint failed", zap.Error(err))
		return false
	}
	return true
}

// walSnapshot appends a C record of this worker's decision caches.
func (s *shard) walSnapshot() {
	if _, err := s.wal.log.appendRecord(s.snapshotRecord()); err != nil {
		s.eng.logger.Warn("tail_policy: decision caches not carried forward", zap.Error(err))
	}
	s.walPublish()
}

func (s *shard) snapshotRecord() []byte {
	f := s.cache.dropped
	rec := []byte{recCaches}
	rec = binary.AppendUvarint(rec, uint64(s.index))
	rec = binary.AppendUvarint(rec, uint64(s.eng.workers))
	rec = binary.AppendUvarint(rec, uint64(f.capacity))
	rec = binary.LittleEndian.AppendUint64(rec, uint64(f.rotatedAt.UnixNano()))
	keys := s.cache.kept.Keys()
	rec = slices.Grow(rec, 2*9*(len(f.current.bits)+1)+len(keys)*48)
	for _, g := range []*bloomFilter{&f.current, &f.previous} {
		// Sparse: the words set, each after the distance from the previous
		// one (a filter far from full is mostly zeros).
		rec = binary.AppendUvarint(rec, uint64(g.count))
		rec = binary.AppendUvarint(rec, uint64(len(g.bits)))
		set := 0
		for _, word := range g.bits {
			if word != 0 {
				set++
			}
		}
		rec = binary.AppendUvarint(rec, uint64(set))
		last := -1
		for i, word := range g.bits {
			if word != 0 {
				rec = binary.AppendUvarint(rec, uint64(i-last))
				rec = binary.LittleEndian.AppendUint64(rec, word)
				last = i
			}
		}
	}
	rec = binary.AppendUvarint(rec, uint64(len(keys)))
	for _, id := range keys {
		d, _ := s.cache.kept.Peek(id)
		rec = append(rec, id[:]...)
		rec = binary.LittleEndian.AppendUint64(rec, d.threshold.Unsigned())
		rec = binary.AppendUvarint(rec, uint64(len(s.eng.ruleNames[d.rule])))
		rec = append(rec, s.eng.ruleNames[d.rule]...)
	}
	return rec
}

// walCaches is a decoded C record.
type walCaches struct {
	worker, workers, capacity int
	rotatedAt                 time.Time
	gens                      [2]struct {
		count int
		words []uint64
	}
	kept []walDecision
}

// decodeCaches reads a C record's payload (after the type byte).
func decodeCaches(b []byte) (walCaches, error) {
	var c walCaches
	r := recordReader{b: b}
	c.worker = int(min(r.uvarint(), math.MaxInt32))
	c.workers = int(min(r.uvarint(), math.MaxInt32))
	c.capacity = int(min(r.uvarint(), math.MaxInt32))
	c.rotatedAt = time.Unix(0, int64(r.u64())).UTC()
	for g := range c.gens {
		c.gens[g].count = int(min(r.uvarint(), math.MaxInt32))
		size := r.uvarint()
		set := r.count(9)
		if size > maxFilterWords || uint64(set) > size {
			r.fail()
			break
		}
		words := make([]uint64, size)
		i := -1
		for range set {
			i += int(min(r.uvarint(), size))
			if i < 0 || i >= len(words) {
				r.fail()
				break
			}
			words[i] = r.u64()
		}
		c.gens[g].words = words
	}
	n := r.count(16 + 8 + 1)
	for range n {
		var d walDecision
		copy(d.id[:], r.bytes(16))
		d.keep = true
		d.th = r.threshold()
		d.rule = r.str()
		if r.err != nil {
			break
		}
		c.kept = append(c.kept, d)
	}
	if r.err == nil && len(r.b) > 0 {
		r.fail()
	}
	return c, r.err
}

// compactAtShutdown runs after a clean Shutdown, when every trace is decided
// and handed on and the workers have finished: the log is reduced to the
// caches' snapshots, so that the next start neither replays nor forwards
// again what this run completed.
func (p *tailPolicy) compactAtShutdown() error {
	if err := p.wal.roll(); err != nil {
		return err
	}
	for _, sh := range p.shards {
		sh.walSnapshot()
	}
	if err := p.wal.syncAll(); err != nil {
		return err
	}
	return p.wal.checkpoint(int(p.wal.current.Load()))
}
