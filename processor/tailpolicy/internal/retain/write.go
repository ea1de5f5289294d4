// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package retain // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/retain"

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/wal"
)

// Put retains spans, encoded by the caller (see WithDecoder), as (part of)
// dropped trace id: service and firstSeen are the trace's, from its first
// arrival. A trace may be put more than once (late spans of a dropped trace);
// Get returns all its puts. spans is copied. Records are buffered (see Sync).
func (r *Ring) Put(id pcommon.TraceID, service string, firstSeen time.Time, spans []byte) error {
	if id.IsEmpty() {
		return errors.New("retain: empty trace id")
	}
	if len(spans) == 0 {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	now := r.now().UnixNano()
	r.payload = appendPut(r.payload[:0], id, serviceKey(service), firstSeen.UnixNano(), now, spans)
	l, err := r.append(now)
	if err != nil {
		return err
	}
	if r.idx.add(id, []byte(serviceKey(service)), firstSeen.UnixNano(), l) && r.idx.len() > r.maxTraces {
		return r.enforce(0, now)
	}
	return nil
}

// Remove takes trace id out of retention with a tombstone, synced to disk,
// so that it is not served again after a restart; it reports whether the
// trace was retained. A later Put of the same id retains it anew.
func (r *Ring) Remove(id pcommon.TraceID) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false, ErrClosed
	}
	if _, ok := r.idx.traces[id]; !ok {
		return false, nil
	}
	now := r.now().UnixNano()
	r.payload = appendTombstone(r.payload[:0], id, now)
	if _, err := r.append(now); err != nil {
		return false, err
	}
	r.idx.remove(id)
	return true, r.syncLocked()
}

// append frames r.payload into the active segment, first rolling to a new
// segment and expiring old ones as the bounds require.
func (r *Ring) append(now int64) (loc, error) {
	frame, err := wal.AppendFramed(r.frame[:0], r.payload)
	r.frame = frame
	if err != nil || int64(len(frame)) > r.segBytes {
		r.stats.TooLarge++
		return loc{}, ErrTooLarge
	}
	if err := r.enforce(int64(len(frame)), now); err != nil {
		return loc{}, err
	}
	s := r.active()
	if s.size >= r.segBytes || s.records >= r.maxRecs || (s.records > 0 && now-s.oldest >= r.ageSlice()) {
		if err := r.roll(); err != nil {
			return loc{}, err
		}
		s = r.active()
	}
	if _, err := r.w.Write(frame); err != nil {
		return loc{}, fmt.Errorf("retain: write: %w", err)
	}
	l := loc{seg: s.num, off: uint32(s.size), n: uint32(len(frame))}
	s.size += int64(len(frame))
	s.note(now)
	r.records++
	r.bytes += int64(len(frame))
	return l, nil
}

// ageSlice is how long a segment collects records: a record is deleted
// between max_age - max_age/8 and max_age after it was written.
func (r *Ring) ageSlice() int64 { return int64(r.maxAge / segmentsPerBudget) }

// enforce deletes the oldest segments while the oldest record is max_age old,
// the ring plus incoming bytes would exceed max_bytes, or the index holds
// more traces than its budget or more than twice as many records (late puts
// add locations, 12 bytes each). The active segment is rolled first when it is
// the one to go.
func (r *Ring) enforce(incoming int64, now int64) error {
	incomingRecords := 0
	if incoming > 0 {
		incomingRecords = 1
	}
	for {
		s := r.segs[0]
		expired := s.records > 0 && now-s.oldest >= int64(r.maxAge)
		// A damaged segment with nothing left to serve goes first.
		useless := s.records == 0 && len(r.segs) > 1
		if !expired && !useless && r.bytes+incoming <= r.maxBytes && r.idx.len() <= r.maxTraces && r.records+incomingRecords <= 2*r.maxTraces {
			return nil
		}
		if len(r.segs) == 1 {
			if s.records == 0 {
				return nil // nothing left to delete
			}
			if err := r.roll(); err != nil {
				return err
			}
		}
		if err := r.dropOldest(); err != nil {
			return err
		}
	}
}

// expire applies the bounds before a read, so that an idle ring still stops
// serving records older than max_age.
func (r *Ring) expire() error { return r.enforce(0, r.now().UnixNano()) }

func (r *Ring) dropOldest() error {
	s := r.segs[0]
	r.idx.dropSegment(s.num)
	r.segs = r.segs[1:]
	r.bytes -= s.size
	r.records -= s.records
	r.stats.ExpiredSegments++
	err := s.f.Close()
	if rmErr := os.Remove(segmentPath(r.dir, s.num)); rmErr != nil {
		err = errors.Join(err, rmErr)
	}
	if err != nil {
		return fmt.Errorf("retain: expire segment %d: %w", s.num, err)
	}
	return nil
}

// roll flushes the active segment and starts the next one. The old one is
// not fsynced: retained spans are best effort.
func (r *Ring) roll() error {
	if err := r.w.Flush(); err != nil {
		return fmt.Errorf("retain: write: %w", err)
	}
	return r.startSegment(r.active().num + 1)
}

func (r *Ring) startSegment(num uint32) error {
	s, err := createSegment(r.dir, num)
	if err != nil {
		return err
	}
	r.segs = append(r.segs, s)
	if r.w == nil {
		r.w = bufio.NewWriterSize(s.f, 64<<10)
	} else {
		r.w.Reset(s.f)
	}
	return nil
}
