package wardenstatus // import "github.com/otelcol-warden/otelcol-warden/extension/wardenstatus"

import (
	"errors"
	"fmt"
	"net"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
)

// Bounds of the configurable ranges: the history ring costs one summary per entry.
const (
	minSnapshotInterval = time.Second
	maxSnapshotInterval = 10 * time.Minute
	maxHistory          = 1440
	minPageRefresh      = time.Second
	maxPageRefresh      = time.Hour
)

// Config of the warden_status extension.
type Config struct {
	// ServerConfig is the HTTP server (endpoint, tls, auth, cors, ...), as on any collector server.
	ServerConfig confighttp.ServerConfig `mapstructure:",squash"`
	// SnapshotInterval is how often the summary is copied into the history ring (default 1m).
	SnapshotInterval time.Duration `mapstructure:"snapshot_interval"`
	// History is the number of snapshots kept (default 60: the last hour at the default interval).
	History int `mapstructure:"history"`
	// PageRefresh is how often the page reloads itself (default 10s).
	PageRefresh time.Duration `mapstructure:"page_refresh"`
	// SelfMetrics reads the collector's own metrics for the per-component item counts.
	SelfMetrics SelfMetricsConfig `mapstructure:"self_metrics"`

	_ struct{}
}

// SelfMetricsConfig says where the collector's own Prometheus metrics are read from.
type SelfMetricsConfig struct {
	// Enabled reads them at all (default true).
	Enabled bool `mapstructure:"enabled"`
	// Endpoint is host:port of the collector's own /metrics. Empty (the default): the first pull
	// Prometheus reader of service::telemetry::metrics, with an unspecified host read on 127.0.0.1.
	Endpoint string `mapstructure:"endpoint"`

	_ struct{}
}

var _ component.Config = (*Config)(nil)

// Validate checks every setting and names the key that is wrong.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.ServerConfig.NetAddr.Endpoint == "" {
		errs = append(errs, errors.New("warden_status: endpoint is required"))
	}
	if cfg.SnapshotInterval < minSnapshotInterval || cfg.SnapshotInterval > maxSnapshotInterval {
		errs = append(errs, fmt.Errorf("warden_status: snapshot_interval %s must be between %s and %s",
			cfg.SnapshotInterval, minSnapshotInterval, maxSnapshotInterval))
	}
	if cfg.History < 1 || cfg.History > maxHistory {
		errs = append(errs, fmt.Errorf("warden_status: history %d must be between 1 and %d", cfg.History, maxHistory))
	}
	if cfg.PageRefresh < minPageRefresh || cfg.PageRefresh > maxPageRefresh {
		errs = append(errs, fmt.Errorf("warden_status: page_refresh %s must be between %s and %s",
			cfg.PageRefresh, minPageRefresh, maxPageRefresh))
	}
	if err := cfg.SelfMetrics.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Validate checks that the endpoint, when given, is host:port.
func (c *SelfMetricsConfig) Validate() error {
	if c.Endpoint == "" {
		return nil
	}
	if _, port, err := net.SplitHostPort(c.Endpoint); err != nil || port == "" {
		return fmt.Errorf("warden_status: self_metrics::endpoint %q must be host:port", c.Endpoint)
	}
	return nil
}
