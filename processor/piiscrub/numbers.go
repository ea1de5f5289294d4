package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import "unsafe"

// Numbers: a digit at a word boundary starts a candidate for a card (card.go), an SSN (ssn.go), a phone number
// in a national format (phone.go) or an IPv4 address (ip.go). The number is split once into digit groups;
// classifyNumber asks each family in turn. Digits glued to letters may start an IBAN (iban.go).

// digitAt dispatches a digit. A run of fewer than seven digits not continued by a separator and a digit is
// nothing (every detector needs seven digits or a dotted quad): times, counters, ports. That case, the most
// common by far, is decided here without further calls.
func (st *state) digitAt(c *cursor, i int) int {
	s := c.s
	n := len(s)
	if !numBoundaryBefore(s, i) {
		// Digits inside a word. Two letters at a boundary and then two digits may start an IBAN.
		if ibanStart(s, i) {
			if st.ibanHit(c, i) {
				return c.hit.b
			}
		}
		return st.skipWord(s, i)
	}
	j, short := digitRun(s, i)
	st.work.add(j - i)
	if short {
		if j < n && (isWord(s[j]) || s[j] == '@') {
			j = st.skipWord(s, j)
		}
		return j
	}
	if j-i == 4 && isoDateAt(s, j) {
		// An ISO date (2026-03-01, also inside 2026-03-01T12:00:00Z) is never personal data here.
		return st.skipWord(s, j+6)
	}
	ent, b, next := st.numeric(s, i)
	if ent == noEntity || i < c.floor {
		return next
	}
	return c.found(i, b, ent, noURL)
}

// digitRun returns the end of the digit run at i and whether it is too short to be anything: fewer than
// seven digits, not continued by a separator and a digit.
func digitRun(s string, i int) (int, bool) {
	j := i + 1
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	return j, j-i < 7 && (j+1 >= len(s) || !isNumSep(s[j]) || !isDigit(s[j+1]))
}

// isoDateAt reports whether "-MM-DD" (not followed by a digit) starts at j, after four digits.
func isoDateAt(s string, j int) bool {
	return j+6 <= len(s) && s[j] == '-' && isDigit(s[j+1]) && isDigit(s[j+2]) && s[j+3] == '-' &&
		isDigit(s[j+4]) && isDigit(s[j+5]) && (j+6 == len(s) || !isDigit(s[j+6]))
}

// numBoundaryBefore reports whether a number may start at i: not glued to a word, a dotted sequence, an '@',
// a '+' (handled as a phone) or a hyphenated identifier such as blk_-160899... or pod-7d9f8c.
func numBoundaryBefore(s string, i int) bool {
	if i == 0 {
		return true
	}
	p := s[i-1]
	if isWord(p) || p == '.' || p == '@' || p == '+' {
		return false
	}
	if p == '-' && i >= 2 && (isWord(s[i-2]) || s[i-2] == '-') {
		return false
	}
	return true
}

// gluedAfter reports whether the byte at j continues a word, so a number ending there is part of an identifier.
func gluedAfter(s string, j int) bool {
	if j >= len(s) {
		return false
	}
	c := s[j]
	if isWord(c) || c == '@' {
		return true
	}
	if (c == '-' || c == '.') && j+1 < len(s) && isWord(s[j+1]) {
		return true
	}
	return false
}

func isNumSep(c byte) bool { return c == ' ' || c == '-' || c == '.' }

// numGroups are the digit groups of a number candidate: up to 8 groups separated by single ' ', '-' or '.'.
type numGroups struct {
	start, end [8]int
	n          int
	digits     [8]int // cumulative digit count after each group
	seps       [8]byte
}

func (g *numGroups) sepUniform(k int) (byte, bool) {
	if k <= 1 {
		return 0, true
	}
	c := g.seps[0]
	for i := 1; i < k-1; i++ {
		if g.seps[i] != c {
			return 0, false
		}
	}
	return c, true
}

func (g *numGroups) len(i int) int { return g.end[i] - g.start[i] }

func parseGroups(s string, i int, g *numGroups) {
	n := len(s)
	j := i
	total := 0
	for {
		k := j
		for k < n && isDigit(s[k]) {
			k++
		}
		g.start[g.n], g.end[g.n] = j, k
		total += k - j
		g.digits[g.n] = total
		g.n++
		j = k
		if g.n < len(g.start) && total <= 19 && j+1 < n && isNumSep(s[j]) && isDigit(s[j+1]) {
			g.seps[g.n-1] = s[j]
			j++
			continue
		}
		return
	}
}

// numeric classifies the number of seven or more digits (or with separators) starting at i. It returns the
// finding (or noEntity), its end and the index where scanning resumes.
func (st *state) numeric(s string, i int) (entity, int, int) {
	st.ctxPhone, st.ctxSSN = ctxUnknown, ctxUnknown
	g := &st.groups // reused: parseGroups writes every field it later reads
	g.n = 0
	parseGroups(s, i, g)
	fullEnd := g.end[g.n-1]
	st.work.add(fullEnd - i)
	// Whole token first; then, for space-separated groups only, shorter prefixes (a card followed by another number).
	kmax := g.n
	if kmax > 1 && g.seps[0] != '.' && g.len(0) > 5 {
		// Grouped cards start with 4 digits, SSNs with 3, phone groups have at most 5: only the first run
		// on its own can still be something.
		kmax = 1
	}
	st.work.add(64) // the glue, extension and label checks after the whole token
	for k := kmax; k >= 1; k-- {
		end := g.end[k-1]
		if k < g.n && g.seps[k-1] != ' ' {
			continue
		}
		if k == g.n && kmax == g.n && gluedAfter(s, end) && phoneExtension(s, end) == end && !phoneLabelAfter(s, end) {
			if k == 1 {
				return noEntity, 0, st.skipWord(s, end)
			}
			continue
		}
		if ent, b := st.classifyNumber(s, i, end, g, k); ent != noEntity {
			return ent, b, b
		}
	}
	if g.n > 1 && g.seps[0] == ' ' {
		return noEntity, 0, g.end[0]
	}
	return noEntity, 0, fullEnd
}

// classifyNumber decides what the first k groups of g (s[a:b]) are, if anything.
func (st *state) classifyNumber(s string, a, b int, g *numGroups, k int) (entity, int) {
	st.work.add(k + 2) // the groups' separators
	digits := g.digits[k-1]
	sep, uniform := g.sepUniform(k)
	if !uniform {
		return noEntity, 0
	}
	if sep == '.' && k == 4 {
		if st.e.enabled[entIP] && st.ipv4OK(s, a, b) {
			return entIP, b
		}
		return noEntity, 0
	}
	if sep == '.' && !(k == 3 || (k >= 2 && digits >= 7)) {
		return noEntity, 0 // versions and decimals
	}
	if digits < 7 || digits > 19 {
		return noEntity, 0
	}
	st.work.add(b - a + 64) // shape checks over the groups; extension, label and glue after b
	glued := gluedAfter(s, b)
	if !glued && st.e.enabled[entCard] && st.isCard(s, a, b, g, k, sep) {
		return entCard, b
	}
	if !glued && st.e.enabled[entSSN] && digits == 9 && st.isSSN(s, a, b, g, k, sep) {
		return entSSN, b
	}
	if st.e.enabled[entPhone] && phoneShaped(g, k, digits) {
		bb := phoneExtension(s, b)
		if st.phoneContext(s, a) || phoneLabelAfter(s, bb) {
			return entPhone, bb
		}
	}
	return noEntity, 0
}

// digitsOf returns the digits of s[a:b] (at most 24) as a string backed by the state's scratch buffer: valid
// until the next call; the validators do not retain it.
func (st *state) digitsOf(s string, a, b int) string {
	st.work.add(2 * (b - a)) // the copy, and the validator (Luhn, SSN rules) over it
	d := st.digBuf[:0]
	for j := a; j < b && len(d) < len(st.digBuf); j++ {
		if isDigit(s[j]) {
			d = append(d, s[j])
		}
	}
	return unsafe.String(unsafe.SliceData(d), len(d))
}

// prefixNum returns the number formed by the first k digits of d (a digits-only string of length >= k).
func prefixNum(d string, k int) int {
	n := 0
	for i := 0; i < k && i < len(d); i++ {
		n = n*10 + int(d[i]-'0')
	}
	return n
}
