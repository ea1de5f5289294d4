package piiscrub

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-warden/otelcol-warden/processor/piiscrub/internal/metadata"
)

func TestKeySources(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short")
	require.NoError(t, os.WriteFile(short, []byte("00112233"), 0o600))
	garbage := filepath.Join(dir, "garbage")
	require.NoError(t, os.WriteFile(garbage, []byte("not a key at all!"), 0o600))
	b64 := filepath.Join(dir, "b64")
	require.NoError(t, os.WriteFile(b64, []byte(base64.StdEncoding.EncodeToString(make([]byte, 32))+"\n"), 0o600))

	tests := []struct {
		name    string
		key     KeyConfig
		env     map[string]string
		wantErr string
	}{
		{"hex file", KeyConfig{File: writeKeyFile(t)}, nil, ""},
		{"base64 file", KeyConfig{File: b64}, nil, ""},
		{"missing file", KeyConfig{File: filepath.Join(dir, "nope")}, nil, `key.file "` + filepath.Join(dir, "nope") + `": no such file or directory`},
		{"short file", KeyConfig{File: short}, nil, "too short: 4 bytes after decoding, need at least 32"},
		{"garbage file", KeyConfig{File: garbage}, nil, "neither hex nor base64"},
		{"env", KeyConfig{Env: "PII_SCRUB_TEST_KEY"}, map[string]string{"PII_SCRUB_TEST_KEY": testKeyHex}, ""},
		{"env missing", KeyConfig{Env: "PII_SCRUB_TEST_KEY_UNSET"}, nil, "environment variable PII_SCRUB_TEST_KEY_UNSET is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			cfg := createDefaultConfig().(*Config)
			cfg.Key = tt.key
			_, err := newScrubProcessor(cfg, processortest.NewNopSettings(metadata.Type))
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.NotContains(t, err.Error(), "not a key at all", "the error never quotes key material")
		})
	}
}

func TestMaskOnlyNeedsNoKey(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.MaskOnly = true
	p := newTestProcessor(t, cfg)
	assert.Equal(t, "mail ***@example.com ip 203.0.113.0/24", scrubString(p, "mail jane@example.com ip 203.0.113.7"))
}

func TestTokenFormat(t *testing.T) {
	p := newTestProcessor(t, testConfig(t))
	out := scrubString(p, "jane@example.com")
	assert.Regexp(t, `^pii:email:t1:[a-z2-7]{26}$`, out)
	// Same person in another case, same token; another person, another token.
	assert.Equal(t, out, scrubString(p, "JANE@Example.COM"))
	assert.NotEqual(t, out, scrubString(p, "john@example.com"))
	// Entity type separates domains: the same digits as a phone and as a card give different tokens.
	assert.NotEqual(t, strings.TrimPrefix(scrubString(p, "phone 4111111111111111"), "phone "), out)
	// Another key gives another token.
	other := filepath.Join(t.TempDir(), "other")
	require.NoError(t, os.WriteFile(other, []byte(strings.Repeat("ab", 32)), 0o600))
	p2 := newTestProcessor(t, testConfig(t, func(c *Config) { c.Key.File = other }))
	assert.NotEqual(t, out, scrubString(p2, "jane@example.com"))
}

func TestDefaultKeyIDIsDerived(t *testing.T) {
	p := newTestProcessor(t, testConfig(t, func(c *Config) { c.Key.ID = "" }))
	out := scrubString(p, "jane@example.com")
	assert.Regexp(t, `^pii:email:k[a-z2-7]{6}:[a-z2-7]{26}$`, out)
	assert.NotContains(t, out, testKeyHex[:6])
}

func TestKeyReload(t *testing.T) {
	cfg := testConfig(t)
	p := newTestProcessor(t, cfg)
	before := scrubString(p, "jane@example.com")
	require.NoError(t, os.WriteFile(cfg.Key.File, []byte(strings.Repeat("cd", 32)), 0o600))
	// Make sure the modification time differs on coarse file systems.
	require.NoError(t, os.Chtimes(cfg.Key.File, time.Now().Add(time.Second), time.Now().Add(time.Second)))
	assert.True(t, p.e.keys.checkReload())
	after := scrubString(p, "jane@example.com")
	assert.NotEqual(t, before, after)
	assert.False(t, p.e.keys.checkReload(), "unchanged file: no reload")

	// A broken file keeps the previous key.
	require.NoError(t, os.WriteFile(cfg.Key.File, []byte("short"), 0o600))
	require.NoError(t, os.Chtimes(cfg.Key.File, time.Now().Add(2*time.Second), time.Now().Add(2*time.Second)))
	assert.False(t, p.e.keys.checkReload())
	assert.Equal(t, after, scrubString(p, "jane@example.com"))
}

func TestKeyReloadLoop(t *testing.T) {
	cfg := testConfig(t, func(c *Config) { c.Key.ReloadInterval = 10 * time.Millisecond })
	p := newTestProcessor(t, cfg)
	require.NoError(t, p.start(context.Background(), componenttest.NewNopHost()))
	before := scrubString(p, "jane@example.com")
	require.NoError(t, os.WriteFile(cfg.Key.File, []byte(strings.Repeat("ef", 32)), 0o600))
	require.NoError(t, os.Chtimes(cfg.Key.File, time.Now().Add(time.Second), time.Now().Add(time.Second)))
	assert.Eventually(t, func() bool { return scrubString(p, "jane@example.com") != before }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, p.shutdown(context.Background()))
	require.NoError(t, p.shutdown(context.Background()), "shutdown twice is safe")
}

func logsOnDays(days ...time.Time) plog.Logs {
	ld := plog.NewLogs()
	sl := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
	for _, d := range days {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetTimestamp(pcommonTS(d))
		lr.Body().SetStr("order by jane@example.com")
	}
	return ld
}

func bodies(ld plog.Logs) []string {
	var out []string
	sl := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	for i := 0; i < sl.Len(); i++ {
		out = append(out, sl.At(i).Body().Str())
	}
	return out
}

func TestDailyRotationUsesRecordTime(t *testing.T) {
	p := newTestProcessor(t, testConfig(t, func(c *Config) { c.Key.Rotation = RotationDaily }))
	d1 := time.Date(2026, 3, 1, 23, 59, 0, 0, time.UTC)
	d2 := time.Date(2026, 3, 2, 0, 1, 0, 0, time.UTC)
	ld, err := p.processLogs(context.Background(), logsOnDays(d1, d1.Add(-time.Hour), d2))
	require.NoError(t, err)
	b := bodies(ld)
	assert.Contains(t, b[0], "pii:email:t1_20260301:")
	assert.Equal(t, b[0], b[1], "same day, same token")
	assert.Contains(t, b[2], "pii:email:t1_20260302:")
	// A replay later gives the same tokens: the day comes from the record, not the clock.
	ld2, err := p.processLogs(context.Background(), logsOnDays(d1, d1.Add(-time.Hour), d2))
	require.NoError(t, err)
	assert.Equal(t, b, bodies(ld2))
}

func writeKeyset(t *testing.T, path string, days ...string) {
	var entries []string
	for _, d := range days {
		entries = append(entries, fmt.Sprintf(`{"day": %q, "key": %q}`, d, strings.Repeat(fmt.Sprintf("%02x", d[len(d)-1]), 32)))
	}
	require.NoError(t, os.WriteFile(path, []byte(`{"keys": [`+strings.Join(entries, ",")+`]}`), 0o600))
}

func TestKeysetErasure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyset.json")
	writeKeyset(t, path, "2026-03-01", "2026-03-02")
	cfg := createDefaultConfig().(*Config)
	cfg.Key = KeyConfig{KeysetFile: path, Rotation: RotationDaily}
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	p, err := newScrubProcessor(cfg, metadatatestSettings(tel))
	require.NoError(t, err)
	d1 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	d2 := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	ld, err := p.processLogs(context.Background(), logsOnDays(d1, d2))
	require.NoError(t, err)
	b := bodies(ld)
	assert.Contains(t, b[0], "pii:email:d20260301:")
	assert.Contains(t, b[1], "pii:email:d20260302:")

	// The operator deletes day 1's key: day 1 can no longer be pseudonymised (nor linked); values are redacted.
	writeKeyset(t, path, "2026-03-02")
	require.NoError(t, os.Chtimes(path, time.Now().Add(time.Second), time.Now().Add(time.Second)))
	require.True(t, p.e.keys.checkReload())
	ld, err = p.processLogs(context.Background(), logsOnDays(d1, d2))
	require.NoError(t, err)
	assert.Equal(t, []string{"order by {email}", b[1]}, bodies(ld))
}

func TestKeysetErrors(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"invalid JSON":    `{"keys": [`,
		"keys[0].day":     `{"keys": [{"day": "01.03.2026", "key": "` + testKeyHex + `"}]}`,
		"too short":       `{"keys": [{"day": "2026-03-01", "key": "abcd"}]}`,
		"appears twice":   `{"keys": [{"day": "2026-03-01", "key": "` + testKeyHex + `"}, {"day": "2026-03-01", "key": "` + testKeyHex + `"}]}`,
		"not a keyset":    `{"days": []}`,
		"keys[0].id must": `{"keys": [{"day": "2026-03-01", "id": "bad id!", "key": "` + testKeyHex + `"}]}`,
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".json")
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		_, err := loadKeyset(path)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), name)
		assert.NotContains(t, err.Error(), testKeyHex)
	}
}

// TestNeverLogsSecrets: the processor's own logs never carry a key, a value or a pseudonym.
func TestNeverLogsSecrets(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	cfg := testConfig(t)
	set := processortest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	p, err := newScrubProcessor(cfg, set)
	require.NoError(t, err)
	require.NoError(t, p.start(context.Background(), componenttest.NewNopHost()))
	ld, err := p.processLogs(context.Background(), logsOnDays(time.Now()))
	require.NoError(t, err)
	token := strings.TrimPrefix(bodies(ld)[0], "order by ")
	// A good reload and a failed reload both log, but only ids and paths.
	require.NoError(t, os.WriteFile(cfg.Key.File, []byte(strings.Repeat("cd", 32)), 0o600))
	require.NoError(t, os.Chtimes(cfg.Key.File, time.Now().Add(time.Second), time.Now().Add(time.Second)))
	require.True(t, p.e.keys.checkReload())
	require.NoError(t, os.WriteFile(cfg.Key.File, []byte("0123456789abcdef"), 0o600))
	require.NoError(t, os.Chtimes(cfg.Key.File, time.Now().Add(2*time.Second), time.Now().Add(2*time.Second)))
	require.False(t, p.e.keys.checkReload())
	require.NoError(t, p.shutdown(context.Background()))
	require.GreaterOrEqual(t, logs.Len(), 3)
	for _, e := range logs.All() {
		line := fmt.Sprintf("%s %v", e.Message, e.ContextMap())
		for _, secret := range []string{testKeyHex, strings.Repeat("cd", 32), "0123456789abcdef", "jane@example.com", token} {
			assert.NotContains(t, line, secret)
		}
	}
}
