// Package urlpath turns request paths into low-cardinality route templates.
//
// It is shared by cardinality_guard (normalising url.path / http.route metric
// attributes) and tail_policy (matching routes on spans), so both components
// agree on what "the same route" means.
//
// The heuristics are hand-written rather than regex based because they run on
// the hot path of every data point and span: a single pass over the bytes,
// no allocation when nothing changes. They follow the detectors used by Beyla
// and Odigos (UUIDs, hex ids, numbers, dates, emails, IPs, opaque tokens).
package urlpath

import (
	"net/netip"
	"strings"
)

// Placeholder replaces every path segment recognised as an identifier.
const Placeholder = "{id}"

// Normalize returns path with its query string and fragment removed and every
// segment that looks like an identifier replaced by "{id}":
//
//	/users/123/orders/9f1c2ab4e7d8 -> /users/{id}/orders/{id}
//	/files/3fa85f64-5717-4562-b3fc-2c963f66afa6?x=1 -> /files/{id}
//
// A segment is an identifier when it is
//   - made only of digits and the separators - _ . : , + (numbers, dates, IPv4, versions like 1.2.3),
//   - a UUID (8-4-4-4-12 hex digits),
//   - hexadecimal with at least 8 characters and at least one digit and one letter, or at least 16 characters,
//   - an email address (contains @ followed later by a dot),
//   - an IPv6 address,
//   - an opaque token: 16 or more base64url characters mixing upper case, lower case and digits.
//
// Words, slugs and short version markers (v1, api, health, my-product) are kept.
// A full URL keeps its scheme and authority; only the path part is normalised.
// When nothing changes, the result is a substring of the input and nothing is allocated.
// Normalize is idempotent.
func Normalize(path string) string {
	end := len(path)
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		end = i
	}
	start := pathStart(path[:end])
	first := -1
	for s := start; s < end; {
		e := segmentEnd(path, s, end)
		if isIdentifier(path[s:e]) {
			first = s
			break
		}
		s = e + 1
	}
	if first < 0 {
		return path[:end]
	}
	var b strings.Builder
	b.Grow(end + 16) // room for a few "{id}" longer than the ids they replace
	b.WriteString(path[:first])
	for s := first; s < end; {
		e := segmentEnd(path, s, end)
		if seg := path[s:e]; isIdentifier(seg) {
			b.WriteString(Placeholder)
		} else {
			b.WriteString(seg)
		}
		if e < end {
			b.WriteByte('/')
		}
		s = e + 1
	}
	return b.String()
}

// pathStart skips "scheme://authority" so that host names and ports are never
// mistaken for identifiers.
func pathStart(u string) int {
	i := strings.Index(u, "://")
	if i <= 0 || !isScheme(u[:i]) {
		return 0
	}
	j := strings.IndexByte(u[i+3:], '/')
	if j < 0 {
		return len(u)
	}
	return i + 3 + j
}

func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLetter(c) && (i == 0 || (!isDigit(c) && c != '+' && c != '-' && c != '.')) {
			return false
		}
	}
	return true
}

func segmentEnd(path string, s, end int) int {
	if i := strings.IndexByte(path[s:end], '/'); i >= 0 {
		return s + i
	}
	return end
}

func isIdentifier(seg string) bool {
	if seg == "" {
		return false
	}
	var digits, lower, upper, hexLetters, other, dashes int
	numericOnly, base64url := true, true
	at := -1
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		switch {
		case isDigit(c):
			digits++
		case c >= 'a' && c <= 'z':
			lower++
			if c <= 'f' {
				hexLetters++
			}
			numericOnly = false
		case c >= 'A' && c <= 'Z':
			upper++
			if c <= 'F' {
				hexLetters++
			}
			numericOnly = false
		case c == '-':
			dashes++
		case c == '_':
		case c == '.' || c == ':' || c == ',' || c == '+':
			base64url = false
		case c == '@':
			if at < 0 {
				at = i
			}
			numericOnly, base64url = false, false
		default:
			other++
			numericOnly, base64url = false, false
		}
	}
	letters := lower + upper
	switch {
	case numericOnly:
		return digits > 0
	case at > 0 && strings.IndexByte(seg[at+1:], '.') > 0:
		return true // email
	case len(seg) == 36 && dashes == 4 && isUUID(seg):
		return true
	case dashes == 0 && other == 0 && base64url && letters == hexLetters &&
		(len(seg) >= 16 || (len(seg) >= 8 && digits > 0 && letters > 0)):
		return true // hex id
	case base64url && len(seg) >= 16 && digits > 0 && lower > 0 && upper > 0:
		return true // opaque token
	case strings.IndexByte(seg, ':') >= 0 && other == 0:
		_, err := netip.ParseAddr(seg)
		return err == nil // IPv6
	}
	return false
}

func isUUID(s string) bool {
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isHex(c byte) bool    { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }
