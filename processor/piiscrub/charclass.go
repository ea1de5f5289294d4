package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

// Byte classes shared by the detectors: one table lookup instead of a chain of comparisons.
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
		classes[c] = classOf(byte(c))
	}
}

func classOf(b byte) uint16 {
	var k uint16
	digit := b >= '0' && b <= '9'
	alpha := (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')
	if digit {
		k |= clDigit
	}
	if alpha {
		k |= clAlpha
	}
	if digit || alpha || b == '_' {
		k |= clWord
	}
	if digit || alpha || b == '.' || b == '_' || b == '%' || b == '+' || b == '-' || b == '\'' {
		k |= clLocal
	}
	if digit || alpha || b == '-' {
		k |= clDomain
	}
	if digit || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F') {
		k |= clHex
	}
	if digit || alpha || b == '_' || b == '-' {
		k |= clB64URL
	}
	if digit || alpha || b == '-' || b == '.' || b == '_' || b == '~' || b == '+' || b == '/' || b == '=' {
		k |= clToken
	}
	if b <= ' ' || b == '"' || b == '\'' || b == '<' || b == '>' || b == '`' || b == '\\' || b == 0x7f {
		k |= clURLEnd
	}
	return k
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

func upper(b byte) byte {
	if b >= 'a' && b <= 'z' {
		return b - ('a' - 'A')
	}
	return b
}

// hasPrefixFold reports whether s starts with prefix (lower-case ASCII), ignoring case.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if lower(s[i]) != prefix[i] {
			return false
		}
	}
	return true
}
