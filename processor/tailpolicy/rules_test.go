// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func TestSyntheticAndOTTLRules(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.Rules = append([]RuleConfig{{Name: "vip", Probability: probability(1), Condition: `attributes["customer.tier"] == "gold"`, Match: MatchRootSpan}}, c.Rules...)
	})
	h.send(spanSpec{trace: traceID(1, droppedRnd), id: 1, attrs: map[string]string{"user_agent.original": "Pingdom.com_bot"}})
	h.send(spanSpec{trace: traceID(2, droppedRnd), id: 2, attrs: map[string]string{"customer.tier": "gold"}})
	h.send(spanSpec{trace: traceID(3, droppedRnd), id: 3, parent: 9, attrs: map[string]string{"customer.tier": "gold"}})
	h.tick(30 * time.Second)
	kept := h.kept()
	assert.Equal(t, "synthetic", ruleOf(kept[1]))
	assert.Equal(t, "vip", ruleOf(kept[2]))
	assert.NotContains(t, kept, byte(3), "root_span match ignores child spans")
}

func TestRouteMatches(t *testing.T) {
	tests := []struct {
		route   string
		entries []string
		want    bool
	}{
		{"/api/auth/login", []string{"auth"}, true},
		{"/author", []string{"auth"}, false},
		{"/api/v1/checkout", []string{"checkout"}, true},
		{"/api/payments/{id}", []string{"/api/payments"}, true},
		{"/api/paymentsx", []string{"/api/payments"}, false},
		{"", []string{"auth"}, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, routeMatches(tt.route, tt.entries), "%s %v", tt.route, tt.entries)
	}
}

func TestRouteFallsBackToNormalisedPath(t *testing.T) {
	m := pcommon.NewMap()
	m.PutStr("url.path", "/users/12345/orders")
	assert.Equal(t, "/users/{id}/orders", routeOf(m))
	m.PutStr("http.route", "/users/:id/orders")
	assert.Equal(t, "/users/:id/orders", routeOf(m))
}

// TestRouteFromSpanNameIsNormalised: a root span without a route is keyed by
// its name, normalised (never raw ids or personal data) and bounded.
func TestRouteFromSpanNameIsNormalised(t *testing.T) {
	for name, want := range map[string]string{
		"GET /users/42?q=secret":            "GET /users/{id}",
		"/orders/9f1c2ab4e7d8":              "/orders/{id}",
		"charge card 4111111111111111":      "charge card {id}",
		"notify  jane.doe@example.com\tnow": "notify {id} now",
		"issue #42":                         "issue",
		"checkout.v1.Checkout/PlaceOrder":   "checkout.v1.Checkout/PlaceOrder",
		"process aZ3kP9qL2mN8xW4v":          "process {id}",
		strings.Repeat("é", 100):            strings.Repeat("é", 64),
	} {
		span := ptrace.NewSpan()
		span.SetName(name)
		key := rootKeyOf(spanRef{scope: &sourceScope{res: &sourceResource{service: "shop"}}, span: span})
		assert.Equal(t, want, key.route, name)
	}
}
