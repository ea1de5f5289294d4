// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/sampling"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/wal"
)

// replay rebuilds the processor's state from the log in two passes. The
// first (while wal.Open truncates a torn tail) indexes where each trace was
// decided (walindex.go). The second reads the records in order and hands
// each worker its part, which that worker's replay goroutine applies as its
// worker would have: spans of traces the log never decides are ingested at
// once with their arrival times (into the compact buffer, so the decoded
// request is released); spans of traces decided later wait for their
// decision; decisions go into the caches, so later spans of a decided trace
// follow it as late spans did; kept traces wait for their round's H record;
// cache snapshots restore the caches. The workers replay in parallel.
type replay struct {
	p        *tailPolicy
	index    *replayIndex
	pos      int // records seen
	ruleIdx  map[string]int
	workers  []*workerReplay
	maxRound uint64
	spans    int
	bad      int
	done     sync.WaitGroup
}

// workerReplay is one worker's replay, on its own goroutine.
type workerReplay struct {
	r        *replay
	sh       *shard
	in       chan replayMsg
	pending  map[pcommon.TraceID]*replayTrace
	rounds   map[uint64][]replayKept
	late     []replayKept
	arrivals []time.Time // of the records pending spans came in
	stream   []spanRef   // scratch: spans to ingest now
}

// replayMsg is one record's part for one worker: spans, decisions, a
// hand-on or cache entries.
type replayMsg struct {
	kind   byte
	refs   []spanRef
	at     time.Time
	pos    int
	decs   []walDecision
	round  uint64
	filter *walCaches
}

type replayRef struct {
	ref spanRef
	rec int // index into workerReplay.arrivals
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

func newReplay(p *tailPolicy, index *replayIndex) *replay {
	r := &replay{p: p, index: index, ruleIdx: map[string]int{}}
	for i, name := range p.eng.ruleNames {
		r.ruleIdx[name] = i
	}
	for _, sh := range p.shards {
		r.workers = append(r.workers, &workerReplay{
			r: r, sh: sh, in: make(chan replayMsg, 64),
			pending: map[pcommon.TraceID]*replayTrace{}, rounds: map[uint64][]replayKept{},
		})
	}
	return r
}

// recoverWAL opens the log and replays it before the workers run: kept
// traces whose forwarding was not confirmed are forwarded again, undecided
// traces are buffered with their original arrival times and those past their
// deadline decided at once.
func (p *tailPolicy) recoverWAL(now time.Time) error {
	start := time.Now()
	idx := newReplayIndex()
	l, st, err := wal.Open(p.cfg.WAL.logDir(), p.cfg.WAL.SegmentBytes, idx.record)
	if err != nil {
		return fmt.Errorf("tail_policy: wal: %w", err)
	}
	p.wal = newWALLog(l, p.cfg.WAL, p.tb, p.logger)
	if err := p.registerWALGauges(); err != nil {
		_ = l.Close()
		p.wal = nil
		return err
	}
	for _, sh := range p.shards {
		sh.wal = newShardWAL(p.wal, &p.walRounds)
		sh.wal.seg = l.First() // what replay rebuilds pins the old segments
	}
	r := newReplay(p, idx)
	traces, err := r.run(l.Segment(), now)
	if err != nil {
		// Closed as it is (the forwarders may still hold it): a closed log
		// refuses appends, so Shutdown cannot compact a log not replayed.
		_ = p.wal.close()
		return fmt.Errorf("tail_policy: wal: %w", err)
	}
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

// run is the second pass over the segments before end; it returns the
// number of traces left undecided by the log.
func (r *replay) run(end int, now time.Time) (int, error) {
	r.start()
	err := wal.ScanBefore(r.p.cfg.WAL.logDir(), end, r.record)
	r.stop()
	r.p.walRounds.Store(r.maxRound)
	traces := 0
	for _, w := range r.workers {
		traces += int(w.sh.traceCount.Load()) + len(w.pending)
	}
	if err != nil {
		return traces, err
	}
	var wg sync.WaitGroup
	for _, w := range r.workers {
		wg.Add(1)
		go func() { defer wg.Done(); w.finish(now) }()
	}
	wg.Wait()
	return traces, nil
}

// start runs the workers' replay goroutines; stop waits until they applied
// everything record sent them.
func (r *replay) start() {
	for _, w := range r.workers {
		r.done.Add(1)
		go func() { defer r.done.Done(); w.run() }()
	}
}

func (r *replay) stop() {
	for _, w := range r.workers {
		close(w.in)
	}
	r.done.Wait()
}

// record routes one record; a malformed one (its CRC held, so this is a bug
// or a foreign file) is counted and skipped, never a failure to start.
func (r *replay) record(rec []byte) error {
	pos := r.pos
	r.pos++
	if len(rec) == 0 {
		r.bad++
		return nil
	}
	var err error
	switch rec[0] {
	case recSpans, recCompactSpans:
		err = r.spansRecord(rec[0], rec[1:], pos)
	case recDecisions:
		err = r.decisionsRecord(rec[1:])
	case recHanded:
		var round uint64
		if round, err = decodeHanded(rec[1:]); err == nil {
			for _, w := range r.workers {
				w.in <- replayMsg{kind: recHanded, round: round}
			}
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

func (r *replay) spansRecord(kind byte, b []byte, pos int) error {
	if skip, spans := r.index.skippable(kind, b, pos); skip {
		r.spans += spans
		return nil
	}
	at, td, err := decodeSpans(kind, b)
	if err != nil {
		return err
	}
	for i, batch := range r.p.split(td) {
		r.spans += len(batch)
		if len(batch) > 0 {
			r.workers[i].in <- replayMsg{kind: recSpans, refs: batch, at: at, pos: pos}
		}
	}
	return nil
}

// decodeSpans reads an S (OTLP protobuf) or T (compact) record's payload.
func decodeSpans(kind byte, b []byte) (time.Time, ptrace.Traces, error) {
	if kind == recCompactSpans {
		return decodeCompactSpans(b)
	}
	at, proto, err := decodeSpansHeader(b)
	if err != nil {
		return at, ptrace.Traces{}, err
	}
	var u ptrace.ProtoUnmarshaler
	td, err := u.UnmarshalTraces(proto)
	return at, td, err
}

func (r *replay) decisionsRecord(b []byte) error {
	round, ds, err := decodeDecisions(b)
	if err != nil {
		return err
	}
	r.maxRound = max(r.maxRound, round)
	byWorker := make([][]walDecision, len(r.workers))
	for _, d := range ds {
		w := shardIndex(d.id, len(r.workers))
		byWorker[w] = append(byWorker[w], d)
	}
	for w, decs := range byWorker {
		if len(decs) > 0 {
			r.workers[w].in <- replayMsg{kind: recDecisions, decs: decs, round: round}
		}
	}
	return nil
}

// cachesRecord restores a worker's caches from a checkpoint's snapshot. The
// dropped filter is restored only into the same worker layout; kept
// decisions are exact and go to whichever worker owns the id now.
func (r *replay) cachesRecord(b []byte) error {
	c, err := decodeCaches(b)
	if err != nil {
		return err
	}
	n := len(r.workers)
	if c.workers == n && c.worker < n {
		r.workers[c.worker].in <- replayMsg{kind: recCaches, filter: &c}
	}
	byWorker := make([][]walDecision, n)
	for _, d := range c.kept {
		w := shardIndex(d.id, n)
		byWorker[w] = append(byWorker[w], d)
	}
	for w, kept := range byWorker {
		if len(kept) > 0 {
			r.workers[w].in <- replayMsg{kind: recCaches, decs: kept}
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
