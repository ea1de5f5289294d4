package wardenstatus

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
)

func TestReportChartsDrawTheIncreasePerInterval(t *testing.T) {
	f := start(t, nil, nil)
	var kept, series atomic.Uint64
	f.ext.RegisterStatusProvider(component.MustNewID("tail_policy"), statusapi.KindTail, statusapi.ProviderFunc(func() any {
		return map[string]any{"rules": []any{map[string]any{"rule": "errors", "kept_traces": kept.Load(), "dropped_traces": 0}}}
	}))
	f.ext.RegisterStatusProvider(component.MustNewID("cardinality_guard"), statusapi.KindCardinality, statusapi.ProviderFunc(func() any {
		return map[string]any{"status": "success", "data": map[string]any{"headStats": map[string]any{"numSeries": series.Load()}}}
	}))
	for _, step := range []struct{ kept, series uint64 }{{10, 5}, {30, 7}} {
		kept.Store(step.kept)
		series.Store(step.series)
		f.snapshot(time.Minute)
	}
	kept.Store(3) // the processor restarted: its counter starts again from 0
	series.Store(6)
	entries := f.ext.withNow(f.clock.now())
	since := f.clock.now().Add(-time.Hour)
	assert.Equal(t, []uint64{10, 20, 3}, perInterval(entries, seriesKey{seriesOwner{"tail_policy", 0}, "kept/errors"}, since))
	assert.Equal(t, []uint64{5, 7, 6}, levels(entries, seriesKey{seriesOwner{"cardinality_guard", 0}, "series"}, since))
	assert.Equal(t, []uint64{20, 3}, perInterval(entries, seriesKey{seriesOwner{"tail_policy", 0}, "kept/errors"}, f.clock.now().Add(-30*time.Second)),
		"only the intervals since since")

	_, page := get(t, f.base+"/")
	assert.Contains(t, page, `aria-label="errors: traces kept and dropped per interval, last hour"`)
	assert.Contains(t, page, `aria-label="series admitted, last hour"`)
}
