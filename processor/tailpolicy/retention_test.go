// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
	"github.com/otelcol-warden/otelcol-warden/internal/statusapi/statusapitest"
	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/metadatatest"
)

func withRetention(dir string, maxBytes int64) func(*Config) {
	return func(cfg *Config) {
		cfg.WAL.Directory = dir
		cfg.WAL.Sync = syncNever
		cfg.WAL.RetainDropped.MaxBytes = maxBytes
	}
}

// retentionHarness has retention on (1 MiB) and buffers spans as references
// or, with compact, in the compact encoding.
func retentionHarness(t *testing.T, compact bool) *harness {
	h := newHarness(t, func(cfg *Config) {
		withRetention(t.TempDir(), 1<<20)(cfg)
		if compact {
			cfg.Memory.CompactPercent = 0
		}
	})
	require.NoError(t, h.p.startRetention())
	t.Cleanup(h.p.stopRetention)
	return h
}

// spanIDsOf lists the first id byte of every span in td.
func spanIDsOf(td ptrace.Traces) []byte {
	var out []byte
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				out = append(out, sp.SpanID()[0])
			}
		}
	}
	return out
}

func retained(t *testing.T, p *tailPolicy, id pcommon.TraceID) (ptrace.Traces, bool) {
	t.Helper()
	p.eng.retain.flush()
	td, found, err := p.RetainedTrace(context.Background(), id)
	require.NoError(t, err)
	return td, found
}

// A dropped trace comes back by id, as it came (no rule, no th stamped),
// with the late spans the dropped cache dropped after it; a kept trace is
// never retained. Both ways spans are buffered: references and the compact
// encoding.
func TestDroppedTraceRetrievedByID(t *testing.T) {
	for _, compact := range []bool{false, true} {
		t.Run(map[bool]string{false: "references", true: "compact"}[compact], func(t *testing.T) {
			h := retentionHarness(t, compact)
			dropped, kept := traceID(1, droppedRnd), traceID(2, droppedRnd)
			h.send(
				spanSpec{trace: dropped, id: 1, route: "/api/catalog", service: "catalog", attrs: map[string]string{"user.email": "jane@example.com"}},
				spanSpec{trace: dropped, id: 2, parent: 1, service: "catalog"},
				spanSpec{trace: kept, id: 3, route: "/api/catalog", err: true},
			)
			h.tick(time.Minute)
			require.Contains(t, h.kept(), byte(3), "the error trace was kept")
			require.NotContains(t, h.kept(), byte(1))

			td, found := retained(t, h.p, dropped)
			require.True(t, found)
			assert.ElementsMatch(t, []byte{1, 2}, spanIDsOf(td))
			span := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
			_, stamped := span.Attributes().Get(samplingRuleAttribute)
			assert.False(t, stamped, "retained spans stay as they came")
			assert.Empty(t, span.TraceState().AsRaw())
			email, _ := span.Attributes().Get("user.email")
			assert.Equal(t, "jane@example.com", email.Str(), "retention keeps what pii_scrub let through, nothing less")

			_, found = retained(t, h.p, kept)
			assert.False(t, found, "kept traces are never retained")

			h.send(spanSpec{trace: dropped, id: 4, parent: 1, service: "catalog"})
			td, found = retained(t, h.p, dropped)
			require.True(t, found)
			assert.ElementsMatch(t, []byte{1, 2, 4}, spanIDsOf(td), "the late span joins its trace")
			assert.Equal(t, int64(3), h.counter("retained_spans"))
			assert.Zero(t, h.counter("retain_skipped_spans"))

			sel, err := h.p.eng.retain.ring.Select("catalog", t0.Add(-time.Second), t0.Add(time.Second), 10)
			require.NoError(t, err)
			require.Len(t, sel, 1, "selected by the root's service and first arrival")
			assert.Equal(t, dropped, sel[0].ID)
		})
	}
}

// pipeline is a started processor on a sink, with retention in dir.
type pipeline struct {
	p    *tailPolicy
	sink *consumertest.TracesSink
	h    *harness
	reg  *statusapitest.Registry
}

func startPipeline(t *testing.T, dir string, maxBytes int64) *pipeline {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	cfg.Workers = 2
	cfg.Baseline.LogInterval = 0
	withRetention(dir, maxBytes)(cfg)
	require.NoError(t, cfg.Validate())
	h := &harness{t: t, clk: &fakeClock{now: t0}, tt: componenttest.NewTelemetry()} // clock read-only
	t.Cleanup(func() { require.NoError(t, h.tt.Shutdown(context.Background())) })
	sink := &consumertest.TracesSink{}
	p, err := newTailPolicy(metadatatest.NewSettings(h.tt), cfg, sink, h.clk)
	require.NoError(t, err)
	reg := statusapitest.NewRegistry()
	require.NoError(t, p.Start(context.Background(), reg.Host()))
	return &pipeline{p: p, sink: sink, h: h, reg: reg}
}

func (pl *pipeline) shutdown(t *testing.T) {
	t.Helper()
	require.NoError(t, pl.p.Shutdown(context.Background()))
}

// Dropped at shutdown (every buffered trace is decided then), retained across
// the restart, kept retroactively: the next consumer gets the spans with
// sampling.rule=retroactive and th 0 (a stricter incoming th stays), and
// retention no longer has them, after a second restart too.
func TestRetroactiveKeepAfterRestart(t *testing.T) {
	dir := t.TempDir()
	pl := startPipeline(t, dir, 1<<20)
	ctx := context.Background()
	dropped, kept := traceID(1, droppedRnd), traceID(2, droppedRnd)
	require.NoError(t, pl.p.ConsumeTraces(ctx, makeTraces(pl.h.clk,
		spanSpec{trace: dropped, id: 1, route: "/api/catalog"},
		spanSpec{trace: dropped, id: 2, parent: 1, tstate: "ot=rv:00000000000001;th:8,vendor=x"},
		spanSpec{trace: dropped, id: 3, parent: 1, tstate: "vendor=y"},
		spanSpec{trace: kept, id: 4, route: "/api/catalog", err: true},
	)))
	pl.shutdown(t)
	require.Equal(t, 1, pl.sink.SpanCount(), "only the error trace was forwarded")

	pl = startPipeline(t, dir, 1<<20)
	provider, ok := pl.reg.Provider(statusapi.KindTailRetention).(statusapi.TraceRetention)
	require.True(t, ok, "the retention provider is registered with warden_status")
	report := pl.reg.Provider(statusapi.KindTailRetention).StatusSnapshot().(retentionReport)
	assert.Equal(t, 1, report.Traces)
	assert.Positive(t, report.Bytes)
	assert.Equal(t, int64(1<<20), report.LimitBytes)
	assert.Less(t, report.OldestAgeSeconds, 60.0, "retained in this test, seconds ago")
	td, found, err := provider.RetainedTrace(ctx, dropped)
	require.NoError(t, err)
	require.True(t, found, "retained across the restart")
	assert.Equal(t, 3, td.SpanCount())
	_, found, err = provider.RetainedTrace(ctx, kept)
	require.NoError(t, err)
	assert.False(t, found)

	res, err := provider.KeepRetained(ctx, statusapi.KeepRequest{TraceID: dropped})
	require.NoError(t, err)
	assert.Equal(t, statusapi.KeepResult{Traces: 1, Spans: 3}, res)
	// (Replay may forward the kept error trace again: at least once.)
	states := map[byte]string{}
	for _, td := range pl.sink.AllTraces() {
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, sp := range ss.Spans().All() {
					if sp.TraceID() == dropped {
						assert.Equal(t, ruleRetroactive, ruleOf(sp))
						states[sp.SpanID()[0]] = sp.TraceState().AsRaw()
					}
				}
			}
		}
	}
	assert.Equal(t, map[byte]string{1: "ot=th:0", 2: "ot=rv:00000000000001;th:8,vendor=x", 3: "ot=th:0,vendor=y"}, states,
		"KeepRetained returns once the next consumer has every span")
	assert.Equal(t, int64(3), pl.h.counter("retroactive_kept_spans"))
	_, found, err = provider.RetainedTrace(ctx, dropped)
	require.NoError(t, err)
	assert.False(t, found, "taken out of retention")
	res, err = provider.KeepRetained(ctx, statusapi.KeepRequest{TraceID: dropped})
	require.NoError(t, err)
	assert.Zero(t, res, "kept once")
	pl.shutdown(t)

	pl = startPipeline(t, dir, 1<<20)
	_, found, err = pl.p.RetainedTrace(ctx, dropped)
	require.NoError(t, err)
	assert.False(t, found, "the removal survives a restart")
	pl.shutdown(t)
}

// The (service, time range) form sends at most MaxKeepTraces traces per
// request, the earliest first; the next request takes the rest.
func TestKeepRetainedByServiceIsBounded(t *testing.T) {
	dir := t.TempDir()
	pl := startPipeline(t, dir, 4<<20)
	ctx := context.Background()
	const n = MaxKeepTraces + 20
	td := ptrace.NewTraces()
	for i := range n {
		makeTraces(pl.h.clk, spanSpec{trace: traceID(uint16(i+1), droppedRnd), id: 1, route: "/api/catalog", service: "checkout"}).
			ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	}
	makeTraces(pl.h.clk, spanSpec{trace: traceID(999, droppedRnd), id: 1, route: "/api/catalog", service: "cart"}).
		ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	require.NoError(t, pl.p.ConsumeTraces(ctx, td))
	pl.shutdown(t)

	pl = startPipeline(t, dir, 4<<20)
	req := statusapi.KeepRequest{Service: "checkout", Start: t0.Add(-time.Minute), End: t0.Add(time.Minute)}
	res, err := pl.p.KeepRetained(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, statusapi.KeepResult{Traces: MaxKeepTraces, Spans: MaxKeepTraces}, res)
	res, err = pl.p.KeepRetained(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, statusapi.KeepResult{Traces: 20, Spans: 20}, res)
	assert.Equal(t, n, pl.sink.SpanCount())
	_, found, err := pl.p.RetainedTrace(ctx, traceID(999, droppedRnd))
	require.NoError(t, err)
	assert.True(t, found, "another service's trace stays")
	_, err = pl.p.KeepRetained(ctx, statusapi.KeepRequest{Service: "checkout", Start: t0, End: t0.Add(2 * time.Hour)})
	require.Error(t, err, "ranges beyond statusapi.MaxKeepRange are refused")
	pl.shutdown(t)
}

// max_bytes bounds the ring on disk, whatever is dropped (here the index's
// trace budget, max_bytes / 1 KiB, binds first: these traces are small).
func TestRetentionMaxBytesHonoured(t *testing.T) {
	dir := t.TempDir()
	const maxBytes = 64 << 10
	pl := startPipeline(t, dir, maxBytes)
	ctx := context.Background()
	for batch := range 20 {
		td := ptrace.NewTraces()
		for i := range 50 {
			makeTraces(pl.h.clk, spanSpec{trace: traceID(uint16(batch*50+i+1), droppedRnd), id: 1, route: "/api/catalog",
				attrs: map[string]string{"url.full": "https://shop.example.com/api/catalog?page=1&sort=price"}}).
				ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
		}
		require.NoError(t, pl.p.ConsumeTraces(ctx, td))
	}
	pl.shutdown(t)
	retainedBytes := int64(0)
	entries, err := os.ReadDir(filepath.Join(dir, "retained"))
	require.NoError(t, err)
	for _, e := range entries {
		fi, err := e.Info()
		require.NoError(t, err)
		retainedBytes += fi.Size()
	}
	assert.LessOrEqual(t, retainedBytes, int64(maxBytes))
	assert.Positive(t, retainedBytes)
	assert.Equal(t, int64(1000), pl.h.counter("retained_spans")+pl.h.counter("retain_skipped_spans"), "every dropped span counted")
}

func TestWithoutRetention(t *testing.T) {
	h := newHarness(t, nil)
	_, found, err := h.p.RetainedTrace(context.Background(), traceID(1, droppedRnd))
	require.NoError(t, err)
	assert.False(t, found)
	_, err = h.p.KeepRetained(context.Background(), statusapi.KeepRequest{TraceID: traceID(1, droppedRnd)})
	require.ErrorIs(t, err, errNoRetention)

	reg := statusapitest.NewRegistry()
	cfg := createDefaultConfig().(*Config)
	p, err := newTailPolicy(metadatatest.NewSettings(h.tt), cfg, consumertest.NewNop(), h.clk)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), reg.Host()))
	assert.Zero(t, reg.Counts()[statusapi.KindTailRetention], "no retention provider without wal.retain_dropped")
	require.NoError(t, p.Shutdown(context.Background()))
}

func TestRetentionConfigNamesTheKey(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"ring below its minimum", func(c *Config) { withRetention("/tmp/x", 1000)(c) }, "wal::retain_dropped: max_bytes: 1000 is below the minimum of 65536 (64 KiB)"},
		{"rule named after retroactive keeps", func(c *Config) { c.Rules[0].Name = ruleRetroactive }, `rules::0: name: "retroactive" is reserved`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tt.mutate(cfg)
			err := confmap.Validate(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	cfg := createDefaultConfig().(*Config)
	withRetention("/tmp/x", 64<<10)(cfg)
	require.NoError(t, confmap.Validate(cfg))
}

// Every field of every span, resource and scope of a dropped trace comes back
// from retention as it came, whether its spans were buffered as references or
// in the compact encoding (transcoded, not decoded, on the way to the ring).
func TestRetainedTraceKeepsEveryField(t *testing.T) {
	for _, compact := range []bool{false, true} {
		t.Run(map[bool]string{false: "references", true: "compact"}[compact], func(t *testing.T) {
			h := retentionHarness(t, compact)
			id := traceID(7, droppedRnd)
			td := ptrace.NewTraces()
			for i, service := range []string{"catalog", "postgres"} {
				rs := td.ResourceSpans().AppendEmpty()
				rs.SetSchemaUrl("https://opentelemetry.io/schemas/1.26.0")
				rs.Resource().Attributes().PutStr("service.name", service)
				rs.Resource().Attributes().PutInt("process.pid", int64(100+i))
				rs.Resource().SetDroppedAttributesCount(uint32(i))
				ss := rs.ScopeSpans().AppendEmpty()
				ss.SetSchemaUrl("https://opentelemetry.io/schemas/1.25.0")
				ss.Scope().SetName("io.opentelemetry.jdbc")
				ss.Scope().SetVersion("2.10.0")
				ss.Scope().Attributes().PutBool("shaded", i == 0)
				richSpans().CopyTo(ss.Spans())
				for _, sp := range ss.Spans().All() {
					sp.SetTraceID(id)
					sp.SetSpanID(pcommon.SpanID{byte(10*i) + sp.SpanID()[0]})
					sp.Status().SetCode(ptrace.StatusCodeOk) // not an error: dropped
				}
			}
			want := ptrace.NewTraces()
			td.CopyTo(want)
			h.p.shards[0].ingest(h.p.split(td)[0], h.clk.now)
			h.tick(time.Minute)
			require.Empty(t, h.kept(), "the trace was dropped")

			got, found := retained(t, h.p, id)
			require.True(t, found)
			require.NoError(t, ptracetest.CompareTraces(want, got,
				ptracetest.IgnoreResourceSpansOrder(), ptracetest.IgnoreScopeSpansOrder(), ptracetest.IgnoreSpansOrder()))
		})
	}
}

// Rings written before retained traces were stored in the compact encoding
// hold OTLP protobuf; they still read.
func TestDecodeRetainedReadsProtobuf(t *testing.T) {
	td := makeTraces(&fakeClock{now: t0}, spanSpec{trace: traceID(1, droppedRnd), id: 1, route: "/api/catalog"})
	b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	require.NoError(t, err)
	got, err := decodeRetained(b)
	require.NoError(t, err)
	require.NoError(t, ptracetest.CompareTraces(td, got))
	_, err = decodeRetained([]byte{recCompactSpans, 1, 2})
	assert.Error(t, err, "a truncated compact payload is an error (the ring counts it as corrupt)")
}
