// Package luhn is the Luhn (mod 10) check used by payment card numbers: one implementation for pii_scrub's card
// detector, its tests and the evaluation corpus (tools/evalpii), so the generator and the detector cannot drift.
package luhn // import "github.com/otelcol-warden/otelcol-warden/internal/luhn"

// Valid reports whether the digits of s (other bytes are skipped, so "4111 1111-1111 1111" works) pass the Luhn
// check. A string without digits is not valid.
func Valid(s string) bool {
	sum, n := 0, 0
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if c < '0' || c > '9' {
			continue
		}
		d := int(c - '0')
		if n%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		n++
	}
	return n > 0 && sum%10 == 0
}

// CheckDigit returns the digit that, appended to payload (digits only), makes it pass Valid.
func CheckDigit(payload string) byte {
	sum := 0
	for i := len(payload) - 1; i >= 0; i-- {
		d := int(payload[i] - '0')
		if (len(payload)-1-i)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// Complete returns payload (digits only) followed by its check digit.
func Complete(payload string) string {
	return payload + string(CheckDigit(payload))
}
