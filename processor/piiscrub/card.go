package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import "github.com/otelcol-warden/otelcol-warden/internal/luhn"

// Payment cards: 12-19 digits in one run or in groups of 4 (Amex/Diners 4-6-5 / 4-6-4), a known issuer prefix
// and length, the Luhn check, and not under an identifier key or after "…id=" in text.

// isCard reports whether the first k groups of g (s[a:b], separated by sep) are a card number.
func (st *state) isCard(s string, a, b int, g *numGroups, k int, sep byte) bool {
	return g.digits[k-1] >= 12 && sep != '.' && cardGroupsOK(g, k) && cardValid(st.digitsOf(s, a, b)) && !st.idContext(s, a)
}

func cardGroupsOK(g *numGroups, k int) bool {
	if k == 1 {
		return true
	}
	if k > 5 {
		return false
	}
	for i := 0; i < k; i++ {
		l := g.len(i)
		switch {
		case i == 0:
			if l != 4 {
				return false
			}
		case i == k-1:
			if l < 1 || l > 6 {
				return false
			}
		default:
			if l != 4 && l != 6 {
				return false
			}
		}
	}
	return true
}

// cardIINValid checks that digits (digits only) start with a known issuer identification number and has a
// length that issuer uses. Table after the Datadog Agent's obfuscator, plus 15-digit JCB (1800, 2131), Mir and
// 12-19-digit Maestro.
func cardIINValid(d string) bool {
	n := len(d)
	if n < 12 || n > 19 {
		return false
	}
	p1, p2, p3, p4, p6 := prefixNum(d, 1), prefixNum(d, 2), prefixNum(d, 3), prefixNum(d, 4), prefixNum(d, 6)
	switch {
	case p1 == 4: // Visa
		return n == 13 || n == 16 || n == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720: // Mastercard
		return n == 16
	case p4 >= 2200 && p4 <= 2204: // Mir
		return n >= 16 && n <= 19
	case p2 == 34 || p2 == 37: // American Express
		return n == 15
	case p3 >= 300 && p3 <= 305, p2 == 36, p2 == 38, p2 == 39: // Diners Club
		return n >= 14 && n <= 19
	case p4 == 6011, p3 >= 644 && p3 <= 649, p2 == 65, p6 >= 622126 && p6 <= 622925: // Discover
		return n >= 16 && n <= 19
	case p2 == 35: // JCB (3528-3589 assigned; generators and older tables use all of 35xx)
		return n >= 16 && n <= 19
	case p4 == 1800 || p4 == 2131: // JCB, 15 digits
		return n == 15
	case p4 == 5018 || p4 == 5020 || p4 == 5038 || p4 == 5893 || p4 == 6304 || p4 == 6759 ||
		p4 == 6761 || p4 == 6762 || p4 == 6763 || p4 == 604 || p4 == 6390: // Maestro (0604 reads as 604)
		return n >= 12 && n <= 19
	case p2 >= 56 && p2 <= 58: // Maestro
		return n >= 12 && n <= 19
	case p2 == 62: // UnionPay
		return n >= 16 && n <= 19
	case p2 == 50: // Maestro / Elo-style 50 range
		return n >= 12 && n <= 19
	case p1 == 1: // UATP
		return n == 15
	}
	return false
}

// cardValid is the full validation of a digits-only card candidate.
func cardValid(d string) bool {
	if !cardIINValid(d) || !luhn.Valid(d) {
		return false
	}
	// All-same digits and simple ramps pass Luhn sometimes; they are test patterns, not cards.
	same := true
	for i := 1; i < len(d); i++ {
		if d[i] != d[0] {
			same = false
			break
		}
	}
	return !same
}

// idContext reports whether a number at a is an identifier: under an id/timestamp-like key, or in text right
// after "…id=", "…_id: " and the like (the Datadog Agent skips databricks_job_id for this reason).
func (st *state) idContext(s string, a int) bool {
	if st.keyFlag(keyID) {
		return true
	}
	j := a
	for k := 0; k < 3 && j > 0 && (s[j-1] == '=' || s[j-1] == ':' || s[j-1] == ' ' || s[j-1] == '"'); k++ {
		j--
	}
	if j == a {
		return false
	}
	w := j
	for w > 0 && j-w < 40 && (isWord(s[w-1]) || s[w-1] == '.' || s[w-1] == '-') {
		w--
	}
	st.work.add(a - w + 64) // the word before, and the id suffixes compared with it
	return keyLooksLikeID(s[w:j])
}
