// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

var propertyTeams = []string{"payments", "search", "checkout", "a b" /* invalid */, "" /* no attribute */}

// expectedTeam is what the generator meant: invalid or missing values fall to default_team.
func expectedTeam(v string) string {
	if v == "a b" || v == "" {
		return "unattributed"
	}
	return v
}

func setTeam(res pcommon.Map, rng *rand.Rand, v string) {
	res.PutStr("host.name", fmt.Sprintf("node-%d", rng.IntN(9)))
	if v == "" {
		return
	}
	key := []string{"k8s.namespace.name", "service.namespace", "service.name"}[rng.IntN(3)]
	res.PutStr(key, v)
}

func randomLogs(rng *rand.Rand) (plog.Logs, map[string]plog.Logs) {
	ld := plog.NewLogs()
	perTeam := map[string]plog.Logs{}
	for range rng.IntN(6) + 1 {
		v := propertyTeams[rng.IntN(len(propertyTeams))]
		rl := ld.ResourceLogs().AppendEmpty()
		setTeam(rl.Resource().Attributes(), rng, v)
		for range rng.IntN(3) {
			sl := rl.ScopeLogs().AppendEmpty()
			sl.Scope().SetName("app")
			for range rng.IntN(40) {
				lr := sl.LogRecords().AppendEmpty()
				lr.SetSeverityNumber(plog.SeverityNumber(rng.IntN(24) + 1))
				lr.Body().SetStr(fmt.Sprintf(`{"msg":"request %d","latency_ms":%d}`, rng.Int(), rng.IntN(1<<20)))
				lr.Attributes().PutStr("http.route", "/api/orders/{id}")
			}
		}
		sub, ok := perTeam[expectedTeam(v)]
		if !ok {
			sub = plog.NewLogs()
			perTeam[expectedTeam(v)] = sub
		}
		rl.CopyTo(sub.ResourceLogs().AppendEmpty())
	}
	return ld, perTeam
}

func randomTraces(rng *rand.Rand) (ptrace.Traces, map[string]ptrace.Traces) {
	td := ptrace.NewTraces()
	perTeam := map[string]ptrace.Traces{}
	for range rng.IntN(6) + 1 {
		v := propertyTeams[rng.IntN(len(propertyTeams))]
		rs := td.ResourceSpans().AppendEmpty()
		setTeam(rs.Resource().Attributes(), rng, v)
		for range rng.IntN(3) {
			ss := rs.ScopeSpans().AppendEmpty()
			for range rng.IntN(60) {
				sp := ss.Spans().AppendEmpty()
				sp.SetName("GET /api/orders/{id}")
				sp.SetTraceID(pcommon.TraceID{byte(rng.Uint32()), 1, 2, 3})
				sp.SetSpanID(pcommon.SpanID{byte(rng.Uint32()), 9})
				sp.SetStartTimestamp(pcommon.Timestamp(rng.Uint64() >> 1))
				sp.Attributes().PutInt("http.response.status_code", int64(200+rng.IntN(300)))
			}
		}
		sub, ok := perTeam[expectedTeam(v)]
		if !ok {
			sub = ptrace.NewTraces()
			perTeam[expectedTeam(v)] = sub
		}
		rs.CopyTo(sub.ResourceSpans().AppendEmpty())
	}
	return td, perTeam
}

func randomMetrics(rng *rand.Rand) (pmetric.Metrics, map[string]pmetric.Metrics) {
	md := pmetric.NewMetrics()
	perTeam := map[string]pmetric.Metrics{}
	for range rng.IntN(6) + 1 {
		v := propertyTeams[rng.IntN(len(propertyTeams))]
		rm := md.ResourceMetrics().AppendEmpty()
		setTeam(rm.Resource().Attributes(), rng, v)
		sm := rm.ScopeMetrics().AppendEmpty()
		for k := range rng.IntN(4) {
			m := sm.Metrics().AppendEmpty()
			m.SetName(fmt.Sprintf("metric_%d", k))
			switch rng.IntN(3) {
			case 0:
				dps := m.SetEmptyGauge().DataPoints()
				for range rng.IntN(20) {
					dp := dps.AppendEmpty()
					dp.SetDoubleValue(rng.Float64())
					dp.Attributes().PutStr("route", fmt.Sprintf("/r/%d", rng.IntN(50)))
				}
			case 1:
				dps := m.SetEmptySum().DataPoints()
				for range rng.IntN(20) {
					dp := dps.AppendEmpty()
					dp.SetIntValue(rng.Int64N(1 << 40))
				}
			default:
				dps := m.SetEmptyHistogram().DataPoints()
				for range rng.IntN(5) {
					dp := dps.AppendEmpty()
					dp.BucketCounts().FromRaw([]uint64{1, 2, 3})
					dp.ExplicitBounds().FromRaw([]float64{0.1, 1})
					dp.SetCount(6)
				}
			}
		}
		sub, ok := perTeam[expectedTeam(v)]
		if !ok {
			sub = pmetric.NewMetrics()
			perTeam[expectedTeam(v)] = sub
		}
		rm.CopyTo(sub.ResourceMetrics().AppendEmpty())
	}
	return md, perTeam
}

// TestCountsAreExact is a property test: over random batches of every signal, the records
// counted per team equal the records generated for that team, and the bytes counted per team
// equal the length of the OTLP protobuf encoding of that team's resources alone (a real marshal,
// independent of the sizer the processor uses); nothing passes changed.
func TestCountsAreExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tm := newTestMeter(t, "property", createDefaultConfig().(*Config), nil)
	ctx := context.Background()
	wantRecords := map[string]map[string]int64{"traces": {}, "logs": {}, "metrics": {}}
	wantBytes := map[string]map[string]int64{"traces": {}, "logs": {}, "metrics": {}}
	for range 200 {
		ld, lt := randomLogs(rng)
		for team, sub := range lt {
			b, err := (&plog.ProtoMarshaler{}).MarshalLogs(sub)
			require.NoError(t, err)
			wantRecords["logs"][team] += int64(sub.LogRecordCount())
			wantBytes["logs"][team] += int64(len(b))
		}
		before := plog.NewLogs()
		ld.CopyTo(before)
		require.NoError(t, tm.logs.ConsumeLogs(ctx, ld))
		assert.Equal(t, before, ld, "logs pass unchanged")

		td, tt := randomTraces(rng)
		for team, sub := range tt {
			b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(sub)
			require.NoError(t, err)
			wantRecords["traces"][team] += int64(sub.SpanCount())
			wantBytes["traces"][team] += int64(len(b))
		}
		require.NoError(t, tm.traces.ConsumeTraces(ctx, td))

		md, mt := randomMetrics(rng)
		for team, sub := range mt {
			b, err := (&pmetric.ProtoMarshaler{}).MarshalMetrics(sub)
			require.NoError(t, err)
			wantRecords["metrics"][team] += int64(sub.DataPointCount())
			wantBytes["metrics"][team] += int64(len(b))
		}
		require.NoError(t, tm.metrics.ConsumeMetrics(ctx, md))
	}
	for _, sig := range []string{"traces", "logs", "metrics"} {
		gotRecords := sumByTeam(t, tm.tel, "otelcol_processor_usage_meter_records", sig)
		gotBytes := sumByTeam(t, tm.tel, "otelcol_processor_usage_meter_bytes", sig)
		// Teams with resources but no records still count their bytes; drop zero-record teams from neither side.
		assert.Equal(t, nonZero(wantRecords[sig]), nonZero(gotRecords), "records of %s", sig)
		assert.Equal(t, wantBytes[sig], gotBytes, "bytes of %s", sig)
	}
	assert.Len(t, tm.tSink.AllTraces(), 200)
	assert.Len(t, tm.lSink.AllLogs(), 200)
	assert.Len(t, tm.mSink.AllMetrics(), 200)
}

func nonZero(m map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

// TestTeamValueRejectionsAreCounted checks the reason attribute of rejected team values.
func TestTeamValueRejectionsAreCounted(t *testing.T) {
	tm := newTestMeter(t, "rejections", createDefaultConfig().(*Config), nil)
	ld := plog.NewLogs()
	for _, v := range []string{"jane@example.com", "10.0.0.7", "ok-team"} {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("service.name", v)
		rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr("x")
	}
	require.NoError(t, tm.logs.ConsumeLogs(context.Background(), ld))
	assert.Equal(t, map[string]int64{"unattributed": 2, "ok-team": 1}, sumByTeam(t, tm.tel, "otelcol_processor_usage_meter_records", "logs"))
	got := map[string]int64{}
	m, err := tm.tel.GetMetric("otelcol_processor_usage_meter_team_values_rejected")
	require.NoError(t, err)
	for _, dp := range m.Data.(metricdataSum).DataPoints {
		r, _ := dp.Attributes.Value("reason")
		got[r.AsString()] += dp.Value
	}
	assert.Equal(t, map[string]int64{"invalid_characters": 1, "looks_like_personal_data": 1}, got)
}
