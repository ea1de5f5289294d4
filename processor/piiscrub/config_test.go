package piiscrub

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-warden/otelcol-warden/processor/piiscrub/internal/metadata"
)

func loadConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.MustNewIDWithName(metadata.Type.String(), name).String())
	if name == "" {
		sub, err = cm.Sub(metadata.Type.String())
	}
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		return nil, err
	}
	return cfg, confmap.Validate(cfg)
}

func TestUnmarshalDefaultConfig(t *testing.T) {
	cfg, err := loadConfig(t, "")
	require.ErrorContains(t, err, "no pseudonymisation key configured")
	assert.Equal(t, createDefaultConfig(), cfg)
}

func TestUnmarshalConfig(t *testing.T) {
	cfg, err := loadConfig(t, "all")
	require.NoError(t, err)
	assert.Equal(t, KeyConfig{File: "/etc/otelcol/pii-key", ID: "k2026", Rotation: RotationDaily, ReloadInterval: 30 * time.Second}, cfg.Key)
	assert.Equal(t, ActionMask, cfg.Detectors.Email.Action)
	assert.True(t, cfg.Detectors.Email.Enabled, "enabled stays true when only the action is set")
	assert.False(t, cfg.Detectors.SSN.Enabled)
	assert.Equal(t, 16, cfg.Detectors.IP.MaskPrefixV4)
	assert.True(t, cfg.Detectors.IP.SkipPrivate)
	assert.Equal(t, []string{"phone", "tel"}, cfg.Detectors.Phone.ContextWords)
	assert.Equal(t, []string{"token", "sig"}, cfg.Detectors.URLSecret.QueryKeys)
	assert.Equal(t, []KeyRule{{Keys: []string{"customer.email", "*.email"}, Action: ActionHash, Entity: "email"}, {Keys: []string{"debug.*"}, Action: ActionDelete}}, cfg.KeyRules)
	assert.False(t, cfg.DefaultKeyRules)
	assert.Equal(t, []PatternConfig{{Name: "customer_no", Regex: "CUST-[0-9]{8}", Action: ActionHash, Keys: []string{"order.*"}}}, cfg.Patterns)
	assert.Equal(t, []string{"url.full", "http.url"}, cfg.URLKeys)
	assert.Equal(t, "detector", cfg.SpanName)
	assert.Equal(t, ActionRedact, cfg.Metrics.Action)
	assert.Equal(t, "pii.found", cfg.Marker.Attribute)
	assert.False(t, cfg.FailClosed)
	assert.Equal(t, LimitsConfig{MaxValueBytes: 1 << 20, MaxDepth: 16}, cfg.Limits)

	cfg, err = loadConfig(t, "mask_only")
	require.NoError(t, err)
	assert.True(t, cfg.MaskOnly)
}

func TestUnknownDetectorIsRejected(t *testing.T) {
	cm := confmapFromYAML(t, "detectors:\n  passport: {action: hash}\n")
	cfg := createDefaultConfig().(*Config)
	err := cm.Unmarshal(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "passport")
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{"no key", func(c *Config) { c.Key.File = "" }, "key: no pseudonymisation key configured: set one of file, env or keyset_file"},
		{"two key sources", func(c *Config) { c.Key.Env = "X" }, "key: set only one of file, env and keyset_file"},
		{"mask only with key", func(c *Config) { c.MaskOnly = true }, "key: mask_only is true"},
		{"bad key id", func(c *Config) { c.Key.ID = "has space" }, `key: id: "has space" must match`},
		{"bad rotation", func(c *Config) { c.Key.Rotation = "hourly" }, `key: rotation: unknown rotation "hourly"`},
		{"keyset not daily", func(c *Config) { c.Key.File = ""; c.Key.KeysetFile = "/k.json"; c.Key.Rotation = RotationNone }, "key: rotation: a keyset_file holds one key per day, so rotation must be daily"},
		{"unknown detector action", func(c *Config) { c.Detectors.Email.Action = "encrypt" }, `detectors: email::action: unknown action "encrypt"`},
		{"delete is not a detector action", func(c *Config) { c.Detectors.Card.Action = ActionDelete }, "detectors: card::action: unknown action \"delete\""},
		{"ip prefix", func(c *Config) { c.Detectors.IP.MaskPrefixV4 = 33 }, "detectors: ip::mask_prefix_v4: 33 is not in 0..32"},
		{"rule without keys", func(c *Config) { c.KeyRules = []KeyRule{{Action: ActionDelete}} }, "key_rules::0: keys: at least one key or glob is required"},
		{"rule without action", func(c *Config) { c.KeyRules = []KeyRule{{Keys: []string{"a"}}} }, "key_rules::0: action: an action is required"},
		{"rule bad action", func(c *Config) { c.KeyRules = []KeyRule{{Keys: []string{"a"}, Action: "drop"}} }, `key_rules::0: action: unknown action "drop"`},
		{"pattern empty match", func(c *Config) { c.Patterns = []PatternConfig{{Name: "x", Regex: "a*"}} }, "patterns::0: regex (x): pattern can match the empty string"},
		{"pattern empty match via alternation", func(c *Config) { c.Patterns = []PatternConfig{{Name: "x", Regex: "abc|(?:)"}} }, "can match the empty string"},
		{"pattern only anchors", func(c *Config) { c.Patterns = []PatternConfig{{Name: "x", Regex: `^\b$`}} }, "can match the empty string"},
		{"pattern invalid", func(c *Config) { c.Patterns = []PatternConfig{{Name: "x", Regex: "(?<=a)b"}} }, "patterns::0: regex (x): invalid RE2 pattern"},
		{"pattern too large", func(c *Config) { c.Patterns = []PatternConfig{{Name: "x", Regex: "[a-z]{1000}[0-9]{1000}"}} }, "pattern too large"},
		{"pattern bad name", func(c *Config) { c.Patterns = []PatternConfig{{Name: "Bad Name", Regex: "abc"}} }, `patterns::0: name: "Bad Name" must match`},
		{"pattern duplicate", func(c *Config) {
			c.Patterns = []PatternConfig{{Name: "x", Regex: "abc"}, {Name: "x", Regex: "def"}}
		}, `patterns::1: name: "x" is used twice`},
		{"span name", func(c *Config) { c.SpanName = "hash" }, "span_name: unknown mode \"hash\""},
		{"metrics action", func(c *Config) { c.Metrics.Action = ActionKeep }, "metrics: action: unknown action \"keep\""},
		{"max value bytes zero", func(c *Config) { c.Limits.MaxValueBytes = 0 }, "limits: max_value_bytes: must be a positive number of bytes, got 0"},
		{"max value bytes negative", func(c *Config) { c.Limits.MaxValueBytes = -1 }, "limits: max_value_bytes: must be a positive number of bytes, got -1"},
		{"max depth zero", func(c *Config) { c.Limits.MaxDepth = 0 }, "limits: max_depth: must be a positive nesting depth, got 0"},
		{"max depth negative", func(c *Config) { c.Limits.MaxDepth = -3 }, "limits: max_depth: must be a positive nesting depth, got -3"},
		{"ok small limits", func(c *Config) { c.Limits = LimitsConfig{MaxValueBytes: 1, MaxDepth: 1} }, ""},
		{"ok", func(*Config) {}, ""},
		{"ok pattern", func(c *Config) { c.Patterns = []PatternConfig{{Name: "cust", Regex: `CUST-\d{8}`, Action: ActionHash}} }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			cfg.Key.File = "/some/key"
			tt.mutate(cfg)
			err := confmap.Validate(cfg)
			if tt.wantErr == "" {
				assert.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
			}
		})
	}
}

// TestZeroLimitsRejected: `0` is neither "unlimited" nor "default" for the limits; it used to pass Validate and
// silently become 4 MiB and 64.
func TestZeroLimitsRejected(t *testing.T) {
	for key, want := range map[string]string{
		"max_value_bytes": "limits: max_value_bytes: must be a positive number of bytes, got 0",
		"max_depth":       "limits: max_depth: must be a positive nesting depth, got 0",
	} {
		t.Run(key, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			require.NoError(t, confmapFromYAML(t, "key: {file: /some/key}\nlimits: {"+key+": 0}\n").Unmarshal(cfg))
			assert.ErrorContains(t, confmap.Validate(cfg), want)
			_, err := newEngine(cfg, nil)
			assert.ErrorContains(t, err, "must be positive", "an unvalidated config gets no silent default either")
		})
	}
	def := createDefaultConfig().(*Config)
	assert.Equal(t, LimitsConfig{MaxValueBytes: 4 << 20, MaxDepth: 64}, def.Limits)
}

// TestValidateReportsEveryProblemInOrder: nested structs validate themselves, confmap prefixes their key path,
// and the errors come in a stable order (the cross-section checks first, then the sections in config order).
func TestValidateReportsEveryProblemInOrder(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Key.File = "/some/key"
	cfg.Key.ID = "has space"
	cfg.Detectors.Email.Action = "encrypt"
	cfg.KeyRules = []KeyRule{{Keys: []string{"a"}, Action: ActionDelete}, {Action: ActionDelete}}
	cfg.Limits.MaxDepth = 0
	cfg.SpanName = "hash"
	err := confmap.Validate(cfg)
	require.Error(t, err)
	assert.Equal(t, []string{
		`span_name: unknown mode "hash" (want redact or detector)`,
		`key: id: "has space" must match [A-Za-z0-9_]{1,16}`,
		`detectors: email::action: unknown action "encrypt" (want one of hash, mask, redact)`,
		`key_rules::1: keys: at least one key or glob is required`,
		`limits: max_depth: must be a positive nesting depth, got 0 (default 64)`,
	}, strings.Split(err.Error(), "\n"))
}
