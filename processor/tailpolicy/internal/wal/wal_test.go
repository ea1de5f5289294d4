// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package wal

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func records(n int) [][]byte {
	var out [][]byte
	for i := range n {
		out = append(out, fmt.Appendf(nil, "record %d %s", i, string(make([]byte, i%7*50))))
	}
	return out
}

// openAll opens the log in dir and returns what it replayed.
func openAll(t *testing.T, dir string, segmentSize int64) (*Log, [][]byte, ReplayStats) {
	t.Helper()
	var got [][]byte
	l, st, err := Open(dir, segmentSize, func(rec []byte) error {
		got = append(got, append([]byte(nil), rec...))
		return nil
	})
	require.NoError(t, err)
	return l, got, st
}

func write(t *testing.T, dir string, segmentSize int64, recs [][]byte) {
	t.Helper()
	l, _, _ := openAll(t, dir, segmentSize)
	require.NoError(t, l.Append(recs...))
	require.NoError(t, l.Close())
}

func TestRecordsReplayInOrderAcrossSegments(t *testing.T) {
	dir := t.TempDir()
	recs := records(200)
	write(t, dir, 1024, recs[:120])
	write(t, dir, 1024, recs[120:])
	segs, err := ListSegments(dir)
	require.NoError(t, err)
	assert.Greater(t, len(segs), 3, "small segments roll")
	l, got, st := openAll(t, dir, 1024)
	defer l.Close()
	assert.Equal(t, recs, got)
	assert.Equal(t, ReplayStats{Records: 200}, st)
}

// A crash can cut the last segment anywhere: at every byte offset of its last
// record, opening succeeds, loses at most that record, and the log goes on.
func TestTornTailTruncatedAtEveryOffset(t *testing.T) {
	recs := records(5)
	src := t.TempDir()
	write(t, src, 1<<20, recs)
	path := SegmentPath(src, 0)
	full, err := os.ReadFile(path)
	require.NoError(t, err)
	last := len(recs[4]) + 4 + uvarintLen(uint64(len(recs[4])))
	start := len(full) - last
	for cut := start; cut < len(full); cut++ {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(SegmentPath(dir, 0), full[:cut], 0o640))
		l, got, st := openAll(t, dir, 1<<20)
		assert.Equal(t, recs[:4], got, "cut at %d", cut)
		assert.Equal(t, cut > start, st.TruncatedTails == 1, "cut at %d: truncation counted iff part of the record was there", cut)
		require.NoError(t, l.Append([]byte("after")))
		require.NoError(t, l.Close())
		l, got, st = openAll(t, dir, 1<<20)
		assert.Equal(t, append(recs[:4:4], []byte("after")), got, "cut at %d: the log goes on", cut)
		assert.Zero(t, st.TruncatedTails)
		require.NoError(t, l.Close())
	}
}

func TestCorruptTailByteTruncated(t *testing.T) {
	dir := t.TempDir()
	recs := records(5)
	write(t, dir, 1<<20, recs)
	path := SegmentPath(dir, 0)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	b[len(b)-1] ^= 0xff
	require.NoError(t, os.WriteFile(path, b, 0o640))
	l, got, st := openAll(t, dir, 1<<20)
	defer l.Close()
	assert.Equal(t, recs[:4], got)
	assert.Equal(t, 1, st.TruncatedTails)
}

// A corrupt record in an earlier segment skips the rest of that segment only.
func TestCorruptMiddleSegmentSkipped(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, 1<<20, [][]byte{[]byte("a1"), []byte("a2")})
	write(t, dir, 1<<20, [][]byte{[]byte("b1"), []byte("b2"), []byte("b3")})
	write(t, dir, 1<<20, [][]byte{[]byte("c1")})
	path := SegmentPath(dir, 1) // each Open starts a segment: 0, 1, 2
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	b[len(b)-12] ^= 0xff // in b2's checksum (each record here is 7 bytes)
	require.NoError(t, os.WriteFile(path, b, 0o640))
	l, got, st := openAll(t, dir, 1<<20)
	defer l.Close()
	assert.Equal(t, [][]byte{[]byte("a1"), []byte("a2"), []byte("b1"), []byte("c1")}, got)
	assert.Equal(t, ReplayStats{Records: 4, SkippedSegments: 1}, st)
}

func TestCheckpointDeletesOlderSegmentsOnly(t *testing.T) {
	dir := t.TempDir()
	l, _, _ := openAll(t, dir, 64)
	for _, rec := range records(20) {
		require.NoError(t, l.Append(rec))
	}
	cur := l.Segment()
	require.Greater(t, cur, 2)
	require.NoError(t, l.Checkpoint(2))
	segs, err := ListSegments(dir)
	require.NoError(t, err)
	assert.Equal(t, 2, segs[0])
	require.NoError(t, l.Checkpoint(cur+10))
	segs, err = ListSegments(dir)
	require.NoError(t, err)
	assert.Equal(t, []int{cur}, segs, "the segment being written stays")
	require.NoError(t, l.Close())
}

func TestReplayErrorStopsOpen(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, 1<<20, records(3))
	_, _, err := Open(dir, 1<<20, func([]byte) error { return os.ErrInvalid })
	require.ErrorIs(t, err, os.ErrInvalid)
}

func TestOtherFilesIgnored(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "LOCK"), nil, 0o640))
	write(t, dir, 1<<20, records(2))
	l, got, _ := openAll(t, dir, 1<<20)
	defer l.Close()
	assert.Len(t, got, 2)
}

// FuzzReplay: whatever bytes a segment holds, Open neither fails nor panics,
// and a log reopened after it replays the same records.
func FuzzReplay(f *testing.F) {
	f.Add([]byte{3, 0, 0, 0, 0, 'a', 'b', 'c'})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(SegmentPath(dir, 0), data, 0o640))
		l, first, _ := openAll(t, dir, 1<<20)
		require.NoError(t, l.Close())
		l, again, st := openAll(t, dir, 1<<20)
		require.NoError(t, l.Close())
		assert.Equal(t, first, again)
		assert.Zero(t, st.TruncatedTails+st.SkippedSegments)
	})
}

func TestAppendPartsIsOneRecord(t *testing.T) {
	dir := t.TempDir()
	l, _, err := Open(dir, 1<<20, func([]byte) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := l.AppendParts([]byte("ab"), []byte("cd")); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	var got []string
	if _, _, err := Open(dir, 1<<20, func(r []byte) error { got = append(got, string(r)); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "abcd" {
		t.Fatalf("replayed %q, want one record \"abcd\"", got)
	}
}

func TestScanReadsWhatOpenReplaysAndChangesNothing(t *testing.T) {
	dir := t.TempDir()
	l, _, err := Open(dir, 1<<20, func([]byte) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"a", "b", "c"} {
		if err := l.Append([]byte(r)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	seg := filepath.Join(dir, "00000000")
	fi, _ := os.Stat(seg)
	if err := os.Truncate(seg, fi.Size()-1); err != nil { // torn "c"
		t.Fatal(err)
	}
	var scanned, replayed []string
	if err := Scan(dir, func(r []byte) error { scanned = append(scanned, string(r)); return nil }); err != nil {
		t.Fatal(err)
	}
	if fi2, _ := os.Stat(seg); fi2.Size() != fi.Size()-1 {
		t.Fatal("Scan changed the segment")
	}
	if _, _, err := Open(dir, 1<<20, func(r []byte) error { replayed = append(replayed, string(r)); return nil }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(scanned, ",") != "a,b" || strings.Join(replayed, ",") != "a,b" {
		t.Fatalf("scanned %q, replayed %q", scanned, replayed)
	}
	if err := Scan(filepath.Join(dir, "missing"), func([]byte) error { return nil }); err != nil {
		t.Fatalf("a missing log scans as empty: %v", err)
	}
}
