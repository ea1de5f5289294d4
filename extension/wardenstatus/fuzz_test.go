package wardenstatus

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
)

func FuzzRedactString(f *testing.F) {
	for _, s := range append([]string{"http.route", "/api/{id}", "hash:0a1b2c3d", ""}, canaries...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := redactString(s)
		if out != s && !statusapi.IsHashedName(out) {
			t.Fatalf("redactString(%q) = %q: neither verbatim nor hashed", s, out)
		}
		if redactString(out) != out {
			t.Fatalf("redactString is not idempotent on %q", out)
		}
		if out == s && (strings.ContainsAny(s, "@<>\"'&") || len(s) > maxPlainLen) {
			t.Fatalf("%q shown verbatim", s)
		}
	})
}

func FuzzParseTraceID(f *testing.F) {
	f.Add("0102030405060708090a0b0c0d0e0f10")
	f.Add("00000000000000000000000000000000")
	f.Add("jane@example.com")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := parseTraceID(s)
		if err != nil {
			if len(s) >= 12 && strings.Contains(err.Error(), s) {
				t.Fatalf("error %q repeats the input", err)
			}
			return
		}
		if id.IsEmpty() || !strings.EqualFold(hex.EncodeToString(id[:]), s) {
			t.Fatalf("parseTraceID(%q) = %x", s, id)
		}
	})
}
