// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"

	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/metadatatest"
)

// idOnShard returns the first test trace id (n ≥ from) that hashes to shard.
func idOnShard(shard, shards int, from uint16) pcommon.TraceID {
	for n := from; ; n++ {
		if id := traceID(n, keptRnd); shardIndex(id, shards) == shard {
			return id
		}
	}
}

// TestRefusedRequestIsNotPartlyTaken: when one target worker's queue is full,
// ConsumeTraces refuses the whole request before handing anything to the other
// workers, so the client's retry forwards every span exactly once, even spans
// forwarded at once (early keep on an error span). The workers are not started:
// the test plays them, so worker 1's queue stays full until it says so.
func TestRefusedRequestIsNotPartlyTaken(t *testing.T) {
	for _, compact := range []int{0, 100} {
		t.Run(fmt.Sprintf("compact_percent=%d", compact), func(t *testing.T) { testRefusedRequest(t, compact) })
	}
}

func testRefusedRequest(t *testing.T, compactPercent int) {
	cfg := createDefaultConfig().(*Config)
	cfg.Workers = 2
	cfg.QueueSize = 1
	cfg.IngestTimeout = time.Nanosecond // worker 1 never drains while ConsumeTraces waits
	cfg.Memory.CompactPercent = compactPercent
	cfg.Baseline.LogInterval = 0
	require.NoError(t, cfg.Validate())
	clk := &fakeClock{now: t0}
	h := &harness{t: t, clk: clk, tt: componenttest.NewTelemetry()}
	t.Cleanup(func() { require.NoError(t, h.tt.Shutdown(context.Background())) })
	p, err := newTailPolicy(metadatatest.NewSettings(h.tt), cfg, consumertest.NewNop(), clk)
	require.NoError(t, err)
	for _, sh := range p.shards {
		sh.emit = func(td ptrace.Traces) { h.out = append(h.out, td) }
	}
	work := func() {
		for i, sh := range p.shards {
			for len(p.inputs[i]) > 0 {
				batch := <-p.inputs[i]
				<-p.slots[i]
				sh.ingest(batch.refs, clk.now)
			}
		}
	}
	ctx := context.Background()
	a := idOnShard(0, 2, 1)
	b := idOnShard(1, 2, 1)
	filler := idOnShard(1, 2, uint16(b[1])+uint16(b[0])<<8+1)
	request := func() ptrace.Traces {
		return makeTraces(clk,
			spanSpec{trace: a, id: 1, err: true, route: "/api/catalog"},
			spanSpec{trace: a, id: 2, parent: 1},
			spanSpec{trace: b, id: 3, err: true, route: "/api/catalog"})
	}

	require.NoError(t, p.ConsumeTraces(ctx, makeTraces(clk, spanSpec{trace: filler, id: 4, route: "/api/catalog"})))
	err = p.ConsumeTraces(ctx, request())
	require.ErrorIs(t, err, errRefused)
	assert.False(t, consumererror.IsPermanent(err))
	assert.Empty(t, p.inputs[0], "nothing handed to worker 0")
	assert.Empty(t, p.slots[0], "worker 0's reservation given back")
	assert.Equal(t, int64(3), h.counter("refused_spans", attribute.String("reason", "queue_full")), "the whole request is refused")

	work() // worker 1 takes the filler: room again
	require.NoError(t, p.ConsumeTraces(ctx, request()), "the client's retry")
	work()
	clk.advance(time.Minute)
	for _, sh := range p.shards {
		sh.shutdown(clk.now)
	}

	forwarded := map[string]int{}
	for _, td := range h.out {
		rss := td.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			sss := rss.At(i).ScopeSpans()
			for j := 0; j < sss.Len(); j++ {
				spans := sss.At(j).Spans()
				for k := 0; k < spans.Len(); k++ {
					s := spans.At(k)
					forwarded[s.TraceID().String()+"/"+s.SpanID().String()]++
				}
			}
		}
	}
	want := map[string]int{}
	for _, s := range []struct {
		trace pcommon.TraceID
		id    byte
	}{{a, 1}, {a, 2}, {b, 3}, {filler, 4}} {
		want[s.trace.String()+"/"+pcommon.SpanID{s.id, 1}.String()] = 1
	}
	assert.Equal(t, want, forwarded, "every span forwarded exactly once")
}
