package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import "strings"

// URLs and paths in free text. A "scheme://" URL, or a path with a query string or percent-encoding, is cut
// out of the text and scrubbed part by part (urls.go); a plain path is scanned in line like any text.

// pathHit dispatches a '/' that may start a path.
func (st *state) pathHit(c *cursor, i int) int {
	s := c.s
	if c.urlDepth < maxURLDepth && (i == 0 || pathStartAfter(s[i-1])) && i+1 < len(s) && s[i+1] != '/' && i >= c.floor {
		b, special := pathToken(s, i)
		st.work.add(b - i)
		if special {
			return c.found(i, b, noEntity, urlPath)
		}
	}
	return i + 1
}

// urlBounds finds the URL whose "://" starts at i: the scheme before it and the end of the URL in free text.
func (st *state) urlBounds(s string, i, last int) (int, int, bool) {
	a := i
	for a > last && i-a < 32 {
		c := s[a-1]
		if isWord(c) && c != '_' || c == '+' || c == '.' || c == '-' {
			a--
			continue
		}
		break
	}
	st.work.add(i - a + 1)
	if a == i || !isAlpha(s[a]) || (a > 0 && isWord(s[a-1])) {
		return 0, 0, false
	}
	b := i + 3
	for b < len(s) && classes[s[b]]&clURLEnd == 0 {
		b++
	}
	st.work.add(2 * (b - i)) // forwards, and back over trailing punctuation
	for b > i+3 && strings.IndexByte(".,;:!?)]}", s[b-1]) >= 0 {
		b--
	}
	if b <= i+3 {
		return 0, 0, false
	}
	return a, b, true
}

func pathStartAfter(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '"', '\'', '=', '(', ',', '[', ':':
		return true
	}
	return false
}

// pathToken returns the end of the path token starting at i and whether it needs URL parsing (a query string or
// percent-encoding).
func pathToken(s string, i int) (int, bool) {
	b := i
	special := false
	for b < len(s) && classes[s[b]]&clURLEnd == 0 {
		if s[b] == '?' || s[b] == '%' {
			special = true
		}
		b++
	}
	for b > i+1 && strings.IndexByte(".,;:!)]}", s[b-1]) >= 0 {
		b--
	}
	return b, special
}
