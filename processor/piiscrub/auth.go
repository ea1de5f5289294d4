package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import "bytes"

// Credentials after an HTTP authorization scheme: "Bearer <token>" and "Basic <base64 user:password>"
// (case-insensitive). The finding is the credential only, so "Bearer " stays.

// authHit dispatches a 'b' or 'B' at i.
func (st *state) authHit(c *cursor, i int) int {
	s := c.s
	if st.e.enabled[entAuth] && (i == 0 || !isWord(s[i-1])) && i >= c.floor {
		if a, b, ok := st.authAt(s, i); ok {
			return c.found(a, b, entAuth, noURL)
		}
	}
	return i + 1
}

// authAt matches a scheme at i and returns the credential after it.
func (st *state) authAt(s string, i int) (int, int, bool) {
	n := len(s)
	var basic bool
	switch {
	case hasPrefixFold(s[i:], "bearer"):
		i += 6
	case hasPrefixFold(s[i:], "basic"):
		i += 5
		basic = true
	default:
		return 0, 0, false
	}
	sp := i
	for i < n && s[i] == ' ' && i-sp < 4 {
		i++
	}
	if i == sp {
		return 0, 0, false
	}
	a := i
	for i < n && classes[s[i]]&clToken != 0 {
		i++
	}
	tok := s[a:i]
	st.work.add(2*len(tok) + 12) // the prefix, the token, and its check (Basic decode, plain word)
	if len(tok) < 8 || (i < n && isWord(s[i])) {
		return 0, 0, false
	}
	if basic && !st.basicCredential(tok) || !basic && !bearerToken(tok) {
		return 0, 0, false
	}
	return a, i, true
}

// basicCredential reports whether tok is base64 of "user:password".
func (st *state) basicCredential(tok string) bool {
	if len(tok)%4 != 0 {
		return false
	}
	out, ok := decodeBase64(tok, st.jwtBuf[:])
	return ok && bytes.IndexByte(out, ':') >= 1
}

// bearerToken: a bearer token is not a plain lower-case word ("bearer of bad news").
func bearerToken(tok string) bool {
	if len(tok) >= 20 {
		return true
	}
	for x := 0; x < len(tok); x++ {
		if !(tok[x] >= 'a' && tok[x] <= 'z') {
			return true
		}
	}
	return false
}
