// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tenantrouter

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter/internal/metadatatest"
)

// memoryStorage is a storage extension whose data outlives the exporters using it, standing in for
// file_storage across a collector restart.
type memoryStorage struct {
	component.StartFunc
	component.ShutdownFunc
	mu      sync.Mutex
	clients map[string]map[string][]byte
}

func (m *memoryStorage) GetClient(_ context.Context, kind component.Kind, id component.ID, name string) (storage.Client, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := kind.String() + "/" + id.String() + "/" + name
	if m.clients[key] == nil {
		m.clients[key] = map[string][]byte{}
	}
	return &memoryClient{mu: &m.mu, data: m.clients[key]}, nil
}

type memoryClient struct {
	mu   *sync.Mutex
	data map[string][]byte
}

func (c *memoryClient) Get(ctx context.Context, key string) ([]byte, error) {
	op := storage.GetOperation(key)
	err := c.Batch(ctx, op)
	return op.Value, err
}

func (c *memoryClient) Set(ctx context.Context, key string, value []byte) error {
	return c.Batch(ctx, storage.SetOperation(key, value))
}

func (c *memoryClient) Delete(ctx context.Context, key string) error {
	return c.Batch(ctx, storage.DeleteOperation(key))
}

func (c *memoryClient) Batch(_ context.Context, ops ...*storage.Operation) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, op := range ops {
		switch op.Type {
		case storage.Get:
			op.Value = append([]byte(nil), c.data[op.Key]...)
			if _, ok := c.data[op.Key]; !ok {
				op.Value = nil
			}
		case storage.Set:
			c.data[op.Key] = append([]byte(nil), op.Value...)
		case storage.Delete:
			delete(c.data, op.Key)
		}
	}
	return nil
}

func (*memoryClient) Close(context.Context) error { return nil }

type storageHost struct {
	component.Host
	extensions map[component.ID]component.Component
}

func (h storageHost) GetExtensions() map[component.ID]component.Component { return h.extensions }

// A namespace tenant's queued records survive a restart: the new exporter reopens that tenant's lane
// at start-up from the registry and drains its persisted queue without any new data for the tenant.
func TestPersistentQueueOfDataNamedTenantSurvivesRestart(t *testing.T) {
	be := newBackend(t, "X-Scope-OrgID")
	storageID := component.MustNewID("memory_storage")
	host := storageHost{Host: componenttest.NewNopHost(), extensions: map[component.ID]component.Component{
		storageID: &memoryStorage{clients: map[string]map[string][]byte{}},
	}}
	cfg := namespaceConfig(be.server.URL)
	cfg.QueueConfig.Get().StorageID = &storageID
	cfg.RetryConfig.MaxElapsedTime = 0
	be.fail("payments", http.StatusServiceUnavailable)

	first, err := NewFactory().CreateLogs(context.Background(), metadatatest.NewSettings(componenttest.NewTelemetry()), cfg)
	require.NoError(t, err)
	require.NoError(t, first.Start(context.Background(), host))
	require.NoError(t, first.ConsumeLogs(context.Background(), makeLogs(
		logRecord{namespace: "payments", id: "p1"}, logRecord{namespace: "payments", id: "p2"}, logRecord{namespace: "checkout", id: "c1"})))
	require.Eventually(t, func() bool { return be.requestCount("payments") >= 2 && len(be.received()["checkout"]) == 1 },
		10*time.Second, 5*time.Millisecond)
	require.NoError(t, first.Shutdown(context.Background()))
	assert.Empty(t, be.received()["payments"])

	be.fail("payments", 0)
	second, err := NewFactory().CreateLogs(context.Background(), metadatatest.NewSettings(componenttest.NewTelemetry()), cfg)
	require.NoError(t, err)
	require.NoError(t, second.Start(context.Background(), host))
	require.Eventually(t, func() bool { return len(be.received()["payments"]) == 2 }, 10*time.Second, 5*time.Millisecond,
		"the payments queue must drain after the restart without new payments data")
	require.NoError(t, second.Shutdown(context.Background()))
	assert.ElementsMatch(t, []string{"p1", "p2"}, be.received()["payments"])
	assert.Equal(t, []string{"c1"}, be.received()["checkout"], "checkout was delivered once, before the restart")
}
