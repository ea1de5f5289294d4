package cardinalityguard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard/internal/metadatatest"
)

func reasonPoint(r string, n int64) metricdata.DataPoint[int64] {
	return metricdata.DataPoint[int64]{Value: n, Attributes: attribute.NewSet(attribute.String("reason", r))}
}

func TestMaxMetricsDropsNewMetricsOnceFull(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	tg := newTestGuardWith(t, metadatatest.NewSettings(tt), func(c *Config) { c.State.MaxMetrics = 2 })
	for _, name := range []string{"m1", "m2", "m3", "m4"} {
		tg.consume(t, numberMetrics(name, sumKind{gauge: true},
			point{attrs: map[string]any{"a": "1"}, value: 1, ts: time.Second},
			point{attrs: map[string]any{"a": "2"}, value: 1, ts: time.Second}))
	}
	assert.Len(t, tg.budgets, 2)
	assert.Len(t, tg.numberPoints("m1"), 2)
	assert.Len(t, tg.numberPoints("m2"), 2)
	assert.Empty(t, tg.numberPoints("m3"))
	assert.Empty(t, tg.numberPoints("m4"))
	// A known metric keeps flowing once the table is full.
	tg.consume(t, numberMetrics("m1", sumKind{gauge: true}, point{attrs: map[string]any{"a": "3"}, value: 1, ts: 2 * time.Second}))
	assert.Len(t, tg.numberPoints("m1"), 3)
	metadatatest.AssertEqualProcessorCardinalityGuardDatapointsDropped(t, tt, []metricdata.DataPoint[int64]{
		reasonPoint(reasonStateFull, 4),
	}, metricdatatest.IgnoreTimestamp())
}

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

func TestSafeNamePattern(t *testing.T) {
	for s, want := range map[string]bool{
		"order.id": true, "http.route": true, "cart": true, "_x": true, "k8s.pod.name": true, "v123": true,
		"user_jane@example.com_count": false, "user_12345": false, "1abc": false, ".x": false, "": false,
		"a b": false, "a/b": false, "a-b": false, strings.Repeat("a", 65): false,
	} {
		assert.Equal(t, want, safeName(s), s)
	}
	h := hashedName("user_jane@example.com_count")
	assert.Regexp(t, `^hash:[0-9a-f]{8}$`, h)
	assert.Equal(t, h, hashedName("user_jane@example.com_count"), "stable")
}

// TestUnsafeNamesAreHashedInLogsReportsAndSelfMetrics: a label key, metric name and scope
// value taken from the data show as hash:<8 hex> unless safe or configured.
func TestUnsafeNamesAreHashedInLogsReportsAndSelfMetrics(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	set := metadatatest.NewSettings(tt)
	set.Logger = zap.New(core)
	tg := newTestGuardWith(t, set, func(c *Config) {
		c.MaxValuesPerLabel = 0
		c.MaxSeriesPerMetric = 0
		c.Detection.MaxNewValuesPerWindow = 100
		c.ExcludeLabels = append(c.ExcludeLabels, "cfg_key_12345")
	})
	const badKey, badMetric, badScope = "user_jane@example.com_count", "jane@example.com.requests", "jane.doe@example.com"
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", badScope)
	ms := rm.ScopeMetrics().AppendEmpty().Metrics()
	for _, name := range []string{badMetric, "orders"} {
		m := ms.AppendEmpty()
		m.SetName(name)
		dps := m.SetEmptyGauge().DataPoints()
		for i := range 300 {
			dp := dps.AppendEmpty()
			dp.Attributes().PutStr(badKey, "v"+strconv.Itoa(i))
			dp.Attributes().PutStr("order.id", "o"+strconv.Itoa(i))
			dp.Attributes().PutStr("cfg_key_12345", "x")
			dp.SetIntValue(1)
			dp.SetTimestamp(at(time.Second))
		}
	}
	tg.consume(t, md)
	tg.now = t0.Add(time.Minute)
	tg.detect()
	tg.logReport()

	var text strings.Builder
	for _, e := range logs.All() {
		text.WriteString(e.Message)
		for k, v := range e.ContextMap() {
			fmt.Fprintf(&text, " %s=%v", k, v)
		}
		text.WriteString("\n")
	}
	r := tg.buildReport()
	b, err := json.Marshal(r)
	require.NoError(t, err)
	text.Write(b)
	var rm2 metricdata.ResourceMetrics
	require.NoError(t, tt.Reader.Collect(context.Background(), &rm2))
	fmt.Fprintf(&text, "%+v", rm2)
	all := text.String()
	for _, secret := range []string{"jane", "example.com"} {
		assert.NotContains(t, all, secret)
	}
	assert.Contains(t, all, hashedName(badKey))
	assert.Contains(t, all, hashedName(badMetric))
	assert.Contains(t, all, hashedName(badScope))
	assert.Contains(t, all, `"label":"order.id"`, "safe keys stay readable")
	assert.Contains(t, all, `"metric":"orders"`)
	flagged := map[string]bool{}
	for _, f := range r.Data.Flagged {
		flagged[f.Label] = true
	}
	assert.True(t, flagged["order.id"])
	assert.True(t, flagged[hashedName(badKey)])
	assert.Contains(t, all, "cfg_key_12345", "a configured key stays readable")
}

func TestFailedFlushIsCountedAndReturnedFromShutdown(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	tg := newTestGuardWith(t, metadatatest.NewSettings(tt), nil)
	fold := func(ts time.Duration) pmetric.Metrics {
		return numberMetrics("logins", sumKind{delta: true},
			point{attrs: map[string]any{"user_id": "u1"}, value: 1, start: ts - time.Second, ts: ts},
			point{attrs: map[string]any{"user_id": "u2"}, value: 2, start: ts - time.Second, ts: ts})
	}
	downstream := errors.New("remote write refused")
	tg.consume(t, fold(5*time.Second))
	tg.next = consumertest.NewErr(downstream)
	tg.now = t0.Add(30 * time.Second)
	require.ErrorIs(t, tg.flush(context.Background()), downstream)

	require.NoError(t, tg.Start(context.Background(), componenttest.NewNopHost()))
	tg.next = tg.sink
	tg.consume(t, fold(35*time.Second))
	tg.next = consumertest.NewErr(downstream)
	require.ErrorIs(t, tg.Shutdown(context.Background()), downstream, "the final flush error is returned")
	metadatatest.AssertEqualProcessorCardinalityGuardDatapointsDropped(t, tt, []metricdata.DataPoint[int64]{
		reasonPoint(reasonDownstreamError, 2),
	}, metricdatatest.IgnoreTimestamp())
}

func TestScopeNameIsKeyValuePairsOfPresentAttributes(t *testing.T) {
	tg := newTestGuard(t, nil) // scope: service.namespace, service.name
	res := func(kv ...string) pcommon.Map {
		m := pcommon.NewMap()
		for i := 0; i < len(kv); i += 2 {
			m.PutStr(kv[i], kv[i+1])
		}
		return m
	}
	hBoth, both := tg.scopeOf(res("service.namespace", "shop", "service.name", "checkout"))
	hName, onlyName := tg.scopeOf(res("service.name", "checkout"))
	hNs, onlyNs := tg.scopeOf(res("service.namespace", "checkout"))
	assert.Equal(t, "service.namespace=shop,service.name=checkout", both)
	assert.Equal(t, "service.name=checkout", onlyName, "no leading separator when the first attribute is missing")
	assert.Equal(t, "service.namespace=checkout", onlyNs)
	assert.NotEqual(t, onlyName, onlyNs, "positions stay explicit")
	assert.NotEqual(t, hName, hNs)
	assert.NotEqual(t, hBoth, hName)
	_, none := tg.scopeOf(res())
	assert.Empty(t, none)
}
