package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import (
	"net/netip"
	"strings"
)

// IP addresses: dotted quads (found as numbers, numbers.go) and IPv6 addresses around a ':', validated with
// net/netip. Loopback, unspecified, multicast and broadcast addresses, networks in CIDR notation (a masked
// address stays masked on a second pass), versions ("version 1.2.3.4") and, when configured, private ranges
// are left alone.

var versionWords = newWordSet("version", "ver", "v=")

// ipv4OK validates s[a:b] as a dotted quad.
func (st *state) ipv4OK(s string, a, b int) bool {
	st.work.add(2 * (b - a)) // octet check and netip
	for j, oct := a, 0; j <= b; j++ {
		if j == b || s[j] == '.' {
			if oct == 0 || oct > 3 {
				return false
			}
			oct = 0
			continue
		}
		oct++
	}
	addr, err := netip.ParseAddr(s[a:b])
	if err != nil {
		return false
	}
	return st.ipInteresting(addr) && !isCIDRNetwork(s, b, addr) && !st.versionContext(s, a)
}

func (st *state) ipInteresting(addr netip.Addr) bool {
	if addr.IsLoopback() || addr.IsUnspecified() || addr.IsMulticast() || addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return false
	}
	if st.e.ipSkipPrivate && (addr.IsPrivate() || addr.IsLinkLocalUnicast()) {
		return false
	}
	return true
}

// isCIDRNetwork reports whether the address ending at b is followed by "/len" with all host bits zero.
func isCIDRNetwork(s string, b int, addr netip.Addr) bool {
	if b+1 >= len(s) || s[b] != '/' || !isDigit(s[b+1]) {
		return false
	}
	l, j := 0, b+1
	for j < len(s) && isDigit(s[j]) && j-b <= 3 {
		l = l*10 + int(s[j]-'0')
		j++
	}
	if l > addr.BitLen() {
		return false
	}
	p, err := addr.Prefix(l)
	return err == nil && p.Addr() == addr
}

func (st *state) versionContext(s string, a int) bool {
	if productVersion(s, a) || st.keyFlag(keyVersion) {
		return true
	}
	lo := max(a-12, 0)
	return st.contextBefore(versionWords, s[lo:], a-lo, contextWindow)
}

// productVersion reports whether the number at a is the version of a product token, as in a user agent:
// "Chrome/131.0.0.0" (every reduced Chrome user agent has a dotted quad), "Edg/131.0.2903.70". The token is a
// name of two or more letters, digits, '.', '_' or '-' that starts with an upper-case letter (as browsers'
// product tokens do), at the start of s or after a space, '(', ';' or ','; so "/api/ip/203.0.113.7",
// "via proxy/203.0.113.8" and "host 203.0.113.7" stay addresses.
func productVersion(s string, a int) bool {
	if a < 3 || s[a-1] != '/' {
		return false
	}
	p := a - 1
	for p > 0 && a-1-p < 32 && (isWord(s[p-1]) || s[p-1] == '.' || s[p-1] == '-') {
		p--
	}
	if a-1-p < 2 || s[p] < 'A' || s[p] > 'Z' {
		return false
	}
	return p == 0 || s[p-1] == ' ' || s[p-1] == '(' || s[p-1] == ';' || s[p-1] == ','
}

// ipv6Candidate reports whether the ':' at i may be part of an IPv6 address: outside a run already rejected,
// and followed by a hex digit or another colon ("key: value" is not).
func (st *state) ipv6Candidate(c *cursor, i int) bool {
	s := c.s
	return st.e.enabled[entIP] && i >= c.noV6Until && i+1 < len(s) && (classes[s[i+1]]&clHex != 0 || s[i+1] == ':')
}

// ipv6At finds an IPv6 address around the ':' at i. When there is none it returns, as b, the end of the run of
// hex digits, colons and dots it looked at, so the caller can skip that run's other colons.
func (st *state) ipv6At(s string, i, last int) (int, int, bool) {
	a := i
	for a > last && i-a < 4 && classes[s[a-1]]&clHex != 0 {
		a--
	}
	if a > 0 && (isWord(s[a-1]) || s[a-1] == ':' || s[a-1] == '.' || s[a-1] == '%') {
		return 0, i + 1, false
	}
	end, colons, dbl, dots, ok := ipv6Run(s, a)
	st.work.add(2 * (end - a)) // the run, and netip over it
	if !ok {
		return 0, end, false
	}
	b := end
	// A single trailing ':' is punctuation ("addr fe80::1: timeout"), "::" is part of the address.
	if b-a >= 2 && s[b-1] == ':' && s[b-2] != ':' {
		b--
		colons--
	}
	if colons < 2 || dbl > 1 || (dbl == 0 && colons != 7 && !(colons == 6 && dots == 3)) || (dots != 0 && dots != 3) {
		return 0, end, false
	}
	if b < len(s) && (isWord(s[b]) || s[b] == '.' || s[b] == ':') {
		return 0, end, false
	}
	if strings.Contains(s[a:b], ":::") {
		return 0, end, false
	}
	addr, err := netip.ParseAddr(s[a:b])
	if err != nil || !st.ipInteresting(addr) || isCIDRNetwork(s, b, addr) {
		return 0, end, false
	}
	return a, b, true
}

// ipv6Run measures the run of hex digits, colons and dots from a (at most 46 bytes): where it ends, its
// colons, double colons and dots, and false when a group has more than four hex digits.
func ipv6Run(s string, a int) (end, colons, dbl, dots int, ok bool) {
	n := len(s)
	b := a
	group := 0
	ok = true
	for b < n && b-a <= 45 {
		c := s[b]
		switch {
		case c == ':':
			colons++
			if b+1 < n && s[b+1] == ':' {
				dbl++
			}
			group = 0
		case c == '.':
			dots++
			group = 0
		case classes[c]&clHex != 0:
			group++
			if group > 4 {
				ok = false
			}
		default:
			return b, colons, dbl, dots, ok
		}
		b++
	}
	return b, colons, dbl, dots, ok
}
