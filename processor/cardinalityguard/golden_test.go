package cardinalityguard

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/<case>/expected.yaml from the current output")

// TestGolden runs every testdata/<case>/ folder: config.yaml (over the defaults), input.yaml
// consumed at once, one flush at t0+60s; everything sent downstream must equal expected.yaml.
// New cases need no new code.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "*", "input.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	for _, in := range dirs {
		dir := filepath.Dir(in)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			tg := newTestGuard(t, func(cfg *Config) {
				if _, err := os.Stat(filepath.Join(dir, "config.yaml")); err == nil {
					cm, err := confmaptest.LoadConf(filepath.Join(dir, "config.yaml"))
					require.NoError(t, err)
					require.NoError(t, cm.Unmarshal(cfg))
				}
			})
			input, err := golden.ReadMetrics(in)
			require.NoError(t, err)
			tg.consume(t, input)
			tg.flushAt(t, time.Minute)
			got := pmetric.NewMetrics()
			for _, md := range tg.sink.AllMetrics() {
				md.ResourceMetrics().MoveAndAppendTo(got.ResourceMetrics())
			}
			expectedFile := filepath.Join(dir, "expected.yaml")
			if *updateGolden {
				require.NoError(t, golden.WriteMetricsToFile(expectedFile, got, golden.SkipMetricTimestampNormalization()))
			}
			expected, err := golden.ReadMetrics(expectedFile)
			require.NoError(t, err)
			require.NoError(t, pmetrictest.CompareMetrics(expected, got,
				pmetrictest.IgnoreResourceMetricsOrder(),
				pmetrictest.IgnoreMetricsOrder(),
				pmetrictest.IgnoreMetricDataPointsOrder()))
		})
	}
}
