// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/metadata"
	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/retain"
)

// Retention of dropped traces (wal.retain_dropped): the spans of every trace
// the rules drop, and late spans the dropped cache drops, go to a ring on
// disk (internal/retain) for at most max_bytes and max_age, so that an
// operator can get a trace back after an incident (retroactive.go).
//
// The workers never wait for the disk: they hand each dropped trace to one
// writer goroutine through a bounded queue; when it is full the trace is not
// retained (retain_skipped_spans). Retention is best effort in the same way
// across a crash: records are not fsynced, and the last ones may be lost.

// retainQueueSize bounds the dropped traces waiting for the writer.
const retainQueueSize = 512

type retention struct {
	ring   *retain.Ring
	queue  chan retainItem
	done   chan struct{}
	tb     *metadata.TelemetryBuilder
	logger *zap.Logger
	// failures counts failed writes; the first one is logged.
	failures  atomic.Int64
	closeOnce sync.Once
	closeErr  error
}

// retainItem is one dropped trace (or late span) for the writer; a non-nil
// synced is a marker the writer closes once everything before it is written.
type retainItem struct {
	id        pcommon.TraceID
	service   string
	firstSeen time.Time
	payload   []byte // retainencode.go
	spans     int
	synced    chan struct{}
}

func openRetention(cfg WALConfig, tb *metadata.TelemetryBuilder, logger *zap.Logger) (*retention, error) {
	ring, err := retain.Open(cfg.retainedDir(), cfg.RetainDropped.MaxBytes, cfg.RetainDropped.MaxAge, retain.WithDecoder(decodeRetained))
	if err != nil {
		return nil, fmt.Errorf("tail_policy: wal.retain_dropped: %w", err)
	}
	r := &retention{ring: ring, queue: make(chan retainItem, retainQueueSize), done: make(chan struct{}), tb: tb, logger: logger}
	st := ring.Stats()
	if damaged := st.TruncatedTails + st.SkippedSegments; damaged > 0 {
		tb.ProcessorTailPolicyRetainedCorruptions.Add(context.Background(), damaged)
		logger.Warn("tail_policy: damaged records of retained dropped traces were cut off or skipped",
			zap.Int64("truncated_tails", st.TruncatedTails), zap.Int64("skipped_segments", st.SkippedSegments))
	}
	if err := r.registerGauges(); err != nil {
		return nil, errors.Join(err, ring.Close())
	}
	go r.run()
	return r, nil
}

// startRetention opens the ring with wal.retain_dropped, before the workers
// run.
func (p *tailPolicy) startRetention() error {
	if !p.cfg.WAL.retaining() {
		return nil
	}
	r, err := openRetention(p.cfg.WAL, p.tb, p.logger)
	if err != nil {
		return err
	}
	p.eng.retain = r
	return nil
}

// stopRetention writes what is queued and closes the ring, once the workers
// have ended (or never ran).
func (p *tailPolicy) stopRetention() {
	r := p.eng.retain
	if r == nil {
		return
	}
	if err := r.close(); err != nil {
		p.logger.Warn("tail_policy: closing the retained dropped traces", zap.Error(err))
	}
}

func (p *tailPolicy) closeOutputs() {
	for _, out := range p.outputs {
		close(out)
	}
}

// enqueue hands a dropped trace to the writer. A worker never waits for the
// disk while data flows: with the queue full, the trace is counted as
// skipped. At shutdown (wait) nothing else waits for the worker, and every
// buffered trace is decided at once: it waits for the writer instead.
func (r *retention) enqueue(it retainItem, wait bool) {
	if wait {
		r.queue <- it
		return
	}
	select {
	case r.queue <- it:
	default:
		r.tb.ProcessorTailPolicyRetainSkippedSpans.Add(context.Background(), int64(it.spans))
	}
}

func (r *retention) run() {
	defer close(r.done)
	ctx := context.Background()
	for it := range r.queue {
		if it.synced != nil {
			close(it.synced)
			continue
		}
		err := r.ring.Put(it.id, it.service, it.firstSeen, it.payload)
		if err == nil {
			r.tb.ProcessorTailPolicyRetainedSpans.Add(ctx, int64(it.spans))
			continue
		}
		r.tb.ProcessorTailPolicyRetainSkippedSpans.Add(ctx, int64(it.spans))
		if !errors.Is(err, retain.ErrTooLarge) && r.failures.Add(1) == 1 {
			// Errors name files and sizes, never data.
			r.logger.Warn("tail_policy: retaining dropped traces failed; counted in retain_skipped_spans from now on", zap.Error(err))
		}
	}
}

// flush waits until everything enqueued before it is written (tests).
func (r *retention) flush() {
	ch := make(chan struct{})
	r.queue <- retainItem{synced: ch}
	<-ch
}

// close writes what is queued and closes the ring; the workers have ended.
func (r *retention) close() error {
	r.closeOnce.Do(func() {
		close(r.queue)
		<-r.done
		r.closeErr = r.ring.Close()
	})
	return r.closeErr
}

func (r *retention) registerGauges() error {
	return errors.Join(
		r.tb.RegisterProcessorTailPolicyRetainedBytesCallback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(r.ring.Stats().Bytes)
			return nil
		}),
		r.tb.RegisterProcessorTailPolicyRetainedTracesCallback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(int64(r.ring.Stats().Traces))
			return nil
		}),
	)
}

// retainDropped hands the spans of a dropped trace to retention (waiting for
// the writer at shutdown, see enqueue), encoded for the ring: buffered spans
// from pdata, compact chunks and pending records transcoded.
func (s *shard) retainDropped(ts *traceState, trg trigger) {
	e := s.retainEncoder()
	for _, ref := range ts.spans {
		e.addSpan(ts.id, ref.scope, ref.span)
	}
	for _, chunk := range ts.chunks {
		s.retainChunk(e, ts, chunk)
	}
	if ts.pendingSpans > 0 {
		for _, rec := range s.recs {
			if rec.ts == ts {
				s.retainChunk(e, ts, s.enc[rec.off:rec.end])
			}
		}
	}
	if e.nspans == 0 {
		return
	}
	service := ts.rootKey.service
	if !ts.hasRoot {
		service = e.first.res.service
	}
	s.eng.retain.enqueue(retainItem{id: ts.id, service: service, firstSeen: ts.firstSeen, payload: e.payload(ts.firstSeen), spans: e.nspans}, trg == triggerShutdown)
}

func (s *shard) retainChunk(e *retainEncoder, ts *traceState, chunk []byte) {
	r := newSpanReader(s.codec, chunk)
	if err := e.addChunk(ts, &r); err != nil {
		// Cannot happen for bytes this shard wrote; never silently.
		s.eng.logger.Error("tail_policy: a buffered chunk does not decode; its remaining spans are not retained", zap.Error(err))
	}
}

// retainLate hands a late span of a dropped trace to retention, where it
// joins the spans retained with the decision.
func (s *shard) retainLate(ref spanRef, now time.Time) {
	e := s.retainEncoder()
	id := ref.span.TraceID()
	e.addSpan(id, ref.scope, ref.span)
	s.eng.retain.enqueue(retainItem{id: id, service: ref.scope.res.service, firstSeen: now, payload: e.payload(now), spans: 1}, false)
}

// retainEncoder returns the shard's encoder, reset.
func (s *shard) retainEncoder() *retainEncoder {
	if s.retainEnc == nil {
		s.retainEnc = newRetainEncoder()
	}
	s.retainEnc.reset()
	return s.retainEnc
}
