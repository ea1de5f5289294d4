// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TestCompactEncodingDecidesLikeReferences sends the same workload (traces split over batches,
// duplicates, errors, early keeps, span limits, late spans, shutdown) through a shard that buffers
// references and one that buffers protobuf chunks: the forwarded spans must be identical, with
// their attributes, rule and tracestate, and the resource they came with.
func TestCompactEncodingDecidesLikeReferences(t *testing.T) {
	run := func(compactPercent int) map[string]string {
		h := newHarness(t, func(c *Config) {
			c.Memory.CompactPercent = compactPercent
			c.SpanLimit = 12
		})
		rng := rand.New(rand.NewPCG(1, 2))
		routes := []string{"/api/checkout", "/api/catalog", "/api/search/{q}"}
		const traces = 400
		for round := range 4 {
			td := ptrace.NewTraces()
			for i := range traces {
				if rng.IntN(3) == 0 {
					continue
				}
				rs := td.ResourceSpans().AppendEmpty()
				rs.Resource().Attributes().PutStr("service.name", fmt.Sprintf("svc-%d", i%3))
				rs.Resource().Attributes().PutInt("round", int64(round))
				ss := rs.ScopeSpans().AppendEmpty()
				ss.Scope().SetName("lib")
				for range 1 + rng.IntN(5) {
					s := ss.Spans().AppendEmpty()
					s.SetTraceID(traceID(uint16(i+1), rng.Uint64()>>8|uint64(i)<<48))
					id := byte(rng.IntN(40) + 1)
					s.SetSpanID(pcommon.SpanID{id, byte(i), 1})
					if round > 0 || id != 1 {
						s.SetParentSpanID(pcommon.SpanID{1, byte(i), 1})
					} else {
						s.Attributes().PutStr("http.route", routes[i%len(routes)])
					}
					s.SetName(fmt.Sprintf("op-%d", id))
					end := h.clk.now
					s.SetStartTimestamp(pcommon.NewTimestampFromTime(end.Add(-time.Duration(1+rng.IntN(3000)) * time.Millisecond)))
					s.SetEndTimestamp(pcommon.NewTimestampFromTime(end))
					s.Attributes().PutInt("n", int64(rng.IntN(1000)))
					if rng.IntN(50) == 0 {
						s.Status().SetCode(ptrace.StatusCodeError)
					}
					if rng.IntN(20) == 0 {
						s.TraceState().FromRaw("vendor=x")
					}
				}
			}
			h.p.shards[0].ingest(h.p.split(td)[0], h.clk.now)
			h.tick(time.Duration(rng.IntN(1500)) * time.Millisecond)
		}
		h.p.shards[0].shutdown(h.clk.now)
		assert.Zero(t, h.p.bufferedBytes())
		out := map[string]string{}
		for _, td := range h.out {
			for i := 0; i < td.ResourceSpans().Len(); i++ {
				rs := td.ResourceSpans().At(i)
				for j := 0; j < rs.ScopeSpans().Len(); j++ {
					ss := rs.ScopeSpans().At(j)
					for k := 0; k < ss.Spans().Len(); k++ {
						s := ss.Spans().At(k)
						key := fmt.Sprintf("%s/%s/%v", s.TraceID(), s.SpanID(), rs.Resource().Attributes().AsRaw())
						val := fmt.Sprintf("%s %s %v %s %s", ss.Scope().Name(), s.Name(), s.Attributes().AsRaw(), s.TraceState().AsRaw(), s.Status().Code())
						if prev, dup := out[key]; dup {
							val = prev + " | " + val
						}
						out[key] = val
					}
				}
			}
		}
		return out
	}
	refs, compact := run(100), run(0)
	require.NotEmpty(t, refs)
	assert.Equal(t, refs, compact)
}
