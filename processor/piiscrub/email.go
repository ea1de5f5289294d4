package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

// E-mail addresses, found around the '@'. The local part is restricted to common characters (no '*', so a masked
// "***@example.com" is left alone); the domain needs a dot and an alphabetic TLD.

// emailHit dispatches an '@'.
func (st *state) emailHit(c *cursor, i int) int {
	if st.e.enabled[entEmail] {
		if a, b, ok := st.emailAt(c.s, i, c.floor); ok {
			return c.found(a, b, entEmail, noURL)
		}
	}
	return i + 1
}

// emailAt finds an e-mail address around the '@' at at that starts no earlier than last.
func (st *state) emailAt(s string, at, last int) (int, int, bool) {
	a := at
	for a > last && classes[s[a-1]]&clLocal != 0 {
		a--
		if at-a > 64 {
			st.work.add(at - a)
			return 0, 0, false
		}
	}
	st.work.add(at - a + 1)
	if a == last && a > 0 && classes[s[a-1]]&clLocal != 0 {
		return 0, 0, false // glued to a replacement or one of our tokens
	}
	for a < at && (s[a] == '.' || s[a] == '\'' || s[a] == '-' || s[a] == '+') {
		a++
	}
	if a == at || s[at-1] == '.' {
		return 0, 0, false
	}
	end, ok := st.emailDomain(s, at)
	return a, end, ok
}

// emailDomain returns the end of the domain after the '@' at at: dot-separated labels of at most 63
// characters, at most 253 in all, the last one alphabetic (labels after the TLD that are not are backed off).
func (st *state) emailDomain(s string, at int) (int, bool) {
	n := len(s)
	j := at + 1
	end, dots, tldStart := 0, 0, 0
	for {
		k := j
		for k < n && classes[s[k]]&clDomain != 0 {
			k++
		}
		st.work.add(k - j + 1)
		if k == j || k-j > 63 || s[j] == '-' || s[k-1] == '-' {
			break
		}
		end, tldStart = k, j
		if k+1 < n && s[k] == '.' && classes[s[k+1]]&clDomain != 0 {
			dots++
			j = k + 1
			continue
		}
		break
	}
	if end == 0 || end-at-1 > 253 {
		return 0, false
	}
	for !alphaTLD(s[tldStart:end]) {
		st.work.add(end - tldStart + 1)
		if tldStart <= at+1 {
			return 0, false
		}
		end = tldStart - 1
		dots--
		p := end
		for p > at+1 && s[p-1] != '.' {
			p--
		}
		st.work.add(end - p)
		tldStart = p
	}
	if dots < 1 || (end < n && (s[end] == '@' || s[end] == '_')) {
		return 0, false
	}
	return end, true
}

// alphaTLD: two or more letters.
func alphaTLD(tld string) bool {
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if !isAlpha(tld[i]) {
			return false
		}
	}
	return true
}
