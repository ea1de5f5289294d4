// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/metadata"
	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/wal"
)

var errWALFailed = errors.New("tail_policy: the write-ahead log failed, retry later")

// walLog is the processor's one log. Appends are short (a copy into the
// log's buffer under mu); fsyncs are group commits outside mu: the first
// caller that finds its record unsynced becomes the leader, waits until
// `sync` has passed since the last fsync (none with "always"), flushes and
// fsyncs, and wakes everyone whose records that covered.
type walLog struct {
	interval time.Duration // 0: always, < 0: never
	maxBytes int64
	tb       *metadata.TelemetryBuilder
	logger   *zap.Logger

	mu       sync.Mutex
	synced   *sync.Cond
	log      *wal.Log
	appended uint64 // records appended
	durable  uint64 // records covered by an fsync
	syncing  bool
	lastSync time.Time
	// err is sticky: after a failed write or fsync nothing is acknowledged any
	// more (a retried fsync can report success for pages the kernel dropped).
	err error
	// inflight counts, per segment, the worker batches appended but not yet
	// ingested (checkpoints must not delete what no worker holds yet).
	inflight map[int]int

	bytes    atomic.Int64
	segments atomic.Int64
	first    atomic.Int64
	current  atomic.Int64
}

func newWALLog(l *wal.Log, cfg WALConfig, tb *metadata.TelemetryBuilder, logger *zap.Logger) *walLog {
	interval, _ := cfg.syncInterval() // validated
	w := &walLog{interval: interval, maxBytes: cfg.MaxBytes, tb: tb, logger: logger, log: l, inflight: map[int]int{}}
	w.synced = sync.NewCond(&w.mu)
	w.publish()
	return w
}

// publish mirrors the log's size for the gauges and the overload fill.
func (w *walLog) publish() {
	w.bytes.Store(w.log.Bytes())
	w.segments.Store(int64(w.log.Segments()))
	w.first.Store(int64(w.log.First()))
	w.current.Store(int64(w.log.Segment()))
}

func (w *walLog) fill() float64 { return float64(w.bytes.Load()) / float64(w.maxBytes) }

// appendSpans logs an accepted request (arrival time and spans, walspans.go)
// and takes refs in-flight references on its segment, one per worker batch.
func (w *walLog) appendSpans(td ptrace.Traces, arrival time.Time, refs int) (seq uint64, seg int, err error) {
	e := spansEncoders.Get().(*spansEncoder)
	defer spansEncoders.Put(e)
	parts := e.encode(td, arrival)
	w.mu.Lock()
	defer w.mu.Unlock()
	if seq, err = w.appendLocked(parts...); err != nil {
		return 0, 0, err
	}
	seg = w.log.Segment()
	w.inflight[seg] += refs
	return seq, seg, nil
}

// appendRecord logs a decision, hand-on or cache record; it is made durable
// by the next fsync.
func (w *walLog) appendRecord(parts ...[]byte) (uint64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.appendLocked(parts...)
}

func (w *walLog) appendLocked(parts ...[]byte) (uint64, error) {
	if w.err != nil {
		return 0, w.err
	}
	if err := w.log.AppendParts(parts...); err != nil {
		w.fail(err)
		return 0, w.err
	}
	w.appended++
	w.publish()
	return w.appended, nil
}

func (w *walLog) fail(err error) {
	if w.err == nil {
		w.logger.Error("tail_policy: write-ahead log failed; refusing data until restart", zap.Error(err))
		w.err = errWALFailed
	}
}

// release gives back an in-flight reference once a worker ingested its batch.
func (w *walLog) release(seg int) {
	w.mu.Lock()
	if w.inflight[seg]--; w.inflight[seg] <= 0 {
		delete(w.inflight, seg)
	}
	w.mu.Unlock()
}

// waitDurable returns once record seq is fsynced (at once with "never").
func (w *walLog) waitDurable(seq uint64) error {
	if w.interval < 0 {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.durable < seq {
		if w.err != nil {
			return w.err
		}
		if w.syncing {
			w.synced.Wait()
			continue
		}
		w.syncing = true
		w.commit()
		w.syncing = false
		w.synced.Broadcast()
	}
	return w.err
}

// commit is the leader's group commit; it is entered and left holding mu.
func (w *walLog) commit() {
	if wait := w.interval - time.Since(w.lastSync); w.interval > 0 && wait > 0 {
		w.mu.Unlock()
		time.Sleep(wait) // others append meanwhile and share this fsync
		w.mu.Lock()
	}
	target := w.appended
	f, err := w.log.FlushFile()
	if err != nil {
		w.fail(err)
		return
	}
	w.mu.Unlock()
	start := time.Now()
	err = f.Sync()
	took := time.Since(start)
	w.mu.Lock()
	if err != nil && !errors.Is(err, os.ErrClosed) {
		w.fail(err)
		return
	}
	w.tb.ProcessorTailPolicyWalFsyncDuration.Record(context.Background(), float64(took)/float64(time.Millisecond))
	w.durable = max(w.durable, target)
	w.lastSync = time.Now()
}

// syncAll makes everything appended so far durable, whatever the policy
// (with "never" it is written to the OS, which a crash of the process keeps).
func (w *walLog) syncAll() error {
	if w.interval >= 0 {
		w.mu.Lock()
		seq := w.appended
		w.mu.Unlock()
		return w.waitDurable(seq)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if _, err := w.log.FlushFile(); err != nil {
		w.fail(err)
		return w.err
	}
	return nil
}

// inflightMin is the oldest segment still needed by in-flight batches, or MaxInt.
func (w *walLog) inflightMin() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := math.MaxInt
	for seg := range w.inflight {
		m = min(m, seg)
	}
	return m
}

// checkpoint deletes the segments before keep.
func (w *walLog) checkpoint(keep int) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	err := w.log.Checkpoint(keep)
	w.publish()
	return err
}

// roll starts a new segment.
func (w *walLog) roll() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if err := w.log.Roll(); err != nil {
		w.fail(err)
		return w.err
	}
	w.publish()
	return nil
}

func (w *walLog) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return nil
	}
	w.err = errWALFailed // nothing appends after close
	return w.log.Close()
}

// abandon closes the log as a crash leaves it: what is buffered is lost.
func (w *walLog) abandon() {
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.log.Abandon()
	w.err = errWALFailed
}

// ingestBatch is one worker's part of a request, with the log segment it was
// appended to.
type ingestBatch struct {
	refs []spanRef
	seg  int
}

// fwdBatch is one round's kept spans, with the round's D record (round id and
// log sequence; 0 without one).
type fwdBatch struct {
	td         ptrace.Traces
	round, seq uint64
	// done, for a retroactive keep (retroactive.go), receives the next
	// consumer's answer; such a batch is no round's.
	done chan error
}

func (s *shard) fwdBatchOf(td ptrace.Traces) fwdBatch {
	if s.wal == nil {
		return fwdBatch{td: td}
	}
	return fwdBatch{td: td, round: s.wal.round, seq: s.wal.seq}
}

// walAppend logs an accepted request and waits until it is durable, before
// any worker sees it: a request refused here (the slots are given back) was
// never handed over. If the fsync fails after the record reached the disk,
// the client's retry is a second copy of the same spans; replay keeps the
// first and drops duplicate span ids of a trace (badDuplicateSpan).
func (p *tailPolicy) walAppend(td ptrace.Traces, batches [][]spanRef) (int, error) {
	if p.wal == nil {
		return 0, nil
	}
	refs := 0
	for _, b := range batches {
		if len(b) > 0 {
			refs++
		}
	}
	if refs == 0 {
		return 0, nil
	}
	seq, seg, err := p.wal.appendSpans(td, p.clock.Now(), refs)
	if err == nil {
		err = p.wal.waitDurable(seq)
		if err != nil {
			for range refs {
				p.wal.release(seg)
			}
		}
	}
	if err != nil {
		p.unreserve(batches)
		p.eng.tel.refusedSpans("wal_error", td.SpanCount())
		return 0, errRefused
	}
	return seg, nil
}

// ingestQueued ingests a batch and, with the log, publishes the segments the
// worker now holds before giving back the batch's in-flight reference.
func (p *tailPolicy) ingestQueued(sh *shard, b ingestBatch) {
	if sh.wal == nil {
		sh.ingest(b.refs, p.clock.Now())
		return
	}
	sh.wal.seg = b.seg
	sh.ingest(b.refs, p.clock.Now())
	p.wal.release(b.seg)
}

// walBeforeForward waits until the round's decisions are durable, so that
// a forwarded trace is never decided differently after a crash.
func (p *tailPolicy) walBeforeForward(b fwdBatch) {
	if p.wal == nil || b.seq == 0 {
		return
	}
	if err := p.wal.waitDurable(b.seq); err != nil {
		p.logger.Warn("tail_policy: forwarding kept spans whose decision is not durable", zap.Error(err))
	}
}

// walHanded logs that the next consumer returned for the round.
func (p *tailPolicy) walHanded(i int, b fwdBatch) {
	if p.wal == nil {
		return
	}
	if b.round != 0 {
		rec := binary.AppendUvarint([]byte{recHanded}, b.round)
		_, _ = p.wal.appendRecord(rec) // lost: the round is forwarded again after a crash
	}
	p.shards[i].wal.handed.Add(1)
}

func (p *tailPolicy) registerWALGauges() error {
	return errors.Join(
		p.tb.RegisterProcessorTailPolicyWalBytesCallback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(p.wal.bytes.Load())
			return nil
		}),
		p.tb.RegisterProcessorTailPolicyWalSegmentsCallback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(p.wal.segments.Load())
			return nil
		}),
	)
}
