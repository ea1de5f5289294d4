// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"

	"github.com/otelcol-warden/otelcol-warden/processor/usagemeter/internal/metadata"
	"github.com/otelcol-warden/otelcol-warden/processor/usagemeter/internal/metadatatest"
)

// fakeClock is a settable clock for budgets.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testMeter is one usage_meter instance with all three signals on sinks.
type testMeter struct {
	tel     *componenttest.Telemetry
	traces  *tracesMeter
	logs    *logsMeter
	metrics *metricsMeter
	tSink   *consumertest.TracesSink
	lSink   *consumertest.LogsSink
	mSink   *consumertest.MetricsSink
	clock   *fakeClock
}

func newTestMeter(t *testing.T, name string, cfg *Config, logger *zap.Logger) *testMeter {
	t.Helper()
	require.NoError(t, cfg.Validate())
	tm := &testMeter{tel: componenttest.NewTelemetry(), clock: newFakeClock(),
		tSink: new(consumertest.TracesSink), lSink: new(consumertest.LogsSink), mSink: new(consumertest.MetricsSink)}
	t.Cleanup(func() { _ = tm.tel.Shutdown(context.Background()) })
	set := metadatatest.NewSettings(tm.tel)
	set.ID = component.NewIDWithName(metadata.Type, name)
	if logger != nil {
		set.Logger = logger
	}
	var err error
	tm.traces, err = newTracesMeter(set, cfg, tm.tSink)
	require.NoError(t, err)
	tm.logs, err = newLogsMeter(set, cfg, tm.lSink)
	require.NoError(t, err)
	tm.metrics, err = newMetricsMeter(set, cfg, tm.mSink)
	require.NoError(t, err)
	tm.traces.m.now = tm.clock.now
	t.Cleanup(func() {
		for _, c := range []component.Component{tm.traces, tm.logs, tm.metrics} {
			require.NoError(t, c.Shutdown(context.Background()))
		}
	})
	return tm
}

func (tm *testMeter) meter() *meter { return tm.traces.m }

// sumByTeam reads a counter with team/signal/stage attributes into team -> value for one signal.
func sumByTeam(t *testing.T, tel *componenttest.Telemetry, name, sig string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	m, err := tel.GetMetric(name)
	if err != nil {
		return out
	}
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		if s, _ := dp.Attributes.Value(attribute.Key("signal")); s.AsString() != sig {
			continue
		}
		team, _ := dp.Attributes.Value(attribute.Key("team"))
		out[team.AsString()] += dp.Value
	}
	return out
}

func testID(name string) component.ID { return component.NewIDWithName(metadata.Type, name) }

type metricdataSum = metricdata.Sum[int64]

func math64(bits uint64) float64 { return math.Float64frombits(bits) }
