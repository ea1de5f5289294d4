package logreduce

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// canaries are personal data planted in messages; none may reach the collector's own log.
var canaries = []string{
	"jane.doe@example.com", "Jane", "Doe", "+44 20 7946 0958", "4111111111111111", "DE89370400440532013000",
	"203.0.113.77", "ThomasMueller", "pii:email:k1:abcdefghijklmnopqrstuvwxyz",
}

func canaryStream() []rec {
	var recs []rec
	for i := 0; i < 50; i++ {
		for _, m := range []string{
			"password reset requested by jane.doe@example.com from 203.0.113.77",
			"payment by card 4111111111111111 for Jane Doe declined, call +44 20 7946 0958",
			"transfer to DE89370400440532013000 queued for ThomasMueller",
			"user pii:email:k1:abcdefghijklmnopqrstuvwxyz logged in",
			fmt.Sprintf("cache miss for key product:%d", i),
		} {
			recs = append(recs, rec{service: "checkout", msg: m, sev: plog.SeverityNumberInfo})
		}
	}
	return recs
}

// TestReportHasNoPersonalData: the periodic report names templates only in a shape without
// values, even when the same personal data repeats in every record of a template (so Drain keeps
// it as a constant). The variant with pii_scrub in front is tests/e2e/logreduce_test.go.
func TestReportHasNoPersonalData(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	tr := newTestReducer(t, nil)
	tr.logger = zap.New(core)
	tr.consume(t, logsOf(canaryStream()...))
	tr.writeReport()

	entries := logs.FilterMessageSnippet("log_reduce report").All()
	require.Len(t, entries, 1)
	text := fmt.Sprint(entries[0].ContextMap())
	for _, c := range canaries {
		assert.NotContains(t, text, c)
	}
	for _, part := range strings.Fields("+44 7946 0958 4111 example.com") {
		assert.NotContains(t, text, part)
	}
	assert.Contains(t, text, "cache miss for key product:<*>", "harmless templates stay readable")
	assert.Contains(t, text, "suppressed:235")
	// Counters restart after each report.
	rep := tr.buildReport()
	require.Len(t, rep, 1)
	assert.Zero(t, rep[0].Suppressed)
}

func TestReportWithoutShapes(t *testing.T) {
	tr := newTestReducer(t, func(c *Config) { c.Report.Shapes = "none" })
	tr.consume(t, logsOf(canaryStream()...))
	rep := tr.buildReport()
	require.Len(t, rep, 1)
	require.NotEmpty(t, rep[0].TopBySuppressed)
	for _, tpl := range rep[0].TopBySuppressed {
		assert.Empty(t, tpl.Shape)
		assert.Len(t, tpl.ID, 8)
	}
}

func TestReportShape(t *testing.T) {
	tests := []struct{ tokens, want string }{
		{"Payment for Jane Doe declined", "Payment for <?> <?> declined"},
		{"user=<*> logged in", "user=<*> logged in"},
		{"session opened for user alice", "session opened for user alice"}, // the documented limit: a lower-case word
		{"client WindowsUpdateAgent initialized", "client <?> initialized"},
		{"call ext. 12", "call ext. <?>"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, reportShape(strings.Fields(tt.tokens)))
	}
}
