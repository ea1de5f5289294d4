package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

// IBANs: two letters at a word boundary, two check digits, the BBAN in one run or in groups of four separated
// by single spaces; the country's length (ISO 13616 registry) and the ISO 7064 mod-97 checksum.

// ibanHit looks for an IBAN whose country code ends just before the digit at i; the caller has checked that
// two letters at a word boundary precede it (ibanStart).
func (st *state) ibanHit(c *cursor, i int) bool {
	s := c.s
	if i-2 < c.floor || i+1 >= len(s) || !isDigit(s[i+1]) || !st.e.enabled[entIBAN] {
		return false
	}
	if b, ok := st.iban(s, i-2); ok {
		c.found(i-2, b, entIBAN, noURL)
		return true
	}
	return false
}

// ibanStart reports whether two letters at a word boundary precede the digit at i.
func ibanStart(s string, i int) bool {
	return i >= 2 && isAlpha(s[i-1]) && isAlpha(s[i-2]) && (i == 2 || !isWord(s[i-3]))
}

// iban matches an IBAN starting at a.
func (st *state) iban(s string, a int) (int, bool) {
	cc := [2]byte{upper(s[a]), upper(s[a+1])}
	want, ok := ibanLengths[cc]
	if !ok {
		return 0, false
	}
	buf := st.ibanBuf[:0]
	j := a
	n := len(s)
	for j < n && len(buf) < int(want) {
		c := s[j]
		switch {
		case classes[c]&(clDigit|clAlpha) != 0:
			buf = append(buf, upper(c))
			j++
		case c == ' ' && len(buf)%4 == 0 && j+1 < n && classes[s[j+1]]&(clDigit|clAlpha) != 0:
			j++
		default:
			st.work.add(j - a + 1)
			return 0, false
		}
	}
	st.work.add(j - a + 2*len(buf)) // the candidate, and mod-97 over it
	if len(buf) != int(want) || (j < n && isWord(s[j])) {
		return 0, false
	}
	if !isDigit(buf[2]) || !isDigit(buf[3]) {
		return 0, false
	}
	return j, ibanMod97(buf)
}

// ibanLengths is the IBAN length per country (ISO 13616 registry).
var ibanLengths = map[[2]byte]uint8{
	{'A', 'D'}: 24, {'A', 'E'}: 23, {'A', 'L'}: 28, {'A', 'T'}: 20, {'A', 'Z'}: 28, {'B', 'A'}: 20, {'B', 'E'}: 16,
	{'B', 'G'}: 22, {'B', 'H'}: 22, {'B', 'I'}: 27, {'B', 'R'}: 29, {'B', 'Y'}: 28, {'C', 'H'}: 21, {'C', 'R'}: 22,
	{'C', 'Y'}: 28, {'C', 'Z'}: 24, {'D', 'E'}: 22, {'D', 'J'}: 27, {'D', 'K'}: 18, {'D', 'O'}: 28, {'E', 'E'}: 20,
	{'E', 'G'}: 29, {'E', 'S'}: 24, {'F', 'I'}: 18, {'F', 'K'}: 18, {'F', 'O'}: 18, {'F', 'R'}: 27, {'G', 'B'}: 22,
	{'G', 'E'}: 22, {'G', 'I'}: 23, {'G', 'L'}: 18, {'G', 'R'}: 27, {'G', 'T'}: 28, {'H', 'N'}: 28, {'H', 'R'}: 21,
	{'H', 'U'}: 28, {'I', 'E'}: 22, {'I', 'L'}: 23, {'I', 'Q'}: 23, {'I', 'S'}: 26, {'I', 'T'}: 27, {'J', 'O'}: 30,
	{'K', 'W'}: 30, {'K', 'Z'}: 20, {'L', 'B'}: 28, {'L', 'C'}: 32, {'L', 'I'}: 21, {'L', 'T'}: 20, {'L', 'U'}: 20,
	{'L', 'V'}: 21, {'L', 'Y'}: 25, {'M', 'C'}: 27, {'M', 'D'}: 24, {'M', 'E'}: 22, {'M', 'K'}: 19, {'M', 'N'}: 20,
	{'M', 'R'}: 27, {'M', 'T'}: 31, {'M', 'U'}: 30, {'N', 'I'}: 28, {'N', 'L'}: 18, {'N', 'O'}: 15, {'O', 'M'}: 23,
	{'P', 'K'}: 24, {'P', 'L'}: 28, {'P', 'S'}: 29, {'P', 'T'}: 25, {'Q', 'A'}: 29, {'R', 'O'}: 24, {'R', 'S'}: 22,
	{'R', 'U'}: 33, {'S', 'A'}: 24, {'S', 'C'}: 31, {'S', 'D'}: 18, {'S', 'E'}: 24, {'S', 'I'}: 19, {'S', 'K'}: 24,
	{'S', 'M'}: 27, {'S', 'O'}: 23, {'S', 'T'}: 25, {'S', 'V'}: 28, {'T', 'L'}: 23, {'T', 'N'}: 24, {'T', 'R'}: 26,
	{'U', 'A'}: 29, {'V', 'A'}: 22, {'V', 'G'}: 24, {'X', 'K'}: 20, {'Y', 'E'}: 30,
}

// ibanMod97 checks the ISO 7064 mod-97 checksum of an upper-case, space-free IBAN.
func ibanMod97(iban []byte) bool {
	if len(iban) < 5 {
		return false
	}
	rem := 0
	add := func(c byte) bool {
		switch {
		case c >= '0' && c <= '9':
			rem = (rem*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			v := int(c-'A') + 10
			rem = (rem*100 + v) % 97
		default:
			return false
		}
		return true
	}
	for _, c := range iban[4:] {
		if !add(c) {
			return false
		}
	}
	for _, c := range iban[:4] {
		if !add(c) {
			return false
		}
	}
	return rem == 1
}
