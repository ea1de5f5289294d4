package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import (
	"strings"
	"unsafe"
)

// URL scrubbing. A URL is split by hand (net/url allocates and re-encodes; we must keep the original bytes
// where nothing changes): userinfo becomes REDACTED:REDACTED (semantic conventions), the host and every path
// segment, query value and the fragment go through all detectors after percent-decoding, values of secret query
// parameters are replaced, query keys stay. Replacements are percent-encoded only where the URL would otherwise
// break, so the result still parses.

type urlKind uint8

const (
	noURL    urlKind = iota // not a URL attribute
	urlFull                 // [scheme://[userinfo@]host]path[?query][#fragment]
	urlPath                 // path[?query][#fragment]
	urlQuery                // query only (url.query)
)

type escMode uint8

const (
	escPath escMode = iota
	escQuery
	escFragment
)

// scrubURL appends the scrubbed u to dst and reports whether anything changed. depth counts URL nesting.
func (st *state) scrubURL(dst []byte, u string, kind urlKind, depth int) ([]byte, bool) {
	st.work.add(3 * len(u)) // splitting: scheme, authority, path, query, fragment
	if depth > maxURLDepth+1 {
		return append(dst, u...), false
	}
	if kind == urlQuery {
		return st.scrubQuery(dst, u, depth)
	}
	changed, c := false, false
	rest := u
	if kind == urlFull {
		if p := schemeEnd(u); p > 0 {
			dst = append(dst, u[:p]...)
			dst, rest, changed = st.scrubAuthority(dst, u[p:])
		}
	}
	pe := indexAny(rest, "?#")
	if pe < 0 {
		pe = len(rest)
	}
	dst, c = st.scrubPath(dst, rest[:pe], depth)
	changed = changed || c
	rest = rest[pe:]
	if len(rest) > 0 && rest[0] == '?' {
		dst = append(dst, '?')
		qe := strings.IndexByte(rest, '#')
		if qe < 0 {
			qe = len(rest)
		}
		dst, c = st.scrubQuery(dst, rest[1:qe], depth)
		changed = changed || c
		rest = rest[qe:]
	}
	if len(rest) > 0 { // #fragment
		dst = append(dst, '#')
		dst, c = st.scrubComponent(dst, rest[1:], escFragment, depth, depth)
		changed = changed || c
	}
	return dst, changed
}

// scrubAuthority appends the scrubbed authority at the start of rest (after "scheme://"): userinfo becomes
// REDACTED[:REDACTED], the host goes through the detectors. It returns what follows the authority.
func (st *state) scrubAuthority(dst []byte, rest string) ([]byte, string, bool) {
	changed := false
	ae := indexAny(rest, "/?#")
	if ae < 0 {
		ae = len(rest)
	}
	auth := rest[:ae]
	if at := strings.LastIndexByte(auth, '@'); at >= 0 && st.e.enabled[entURLSecret] {
		if strings.IndexByte(auth[:at], ':') >= 0 {
			dst = append(dst, "REDACTED:REDACTED@"...)
		} else {
			dst = append(dst, "REDACTED@"...)
		}
		st.count(entURLSecret, ActionRedact)
		st.recChanged = true
		changed = true
		auth = auth[at+1:]
	}
	dst, c := st.scanAppend(dst, auth, true, maxURLDepth)
	return dst, rest[ae:], changed || c
}

// scrubPath appends the scrubbed path: in one piece when nothing needs decoding ('/' is a boundary for every
// detector), else segment by segment.
func (st *state) scrubPath(dst []byte, path string, depth int) ([]byte, bool) {
	if strings.IndexByte(path, '%') < 0 {
		return st.scanAppend(dst, path, true, maxURLDepth)
	}
	changed := false
	for len(path) > 0 {
		sl := strings.IndexByte(path, '/')
		seg := path
		if sl >= 0 {
			seg = path[:sl]
		}
		var c bool
		dst, c = st.scrubComponent(dst, seg, escPath, maxURLDepth, depth)
		changed = changed || c
		if sl < 0 {
			break
		}
		dst = append(dst, '/')
		path = path[sl+1:]
	}
	return dst, changed
}

// scrubQuery handles k=v&k=v: secret parameters get their value replaced; other values are scanned with the
// parameter name as key context (so phone=... allows national phone formats).
func (st *state) scrubQuery(dst []byte, q string, depth int) ([]byte, bool) {
	st.work.add(2 * len(q)) // '&' and '=' searches
	changed := false
	savedKey, savedFlags := st.key, st.keyFlags
	for len(q) > 0 {
		amp := strings.IndexByte(q, '&')
		part := q
		if amp >= 0 {
			part = q[:amp]
		}
		if eq := strings.IndexByte(part, '='); eq >= 0 {
			k, v := part[:eq], part[eq+1:]
			dst = append(dst, k...)
			dst = append(dst, '=')
			st.work.add(2*min(len(k), 64) + len(v)) // isSecretParam; isOwnReplacement
			if v != "" && st.e.enabled[entURLSecret] && st.e.isSecretParam(k) {
				if isOwnReplacement(v) {
					dst = append(dst, v...)
				} else {
					dst = st.emit(dst, entURLSecret, v)
					changed = true
				}
			} else {
				st.setKey(k)
				var c bool
				dst, c = st.scrubComponent(dst, v, escQuery, depth, depth)
				changed = changed || c
			}
		} else {
			st.setKey("")
			var c bool
			dst, c = st.scrubComponent(dst, part, escQuery, depth, depth)
			changed = changed || c
		}
		if amp < 0 {
			break
		}
		dst = append(dst, '&')
		q = q[amp+1:]
	}
	st.key, st.keyFlags = savedKey, savedFlags
	return dst, changed
}

// scrubComponent scans one URL component, percent-decoding it first when needed; urlDepth limits nested URLs and
// slot picks the scratch buffers for this nesting level.
func (st *state) scrubComponent(dst []byte, comp string, mode escMode, urlDepth, slot int) ([]byte, bool) {
	st.work.add(4 * len(comp)) // '%' and '+' searches, decoding, encoding
	needDecode := strings.IndexByte(comp, '%') >= 0 || (mode == escQuery && strings.IndexByte(comp, '+') >= 0)
	if !needDecode || len(comp) < minScanLen {
		return st.scanAppend(dst, comp, true, urlDepth)
	}
	if slot >= len(st.dec) {
		slot = len(st.dec) - 1
	}
	dec, ok := percentDecode(st.dec[slot][:0], comp, mode == escQuery)
	st.dec[slot] = dec
	if !ok {
		return st.scanAppend(dst, comp, true, urlDepth)
	}
	out, changed := st.scanAppend(st.tmp[slot][:0], unsafe.String(unsafe.SliceData(dec), len(dec)), false, urlDepth)
	st.tmp[slot] = out
	if !changed {
		return append(dst, comp...), false
	}
	return percentEncode(dst, out, mode), true
}

// schemeEnd returns the index after "scheme://", or 0.
func schemeEnd(u string) int {
	for i := 0; i < len(u) && i < 33; i++ {
		c := u[i]
		switch {
		case isAlpha(c):
		case i > 0 && (isDigit(c) || c == '+' || c == '.' || c == '-'):
		case c == ':' && i > 0 && strings.HasPrefix(u[i:], "://"):
			return i + 3
		default:
			return 0
		}
	}
	return 0
}

// indexAny is strings.IndexAny for a short ASCII set, without the per-call setup.
func indexAny(s, chars string) int {
	var set [256]bool
	for i := 0; i < len(chars); i++ {
		set[chars[i]] = true
	}
	for i := 0; i < len(s); i++ {
		if set[s[i]] {
			return i
		}
	}
	return -1
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// percentDecode decodes %XX (and '+' as space in queries); a malformed escape is kept as a literal '%'.
func percentDecode(dst []byte, s string, plusSpace bool) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			// A malformed escape stays a literal '%', as browsers read it.
			if i+2 >= len(s) {
				dst = append(dst, c)
				continue
			}
			h, ok1 := unhex(s[i+1])
			l, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				dst = append(dst, c)
				continue
			}
			dst = append(dst, h<<4|l)
			i += 2
		case c == '+' && plusSpace:
			dst = append(dst, ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst, true
}

const upperHex = "0123456789ABCDEF"

// percentEncode escapes only what would break the component: controls, space, non-ASCII, '%', and the
// delimiters of the component ('/', '?', '#' in a path; '&', '#', '+' in a query; '#' in a fragment).
func percentEncode(dst []byte, b []byte, mode escMode) []byte {
	for _, c := range b {
		esc := c <= ' ' || c >= 0x7f || c == '%' || c == '"' || c == '<' || c == '>' || c == '\\' || c == '`' || c == '#'
		switch mode {
		case escPath:
			esc = esc || c == '/' || c == '?'
		case escQuery:
			esc = esc || c == '&' || c == '+'
		}
		if esc {
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}

// isSecretParam reports whether a query parameter name is a secret: one of url_secret.query_keys
// (case-insensitive), or a name whose last `_`, `-` or `.` separated part is one (user_token, x-api-key).
func (e *engine) isSecretParam(k string) bool {
	if len(k) == 0 || len(k) > 64 {
		return false
	}
	var buf [64]byte
	lk := buf[:0]
	sep := -1
	for i := 0; i < len(k); i++ {
		c := lower(k[i])
		if c == '_' || c == '-' || c == '.' {
			sep = i
		}
		lk = append(lk, c)
	}
	if _, ok := e.secretParams[string(lk)]; ok {
		return true
	}
	if sep >= 0 && sep+1 < len(lk) {
		if _, ok := e.secretParams[string(lk[sep+1:])]; ok {
			return true
		}
	}
	return false
}

// isOwnReplacement reports whether a whole value is something this processor writes (REDACTED, a placeholder,
// a mask of stars, a pseudonym), so that a second pass leaves a secret parameter alone.
func isOwnReplacement(v string) bool {
	if v == "REDACTED" || strings.Trim(v, "*") == "" {
		return true
	}
	if len(v) > 2 && v[0] == '{' && v[len(v)-1] == '}' {
		return true
	}
	if strings.HasPrefix(v, "pii:") {
		if end, ok := pseudonymAt(v, 3); ok && end == len(v) {
			return true
		}
	}
	return false
}
