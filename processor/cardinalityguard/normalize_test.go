package cardinalityguard

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestErrorClass(t *testing.T) {
	tests := []struct{ in, want string }{
		{"connection refused", "connection refused"},
		{"user 8812 not found", "user {id} not found"},
		{`user "alice@example.com" locked`, `user "{}" locked`},
		{"dial tcp 10.0.0.1:5432: i/o timeout", "dial tcp {id}: i/o timeout"},
		{"timeout after 30s (attempt 3)", "timeout after {id} (attempt {id})"},
		{"mail bob@example.com bounced", "mail {id} bounced"},
		{`unterminated 'quote`, `unterminated '{}'`},
		{`already "{}" classed`, `already "{}" classed`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := errorClass(tt.in)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, got, errorClass(got), "idempotent")
		})
	}
	long := errorClass(strings.Repeat("x", 500))
	assert.Len(t, long, maxErrorClassLen)
}

func TestErrorClassUnchangedDoesNotAllocate(t *testing.T) {
	msg := "connection refused by upstream"
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = errorClass(msg) }))
}

func TestTemplateNormalizer(t *testing.T) {
	n := templateNormalizer([]TemplateConfig{
		{Regex: `/shop/([a-z]+)/item-\d+`, Replacement: "/shop/$1/item-{id}"},
		{Regex: `tenant-\w+`, Replacement: "tenant-{name}"},
	})
	assert.Equal(t, "/shop/books/item-{id}", n("/shop/books/item-991"))
	assert.Equal(t, "tenant-{name}", n("tenant-acme"))
	assert.Equal(t, "/other", n("/other"))
}

func FuzzErrorClass(f *testing.F) {
	for _, s := range []string{"user 1 not found", `a "b" c`, "'", "x@y", strings.Repeat("9 ", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := errorClass(in)
		if len(out) > maxErrorClassLen {
			t.Fatalf("errorClass(%q) longer than the cap: %d", in, len(out))
		}
		if strings.ContainsAny(out, "0123456789@") {
			t.Fatalf("errorClass(%q) = %q still carries digits or @", in, out)
		}
	})
}
