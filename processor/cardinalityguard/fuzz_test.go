package cardinalityguard

import (
	"context"
	"math"
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"
)

// FuzzConsume feeds arbitrary points of every type (odd attribute maps, NaN and negative values,
// inconsistent histograms, any scale) through every step and a flush: nothing may panic, and
// what is emitted must never carry a denied label.
func FuzzConsume(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{255, 254, 0, 0, 17, 3, 99, 128, 7, 7, 7, 7})
	f.Add([]byte("user_id /users/12 GET 3.5 NaN"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		tg := newTestGuard(t, func(c *Config) {
			c.MaxSeriesPerMetric, c.MaxValuesPerLabel = 3, 2
			c.HistogramBoundsMismatch = BoundsRebucket
		})
		next := func(i int) byte { return data[i%len(data)] }
		md := pmetric.NewMetrics()
		ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
		for i := 0; i < len(data); i += 4 {
			m := ms.AppendEmpty()
			m.SetName("m" + strconv.Itoa(int(next(i)%3)))
			attrs := func() map[string]any {
				return map[string]any{
					[]string{"user_id", "url.path", "pod", "error.message"}[next(i+1)%4]: string(data[i:min(len(data), i+6)]),
					"k": int64(next(i + 2)),
				}
			}
			ts := at(time.Duration(i+int(next(i+3))) * time.Second)
			switch next(i) % 6 {
			case 0, 1:
				s := m.SetEmptySum()
				s.SetIsMonotonic(next(i+1)%2 == 0)
				s.SetAggregationTemporality(pmetric.AggregationTemporality(1 + next(i+2)%2))
				dp := s.DataPoints().AppendEmpty()
				_ = dp.Attributes().FromRaw(attrs())
				dp.SetDoubleValue([]float64{1, -1, math.NaN(), math.Inf(1), float64(next(i + 3))}[next(i+1)%5])
				dp.SetStartTimestamp(at(time.Duration(next(i+2)) * time.Second))
				dp.SetTimestamp(ts)
			case 2:
				dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
				_ = dp.Attributes().FromRaw(attrs())
				dp.SetIntValue(int64(next(i + 1)))
				dp.SetTimestamp(ts)
			case 3:
				h := m.SetEmptyHistogram()
				h.SetAggregationTemporality(pmetric.AggregationTemporality(1 + next(i+2)%2))
				dp := h.DataPoints().AppendEmpty()
				_ = dp.Attributes().FromRaw(attrs())
				n := int(next(i+1) % 4)
				bounds := make([]float64, n)
				for j := range bounds {
					bounds[j] = float64(j) + float64(next(i+2)%3)
				}
				dp.ExplicitBounds().FromRaw(bounds)
				counts := make([]uint64, int(next(i+3)%5))
				var total uint64
				for j := range counts {
					counts[j] = uint64(next(i + j))
					total += counts[j]
				}
				dp.BucketCounts().FromRaw(counts)
				dp.SetCount(total + uint64(next(i)%2))
				dp.SetTimestamp(ts)
			case 4:
				e := m.SetEmptyExponentialHistogram()
				e.SetAggregationTemporality(pmetric.AggregationTemporality(1 + next(i+2)%2))
				dp := e.DataPoints().AppendEmpty()
				_ = dp.Attributes().FromRaw(attrs())
				dp.SetScale(int32(next(i+1)%30) - 10)
				dp.Positive().SetOffset(int32(next(i+2)) - 128)
				dp.Positive().BucketCounts().FromRaw([]uint64{uint64(next(i + 3)), 1})
				dp.SetCount(uint64(next(i+3)) + 1)
				dp.SetTimestamp(ts)
			default:
				dp := m.SetEmptySummary().DataPoints().AppendEmpty()
				_ = dp.Attributes().FromRaw(attrs())
				dp.SetCount(uint64(next(i + 1)))
			}
		}
		if err := tg.ConsumeMetrics(context.Background(), md); err != nil {
			t.Fatal(err)
		}
		tg.flushAt(t, time.Hour)
		tg.detect()
		_ = tg.buildReport()
		for _, out := range tg.sink.AllMetrics() {
			for _, rm := range out.ResourceMetrics().All() {
				for _, sm := range rm.ScopeMetrics().All() {
					for _, m := range sm.Metrics().All() {
						if m.Type() == pmetric.MetricTypeSum {
							for _, dp := range m.Sum().DataPoints().All() {
								if _, ok := dp.Attributes().Get("user_id"); ok {
									t.Fatalf("denied label user_id emitted on %s", m.Name())
								}
							}
						}
					}
				}
			}
		}
	})
}
