// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tenantrouter

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter/internal/metadatatest"
)

// gatedOpen wraps a router's lane opener: opening the lane of tenant `slow` announces itself on
// started, then waits until the test lets it go (wait decides how). Every open is counted per tenant.
type gatedOpen struct {
	slow    string
	started chan struct{}
	wait    func(ctx context.Context) // blocks the slow open
	mu      sync.Mutex
	opens   map[string]int
}

func (g *gatedOpen) wrap(open openLane[plog.Logs]) openLane[plog.Logs] {
	return func(ctx context.Context, tenant string, host component.Host) (*lane[plog.Logs], error) {
		g.mu.Lock()
		g.opens[tenant]++
		g.mu.Unlock()
		if tenant == g.slow {
			close(g.started)
			g.wait(ctx)
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		return open(ctx, tenant, host)
	}
}

func (g *gatedOpen) count(tenant string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.opens[tenant]
}

// startGatedLogs starts a logs exporter without a queue (ConsumeLogs returns once the backend has
// answered) whose lane opens go through g.
func startGatedLogs(t *testing.T, cfg *Config, tt *componenttest.Telemetry, g *gatedOpen, host component.Host) logsExporter {
	t.Helper()
	exp, err := NewFactory().CreateLogs(context.Background(), metadatatest.NewSettings(tt), cfg)
	require.NoError(t, err)
	le := exp.(logsExporter)
	le.lanes.open = g.wrap(le.lanes.open)
	require.NoError(t, le.Start(context.Background(), host))
	return le
}

func tenantGauge(t *testing.T, tt *componenttest.Telemetry) int64 {
	t.Helper()
	m, err := tt.GetMetric("otelcol_exporter_tenant_router_tenants")
	require.NoError(t, err)
	return m.Data.(metricdata.Sum[int64]).DataPoints[0].Value
}

// While a new tenant's lane is being opened (blocked here until the test releases it), batches of
// tenants whose lane is open are delivered, another new tenant's lane opens, the tenants gauge is
// read, and the opening lane counts against max_tenants. Nothing here waits for a clock: if the open
// held the lane set's lock, the first send below would never return.
func TestSlowLaneOpenDoesNotBlockOtherTenants(t *testing.T) {
	be := newBackend(t, "X-Scope-OrgID")
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	cfg := namespaceConfig(be.server.URL)
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.MaxTenants = 5 // restricted, shared, payments, checkout and the slow one
	release := make(chan struct{})
	g := &gatedOpen{slow: "slow", started: make(chan struct{}), opens: map[string]int{},
		wait: func(context.Context) { <-release }}
	exp := startGatedLogs(t, cfg, tt, g, componenttest.NewNopHost())
	t.Cleanup(func() { require.NoError(t, exp.Shutdown(context.Background())) })

	require.NoError(t, exp.ConsumeLogs(context.Background(), makeLogs(logRecord{namespace: "payments", id: "p1"})))

	// Two batches of the new tenant: the first opens its lane, the second waits for the same open.
	slowErrs := make(chan error, 2)
	go func() {
		slowErrs <- exp.ConsumeLogs(context.Background(), makeLogs(logRecord{namespace: "slow", id: "s1"}))
	}()
	<-g.started
	go func() {
		slowErrs <- exp.ConsumeLogs(context.Background(), makeLogs(logRecord{namespace: "slow", id: "s2"}))
	}()

	// The slow lane is still opening (release is not closed).
	require.NoError(t, exp.ConsumeLogs(context.Background(), makeLogs(
		logRecord{namespace: "payments", id: "p2"}, logRecord{namespace: "payments", id: "p3", scrubbed: true})))
	require.NoError(t, exp.ConsumeLogs(context.Background(), makeLogs(logRecord{namespace: "checkout", id: "c1"})))
	assert.Equal(t, int64(4), tenantGauge(t, tt), "restricted, shared, payments, checkout; slow is not open yet")
	// The slow lane holds the fifth place: a sixth tenant overflows to the default tenant.
	require.NoError(t, exp.ConsumeLogs(context.Background(), makeLogs(logRecord{namespace: "extra", id: "e1"})))
	assert.Equal(t, int64(1), counter(t, tt, "exporter_tenant_router_records_overflowed", attribute.String("limit", "total")))

	got := be.received()
	assert.Equal(t, []string{"p1", "p2"}, got["payments"])
	assert.Equal(t, []string{"p3"}, got["restricted"])
	assert.Equal(t, []string{"c1"}, got["checkout"])
	assert.Equal(t, []string{"e1"}, got["shared"])
	assert.Empty(t, got["slow"])

	close(release)
	require.NoError(t, <-slowErrs)
	require.NoError(t, <-slowErrs)
	assert.ElementsMatch(t, []string{"s1", "s2"}, be.received()["slow"])
	assert.Equal(t, 1, g.count("slow"), "the waiting batch used the lane the first one opened")
	assert.Equal(t, 0, g.count("extra"), "no lane was opened past max_tenants")
	assert.Equal(t, int64(5), tenantGauge(t, tt))
}

// Shutdown while a lane is opening: it cancels the open and waits for it. An open that returns the
// cancellation fails the waiting batch with a retryable error; an open that completes anyway (it
// ignored the cancellation) has its lane stopped by the opener, never handed out. goleak (TestMain)
// checks that no goroutine outlives the test.
func TestShutdownDuringLaneOpen(t *testing.T) {
	for _, tc := range []struct {
		name         string
		ignoreCancel bool
	}{
		{name: "open_honours_cancellation"},
		{name: "open_completes_anyway", ignoreCancel: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be := newBackend(t, "X-Scope-OrgID")
			cfg := namespaceConfig(be.server.URL)
			cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
			g := &gatedOpen{slow: "slow", started: make(chan struct{}), opens: map[string]int{},
				wait: func(ctx context.Context) { <-ctx.Done() }}
			exp, err := NewFactory().CreateLogs(context.Background(), metadatatest.NewSettings(componenttest.NewTelemetry()), cfg)
			require.NoError(t, err)
			le := exp.(logsExporter)
			stopped := make(chan struct{})
			inner := g.wrap(le.lanes.open)
			le.lanes.open = func(ctx context.Context, tenant string, host component.Host) (*lane[plog.Logs], error) {
				if tc.ignoreCancel && tenant == "slow" {
					// An open that does not give up when cancelled: it finishes with a fresh context.
					_, _ = inner(ctx, tenant, host)
					l, err := le.openLane(context.Background(), tenant, host)
					if err == nil {
						l.helper = stopRecorder{Component: l.helper, stopped: stopped}
					}
					return l, err
				}
				return inner(ctx, tenant, host)
			}
			require.NoError(t, le.Start(context.Background(), componenttest.NewNopHost()))

			consumed := make(chan error, 1)
			go func() {
				consumed <- le.ConsumeLogs(context.Background(), makeLogs(logRecord{namespace: "slow", id: "s1"}))
			}()
			<-g.started
			require.NoError(t, le.Shutdown(context.Background()))

			err = <-consumed
			require.Error(t, err)
			assert.False(t, consumererror.IsPermanent(err), "the batch may be retried upstream: %v", err)
			if tc.ignoreCancel {
				select {
				case <-stopped:
				default:
					t.Fatal("the lane opened during shutdown was not stopped")
				}
			}
			assert.Zero(t, le.lanes.count())
			assert.Empty(t, be.received()["slow"])
			_, err = le.lanes.get(context.Background(), "later")
			assert.ErrorIs(t, err, errShutdown)
		})
	}
}

type stopRecorder struct {
	component.Component
	stopped chan struct{}
}

func (s stopRecorder) Shutdown(ctx context.Context) error {
	close(s.stopped)
	return s.Component.Shutdown(ctx)
}

// slowStorage is a storage extension whose lane clients (exporterhelper's persistent queue) for one
// tenant, and whose registry writes, block until released or cancelled.
type slowStorage struct {
	memoryStorage
	slowTenant      string
	clientRequested chan struct{}
	releaseClient   chan struct{}
	blockSets       chan struct{} // closed: registry writes block
	setBlocked      chan struct{} // receives once a registry write is blocked
	releaseSets     chan struct{}
}

func (s *slowStorage) GetClient(ctx context.Context, kind component.Kind, id component.ID, name string) (storage.Client, error) {
	if strings.HasSuffix(id.Name(), "tenant/"+s.slowTenant) {
		close(s.clientRequested)
		select {
		case <-s.releaseClient:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	c, err := s.memoryStorage.GetClient(ctx, kind, id, name)
	if err != nil || !strings.HasSuffix(name, "_tenants") {
		return c, err
	}
	return &slowRegistryClient{memoryClient: c.(*memoryClient), s: s}, nil
}

type slowRegistryClient struct {
	*memoryClient
	s *slowStorage
}

func (c *slowRegistryClient) Set(ctx context.Context, key string, value []byte) error {
	select {
	case <-c.s.blockSets:
		select {
		case c.s.setBlocked <- struct{}{}:
		default:
		}
		select {
		case <-c.s.releaseSets:
		case <-ctx.Done():
			return ctx.Err()
		}
	default:
	}
	return c.memoryClient.Set(ctx, key, value)
}

// With a persistent queue, a new tenant's lane opens its storage client and the tenant is written to
// the registry; while either is stuck, batches of open tenants are still enqueued. Shutdown cancels a
// stuck registry write.
func TestSlowStorageDoesNotBlockOpenTenants(t *testing.T) {
	be := newBackend(t, "X-Scope-OrgID")
	storageID := component.MustNewID("memory_storage")
	st := &slowStorage{
		memoryStorage: memoryStorage{clients: map[string]map[string][]byte{}}, slowTenant: "slow",
		clientRequested: make(chan struct{}), releaseClient: make(chan struct{}),
		blockSets: make(chan struct{}), setBlocked: make(chan struct{}, 1), releaseSets: make(chan struct{}),
	}
	host := storageHost{Host: componenttest.NewNopHost(), extensions: map[component.ID]component.Component{storageID: st}}
	cfg := namespaceConfig(be.server.URL)
	cfg.QueueConfig.Get().StorageID = &storageID
	exp, err := NewFactory().CreateLogs(context.Background(), metadatatest.NewSettings(componenttest.NewTelemetry()), cfg)
	require.NoError(t, err)
	le := exp.(logsExporter)
	require.NoError(t, le.Start(context.Background(), host))
	require.NoError(t, le.ConsumeLogs(context.Background(), makeLogs(logRecord{namespace: "payments", id: "p1"})))

	slowDone := make(chan error, 1)
	go func() {
		slowDone <- le.ConsumeLogs(context.Background(), makeLogs(logRecord{namespace: "slow", id: "s1"}))
	}()
	<-st.clientRequested // the slow lane's persistent queue is waiting for its storage client
	require.NoError(t, le.ConsumeLogs(context.Background(), makeLogs(logRecord{namespace: "payments", id: "p2"})))
	assert.Equal(t, 3, le.lanes.count(), "restricted, shared, payments")

	close(st.blockSets)
	close(st.releaseClient)
	<-st.setBlocked // the slow lane is open; its registry write is stuck
	require.NoError(t, <-slowDone)
	require.NoError(t, le.ConsumeLogs(context.Background(), makeLogs(
		logRecord{namespace: "payments", id: "p3"}, logRecord{namespace: "slow", id: "s2"})))
	assert.Equal(t, 4, le.lanes.count())

	require.NoError(t, le.Shutdown(context.Background()), "shutdown cancels the stuck registry write")
}
