package logreduce

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/pdata/plog"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/<case>/expected.yaml from the current output")

// TestGolden runs every testdata/<case>/ folder: config.yaml (over the defaults), input.yaml
// consumed at once, then the end of one window; everything sent downstream must equal
// expected.yaml. New cases need no new code.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "*", "input.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, inputs)
	for _, in := range inputs {
		dir := filepath.Dir(in)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			tr := newTestReducer(t, func(cfg *Config) {
				if _, err := os.Stat(filepath.Join(dir, "config.yaml")); err == nil {
					cm, err := confmaptest.LoadConf(filepath.Join(dir, "config.yaml"))
					require.NoError(t, err)
					require.NoError(t, cm.Unmarshal(cfg))
				}
			})
			input, err := golden.ReadLogs(in)
			require.NoError(t, err)
			tr.consume(t, input)
			tr.endWindow(t)
			got := plog.NewLogs()
			for _, ld := range tr.sink.AllLogs() {
				ld.ResourceLogs().MoveAndAppendTo(got.ResourceLogs())
			}
			expectedFile := filepath.Join(dir, "expected.yaml")
			if *updateGolden {
				require.NoError(t, golden.WriteLogsToFile(expectedFile, got))
			}
			expected, err := golden.ReadLogs(expectedFile)
			require.NoError(t, err)
			require.NoError(t, plogtest.CompareLogs(expected, got, plogtest.IgnoreResourceLogsOrder()))
		})
	}
}
