package cardinalityguard

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// overflowMetrics sends one point per pod of metric "up" from each of the given resources
// (same service, distinct high-cardinality resource attribute).
func overflowMetrics(pods int, ts time.Duration, instances ...string) pmetric.Metrics {
	md := pmetric.NewMetrics()
	for _, inst := range instances {
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("service.name", "checkout")
		rm.Resource().Attributes().PutStr("k8s.pod.uid", inst)
		dps := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		dps.SetName("up")
		g := dps.SetEmptyGauge().DataPoints()
		for i := range pods {
			dp := g.AppendEmpty()
			dp.Attributes().PutStr("pod", "p"+strconv.Itoa(i))
			dp.SetDoubleValue(1)
			dp.SetTimestamp(at(ts))
		}
	}
	return md
}

func TestOverflowSeriesIsOnePerBudgetAndCounted(t *testing.T) {
	tg := newTestGuard(t, func(c *Config) { c.MaxSeriesPerMetric = 2; c.MaxValuesPerLabel = 0; c.Detection.Enabled = false })
	var insts []string
	for i := range 20 {
		insts = append(insts, "uid-"+strconv.Itoa(i))
	}
	tg.consume(t, overflowMetrics(3, 5*time.Second, insts...))
	tg.flushAt(t, 30*time.Second)
	var overflow []pcommon.Map
	for _, md := range tg.sink.AllMetrics() {
		for _, rm := range md.ResourceMetrics().All() {
			for _, sm := range rm.ScopeMetrics().All() {
				for _, m := range sm.Metrics().All() {
					for _, dp := range m.Gauge().DataPoints().All() {
						if _, ok := dp.Attributes().Get(OverflowAttribute); ok {
							overflow = append(overflow, rm.Resource().Attributes())
						}
					}
				}
			}
		}
	}
	require.Len(t, overflow, 1, "one overflow series per (scope, metric), whatever the resources")
	assert.Equal(t, map[string]any{"service.name": "checkout"}, overflow[0].AsRaw(), "only scope attributes")
	assert.Equal(t, 2, tg.totalAdmitted)
	assert.Equal(t, 3, tg.trackedSeries(), "2 admitted + the overflow series")
}

func TestOverflowSeriesRespectsMaxTrackedSeries(t *testing.T) {
	tg := newTestGuard(t, func(c *Config) {
		c.MaxSeriesPerMetric = 0
		c.MaxValuesPerLabel = 0
		c.Detection.Enabled = false
		c.State.MaxTrackedSeries = 3
	})
	// "a" takes all three slots; the overflow series of "b" would be a fourth: dropped.
	tg.consume(t, numberMetrics("a", sumKind{gauge: true},
		point{attrs: map[string]any{"k": "1"}, value: 1, ts: time.Second},
		point{attrs: map[string]any{"k": "2"}, value: 1, ts: time.Second},
		point{attrs: map[string]any{"k": "3"}, value: 1, ts: time.Second}))
	tg.consume(t, numberMetrics("b", sumKind{gauge: true}, point{attrs: map[string]any{"k": "1"}, value: 1, ts: time.Second}))
	tg.flushAt(t, 30*time.Second)
	assert.Len(t, tg.numberPoints("a"), 3)
	assert.Empty(t, tg.numberPoints("b"))
	assert.Equal(t, 3, tg.totalAdmitted)
}
