// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package retain

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

var t0 = time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)

// fakeClock is a settable clock for age expiry.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func traceID(i int) pcommon.TraceID {
	var id pcommon.TraceID
	binary.BigEndian.PutUint64(id[:8], uint64(i)+1)
	binary.BigEndian.PutUint64(id[8:], 0x5eed0000+uint64(i))
	return id
}

// spansOf builds a part of trace id: n HTTP server spans of service, with
// span ids from base, as an SDK would export them.
func spansOf(id pcommon.TraceID, service string, base, n int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", service)
	rs.Resource().Attributes().PutStr("k8s.pod.name", service+"-7d9f8-x2x9q")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp")
	for i := range n {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(id)
		var sid pcommon.SpanID
		binary.BigEndian.PutUint64(sid[:], uint64(base+i)+1)
		sp.SetSpanID(sid)
		sp.SetName(fmt.Sprintf("GET /api/v1/orders/{id} %d", i))
		sp.SetKind(ptrace.SpanKindServer)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Duration(i) * time.Millisecond)))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Duration(i+3) * time.Millisecond)))
		sp.Attributes().PutStr("http.request.method", "GET")
		sp.Attributes().PutStr("url.full", "https://shop.example.com/api/v1/orders/1234?page=2")
		sp.Attributes().PutStr("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36")
		sp.Attributes().PutInt("http.response.status_code", 200)
	}
	return td
}

func openRing(t testing.TB, dir string, maxBytes int64, maxAge time.Duration, opts ...Option) *Ring {
	t.Helper()
	r, err := Open(dir, maxBytes, maxAge, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func put(t testing.TB, r *Ring, id pcommon.TraceID, service string, td ptrace.Traces) {
	t.Helper()
	require.NoError(t, r.Put(id, service, t0, protobuf(td)))
}

// requireTrace checks that Get returns exactly want (parts in put order).
func requireTrace(t testing.TB, r *Ring, id pcommon.TraceID, want ptrace.Traces) {
	t.Helper()
	got, found, err := r.Get(id)
	require.NoError(t, err)
	require.True(t, found, "trace %s retained", id)
	require.NoError(t, ptracetest.CompareTraces(want, got, ptracetest.IgnoreResourceSpansOrder()))
}

func requireGone(t testing.TB, r *Ring, id pcommon.TraceID) {
	t.Helper()
	_, found, err := r.Get(id)
	require.NoError(t, err)
	require.False(t, found, "trace %s not retained", id)
}

// merged returns the parts appended into one Traces, as Get returns them.
func merged(parts ...ptrace.Traces) ptrace.Traces {
	out := ptrace.NewTraces()
	for _, p := range parts {
		c := ptrace.NewTraces()
		p.CopyTo(c)
		c.ResourceSpans().MoveAndAppendTo(out.ResourceSpans())
	}
	return out
}

// diskBytes sums the sizes of the segment files in dir.
func diskBytes(t testing.TB, dir string) int64 {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var n int64
	for _, e := range entries {
		fi, err := os.Stat(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		n += fi.Size()
	}
	return n
}

// copyDir copies the segment files of src into a new directory.
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dst, e.Name()), b, 0o640))
	}
	return dst
}

func TestHelpersBuildDistinctTraces(t *testing.T) {
	assert.NotEqual(t, traceID(1), traceID(2))
	assert.False(t, traceID(0).IsEmpty())
	assert.Equal(t, 3, spansOf(traceID(1), "checkout", 0, 3).SpanCount())
}

// protobuf encodes td as OTLP protobuf, the ring's default encoding.
func protobuf(td ptrace.Traces) []byte {
	var m ptrace.ProtoMarshaler
	b, err := m.MarshalTraces(td)
	if err != nil {
		panic(err)
	}
	return b
}
