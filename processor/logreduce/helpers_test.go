package logreduce

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-warden/otelcol-warden/processor/logreduce/internal/metadata"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// testReducer is a reducer on a fixed clock, feeding a sink, never started (tests end windows).
type testReducer struct {
	*reducer
	sink  *consumertest.LogsSink
	clock time.Time
}

func newTestReducer(t testing.TB, mutate func(*Config)) *testReducer {
	t.Helper()
	return newTestReducerWith(t, processortest.NewNopSettings(metadata.Type), mutate)
}

func newTestReducerWith(t testing.TB, set processor.Settings, mutate func(*Config)) *testReducer {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	if mutate != nil {
		mutate(cfg)
	}
	require.NoError(t, cfg.Validate())
	sink := &consumertest.LogsSink{}
	r, err := newReducer(cfg, set, sink)
	require.NoError(t, err)
	tr := &testReducer{reducer: r, sink: sink, clock: t0}
	r.now = func() time.Time { return tr.clock }
	return tr
}

func (tr *testReducer) consume(t testing.TB, ld plog.Logs) {
	t.Helper()
	require.NoError(t, tr.ConsumeLogs(context.Background(), ld))
}

func (tr *testReducer) endWindow(t testing.TB) {
	t.Helper()
	tr.clock = tr.clock.Add(tr.cfg.Window)
	require.NoError(t, tr.reducer.endWindow(context.Background(), "window"))
}

// rec describes one input record.
type rec struct {
	service string
	msg     string
	sev     plog.SeverityNumber
	attrs   map[string]string
	res     map[string]string
}

// logsOf builds one batch: one resource per record (same-service records share nothing but their
// attributes, as records of different pods would).
func logsOf(recs ...rec) plog.Logs {
	ld := plog.NewLogs()
	for i, r := range recs {
		rl := ld.ResourceLogs().AppendEmpty()
		if r.service != "" {
			rl.Resource().Attributes().PutStr("service.name", r.service)
		}
		for k, v := range r.res {
			rl.Resource().Attributes().PutStr(k, v)
		}
		sl := rl.ScopeLogs().AppendEmpty()
		sl.Scope().SetName("test")
		lr := sl.LogRecords().AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Duration(i) * time.Millisecond)))
		lr.Body().SetStr(r.msg)
		lr.SetSeverityNumber(r.sev)
		for k, v := range r.attrs {
			lr.Attributes().PutStr(k, v)
		}
	}
	return ld
}

func repeat(n int, service, format string) []rec {
	out := make([]rec, n)
	for i := range out {
		out[i] = rec{service: service, msg: fmt.Sprintf(format, i), sev: plog.SeverityNumberInfo}
	}
	return out
}

// output is everything the sink received, split into passed records and summaries.
type output struct {
	passed    []plog.LogRecord
	summaries []plog.LogRecord
	// resources of each summary, parallel to summaries.
	summaryRes []pcommon.Resource
}

func (tr *testReducer) output() output {
	var o output
	for _, ld := range tr.sink.AllLogs() {
		for _, rl := range ld.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					if _, ok := lr.Attributes().Get(attrCount); ok {
						o.summaries = append(o.summaries, lr)
						o.summaryRes = append(o.summaryRes, rl.Resource())
					} else {
						o.passed = append(o.passed, lr)
					}
				}
			}
		}
	}
	return o
}

func attrStr(lr plog.LogRecord, k string) string {
	v, ok := lr.Attributes().Get(k)
	if !ok {
		return ""
	}
	return v.AsString()
}

func attrInt(lr plog.LogRecord, k string) int64 {
	v, ok := lr.Attributes().Get(k)
	if !ok {
		return -1
	}
	return v.Int()
}

func processortestSettings() processor.Settings { return processortest.NewNopSettings(metadata.Type) }
