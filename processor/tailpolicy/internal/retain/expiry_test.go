// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package retain

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The disk never holds more than max_bytes, and what goes is the oldest.
func TestExpiryByBytesKeepsTheNewest(t *testing.T) {
	dir := t.TempDir()
	const maxBytes = MinMaxBytes
	r := openRing(t, dir, maxBytes, time.Hour)
	const n = 300 // about 6× the budget
	for i := range n {
		put(t, r, traceID(i), "svc", spansOf(traceID(i), "svc", 0, 2))
		st := r.Stats()
		require.LessOrEqual(t, st.Bytes, int64(maxBytes), "after put %d", i)
		require.LessOrEqual(t, diskBytes(t, dir), int64(maxBytes), "after put %d", i)
	}
	st := r.Stats()
	assert.Positive(t, st.ExpiredSegments)
	assert.Less(t, st.Traces, n)
	assert.Greater(t, st.Bytes, int64(maxBytes/2), "expiry by whole segments keeps most of the budget in use")
	requireGone(t, r, traceID(0))
	for i := n - st.Traces; i < n; i++ {
		requireTrace(t, r, traceID(i), spansOf(traceID(i), "svc", 0, 2))
	}

	// A smaller budget after a restart applies at once.
	require.NoError(t, r.Close())
	r = openRing(t, dir, maxBytes, time.Hour)
	assert.Equal(t, st.Traces, r.Stats().Traces)
	require.NoError(t, r.Close())
	r = openRing(t, dir, maxBytes, time.Hour, WithSegmentBytes(4<<10), WithMaxTraces(10))
	assert.LessOrEqual(t, r.Stats().Traces, 10)
	requireTrace(t, r, traceID(n-1), spansOf(traceID(n-1), "svc", 0, 2))
}

func TestExpiryByTraceBudget(t *testing.T) {
	r := openRing(t, t.TempDir(), 1<<20, time.Hour, WithMaxTraces(40))
	for i := range 200 {
		put(t, r, traceID(i), "svc", spansOf(traceID(i), "svc", 0, 1))
		require.LessOrEqual(t, r.Stats().Traces, 40, "after put %d", i)
	}
	assert.GreaterOrEqual(t, r.Stats().Traces, 35, "whole segments of an eighth of the budget go")
	requireTrace(t, r, traceID(199), spansOf(traceID(199), "svc", 0, 1))
	requireGone(t, r, traceID(0))
}

// A record is served for less than max_age after it was written, even by an
// idle ring and after a restart; it is not deleted before
// max_age - max_age/8.
func TestExpiryByAge(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	const maxAge = 80 * time.Minute
	r := openRing(t, dir, 1<<20, maxAge, WithClock(clk.Now))
	assert.True(t, r.Stats().Oldest.IsZero(), "empty: nothing to reach back to")
	firstPut := clk.Now()
	put(t, r, traceID(1), "svc", spansOf(traceID(1), "svc", 0, 1))
	clk.advance(30 * time.Minute)
	secondPut := clk.Now()
	put(t, r, traceID(2), "svc", spansOf(traceID(2), "svc", 0, 1))
	assert.True(t, firstPut.Equal(r.Stats().Oldest), "oldest: trace 1's write")

	clk.advance(maxAge - 30*time.Minute - maxAge/8) // trace 1 is 70 minutes old
	requireTrace(t, r, traceID(1), spansOf(traceID(1), "svc", 0, 1))
	clk.advance(maxAge / 8) // 80 minutes
	requireGone(t, r, traceID(1))
	requireTrace(t, r, traceID(2), spansOf(traceID(2), "svc", 0, 1))
	assert.True(t, secondPut.Equal(r.Stats().Oldest), "oldest: trace 2's write, once trace 1 expired")
	sel, err := r.Select("svc", t0, t0.Add(time.Hour), 10)
	require.NoError(t, err)
	assert.Len(t, sel, 1)

	require.NoError(t, r.Close())
	r = openRing(t, dir, 1<<20, maxAge, WithClock(clk.Now))
	assert.True(t, secondPut.Equal(r.Stats().Oldest), "oldest: read back from the segments on open")
	require.NoError(t, r.Close())
	clk.advance(30 * time.Minute) // trace 2 is 80 minutes old: gone on open
	r = openRing(t, dir, 1<<20, maxAge, WithClock(clk.Now))
	requireGone(t, r, traceID(2))
	st := r.Stats()
	assert.Zero(t, st.Traces)
	assert.True(t, st.Oldest.IsZero())
	assert.Equal(t, 1, st.Segments, "only the new active segment is left")
	assert.Zero(t, st.Bytes)
}

// Expiring the segment with a trace's first put leaves its late spans, with
// the trace's service and first arrival, and the same after a restart.
func TestExpiryKeepsLaterPartsOfATrace(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	const maxAge = 80 * time.Minute
	r := openRing(t, dir, 1<<20, maxAge, WithClock(clk.Now))
	id := traceID(3)
	require.NoError(t, r.Put(id, "checkout", t0, protobuf(spansOf(id, "checkout", 0, 2))))
	clk.advance(40 * time.Minute)
	late := spansOf(id, "checkout", 2, 1)
	require.NoError(t, r.Put(id, "checkout", t0, protobuf(late)))
	clk.advance(40 * time.Minute)
	requireTrace(t, r, id, late)
	require.NoError(t, r.Close())
	r = openRing(t, dir, 1<<20, maxAge, WithClock(clk.Now))
	requireTrace(t, r, id, late)
	sel, err := r.Select("checkout", t0, t0.Add(time.Minute), 10)
	require.NoError(t, err)
	assert.Equal(t, []Retained{{ID: id, Service: "checkout", FirstSeen: t0.UnixNano()}}, sel)
}

// Late puts add locations, not traces: their number is bounded too (twice
// the trace budget), the oldest going first.
func TestExpiryByRecordBudget(t *testing.T) {
	r := openRing(t, t.TempDir(), 1<<20, time.Hour, WithMaxTraces(16))
	id := traceID(1)
	for i := range 100 {
		put(t, r, id, "svc", spansOf(id, "svc", i, 1))
		r.mu.Lock()
		records := r.records
		r.mu.Unlock()
		require.LessOrEqual(t, records, 32, "after put %d", i)
	}
	got, found, err := r.Get(id)
	require.NoError(t, err)
	require.True(t, found)
	assert.Greater(t, got.SpanCount(), 16)
	assert.LessOrEqual(t, got.SpanCount(), 32)
	last := got.ResourceSpans().At(got.ResourceSpans().Len() - 1).ScopeSpans().At(0).Spans().At(0)
	assert.Equal(t, spansOf(id, "svc", 99, 1).ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).SpanID(), last.SpanID(), "the newest part is kept")
}
