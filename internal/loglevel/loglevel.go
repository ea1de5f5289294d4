// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

// Package loglevel reads the severity names our configs use (keep_severity of log_reduce and
// usage_meter), so both components understand the same names the same way.
package loglevel // import "github.com/otelcol-warden/otelcol-warden/internal/loglevel"

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/plog"
)

// Lowest maps a level name (TRACE, DEBUG, INFO, WARN or WARNING, ERROR, FATAL; any case) to the
// lowest OTel severity number of that level's range.
func Lowest(name string) (plog.SeverityNumber, bool) {
	switch strings.ToUpper(name) {
	case "TRACE":
		return plog.SeverityNumberTrace, true
	case "DEBUG":
		return plog.SeverityNumberDebug, true
	case "INFO":
		return plog.SeverityNumberInfo, true
	case "WARN", "WARNING":
		return plog.SeverityNumberWarn, true
	case "ERROR":
		return plog.SeverityNumberError, true
	case "FATAL":
		return plog.SeverityNumberFatal, true
	}
	return 0, false
}
