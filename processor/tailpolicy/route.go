// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
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
