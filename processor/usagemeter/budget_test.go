// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// teamLogs is one resource of a team with n records of each given severity.
func teamLogs(ld plog.Logs, team string, n int, severities ...plog.SeverityNumber) {
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("k8s.namespace.name", team)
	sl := rl.ScopeLogs().AppendEmpty()
	for i := 0; i < n; i++ {
		for _, s := range severities {
			lr := sl.LogRecords().AppendEmpty()
			lr.SetSeverityNumber(s)
			lr.Body().SetStr(`{"msg":"order placed","order_id":"o-1234","latency_ms":12}`)
		}
	}
}

// severityCounts counts, per team, the records that reached the sink by severity range.
func severityCounts(lds []plog.Logs) map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, ld := range lds {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			rl := ld.ResourceLogs().At(i)
			team, _ := rl.Resource().Attributes().Get("k8s.namespace.name")
			if out[team.Str()] == nil {
				out[team.Str()] = map[string]int{}
			}
			for j := 0; j < rl.ScopeLogs().Len(); j++ {
				lrs := rl.ScopeLogs().At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					if lrs.At(k).SeverityNumber() >= plog.SeverityNumberWarn {
						out[team.Str()]["warn+"]++
					} else {
						out[team.Str()]["below"]++
					}
				}
			}
		}
	}
	return out
}

func TestLogBudgets(t *testing.T) {
	tests := []struct {
		name   string
		budget SignalBudget
		keep   string
		// noisyRounds batches of 100 INFO + 10 WARN + 5 ERROR records each, one per simulated second
		rounds         int
		wantNoisyBelow func(int) bool
		wantReason     string
	}{
		{"within rate budget nothing is dropped", SignalBudget{BytesPerSecond: 1e6, BurstBytes: 1e6}, "WARN", 10,
			func(n int) bool { return n == 1000 }, ""},
		{"over rate budget INFO is dropped, WARN+ kept", SignalBudget{BytesPerSecond: 2000, BurstBytes: 4000}, "WARN", 10,
			func(n int) bool { return n < 200 }, "budget_exceeded"},
		{"over daily quota INFO is dropped", SignalBudget{DailyBytes: 20000}, "WARN", 10,
			func(n int) bool { return n < 300 }, "daily_quota_exceeded"},
		{"keep_severity ERROR lets WARN go too", SignalBudget{BytesPerSecond: 100, BurstBytes: 1024}, "ERROR", 10,
			func(n int) bool { return n < 1100 }, "budget_exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			cfg.KeepSeverity = tt.keep
			b := tt.budget
			cfg.Budgets = map[string]TeamBudget{"noisy": {Logs: &b}}
			tm := newTestMeter(t, "logbudget", cfg, nil)
			for range tt.rounds {
				ld := plog.NewLogs()
				teamLogs(ld, "noisy", 100, plog.SeverityNumberInfo)
				teamLogs(ld, "noisy", 10, plog.SeverityNumberWarn)
				teamLogs(ld, "noisy", 5, plog.SeverityNumberError)
				teamLogs(ld, "quiet", 100, plog.SeverityNumberDebug, plog.SeverityNumberError)
				require.NoError(t, tm.logs.ConsumeLogs(context.Background(), ld))
				tm.clock.advance(time.Second)
			}
			got := severityCounts(tm.lSink.AllLogs())
			assert.Equal(t, map[string]int{"below": 1000, "warn+": 1000}, got["quiet"], "other teams are never touched")
			keptWarn := got["noisy"]["warn+"]
			below := got["noisy"]["below"]
			if tt.keep == "ERROR" {
				// WARN is below keep_severity here, so WARN counts as droppable.
				assert.GreaterOrEqual(t, keptWarn, 50, "ERROR records always arrive")
				assert.True(t, tt.wantNoisyBelow(below+keptWarn-50), "droppable records kept: %d", below+keptWarn-50)
			} else {
				assert.Equal(t, 150, keptWarn, "every WARN+ record of the noisy team arrives")
				assert.True(t, tt.wantNoisyBelow(below), "INFO records kept: %d", below)
			}
			dropped := sumDropped(t, tm, "noisy", "logs")
			if tt.wantReason == "" {
				assert.Empty(t, dropped)
				return
			}
			assert.Positive(t, dropped[tt.wantReason])
			assert.Equal(t, int64(tt.rounds*115)-int64(got["noisy"]["warn+"]+got["noisy"]["below"]), dropped[tt.wantReason],
				"every refused record is counted")
			// usage counts what the team sent, refused records included
			assert.Equal(t, int64(tt.rounds*115), sumByTeam(t, tm.tel, "otelcol_processor_usage_meter_records", "logs")["noisy"])
		})
	}
}

func sumDropped(t *testing.T, tm *testMeter, team, sig string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	m, err := tm.tel.GetMetric("otelcol_processor_usage_meter_dropped")
	if err != nil {
		return out
	}
	for _, dp := range m.Data.(metricdataSum).DataPoints {
		tv, _ := dp.Attributes.Value("team")
		sv, _ := dp.Attributes.Value("signal")
		rv, _ := dp.Attributes.Value("reason")
		if tv.AsString() == team && sv.AsString() == sig {
			out[rv.AsString()] += dp.Value
		}
	}
	return out
}

func TestLogRecordWithoutSeverityNumberUsesItsText(t *testing.T) {
	tests := []struct {
		text string
		want plog.SeverityNumber
	}{
		{"WARNING", plog.SeverityNumberWarn}, {"Error", plog.SeverityNumberError}, {"err", plog.SeverityNumberError},
		{"CRITICAL", plog.SeverityNumberFatal}, {"info", plog.SeverityNumberInfo}, {"debug", plog.SeverityNumberDebug},
		{"", plog.SeverityNumberUnspecified}, {"loud", plog.SeverityNumberUnspecified},
	}
	for _, tt := range tests {
		lr := plog.NewLogRecord()
		lr.SetSeverityText(tt.text)
		assert.Equal(t, tt.want, severityOf(lr), tt.text)
	}
	lr := plog.NewLogRecord()
	lr.SetSeverityNumber(plog.SeverityNumberInfo)
	lr.SetSeverityText("ERROR")
	assert.Equal(t, plog.SeverityNumberInfo, severityOf(lr), "the number wins over the text")
}

func TestThrottlingStartAndEndAreLoggedOnce(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	cfg := createDefaultConfig().(*Config)
	cfg.Budgets = map[string]TeamBudget{"noisy": {Logs: &SignalBudget{BytesPerSecond: 1000, BurstBytes: 2000}}}
	tm := newTestMeter(t, "throttlelog", cfg, zap.New(core))
	m := tm.meter()
	for range 20 {
		ld := plog.NewLogs()
		teamLogs(ld, "noisy", 100, plog.SeverityNumberInfo)
		require.NoError(t, tm.logs.ConsumeLogs(context.Background(), ld))
		tm.clock.advance(time.Second)
		m.tickBudgets(tm.clock.now())
	}
	b := m.teams.get("noisy").budgets[signalLogs]
	assert.True(t, b.throttled.Load())
	assert.Greater(t, math64(b.utilization.Load()), 1.0, "utilization above 1 while throttled")
	for range 40 { // quiet for longer than releaseAfter
		tm.clock.advance(time.Second)
		m.tickBudgets(tm.clock.now())
	}
	assert.False(t, b.throttled.Load())
	assert.Equal(t, 1, logs.FilterMessage("usage_meter: team over budget, throttling").Len())
	assert.Equal(t, 1, logs.FilterMessage("usage_meter: team back within budget, throttling ended").Len())
	entry := logs.FilterMessage("usage_meter: team over budget, throttling").All()[0]
	assert.Equal(t, "noisy", entry.ContextMap()["team"])
	assert.Equal(t, "logs", entry.ContextMap()["signal"])
}

func TestMetricsBudgetRefusesNewSeriesOnly(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Budgets = map[string]TeamBudget{"noisy": {Metrics: &SignalBudget{BytesPerSecond: 3000, BurstBytes: 6000}}}
	tm := newTestMeter(t, "seriesbudget", cfg, nil)
	batch := func(team string, first, n int) pmetric.Metrics {
		md := pmetric.NewMetrics()
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("k8s.namespace.name", team)
		m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		m.SetName("http.server.request.duration")
		dps := m.SetEmptyGauge().DataPoints()
		for i := first; i < first+n; i++ {
			dp := dps.AppendEmpty()
			dp.SetDoubleValue(1)
			dp.Attributes().PutInt("series", int64(i))
		}
		return md
	}
	// 20 series are established within budget.
	require.NoError(t, tm.metrics.ConsumeMetrics(context.Background(), batch("noisy", 0, 20)))
	tm.clock.advance(time.Second)
	// A burst of 2000 new series: most refused.
	require.NoError(t, tm.metrics.ConsumeMetrics(context.Background(), batch("noisy", 1000, 2000)))
	require.NoError(t, tm.metrics.ConsumeMetrics(context.Background(), batch("quiet", 1000, 2000)))
	// The established series still flow, though the team is in debt.
	require.NoError(t, tm.metrics.ConsumeMetrics(context.Background(), batch("noisy", 0, 20)))
	all := tm.mSink.AllMetrics()
	require.Len(t, all, 4)
	assert.Equal(t, 20, all[0].DataPointCount())
	// burst_bytes (6000) admits about 230 points of ~26 bytes; the rest of the 2000 are refused.
	assert.Less(t, all[1].DataPointCount(), 300, "new series over budget are refused")
	assert.Equal(t, 2000, all[2].DataPointCount(), "other teams are never touched")
	assert.Equal(t, 20, all[3].DataPointCount(), "existing series keep flowing")
	assert.Equal(t, int64(2000-all[1].DataPointCount()), sumDropped(t, tm, "noisy", "metrics")["new_series_over_budget"])
}

func TestTracesBudgetIsReportedNeverEnforced(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Budgets = map[string]TeamBudget{"noisy": {Traces: &SignalBudget{BytesPerSecond: 100, BurstBytes: 1024}}}
	tm := newTestMeter(t, "tracebudget", cfg, nil)
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("k8s.namespace.name", "noisy")
	for range 500 {
		rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty().SetName("GET /")
	}
	require.NoError(t, tm.traces.ConsumeTraces(context.Background(), td))
	tm.clock.advance(time.Second)
	tm.meter().tickBudgets(tm.clock.now())
	assert.Equal(t, 500, tm.tSink.SpanCount())
	assert.True(t, tm.meter().teams.get("noisy").budgets[signalTraces].throttled.Load(), "over budget is reported")
	assert.Empty(t, sumDropped(t, tm, "noisy", "traces"))
	assert.False(t, tm.traces.Capabilities().MutatesData)
}

func TestDailyQuotaResetsAtMidnightUTC(t *testing.T) {
	b := newBudget(&SignalBudget{DailyBytes: 100})
	day := time.Date(2026, 12, 1, 23, 59, 0, 0, time.UTC)
	assert.Equal(t, admitted, b.admit(day, 100))
	assert.Equal(t, overDailyQuota, b.admit(day, 1))
	assert.Equal(t, admitted, b.admit(day.Add(2*time.Minute), 100), "a new UTC day starts a new quota")
}
