// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/otel/attribute"
)

func TestLateSpanOfDroppedTraceIsDropped(t *testing.T) {
	h := newHarness(t, nil)
	id := traceID(1, droppedRnd)
	h.send(spanSpec{trace: id, id: 1, route: "/catalog"})
	h.tick(2 * time.Second)
	h.tick(10 * time.Second)
	h.send(spanSpec{trace: id, id: 2, parent: 1})
	assert.Empty(t, h.kept())
	assert.Equal(t, int64(1), h.counter("late_spans", attribute.String("outcome", "dropped")))
}

func TestOrphanLateSpanIsCountedAndDecided(t *testing.T) {
	h := newHarness(t, nil)
	h.send(spanSpec{trace: traceID(1, keptRnd), id: 2, parent: 1, endDelta: -5 * time.Minute})
	assert.Equal(t, int64(1), h.counter("late_spans", attribute.String("outcome", "orphan")))
	h.tick(30 * time.Second)
	assert.Len(t, h.kept(), 1)
}
