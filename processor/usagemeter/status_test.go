// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
	"github.com/otelcol-warden/otelcol-warden/internal/statusapi/statusapitest"
)

func (tm *testMeter) startWithRegistry(t *testing.T) *statusapitest.Registry {
	t.Helper()
	reg := statusapitest.NewRegistry()
	host := reg.Host()
	for _, c := range []component.Component{tm.traces, tm.logs, tm.metrics} {
		require.NoError(t, c.Start(context.Background(), host))
	}
	return reg
}

const (
	canaryEmail = "jane.doe@example.com"
	canaryIP    = "203.0.113.77"
)

// statusLogs: 100 identical INFO records of team noisy (over its daily quota) carrying personal
// data, 10 of team payments, and 5 whose team value is the e-mail (rejected: default team).
func statusLogs() plog.Logs {
	ld := plog.NewLogs()
	add := func(team string, n int) {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("k8s.namespace.name", team)
		sl := rl.ScopeLogs().AppendEmpty()
		for range n {
			lr := sl.LogRecords().AppendEmpty()
			lr.SetSeverityNumber(plog.SeverityNumberInfo)
			lr.Body().SetStr("password reset for " + canaryEmail + " from " + canaryIP)
			lr.Attributes().PutStr("user.email", canaryEmail)
		}
	}
	add("noisy", 100)
	add("payments", 10)
	add(canaryEmail, 5)
	return ld
}

func TestStatusSnapshots(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Budgets = map[string]TeamBudget{"noisy": {Logs: &SignalBudget{DailyBytes: 2000}}}
	cfg.Prices = PricesConfig{LogsPerGB: 0.5, SeriesPerMonth: 0.01, Currency: "EUR"}
	tm := newTestMeter(t, "status", cfg, nil)
	reg := tm.startWithRegistry(t)
	assert.Equal(t, map[statusapi.Kind]int{statusapi.KindUsage: 1, statusapi.KindSummary: 1}, reg.Counts(),
		"one registration per instance, however many signals start")

	ld := statusLogs()
	var sizer plog.ProtoMarshaler
	rls := ld.ResourceLogs()
	noisyBytes, paymentsBytes, defaultBytes := framed(sizer.ResourceLogsSize(rls.At(0))),
		framed(sizer.ResourceLogsSize(rls.At(1))), framed(sizer.ResourceLogsSize(rls.At(2)))
	recordBytes := framed(sizer.LogRecordSize(rls.At(0).ScopeLogs().At(0).LogRecords().At(0)))
	require.NoError(t, tm.logs.ConsumeLogs(context.Background(), ld))
	kept := severityCounts(tm.lSink.AllLogs())["noisy"]["below"]
	dropped := int64(100 - kept)
	require.Positive(t, dropped)
	require.Positive(t, kept)

	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("k8s.namespace.name", "payments")
	for range 5 {
		rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty().SetName("charge")
	}
	spanBytes := framed(new(ptrace.ProtoMarshaler).ResourceSpansSize(rs))
	require.NoError(t, tm.traces.ConsumeTraces(context.Background(), td))

	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("k8s.namespace.name", "payments")
	g := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	g.SetName("queue_depth")
	gauge := g.SetEmptyGauge()
	for _, q := range []string{"a", "b", "c"} {
		dp := gauge.DataPoints().AppendEmpty()
		dp.Attributes().PutStr("queue", q)
		dp.SetIntValue(1)
	}
	metricBytes := framed(new(pmetric.ProtoMarshaler).ResourceMetricsSize(rm))
	require.NoError(t, tm.metrics.ConsumeMetrics(context.Background(), md))

	tm.meter().tickBudgets(tm.clock.now()) // the once-a-second tick sets the throttled state

	var usage UsageStatus
	require.NoError(t, json.Unmarshal(reg.Snapshot(t, statusapi.KindUsage), &usage))
	assert.Equal(t, "status", usage.Stage)
	assert.Equal(t, "EUR", usage.Currency)
	byTeam := map[string]TeamStatus{}
	for _, ts := range usage.Teams {
		byTeam[ts.Team] = ts
	}
	require.Len(t, byTeam, 3, "teams with usage: %v", usage.Teams)

	noisy := byTeam["noisy"]
	require.Len(t, noisy.Signals, 1)
	assert.Equal(t, "logs", noisy.Signals[0].Signal)
	assert.EqualValues(t, 100, noisy.Signals[0].Records)
	assert.Equal(t, noisyBytes, noisy.Signals[0].Bytes)
	assert.Equal(t, dropped, noisy.Signals[0].Dropped)
	require.NotNil(t, noisy.Signals[0].Budget)
	assert.True(t, noisy.Signals[0].Budget.Throttled)
	assert.Positive(t, noisy.Signals[0].Budget.Utilization)
	require.NotNil(t, noisy.EstimatedMonthlyCost)
	assert.Positive(t, *noisy.EstimatedMonthlyCost)

	payments := byTeam["payments"]
	require.Len(t, payments.Signals, 3)
	sig := map[string]SignalStatus{}
	for _, s := range payments.Signals {
		sig[s.Signal] = s
	}
	assert.Equal(t, SignalStatus{Signal: "traces", Records: 5, Bytes: spanBytes}, sig["traces"], "traces are not priced here")
	assert.EqualValues(t, 10, sig["logs"].Records)
	assert.Equal(t, paymentsBytes, sig["logs"].Bytes)
	assert.Nil(t, sig["logs"].Budget)
	assert.EqualValues(t, 3, sig["metrics"].Records)
	assert.Equal(t, metricBytes, sig["metrics"].Bytes)
	require.NotNil(t, sig["metrics"].ActiveSeries)
	assert.EqualValues(t, 3, *sig["metrics"].ActiveSeries)
	require.NotNil(t, sig["metrics"].EstimatedMonthlyCost)
	assert.InDelta(t, 0.03, *sig["metrics"].EstimatedMonthlyCost, 1e-9)
	assert.Equal(t, paymentsBytes+spanBytes+metricBytes, payments.Bytes)

	def := byTeam["unattributed"]
	require.Len(t, def.Signals, 1)
	assert.EqualValues(t, 5, def.Signals[0].Records)
	assert.Equal(t, defaultBytes, def.Signals[0].Bytes)

	var summary statusapi.Summary
	require.NoError(t, json.Unmarshal(reg.Snapshot(t, statusapi.KindSummary), &summary))
	inBytes := uint64(noisyBytes + paymentsBytes + defaultBytes + spanBytes + metricBytes)
	removedBytes := uint64(dropped * recordBytes)
	assert.Equal(t, statusapi.Volume{Items: 123, Bytes: inBytes}, summary.In)
	assert.Equal(t, statusapi.Volume{Items: 123 - uint64(dropped), Bytes: inBytes - removedBytes}, summary.Out)
	assert.Equal(t, []statusapi.Removal{{Reason: "daily_quota_exceeded", Items: uint64(dropped), Bytes: removedBytes}}, summary.Removed)

	for _, kind := range []statusapi.Kind{statusapi.KindUsage, statusapi.KindSummary} {
		body := string(reg.Snapshot(t, kind))
		assert.NotContains(t, body, canaryEmail, "kind %s", kind)
		assert.NotContains(t, body, canaryIP, "kind %s", kind)
	}

	// Shutdown of the last started signal removes both providers.
	require.NoError(t, tm.traces.Shutdown(context.Background()))
	require.NoError(t, tm.logs.Shutdown(context.Background()))
	assert.Len(t, reg.Counts(), 2, "still registered while the metrics pipeline runs")
	require.NoError(t, tm.metrics.Shutdown(context.Background()))
	assert.Empty(t, reg.Counts())
}

// TestStatusTeamNamesThroughReportName: a valid team name that does not look like a safe name is
// hashed unless configured.
func TestStatusTeamNamesThroughReportName(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.TeamMapping = map[string]string{"ns-checkout": "checkout-web"}
	tm := newTestMeter(t, "names", cfg, nil)
	reg := tm.startWithRegistry(t)
	ld := plog.NewLogs()
	for _, ns := range []string{"ns-checkout", "team-12345"} {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("k8s.namespace.name", ns)
		rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr("x")
	}
	require.NoError(t, tm.logs.ConsumeLogs(context.Background(), ld))
	var usage UsageStatus
	require.NoError(t, json.Unmarshal(reg.Snapshot(t, statusapi.KindUsage), &usage))
	var names []string
	for _, ts := range usage.Teams {
		names = append(names, ts.Team)
	}
	assert.ElementsMatch(t, []string{"checkout-web", statusapi.HashedName("team-12345")}, names)
}

// TestStatusWithoutStart: Shutdown without Start unregisters nothing and does not panic.
func TestStatusWithoutStart(t *testing.T) {
	tm := newTestMeter(t, "nostart", createDefaultConfig().(*Config), nil)
	assert.NotPanics(t, func() { tm.meter().unregisterStatus() })
	assert.Equal(t, statusapi.Summary{}, tm.meter().summaryStatus())
}

// TestStatusConcurrentWithPipeline: snapshots while batches flow (run with -race).
func TestStatusConcurrentWithPipeline(t *testing.T) {
	tm := newTestMeter(t, "race", createDefaultConfig().(*Config), nil)
	reg := tm.startWithRegistry(t)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 50 {
			reg.Snapshot(t, statusapi.KindUsage)
			reg.Snapshot(t, statusapi.KindSummary)
		}
	}()
	for range 50 {
		ld := plog.NewLogs()
		teamLogs(ld, "payments", 2, plog.SeverityNumberInfo)
		require.NoError(t, tm.logs.ConsumeLogs(context.Background(), ld))
	}
	wg.Wait()
	var s statusapi.Summary
	require.NoError(t, json.Unmarshal(reg.Snapshot(t, statusapi.KindSummary), &s))
	assert.EqualValues(t, 100, s.In.Items)
}
