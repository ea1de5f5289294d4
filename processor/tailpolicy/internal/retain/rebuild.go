// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package retain // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/retain"

import (
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/wal"
)

var errForeign = errors.New("retain: segment too large")

// rebuild scans every segment in order into the index. Only record headers
// are decoded, never the spans.
func (r *Ring) rebuild() error {
	nums, err := segmentNumbers(r.dir)
	if err != nil {
		return err
	}
	// The last segment with data is the one a crash can have torn: empty
	// segments after it were started just before the crash.
	lastData := -1
	for i, num := range nums {
		if fi, err := os.Stat(segmentPath(r.dir, num)); err == nil && fi.Size() > 0 {
			lastData = i
		}
	}
	for i, num := range nums {
		s, err := r.scanSegment(num, i >= lastData)
		if err != nil {
			return err
		}
		if s.size == 0 {
			// Nothing in it (a segment started just before a restart, or
			// a tail truncated to nothing): no reason to keep the file.
			_ = s.f.Close()
			if err := os.Remove(segmentPath(r.dir, num)); err != nil {
				return fmt.Errorf("retain: remove empty segment %d: %w", num, err)
			}
			continue
		}
		r.segs = append(r.segs, s)
		r.bytes += s.size
		r.records += s.records
	}
	return nil
}

// scanSegment indexes one segment's records up to the first damaged one; the
// last segment is truncated there, an earlier one keeps its bytes (counted
// against max_bytes until it expires) but nothing after the damage is indexed.
func (r *Ring) scanSegment(num uint32, last bool) (*segment, error) {
	path := segmentPath(r.dir, num)
	flag := os.O_RDONLY
	if last {
		flag = os.O_RDWR
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, fmt.Errorf("retain: open segment %d: %w", num, err)
	}
	s := &segment{num: num, f: f}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("retain: stat segment %d: %w", num, err)
	}
	damaged := false
	good, corrupt, err := wal.ScanFramed(f, func(off int64, n int, rec []byte) error {
		if off+int64(n) > math.MaxUint32 {
			return errForeign // not a segment of ours: they are at most 64 MiB
		}
		h, err := decodeHeader(rec)
		if err != nil {
			// Framing and checksum are sound but the payload is not ours:
			// the records after it still are, so go on.
			damaged = true
			return nil
		}
		s.note(h.written)
		if h.kind == kindTombstone {
			r.idx.remove(h.id)
		} else {
			r.idx.add(h.id, h.service, h.firstSeen, loc{seg: num, off: uint32(off), n: uint32(n)})
		}
		return nil
	})
	if errors.Is(err, errForeign) {
		corrupt, err = true, nil
	}
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("retain: scan segment %d: %w", num, err)
	}
	s.size = fi.Size()
	switch {
	case corrupt && last:
		if err := f.Truncate(good); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("retain: truncate segment %d: %w", num, err)
		}
		s.size = good
		r.stats.TruncatedTails++
	case corrupt || damaged:
		r.stats.SkippedSegments++
	}
	return s, nil
}
