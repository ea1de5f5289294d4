package statusapi // import "github.com/otelcol-warden/otelcol-warden/internal/statusapi"

import (
	"strings"

	"github.com/otelcol-warden/otelcol-warden/internal/urlpath"
)

// Route templates ("/api/users/{id}", "GET /orders/{id}", "/static/*") name what a service
// does, not whom it served, but SafeName rejects them for their '/' and '{'. SafeRoute lets
// them through by shape: every segment is a placeholder or a word that urlpath.Normalize (the
// normaliser cardinality_guard and tail_policy share) would not replace, so ids, numbers,
// hex ids, UUIDs, e-mail addresses, IPs and opaque tokens are not routes and stay hashed.
// Hand-written: it reuses urlpath's detectors segment by segment, which no regex could.

const (
	maxRouteLen   = 128
	maxRouteWords = 8
)

// SafeRoute reports whether s is a route template that carries no value from the data: at most
// 128 bytes and 8 space-separated words, at least one '/' or "{...}" placeholder, no '@', no
// run of 4 digits, no pii_scrub pseudonym, and every segment a placeholder ({name}, :name, *,
// <*>) or a word of [A-Za-z0-9._~-] that urlpath does not see as an identifier.
func SafeRoute(s string) bool {
	if len(s) == 0 || len(s) > maxRouteLen || !strings.ContainsAny(s, "/{") ||
		strings.ContainsAny(s, "@\t\r\n") || strings.Contains(s, "pii:") || hasDigitRun(s, 4) {
		return false
	}
	words := strings.Split(s, " ")
	if len(words) > maxRouteWords {
		return false
	}
	for _, w := range words {
		for _, seg := range strings.Split(w, "/") {
			if !safeRouteSegment(seg) {
				return false
			}
		}
	}
	return true
}

func safeRouteSegment(seg string) bool {
	switch {
	case seg == "", seg == "*", seg == "<*>":
		return true
	case len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}':
		return SafeName(seg[1 : len(seg)-1])
	case len(seg) > 1 && seg[0] == ':':
		return SafeName(seg[1:])
	}
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._~-", c) >= 0) {
			return false
		}
	}
	return urlpath.Normalize(seg) == seg
}

func hasDigitRun(s string, n int) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			if run++; run >= n {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}
