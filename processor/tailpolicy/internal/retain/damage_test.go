// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package retain

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/wal"
)

// lastLoc is where the newest record of trace i is.
func lastLoc(t *testing.T, r *Ring, i int) loc {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.idx.traces[traceID(i)]
	require.True(t, ok)
	locs := e.locs()
	return locs[len(locs)-1]
}

// A crash can cut the last segment anywhere: at every byte offset of its last
// record, Open succeeds, loses only that record, and the ring goes on.
func TestTornTailTruncatedAtEveryOffset(t *testing.T) {
	src := t.TempDir()
	r := openRing(t, src, 1<<20, time.Hour)
	const n = 5
	for i := range n {
		put(t, r, traceID(i), "svc", spansOf(traceID(i), "svc", 0, 2))
	}
	last := lastLoc(t, r, n-1)
	require.NoError(t, r.Close())
	path := segmentPath(src, last.seg)
	full, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, int(last.off+last.n), len(full), "the last record ends the segment")

	for cut := int(last.off); cut < len(full); cut++ {
		dir := copyDir(t, src)
		require.NoError(t, os.Truncate(segmentPath(dir, last.seg), int64(cut)))
		r, err := Open(dir, 1<<20, time.Hour)
		require.NoError(t, err, "cut at %d", cut)
		st := r.Stats()
		assert.Equal(t, n-1, st.Traces, "cut at %d", cut)
		assert.Equal(t, cut > int(last.off), st.TruncatedTails == 1, "cut at %d: counted iff part of the record was there", cut)
		assert.Equal(t, int64(last.off), st.Bytes, "cut at %d: the torn part is gone from disk", cut)
		for i := range n - 1 {
			requireTrace(t, r, traceID(i), spansOf(traceID(i), "svc", 0, 2))
		}
		requireGone(t, r, traceID(n-1))
		put(t, r, traceID(99), "svc", spansOf(traceID(99), "svc", 0, 1))
		require.NoError(t, r.Close())

		r, err = Open(dir, 1<<20, time.Hour)
		require.NoError(t, err)
		assert.Zero(t, r.Stats().TruncatedTails, "cut at %d: repaired once", cut)
		requireTrace(t, r, traceID(99), spansOf(traceID(99), "svc", 0, 1))
		assert.Equal(t, n, r.Stats().Traces)
		require.NoError(t, r.Close())
	}
}

// A corrupt record in an earlier segment loses that segment's records from it
// on; the records before it and every later segment are served.
func TestCorruptRecordMidSegment(t *testing.T) {
	dir := t.TempDir()
	r := openRing(t, dir, 1<<20, time.Hour, WithSegmentBytes(8<<10))
	const n = 60
	for i := range n {
		put(t, r, traceID(i), "svc", spansOf(traceID(i), "svc", 0, 2))
	}
	var inFirst []int
	for i := range n {
		if lastLoc(t, r, i).seg == 0 {
			inFirst = append(inFirst, i)
		}
	}
	require.Greater(t, len(inFirst), 4)
	require.Greater(t, r.Stats().Segments, 2)
	bad := inFirst[len(inFirst)/2]
	l := lastLoc(t, r, bad)
	require.NoError(t, r.Close())

	f, err := os.OpenFile(segmentPath(dir, 0), os.O_RDWR, 0)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte{0xff, 0xee}, int64(l.off+l.n/2))
	require.NoError(t, err)
	require.NoError(t, f.Close())

	r = openRing(t, dir, 1<<20, time.Hour, WithSegmentBytes(8<<10))
	st := r.Stats()
	assert.Equal(t, int64(1), st.SkippedSegments)
	assert.Zero(t, st.TruncatedTails)
	lost := len(inFirst) - len(inFirst)/2
	assert.Equal(t, n-lost, st.Traces)
	assert.Equal(t, diskBytes(t, dir), st.Bytes, "the damaged segment still counts against max_bytes")
	for i := range n {
		if i >= bad && i <= inFirst[len(inFirst)-1] {
			requireGone(t, r, traceID(i))
			continue
		}
		requireTrace(t, r, traceID(i), spansOf(traceID(i), "svc", 0, 2))
	}
}

// Damage after Open (disk rot, another writer) is found by the checksum on
// read: an error, counted, never spans that differ from what was put.
func TestCorruptionFoundOnRead(t *testing.T) {
	dir := t.TempDir()
	r := openRing(t, dir, 1<<20, time.Hour)
	put(t, r, traceID(1), "svc", spansOf(traceID(1), "svc", 0, 3))
	put(t, r, traceID(2), "svc", spansOf(traceID(2), "svc", 0, 3))
	require.NoError(t, r.Sync())
	l := lastLoc(t, r, 1)
	f, err := os.OpenFile(segmentPath(dir, l.seg), os.O_RDWR, 0)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte{0x00}, int64(l.off+l.n-3))
	require.NoError(t, err)
	require.NoError(t, f.Close())

	_, found, err := r.Get(traceID(1))
	require.ErrorIs(t, err, ErrCorrupt)
	assert.False(t, found)
	assert.Equal(t, int64(1), r.Stats().CorruptReads)
	requireTrace(t, r, traceID(2), spansOf(traceID(2), "svc", 0, 3))
}

// A record whose framing and checksum are sound but whose payload is not a
// record of ours is skipped; the records after it are still indexed.
func TestForeignPayloadSkipped(t *testing.T) {
	dir := t.TempDir()
	r := openRing(t, dir, 1<<20, time.Hour)
	put(t, r, traceID(1), "svc", spansOf(traceID(1), "svc", 0, 1))
	require.NoError(t, r.Close())
	seg := segmentPath(dir, 0)
	b, err := os.ReadFile(seg)
	require.NoError(t, err)
	b, err = wal.AppendFramed(b, []byte("not a retain record"))
	require.NoError(t, err)
	good := spansOf(traceID(2), "svc", 0, 1)
	b, err = wal.AppendFramed(b, appendPut(nil, traceID(2), "svc", t0.UnixNano(), time.Now().UnixNano(), protobuf(good)))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(seg, b, 0o640))

	r = openRing(t, dir, 1<<20, time.Hour)
	requireTrace(t, r, traceID(1), spansOf(traceID(1), "svc", 0, 1))
	requireTrace(t, r, traceID(2), good)
	assert.Equal(t, int64(1), r.Stats().SkippedSegments)
}

// Files in the directory that are not segments are left alone.
func TestOtherFilesIgnored(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(dir+"/README", []byte("x"), 0o640))
	require.NoError(t, os.WriteFile(dir+"/0000000x", []byte("x"), 0o640))
	r := openRing(t, dir, 1<<20, time.Hour)
	put(t, r, traceID(1), "svc", spansOf(traceID(1), "svc", 0, 1))
	require.NoError(t, r.Close())
	r = openRing(t, dir, 1<<20, time.Hour)
	assert.Equal(t, 1, r.Stats().Traces)
	_, err := os.Stat(dir + "/README")
	require.NoError(t, err)
}
