// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

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
	return [][]byte{spans, decs, handed, caches}
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
			_, _ = idx.skippable(rec[1:], 0)
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
	require.Equal(t, 1, r.spans)
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
	decisions := func(round uint64, keep bool, id pcommon.TraceID) []byte {
		b := binary.AppendUvarint(binary.AppendUvarint([]byte{recDecisions}, round), 1)
		return appendDecision(b, id, keep, sampling.AlwaysSampleThreshold, t0, "default")
	}
	x := newReplayIndex()
	for _, rec := range [][]byte{{recSpans}, decisions(1, false, dropped), decisions(2, true, kept)} {
		require.NoError(t, x.record(rec))
	}
	skip, spans := x.skippable(proto, 0)
	require.Equal(t, 2, spans)
	require.False(t, skip, "kept, not handed on")
	require.NoError(t, x.record(binary.AppendUvarint([]byte{recHanded}, 2)))
	skip, _ = x.skippable(proto, 0)
	require.True(t, skip, "dropped, and kept then handed on")
	skip, _ = x.skippable(proto, 3)
	require.False(t, skip, "a late span of a kept trace is forwarded again")
	other, err := m.MarshalTraces(makeTraces(&fakeClock{now: t0}, spanSpec{trace: undecided, id: 1}))
	require.NoError(t, err)
	skip, _ = x.skippable(other, 0)
	require.False(t, skip, "undecided")
	skip, _ = x.skippable([]byte{0x0a, 0xff}, 0)
	require.False(t, skip, "malformed: left to the decoder")
}
