// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tenantid

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Reason
	}{
		{"plain", "payments", OK},
		{"every allowed punctuation", "a!-_.*'()z", OK},
		{"digits and capitals", "Team-42", OK},
		{"longest", strings.Repeat("a", MaxLength), OK},
		{"empty", "", Empty},
		{"too long", strings.Repeat("a", MaxLength+1), TooLong},
		{"dot", ".", UnsafePathSegment},
		{"dot dot", "..", UnsafePathSegment},
		{"three dots are a name", "...", OK},
		{"slash", "a/b", InvalidCharacters},
		{"space", "a b", InvalidCharacters},
		{"header injection", "a\r\nX-Evil: 1", InvalidCharacters},
		{"mimir tenant separator", "a|b", InvalidCharacters},
		{"e-mail", "jane@example.com", InvalidCharacters},
		{"quote", `a"b`, InvalidCharacters},
		{"non-ascii", "équipe", InvalidCharacters},
		{"nul", "a\x00", InvalidCharacters},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Validate(tt.in); got != tt.want {
				t.Fatalf("Validate(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzValidate checks that every accepted value is safe as an HTTP header value, a URL path
// segment and a Prometheus label value.
func FuzzValidate(f *testing.F) {
	for _, s := range []string{"", ".", "..", "team-a", "a b", "x\r\ny", "ü", strings.Repeat("z", 151)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := Validate(s)
		if r >= ReasonCount {
			t.Fatalf("reason out of range: %d", r)
		}
		if r != OK {
			if r.String() == "" {
				t.Fatalf("rejection without a name for %q", s)
			}
			return
		}
		if len(s) == 0 || len(s) > MaxLength || s == "." || s == ".." {
			t.Fatalf("accepted %q", s)
		}
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c < 0x21 || c > 0x7e || c == '/' || c == '"' || c == '\\' || c == '|' || c == ':' || c == '@' {
				t.Fatalf("accepted %q with byte %q", s, c)
			}
		}
	})
}
