package wardenstatus // import "github.com/otelcol-warden/otelcol-warden/extension/wardenstatus"

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensioncapabilities"
	"go.uber.org/zap"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
)

// statusExtension serves the status page and API. It is the statusapi.Registry components find
// through the host, watches component status events and receives the configuration snapshot.
type statusExtension struct {
	cfg       *Config
	telemetry component.TelemetrySettings
	started   time.Time

	registry *providerRegistry
	health   *healthBook
	graph    graphHolder
	self     *selfMetricsReader
	history  *history

	server *http.Server
	addr   string // the listener's address, with the real port when the endpoint asked for :0
	stop   chan struct{}
	wg     sync.WaitGroup
	now    func() time.Time
}

var (
	_ extension.Extension                         = (*statusExtension)(nil)
	_ statusapi.Registry                          = (*statusExtension)(nil)
	_ componentstatus.Watcher                     = (*statusExtension)(nil)
	_ extensioncapabilities.ConfigSnapshotWatcher = (*statusExtension)(nil)
)

func newStatusExtension(cfg *Config, telemetry component.TelemetrySettings) *statusExtension {
	return &statusExtension{
		cfg:       cfg,
		telemetry: telemetry,
		registry:  newProviderRegistry(),
		health:    newHealthBook(),
		self:      newSelfMetricsReader(),
		history:   newHistory(cfg.History),
		stop:      make(chan struct{}),
		now:       time.Now,
	}
}

// Start listens (failing start-up if the port is taken), serves, and starts the snapshot loop.
func (e *statusExtension) Start(ctx context.Context, host component.Host) error {
	e.started = e.now()
	ln, err := e.cfg.ServerConfig.ToListener(ctx)
	if err != nil {
		return err
	}
	e.server, err = e.cfg.ServerConfig.ToServer(ctx, host.GetExtensions(), e.telemetry, e.routes())
	if err != nil {
		_ = ln.Close()
		return err
	}
	e.addr = ln.Addr().String()
	e.telemetry.Logger.Info("warden_status: serving the status page", zap.String("url", pageURL(e.cfg, ln.Addr().String())))
	e.wg.Add(2)
	go func() {
		defer e.wg.Done()
		if errHTTP := e.server.Serve(ln); errHTTP != nil && !errors.Is(errHTTP, http.ErrServerClosed) {
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(errHTTP))
		}
	}()
	go e.snapshotLoop()
	return nil
}

// Shutdown stops the server and the loop; safe without Start and when called twice.
func (e *statusExtension) Shutdown(context.Context) error {
	select {
	case <-e.stop:
		return nil
	default:
		close(e.stop)
	}
	var err error
	if e.server != nil {
		err = e.server.Close()
	}
	e.wg.Wait()
	return err
}

// snapshotLoop copies the summary into the history ring at start and every snapshot_interval.
func (e *statusExtension) snapshotLoop() {
	defer e.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-e.stop
		cancel()
	}()
	e.history.add(e.collect(ctx, e.now()))
	tick := time.NewTicker(e.cfg.SnapshotInterval)
	defer tick.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-tick.C:
			e.history.add(e.collect(ctx, e.now()))
		}
	}
}

// RegisterStatusProvider implements statusapi.Registry.
func (e *statusExtension) RegisterStatusProvider(id component.ID, kind statusapi.Kind, p statusapi.Provider) func() {
	if p == nil || !kind.Valid() {
		return func() {}
	}
	return e.registry.add(id, kind, p)
}

// ComponentStatusChanged implements componentstatus.Watcher.
func (e *statusExtension) ComponentStatusChanged(source *componentstatus.InstanceID, event *componentstatus.Event) {
	e.health.record(source, event)
}

// NotifyConfigSnapshot implements extensioncapabilities.ConfigSnapshotWatcher: the pipelines as
// configured, for the graph, and the own metrics' address.
func (e *statusExtension) NotifyConfigSnapshot(_ context.Context, snap extensioncapabilities.ConfigSnapshot) error {
	if snap != nil {
		e.graph.set(parsePipelineGraph(snap.Effective()))
	}
	return nil
}

// pageURL is the address to print: http or https by TLS, the listener's real port.
func pageURL(cfg *Config, addr string) string {
	scheme := "http"
	if cfg.ServerConfig.TLS.HasValue() {
		scheme = "https"
	}
	return scheme + "://" + addr + "/"
}
