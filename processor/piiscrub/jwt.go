package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import "encoding/json"

// JSON Web Tokens: header.payload.signature in base64url, found at the "eyJ" that starts the header
// (base64 of `{"`); the header must decode to a JSON object.

// jwtHit dispatches the J of "eyJ" at i.
func (st *state) jwtHit(c *cursor, i int) int {
	s := c.s
	a := i - 2
	if a < c.floor || s[a] != 'e' || s[a+1] != 'y' || (a > 0 && (classes[s[a-1]]&clB64URL != 0 || s[a-1] == '.')) {
		return i + 1
	}
	b, ok, next := st.jwtAt(s, a)
	if ok && st.e.enabled[entJWT] {
		return c.found(a, b, entJWT, noURL)
	}
	return next
}

// jwtAt matches header.payload.signature starting at i. It returns the end of the token, whether it is a JWT,
// and where scanning resumes.
func (st *state) jwtAt(s string, i int) (int, bool, int) {
	n := len(s)
	j := i
	for j < n && classes[s[j]]&clB64URL != 0 {
		j++
	}
	h := j
	if j >= n || s[j] != '.' || h-i > 2048 {
		st.work.add(j - i)
		return 0, false, j
	}
	j++
	p := j
	for j < n && classes[s[j]]&clB64URL != 0 {
		j++
	}
	if j == p || j >= n || s[j] != '.' {
		st.work.add(j - i)
		return 0, false, j
	}
	j++
	for j < n && classes[s[j]]&clB64URL != 0 {
		j++
	}
	st.work.add(j - i)
	if j < n && (s[j] == '.' || s[j] == '=') {
		return 0, false, j
	}
	st.work.add(2 * min(h-i, len(st.jwtBuf))) // decode the header, then json.Valid
	if !jwtHeaderValid(s[i:h], st.jwtBuf[:]) {
		return 0, false, j
	}
	return j, true, j
}

// jwtHeaderValid reports whether seg (the first JWT segment, base64url without padding) decodes to a JSON object.
// buf is scratch space; the decoded header is at most len(buf) bytes.
func jwtHeaderValid(seg string, buf []byte) bool {
	if len(seg) < 16 {
		return false
	}
	out, ok := decodeBase64(seg, buf)
	return ok && jsonObjectLike(out) && json.Valid(out)
}

// decodeBase64 decodes standard or URL-safe base64 (padding optional) into buf, which must hold
// len(seg)*3/4 bytes. Hand-written because encoding/base64 needs to know the alphabet and padding up front,
// and a decode into the state's buffer does not allocate.
func decodeBase64(seg string, buf []byte) ([]byte, bool) {
	n := len(seg)
	if n*3/4 > len(buf) {
		return nil, false
	}
	out := buf[:0]
	var acc uint32
	bits := 0
	for i := 0; i < n; i++ {
		v := b64urlValue(seg[i])
		if v < 0 {
			if seg[i] == '=' && i >= n-2 {
				break
			}
			return nil, false
		}
		acc = acc<<6 | uint32(v)
		bits += 6
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>uint(bits)))
		}
	}
	return out, true
}

func b64urlValue(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	case c == '-' || c == '+':
		return 62
	case c == '_' || c == '/':
		return 63
	}
	return -1
}

// jsonObjectLike is a cheap structural pre-check for a JSON object (starts with {, ends with }, a quoted key and a
// colon, balanced quotes) before json.Valid.
func jsonObjectLike(b []byte) bool {
	i, j := 0, len(b)-1
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	for j > i && (b[j] == ' ' || b[j] == '\t' || b[j] == '\r' || b[j] == '\n') {
		j--
	}
	if i >= j || b[i] != '{' || b[j] != '}' {
		return false
	}
	quotes, colon := 0, false
	escaped := false
	for k := i + 1; k < j; k++ {
		c := b[k]
		if escaped {
			escaped = false
			continue
		}
		switch {
		case c == '\\':
			escaped = true
		case c == '"':
			quotes++
		case c == ':' && quotes%2 == 0 && quotes >= 2:
			colon = true
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
			return false
		}
	}
	return colon && quotes%2 == 0
}
