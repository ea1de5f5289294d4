// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package retain // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/retain"

import (
	"fmt"
	"os"

	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/wal"
)

// segment is one file of the ring. Only the newest one is written; records
// are read back from any with ReadAt.
type segment struct {
	num     uint32
	f       *os.File
	size    int64 // bytes written, including those still buffered
	records int
	// oldest and newest are the write times (Unix ns) of its records; age
	// expiry deletes the segment when its oldest record is max_age old.
	oldest, newest int64
}

func (s *segment) note(written int64) {
	if s.records == 0 || written < s.oldest {
		s.oldest = written
	}
	s.newest = max(s.newest, written)
	s.records++
}

// The ring's segments are named and listed as the log's (wal.SegmentPath).
func segmentPath(dir string, num uint32) string {
	return wal.SegmentPath(dir, int(num))
}

// segmentNumbers lists the segment files in dir, in order; other files are
// ignored.
func segmentNumbers(dir string) ([]uint32, error) {
	nums, err := wal.ListSegments(dir)
	if err != nil {
		return nil, fmt.Errorf("retain: %w", err)
	}
	out := make([]uint32, len(nums))
	for i, n := range nums {
		out[i] = uint32(n) // eight decimal digits fit
	}
	return out, nil
}

func createSegment(dir string, num uint32) (*segment, error) {
	f, err := os.OpenFile(segmentPath(dir, num), os.O_CREATE|os.O_EXCL|os.O_RDWR|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("retain: create segment %d: %w", num, err)
	}
	return &segment{num: num, f: f}, nil
}
