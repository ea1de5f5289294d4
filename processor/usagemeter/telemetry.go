// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter // import "github.com/otelcol-warden/otelcol-warden/processor/usagemeter"

import (
	"context"
	"math"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// registerCallbacks publishes the gauges of this instance's signal: each signal's processor
// observes only its own signal, so a team's gauge is reported once per pipeline it flows in.
func (in *instance) registerCallbacks() error {
	if in.sig == signalMetrics {
		if err := in.tel.RegisterProcessorUsageMeterSeriesCallback(in.observeSeries); err != nil {
			return err
		}
	}
	if err := in.tel.RegisterProcessorUsageMeterBudgetUtilizationCallback(in.observeUtilization); err != nil {
		return err
	}
	if err := in.tel.RegisterProcessorUsageMeterThrottledCallback(in.observeThrottled); err != nil {
		return err
	}
	if in.m.cfg.Prices.priced(in.sig) {
		return in.tel.RegisterProcessorUsageMeterEstimatedMonthlyCostCallback(in.observeCost)
	}
	return nil
}

func (in *instance) observeSeries(_ context.Context, o metric.Int64Observer) error {
	for _, t := range in.m.teams.all() {
		if t.usage[signalMetrics].records.Load() == 0 {
			continue
		}
		o.Observe(int64(t.series.estimate()), t.opts[signalMetrics])
	}
	return nil
}

func (in *instance) observeUtilization(_ context.Context, o metric.Float64Observer) error {
	for _, t := range in.m.teams.all() {
		if b := t.budgets[in.sig]; b != nil {
			o.Observe(math.Float64frombits(b.utilization.Load()), budgetAttrs(t, in.sig))
		}
	}
	return nil
}

func (in *instance) observeThrottled(_ context.Context, o metric.Int64Observer) error {
	for _, t := range in.m.teams.all() {
		if b := t.budgets[in.sig]; b != nil {
			v := int64(0)
			if b.throttled.Load() {
				v = 1
			}
			o.Observe(v, budgetAttrs(t, in.sig))
		}
	}
	return nil
}

func (in *instance) observeCost(_ context.Context, o metric.Float64Observer) error {
	for _, t := range in.m.teams.all() {
		if t.usage[in.sig].records.Load() == 0 {
			continue
		}
		o.Observe(in.m.monthlyCost(t, in.sig), t.opts[in.sig])
	}
	return nil
}

func budgetAttrs(t *team, s signal) metric.MeasurementOption {
	return metric.WithAttributeSet(attribute.NewSet(attribute.String("team", t.name), attribute.String("signal", s.String())))
}
