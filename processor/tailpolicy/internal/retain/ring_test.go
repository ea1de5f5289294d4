// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package retain

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	r := openRing(t, dir, 1<<20, time.Hour)
	id := traceID(1)
	td := spansOf(id, "checkout", 0, 5)
	put(t, r, id, "checkout", td)
	requireTrace(t, r, id, td)
	assert.Equal(t, 5, td.SpanCount(), "Put leaves its input alone")
	requireGone(t, r, traceID(2))

	require.NoError(t, r.Close())
	r = openRing(t, dir, 1<<20, time.Hour)
	requireTrace(t, r, id, td)
	st := r.Stats()
	assert.Equal(t, 1, st.Traces)
	assert.Equal(t, diskBytes(t, dir), st.Bytes)
}

func TestManyTracesAcrossSegmentsAndReopen(t *testing.T) {
	dir := t.TempDir()
	const n = 600
	r := openRing(t, dir, 8<<20, time.Hour, WithSegmentBytes(64<<10))
	want := map[pcommon.TraceID]ptrace.Traces{}
	for i := range n {
		id := traceID(i)
		want[id] = spansOf(id, "svc-"+string(rune('a'+i%5)), i*10, 1+i%7)
		put(t, r, id, "svc-"+string(rune('a'+i%5)), want[id])
	}
	assert.Greater(t, r.Stats().Segments, 4, "small segments roll")
	for id, td := range want {
		requireTrace(t, r, id, td)
	}
	require.NoError(t, r.Close())
	r = openRing(t, dir, 8<<20, time.Hour, WithSegmentBytes(64<<10))
	for id, td := range want {
		requireTrace(t, r, id, td)
	}
	st := r.Stats()
	assert.Equal(t, n, st.Traces)
	assert.Zero(t, st.TruncatedTails+st.SkippedSegments+st.ExpiredSegments)
}

func TestLatePutsJoinTheirTrace(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	r := openRing(t, dir, 1<<20, time.Hour, WithSegmentBytes(4<<10), WithClock(clk.Now))
	id := traceID(7)
	first := spansOf(id, "checkout", 0, 3)
	require.NoError(t, r.Put(id, "checkout", t0, protobuf(first)))
	// Other traces in between push the late spans into a later segment.
	for i := range 20 {
		put(t, r, traceID(100+i), "cart", spansOf(traceID(100+i), "cart", 0, 2))
	}
	clk.advance(time.Second)
	late := spansOf(id, "checkout", 3, 2)
	require.NoError(t, r.Put(id, "checkout", t0, protobuf(late)))
	requireTrace(t, r, id, merged(first, late))
	assert.Equal(t, 21, r.Stats().Traces)

	require.NoError(t, r.Close())
	r = openRing(t, dir, 1<<20, time.Hour, WithSegmentBytes(4<<10), WithClock(clk.Now))
	requireTrace(t, r, id, merged(first, late))
	sel, err := r.Select("checkout", t0, t0.Add(time.Second), 10)
	require.NoError(t, err)
	assert.Equal(t, []Retained{{ID: id, Service: "checkout", FirstSeen: t0.UnixNano()}}, sel)
}

func TestSelectByServiceAndRange(t *testing.T) {
	r := openRing(t, t.TempDir(), 1<<20, time.Hour)
	for i := range 10 {
		svc := "checkout"
		if i%2 == 1 {
			svc = "cart"
		}
		seen := t0.Add(time.Duration(i) * time.Minute)
		require.NoError(t, r.Put(traceID(i), svc, seen, protobuf(spansOf(traceID(i), svc, 0, 1))))
	}
	tests := []struct {
		name       string
		service    string
		start, end time.Duration
		limit      int
		want       []int
	}{
		{"service and range, earliest first", "checkout", 0, 10 * time.Minute, 10, []int{0, 2, 4, 6, 8}},
		{"start inclusive, end exclusive", "cart", time.Minute, 5 * time.Minute, 10, []int{1, 3}},
		{"limit takes the earliest", "checkout", 0, 10 * time.Minute, 2, []int{0, 2}},
		{"unknown service", "billing", 0, 10 * time.Minute, 10, nil},
		{"empty range", "cart", 20 * time.Minute, 30 * time.Minute, 10, nil},
		{"zero limit", "cart", 0, 10 * time.Minute, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Select(tt.service, t0.Add(tt.start), t0.Add(tt.end), tt.limit)
			require.NoError(t, err)
			var ids []int
			for _, g := range got {
				for i := range 10 {
					if g.ID == traceID(i) {
						ids = append(ids, i)
						assert.Equal(t, tt.service, g.Service)
					}
				}
			}
			assert.Equal(t, tt.want, ids)
		})
	}
}

func TestServiceNameCutAtRuneBoundary(t *testing.T) {
	long := ""
	for len(long) < 300 {
		long += "é"
	}
	k := serviceKey(long)
	assert.LessOrEqual(t, len(k), maxServiceLen)
	assert.Equal(t, long[:len(k)], k)
	r := openRing(t, t.TempDir(), 1<<20, time.Hour)
	require.NoError(t, r.Put(traceID(1), long, t0, protobuf(spansOf(traceID(1), "x", 0, 1))))
	got, err := r.Select(long, t0, t0.Add(time.Second), 1)
	require.NoError(t, err)
	require.Len(t, got, 1)
}

func TestRemoveSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	r := openRing(t, dir, 1<<20, time.Hour)
	a, b := traceID(1), traceID(2)
	put(t, r, a, "checkout", spansOf(a, "checkout", 0, 2))
	put(t, r, b, "checkout", spansOf(b, "checkout", 0, 2))
	removed, err := r.Remove(a)
	require.NoError(t, err)
	assert.True(t, removed)
	removed, err = r.Remove(a)
	require.NoError(t, err)
	assert.False(t, removed, "a second Remove finds nothing")
	requireGone(t, r, a)

	// Remove synced the tombstone: a process killed now (r never closed)
	// does not serve a again.
	crashed := copyDir(t, dir)
	r2 := openRing(t, crashed, 1<<20, time.Hour)
	requireGone(t, r2, a)
	requireTrace(t, r2, b, spansOf(b, "checkout", 0, 2))

	require.NoError(t, r.Close())
	r = openRing(t, dir, 1<<20, time.Hour)
	requireGone(t, r, a)
	requireTrace(t, r, b, spansOf(b, "checkout", 0, 2))
	sel, err := r.Select("checkout", t0, t0.Add(time.Hour), 10)
	require.NoError(t, err)
	assert.Len(t, sel, 1)

	// Spans put after the Remove are retained anew, and stay after reopen.
	late := spansOf(a, "checkout", 5, 1)
	put(t, r, a, "checkout", late)
	require.NoError(t, r.Close())
	r = openRing(t, dir, 1<<20, time.Hour)
	requireTrace(t, r, a, late)
}

func TestConcurrentPutsAndGets(t *testing.T) {
	r := openRing(t, t.TempDir(), 4<<20, time.Hour, WithSegmentBytes(32<<10))
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 100 {
				id := traceID(w*1000 + i)
				td := spansOf(id, "svc", 0, 2)
				assert.NoError(t, r.Put(id, "svc", t0, protobuf(td)))
				got, found, err := r.Get(id)
				assert.NoError(t, err)
				assert.True(t, found)
				assert.Equal(t, 2, got.SpanCount())
				_, _ = r.Select("svc", t0, t0.Add(time.Second), 5)
				_ = r.Stats()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 400, r.Stats().Traces)
}

func TestOpenRejectsBadBounds(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name     string
		maxBytes int64
		maxAge   time.Duration
		opts     []Option
		msg      string
	}{
		{"budget below minimum", 1 << 10, time.Hour, nil, "max_bytes"},
		{"no age", 1 << 20, 0, nil, "max_age"},
		{"segment above a quarter of the budget", 1 << 20, time.Hour, []Option{WithSegmentBytes(512 << 10)}, "segment size"},
		{"segment too small", 1 << 20, time.Hour, []Option{WithSegmentBytes(10)}, "segment size"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(dir, tt.maxBytes, tt.maxAge, tt.opts...)
			require.ErrorContains(t, err, tt.msg)
		})
	}
}

func TestPutLargerThanASegmentIsRefusedAndCounted(t *testing.T) {
	r := openRing(t, t.TempDir(), MinMaxBytes, time.Hour)
	id := traceID(1)
	err := r.Put(id, "svc", t0, protobuf(spansOf(id, "svc", 0, 200)))
	require.ErrorIs(t, err, ErrTooLarge)
	requireGone(t, r, id)
	assert.Equal(t, int64(1), r.Stats().TooLarge)
	require.Error(t, r.Put(pcommon.TraceID{}, "svc", t0, protobuf(spansOf(id, "svc", 0, 1))), "empty trace id")
	require.NoError(t, r.Put(id, "svc", t0, protobuf(ptrace.NewTraces())), "nothing to retain")
	requireGone(t, r, id)
}

func TestClosedRingRefuses(t *testing.T) {
	r, err := Open(t.TempDir(), 1<<20, time.Hour)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	require.NoError(t, r.Close(), "Close twice")
	require.ErrorIs(t, r.Put(traceID(1), "s", t0, protobuf(spansOf(traceID(1), "s", 0, 1))), ErrClosed)
	_, _, err = r.Get(traceID(1))
	require.ErrorIs(t, err, ErrClosed)
	_, err = r.Remove(traceID(1))
	require.ErrorIs(t, err, ErrClosed)
	_, err = r.Select("s", t0, t0, 1)
	require.ErrorIs(t, err, ErrClosed)
}

// The ring stores the caller's bytes and gets spans back with its Decoder; a
// put its decoder rejects reads as corrupt, counted, and is not served.
func TestDecoderReadsWhatPutStored(t *testing.T) {
	decode := func(spans []byte) (ptrace.Traces, error) {
		if string(spans) == "garbage" {
			return ptrace.Traces{}, errors.New("not spans")
		}
		return spansOf(traceID(1), string(spans), 0, 1), nil
	}
	dir := t.TempDir()
	r := openRing(t, dir, 1<<20, time.Hour, WithDecoder(decode))
	require.NoError(t, r.Put(traceID(1), "checkout", t0, []byte("checkout")))
	require.NoError(t, r.Put(traceID(2), "checkout", t0, []byte("garbage")))
	requireTrace(t, r, traceID(1), spansOf(traceID(1), "checkout", 0, 1))
	_, found, err := r.Get(traceID(2))
	assert.ErrorIs(t, err, ErrCorrupt)
	assert.False(t, found)
	assert.Equal(t, int64(1), r.Stats().CorruptReads)

	require.NoError(t, r.Close())
	r = openRing(t, dir, 1<<20, time.Hour, WithDecoder(decode))
	requireTrace(t, r, traceID(1), spansOf(traceID(1), "checkout", 0, 1))
}
