// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
	"github.com/otelcol-warden/otelcol-warden/internal/statusapi/statusapitest"
	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/metadata"
)

// lockedClock is a fake clock the workers may read concurrently.
type lockedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *lockedClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *lockedClock) advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func TestStatusProvidersReportDecisionsWithoutData(t *testing.T) {
	const canary = "jane.canary@example.com"
	cfg := createDefaultConfig().(*Config)
	cfg.Workers = 2
	cfg.Baseline.LogInterval = 0
	cfg.Baseline.MinSamples = 1
	require.NoError(t, cfg.Validate())

	reg := statusapitest.NewRegistry()
	host := reg.Host()
	set := processortest.NewNopSettings(metadata.Type)
	set.ID = component.MustNewIDWithName("tail_policy", "edge")
	clk := &lockedClock{now: t0}
	sink := &consumertest.TracesSink{}
	p, err := newTailPolicy(set, cfg, sink, clk)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), host))
	assert.Equal(t, set.ID, reg.ID(statusapi.KindTail))

	// One error trace, five normal ones that the 5% default rule drops; each
	// a root and a child span, the canary in an attribute and in a route.
	fc := &fakeClock{now: t0}
	errID := traceID(1, droppedRnd)
	specs := []spanSpec{
		{trace: errID, id: 1, route: "checkout", err: true, attrs: map[string]string{"user.email": canary}},
		{trace: errID, id: 2, parent: 1, attrs: map[string]string{"user.email": canary}},
	}
	for i := range 5 {
		id := traceID(uint16(10+i), droppedRnd)
		specs = append(specs,
			spanSpec{trace: id, id: byte(10 + 2*i), route: "/users/" + canary, attrs: map[string]string{"user.email": canary}},
			spanSpec{trace: id, id: byte(11 + 2*i), parent: byte(10 + 2*i)})
	}
	require.NoError(t, p.ConsumeTraces(context.Background(), makeTraces(fc, specs...)))

	// The workers take the request asynchronously: wait until every trace is
	// buffered or decided, then move past the decision delay and one baseline
	// sub-window, so that each trace is decided at a worker tick and the
	// baselines are armed.
	decided := func() (int64, int64) {
		var rep tailReport
		require.NoError(t, json.Unmarshal(reg.Snapshot(t, statusapi.KindTail), &rep))
		n := int64(0)
		for _, r := range rep.Rules {
			n += r.KeptTraces + r.DroppedTraces
		}
		return n, rep.Buffer.Traces
	}
	require.Eventually(t, func() bool { n, buffered := decided(); return n+buffered == 6 }, 10*time.Second, 10*time.Millisecond)
	clk.advance(cfg.Baseline.Window/time.Duration(cfg.Baseline.SubWindows) + time.Second)
	require.Eventually(t, func() bool { n, _ := decided(); return n == 6 && sink.SpanCount() == 2 }, 10*time.Second, 10*time.Millisecond)

	tailJSON := reg.Snapshot(t, statusapi.KindTail)
	summaryJSON := reg.Snapshot(t, statusapi.KindSummary)
	t.Logf("tail: %s", tailJSON)
	t.Logf("summary: %s", summaryJSON)
	for _, b := range [][]byte{tailJSON, summaryJSON} {
		assert.NotContains(t, string(b), "canary")
		assert.NotContains(t, string(b), "example.com")
	}

	var rep tailReport
	require.NoError(t, json.Unmarshal(tailJSON, &rep))
	byRule := map[string]ruleReport{}
	for _, r := range rep.Rules {
		byRule[r.Rule] = r
	}
	assert.Equal(t, ruleReport{Rule: "errors", KeptTraces: 1, KeptSpans: 2}, byRule["errors"])
	assert.Equal(t, ruleReport{Rule: "default", DroppedTraces: 5, DroppedSpans: 10}, byRule["default"])
	for _, name := range []string{"slow", "synthetic", "high_value", ruleOverload, ruleOverloadError} {
		assert.Equal(t, ruleReport{Rule: name}, byRule[name])
	}
	assert.Equal(t, 2, rep.TrackedRoutes)
	routes := map[string]baselineReport{}
	for _, b := range rep.Baselines {
		routes[b.Route] = b
	}
	require.Contains(t, routes, "checkout", "a route the rules configure is shown verbatim")
	assert.Equal(t, baselineReport{Service: "shop", Route: "checkout", SpanKind: "Server", QuantileMS: routes["checkout"].QuantileMS, Samples: 1}, routes["checkout"])
	assert.InDelta(t, 10, routes["checkout"].QuantileMS, 0.5)
	hashed := statusapi.HashedName("/users/" + canary)
	require.Contains(t, routes, hashed, "a route from the data that is no safe name is hashed")
	assert.Equal(t, uint64(5), routes[hashed].Samples)
	assert.Equal(t, overloadReport{State: "normal", Grade: 0, BudgetScale: 1}, rep.Overload)
	assert.Equal(t, bufferReport{LimitBytes: cfg.Memory.LimitBytes}, rep.Buffer)

	var sum statusapi.Summary
	require.NoError(t, json.Unmarshal(summaryJSON, &sum))
	assert.Equal(t, statusapi.Summary{
		In:      statusapi.Volume{Items: 12},
		Out:     statusapi.Volume{Items: 2},
		Removed: []statusapi.Removal{{Reason: "default", Items: 10}},
	}, sum)

	require.NoError(t, p.Shutdown(context.Background()))
	assert.Empty(t, reg.Counts(), "Shutdown unregisters both providers")
}

func TestStatusShutdownWithoutStart(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	p, err := newTailPolicy(processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop(), realClock{})
	require.NoError(t, err)
	require.NoError(t, p.Shutdown(context.Background()))
	// And without a registry among the extensions, Start registers nothing.
	p, err = newTailPolicy(processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop(), realClock{})
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, p.Shutdown(context.Background()))
}
