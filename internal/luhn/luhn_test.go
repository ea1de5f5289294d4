package luhn

import (
	"strconv"
	"testing"
)

func TestValid(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"4111111111111111", true},
		{"4111 1111 1111 1111", true},
		{"4111-1111-1111-1111", true},
		{"4111111111111112", false},
		{"378282246310005", true},
		{"0", true},
		{"", false},
		{"abc", false},
		{"79927398713", true},
		{"79927398710", false},
	} {
		if got := Valid(tc.in); got != tc.want {
			t.Errorf("Valid(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestCompleteAgreesWithValid: for every payload, the completed number is valid and every other last digit is not.
func TestCompleteAgreesWithValid(t *testing.T) {
	for _, p := range []string{"", "7992739871", "411111111111111", "37828224631000", "1", "999999999999999999"} {
		if c := Complete(p); !Valid(c) {
			t.Errorf("Complete(%q) = %q does not pass Valid", p, c)
		}
		for d := 0; d <= 9; d++ {
			other := p + strconv.Itoa(d)
			if other != Complete(p) && Valid(other) {
				t.Errorf("%q passes Valid but Complete(%q) = %q", other, p, Complete(p))
			}
		}
	}
}

func FuzzValid(f *testing.F) {
	f.Add("4111111111111111")
	f.Add("12 34-56")
	f.Fuzz(func(t *testing.T, s string) {
		digits := make([]byte, 0, len(s))
		for i := 0; i < len(s); i++ {
			if s[i] >= '0' && s[i] <= '9' {
				digits = append(digits, s[i])
			}
		}
		if len(digits) == 0 {
			if Valid(s) {
				t.Fatalf("Valid(%q) without digits", s)
			}
			return
		}
		d := string(digits)
		if Valid(s) != Valid(d) {
			t.Fatalf("Valid(%q) != Valid(%q)", s, d)
		}
		if Valid(d) != (CheckDigit(d[:len(d)-1]) == d[len(d)-1]) {
			t.Fatalf("Valid and CheckDigit disagree on %q", d)
		}
	})
}
