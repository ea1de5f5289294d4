// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/sampling"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/metadatatest"
)

// walSeeds are one valid record of each type.
func walSeeds(t testing.TB, p *tailPolicy) [][]byte {
	td := makeTraces(&fakeClock{now: t0}, spanSpec{trace: traceID(1, keptRnd), id: 1, route: "/home"})
	var m ptrace.ProtoMarshaler
	proto, err := m.MarshalTraces(td)
	require.NoError(t, err)
	spans := binary.LittleEndian.AppendUint64([]byte{recSpans}, uint64(t0.UnixNano()))
	spans = append(spans, proto...)
	decs := binary.AppendUvarint(binary.AppendUvarint([]byte{recDecisions}, 7), 1)
	decs = appendDecision(decs, traceID(1, keptRnd), true, sampling.AlwaysSampleThreshold, t0, "errors")
	handed := binary.AppendUvarint([]byte{recHanded}, 7)
	sh := p.shards[0]
	sh.cache.kept.Add(traceID(2, keptRnd), keptDecision{threshold: sampling.AlwaysSampleThreshold})
	sh.cache.dropped.add(traceID(3, droppedRnd), t0)
	caches := sh.snapshotRecord()
	compact := append([]byte{recCompactSpans}, compactPayload(td)...)
	return [][]byte{spans, decs, handed, caches, compact}
}

// FuzzWALRecord: any record replays without a panic; a malformed one is
// counted and skipped.
func FuzzWALRecord(f *testing.F) {
	cfg := createDefaultConfig().(*Config)
	cfg.Workers = 1
	cfg.DecisionCache.DroppedTraces, cfg.DecisionCache.KeptTraces = 1000, 100
	tt := componenttest.NewTelemetry()
	defer func() { _ = tt.Shutdown(context.Background()) }()
	p, err := newTailPolicy(metadatatest.NewSettings(tt), cfg, consumertest.NewNop(), &fakeClock{now: t0})
	require.NoError(f, err)
	for _, sh := range p.shards {
		sh.emit = func(ptrace.Traces) {} // no forwarders run here
	}
	for _, s := range walSeeds(f, p) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		idx := newReplayIndex()
		require.NoError(t, idx.record(rec))
		r := newReplay(p, idx)
		r.start()
		require.NoError(t, r.record(rec))
		r.stop()
		if len(rec) > 0 {
			_, _, _ = decodeDecisions(rec[1:])
			_, _ = decodeCaches(rec[1:])
			_, _ = decodeHanded(rec[1:])
			_, _ = idx.skippable(rec[0], rec[1:], 0)
			_, _, _ = decodeCompactSpans(rec[1:])
		}
	})
}

// TestWALRecordsRoundTrip: what the writers encode, the decoders read back.
func TestWALRecordsRoundTrip(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Workers = 1
	cfg.DecisionCache.DroppedTraces, cfg.DecisionCache.KeptTraces = 1000, 100
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	p, err := newTailPolicy(metadatatest.NewSettings(tt), cfg, consumertest.NewNop(), &fakeClock{now: t0})
	require.NoError(t, err)
	seeds := walSeeds(t, p)

	round, ds, err := decodeDecisions(seeds[1][1:])
	require.NoError(t, err)
	require.Equal(t, uint64(7), round)
	require.Equal(t, []walDecision{{id: traceID(1, keptRnd), keep: true, th: sampling.AlwaysSampleThreshold, at: t0, rule: "errors"}}, ds)

	c, err := decodeCaches(seeds[3][1:])
	require.NoError(t, err)
	require.Equal(t, 1, c.workers)
	require.Len(t, c.kept, 1)
	require.Equal(t, traceID(2, keptRnd), c.kept[0].id)

	// Into a fresh processor: the caches come back.
	p2, err := newTailPolicy(metadatatest.NewSettings(tt), cfg, consumertest.NewNop(), &fakeClock{now: t0})
	require.NoError(t, err)
	idx := newReplayIndex()
	for _, s := range seeds {
		require.NoError(t, idx.record(s))
	}
	r := newReplay(p2, idx)
	r.start()
	for _, s := range seeds {
		require.NoError(t, r.record(s))
	}
	r.stop()
	require.Zero(t, r.bad)
	require.True(t, p2.shards[0].cache.dropped.contains(traceID(3, droppedRnd), t0.Add(time.Second)))
	_, ok := p2.shards[0].cache.kept.Get(traceID(2, keptRnd))
	require.True(t, ok)
	require.Equal(t, 2, r.spans, "the S record's span and the T record's")
	require.Len(t, r.workers[0].late, 1, "the T record comes after the keep: a late span, forwarded again")
	require.Empty(t, r.workers[0].pending, "the spans' trace is decided by the D record")
	require.Empty(t, r.workers[0].rounds, "and its round handed on by the H record")
}

// TestReplayIndexSkipsOnlySettledRecords: an S record is skipped when its
// trace was dropped, or kept later and handed on; kept but not handed on, a
// late span of a kept trace, or undecided, it is decoded.
func TestReplayIndexSkipsOnlySettledRecords(t *testing.T) {
	dropped, kept, undecided := traceID(1, droppedRnd), traceID(2, keptRnd), traceID(3, keptRnd)
	td := makeTraces(&fakeClock{now: t0}, spanSpec{trace: dropped, id: 1}, spanSpec{trace: kept, id: 1})
	var m ptrace.ProtoMarshaler
	proto, err := m.MarshalTraces(td)
	require.NoError(t, err)
	header := binary.LittleEndian.AppendUint64(nil, uint64(t0.UnixNano()))
	encodings := map[byte][]byte{recSpans: append(header, proto...), recCompactSpans: compactPayload(td)}
	decisions := func(round uint64, keep bool, id pcommon.TraceID) []byte {
		b := binary.AppendUvarint(binary.AppendUvarint([]byte{recDecisions}, round), 1)
		return appendDecision(b, id, keep, sampling.AlwaysSampleThreshold, t0, "default")
	}
	x := newReplayIndex()
	for _, rec := range [][]byte{{recSpans}, decisions(1, false, dropped), decisions(2, true, kept)} {
		require.NoError(t, x.record(rec))
	}
	for kind, payload := range encodings {
		name := string(kind)
		skip, spans := x.skippable(kind, payload, 0)
		require.Equal(t, 2, spans, name)
		require.False(t, skip, "%s: kept, not handed on", name)
	}
	require.NoError(t, x.record(binary.AppendUvarint([]byte{recHanded}, 2)))
	for kind, payload := range encodings {
		name := string(kind)
		skip, _ := x.skippable(kind, payload, 0)
		require.True(t, skip, "%s: dropped, and kept then handed on", name)
		skip, _ = x.skippable(kind, payload, 3)
		require.False(t, skip, "%s: a late span of a kept trace is forwarded again", name)
		skip, _ = x.skippable(kind, payload[:len(payload)-1], 0)
		require.False(t, skip, "%s: malformed: left to the decoder", name)
	}
	// A late span read at record 4, forwarded in round 5 (logged at record 4):
	// skipped once round 5 is handed on.
	late := binary.AppendUvarint(binary.AppendUvarint([]byte{recDecisions}, 5), 1)
	require.NoError(t, x.record(appendLate(late, kept, sampling.AlwaysSampleThreshold, t0, "default")))
	skip, _ := x.skippable(recCompactSpans, encodings[recCompactSpans], 4)
	require.False(t, skip, "the late span's round is not handed on")
	require.NoError(t, x.record(binary.AppendUvarint([]byte{recHanded}, 5)))
	skip, _ = x.skippable(recCompactSpans, encodings[recCompactSpans], 4)
	require.True(t, skip, "the late span's round is handed on")
	other := compactPayload(makeTraces(&fakeClock{now: t0}, spanSpec{trace: undecided, id: 1}))
	skip, _ = x.skippable(recCompactSpans, other, 0)
	require.False(t, skip, "undecided")
}

// compactPayload is a T record's payload (without the type byte).
func compactPayload(td ptrace.Traces) []byte {
	e := &spansEncoder{codec: newSpanCodec()}
	var b []byte
	for _, p := range e.encode(td, t0) {
		b = append(b, p...)
	}
	return b[1:]
}

// TestCompactSpansRecordRoundTrip: a T record decodes to the request it
// encoded, on the workloads of the benchmarks (events, links, nested values,
// several resources).
func TestCompactSpansRecordRoundTrip(t *testing.T) {
	inputs := append(httpWorkload(3)[:2], benchWorkloadOf(5, true)[0], benchWorkloadOf(6, false)[0])
	td := makeTraces(&fakeClock{now: t0}, spanSpec{trace: traceID(9, keptRnd), id: 1, tstate: "ot=th:8", err: true})
	span := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	ev := span.Events().AppendEmpty()
	ev.SetName("exception")
	ev.Attributes().PutStr("exception.stacktrace", "at main")
	link := span.Links().AppendEmpty()
	link.SetTraceID(traceID(10, keptRnd))
	nested := span.Attributes().PutEmptyMap("nested")
	nested.PutEmptySlice("list").AppendEmpty().SetDouble(1.5)
	span.Attributes().PutEmptyBytes("raw").FromRaw([]byte{1, 2})
	span.Status().SetMessage("boom")
	inputs = append(inputs, td)
	for i, in := range inputs {
		at, out, err := decodeCompactSpans(compactPayload(in))
		require.NoError(t, err, "input %d", i)
		require.Equal(t, t0, at)
		require.NoError(t, ptracetest.CompareTraces(in, out), "input %d", i)
	}
}
