package wardenstatus // import "github.com/otelcol-warden/otelcol-warden/extension/wardenstatus"

import (
	"strings"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
)

// Providers are asked to pass names from the data through statusapi.ReportName. This is the
// second line of defence: every string and map key of a snapshot that does not look like a
// name, a route template or a short phrase is replaced by its hash before it is served, so an
// email, IP address, token, card number or pseudonym never appears verbatim. Hand-written
// because it must also accept route templates ("/api/{id}") and component ids ("file/traces"),
// which statusapi.SafeName rejects.

// maxPlainLen is the longest string shown verbatim.
const maxPlainLen = 96

// redactValue redacts v, a snapshot of kind decoded from JSON; key is the field v is the value
// of ("" for list elements and the top level).
func redactValue(kind statusapi.Kind, key string, v any) any {
	switch t := v.(type) {
	case string:
		if valueFreeField(kind, key, t) {
			return t
		}
		return redactString(t)
	case []any:
		for i := range t {
			t[i] = redactValue(kind, key, t[i])
		}
		return t
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			out[redactString(k)] = redactValue(kind, k, val)
		}
		return out
	default:
		return v
	}
}

// valueFreeField: fields a provider fills itself with something that cannot carry a value from
// the data although plainString rejects it. Only log_reduce's template "id" (the first 8 hex
// digits of the template's xxhash, processor/logreduce/report.go templateID), which would fail
// the 4-digit rule in about half the cases.
func valueFreeField(kind statusapi.Kind, key, s string) bool {
	if kind != statusapi.KindLogs || key != "id" || len(s) != 8 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) && (s[i] < 'a' || s[i] > 'f') {
			return false
		}
	}
	return true
}

func redactString(s string) string {
	if plainString(s) {
		return s
	}
	return statusapi.HashedName(s)
}

// plainString reports whether s may be shown: already hashed, or at most maxPlainLen of letters,
// digits, space and _ . / { } - : * = , ; ( ) [ ] ' " ! ? with no run of 4 digits (ids, card and
// phone numbers, timestamps), no dotted number (IP addresses), no "::" (IPv6), no long mixed
// token (keys), no pii_scrub pseudonym. log_reduce's placeholders "<*>" (a variable) and "<?>"
// (a token it withheld) count as "*", so template shapes with their punctuation are shown; "="
// and "," let cardinality_guard's scopes (key=value pairs whose values it already redacted)
// through. "@" never passes, so neither does an e-mail address.
func plainString(s string) bool {
	if statusapi.IsHashedName(s) {
		return true
	}
	s = strings.NewReplacer("<*>", "*", "<?>", "*").Replace(s)
	// "pii:" starts pii_scrub's pseudonyms (pii:<type>:<keyid>:<base32>).
	if len(s) > maxPlainLen || strings.Contains(s, "::") || strings.Contains(s, "pii:") {
		return false
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if digits++; digits >= 4 {
				return false
			}
			continue
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c == '.':
			if i > 0 && i+1 < len(s) && isDigit(s[i-1]) && isDigit(s[i+1]) {
				return false
			}
		case strings.IndexByte(" _/{}-:*=,;()[]'\"!?", c) >= 0:
		default:
			return false
		}
		digits = 0
	}
	for _, word := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(" /.:", r) }) {
		if looksLikeToken(word) {
			return false
		}
	}
	return true
}

// looksLikeToken: 20 or more characters mixing letters and digits (API keys, session ids, JWT parts).
func looksLikeToken(w string) bool {
	if len(w) < 20 {
		return false
	}
	var letters, digits bool
	for i := 0; i < len(w); i++ {
		letters = letters || (w[i] >= 'a' && w[i] <= 'z') || (w[i] >= 'A' && w[i] <= 'Z')
		digits = digits || isDigit(w[i])
	}
	return letters && digits
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
