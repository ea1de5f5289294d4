package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import "encoding/json"

// Validators for the built-in detectors. The scanner (scanner.go) finds candidates with one pass over the bytes;
// these functions decide whether a candidate is the real thing. None of them allocates.

// entity is a built-in entity type; custom patterns and key rules get indexes after numBuiltin.
type entity uint16

const (
	entEmail entity = iota
	entCard
	entSSN
	entIP
	entIBAN
	entPhone
	entJWT
	entAuth
	entURLSecret
	numBuiltin
)

var builtinNames = [numBuiltin]string{"email", "card", "ssn", "ip", "iban", "phone", "jwt", "auth", "url_secret"}

// Byte classes.
const (
	clDigit  uint16 = 1 << iota // 0-9
	clAlpha                     // A-Za-z
	clWord                      // A-Za-z0-9_
	clLocal                     // e-mail local part: A-Za-z0-9 . _ % + - '
	clDomain                    // A-Za-z0-9 -
	clHex                       // 0-9A-Fa-f
	clB64URL                    // A-Za-z0-9 _ -
	clToken                     // credential characters: A-Za-z0-9 - . _ ~ + / =
	clURLEnd                    // ends a URL in free text: whitespace, quotes, <>, `, \, control
)

var classes [256]uint16

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		var k uint16
		isDigit := b >= '0' && b <= '9'
		isAlpha := (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')
		if isDigit {
			k |= clDigit
		}
		if isAlpha {
			k |= clAlpha
		}
		if isDigit || isAlpha || b == '_' {
			k |= clWord
		}
		if isDigit || isAlpha || b == '.' || b == '_' || b == '%' || b == '+' || b == '-' || b == '\'' {
			k |= clLocal
		}
		if isDigit || isAlpha || b == '-' {
			k |= clDomain
		}
		if isDigit || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F') {
			k |= clHex
		}
		if isDigit || isAlpha || b == '_' || b == '-' {
			k |= clB64URL
		}
		if isDigit || isAlpha || b == '-' || b == '.' || b == '_' || b == '~' || b == '+' || b == '/' || b == '=' {
			k |= clToken
		}
		if b <= ' ' || b == '"' || b == '\'' || b == '<' || b == '>' || b == '`' || b == '\\' || b == 0x7f {
			k |= clURLEnd
		}
		classes[c] = k
	}
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }
func isWord(b byte) bool  { return classes[b]&clWord != 0 }
func isAlpha(b byte) bool { return classes[b]&clAlpha != 0 }

func lower(b byte) byte {
	if b >= 'A' && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// luhnValid checks the Luhn checksum over the digits of s (other bytes are skipped).
func luhnValid(s string) bool {
	sum, n := 0, 0
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if !isDigit(c) {
			continue
		}
		d := int(c - '0')
		if n%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		n++
	}
	return n > 0 && sum%10 == 0
}

// prefixNum returns the number formed by the first k digits of d (a digits-only string of length >= k).
func prefixNum(d string, k int) int {
	n := 0
	for i := 0; i < k && i < len(d); i++ {
		n = n*10 + int(d[i]-'0')
	}
	return n
}

// cardIINValid checks that digits (digits only) start with a known issuer identification number and has a
// length that issuer uses. Table after the Datadog Agent's obfuscator, plus 15-digit JCB (1800, 2131), Mir and
// 12-19-digit Maestro.
func cardIINValid(d string) bool {
	n := len(d)
	if n < 12 || n > 19 {
		return false
	}
	p1, p2, p3, p4, p6 := prefixNum(d, 1), prefixNum(d, 2), prefixNum(d, 3), prefixNum(d, 4), prefixNum(d, 6)
	switch {
	case p1 == 4: // Visa
		return n == 13 || n == 16 || n == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720: // Mastercard
		return n == 16
	case p4 >= 2200 && p4 <= 2204: // Mir
		return n >= 16 && n <= 19
	case p2 == 34 || p2 == 37: // American Express
		return n == 15
	case p3 >= 300 && p3 <= 305, p2 == 36, p2 == 38, p2 == 39: // Diners Club
		return n >= 14 && n <= 19
	case p4 == 6011, p3 >= 644 && p3 <= 649, p2 == 65, p6 >= 622126 && p6 <= 622925: // Discover
		return n >= 16 && n <= 19
	case p2 == 35: // JCB (3528-3589 assigned; generators and older tables use all of 35xx)
		return n >= 16 && n <= 19
	case p4 == 1800 || p4 == 2131: // JCB, 15 digits
		return n == 15
	case p4 == 5018 || p4 == 5020 || p4 == 5038 || p4 == 5893 || p4 == 6304 || p4 == 6759 ||
		p4 == 6761 || p4 == 6762 || p4 == 6763 || p4 == 604 || p4 == 6390: // Maestro (0604 reads as 604)
		return n >= 12 && n <= 19
	case p2 >= 56 && p2 <= 58: // Maestro
		return n >= 12 && n <= 19
	case p2 == 62: // UnionPay
		return n >= 16 && n <= 19
	case p2 == 50: // Maestro / Elo-style 50 range
		return n >= 12 && n <= 19
	case p1 == 1: // UATP
		return n == 15
	}
	return false
}

// cardValid is the full validation of a digits-only card candidate.
func cardValid(d string) bool {
	if !cardIINValid(d) || !luhnValid(d) {
		return false
	}
	// All-same digits and simple ramps pass Luhn sometimes; they are test patterns, not cards.
	same := true
	for i := 1; i < len(d); i++ {
		if d[i] != d[0] {
			same = false
			break
		}
	}
	return !same
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

// jwtHeaderValid reports whether seg (the first JWT segment, base64url without padding) decodes to a JSON object.
// buf is scratch space; the decoded header is at most len(buf) bytes.
func jwtHeaderValid(seg string, buf []byte) bool {
	n := len(seg)
	if n < 16 || n*3/4 > len(buf) {
		return false
	}
	// Decode base64url by hand: no allocation, and padding-free input is the norm for JWTs.
	out := buf[:0]
	var acc uint32
	bits := 0
	for i := 0; i < n; i++ {
		v := b64urlValue(seg[i])
		if v < 0 {
			if seg[i] == '=' && i >= n-2 {
				break
			}
			return false
		}
		acc = acc<<6 | uint32(v)
		bits += 6
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>uint(bits)))
		}
	}
	return jsonObjectLike(out) && json.Valid(out)
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
