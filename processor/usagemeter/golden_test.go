// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

// TestGolden runs every testdata/golden/<case>/ folder: config.yaml (the processor's config),
// input.yaml and expected.yaml (OTLP JSON as YAML, logs or metrics). New cases need no code.
func TestGolden(t *testing.T) {
	dirs, err := os.ReadDir(filepath.Join("testdata", "golden"))
	require.NoError(t, err)
	for _, d := range dirs {
		dir := filepath.Join("testdata", "golden", d.Name())
		t.Run(d.Name(), func(t *testing.T) {
			cm, err := confmaptest.LoadConf(filepath.Join(dir, "config.yaml"))
			require.NoError(t, err)
			cfg := createDefaultConfig().(*Config)
			require.NoError(t, cm.Unmarshal(cfg))
			tm := newTestMeter(t, d.Name(), cfg, nil)
			ctx := context.Background()
			if _, err := os.Stat(filepath.Join(dir, "logs_input.yaml")); err == nil {
				in, err := golden.ReadLogs(filepath.Join(dir, "logs_input.yaml"))
				require.NoError(t, err)
				require.NoError(t, tm.logs.ConsumeLogs(ctx, in))
				want, err := golden.ReadLogs(filepath.Join(dir, "logs_expected.yaml"))
				require.NoError(t, err)
				require.Len(t, tm.lSink.AllLogs(), 1)
				require.NoError(t, plogtest.CompareLogs(want, tm.lSink.AllLogs()[0]))
			}
			if _, err := os.Stat(filepath.Join(dir, "metrics_input.yaml")); err == nil {
				in, err := golden.ReadMetrics(filepath.Join(dir, "metrics_input.yaml"))
				require.NoError(t, err)
				require.NoError(t, tm.metrics.ConsumeMetrics(ctx, in))
				want, err := golden.ReadMetrics(filepath.Join(dir, "metrics_expected.yaml"))
				require.NoError(t, err)
				require.Len(t, tm.mSink.AllMetrics(), 1)
				require.NoError(t, pmetrictest.CompareMetrics(want, tm.mSink.AllMetrics()[0]))
			}
		})
	}
}
