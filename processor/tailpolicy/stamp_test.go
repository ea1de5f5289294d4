// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TestIncomingThresholdsAreNotMemoised: a span without tracestate in a trace
// whose client sent a stricter `th` is stamped with that `th`, formatted on the
// spot; the memoised tracestates stay those of the configuration, however many
// distinct thresholds clients send.
func TestIncomingThresholdsAreNotMemoised(t *testing.T) {
	h := newHarness(t, nil)
	memoised := len(h.p.eng.tvalues)
	for i := 1; i <= 300; i++ {
		tv := fmt.Sprintf("a%03x1", i)
		h.out = nil
		h.send(
			spanSpec{trace: traceID(uint16(i), keptRnd), id: 1, tstate: "ot=th:" + tv},
			spanSpec{trace: traceID(uint16(i), keptRnd), id: 2, parent: 1, err: true})
		kept := h.kept()
		require.Contains(t, kept, byte(2))
		assert.Equal(t, "ot=th:"+tv, kept[2].TraceState().AsRaw(), "the stricter incoming th")
	}
	assert.Equal(t, memoised, len(h.p.eng.tvalues))
	assert.Equal(t, "ot=th:0", h.p.eng.tvalues[h.p.eng.rules.rules[0].threshold])
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
