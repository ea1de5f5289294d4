// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package retain

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// A payload decodes only if it is exactly what the encoder writes for the
// fields it decodes to.
func FuzzDecodeHeader(f *testing.F) {
	f.Add(appendPut(nil, traceID(1), "checkout", t0.UnixNano(), t0.UnixNano()+5, protobuf(spansOf(traceID(1), "svc", 0, 2))))
	f.Add(appendTombstone(nil, traceID(2), t0.UnixNano()))
	f.Add([]byte{kindPut})
	f.Add(append([]byte{kindTombstone}, make([]byte, 17)...))
	f.Fuzz(func(t *testing.T, p []byte) {
		h, err := decodeHeader(p)
		if err != nil {
			return
		}
		var again []byte
		if h.kind == kindPut {
			again = appendPut(nil, h.id, string(h.service), h.firstSeen, h.written, h.spans)
		} else {
			again = appendTombstone(nil, h.id, h.written)
		}
		// Varints have one shortest form; a longer one decodes the same.
		if len(again) == len(p) {
			assert.Equal(t, p, again)
		}
		assert.False(t, h.id.IsEmpty())
		assert.LessOrEqual(t, len(h.service), maxServiceLen)
	})
}

// Whatever bytes a segment holds, Open succeeds, accounts for the bytes left
// on disk, and every indexed trace reads back or fails its checksum: never a
// panic, never an error to open.
func FuzzOpenSegment(f *testing.F) {
	src := f.TempDir()
	r, err := Open(src, 1<<20, time.Hour)
	require.NoError(f, err)
	for i := range 3 {
		require.NoError(f, r.Put(traceID(i), "svc", t0, protobuf(spansOf(traceID(i), "svc", 0, 2))))
	}
	_, err = r.Remove(traceID(1))
	require.NoError(f, err)
	require.NoError(f, r.Put(traceID(0), "svc", t0, protobuf(spansOf(traceID(0), "svc", 2, 1))))
	require.NoError(f, r.Close())
	seg, err := os.ReadFile(segmentPath(src, 0))
	require.NoError(f, err)
	f.Add(seg)
	f.Add(seg[:len(seg)-7])
	f.Add(bytes.Repeat([]byte{0xff}, 32))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(segmentPath(dir, 0), data, 0o640))
		r, err := Open(dir, 1<<20, 100*365*24*time.Hour, WithClock(func() time.Time { return t0 }))
		require.NoError(t, err)
		defer r.Close()
		st := r.Stats()
		assert.Equal(t, diskBytes(t, dir), st.Bytes)
		r.mu.Lock()
		var ids []pcommon.TraceID
		for id := range r.idx.traces {
			ids = append(ids, id)
		}
		r.mu.Unlock()
		for _, id := range ids {
			_, found, err := r.Get(id)
			if err != nil {
				require.ErrorIs(t, err, ErrCorrupt)
				continue
			}
			require.True(t, found)
		}
	})
}
