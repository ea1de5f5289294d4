// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"

	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/metadatatest"
)

// blockedConsumer is a dead exporter: every call blocks until its context ends.
type blockedConsumer struct {
	calls   atomic.Int32
	entered chan struct{}
}

func (*blockedConsumer) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (b *blockedConsumer) ConsumeTraces(ctx context.Context, _ ptrace.Traces) error {
	if b.calls.Add(1) == 1 {
		close(b.entered)
	}
	<-ctx.Done()
	return ctx.Err()
}

// TestShutdownWithBlockedConsumerEndsWithItsContext: with the next consumer
// blocked and Shutdown's context over, Shutdown returns the context's error,
// cancels the call in flight, counts the kept spans it could not forward
// without calling the next consumer again, and every goroutine ends (the
// package's TestMain runs goleak). No timing: the consumer blocks until
// cancelled and Shutdown's context is cancelled before the call.
func TestShutdownWithBlockedConsumerEndsWithItsContext(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Workers = 1
	cfg.ForwardTimeout = time.Hour // only Shutdown can unblock the call
	cfg.Baseline.LogInterval = 0
	require.NoError(t, cfg.Validate())
	clk := &fakeClock{now: t0} // read-only from here on
	h := &harness{t: t, clk: clk, tt: componenttest.NewTelemetry()}
	t.Cleanup(func() { require.NoError(t, h.tt.Shutdown(context.Background())) })
	next := &blockedConsumer{entered: make(chan struct{})}
	p, err := newTailPolicy(metadatatest.NewSettings(h.tt), cfg, next, clk)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))

	ctx := context.Background()
	// An error trace is kept at once: the forwarder calls next, which blocks.
	require.NoError(t, p.ConsumeTraces(ctx, makeTraces(clk, spanSpec{trace: traceID(1, keptRnd), id: 1, err: true})))
	<-next.entered
	// Another kept at once, and one decided (kept) at shutdown: both queue up.
	require.NoError(t, p.ConsumeTraces(ctx, makeTraces(clk, spanSpec{trace: traceID(2, keptRnd), id: 2, err: true})))
	require.NoError(t, p.ConsumeTraces(ctx, makeTraces(clk, spanSpec{trace: traceID(3, keptRnd), id: 3, route: "/api/catalog"})))

	expired, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, p.Shutdown(expired), context.Canceled)
	p.workers.Wait() // workers and forwarders end without the consumer's help

	assert.Equal(t, int32(1), next.calls.Load(), "next is not called after Shutdown's context ended")
	assert.Equal(t, int64(1), h.counter("downstream_errors", attribute.String("reason", "consumer_error")), "the cancelled call")
	assert.Equal(t, int64(2), h.counter("downstream_errors", attribute.String("reason", "shutdown")), "drained without calling next")
	assert.Zero(t, p.bufferedTraces())
	require.ErrorIs(t, p.ConsumeTraces(ctx, makeTraces(clk, spanSpec{trace: traceID(4, keptRnd), id: 4})), errRefused, "closed")
}
