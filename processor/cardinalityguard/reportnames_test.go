package cardinalityguard

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard/internal/metadatatest"
)

func TestSafeNamePattern(t *testing.T) {
	for s, want := range map[string]bool{
		"order.id": true, "http.route": true, "cart": true, "_x": true, "k8s.pod.name": true, "v123": true,
		"user_jane@example.com_count": false, "user_12345": false, "1abc": false, ".x": false, "": false,
		"a b": false, "a/b": false, strings.Repeat("a", 65): false,
		"checkout-api": true, "e2e-status": true, "-x": false,
		"123e4567-e89b-12d3-a456-426614174000": false, "deadbeef-cafe-babe-face-feedfacecafe": false,
	} {
		assert.Equal(t, want, statusapi.SafeName(s), s)
	}
	h := statusapi.HashedName("user_jane@example.com_count")
	assert.Regexp(t, `^hash:[0-9a-f]{8}$`, h)
	assert.Equal(t, h, statusapi.HashedName("user_jane@example.com_count"), "stable")
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
	assert.Contains(t, all, statusapi.HashedName(badKey))
	assert.Contains(t, all, statusapi.HashedName(badMetric))
	assert.Contains(t, all, statusapi.HashedName(badScope))
	assert.Contains(t, all, `"label":"order.id"`, "safe keys stay readable")
	assert.Contains(t, all, `"metric":"orders"`)
	flagged := map[string]bool{}
	for _, f := range r.Data.Flagged {
		flagged[f.Label] = true
	}
	assert.True(t, flagged["order.id"])
	assert.True(t, flagged[statusapi.HashedName(badKey)])
	assert.Contains(t, all, "cfg_key_12345", "a configured key stays readable")
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
