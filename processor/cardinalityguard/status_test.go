package cardinalityguard

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
	"github.com/otelcol-warden/otelcol-warden/internal/statusapi/statusapitest"
	"github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard/internal/metadata"
)

func TestStatusProvidersReportCardinalityWithoutValues(t *testing.T) {
	const canary = "jane.canary@example.com"
	reg := statusapitest.NewRegistry()
	host := reg.Host()
	set := processortest.NewNopSettings(metadata.Type)
	set.ID = component.MustNewIDWithName("cardinality_guard", "edge")
	tg := newTestGuardWith(t, set, nil)
	require.NoError(t, tg.Start(context.Background(), host))
	assert.Equal(t, set.ID, reg.ID(statusapi.KindCardinality))
	assert.Equal(t, set.ID, reg.ID(statusapi.KindSummary))

	// Snapshots are taken concurrently with the pipeline (the race detector checks this).
	stop, polled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(polled)
		for {
			select {
			case <-stop:
				return
			default:
				for _, k := range []statusapi.Kind{statusapi.KindCardinality, statusapi.KindSummary} {
					p := reg.Provider(k)
					_, _ = json.Marshal(p.StatusSnapshot())
				}
			}
		}
	}()

	// 50 requests, each with its own user_id (the last one the canary): user_id is on the
	// built-in deny list, so all 50 fold into one series. One more metric with a label key
	// that carries the canary (not denied: passes through, reported hashed) and a NaN point.
	var users []point
	for i := range 50 {
		id := fmt.Sprintf("user-%03d", i)
		if i == 49 {
			id = canary
		}
		users = append(users, point{attrs: map[string]any{"user_id": id, "http.route": "/cart"}, value: 1, start: time.Second, ts: 2 * time.Second})
	}
	tg.consume(t, numberMetrics("http_requests_total", sumKind{}, users...))
	tg.consume(t, numberMetrics("logins_total", sumKind{},
		point{attrs: map[string]any{"plan": "free"}, value: 1, start: time.Second, ts: 2 * time.Second},
		point{attrs: map[string]any{"plan": "pro"}, value: 1, start: time.Second, ts: 2 * time.Second},
		point{attrs: map[string]any{"note_" + canary: "x"}, value: 1, start: time.Second, ts: 2 * time.Second},
		point{attrs: map[string]any{"plan": "free"}, value: math.NaN(), start: time.Second, ts: 3 * time.Second}))
	tg.flushAt(t, 30*time.Second)
	close(stop)
	<-polled

	reportJSON := reg.Snapshot(t, statusapi.KindCardinality)
	summaryJSON := reg.Snapshot(t, statusapi.KindSummary)
	t.Logf("cardinality: %s", reportJSON)
	t.Logf("summary: %s", summaryJSON)
	for _, b := range [][]byte{reportJSON, summaryJSON} {
		assert.NotContains(t, string(b), "canary")
		assert.NotContains(t, string(b), "example.com")
		assert.NotContains(t, string(b), "user-0")
	}

	var sum statusapi.Summary
	require.NoError(t, json.Unmarshal(summaryJSON, &sum))
	assert.Equal(t, statusapi.Summary{
		In:  statusapi.Volume{Items: 54},
		Out: statusapi.Volume{Items: 3 + 1}, // logins_total's three finite points, then the one folded series
		Removed: []statusapi.Removal{
			{Reason: "folded." + reasonLabelDropped, Items: 50},
			{Reason: "dropped." + reasonNonFinite, Items: 1},
		},
	}, sum)

	var rep Report
	require.NoError(t, json.Unmarshal(reportJSON, &rep))
	assert.Equal(t, "success", rep.Status)
	assert.Equal(t, HeadStats{NumSeries: 4, NumLabelPairs: 4, SeriesLimit: 2 * createDefaultConfig().(*Config).MaxSeriesPerMetric}, rep.Data.HeadStats)
	assert.Equal(t, []NameValue{{Name: "logins_total", Value: 3}, {Name: "http_requests_total", Value: 1}}, rep.Data.SeriesCountByMetricName)
	assert.Contains(t, rep.Data.LabelValueCountByLabelName, NameValue{Name: statusapi.HashedName("note_" + canary), Value: 1},
		"a label key carrying personal data is reported hashed")
	assert.Empty(t, rep.Data.SeriesCountByLabelValuePair)

	require.NoError(t, tg.Shutdown(context.Background()))
	assert.Empty(t, reg.Counts(), "Shutdown unregisters both providers")
}

func TestStatusShutdownWithoutStart(t *testing.T) {
	tg := newTestGuard(t, nil)
	require.NoError(t, tg.Shutdown(context.Background()))
	// Without a registry among the extensions, Start registers nothing and works as before.
	tg = newTestGuard(t, nil)
	require.NoError(t, tg.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, tg.Shutdown(context.Background()))
}
