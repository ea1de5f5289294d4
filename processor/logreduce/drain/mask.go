package drain // import "github.com/otelcol-warden/otelcol-warden/processor/logreduce/drain"

import "strings"

// Wildcard stands for a variable in a template, as in Drain and contrib's drain processor.
const Wildcard = "<*>"

// quotedWildcard replaces a whole quoted value ("..." or `...`), which may span several words.
const quotedWildcard = `"<*>"`

// Tokenizer splits a message into whitespace-separated tokens and masks the variables in them.
//
// Masking is a byte scanner instead of a list of regular expressions (Drain3's approach) because it
// runs once per record on the hot path: one pass per token, no allocation for tokens that need no
// change, and masked tokens built in one reused buffer. What is masked, in every token (surrounding
// brackets, quotes and punctuation are kept so "[10.0.0.1]" becomes "[<*>]"):
//   - anything with a digit: numbers, hex ids, UUIDs, IPv4/IPv6, host:port, durations and sizes
//     with units (12ms, 4KiB), dates, times, versions, block and job ids;
//   - e-mail addresses and pii_scrub pseudonyms (pii:<type>:<keyid>:<hash>) and placeholders ({email});
//   - the value of key=value and key:value pairs when the value is variable;
//   - path segments one by one ("/users/42/orders" becomes "/users/<*>/orders"), and the items of
//     lists inside a token (separated by , ; | &) one by one;
//   - double-quoted and backquoted values, which may contain spaces, as one token.
type Tokenizer struct {
	// MaxTokens bounds the tokens of one message; the rest of the message is one more token "<*>".
	MaxTokens int
	buf       []byte
}

// Tokenize appends the masked tokens of msg to dst. Token strings share msg's memory unless masked;
// masked tokens live in a buffer reused by the next call, so callers that keep tokens must clone them.
func (t *Tokenizer) Tokenize(dst []string, msg string) []string {
	t.buf = t.buf[:0]
	// Masked tokens are appended to t.buf and referenced by offsets until the end, because appending
	// may move the buffer.
	type span struct{ start, end int }
	var spansArr [64]struct {
		idx int
		s   span
	}
	spans := spansArr[:0]
	base := len(dst)
	i := 0
	for i < len(msg) {
		for i < len(msg) && isSpace(msg[i]) {
			i++
		}
		if i >= len(msg) {
			break
		}
		if t.MaxTokens > 0 && len(dst)-base >= t.MaxTokens-1 {
			dst = append(dst, Wildcard)
			break
		}
		if c := msg[i]; c == '"' || c == '`' {
			if j := strings.IndexByte(msg[i+1:], c); j >= 0 && j < 512 {
				end := i + 1 + j + 1
				for end < len(msg) && !isSpace(msg[end]) {
					end++
				}
				dst = append(dst, quotedWildcard)
				i = end
				continue
			}
		}
		j := i
		for j < len(msg) && !isSpace(msg[j]) {
			j++
		}
		tok := msg[i:j]
		i = j
		if !needsMask(tok) {
			dst = append(dst, tok)
			continue
		}
		start := len(t.buf)
		t.buf = maskToken(t.buf, tok)
		spans = append(spans, struct {
			idx int
			s   span
		}{len(dst), span{start, len(t.buf)}})
		dst = append(dst, "")
	}
	if len(spans) > 0 {
		all := string(t.buf) // one allocation for every masked token of the message
		for _, sp := range spans {
			dst[sp.idx] = canonical(all[sp.s.start:sp.s.end])
		}
	}
	return dst
}

// canonical returns the shared Wildcard for a token that is only a wildcard.
func canonical(s string) string {
	if s == Wildcard {
		return Wildcard
	}
	return s
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// needsMask is the fast check: a token without digits, '@', '=', '{', quote or a pii: prefix is kept as is.
func needsMask(tok string) bool {
	for k := 0; k < len(tok); k++ {
		switch c := tok[k]; {
		case isDigit(c), c == '@', c == '{', c == '"', c == '\'':
			return true
		case c == ':' && k >= 3 && tok[k-3:k] == "pii":
			return true
		}
	}
	return false
}

// isWrap reports bytes that wrap a value: they stay outside the mask.
func isWrap(c byte) bool {
	switch c {
	case '[', ']', '(', ')', '{', '}', '<', '>', ',', ';', '"', '\'', '.', ':', '!', '?':
		return true
	}
	return false
}

// maskToken appends tok to dst with its variable parts replaced by Wildcard.
func maskToken(dst []byte, tok string) []byte {
	// Keep the wrapping punctuation: "[10.0.0.1]," -> "[" core "],".
	a, b := 0, len(tok)
	for a < b && isWrap(tok[a]) && tok[a] != '{' {
		a++
	}
	for b > a && isWrap(tok[b-1]) && tok[b-1] != '}' {
		b--
	}
	dst = append(dst, tok[:a]...)
	dst = maskCore(dst, tok[a:b])
	return append(dst, tok[b:]...)
}

func maskCore(dst []byte, core string) []byte {
	if core == "" {
		return dst
	}
	// Lists inside one token ("a=1,b=2", "x|y|3"): mask item by item.
	if k := strings.IndexAny(core, ",;|&"); k >= 0 {
		dst = maskToken(dst, core[:k])
		dst = append(dst, core[k])
		return maskToken(dst, core[k+1:])
	}
	if isVariable(core) {
		return append(dst, Wildcard...)
	}
	// key=value: mask the value on its own.
	if hasKeyValue(core) {
		k := strings.IndexByte(core, '=')
		dst = append(dst, core[:k+1]...)
		return maskToken(dst, core[k+1:])
	}
	if k := namePrefix(core); k > 0 {
		dst = append(dst, core[:k]...)
		return maskToken(dst, core[k:])
	}
	// Paths: mask segment by segment.
	if sep := pathSeparator(core); sep != 0 {
		for k := 0; ; {
			n := strings.IndexByte(core[k:], sep)
			seg := core[k:]
			if n >= 0 {
				seg = core[k : k+n]
			}
			if hasDigit(seg) || strings.IndexByte(seg, '@') >= 0 {
				dst = append(dst, Wildcard...)
			} else {
				dst = append(dst, seg...)
			}
			if n < 0 {
				return dst
			}
			dst = append(dst, sep)
			k += n + 1
		}
	}
	return append(dst, core...)
}

// isVariable reports a token core that is a value as a whole.
func isVariable(core string) bool {
	if strings.HasPrefix(core, "pii:") || (core[0] == '{' && core[len(core)-1] == '}') {
		return true
	}
	if at := strings.IndexByte(core, '@'); at > 0 && strings.IndexByte(core[at:], '.') > 0 {
		return true // e-mail address (or user@host)
	}
	if pathSeparator(core) != 0 || hasKeyValue(core) || namePrefix(core) > 0 {
		return false
	}
	return hasDigit(core)
}

// namePrefix returns the length of "name:" when core is name:value with a name of letters (and
// ._-) and a non-empty value, so "product:42" keeps its prefix as "product:<*>"; 0 otherwise.
func namePrefix(core string) int {
	k := strings.IndexByte(core, ':')
	if k <= 0 || k == len(core)-1 {
		return 0
	}
	for i := 0; i < k; i++ {
		c := core[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-' || c == '.') {
			return 0
		}
	}
	return k + 1
}

// hasKeyValue reports key=value with a key without digits (a key with digits is a value itself).
func hasKeyValue(core string) bool {
	k := strings.IndexByte(core, '=')
	return k > 0 && k < len(core)-1 && !hasDigit(core[:k])
}

// pathSeparator returns '/' or '\\' when core looks like a path or URL with several segments.
func pathSeparator(core string) byte {
	for _, sep := range []byte{'/', '\\'} {
		if strings.Count(core, string(sep)) >= 2 {
			return sep
		}
	}
	return 0
}

func hasDigit(s string) bool {
	for k := 0; k < len(s); k++ {
		if isDigit(s[k]) {
			return true
		}
	}
	return false
}
