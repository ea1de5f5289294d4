// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/otel/attribute"
)

// lastRecord returns the offsets where the last record of a segment starts
// and ends (the wal package's framing: uvarint length, CRC, payload).
func lastRecord(t *testing.T, path string) (int, int) {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	start, off := 0, 0
	for off < len(b) {
		n, k := binary.Uvarint(b[off:])
		require.Positive(t, k)
		start, off = off, off+k+4+int(n)
	}
	require.Equal(t, len(b), off)
	return start, off
}

func copyDir(t *testing.T, from, to string) {
	entries, err := os.ReadDir(from)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(to, 0o750))
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(to, e.Name()), b, 0o640))
	}
}

// TestTornLastRecord cuts the last segment at every byte offset of its last
// record: start-up always succeeds and loses that record at most.
func TestTornLastRecord(t *testing.T) {
	dir := t.TempDir()
	cfg := walConfig(dir, func(c *Config) { c.Workers = 1 })
	n1 := startWALNode(t, cfg, t0)
	const requests = 4
	for i := range requests {
		require.NoError(t, n1.send(spanSpec{trace: traceID(uint16(i+1), keptRnd), id: 2, parent: 1}))
	}
	n1.crash()
	seg := filepath.Join(dir, "log", "00000000")
	start, end := lastRecord(t, seg)
	require.Greater(t, end-start, 50, "a record of one span")
	for cut := start; cut < end; cut++ {
		torn := filepath.Join(t.TempDir(), "wal")
		copyDir(t, filepath.Join(dir, "log"), filepath.Join(torn, "log"))
		require.NoError(t, os.Truncate(filepath.Join(torn, "log", "00000000"), int64(cut)))
		n2 := startWALNode(t, walConfig(torn, func(c *Config) { c.Workers = 1 }), t0)
		assert.Equal(t, int64(requests-1), n2.p.bufferedTraces(), "cut at %d", cut)
		truncated := int64(0)
		if cut > start {
			truncated = 1
		}
		assert.Equal(t, truncated, n2.counter("wal_truncated_records"), "cut at %d", cut)
		require.NoError(t, n2.p.Shutdown(context.Background()))
	}
}

// TestFullLogRefusesRetryably: at max_bytes ConsumeTraces refuses with the
// memory budget's retryable error, and every request it accepted replays.
func TestFullLogRefusesRetryably(t *testing.T) {
	dir := t.TempDir()
	cfg := walConfig(dir, func(c *Config) {
		c.WAL.SegmentBytes, c.WAL.MaxBytes = 1<<20, 2<<20
	})
	n1 := startWALNode(t, cfg, t0)
	big := strings.Repeat("x", 32<<10)
	accepted := 0
	var err error
	for i := 0; i < 200 && err == nil; i++ {
		err = n1.send(spanSpec{trace: traceID(uint16(i+1), keptRnd), id: 2, parent: 1, attrs: map[string]string{"payload": big}})
		if err == nil {
			accepted++
		}
	}
	require.ErrorIs(t, err, errRefused)
	assert.False(t, consumererror.IsPermanent(err))
	assert.Positive(t, n1.counter("refused_spans", attribute.String("reason", "wal_full")))
	assert.Greater(t, accepted, 40)
	n1.crash()

	n2 := startWALNode(t, walConfig(dir, func(c *Config) {
		c.WAL.SegmentBytes, c.WAL.MaxBytes = 1<<20, 64<<20
	}), t0)
	assert.Equal(t, int64(accepted), n2.counter("wal_replayed_spans"))
	require.NoError(t, n2.p.Shutdown(context.Background()))
}

// TestCheckpointBoundsTheLog: once the traces of old segments are decided
// and handed on, the segments are deleted, and the decision caches they
// held come back from the carried-forward snapshot.
func TestCheckpointBoundsTheLog(t *testing.T) {
	dir := t.TempDir()
	cfg := walConfig(dir, func(c *Config) { c.WAL.SegmentBytes, c.WAL.MaxBytes = 1<<20, 16<<20 })
	n1 := startWALNode(t, cfg, t0)
	big := strings.Repeat("y", 8<<10)
	for i := range 300 {
		require.NoError(t, n1.send(spanSpec{trace: traceID(uint16(i+1), droppedRnd), id: 1, route: "/home", attrs: map[string]string{"payload": big}}))
	}
	require.Greater(t, n1.p.wal.segments.Load(), int64(2))
	n1.settle()
	n1.clk.set(t0.Add(3 * time.Second))
	n1.settle()
	n1.eventually(func() bool { return n1.p.bufferedTraces() == 0 }, "all dropped")
	// More segments after those decisions, so that their D records are in a
	// segment the checkpoint deletes.
	for i := range 300 {
		require.NoError(t, n1.send(spanSpec{trace: traceID(uint16(i+2000), droppedRnd), id: 1, route: "/home", attrs: map[string]string{"payload": big}}))
	}
	n1.settle()
	n1.clk.set(t0.Add(6 * time.Second))
	n1.eventually(func() bool { return n1.p.bufferedTraces() == 0 }, "all dropped")
	undecided := traceID(1000, keptRnd)
	require.NoError(t, n1.send(spanSpec{trace: undecided, id: 2, parent: 1}))
	segments := n1.p.wal.segments.Load()
	n1.eventually(func() bool {
		n1.p.checkpoint()
		// The undecided trace pins its segment, and a snapshot may have
		// started the next one: at most these two are left.
		return n1.p.wal.segments.Load() <= 2
	}, "old segments deleted")
	assert.Less(t, n1.p.wal.bytes.Load(), int64(2<<20), "of %d segments", segments)
	n1.crash()

	n2 := startWALNode(t, cfg, t0.Add(7*time.Second))
	assert.Equal(t, int64(1), n2.p.bufferedTraces(), "the undecided trace survives the checkpoint")
	require.NoError(t, n2.send(spanSpec{trace: traceID(7, droppedRnd), id: 2, parent: 1}))
	n2.eventually(func() bool { return n2.counter("late_spans", attribute.String("outcome", "dropped")) == 1 },
		"a late span of a trace dropped in a deleted segment still follows its decision")
	require.NoError(t, n2.p.Shutdown(context.Background()))
}
