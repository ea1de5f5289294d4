package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
)

// Action says what happens to a finding or to an attribute matched by a key rule.
type Action string

const (
	// ActionHash replaces the value with a keyed pseudonym (pii:<type>:<keyid>:<base32>).
	ActionHash Action = "hash"
	// ActionMask replaces the value with a shape that keeps a documented part (card: last four digits, email: domain).
	ActionMask Action = "mask"
	// ActionRedact replaces the value with a placeholder naming the entity type, e.g. {email}.
	ActionRedact Action = "redact"
	// ActionDelete removes the attribute (key rules and metric attributes only).
	ActionDelete Action = "delete"
	// ActionKeep skips detection for the attribute (key rules only): an allow-list.
	ActionKeep Action = "keep"
)

// Rotation says how the pseudonymisation key changes over time.
type Rotation string

const (
	// RotationNone uses the configured key for every record.
	RotationNone Rotation = "none"
	// RotationDaily derives one key per UTC day of the record's own timestamp.
	RotationDaily Rotation = "daily"
)

// Config is the configuration of the pii_scrub processor. See README.md for every option and its default.
type Config struct {
	// Key configures the pseudonymisation key. Exactly one of File, Env and KeysetFile must be set unless MaskOnly is true.
	Key KeyConfig `mapstructure:"key"`

	// MaskOnly is an explicit mode without pseudonyms and without a key: every `hash` action becomes `mask`.
	MaskOnly bool `mapstructure:"mask_only"`

	// Detectors configures the built-in detectors.
	Detectors DetectorsConfig `mapstructure:"detectors"`

	// KeyRules are evaluated before detection, first match wins; user rules come before the defaults.
	KeyRules []KeyRule `mapstructure:"key_rules"`

	// DefaultKeyRules enables the documented default key rules (appended after KeyRules).
	DefaultKeyRules bool `mapstructure:"default_key_rules"`

	// Patterns are user-defined RE2 patterns, run after the built-in detectors.
	Patterns []PatternConfig `mapstructure:"patterns"`

	// URLKeys are attribute keys whose whole value is parsed as a URL (or a path, or a query string for `url.query`).
	URLKeys []string `mapstructure:"url_keys"`

	// SpanName says what replaces a finding in a span name: `redact` (placeholder such as {email}, keeps
	// span names low-cardinality; default) or `detector` (the detector's own action).
	SpanName string `mapstructure:"span_name"`

	// Metrics configures metric attributes (resource, scope, data point and exemplar attributes of metrics).
	Metrics MetricsConfig `mapstructure:"metrics"`

	// Marker configures the attribute set on records where something was scrubbed.
	Marker MarkerConfig `mapstructure:"marker"`

	// FailClosed drops (and counts) a record that cannot be processed instead of exporting it raw.
	FailClosed bool `mapstructure:"fail_closed"`

	// Limits bounds the work done per value.
	Limits LimitsConfig `mapstructure:"limits"`
}

// KeyConfig says where the secret key comes from. The key itself is never written in the configuration.
type KeyConfig struct {
	// File is a path to a file holding the key as hex or base64 text (at least 32 bytes once decoded).
	File string `mapstructure:"file"`
	// Env is the name of an environment variable holding the key as hex or base64 text.
	Env string `mapstructure:"env"`
	// KeysetFile is a path to a JSON keyset with one key per UTC day (see README); deleting a day's key makes
	// that day's pseudonyms permanently unlinkable.
	KeysetFile string `mapstructure:"keyset_file"`
	// ID is the key id stamped into every pseudonym ([A-Za-z0-9_]{1,16}). Default: derived from the key.
	ID string `mapstructure:"id"`
	// Rotation is `none` (default) or `daily` (HKDF day keys from the record's timestamp). A keyset is always daily.
	Rotation Rotation `mapstructure:"rotation"`
	// ReloadInterval is how often the key file or keyset file is checked for changes. 0 disables reloading.
	ReloadInterval time.Duration `mapstructure:"reload_interval"`
}

// DetectorsConfig configures each built-in detector. Unknown detector names are rejected when the config is read.
type DetectorsConfig struct {
	Email     DetectorConfig  `mapstructure:"email"`
	Card      DetectorConfig  `mapstructure:"card"`
	SSN       DetectorConfig  `mapstructure:"ssn"`
	IP        IPConfig        `mapstructure:"ip"`
	IBAN      DetectorConfig  `mapstructure:"iban"`
	Phone     PhoneConfig     `mapstructure:"phone"`
	JWT       DetectorConfig  `mapstructure:"jwt"`
	Auth      DetectorConfig  `mapstructure:"auth"`
	URLSecret URLSecretConfig `mapstructure:"url_secret"`
}

// DetectorConfig is the common part of every detector's configuration.
type DetectorConfig struct {
	Enabled bool   `mapstructure:"enabled"`
	Action  Action `mapstructure:"action"`
}

// IPConfig configures the IPv4/IPv6 detector.
type IPConfig struct {
	DetectorConfig `mapstructure:",squash"`
	// MaskPrefixV4 is the number of leading bits an IPv4 address keeps under `mask` (default 24: 192.0.2.0/24).
	MaskPrefixV4 int `mapstructure:"mask_prefix_v4"`
	// MaskPrefixV6 is the number of leading bits an IPv6 address keeps under `mask` (default 48).
	MaskPrefixV6 int `mapstructure:"mask_prefix_v6"`
	// SkipPrivate leaves private, loopback, link-local and unspecified addresses alone.
	SkipPrivate bool `mapstructure:"skip_private"`
}

// PhoneConfig configures the phone detector.
type PhoneConfig struct {
	DetectorConfig `mapstructure:",squash"`
	// ContextWords allow national formats (no leading +) when one of them appears shortly before the number.
	ContextWords []string `mapstructure:"context_words"`
}

// URLSecretConfig configures secrets in URL query values and URL userinfo.
type URLSecretConfig struct {
	DetectorConfig `mapstructure:",squash"`
	// QueryKeys are query parameter names (case-insensitive; also matched as a `_`/`-` suffix) whose values are secrets.
	QueryKeys []string `mapstructure:"query_keys"`
}

// KeyRule applies an action to attributes (and nested map entries) by key.
type KeyRule struct {
	// Keys are exact keys or globs (`*` any run of characters, `?` one character).
	Keys []string `mapstructure:"keys"`
	// Action is delete, hash, mask, redact or keep.
	Action Action `mapstructure:"action"`
	// Entity is the entity type used for the pseudonym domain and for telemetry (default `key_rule`).
	Entity string `mapstructure:"entity"`
}

// PatternConfig is a user-defined RE2 pattern.
type PatternConfig struct {
	// Name is the entity type of the findings ([a-z0-9_]+).
	Name string `mapstructure:"name"`
	// Regex is an RE2 pattern; one that can match the empty string or compiles to more than MaxProgramSize
	// instructions is refused at start-up.
	Regex string `mapstructure:"regex"`
	// Action is hash, mask or redact.
	Action Action `mapstructure:"action"`
	// Keys optionally restricts the pattern to attributes whose key matches one of these exact keys or globs.
	// Empty means every scanned string (attributes, bodies, names, messages).
	Keys []string `mapstructure:"keys"`
}

// MetricsConfig configures what happens to metric attributes that hold personal data.
type MetricsConfig struct {
	// Action replaces hash and mask for attributes of metrics: delete (default), hash, mask or redact.
	Action Action `mapstructure:"action"`
}

// MarkerConfig configures the marker attribute.
type MarkerConfig struct {
	// Attribute is set to true on each span and log record in which something was scrubbed.
	// Empty disables the marker.
	Attribute string `mapstructure:"attribute"`
	// DataPoints sets the marker on metric data points too. Off by default: on a data point the marker
	// becomes one more Prometheus label, which splits the series and changes its identity.
	DataPoints bool `mapstructure:"data_points"`
}

// LimitsConfig bounds the work per value.
type LimitsConfig struct {
	// MaxValueBytes is the largest string scanned; a larger one is a processing error (see fail_closed).
	// Must be positive; default 4 MiB.
	MaxValueBytes int `mapstructure:"max_value_bytes"`
	// MaxDepth is the deepest nesting of maps and lists walked; deeper is a processing error. Must be
	// positive; default 64.
	MaxDepth int `mapstructure:"max_depth"`
}

// Default limits (createDefaultConfig).
const (
	defaultMaxValueBytes = 4 << 20
	defaultMaxDepth      = 64
)

// MaxProgramSize is the largest compiled RE2 program (instructions) accepted for a user pattern.
const MaxProgramSize = 2000

var (
	_ component.Config = (*Config)(nil)

	keyIDRe      = regexp.MustCompile(`^[A-Za-z0-9_]{1,16}$`)
	entityNameRe = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)
)

// Validation follows the collector's convention: each nested struct validates its own fields, and
// confmap.Validate (which the collector calls on start-up) prefixes each message with the struct's key path,
// e.g. "detectors: email::action: unknown action ...". Messages name the offending key relative to the struct,
// then the problem. Config.Validate keeps only the checks that span several sections.

// Validate checks what spans sections: a key source against mask_only, pattern names used twice, span_name.
func (cfg *Config) Validate() error {
	var errs []error
	sources := cfg.Key.sources()
	switch {
	case cfg.MaskOnly && sources > 0:
		errs = append(errs, errors.New("key: mask_only is true, so no key source (file, env, keyset_file) may be set"))
	case !cfg.MaskOnly && sources == 0:
		errs = append(errs, errors.New("key: no pseudonymisation key configured: set one of file, env or keyset_file (the key is never written inline), or set mask_only: true to run without pseudonyms"))
	}
	seen := map[string]bool{}
	for i, p := range cfg.Patterns {
		if seen[p.Name] {
			errs = append(errs, fmt.Errorf("patterns::%d: name: %q is used twice", i, p.Name))
		}
		seen[p.Name] = true
	}
	switch cfg.SpanName {
	case "", "redact", "detector":
	default:
		errs = append(errs, fmt.Errorf("span_name: unknown mode %q (want redact or detector)", cfg.SpanName))
	}
	return errors.Join(errs...)
}

func (k *KeyConfig) sources() int {
	n := 0
	for _, s := range []string{k.File, k.Env, k.KeysetFile} {
		if s != "" {
			n++
		}
	}
	return n
}

// Validate checks the key id, the rotation and that at most one key source is set.
func (k *KeyConfig) Validate() error {
	var errs []error
	if k.sources() > 1 {
		errs = append(errs, errors.New("set only one of file, env and keyset_file"))
	}
	if k.ID != "" && !keyIDRe.MatchString(k.ID) {
		errs = append(errs, fmt.Errorf("id: %q must match [A-Za-z0-9_]{1,16}", k.ID))
	}
	switch k.Rotation {
	case "", RotationNone, RotationDaily:
	default:
		errs = append(errs, fmt.Errorf("rotation: unknown rotation %q (want none or daily)", k.Rotation))
	}
	if k.KeysetFile != "" && k.Rotation == RotationNone {
		errs = append(errs, errors.New("rotation: a keyset_file holds one key per day, so rotation must be daily (or unset)"))
	}
	if k.ReloadInterval < 0 {
		errs = append(errs, errors.New("reload_interval: must not be negative"))
	}
	return errors.Join(errs...)
}

// Validate checks every detector's action and the options of ip, phone and url_secret.
func (d *DetectorsConfig) Validate() error {
	var errs []error
	for _, dc := range []struct {
		name string
		cfg  DetectorConfig
	}{
		{"email", d.Email}, {"card", d.Card}, {"ssn", d.SSN}, {"ip", d.IP.DetectorConfig}, {"iban", d.IBAN},
		{"phone", d.Phone.DetectorConfig}, {"jwt", d.JWT}, {"auth", d.Auth}, {"url_secret", d.URLSecret.DetectorConfig},
	} {
		if err := checkAction(dc.cfg.Action, ActionHash, ActionMask, ActionRedact); err != nil {
			errs = append(errs, fmt.Errorf("%s::action: %w", dc.name, err))
		}
	}
	if d.IP.MaskPrefixV4 < 0 || d.IP.MaskPrefixV4 > 32 {
		errs = append(errs, fmt.Errorf("ip::mask_prefix_v4: %d is not in 0..32", d.IP.MaskPrefixV4))
	}
	if d.IP.MaskPrefixV6 < 0 || d.IP.MaskPrefixV6 > 128 {
		errs = append(errs, fmt.Errorf("ip::mask_prefix_v6: %d is not in 0..128", d.IP.MaskPrefixV6))
	}
	for i, w := range d.Phone.ContextWords {
		if strings.TrimSpace(w) == "" {
			errs = append(errs, fmt.Errorf("phone::context_words::%d: empty word", i))
		}
	}
	for i, q := range d.URLSecret.QueryKeys {
		if strings.TrimSpace(q) == "" {
			errs = append(errs, fmt.Errorf("url_secret::query_keys::%d: empty key", i))
		}
	}
	return errors.Join(errs...)
}

// Validate checks one key rule: keys, action and entity name.
func (r *KeyRule) Validate() error {
	var errs []error
	if len(r.Keys) == 0 {
		errs = append(errs, errors.New("keys: at least one key or glob is required"))
	}
	for j, key := range r.Keys {
		if key == "" {
			errs = append(errs, fmt.Errorf("keys::%d: empty key", j))
		}
	}
	if r.Action == "" {
		errs = append(errs, errors.New("action: an action is required (delete, hash, mask, redact or keep)"))
	} else if err := checkAction(r.Action, ActionDelete, ActionHash, ActionMask, ActionRedact, ActionKeep); err != nil {
		errs = append(errs, fmt.Errorf("action: %w", err))
	}
	if r.Entity != "" && !entityNameRe.MatchString(r.Entity) {
		errs = append(errs, fmt.Errorf("entity: %q must match [a-z0-9_]{1,32}", r.Entity))
	}
	return errors.Join(errs...)
}

// Validate checks one pattern: its name, its action and that its regex compiles within the limits.
func (p *PatternConfig) Validate() error {
	var errs []error
	if !entityNameRe.MatchString(p.Name) {
		errs = append(errs, fmt.Errorf("name: %q must match [a-z0-9_]{1,32}", p.Name))
	}
	if err := checkAction(p.Action, ActionHash, ActionMask, ActionRedact); err != nil {
		errs = append(errs, fmt.Errorf("action: %w", err))
	}
	if _, err := compilePattern(p.Regex); err != nil {
		errs = append(errs, fmt.Errorf("regex (%s): %w", p.Name, err))
	}
	return errors.Join(errs...)
}

// Validate checks the action for metric attributes.
func (m *MetricsConfig) Validate() error {
	if err := checkAction(m.Action, ActionDelete, ActionHash, ActionMask, ActionRedact); err != nil {
		return fmt.Errorf("action: %w", err)
	}
	return nil
}

// Validate rejects limits that are not positive. 0 is not "unlimited" nor "default": it would make every
// value too large (or every map too deep) and, with fail_closed, drop every record. The defaults are in
// createDefaultConfig.
func (l *LimitsConfig) Validate() error {
	var errs []error
	if l.MaxValueBytes <= 0 {
		errs = append(errs, fmt.Errorf("max_value_bytes: must be a positive number of bytes, got %d (default %d)", l.MaxValueBytes, defaultMaxValueBytes))
	}
	if l.MaxDepth <= 0 {
		errs = append(errs, fmt.Errorf("max_depth: must be a positive nesting depth, got %d (default %d)", l.MaxDepth, defaultMaxDepth))
	}
	return errors.Join(errs...)
}

func checkAction(a Action, allowed ...Action) error {
	if a == "" {
		return nil
	}
	names := make([]string, len(allowed))
	for i, x := range allowed {
		if a == x {
			return nil
		}
		names[i] = string(x)
	}
	return fmt.Errorf("unknown action %q (want one of %s)", a, strings.Join(names, ", "))
}
