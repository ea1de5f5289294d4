// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"

	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/metadatatest"
)

// set moves the clock (lockedClock is in status_test.go).
func (c *lockedClock) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// walNode is one running processor on a log directory.
type walNode struct {
	t    *testing.T
	p    *tailPolicy
	clk  *lockedClock
	tt   *componenttest.Telemetry
	sink *consumertest.TracesSink
}

func walConfig(dir string, mutate func(*Config)) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Workers = 2
	cfg.Baseline.LogInterval = 0
	cfg.DecisionCache.DroppedTraces = 10_000
	cfg.DecisionCache.KeptTraces = 1_000
	cfg.WAL.Directory = dir
	cfg.WAL.Sync = syncAlways
	if mutate != nil {
		mutate(cfg)
	}
	return cfg
}

func startWALNode(t *testing.T, cfg *Config, now time.Time) *walNode {
	require.NoError(t, cfg.Validate())
	n := &walNode{t: t, clk: &lockedClock{now: now}, tt: componenttest.NewTelemetry(), sink: new(consumertest.TracesSink)}
	t.Cleanup(func() { require.NoError(t, n.tt.Shutdown(context.Background())) })
	p, err := newTailPolicy(metadatatest.NewSettings(n.tt), cfg, n.sink, n.clk)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	n.p = p
	return n
}

func (n *walNode) send(specs ...spanSpec) error {
	return n.p.ConsumeTraces(context.Background(), makeTraces(&fakeClock{now: n.clk.Now()}, specs...))
}

// crash leaves the log as a kill would (what is not written is lost), then
// stops the goroutines: nothing they decide from now on reaches the log.
func (n *walNode) crash() {
	n.p.wal.abandon()
	require.NoError(n.t, n.p.Shutdown(context.Background()))
}

// forwarded maps trace -> span id byte -> the rule of the forwarded span.
func (n *walNode) forwarded() map[pcommon.TraceID]map[byte]string {
	m := map[pcommon.TraceID]map[byte]string{}
	for _, td := range n.sink.AllTraces() {
		eachSpan(td, func(s ptrace.Span) {
			if m[s.TraceID()] == nil {
				m[s.TraceID()] = map[byte]string{}
			}
			m[s.TraceID()][s.SpanID()[0]] = ruleOf(s)
		})
	}
	return m
}

func eachSpan(td ptrace.Traces, f func(ptrace.Span)) {
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		ss := td.ResourceSpans().At(i).ScopeSpans()
		for j := 0; j < ss.Len(); j++ {
			for k := 0; k < ss.At(j).Spans().Len(); k++ {
				f(ss.At(j).Spans().At(k))
			}
		}
	}
}

func (n *walNode) counter(name string, attrs ...attribute.KeyValue) int64 {
	h := &harness{t: n.t, tt: n.tt}
	return h.counter(name, attrs...)
}

// settle waits until the workers have ingested every accepted request.
func (n *walNode) settle() {
	n.eventually(func() bool { return n.p.wal.inflightMin() == math.MaxInt }, "requests ingested")
}

func (n *walNode) eventually(cond func() bool, msg string) {
	require.Eventually(n.t, cond, 10*time.Second, 5*time.Millisecond, msg)
}

// TestCrashRecovery: a processor is abandoned without Shutdown; a new one on
// the same directory forwards every accepted span that was kept, decides the
// undecided traces from their original arrival times, keeps the decisions
// taken before the crash, and late spans follow them.
func TestCrashRecovery(t *testing.T) {
	dir := t.TempDir()
	cfg := walConfig(dir, nil)
	n1 := startWALNode(t, cfg, t0)
	kept, dropped := traceID(1, keptRnd), traceID(2, droppedRnd)
	rootless, rootlessDropped, rooted := traceID(3, keptRnd), traceID(4, droppedRnd), traceID(5, keptRnd)

	// Decided before the crash: an error trace (kept at once) and a trace the
	// 5% default rule drops once its root has waited decision_delay.
	require.NoError(t, n1.send(spanSpec{trace: kept, id: 1, err: true, route: "/home"}, spanSpec{trace: kept, id: 2, parent: 1}))
	require.NoError(t, n1.send(spanSpec{trace: dropped, id: 1, route: "/home"}, spanSpec{trace: dropped, id: 2, parent: 1}))
	n1.eventually(func() bool { return len(n1.forwarded()[kept]) == 2 }, "the error trace is forwarded")
	n1.settle()
	n1.clk.set(t0.Add(3 * time.Second))
	n1.eventually(func() bool { return n1.p.bufferedTraces() == 0 }, "the dropped trace is decided")
	// Undecided at the crash (the clock stops at t0+3s): two traces without a
	// root (deadline t0+33s), one with a root (deadline t0+5s).
	require.NoError(t, n1.send(
		spanSpec{trace: rootless, id: 2, parent: 1}, spanSpec{trace: rootless, id: 3, parent: 1},
		spanSpec{trace: rootlessDropped, id: 2, parent: 1},
		spanSpec{trace: rooted, id: 1, route: "/home"}))
	n1.settle()
	require.Equal(t, int64(3), n1.p.bufferedTraces())
	n1.crash()

	n2 := startWALNode(t, cfg, t0.Add(20*time.Second))
	// The rooted trace's deadline passed while the collector was down: decided
	// in Start, by the catch-all (its randomness passes 5%).
	n2.eventually(func() bool { return len(n2.forwarded()[rooted]) == 1 }, "the overdue trace is decided at once")
	assert.Equal(t, "default", n2.forwarded()[rooted][1])
	assert.Equal(t, int64(2), n2.p.bufferedTraces(), "the rootless traces wait for their original deadline")
	assert.Equal(t, int64(3), n2.counter("wal_replayed_traces"))

	// Late spans follow the decisions taken before the crash.
	require.NoError(t, n2.send(spanSpec{trace: dropped, id: 3, parent: 1}, spanSpec{trace: kept, id: 3, parent: 1}))
	n2.eventually(func() bool { return len(n2.forwarded()[kept]) >= 1 && n2.forwarded()[kept][3] != "" }, "late kept span forwarded")
	assert.Equal(t, "errors", n2.forwarded()[kept][3])
	assert.Equal(t, int64(1), n2.counter("late_spans", attribute.String("outcome", "dropped")))

	// Their deadline is t0+33s from the first arrival, not 30s after the restart.
	n2.settle()
	n2.clk.set(t0.Add(34 * time.Second))
	n2.eventually(func() bool { return n2.p.bufferedTraces() == 0 }, "decided at the original deadline")
	n2.eventually(func() bool { return len(n2.forwarded()[rootless]) == 2 }, "the rootless kept trace is complete")
	assert.Empty(t, n2.forwarded()[rootlessDropped])
	assert.Empty(t, n2.forwarded()[dropped], "a trace dropped before the crash is not re-decided")
	for id, rule := range n2.forwarded()[kept] {
		assert.Equal(t, "errors", rule, "span %d of the kept trace: forwarded again at most, never with another rule", id)
	}
	require.NoError(t, n2.p.Shutdown(context.Background()))
}

// TestCleanRestart: after a Shutdown that forwarded everything, the log
// holds only the caches: nothing is forwarded again, decisions still hold.
func TestCleanRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := walConfig(dir, nil)
	n1 := startWALNode(t, cfg, t0)
	kept, dropped := traceID(1, keptRnd), traceID(2, droppedRnd)
	require.NoError(t, n1.send(spanSpec{trace: kept, id: 1, err: true, route: "/home"}))
	n1.eventually(func() bool { return len(n1.forwarded()[kept]) == 1 }, "kept at once")
	require.NoError(t, n1.send(spanSpec{trace: kept, id: 2, parent: 1}, spanSpec{trace: dropped, id: 1, route: "/home"}))
	n1.settle()
	n1.clk.set(t0.Add(3 * time.Second))
	n1.eventually(func() bool { return n1.p.bufferedTraces() == 0 }, "decided")
	require.NoError(t, n1.p.Shutdown(context.Background()))

	n2 := startWALNode(t, cfg, t0.Add(4*time.Second))
	assert.Zero(t, n2.counter("wal_replayed_spans"), "only the caches are left")
	require.NoError(t, n2.send(spanSpec{trace: dropped, id: 2, parent: 1}, spanSpec{trace: kept, id: 3, parent: 1}))
	n2.eventually(func() bool { return len(n2.forwarded()[kept]) == 1 }, "the late kept span")
	assert.Equal(t, "errors", n2.forwarded()[kept][3])
	assert.Equal(t, int64(1), n2.counter("late_spans", attribute.String("outcome", "dropped")))
	require.NoError(t, n2.p.Shutdown(context.Background()))
}

// TestHandedLateSpansAreNotForwardedAgain: a late span of a kept trace whose
// round the next consumer took is not forwarded again after a crash; one
// whose hand-on was not logged is.
func TestHandedLateSpansAreNotForwardedAgain(t *testing.T) {
	dir := t.TempDir()
	cfg := walConfig(dir, func(c *Config) { c.Workers = 1 })
	n1 := startWALNode(t, cfg, t0)
	kept := traceID(1, keptRnd)
	handedOn := func(outputs uint64) func() bool {
		return func() bool { return n1.p.shards[0].wal.handed.Load() >= outputs }
	}
	require.NoError(t, n1.send(spanSpec{trace: kept, id: 1, err: true, route: "/home"}))
	n1.eventually(handedOn(1), "the error trace handed on")
	require.NoError(t, n1.send(spanSpec{trace: kept, id: 2, parent: 1}))
	n1.eventually(handedOn(2), "its late span handed on")
	require.NoError(t, n1.p.wal.syncAll())
	n1.crash()

	n2 := startWALNode(t, cfg, t0.Add(time.Second))
	require.NoError(t, n2.send(spanSpec{trace: traceID(2, keptRnd), id: 1, err: true}))
	n2.eventually(func() bool { return len(n2.forwarded()[traceID(2, keptRnd)]) == 1 }, "the new trace forwarded")
	assert.Empty(t, n2.forwarded()[kept], "neither the trace nor its late span is forwarded again")
	require.NoError(t, n2.p.Shutdown(context.Background()))
}
