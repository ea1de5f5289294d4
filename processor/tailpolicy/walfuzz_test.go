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
		r := newReplay(p)
		require.NoError(t, r.record(rec))
		if len(rec) > 0 {
			_, _, _ = decodeDecisions(rec[1:])
			_, _ = decodeCaches(rec[1:])
			_, _ = decodeHanded(rec[1:])
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
	r := newReplay(p2)
	for _, s := range seeds {
		require.NoError(t, r.record(s))
	}
	require.Zero(t, r.bad)
	require.True(t, p2.shards[0].cache.dropped.contains(traceID(3, droppedRnd), t0.Add(time.Second)))
	_, ok := p2.shards[0].cache.kept.Get(traceID(2, keptRnd))
	require.True(t, ok)
	require.Equal(t, 1, r.spans)
	require.Empty(t, r.pending, "the spans' trace is decided by the D record")
	require.Empty(t, r.rounds, "and its round handed on by the H record")
}
