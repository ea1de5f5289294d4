// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package wal

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What Log writes, ScanFramed scans and ReadFramedAt reads back by offset.
func TestFramedRecordsAreLogRecords(t *testing.T) {
	dir := t.TempDir()
	recs := records(20)
	write(t, dir, 1<<20, recs)
	f, err := os.Open(SegmentPath(dir, 0))
	require.NoError(t, err)
	defer f.Close()
	type at struct {
		off int64
		n   int
	}
	var offs []at
	var got [][]byte
	good, corrupt, err := ScanFramed(f, func(off int64, n int, rec []byte) error {
		offs = append(offs, at{off, n})
		got = append(got, bytes.Clone(rec))
		return nil
	})
	require.NoError(t, err)
	assert.False(t, corrupt)
	assert.Equal(t, recs, got)
	fi, err := f.Stat()
	require.NoError(t, err)
	assert.Equal(t, fi.Size(), good)
	for i, o := range offs {
		rec, err := ReadFramedAt(f, o.off, o.n, nil)
		require.NoError(t, err)
		assert.Equal(t, recs[i], rec)
	}

	var framed []byte
	for _, rec := range recs {
		framed, err = AppendFramed(framed, rec)
		require.NoError(t, err)
	}
	onDisk, err := os.ReadFile(SegmentPath(dir, 0))
	require.NoError(t, err)
	assert.Equal(t, onDisk, framed, "AppendFramed writes Log's bytes")
	_, err = AppendFramed(nil, make([]byte, maxRecord+1))
	require.Error(t, err)
}

func TestReadFramedAtRejectsDamage(t *testing.T) {
	framed, err := AppendFramed(nil, []byte("a retained span"))
	require.NoError(t, err)
	for _, tt := range []struct {
		name string
		data []byte
		off  int64
		n    int
	}{
		{"wrong length", framed, 0, len(framed) - 1},
		{"past the end", framed, 1, len(framed)},
		{"flipped bit", append(bytes.Clone(framed[:len(framed)-1]), framed[len(framed)-1]^1), 0, len(framed)},
		{"too short to be a record", framed, 0, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadFramedAt(bytes.NewReader(tt.data), tt.off, tt.n, nil)
			assert.True(t, IsCorrupt(err), "%v", err)
		})
	}
}

// Whatever bytes are at whatever offset, ReadFramedAt never panics and
// returns only a record framed as AppendFramed frames it (a length written
// with more varint bytes than needed reads the same).
func FuzzReadFramedAt(f *testing.F) {
	framed, _ := AppendFramed(nil, []byte("a retained span"))
	f.Add(framed, int64(0), len(framed))
	f.Add(framed, int64(2), 4)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, int64(0), 10)
	f.Fuzz(func(t *testing.T, data []byte, off int64, n int) {
		if off < 0 || n > 1<<16 {
			return
		}
		rec, err := ReadFramedAt(bytes.NewReader(data), off, n, nil)
		if err != nil {
			return
		}
		again, err := AppendFramed(nil, rec)
		require.NoError(t, err)
		end := off + int64(n)
		assert.Equal(t, data[end-int64(len(rec))-4:end], again[len(again)-len(rec)-4:], "checksum and payload")
	})
}
