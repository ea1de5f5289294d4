package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

// Phone numbers: with a leading '+' (8-15 digits, an optional parenthesised area code) on their own; national
// formats ("(415) 555-2671", "030 1234567") only with a context word before them, a label after them ("(fax)",
// "mobile") or under a phone-like key. Extensions ("x123") belong to the number.

var phoneLabels = []string{"fax", "office", "mobile", "cell", "phone", "tel", "home", "work"}

// intlPhoneHit dispatches a '+'.
func (st *state) intlPhoneHit(c *cursor, i int) int {
	s := c.s
	if st.e.enabled[entPhone] && i >= c.floor && (i == 0 || !isWord(s[i-1])) && i+1 < len(s) && isDigit(s[i+1]) {
		if b, ok := st.intlPhone(s, i); ok {
			return c.found(i, b, entPhone, noURL)
		}
	}
	return i + 1
}

// parenPhoneHit dispatches a '('.
func (st *state) parenPhoneHit(c *cursor, i int) int {
	s := c.s
	if st.e.enabled[entPhone] && i >= c.floor && i+5 < len(s) && isDigit(s[i+1]) {
		if b, ok := st.parenPhone(s, i); ok {
			return c.found(i, b, entPhone, noURL)
		}
	}
	return i + 1
}

// intlPhone matches a phone number with a leading '+': 8-15 digits with single separators and an optional
// parenthesised area code, e.g. +1 (415) 555-2671, +44 20 7946 0958, +49-30-1234567.
func (st *state) intlPhone(s string, i int) (int, bool) {
	n := len(s)
	j := i + 1
	digits := 0
	end := 0
	for j < n {
		c := s[j]
		switch {
		case isDigit(c):
			digits++
			j++
			end = j
			continue
		case (c == ' ' || c == '-' || c == '.') && j+1 < n && (isDigit(s[j+1]) || s[j+1] == '('):
			j++
			continue
		case c == '(' && j+2 < n && isDigit(s[j+1]):
			k := j + 1
			for k < n && isDigit(s[k]) && k-j <= 5 {
				k++
			}
			if k < n && s[k] == ')' {
				digits += k - j - 1
				j = k + 1
				end = j
				if j < n && (s[j] == ' ' || s[j] == '-') && j+1 < n && isDigit(s[j+1]) {
					j++
				}
				continue
			}
		}
		break
	}
	st.work.add(j - i + 8) // the number, and an extension or glue after it
	if digits < 8 || digits > 15 || end == 0 {
		return 0, false
	}
	if gluedAfter(s, end) {
		if bb := phoneExtension(s, end); bb > end {
			return bb, true
		}
		return 0, false
	}
	return end, true
}

// parenPhone matches "(415) 555-2671" style national numbers, only with context.
func (st *state) parenPhone(s string, i int) (int, bool) {
	if i > 0 && isWord(s[i-1]) {
		return 0, false
	}
	k := i + 1
	for k < len(s) && isDigit(s[k]) && k-i <= 5 {
		k++
	}
	st.work.add(k - i + 2)
	if k >= len(s) || s[k] != ')' || k-i-1 < 2 {
		return 0, false
	}
	j := k + 1
	if j < len(s) && (s[j] == ' ' || s[j] == '-') {
		j++
	}
	if j >= len(s) || !isDigit(s[j]) {
		return 0, false
	}
	var g numGroups
	parseGroups(s, j, &g)
	end := g.end[g.n-1]
	st.work.add(end - j + 16) // the groups; extension and labels after them
	digits := g.digits[g.n-1] + k - i - 1
	if digits < 7 || digits > 15 || g.n > 4 {
		return 0, false
	}
	st.ctxPhone = ctxUnknown
	bb := phoneExtension(s, end)
	if !st.phoneContext(s, i) && !phoneLabelAfter(s, bb) {
		return 0, false
	}
	if bb > end {
		return bb, true
	}
	if phoneLabelAfter(s, end) {
		return end, true
	}
	if gluedAfter(s, end) {
		return 0, false
	}
	return end, true
}

// phoneShaped: 10-12 digits in one run, or 7-15 digits in groups of at most 5 (no 6-digit date or time group).
func phoneShaped(g *numGroups, k, digits int) bool {
	if k == 1 {
		return digits >= 10 && digits <= 12
	}
	if digits < 7 || digits > 15 || k > 6 {
		return false
	}
	if k == 3 {
		// Dates: 2026-03-01, 01.03.2026, 03 01 2026.
		l0, l1, l2 := g.len(0), g.len(1), g.len(2)
		if (l0 == 4 && l1 == 2 && l2 == 2) || (l0 == 2 && l1 == 2 && l2 == 4) {
			return false
		}
	}
	for i := 0; i < k; i++ {
		if g.len(i) > 5 {
			return false
		}
	}
	return true
}

// phoneExtension extends a phone number over "x123" / " ext. 123" style extensions.
func phoneExtension(s string, b int) int {
	j := b
	if j < len(s) && (s[j] == 'x' || s[j] == 'X') {
		k := j + 1
		for k < len(s) && isDigit(s[k]) && k-j <= 6 {
			k++
		}
		if k > j+1 && !gluedAfter(s, k) {
			return k
		}
	}
	return b
}

func (st *state) phoneContext(s string, a int) bool {
	if st.ctxPhone == ctxUnknown {
		st.ctxPhone = ctxNo
		if st.keyFlag(keyPhone) || st.contextBefore(st.e.phoneWords, s, a, contextWindow) {
			st.ctxPhone = ctxYes
		}
	}
	return st.ctxPhone == ctxYes
}

// phoneLabelAfter reports whether the number ending at b is labelled right after it: "555-0100 (fax)",
// "555-0100-Office", "555 0100 mobile".
func phoneLabelAfter(s string, b int) bool {
	j := b
	for k := 0; k < 3 && j < len(s) && (s[j] == ' ' || s[j] == '-' || s[j] == '(' || s[j] == ',' || s[j] == '/'); k++ {
		j++
	}
	if j == b && j < len(s) && isWord(s[j]) {
		return false
	}
	for _, w := range phoneLabels {
		if hasPrefixFold(s[j:], w) && (j+len(w) == len(s) || !isAlpha(s[j+len(w)])) {
			return true
		}
	}
	return false
}
