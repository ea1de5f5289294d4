package piiscrub

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/otelcol-warden/otelcol-warden/processor/piiscrub/internal/metadatatest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.yaml.in/yaml/v3"
	"time"

	"github.com/otelcol-warden/otelcol-warden/processor/piiscrub/internal/metadata"
)

// testKeyHex is a fixed test key (32 bytes of 0x01..0x20), so golden files are stable.
const testKeyHex = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"

// writeKeyFile writes the test key into a file in t.TempDir().
func writeKeyFile(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pii_scrub.key")
	require.NoError(t, os.WriteFile(path, []byte(testKeyHex+"\n"), 0o600))
	return path
}

// testConfig is the default config with the test key file and key id "t1".
func testConfig(t testing.TB, mutate ...func(*Config)) *Config {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	cfg.Key.File = writeKeyFile(t)
	cfg.Key.ID = "t1"
	cfg.Key.ReloadInterval = 0
	for _, m := range mutate {
		m(cfg)
	}
	return cfg
}

func newTestProcessor(t testing.TB, cfg *Config) *scrubProcessor {
	t.Helper()
	p, err := newScrubProcessor(cfg, processortest.NewNopSettings(metadata.Type))
	require.NoError(t, err)
	return p
}

// scrubString runs the text scanner as for a log body (signal logs, no key).
func scrubString(p *scrubProcessor, s string) string {
	st := p.getState(sigLogs)
	defer p.pool.Put(st)
	st.loc = locLogBody
	out, _ := st.scrubText(s)
	return out
}

// scrubAttr runs the attribute path for one string attribute (signal logs) and returns the new value and
// whether the attribute survived.
func scrubAttrString(p *scrubProcessor, key, val string) (string, bool) {
	st := p.getState(sigLogs)
	defer p.pool.Put(st)
	st.loc = locLogAttr
	return scrubOneAttr(st, key, val)
}

var _ = hex.EncodeToString

func scrubOneAttr(st *state, key, val string) (string, bool) {
	m := pcommonNewMap()
	m.PutStr(key, val)
	st.scrubAttrs(m, 0)
	v, ok := m.Get(key)
	if !ok {
		return "", false
	}
	return v.AsString(), true
}

func pcommonNewMap() pcommon.Map { return pcommon.NewMap() }

func confmapFromYAML(t *testing.T, y string) *confmap.Conf {
	t.Helper()
	var raw map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(y), &raw))
	return confmap.NewFromStringMap(raw)
}

func pcommonTS(t time.Time) pcommon.Timestamp { return pcommon.NewTimestampFromTime(t) }

func metadatatestSettings(tel *componenttest.Telemetry) processor.Settings {
	return metadatatest.NewSettings(tel)
}

func errSkip() error { return processorhelper.ErrSkipProcessingData }
