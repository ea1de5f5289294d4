// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TestSpanCodecRoundTrip: every field of a span survives the compact encoding.
func TestSpanCodecRoundTrip(t *testing.T) {
	src := richSpans()

	c := newSpanCodec()
	var b []byte
	for i := 0; i < src.Len(); i++ {
		b = c.appendSpan(b, src.At(i), i)
	}
	requireReadsBack(t, c, b, src)

	// Truncated or garbled records fail, never panic.
	for n := range len(b) {
		rr := newSpanReader(c, b[:n])
		for {
			id, _, ok := rr.next()
			if !ok || rr.readSpan(id, pcommon.TraceID{}, ptrace.NewSpan()) != nil {
				break
			}
		}
	}
}

// requireReadsBack: the records in b, read with c, are the spans of src in
// order, span i citing scope i.
func requireReadsBack(t *testing.T, c *spanCodec, b []byte, src ptrace.SpanSlice) {
	t.Helper()
	r := newSpanReader(c, b)
	for i := 0; i < src.Len(); i++ {
		id, si, ok := r.next()
		require.True(t, ok)
		require.Equal(t, i, si)
		got := ptrace.NewSpan()
		require.NoError(t, r.readSpan(id, pcommon.TraceID{1, 2, 3}, got))
		require.Equal(t, spanJSON(t, src.At(i)), spanJSON(t, got))
	}
	_, _, ok := r.next()
	require.False(t, ok)
	require.NoError(t, r.err)
}

func spanJSON(t *testing.T, s ptrace.Span) string {
	td := ptrace.NewTraces()
	s.CopyTo(td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty())
	b, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	require.NoError(t, err)
	return string(b)
}

// richSpans are a span with every field, attribute type and nesting the
// codec writes, and a minimal one.
func richSpans() ptrace.SpanSlice {
	src := ptrace.NewSpanSlice()
	full := src.AppendEmpty()
	full.SetTraceID(pcommon.TraceID{1, 2, 3})
	full.SetSpanID(pcommon.SpanID{4, 5})
	full.SetParentSpanID(pcommon.SpanID{6})
	full.TraceState().FromRaw("ot=th:8,vendor=x")
	full.SetFlags(0x301)
	full.SetName("GET /api/{id}")
	full.SetKind(ptrace.SpanKindClient)
	full.SetStartTimestamp(1_700_000_000_000_000_123)
	full.SetEndTimestamp(1_700_000_000_000_000_000) // before start
	full.SetDroppedAttributesCount(3)
	full.SetDroppedEventsCount(4)
	full.SetDroppedLinksCount(5)
	full.Status().SetCode(ptrace.StatusCodeError)
	full.Status().SetMessage("boom")
	a := full.Attributes()
	a.PutStr("s", "v")
	a.PutStr("", "")
	a.PutInt("i", -42)
	a.PutDouble("d", 3.25)
	a.PutBool("b", true)
	a.PutBool("f", false)
	a.PutEmpty("e")
	a.PutEmptyBytes("by").FromRaw([]byte{0, 1, 2})
	m := a.PutEmptyMap("m")
	m.PutStr("k", "x")
	m.PutEmptyMap("inner").PutInt("deep", 1)
	sl := a.PutEmptySlice("sl")
	sl.AppendEmpty().SetStr("a")
	sl.AppendEmpty().SetEmptySlice().AppendEmpty().SetInt(7)
	a.PutStr(string(make([]byte, 300)), "long key, never in the dictionary")
	ev := full.Events().AppendEmpty()
	ev.SetName("exception")
	ev.SetTimestamp(1_700_000_000_000_000_050)
	ev.SetDroppedAttributesCount(1)
	ev.Attributes().PutStr("exception.message", "x")
	l := full.Links().AppendEmpty()
	l.SetTraceID(pcommon.TraceID{9})
	l.SetSpanID(pcommon.SpanID{8})
	l.TraceState().FromRaw("a=b")
	l.SetFlags(1)
	l.SetDroppedAttributesCount(2)
	l.Attributes().PutInt("n", 1)
	minimal := src.AppendEmpty()
	minimal.SetTraceID(pcommon.TraceID{1, 2, 3})
	minimal.SetSpanID(pcommon.SpanID{7})
	return src
}
