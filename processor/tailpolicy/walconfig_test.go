// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
)

func TestWALConfigDefaultsAndUnmarshal(t *testing.T) {
	def := createDefaultConfig().(*Config).WAL
	assert.Equal(t, WALConfig{Sync: "5ms", MaxBytes: 1 << 30, SegmentBytes: 64 << 20, RetainDropped: RetainDroppedConfig{MaxAge: time.Hour}}, def)
	assert.False(t, def.enabled(), "the log is off by default")

	cfg := loadConfig(t, "custom")
	require.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, WALConfig{
		Directory: "/var/lib/otelcol-warden/tail_policy", Sync: "always", MaxBytes: 256 << 20, SegmentBytes: 16 << 20,
		RetainDropped: RetainDroppedConfig{MaxBytes: 512 << 20, MaxAge: 30 * time.Minute},
	}, cfg.WAL)
}

func TestWALSyncPolicies(t *testing.T) {
	for sync, want := range map[string]time.Duration{"always": 0, "never": -1, "5ms": 5 * time.Millisecond, "1s": time.Second} {
		c := WALConfig{Sync: sync}
		got, err := c.syncInterval()
		require.NoError(t, err, sync)
		assert.Equal(t, want, got, sync)
	}
}

func TestWALValidateNamesTheKey(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*WALConfig)
		want   string
	}{
		{"bad sync", func(c *WALConfig) { c.Sync = "sometimes" }, `wal: sync: "sometimes" is neither a positive duration nor "always" or "never"`},
		{"zero sync", func(c *WALConfig) { c.Sync = "0s" }, `wal: sync: "0s" is neither`},
		{"tiny segments", func(c *WALConfig) { c.SegmentBytes = 1000 }, "wal: segment_bytes: 1000 is below the minimum of 1 MiB"},
		{"budget below two segments", func(c *WALConfig) { c.MaxBytes = 64 << 20 }, "wal: max_bytes: 67108864 must be at least twice segment_bytes (67108864)"},
		{"negative retention", func(c *WALConfig) { c.RetainDropped.MaxBytes = -1 }, "wal::retain_dropped: max_bytes: must not be negative, got -1"},
		{"retention without age", func(c *WALConfig) { c.RetainDropped = RetainDroppedConfig{MaxBytes: 1 << 20} }, "wal::retain_dropped: max_age: must be positive, got 0s"},
		{"retention without directory", func(c *WALConfig) { c.Directory = ""; c.RetainDropped.MaxBytes = 1 << 20 }, "wal: directory: must be set when retain_dropped.max_bytes is"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			cfg.WAL.Directory = "/tmp/x"
			tt.mutate(&cfg.WAL)
			err := confmap.Validate(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	t.Run("off checks nothing else", func(t *testing.T) {
		cfg := createDefaultConfig().(*Config)
		cfg.WAL.Sync = "sometimes"
		require.NoError(t, confmap.Validate(cfg))
	})
}
