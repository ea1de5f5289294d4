package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import (
	"crypto/sha256"
	"encoding/hex"
)

// Names taken from the data (label keys, metric names, scope values) can carry personal data
// (a key like user_jane@example.com_count). Logs, the report and self-metric attributes show
// such a name verbatim only if it is named in the configuration or is safe (safeName);
// otherwise as a stable short hash, "hash:" and 8 hex digits of its SHA-256, so one offender
// can still be followed across reports and restarts.

const redactedPrefix = "hash:"

// safeName reports whether s matches ^[A-Za-z_][A-Za-z0-9_.]{0,63}$ and has no run of 4 or
// more digits (ids, phone numbers, timestamps).
func safeName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if i == 0 {
				return false
			}
			if digits++; digits >= 4 {
				return false
			}
			continue
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case c == '.' && i > 0:
		default:
			return false
		}
		digits = 0
	}
	return true
}

// hashedName is the redacted form of a name.
func hashedName(s string) string {
	sum := sha256.Sum256([]byte(s))
	return redactedPrefix + hex.EncodeToString(sum[:4])
}

// reportable returns s verbatim when it is named in the configuration or safe, else its hash.
func reportable(s string, named map[string]struct{}) string {
	if _, ok := named[s]; ok || safeName(s) {
		return s
	}
	return hashedName(s)
}

// configuredNames collects the names the configuration spells out: label keys of the deny
// (built-in included), allow, exclude and normalize lists, metric names of the rules, scope
// attributes and the resource values rules match on. They may be reported verbatim.
func configuredNames(cfg *Config, policies []*policy) map[string]struct{} {
	named := map[string]struct{}{}
	add := func(ss ...string) {
		for _, s := range ss {
			named[s] = struct{}{}
		}
	}
	for _, p := range policies {
		for k := range p.deny {
			add(k)
		}
		for k := range p.exclude {
			add(k)
		}
		for k := range p.normalize {
			add(k)
		}
	}
	add(cfg.AllowLabels...)
	add(cfg.Scope.ResourceAttributes...)
	for i := range cfg.Rules {
		r := &cfg.Rules[i]
		add(r.AllowLabels...)
		add(r.Metrics...)
		for k, v := range r.Resource {
			add(k, v)
		}
	}
	return named
}
