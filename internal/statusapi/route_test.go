package statusapi

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSafeRoute(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"/api/users/{id}", true},
		{"GET /orders/{id}", true},
		{"/users/:id/orders", true},
		{"/static/*", true},
		{"/v1/checkout", true},
		{"/", true},
		{"charge card {id}", true},
		{"/api/{user_id}/cart", true},
		{"checkout", false}, // a plain name is SafeName's
		{"jane doe", false},
		{"/users/jane.doe@example.com", false},
		{"/users/12345", false},
		{"/users/4111111111111111", false},
		{"/hosts/10.20.30.40", false},
		{"/hosts/2001:db8::1", false},
		{"/files/3fa85f64-5717-4562-b3fc-2c963f66afa6", false},
		{"/orders/9f1c2ab4", false}, // a hex id
		{"/s/sk_live_51H8abcdEFGHijklMNOP", false},
		{"/t/eyJhbGciOiJIUzI1NiJ9", false},
		{"/p/pii:email:local:abcdefghijklmnop", false},
		{"/q?email=jane", false},
		{"/{jane@example.com}", false},
		{"/a/<script>", false},
		{"/" + strings.Repeat("a", maxRouteLen), false},
		{"/a b c d e f g h i", false},
		{"/tab\there", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, SafeRoute(tt.in), tt.in)
	}
}

func TestReportNameKeepsRouteTemplates(t *testing.T) {
	assert.Equal(t, "/api/users/{id}", ReportName("/api/users/{id}", nil))
	assert.Equal(t, HashedName("/users/jane.doe@example.com"), ReportName("/users/jane.doe@example.com", nil))
}

func FuzzSafeRoute(f *testing.F) {
	for _, s := range []string{"/api/users/{id}", "GET /orders/{id}", "/users/jane@example.com", "/users/12345", "/t/:id/*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !SafeRoute(s) {
			return
		}
		if strings.ContainsAny(s, "@\n") || hasDigitRun(s, 4) || strings.Contains(s, "pii:") || len(s) > maxRouteLen {
			t.Fatalf("SafeRoute(%q) accepted a value", s)
		}
		if ReportName(s, nil) != s {
			t.Fatalf("ReportName(%q) hashed a safe route", s)
		}
	})
}
