// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

// Package wal is tail_policy's write-ahead log (issue 13): records appended to
// numbered segment files and replayed in order when the log is opened.
//
// A record is its length (uvarint), the CRC32-Castagnoli of its payload (4
// bytes, little endian) and the payload. Recovery: a torn or corrupt tail of
// the last segment is truncated and counted, never a failure to open; in an
// earlier segment the records from a corruption on are skipped and counted,
// and replay goes on with the next segment. Checkpoint deletes the segments
// whose records are no longer needed.
//
// Written by hand rather than on Prometheus' tsdb/wlog: wlog's Repair deletes
// every segment after a corruption (we must keep them and skip only the
// corrupt part), and using it would add its metrics and logging dependencies
// (client_golang, procfs, promslog) to the module for a format this small.
//
// The processor (walwrite.go) appends under its own lock and fsyncs outside
// it with FlushFile, so that appenders do not wait for the disk.
package wal // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/wal"

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maxRecord bounds a record's length, so a corrupt length cannot make replay
// allocate without bound.
const maxRecord = 64 << 20

// ReplayStats says what Open found.
type ReplayStats struct {
	// Records replayed, in the order they were appended.
	Records int
	// TruncatedTails counts a torn or corrupt tail of the last segment, cut off.
	TruncatedTails int
	// SkippedSegments counts earlier segments whose records from a corruption on
	// were skipped.
	SkippedSegments int
}

// Log is an open write-ahead log for one writer.
type Log struct {
	dir         string
	segmentSize int64
	seg         int
	first       int
	f           *os.File
	w           *bufio.Writer
	size        int64
	// total is the bytes of every segment on disk, segs their number.
	total int64
	segs  int
	hdr   [binary.MaxVarintLen64 + 4]byte
}

// Open replays every record of the log in dir to replay (rec is only valid
// during the call), truncates a torn tail, and opens the log for appending to
// a new segment; segments are closed once they reach segmentSize bytes. An
// error from replay stops Open.
func Open(dir string, segmentSize int64, replay func(rec []byte) error) (*Log, ReplayStats, error) {
	var st ReplayStats
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, st, fmt.Errorf("wal: create %q: %w", dir, err)
	}
	segs, err := ListSegments(dir)
	if err != nil {
		return nil, st, err
	}
	for i, s := range segs {
		good, corrupt, err := replaySegment(SegmentPath(dir, s), replay, &st)
		if err != nil {
			return nil, st, err
		}
		if !corrupt {
			continue
		}
		if i < len(segs)-1 {
			st.SkippedSegments++
			continue
		}
		st.TruncatedTails++
		if err := os.Truncate(SegmentPath(dir, s), good); err != nil {
			return nil, st, fmt.Errorf("wal: truncate segment %d: %w", s, err)
		}
	}
	next := 0
	if len(segs) > 0 {
		next = segs[len(segs)-1] + 1
	}
	first := next
	if len(segs) > 0 {
		first = segs[0]
	}
	l := &Log{dir: dir, segmentSize: segmentSize, first: first}
	for _, s := range segs {
		if fi, err := os.Stat(SegmentPath(dir, s)); err == nil {
			l.total += fi.Size()
			l.segs++
		}
	}
	if err := l.openSegment(next); err != nil {
		return nil, st, err
	}
	return l, st, nil
}

// Scan reads every record of the log in dir, as Open would replay them, but
// changes nothing: no truncation, no new segment. A caller that needs two
// passes (an index first) scans, then opens.
func Scan(dir string, fn func(rec []byte) error) error {
	return ScanBefore(dir, math.MaxInt, fn)
}

// ScanBefore is Scan of the segments with an index below end (for instance
// those before the one an open Log writes to).
func ScanBefore(dir string, end int, fn func(rec []byte) error) error {
	segs, err := ListSegments(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	var st ReplayStats
	for _, s := range segs {
		if s >= end {
			break
		}
		if _, _, err := replaySegment(SegmentPath(dir, s), fn, &st); err != nil {
			return err
		}
	}
	return nil
}

// replaySegment replays the records of one segment up to the first that is
// torn or fails its checksum; good is the offset where the valid records end.
func replaySegment(path string, replay func([]byte) error, st *ReplayStats) (good int64, corrupt bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false, fmt.Errorf("wal: %w", err)
	}
	defer f.Close()
	return ScanFramed(f, func(_ int64, _ int, rec []byte) error {
		if err := replay(rec); err != nil {
			return fmt.Errorf("wal: replay %s: %w", filepath.Base(path), err)
		}
		st.Records++
		return nil
	})
}

var errCorrupt = errors.New("wal: corrupt record")

// readRecord reads one record into buf; io.EOF only at a clean end.
func readRecord(r *bufio.Reader, buf []byte) (rec []byte, n int, err error) {
	length, err := binary.ReadUvarint(r)
	if err == io.EOF {
		return nil, 0, io.EOF
	}
	if err != nil || length > maxRecord {
		return nil, 0, errCorrupt
	}
	var sum [4]byte
	if _, err := io.ReadFull(r, sum[:]); err != nil {
		return nil, 0, errCorrupt
	}
	rec = slices.Grow(buf[:0], int(length))[:length]
	if _, err := io.ReadFull(r, rec); err != nil {
		return nil, 0, errCorrupt
	}
	if crc32.Checksum(rec, castagnoli) != binary.LittleEndian.Uint32(sum[:]) {
		return nil, 0, errCorrupt
	}
	return rec, uvarintLen(length) + 4 + int(length), nil
}

func uvarintLen(v uint64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], v)
}

// Append writes the records, in order, to the current segment (buffered until
// Sync), starting a new segment first when the current one is full.
func (l *Log) Append(recs ...[]byte) error {
	for _, rec := range recs {
		if len(rec) > maxRecord {
			return fmt.Errorf("wal: record of %d bytes exceeds %d", len(rec), maxRecord)
		}
		if l.size > 0 && l.size >= l.segmentSize {
			if err := l.roll(); err != nil {
				return err
			}
		}
		n := binary.PutUvarint(l.hdr[:], uint64(len(rec)))
		binary.LittleEndian.PutUint32(l.hdr[n:], crc32.Checksum(rec, castagnoli))
		if _, err := l.w.Write(l.hdr[:n+4]); err != nil {
			return fmt.Errorf("wal: append: %w", err)
		}
		if _, err := l.w.Write(rec); err != nil {
			return fmt.Errorf("wal: append: %w", err)
		}
		l.size += int64(n + 4 + len(rec))
		l.total += int64(n + 4 + len(rec))
	}
	return nil
}

// Sync writes the buffered records and fsyncs the current segment.
func (l *Log) Sync() error {
	if err := l.w.Flush(); err != nil {
		return fmt.Errorf("wal: flush: %w", err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("wal: fsync: %w", err)
	}
	return nil
}

// AppendParts writes one record made of the parts, without joining them
// first (a header and a marshalled request, say).
func (l *Log) AppendParts(parts ...[]byte) error {
	length, sum := 0, uint32(0)
	for _, p := range parts {
		length += len(p)
		sum = crc32.Update(sum, castagnoli, p)
	}
	if length > maxRecord {
		return fmt.Errorf("wal: record of %d bytes exceeds %d", length, maxRecord)
	}
	if l.size > 0 && l.size >= l.segmentSize {
		if err := l.roll(); err != nil {
			return err
		}
	}
	n := binary.PutUvarint(l.hdr[:], uint64(length))
	binary.LittleEndian.PutUint32(l.hdr[n:], sum)
	if _, err := l.w.Write(l.hdr[:n+4]); err != nil {
		return fmt.Errorf("wal: append: %w", err)
	}
	for _, p := range parts {
		if _, err := l.w.Write(p); err != nil {
			return fmt.Errorf("wal: append: %w", err)
		}
	}
	l.size += int64(n + 4 + length)
	l.total += int64(n + 4 + length)
	return nil
}

// Abandon closes the current segment without writing what is still
// buffered, as a crash would leave it; tests use it in place of a kill.
func (l *Log) Abandon() error { return l.f.Close() }

// FlushFile writes the buffered records to the current segment and returns
// it, for the caller to fsync without holding its lock. If the segment is
// closed in the meantime (a roll), the fsync fails with os.ErrClosed: the
// roll synced it before closing, so the records are durable all the same.
func (l *Log) FlushFile() (*os.File, error) {
	if err := l.w.Flush(); err != nil {
		return nil, fmt.Errorf("wal: flush: %w", err)
	}
	return l.f, nil
}

// Bytes is the size of every segment on disk, the one being written included.
func (l *Log) Bytes() int64 { return l.total }

// Segments is the number of segment files on disk.
func (l *Log) Segments() int { return l.segs }

// First is the index of the oldest segment on disk.
func (l *Log) First() int { return l.first }

// Segment is the index of the segment Append writes to now; a caller records
// it with what it appended, to know later which segments it still needs.
func (l *Log) Segment() int { return l.seg }

// Checkpoint deletes every segment before the one with index keep; the
// segment being written is never deleted.
func (l *Log) Checkpoint(keep int) error {
	segs, err := ListSegments(l.dir)
	if err != nil {
		return err
	}
	for _, s := range segs {
		if s >= min(keep, l.seg) {
			break
		}
		path := SegmentPath(l.dir, s)
		fi, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("wal: checkpoint: %w", err)
		}
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("wal: checkpoint: %w", err)
		}
		l.total -= fi.Size()
		l.segs--
		l.first = s + 1
	}
	return nil
}

// Close syncs and closes the current segment.
func (l *Log) Close() error {
	err := l.Sync()
	return errors.Join(err, l.f.Close())
}

// Roll closes the current segment and starts the next one, so that a
// Checkpoint can delete everything written so far.
func (l *Log) Roll() error { return l.roll() }

func (l *Log) roll() error {
	if err := l.Close(); err != nil {
		return err
	}
	return l.openSegment(l.seg + 1)
}

func (l *Log) openSegment(i int) error {
	f, err := os.OpenFile(SegmentPath(l.dir, i), os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("wal: create segment %d: %w", i, err)
	}
	l.seg, l.f, l.size = i, f, 0
	l.segs++
	if l.w == nil {
		l.w = bufio.NewWriterSize(f, 64<<10)
	} else {
		l.w.Reset(f)
	}
	return nil
}

// SegmentPath names segment i of a log in dir: eight decimal digits, as
// Prometheus' WAL names them. The retention ring (internal/retain) names its
// segments the same way.
func SegmentPath(dir string, i int) string {
	return filepath.Join(dir, fmt.Sprintf("%08d", i))
}

// ListSegments lists the segment indexes in dir, in order; other files are ignored.
func ListSegments(dir string) ([]int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("wal: list %q: %w", dir, err)
	}
	var out []int
	for _, e := range entries {
		if i, err := strconv.Atoi(e.Name()); err == nil && len(e.Name()) == 8 && !e.IsDir() {
			out = append(out, i)
		}
	}
	slices.Sort(out)
	return out, nil
}
