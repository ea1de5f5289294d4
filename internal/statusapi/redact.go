package statusapi // import "github.com/otelcol-warden/otelcol-warden/internal/statusapi"

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/otelcol-warden/otelcol-warden/internal/urlpath"
)

// The same rule as cardinality_guard's report (processor/cardinalityguard/reportnames.go uses it), so a name
// hashed by either shows the same "hash:" form and can be followed across both.

const hashPrefix = "hash:"

// SafeName reports whether s matches ^[A-Za-z_][A-Za-z0-9_.-]{0,63}$, has no run of 4 or more
// digits (ids, phone numbers, timestamps) and, if it has a '-', is not an identifier by
// urlpath's rules (a UUID). '-' is allowed because service, team and namespace names use it
// ("checkout-api") as often as '_', which never made a name less safe.
func SafeName(s string) bool {
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
		case (c == '.' || c == '-') && i > 0:
		default:
			return false
		}
		digits = 0
	}
	return !strings.Contains(s, "-") || urlpath.Normalize(s) == s
}

// HashedName is the redacted form of s: "hash:" and 8 hex digits of its SHA-256.
func HashedName(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hashPrefix + hex.EncodeToString(sum[:4])
}

// IsHashedName reports whether s is already in HashedName's form.
func IsHashedName(s string) bool {
	if len(s) != len(hashPrefix)+8 || s[:len(hashPrefix)] != hashPrefix {
		return false
	}
	for i := len(hashPrefix); i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ReportName returns a name taken from the data verbatim when configured lists it, it is a safe
// name or a safe route template (SafeRoute), else its hash.
func ReportName(s string, configured map[string]struct{}) string {
	if _, ok := configured[s]; ok || SafeName(s) || SafeRoute(s) || IsHashedName(s) {
		return s
	}
	return HashedName(s)
}
