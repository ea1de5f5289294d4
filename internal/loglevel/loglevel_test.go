// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package loglevel

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/plog"
)

func TestLowest(t *testing.T) {
	for name, want := range map[string]plog.SeverityNumber{
		"trace": plog.SeverityNumberTrace, "DEBUG": plog.SeverityNumberDebug, "Info": plog.SeverityNumberInfo,
		"WARN": plog.SeverityNumberWarn, "warning": plog.SeverityNumberWarn, "ERROR": plog.SeverityNumberError,
		"fatal": plog.SeverityNumberFatal,
	} {
		got, ok := Lowest(name)
		assert.True(t, ok, name)
		assert.Equal(t, want, got, name)
	}
	for _, name := range []string{"", "WARN4", "critical", "5"} {
		_, ok := Lowest(name)
		assert.False(t, ok, name)
	}
}
