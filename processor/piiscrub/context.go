package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import "strings"

// Context: some candidates are findings only with a word before them ("phone", "ssn") or under a key that
// names them (user.phone); a number under an identifier key (trace_id, created_at) is not a card, and a dotted
// quad after "version" is not an address. Key context is computed once per attribute, when a candidate asks.

// contextWindow is how far before a candidate context words are looked for: phone words may stand a little
// further away ("phone number of the customer: ...") than the SSN keyword a bare nine-digit number needs
// (ssnContextWindow).
const contextWindow = 32

// Context answers are cached for the number being classified (numeric tries several prefixes of one number).
const (
	ctxUnknown uint8 = iota
	ctxNo
	ctxYes
)

// wordSet is a set of lower-case context words indexed by first letter, so looking for any of them in a
// window is one pass over the window.
type wordSet struct {
	byFirst [256][]string
}

func newWordSet(words ...string) *wordSet {
	ws := &wordSet{}
	for _, w := range words {
		w = strings.ToLower(w)
		if w != "" {
			ws.byFirst[w[0]] = append(ws.byFirst[w[0]], w)
		}
	}
	return ws
}

// contextBefore reports whether one of the words of ws starts, at a word boundary (not after a letter or
// digit), within the window bytes before a. Matching is case-insensitive.
func (st *state) contextBefore(ws *wordSet, s string, a, window int) bool {
	lo := max(a-window, 0)
	st.work.add(a - lo)
	for j := lo; j < a; j++ {
		list := ws.byFirst[lower(s[j])]
		if list == nil || (j > 0 && classes[s[j-1]]&(clAlpha|clDigit) != 0) {
			continue
		}
		for _, w := range list {
			st.work.add(len(w))
			if j+len(w) <= len(s) && hasPrefixFold(s[j:], w) {
				return true
			}
		}
	}
	return false
}

// Key context flags, each computed from the attribute key the first time a candidate asks for it: most
// candidates need one flag (an IPv4 address asks only whether the key names a version), so the key is not
// classified on every count. The low four bits of state.keyFlags are the answers, the high four bits say
// which answers are known.
const (
	keyPhone uint8 = 1 << iota
	keySSN
	keyVersion
	keyID
)

func (st *state) setKey(k string) {
	st.key = k
	st.keyFlags = 0
}

func (st *state) keyFlag(f uint8) bool {
	if st.keyFlags&(f<<4) == 0 {
		st.keyFlags |= f << 4
		if keyHas(st.key, f) {
			st.keyFlags |= f
		}
		st.work.add(8*min(len(st.key), 64) + 64) // a few substring searches over the key, the id suffixes
	}
	return st.keyFlags&f != 0
}

// keyHas derives one context flag from an attribute key: phone-like, SSN-like, version-like (from its first 64
// bytes, case-insensitively) or identifier-like.
func keyHas(k string, f uint8) bool {
	if k == "" {
		return false
	}
	if f == keyID {
		return keyLooksLikeID(k)
	}
	var buf [64]byte
	lk := buf[:0]
	for i := 0; i < len(k) && i < len(buf); i++ {
		lk = append(lk, lower(k[i]))
	}
	s := string(lk)
	switch f {
	case keyPhone:
		return strings.Contains(s, "phone") || strings.Contains(s, "mobile") || strings.Contains(s, "msisdn") ||
			strings.Contains(s, "fax") || hasToken(s, "tel") || hasToken(s, "cell") || strings.Contains(s, "telephone")
	case keySSN:
		return hasToken(s, "ssn") || strings.Contains(s, "social_security") || strings.Contains(s, "socialsecurity") ||
			strings.Contains(s, "social.security") || strings.Contains(s, "social-security")
	case keyVersion:
		return strings.Contains(s, "version")
	}
	return false
}

// hasToken reports whether tok appears in s delimited by non-letters.
func hasToken(s, tok string) bool {
	for off := 0; ; {
		x := strings.Index(s[off:], tok)
		if x < 0 {
			return false
		}
		p := off + x
		e := p + len(tok)
		if (p == 0 || !isAlpha(s[p-1])) && (e == len(s) || !isAlpha(s[e])) {
			return true
		}
		off = p + 1
	}
}

var idSuffixes = []string{"id", "ids", "uid", "uuid", "guid", "timestamp", "ts", "time", "at", "ms", "ns", "nanos", "offset", "seq", "sequence", "nonce", "number_of", "count"}

// keyLooksLikeID reports whether a key names an identifier or a time: trace_id, spanId, job.id, created_at,
// timestamp_ms. The suffix must follow a separator or a lower-to-upper case change.
func keyLooksLikeID(k string) bool {
	if k == "" {
		return false
	}
	for _, suf := range idSuffixes {
		if len(k) < len(suf) {
			continue
		}
		tail := k[len(k)-len(suf):]
		if !strings.EqualFold(tail, suf) {
			continue
		}
		p := len(k) - len(suf)
		if p == 0 {
			return true
		}
		c := k[p-1]
		if c == '_' || c == '.' || c == '-' || c == ' ' {
			return true
		}
		if tail[0] >= 'A' && tail[0] <= 'Z' && c >= 'a' && c <= 'z' {
			return true
		}
	}
	return false
}
