package logreduce

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
	"github.com/otelcol-warden/otelcol-warden/internal/statusapi/statusapitest"
)

func startWithRegistry(t *testing.T, tr *testReducer) *statusapitest.Registry {
	t.Helper()
	reg := statusapitest.NewRegistry()
	host := reg.Host()
	require.NoError(t, tr.Start(context.Background(), host))
	t.Cleanup(func() { assert.NoError(t, tr.Shutdown(context.Background())) })
	return reg
}

// TestStatusSnapshots: after real data the "logs" and "summary" snapshots carry exact counts,
// and none of the personal data in the records (messages or a service name) reaches their JSON.
func TestStatusSnapshots(t *testing.T) {
	tr := newTestReducer(t, nil)
	reg := startWithRegistry(t, tr)

	recs := canaryStream() // 50 rounds of 5 templates, all of service checkout
	for range 4 {
		recs = append(recs, rec{service: "jane.doe@example.com", msg: "health check ok", sev: plog.SeverityNumberInfo})
	}
	tr.consume(t, logsOf(recs...))

	// Expected: the first keep_first (3) records of each template pass, the rest are folded.
	var inBytes, checkoutSupp, checkoutSuppBytes int64
	for i, r := range recs {
		inBytes += int64(len(r.msg))
		if r.service == "checkout" && i/5 >= 3 {
			checkoutSupp++
			checkoutSuppBytes += int64(len(r.msg))
		}
	}
	healthBytes := int64(len("health check ok"))
	require.EqualValues(t, 235, checkoutSupp)

	var logs LogsStatus
	require.NoError(t, json.Unmarshal(reg.Snapshot(t, statusapi.KindLogs), &logs))
	assert.Equal(t, "reduce", logs.Mode)
	assert.Equal(t, 6, logs.Templates)
	require.Len(t, logs.Services, 2)
	checkout, other := logs.Services[0], logs.Services[1]
	assert.Equal(t, "checkout", checkout.Service)
	assert.EqualValues(t, 250, checkout.Received)
	assert.Equal(t, checkoutSupp, checkout.Suppressed)
	assert.Equal(t, checkoutSuppBytes, checkout.SuppressedBytes)
	assert.Equal(t, 5, checkout.Templates)
	require.Len(t, checkout.TopBySuppressed, 5) // report.top_n
	for _, tpl := range checkout.TopBySuppressed {
		assert.EqualValues(t, 50, tpl.Received)
		assert.EqualValues(t, 47, tpl.Suppressed)
		assert.Regexp(t, `^[0-9a-f]{8}$`, tpl.ID)
		assert.NotEmpty(t, tpl.Shape)
	}
	assert.Equal(t, statusapi.HashedName("jane.doe@example.com"), other.Service)
	assert.EqualValues(t, 4, other.Received)
	assert.EqualValues(t, 1, other.Suppressed)
	assert.Equal(t, healthBytes, other.SuppressedBytes)
	require.Len(t, other.TopBySuppressed, 1)
	assert.Equal(t, "health check ok", other.TopBySuppressed[0].Shape)

	summaryOf := func() statusapi.Summary {
		var s statusapi.Summary
		require.NoError(t, json.Unmarshal(reg.Snapshot(t, statusapi.KindSummary), &s))
		return s
	}
	suppressed, suppressedBytes := uint64(checkoutSupp+1), uint64(checkoutSuppBytes+healthBytes)
	s := summaryOf()
	assert.Equal(t, statusapi.Volume{Items: 254, Bytes: uint64(inBytes)}, s.In)
	assert.Equal(t, statusapi.Volume{Items: 254 - suppressed, Bytes: uint64(inBytes) - suppressedBytes}, s.Out)
	assert.Equal(t, []statusapi.Removal{{Reason: "folded", Items: suppressed, Bytes: suppressedBytes}}, s.Removed)

	// The window's end replaces the folded records with one summary per template.
	tr.endWindow(t)
	assert.Len(t, tr.output().summaries, 6)
	assert.Equal(t, 254-suppressed+6, summaryOf().Out.Items)

	for _, kind := range []statusapi.Kind{statusapi.KindLogs, statusapi.KindSummary} {
		body := string(reg.Snapshot(t, kind))
		for _, c := range canaries {
			assert.NotContains(t, body, c, "kind %s", kind)
		}
	}
}

// TestStatusSurvivesReport: the periodic report resets its counts, the snapshot keeps lifetime ones.
func TestStatusSurvivesReport(t *testing.T) {
	tr := newTestReducer(t, nil)
	reg := startWithRegistry(t, tr)
	tr.consume(t, logsOf(repeat(10, "checkout", "cache miss for key product:%d")...))
	tr.mu.Lock()
	rep := tr.buildReport()
	again := tr.buildReport()
	tr.mu.Unlock()
	require.Len(t, rep, 1)
	assert.EqualValues(t, 7, rep[0].Suppressed)
	assert.Zero(t, again[0].Suppressed)

	var logs LogsStatus
	require.NoError(t, json.Unmarshal(reg.Snapshot(t, statusapi.KindLogs), &logs))
	require.Len(t, logs.Services, 1)
	assert.EqualValues(t, 10, logs.Services[0].Received)
	assert.EqualValues(t, 7, logs.Services[0].Suppressed)
}

// TestStatusRegistration: Start registers both kinds, Shutdown removes them; Shutdown without
// Start and a host without the extension are fine.
func TestStatusRegistration(t *testing.T) {
	require.NoError(t, newTestReducer(t, nil).Shutdown(context.Background()))

	tr := newTestReducer(t, nil)
	reg := startWithRegistry(t, tr)
	assert.Len(t, reg.Counts(), 2)
	require.NoError(t, tr.Shutdown(context.Background()))
	assert.Empty(t, reg.Counts())
	require.NoError(t, tr.Shutdown(context.Background()))
}

// TestStatusConcurrentWithPipeline: snapshots taken while batches flow (run with -race).
func TestStatusConcurrentWithPipeline(t *testing.T) {
	tr := newTestReducer(t, func(c *Config) { c.Mode = ModeReduce })
	reg := startWithRegistry(t, tr)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 50; i++ {
			reg.Snapshot(t, statusapi.KindLogs)
			reg.Snapshot(t, statusapi.KindSummary)
		}
	}()
	for i := 0; i < 50; i++ {
		require.NoError(t, tr.ConsumeLogs(context.Background(), logsOf(repeat(5, "checkout", "request %d done")...)))
	}
	wg.Wait()
	var s statusapi.Summary
	require.NoError(t, json.Unmarshal(reg.Snapshot(t, statusapi.KindSummary), &s))
	assert.EqualValues(t, 250, s.In.Items)
	require.NoError(t, tr.Shutdown(context.Background()))
}
