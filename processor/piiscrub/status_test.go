package piiscrub

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
	"github.com/otelcol-warden/otelcol-warden/internal/statusapi/statusapitest"
	"github.com/otelcol-warden/otelcol-warden/processor/piiscrub/internal/metadata"
)

const (
	plantedEmail = "jane.planted@example.com"
	plantedCard  = "4111 1111 1111 1111"
	plantedIP    = "203.0.113.77"
)

func plantedLogs() plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	now := pcommonTS(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	lr := lrs.AppendEmpty() // email + ip in the body, card in an attribute
	lr.SetTimestamp(now)
	lr.Body().SetStr("login by " + plantedEmail + " from " + plantedIP)
	lr.Attributes().PutStr("note", "paid with "+plantedCard)
	lr = lrs.AppendEmpty() // email in an attribute
	lr.SetTimestamp(now)
	lr.Body().SetStr("order placed")
	lr.Attributes().PutStr("customer", plantedEmail)
	lr = lrs.AppendEmpty() // nothing
	lr.SetTimestamp(now)
	lr.Body().SetStr("healthy")
	return ld
}

func plantedTraces() ptrace.Traces {
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	now := pcommonTS(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	sp := spans.AppendEmpty() // ip in an attribute, email in an event name
	sp.SetName("checkout")
	sp.SetStartTimestamp(now)
	sp.Attributes().PutStr("client", plantedIP)
	sp.Events().AppendEmpty().SetName("receipt sent to " + plantedEmail)
	sp = spans.AppendEmpty() // nothing
	sp.SetName("cart")
	sp.SetStartTimestamp(now)
	return td
}

func TestStatusProvidersCountDetectionsWithoutValues(t *testing.T) {
	reg := statusapitest.NewRegistry()
	host := reg.Host()
	set := processortest.NewNopSettings(metadata.Type)
	set.ID = component.MustNewIDWithName("pii_scrub", "edge")
	cfg := testConfig(t)
	ctx := context.Background()

	logSink, traceSink := new(consumertest.LogsSink), new(consumertest.TracesSink)
	lp, err := NewFactory().CreateLogs(ctx, set, cfg, logSink)
	require.NoError(t, err)
	tp, err := NewFactory().CreateTraces(ctx, set, cfg, traceSink)
	require.NoError(t, err)
	require.NoError(t, lp.Start(ctx, host))
	require.NoError(t, tp.Start(ctx, host))
	require.Equal(t, 2, reg.Counts()[statusapi.KindPII])
	require.Equal(t, 2, reg.Counts()[statusapi.KindSummary])

	// Snapshots are taken concurrently with the pipeline (the race detector checks this).
	stop, polled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(polled)
		for {
			select {
			case <-stop:
				return
			default:
				reg.Snapshots(t, statusapi.KindPII)
				reg.Snapshots(t, statusapi.KindSummary)
			}
		}
	}()
	require.NoError(t, lp.ConsumeLogs(ctx, plantedLogs()))
	require.NoError(t, lp.ConsumeLogs(ctx, plantedLogs()))
	require.NoError(t, tp.ConsumeTraces(ctx, plantedTraces()))
	close(stop)
	<-polled

	// The data itself was scrubbed (pseudonyms in the output), so the planted values were found.
	out, err := (&plog.JSONMarshaler{}).MarshalLogs(logSink.AllLogs()[0])
	require.NoError(t, err)
	require.Contains(t, string(out), "pii:email:")
	require.NotContains(t, string(out), plantedEmail)

	pii := reg.Snapshots(t, statusapi.KindPII)
	sums := reg.Snapshots(t, statusapi.KindSummary)
	require.Len(t, pii, 2)
	require.Len(t, sums, 2)
	for _, b := range append(append([][]byte{}, pii...), sums...) {
		t.Logf("snapshot: %s", b)
		for _, v := range []string{plantedEmail, "jane", "example.com", plantedCard, "4111", "1111", plantedIP, "203.0", "pii:"} {
			assert.NotContains(t, string(b), v)
		}
	}

	var logsPII, tracesPII PIIStatus
	require.NoError(t, json.Unmarshal(pii[0], &logsPII))
	require.NoError(t, json.Unmarshal(pii[1], &tracesPII))
	assert.Equal(t, PIIStatus{
		Detections: 8,
		ByType:     map[string]uint64{"email": 4, "ip": 2, "card": 2},
		ByLocation: map[string]uint64{"log_body": 4, "log_attr": 4},
		ByAction:   map[string]uint64{"hash": 6, "mask": 2},
		Signals: map[string]PIISignalStatus{"logs": {
			RecordsScanned: 6, RecordsScrubbed: 4, Detections: 8,
			ByType:     map[string]uint64{"email": 4, "ip": 2, "card": 2},
			ByLocation: map[string]uint64{"log_body": 4, "log_attr": 4},
		}},
	}, logsPII)
	assert.Equal(t, PIIStatus{
		Detections: 2,
		ByType:     map[string]uint64{"email": 1, "ip": 1},
		ByLocation: map[string]uint64{"span_attr": 1, "event_name": 1},
		ByAction:   map[string]uint64{"hash": 2},
		Signals: map[string]PIISignalStatus{"traces": {
			RecordsScanned: 2, RecordsScrubbed: 1, Detections: 2,
			ByType:     map[string]uint64{"email": 1, "ip": 1},
			ByLocation: map[string]uint64{"span_attr": 1, "event_name": 1},
		}},
	}, tracesPII)

	var logsSum, tracesSum statusapi.Summary
	require.NoError(t, json.Unmarshal(sums[0], &logsSum))
	require.NoError(t, json.Unmarshal(sums[1], &tracesSum))
	assert.Equal(t, statusapi.Summary{In: statusapi.Volume{Items: 6}, Out: statusapi.Volume{Items: 6}}, logsSum)
	assert.Equal(t, statusapi.Summary{In: statusapi.Volume{Items: 2}, Out: statusapi.Volume{Items: 2}}, tracesSum)

	require.NoError(t, lp.Shutdown(ctx))
	require.NoError(t, tp.Shutdown(ctx))
	assert.Empty(t, reg.Snapshots(t, statusapi.KindPII), "shutdown unregisters")
	assert.Empty(t, reg.Snapshots(t, statusapi.KindSummary))
}

// fail_closed drops are the one removal the summary lists.
func TestStatusSummaryListsFailClosedDrops(t *testing.T) {
	p := newTestProcessor(t, testConfig(t, func(c *Config) { c.Limits.MaxDepth = 1 }))
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	inner := lr.Body().SetEmptyMap().PutEmptyMap("a").PutEmptyMap("b")
	inner.PutStr("c", "deep")
	ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().AppendEmpty().Body().SetStr("fine")
	_, _ = p.processLogs(context.Background(), ld)
	s := p.statusSummary()
	require.Len(t, s.Removed, 1, "%+v", s)
	assert.True(t, strings.HasPrefix(s.Removed[0].Reason, "fail_closed."), s.Removed[0].Reason)
	assert.Equal(t, statusapi.Summary{In: statusapi.Volume{Items: 2}, Out: statusapi.Volume{Items: 1},
		Removed: []statusapi.Removal{{Reason: "fail_closed.too_deep", Items: 1}}}, s)
}

func TestShutdownWithoutStartIsSafe(t *testing.T) {
	lp, err := NewFactory().CreateLogs(context.Background(), processortest.NewNopSettings(metadata.Type), testConfig(t), consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, lp.Shutdown(context.Background()))
	p := newTestProcessor(t, testConfig(t))
	require.NoError(t, p.start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, p.shutdown(context.Background()))
}

// The status counters add nothing to the hot path's allocations: what flush adds per batch (records
// and one add per count entry) allocates nothing.
func TestStatusCountersDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	p := newTestProcessor(t, testConfig(t))
	c := p.status
	run := func() {
		c.scanned[sigLogs].Add(3)
		c.scrubbed[sigLogs].Add(1)
		c.dropped[sigLogs][reasonTooDeep].Add(1)
		c.addDetection(sigLogs, countKey{ent: entEmail, act: actionIndex[ActionHash], loc: locLogBody}, 1)
		c.addDetection(sigLogs, countKey{ent: entCard, act: actionIndex[ActionMask], loc: locLogAttr}, 1)
	}
	assert.Zero(t, testing.AllocsPerRun(100, run))
	got := p.statusPII()
	assert.Equal(t, uint64(101*2), got.Detections)
	assert.Equal(t, map[string]uint64{"email": 101, "card": 101}, got.ByType)
	assert.Equal(t, map[string]uint64{"too_deep": 101}, got.Signals["logs"].RecordsDropped)
}
