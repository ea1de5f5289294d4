package pmetricutil

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pmetric"
)

func TestDataPointCount(t *testing.T) {
	ms := pmetric.NewMetricSlice()
	ms.AppendEmpty().SetEmptyGauge().DataPoints().AppendEmpty()
	sum := ms.AppendEmpty().SetEmptySum().DataPoints()
	sum.AppendEmpty()
	sum.AppendEmpty()
	hist := ms.AppendEmpty().SetEmptyHistogram().DataPoints()
	for range 3 {
		hist.AppendEmpty()
	}
	exp := ms.AppendEmpty().SetEmptyExponentialHistogram().DataPoints()
	for range 4 {
		exp.AppendEmpty()
	}
	summary := ms.AppendEmpty().SetEmptySummary().DataPoints()
	for range 5 {
		summary.AppendEmpty()
	}
	ms.AppendEmpty() // a metric without a type has no data points
	want := []int{1, 2, 3, 4, 5, 0}
	for i, w := range want {
		if got := DataPointCount(ms.At(i)); got != w {
			t.Errorf("metric %d (%s): %d data points, want %d", i, ms.At(i).Type(), got, w)
		}
	}
}
