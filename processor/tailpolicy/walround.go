// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"encoding/binary"
	"math"
	"sync/atomic"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/sampling"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.uber.org/zap"
)

// shardWAL is one worker's part of the log. A round is one ingest batch or
// expiry tick: its decisions go into one D record, appended before its kept
// spans are forwarded (the forwarder waits for that record to be durable),
// and the forwarder logs H once the next consumer returned. For checkpoints
// the worker counts, per segment, the buffered traces whose first span is in
// it, and remembers the oldest segment of each kept output not yet handed
// on; the oldest of all is published in minSeg.
type shardWAL struct {
	log    *walLog
	rounds *atomic.Uint64 // round ids, shared by the workers

	seg      int         // segment of the batch being ingested
	refs     map[int]int // segment -> buffered traces that started in it
	roundMin int         // oldest segment of the output being gathered
	decs     []byte
	ndecs    int

	emitted     uint64
	unconfirmed []pendingOutput
	handed      atomic.Uint64 // outputs the forwarder handed on
	minSeg      atomic.Int64

	// round and seq of the output being emitted, read by the emit function.
	round, seq uint64
}

type pendingOutput struct {
	n      uint64
	minSeg int
}

func newShardWAL(log *walLog, rounds *atomic.Uint64) *shardWAL {
	w := &shardWAL{log: log, rounds: rounds, refs: map[int]int{}, roundMin: math.MaxInt}
	w.minSeg.Store(math.MaxInt64)
	return w
}

// walTraceStarted counts a new buffered trace in its first span's segment.
func (s *shard) walTraceStarted(ts *traceState) {
	if w := s.wal; w != nil {
		ts.walSeg = w.seg
		w.refs[w.seg]++
	}
}

// walDecided logs a trace's decision and moves its segment reference to the
// round's output when kept.
func (s *shard) walDecided(ts *traceState, idx int, keep bool, th sampling.Threshold, now time.Time) {
	w := s.wal
	if w == nil {
		return
	}
	if w.refs[ts.walSeg]--; w.refs[ts.walSeg] <= 0 {
		delete(w.refs, ts.walSeg)
	}
	if keep {
		w.roundMin = min(w.roundMin, ts.walSeg)
	}
	s.walLogDecision(ts.id, idx, keep, th, now)
}

// walLogDecision adds a decision to the round's D record.
func (s *shard) walLogDecision(id pcommon.TraceID, idx int, keep bool, th sampling.Threshold, now time.Time) {
	w := s.wal
	if w == nil {
		return
	}
	w.decs = appendDecision(w.decs, id, keep, th, now, s.eng.ruleNames[idx])
	w.ndecs++
}

// walLateSpan notes a late span of a kept trace: a late entry in the round's
// D record, so that replay does not forward it again once the round's H
// record says the next consumer took it.
func (s *shard) walLateSpan(id pcommon.TraceID, d keptDecision, now time.Time) {
	w := s.wal
	if w == nil {
		return
	}
	w.roundMin = min(w.roundMin, w.seg)
	w.decs = appendLate(w.decs, id, d.threshold, now, s.eng.ruleNames[d.rule])
	w.ndecs++
}

// walKeptSpan notes a span kept outside the round's decisions (stateless, or
// forwarded again by replay), so the round holds its segment until handed on.
func (s *shard) walKeptSpan() {
	if w := s.wal; w != nil {
		w.roundMin = min(w.roundMin, w.seg)
	}
}

// walEndRound appends the round's decisions and notes its output; called by
// flush before the output is emitted.
func (s *shard) walEndRound() {
	w := s.wal
	w.round, w.seq = 0, 0
	if w.ndecs > 0 {
		w.round = w.rounds.Add(1)
		rec := make([]byte, 0, 1+2*binary.MaxVarintLen64)
		rec = append(rec, recDecisions)
		rec = binary.AppendUvarint(rec, w.round)
		rec = binary.AppendUvarint(rec, uint64(w.ndecs))
		seq, err := w.log.appendRecord(rec, w.decs)
		if err != nil {
			s.eng.logger.Warn("tail_policy: decisions not logged", zap.Int("decisions", w.ndecs), zap.Error(err))
		}
		w.seq = seq
		w.decs, w.ndecs = w.decs[:0], 0
	}
	if s.out.spans > 0 {
		w.emitted++
		w.unconfirmed = append(w.unconfirmed, pendingOutput{n: w.emitted, minSeg: w.roundMin})
		w.roundMin = math.MaxInt
	}
	s.walPublish()
}

// walPublish drops the outputs handed on and publishes the oldest segment
// this worker still needs.
func (s *shard) walPublish() {
	w := s.wal
	handed := w.handed.Load()
	n := 0
	for n < len(w.unconfirmed) && w.unconfirmed[n].n <= handed {
		n++
	}
	if n > 0 {
		w.unconfirmed = append(w.unconfirmed[:0], w.unconfirmed[n:]...)
	}
	m := math.MaxInt
	for seg := range w.refs {
		m = min(m, seg)
	}
	for _, o := range w.unconfirmed {
		m = min(m, o.minSeg)
	}
	w.minSeg.Store(int64(m))
}
