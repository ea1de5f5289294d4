// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TestReferencedResourceChargedOnce: in references mode the request's resource
// is charged once per worker while any buffered trace points into it, and
// released with the last one.
func TestReferencedResourceChargedOnce(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Memory.CompactPercent = 100 })
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "shop")
	rs.Resource().Attributes().PutStr("k8s.pod.name", "shop-7d9f")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	var spanBytes int64
	for n := range 2 {
		span := spans.AppendEmpty()
		span.SetTraceID(traceID(uint16(n+1), droppedRnd))
		span.SetSpanID([8]byte{byte(n + 1), 1})
		span.SetParentSpanID([8]byte{9, 9}) // rootless: decided at the trace timeout
		spanBytes += estimateSpanBytes(span)
	}
	resBytes := estimateResourceBytes(rs)
	sh := h.p.shards[0]
	sh.ingest(h.p.split(td)[0], h.clk.now)
	assert.Equal(t, spanBytes+resBytes, sh.bytes.Load(), "spans + the resource once")
	assert.Len(t, sh.resources, 1)
	h.tick(31 * time.Second)
	assert.Zero(t, sh.bytes.Load())
	assert.Empty(t, sh.resources)
}
