// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// shardCodecWith is a codec whose dictionary already holds other words, so
// that transcoding must re-cite every word.
func shardCodecWith(words ...string) *spanCodec {
	c := newSpanCodec()
	for _, w := range words {
		c.appendWord(nil, w)
	}
	return c
}

// TestTranscodeSpanKeepsEverything: a span transcoded from one dictionary to
// another reads back field for field; truncated records fail, never panic.
func TestTranscodeSpanKeepsEverything(t *testing.T) {
	from := shardCodecWith("warm", "up", "exception.message", "n")
	src := richSpans()
	var chunk []byte
	boundaries := map[int]bool{0: true}
	for i := 0; i < src.Len(); i++ {
		chunk = from.appendSpan(chunk, src.At(i), i)
		boundaries[len(chunk)] = true
	}
	to := newSpanCodec()
	var out []byte
	r := newSpanReader(from, chunk)
	for {
		id, si, ok := r.next()
		if !ok {
			break
		}
		out = append(out, id[:]...)
		out = append(out, byte(si))
		out = to.transcodeSpan(out, &r)
	}
	require.NoError(t, r.err)
	require.NotEqual(t, from.words, to.words, "the record's dictionary is its own")

	requireReadsBack(t, to, out, src)

	for n := range len(chunk) {
		if boundaries[n] {
			continue
		}
		rr := newSpanReader(from, chunk[:n])
		for {
			if _, _, ok := rr.next(); !ok {
				break
			}
			newSpanCodec().transcodeSpan(nil, &rr)
		}
		require.Error(t, rr.err, "cut at %d of %d", n, len(chunk))
	}
}

// FuzzTranscodeSpan: any bytes transcode without a panic, and what transcodes
// without an error reads back, in the new dictionary, as the original bytes
// read in theirs.
func FuzzTranscodeSpan(f *testing.F) {
	from := shardCodecWith("http.route", "GET /")
	src := richSpans()
	var chunk []byte
	for i := 0; i < src.Len(); i++ {
		chunk = from.appendSpan(chunk, src.At(i), 0)
	}
	f.Add(chunk)
	f.Add(chunk[:len(chunk)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		to := newSpanCodec()
		r := newSpanReader(from, b)
		var outs [][]byte
		for {
			id, _, ok := r.next()
			if !ok {
				break
			}
			rec := to.transcodeSpan(append(id[:0:0], id[:]...), &r)
			if r.err == nil {
				outs = append(outs, rec)
			}
		}
		if r.err != nil {
			return
		}
		orig := newSpanReader(from, b)
		for _, rec := range outs {
			id, _, ok := orig.next()
			require.True(t, ok)
			want := ptrace.NewSpan()
			require.NoError(t, orig.readSpan(id, pcommon.TraceID{1}, want), "transcoded but does not read")
			got := ptrace.NewSpan()
			rr := newSpanReader(to, append(rec[:8:8], append([]byte{0}, rec[8:]...)...))
			gid, _, ok := rr.next()
			require.True(t, ok)
			require.NoError(t, rr.readSpan(gid, pcommon.TraceID{1}, got))
			require.Equal(t, spanJSON(t, want), spanJSON(t, got))
		}
	})
}
