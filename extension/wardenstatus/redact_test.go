package wardenstatus

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
)

func TestPlainString(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"http.route", true},
		{"/api/users/{id}", true},
		{"file/traces", true},
		{"over_budget", true},
		{"errors and slow routes", true},
		{"p95", true},
		{"hash:1a2b3c4d", true},
		{"jane.doe@example.com", false},
		{"10.1.2.3", false},
		{"2001:db8::1", false},
		{"4111111111111111", false},
		{"4111 1111 1111 1111", false},
		{"+1 555 0100", false},
		{"2026-12-01T10:00:00Z", false},
		{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", false},
		{"sk_live_51H8abcdEFGHijklMNOP", false},
		{"ghp_a1b2c3d4e5f6g7h8i9j0k1l2", false},
		{strings.Repeat("a", 97), false},
		{"DE89 3704 0044 0532 0130 00", false},
		{"name<script>", false},
		{"password reset requested by <*> from <*>", true},
		{"service.namespace=shop,service.name=checkout", true},
		{"cache miss for key <*> <b>", false},
		{"user=jane.doe@example.com", false},
		{"order=1234567,service.name=checkout", false},
		{"pii:email:k1:abcdefghijklmnopqrstuvwxyz", false},
		{`user <?> logged in (session <*>) from "<*>"; retry [1/3]!`, true},
		{"GET /orders/{id}", true},
		{"login failed for jane.doe@example.com (<*>)", false},
		{"card <?> 4111 1111 1111 1111", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, plainString(tt.in), tt.in)
	}
}

func TestLogTemplateIDsAreShown(t *testing.T) {
	snap := map[string]any{"services": []any{map[string]any{
		"service":       "checkout",
		"top_templates": []any{map[string]any{"id": "85293f77", "shape": "cache miss for <*>", "suppressed": 7.0}},
	}}}
	got := redactValue(statusapi.KindLogs, "", snap).(map[string]any)
	svc := got["services"].([]any)[0].(map[string]any)
	tpl := svc["top_templates"].([]any)[0].(map[string]any)
	assert.Equal(t, "85293f77", tpl["id"])
	assert.Equal(t, "cache miss for <*>", tpl["shape"])
	for _, other := range []statusapi.Kind{statusapi.KindTail, statusapi.KindUsage} {
		m := redactValue(other, "", map[string]any{"id": "85293f77"}).(map[string]any)
		assert.Equal(t, statusapi.HashedName("85293f77"), m["id"], other)
	}
	for _, notAnID := range []string{"12345678901", "4111111111111111", "85293F77", "jane@exa"} {
		m := redactValue(statusapi.KindLogs, "", map[string]any{"id": notAnID}).(map[string]any)
		assert.NotEqual(t, notAnID, m["id"], notAnID)
	}
}

// canaries are personal data, keys, tokens and pseudonyms a careless provider might put into a
// snapshot (as keys and as values) or into a removal reason.
var canaries = []string{
	"jane.doe@example.com",
	"10.20.30.40",
	"4111111111111111",
	"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
	"sk_live_51H8abcdEFGHijklMNOP",
	"pii:email:local:abcdefghijklmnopqrstuvwxyz", // pii_scrub's pseudonym format
	"DE89370400440532013000",
	"+44 20 7946 0958",
}

func TestCanaryNeverServed(t *testing.T) {
	self := newSelfMetricsServer(t, exposition)
	f := start(t, func(c *Config) { c.SelfMetrics = SelfMetricsConfig{Enabled: true, Endpoint: self.endpoint()} }, nil)
	f.notifyConfig(t, tracesPipeline)
	leaky := statusapi.ProviderFunc(func() any {
		top := []map[string]any{}
		values := map[string]any{}
		for i, c := range canaries {
			top = append(top, map[string]any{"name": c, "series": i + 1})
			values[c] = c
		}
		return map[string]any{"top_label_values": top, "values": values, "route": "/api/users/{id}"}
	})
	for _, kind := range []statusapi.Kind{statusapi.KindCardinality, statusapi.KindTail, statusapi.KindPII, statusapi.KindUsage, statusapi.KindLogs} {
		f.ext.RegisterStatusProvider(component.MustNewID("leaky"), kind, leaky)
	}
	f.ext.RegisterStatusProvider(component.MustNewID("tail_policy"), statusapi.KindSummary, statusapi.ProviderFunc(func() any {
		var removed []statusapi.Removal
		for _, c := range canaries {
			removed = append(removed, statusapi.Removal{Reason: c, Items: 1})
		}
		return statusapi.Summary{Removed: removed}
	}))
	f.snapshot(60e9)

	var served []string
	for _, path := range []string{"/", "/api/v1/summary", "/api/v1/history", "/api/v1/cardinality", "/api/v1/tail", "/api/v1/pii", "/api/v1/usage", "/api/v1/logs", "/api/v1/tail_retention"} {
		code, body := get(t, f.base+path)
		assert.Equal(t, http.StatusOK, code, path)
		served = append(served, body)
		for _, c := range canaries {
			assert.NotContains(t, body, c, path)
			assert.NotContains(t, body, strings.ReplaceAll(c, "+", `\u002b`), path)
		}
	}
	all := strings.Join(served, "\n")
	assert.Contains(t, all, statusapi.HashedName("jane.doe@example.com"), "hashed like cardinality_guard's report")
	assert.Contains(t, all, "/api/users/{id}", "route templates stay readable")
}
