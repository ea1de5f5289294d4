//go:generate go tool mdatagen metadata.yaml

package wardenstatus // import "github.com/otelcol-warden/otelcol-warden/extension/wardenstatus"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/extension"

	"github.com/otelcol-warden/otelcol-warden/extension/wardenstatus/internal/metadata"
)

// defaultEndpoint is loopback: the page shows operational figures, so exposing it is a choice.
const defaultEndpoint = "127.0.0.1:13134"

// NewFactory returns the factory of the warden_status extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(metadata.Type, createDefaultConfig, create, metadata.ExtensionStability)
}

func createDefaultConfig() component.Config {
	server := confighttp.NewDefaultServerConfig()
	server.NetAddr.Endpoint = defaultEndpoint
	// The API takes no bodies but /api/v1/tail/keep's 4 KiB; confighttp's 20 MiB default is far more.
	server.MaxRequestBodySize = 64 << 10
	return &Config{
		ServerConfig:     server,
		SnapshotInterval: time.Minute,
		History:          60,
		PageRefresh:      10 * time.Second,
		SelfMetrics:      SelfMetricsConfig{Enabled: true},
	}
}

func create(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	return newStatusExtension(cfg.(*Config), set.TelemetrySettings), nil
}
