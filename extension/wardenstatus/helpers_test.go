package wardenstatus

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/extension/extensioncapabilities"
	"go.opentelemetry.io/collector/pipeline"
)

// clock is a settable time source shared with the extension's goroutines.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type testHost map[component.ID]component.Component

func (h testHost) GetExtensions() map[component.ID]component.Component { return h }

// selfMetricsServer serves a settable Prometheus exposition as the collector's own /metrics.
type selfMetricsServer struct {
	mu   sync.Mutex
	text string
	srv  *httptest.Server
}

func newSelfMetricsServer(t *testing.T, text string) *selfMetricsServer {
	s := &selfMetricsServer{text: text}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		_, _ = io.WriteString(w, s.text)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *selfMetricsServer) set(text string) {
	s.mu.Lock()
	s.text = text
	s.mu.Unlock()
}

func (s *selfMetricsServer) endpoint() string { return strings.TrimPrefix(s.srv.URL, "http://") }

type fixture struct {
	ext   *statusExtension
	clock *clock
	base  string
}

// start runs the extension on a free loopback port with a fake clock; the snapshot loop only
// takes its first snapshot (the interval is 10m), later ones are taken by snapshot().
func start(t *testing.T, edit func(*Config), host testHost) *fixture {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	cfg.ServerConfig.NetAddr.Endpoint = "127.0.0.1:0"
	cfg.SnapshotInterval = 10 * time.Minute
	cfg.SelfMetrics.Enabled = false
	if edit != nil {
		edit(cfg)
	}
	require.NoError(t, cfg.Validate())
	ext := newStatusExtension(cfg, componenttest.NewNopTelemetrySettings())
	clk := &clock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	ext.now = clk.now
	if host == nil {
		host = testHost{}
	}
	require.NoError(t, ext.Start(context.Background(), host))
	t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })
	require.Eventually(t, func() bool { return len(ext.history.all()) == 1 }, 5*time.Second, 5*time.Millisecond, "first snapshot")
	return &fixture{ext: ext, clock: clk, base: "http://" + ext.addr}
}

func (f *fixture) notifyConfig(t *testing.T, conf map[string]any) {
	t.Helper()
	snap := extensioncapabilities.NewConfigSnapshot(confmap.NewFromStringMap(conf), nil)
	require.NoError(t, f.ext.NotifyConfigSnapshot(context.Background(), snap))
}

// snapshot advances the clock and takes a history snapshot, as the loop does every interval.
func (f *fixture) snapshot(d time.Duration) {
	f.clock.advance(d)
	f.ext.history.add(f.ext.collect(context.Background(), f.clock.now()))
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

func getJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	code, body := get(t, url)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &doc), body)
	return code, doc
}

// summaryOfDoc decodes /api/v1/summary's data.
func summaryOfDoc(t *testing.T, base string) summaryDoc {
	t.Helper()
	code, body := get(t, base+"/api/v1/summary")
	require.Equal(t, http.StatusOK, code, body)
	var doc struct {
		Data summaryDoc `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	return doc.Data
}

func instance(id string, kind component.Kind) *componentstatus.InstanceID {
	return componentstatus.NewInstanceID(component.MustNewID(id), kind, pipeline.NewID(pipeline.SignalTraces))
}

func okEvent() *componentstatus.Event { return componentstatus.NewEvent(componentstatus.StatusOK) }
