package logreduce // import "github.com/otelcol-warden/otelcol-warden/processor/logreduce"

import (
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// message returns the record's message: a string body, or for a map body the first of keys that
// holds a string.
func message(lr plog.LogRecord, keys []string) (string, bool) {
	body := lr.Body()
	switch body.Type() {
	case pcommon.ValueTypeStr:
		return body.Str(), true
	case pcommon.ValueTypeMap:
		m := body.Map()
		for _, k := range keys {
			if v, ok := m.Get(k); ok && v.Type() == pcommon.ValueTypeStr {
				return v.Str(), true
			}
		}
	}
	return "", false
}

// truncate cuts msg to at most n bytes on a rune boundary.
func truncate(msg string, n int) (string, bool) {
	if len(msg) <= n {
		return msg, false
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut], true
}

// recordBytes is what a record weighs in log_reduce's byte counts: its message plus its attribute
// keys and string values (what a log store indexes and bills), not its encoded size.
func recordBytes(lr plog.LogRecord, msg string) int64 {
	n := int64(len(msg))
	for k, v := range lr.Attributes().All() {
		n += int64(len(k))
		if v.Type() == pcommon.ValueTypeStr {
			n += int64(len(v.Str()))
		}
	}
	return n
}

// severity returns the record's severity number, from its text when the number is unset.
func severity(lr plog.LogRecord) plog.SeverityNumber {
	if n := lr.SeverityNumber(); n != plog.SeverityNumberUnspecified {
		return n
	}
	t := lr.SeverityText()
	if t == "" {
		return plog.SeverityNumberUnspecified
	}
	switch strings.ToUpper(t) {
	case "TRACE":
		return plog.SeverityNumberTrace
	case "DEBUG":
		return plog.SeverityNumberDebug
	case "INFO", "INFORMATION", "NOTICE":
		return plog.SeverityNumberInfo
	case "WARN", "WARNING":
		return plog.SeverityNumberWarn
	case "ERROR", "ERR":
		return plog.SeverityNumberError
	case "FATAL", "CRITICAL", "CRIT", "ALERT", "EMERGENCY", "EMERG", "PANIC":
		return plog.SeverityNumberFatal
	}
	return plog.SeverityNumberUnspecified
}

// timestamp is the record's time: its timestamp, else its observed timestamp, else now.
func timestamp(lr plog.LogRecord, now pcommon.Timestamp) pcommon.Timestamp {
	if ts := lr.Timestamp(); ts != 0 {
		return ts
	}
	if ts := lr.ObservedTimestamp(); ts != 0 {
		return ts
	}
	return now
}
