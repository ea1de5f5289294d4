package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

// US Social Security numbers: 3-2-4 with dashes, or with spaces or dots (and bare nine digits) only next to a
// keyword or under an SSN-like key; the SSA's rules for area, group and serial.

// ssnContextWindow is how far before a bare nine-digit number the SSN keyword is looked for.
const ssnContextWindow = 20

var ssnWords = newWordSet("ssn", "social security", "social sec", "ss#", "ss no", "taxpayer")

// isSSN reports whether the first k groups of g (s[a:b], nine digits, separated by sep) are an SSN.
func (st *state) isSSN(s string, a, b int, g *numGroups, k int, sep byte) bool {
	shaped := k == 3 && g.len(0) == 3 && g.len(1) == 2
	if !(shaped && sep == '-') && !((shaped || k == 1) && st.ssnContext(s, a)) {
		return false
	}
	return ssnValid(st.digitsOf(s, a, b))
}

func (st *state) ssnContext(s string, a int) bool {
	if st.ctxSSN == ctxUnknown {
		st.ctxSSN = ctxNo
		if st.keyFlag(keySSN) || st.contextBefore(ssnWords, s, a, ssnContextWindow) {
			st.ctxSSN = ctxYes
		}
	}
	return st.ctxSSN == ctxYes
}

// ssnValid applies the SSA rules to a 9-digit digits-only string: area not 000, 666 or 900-999; group not 00;
// serial not 0000; and not one of the numbers published as examples.
func ssnValid(d string) bool {
	if len(d) != 9 {
		return false
	}
	area := prefixNum(d, 3)
	group := prefixNum(d[3:], 2)
	serial := prefixNum(d[5:], 4)
	if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
		return false
	}
	switch d {
	case "078051120", "219099999", "123456789":
		return false
	}
	return true
}
