// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-warden/otelcol-warden/internal/urlpath"
)

// routeOf returns http.route, else the normalised url.path (or legacy
// http.target), else "". The normaliser is shared with cardinality_guard so both
// components name routes the same way.
func routeOf(attrs pcommon.Map) string {
	if v, ok := attrs.Get("http.route"); ok && v.Type() == pcommon.ValueTypeStr && v.Str() != "" {
		return v.Str()
	}
	for _, key := range [...]string{"url.path", "http.target"} {
		if v, ok := attrs.Get(key); ok && v.Type() == pcommon.ValueTypeStr && v.Str() != "" {
			return urlpath.Normalize(v.Str())
		}
	}
	return ""
}

// maxNameRouteLen bounds a route taken from a span name.
const maxNameRouteLen = 128

// nameRoute is the baseline route of a root span without http.route, url.path
// or http.target: its name, never raw. The name is normalised word by word
// with the same normaliser (ids, numbers, dates, addresses, emails and opaque
// tokens become {id}, a query string is cut: "GET /users/42?q=x" becomes
// "GET /users/{id}", "charge card 4111111111111111" becomes "charge card {id}")
// and cut to 128 bytes, so that neither ids nor personal data reach the
// baseline keys, the baseline log and the route metric attribute, while
// gRPC, messaging and job roots keep a baseline per operation. The baseline's
// max_routes still bounds the number of keys.
func nameRoute(name string) string {
	if !strings.ContainsAny(name, " \t\n\r") {
		return truncateRoute(urlpath.Normalize(name))
	}
	words := strings.Fields(name)
	n := 0
	for _, w := range words {
		if w = urlpath.Normalize(w); w != "" { // "#42" has nothing left
			words[n] = w
			n++
		}
	}
	return truncateRoute(strings.Join(words[:n], " "))
}

func truncateRoute(r string) string {
	if len(r) <= maxNameRouteLen {
		return r
	}
	i := maxNameRouteLen
	for i > 0 && r[i]&0xC0 == 0x80 { // cut before a rune, not inside one
		i--
	}
	return r[:i]
}
