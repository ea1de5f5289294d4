// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestReportComparesStagesAndPricesTeams(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	cfg := createDefaultConfig().(*Config)
	cfg.Prices = PricesConfig{LogsPerGB: 0.5, Currency: "USD"}
	cfg.Report = ReportConfig{Interval: time.Minute, TopN: 2}
	received := newTestMeter(t, "received", cfg, nil)
	exportedCfg := *cfg
	exported := newTestMeter(t, "exported", &exportedCfg, zap.New(core))
	ctx := context.Background()
	// five teams: big sends 80 records a round, the others 5; the pipeline keeps half of big's.
	for range 10 {
		ld := plog.NewLogs()
		teamLogs(ld, "big", 80, plog.SeverityNumberInfo)
		for i := range 4 {
			teamLogs(ld, fmt.Sprintf("small-%d", i), 5, plog.SeverityNumberInfo)
		}
		require.NoError(t, received.logs.ConsumeLogs(ctx, ld))
		kept := plog.NewLogs()
		ld.CopyTo(kept)
		lrs := kept.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
		n := 0
		lrs.RemoveIf(func(plog.LogRecord) bool { n++; return n%2 == 0 })
		require.NoError(t, exported.logs.ConsumeLogs(ctx, kept))
	}
	m := exported.meter()
	m.sampleRates(time.Now())
	for _, tm := range []*testMeter{received, exported} {
		tm.meter().lastReport = time.Now().Add(-time.Second) // pretend the volume arrived within a second
		for _, team := range tm.meter().teams.all() {
			team.rates[signalLogs].lastBytes = 0
		}
		tm.meter().sampleRates(time.Now())
	}
	m.logReport(time.Now())
	require.Equal(t, 1, logs.FilterMessage("usage_meter: usage report").Len())
	fields := logs.FilterMessage("usage_meter: usage report").All()[0].ContextMap()
	top := fields["logs_top_by_volume"].([]any)
	require.Len(t, top, 2)
	assert.True(t, strings.HasPrefix(top[0].(string), "big: 400 records"), top[0])
	assert.Contains(t, top[0], "at exported")
	assert.Contains(t, top[0], "at received (+")
	// 1 of 5 teams is the top 20%: big's share of the bytes at exported.
	bytes := sumByTeam(t, exported.tel, "otelcol_processor_usage_meter_bytes", "logs")
	var total int64
	for _, b := range bytes {
		total += b
	}
	assert.Equal(t, fmt.Sprintf("%.1f%%", 100*float64(bytes["big"])/float64(total)), fields["logs_top_20pct_share"])
	cost := fields["top_by_estimated_monthly_cost"].([]any)
	assert.True(t, strings.HasPrefix(cost[0].(string), "big: "), cost[0])
	assert.Contains(t, cost[0], "USD/month")
	for _, e := range logs.All() {
		assert.NotContains(t, fmt.Sprint(e.ContextMap()), "order placed", "record content never reaches the log")
	}
}
