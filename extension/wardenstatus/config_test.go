package wardenstatus

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-warden/otelcol-warden/extension/wardenstatus/internal/metadata"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg
}

func TestUnmarshalDefaultConfig(t *testing.T) {
	cfg := loadConfig(t, "")
	assert.Equal(t, createDefaultConfig(), cfg)
	assert.Equal(t, "127.0.0.1:13134", cfg.ServerConfig.NetAddr.Endpoint, "loopback by default")
	assert.Equal(t, time.Minute, cfg.SnapshotInterval)
	assert.Equal(t, 60, cfg.History)
	assert.True(t, cfg.SelfMetrics.Enabled)
	assert.Equal(t, int64(64<<10), cfg.ServerConfig.MaxRequestBodySize)
	require.NoError(t, cfg.Validate())
}

func TestUnmarshalConfig(t *testing.T) {
	cfg := loadConfig(t, "all")
	assert.Equal(t, "127.0.0.1:9999", cfg.ServerConfig.NetAddr.Endpoint)
	assert.Equal(t, 30*time.Second, cfg.SnapshotInterval)
	assert.Equal(t, 120, cfg.History)
	assert.Equal(t, 5*time.Second, cfg.PageRefresh)
	assert.Equal(t, "127.0.0.1:8888", cfg.SelfMetrics.Endpoint)
	require.True(t, cfg.ServerConfig.Auth.HasValue())
	assert.Equal(t, "bearertokenauth", cfg.ServerConfig.Auth.Get().Config.AuthenticatorID.String())
	require.NoError(t, cfg.Validate())
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr string
	}{
		{"no endpoint", func(c *Config) { c.ServerConfig.NetAddr.Endpoint = "" }, "warden_status: endpoint is required"},
		{"interval too short", func(c *Config) { c.SnapshotInterval = 100 * time.Millisecond }, "snapshot_interval 100ms must be between 1s and 10m0s"},
		{"interval too long", func(c *Config) { c.SnapshotInterval = time.Hour }, "snapshot_interval 1h0m0s must be between"},
		{"no history", func(c *Config) { c.History = 0 }, "history 0 must be between 1 and 1440"},
		{"history too long", func(c *Config) { c.History = 5000 }, "history 5000 must be between 1 and 1440"},
		{"refresh too short", func(c *Config) { c.PageRefresh = 0 }, "page_refresh 0s must be between 1s and 1h0m0s"},
		{"self metrics endpoint not host:port", func(c *Config) { c.SelfMetrics.Endpoint = "localhost" }, `self_metrics::endpoint "localhost" must be host:port`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tt.edit(cfg)
			assert.ErrorContains(t, cfg.Validate(), tt.wantErr)
		})
	}
	for _, name := range []string{"bad_interval", "bad_history", "bad_self_metrics"} {
		assert.Error(t, loadConfig(t, name).Validate(), name)
	}
}
