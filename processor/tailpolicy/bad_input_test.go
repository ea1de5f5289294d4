// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/otel/attribute"
)

func TestBadInputIsCounted(t *testing.T) {
	h := newHarness(t, nil)
	id := traceID(1, keptRnd)
	td := makeTraces(h.clk,
		spanSpec{trace: pcommon.TraceID{}, id: 1},
		spanSpec{trace: id, id: 2, parent: 1},
		spanSpec{trace: id, id: 2, parent: 1},
		spanSpec{trace: id, id: 3, parent: 1, endDelta: time.Hour},
	)
	// end before start
	td.ResourceSpans().At(3).ScopeSpans().At(0).Spans().At(0).SetStartTimestamp(pcommon.NewTimestampFromTime(h.clk.now.Add(2 * time.Hour)))
	h.p.shards[0].ingest(h.p.split(td)[0], h.clk.now)
	h.p.shards[0].shutdown(h.clk.now)
	assert.Equal(t, int64(1), h.counter("bad_input", attribute.String("reason", "empty_trace_id")))
	assert.Equal(t, int64(1), h.counter("bad_input", attribute.String("reason", "duplicate_span")))
	assert.Equal(t, int64(1), h.counter("bad_input", attribute.String("reason", "end_before_start")))
	assert.Equal(t, int64(1), h.counter("bad_input", attribute.String("reason", "clock_skew")))
	assert.Len(t, h.kept(), 2, "duplicate removed from the kept trace")
}
