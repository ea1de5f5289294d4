// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

// Package retain keeps the spans of traces tail_policy dropped in a size- and
// age-bounded ring of segment files on disk, indexed by trace id, so that an
// operator can get them back after an incident (issues 13 and 15).
//
// Records use internal/wal's framing (length, CRC32C, payload) in numbered
// segment files; the index (trace id → record locations, service, first
// arrival) lives in memory and is rebuilt by scanning the segments on Open.
// A torn or corrupt tail of the last segment is truncated and counted; in an
// earlier segment the records from a corruption on are skipped and counted.
// Expiry deletes whole oldest segments, by max_bytes, by max_age and by the
// index's trace budget. Remove appends a tombstone, so a trace taken back out
// is not served again after a restart.
//
// Written on internal/wal's record format rather than on wal.Log or an
// embedded key-value store: Log replays everything in order and offers no
// read at an offset, which a lookup by trace id needs; Pebble (what contrib's
// pebble_tail_storage uses) is not in the module, and its compactions would
// rewrite data that is written once, mostly never read and deleted by whole
// segments, which a ring of files does without rewriting anything.
//
// Puts are buffered and not fsynced (retention is best effort: a crash loses
// at most the buffered records); Remove fsyncs, so a retroactive keep is not
// undone by a crash.
package retain // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/retain"

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

const (
	// MinMaxBytes is the smallest disk budget Open accepts.
	MinMaxBytes = 64 << 10
	// maxSegmentBytes keeps offsets in 32 bits and a segment a small share
	// of a large budget.
	maxSegmentBytes = 64 << 20
	minSegmentBytes = 1 << 10
	// segmentsPerBudget: a segment is at most 1/8 of max_bytes, so expiry by
	// bytes deletes at most an eighth of the ring at a time; the same share of
	// max_age bounds how long a segment collects records.
	segmentsPerBudget = 8
	// bytesPerTrace sets the default trace budget of the index:
	// max_bytes / 1 KiB traces (at ~100 bytes of index per trace, about a
	// tenth of max_bytes in memory at most).
	bytesPerTrace = 1 << 10
)

var (
	// ErrTooLarge: a put larger than a segment is not retained.
	ErrTooLarge = errors.New("retain: trace larger than a segment")
	// ErrCorrupt: a record failed its checksum or does not decode.
	ErrCorrupt = errors.New("retain: corrupt record")
	// ErrClosed: the ring was closed.
	ErrClosed = errors.New("retain: closed")
)

// Option changes a default of Open.
type Option func(*options)

type options struct {
	now          func() time.Time
	segmentBytes int64
	maxTraces    int
	decode       Decoder
}

// Decoder turns the spans of a Put back into traces. The ring stores the
// bytes it is given and never looks into them; the default decodes OTLP
// protobuf.
type Decoder func(spans []byte) (ptrace.Traces, error)

// WithDecoder sets how Get and Select's callers get spans back from what Put
// stored (tail_policy's compact records; default OTLP protobuf).
func WithDecoder(d Decoder) Option { return func(o *options) { o.decode = d } }

func decodeProtobuf(spans []byte) (ptrace.Traces, error) {
	var u ptrace.ProtoUnmarshaler
	return u.UnmarshalTraces(spans)
}

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithSegmentBytes sets the segment size (default max_bytes/8, at most 64 MiB).
func WithSegmentBytes(n int64) Option { return func(o *options) { o.segmentBytes = n } }

// WithMaxTraces bounds the number of traces in the index (default
// max_bytes/1 KiB); beyond it the oldest segments are deleted.
func WithMaxTraces(n int) Option { return func(o *options) { o.maxTraces = n } }

// Stats describe the ring.
type Stats struct {
	Bytes    int64
	Segments int
	Traces   int
	// TruncatedTails counts torn or corrupt tails of the last segment cut off
	// by Open; SkippedSegments earlier segments whose records from a
	// corruption on were skipped; CorruptReads records that failed their
	// checksum when read back.
	TruncatedTails  int64
	SkippedSegments int64
	CorruptReads    int64
	// ExpiredSegments counts segments deleted by max_bytes, max_age or the
	// trace budget; TooLarge puts not retained because they exceed a segment.
	ExpiredSegments int64
	TooLarge        int64
	// Oldest is the write time of the oldest record still retained (zero when
	// the ring is empty): how far back a dropped trace can be got back.
	Oldest time.Time
}

// Ring is the on-disk ring of dropped traces. It is safe for concurrent use;
// every method holds one lock, including Get's reads (operator requests are
// rare, and a read is one pread per record).
type Ring struct {
	mu        sync.Mutex
	dir       string
	maxBytes  int64
	maxAge    time.Duration
	segBytes  int64
	maxTraces int
	maxRecs   int // records per segment, so the trace budget can expire by segment
	now       func() time.Time
	decode    Decoder

	segs    []*segment // oldest first; the last one is written
	w       *bufio.Writer
	idx     *index
	bytes   int64
	records int // in all segments
	stats   Stats
	closed  bool

	payload, frame []byte
}

// Open opens (creating it if needed) the ring in dir, rebuilds the index from
// its segments and starts a new segment for writing. Damage found on the way
// is repaired and counted, never an error.
func Open(dir string, maxBytes int64, maxAge time.Duration, opts ...Option) (*Ring, error) {
	o := options{now: time.Now, decode: decodeProtobuf}
	for _, opt := range opts {
		opt(&o)
	}
	if maxBytes < MinMaxBytes {
		return nil, fmt.Errorf("retain: max_bytes %d is below the minimum %d", maxBytes, MinMaxBytes)
	}
	if maxAge <= 0 {
		return nil, errors.New("retain: max_age must be positive")
	}
	if o.segmentBytes == 0 {
		o.segmentBytes = min(max(maxBytes/segmentsPerBudget, minSegmentBytes), maxSegmentBytes)
	}
	if o.segmentBytes < minSegmentBytes || o.segmentBytes > min(maxSegmentBytes, maxBytes/4) {
		return nil, fmt.Errorf("retain: segment size %d must be between %d and min(64 MiB, max_bytes/4)", o.segmentBytes, minSegmentBytes)
	}
	if o.maxTraces == 0 {
		o.maxTraces = int(max(maxBytes/bytesPerTrace, 1))
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("retain: create %q: %w", dir, err)
	}
	r := &Ring{
		dir: dir, maxBytes: maxBytes, maxAge: maxAge, segBytes: o.segmentBytes,
		maxTraces: o.maxTraces, maxRecs: max(o.maxTraces/segmentsPerBudget, 1), now: o.now, decode: o.decode, idx: newIndex(),
	}
	if err := r.rebuild(); err != nil {
		r.closeFiles()
		return nil, err
	}
	next := uint32(0)
	if n := len(r.segs); n > 0 {
		next = r.segs[n-1].num + 1
	}
	if err := r.startSegment(next); err != nil {
		r.closeFiles()
		return nil, err
	}
	if err := r.enforce(0, r.now().UnixNano()); err != nil {
		r.closeFiles()
		return nil, err
	}
	return r, nil
}

// Stats returns the ring's size and counters.
func (r *Ring) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.stats
	st.Bytes, st.Segments, st.Traces = r.bytes, len(r.segs), r.idx.len()
	for _, s := range r.segs {
		if s.records > 0 && (st.Oldest.IsZero() || s.oldest < st.Oldest.UnixNano()) {
			st.Oldest = time.Unix(0, s.oldest)
		}
	}
	return st
}

// Sync writes buffered records to the active segment and fsyncs it.
func (r *Ring) Sync() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	return r.syncLocked()
}

func (r *Ring) syncLocked() error {
	if err := r.w.Flush(); err != nil {
		return fmt.Errorf("retain: write: %w", err)
	}
	if err := r.active().f.Sync(); err != nil {
		return fmt.Errorf("retain: fsync: %w", err)
	}
	return nil
}

// Close syncs and closes the ring; further calls return ErrClosed.
func (r *Ring) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	err := r.syncLocked()
	r.closed = true
	err = errors.Join(err, r.closeFiles())
	if s := r.active(); s.size == 0 {
		err = errors.Join(err, os.Remove(segmentPath(r.dir, s.num)))
	}
	return err
}

func (r *Ring) closeFiles() error {
	var errs []error
	for _, s := range r.segs {
		errs = append(errs, s.f.Close())
	}
	return errors.Join(errs...)
}

func (r *Ring) active() *segment { return r.segs[len(r.segs)-1] }

// segment returns the open segment num (nil if it expired).
func (r *Ring) segment(num uint32) *segment {
	for _, s := range r.segs {
		if s.num == num {
			return s
		}
	}
	return nil
}
