package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import (
	"bytes"
	"math/bits"
	"net/netip"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// The scanner makes one pass over the bytes of a string. A 256-entry table sends the few interesting bytes
// (digits at a word boundary, '@', ':', '/', '+', '(', 'e' of "eyJ", 'b'/'B' of Bearer/Basic) to a candidate
// finder; everything else costs one table lookup. Candidates are validated (Luhn and IIN, SSN rules, mod-97,
// net/netip, JSON header, context words) before anything is replaced. Hand-written instead of RE2 for speed:
// chained RE2 detectors run at ~2.5 MB/s against several hundred MB/s here (see README, Benchmarks).

const (
	trNone byte = iota
	trDigit
	trAt
	trColon
	trSlash
	trPlus
	trParen
	trE
	trB
	trHigh
)

var triggers [256]byte

func init() {
	for c := '0'; c <= '9'; c++ {
		triggers[c] = trDigit
	}
	triggers['@'] = trAt
	triggers[':'] = trColon
	triggers['/'] = trSlash
	triggers['+'] = trPlus
	triggers['('] = trParen
	triggers['J'] = trE // the J of "eyJ": far rarer than 'e'
	triggers['b'] = trB
	triggers['B'] = trB
	for c := 0x80; c < 0x100; c++ {
		triggers[c] = trHigh
	}
}

// minScanLen: no detector matches fewer bytes ("a@b.co", "1.2.3.4" is 7).
const minScanLen = 6

// maxURLDepth bounds URLs nested in query values (redirect_uri=https%3A%2F%2F...).
const maxURLDepth = 2

// scanAppend appends the scrubbed form of s to dst and reports whether anything changed. With copyAll false
// and no change, dst is returned untouched (the zero-copy path for attribute values).
func (st *state) scanAppend(dst []byte, s string, copyAll bool, urlDepth int) ([]byte, bool) {
	n := len(s)
	if n < minScanLen {
		if copyAll {
			dst = append(dst, s...)
		}
		return dst, false
	}
	st.bytesScanned += int64(n)
	st.steps += int64(n) // the pass over every byte
	changed, sawHigh := false, false
	last := 0  // s[:last] has been copied or replaced
	floor := 0 // candidates may not start before floor (last, or the end of one of our own tokens)
	noV6Until := 0
	i := 0
	for i < n {
		// Skip eight uninteresting bytes at a time; in a window with a trigger, jump straight to the first one.
		for i+8 <= n {
			w := s[i : i+8] // one bounds check for eight bytes
			v := uint64(triggers[w[0]]) | uint64(triggers[w[1]])<<8 | uint64(triggers[w[2]])<<16 | uint64(triggers[w[3]])<<24 |
				uint64(triggers[w[4]])<<32 | uint64(triggers[w[5]])<<40 | uint64(triggers[w[6]])<<48 | uint64(triggers[w[7]])<<56
			if v == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(v) >> 3
			break
		}
		if i >= n {
			break
		}
		t := triggers[s[i]]
		if t == trNone {
			i++
			continue
		}
		st.steps++ // one dispatch
		switch t {
		case trDigit:
			if !numBoundaryBefore(s, i) {
				// Digits inside a word. Two letters at a boundary and then two digits may start an IBAN.
				if i >= 2 && i-2 >= floor && isAlpha(s[i-1]) && isAlpha(s[i-2]) && (i == 2 || !isWord(s[i-3])) &&
					i+1 < n && isDigit(s[i+1]) && st.e.enabled[entIBAN] {
					if b, ok := st.iban(s, i-2); ok {
						dst = append(dst, s[last:i-2]...)
						dst = st.emit(dst, entIBAN, s[i-2:b])
						last, floor, i, changed = b, b, b, true
						continue
					}
				}
				i = st.skipWord(s, i)
				continue
			}
			// Inline fast path: a run of fewer than seven digits not continued by a separator and a digit is
			// nothing (every detector needs seven digits or a dotted quad); times, counters, ports.
			j := i + 1
			for j < n && isDigit(s[j]) {
				j++
			}
			st.steps += int64(j - i)
			if j-i == 4 && j+6 <= n && s[j] == '-' && isDigit(s[j+1]) && isDigit(s[j+2]) && s[j+3] == '-' &&
				isDigit(s[j+4]) && isDigit(s[j+5]) && (j+6 == n || !isDigit(s[j+6])) {
				// An ISO date (2026-03-01, also inside 2026-03-01T12:00:00Z) is never personal data here.
				i = st.skipWord(s, j+6)
				continue
			}
			if j-i < 7 && (j+1 >= n || !isNumSep(s[j]) || !isDigit(s[j+1])) {
				if j < n && (isWord(s[j]) || s[j] == '@') {
					j = st.skipWord(s, j)
				}
				i = j
				continue
			}
			ent, a, b, next := st.numeric(s, i)
			if ent != noEntity && a >= floor {
				dst = append(dst, s[last:a]...)
				dst = st.emit(dst, ent, s[a:b])
				last, floor, changed = b, b, true
			}
			i = next
		case trAt:
			if st.e.enabled[entEmail] {
				if a, b, ok := st.emailAt(s, i, floor); ok {
					dst = append(dst, s[last:a]...)
					dst = st.emit(dst, entEmail, s[a:b])
					last, floor, i, changed = b, b, b, true
					continue
				}
			}
			i++
		case trColon:
			if i+2 < n && s[i+1] == '/' && s[i+2] == '/' && urlDepth < maxURLDepth {
				if a, b, ok := st.urlBounds(s, i, floor); ok {
					mark := len(dst)
					dst = append(dst, s[last:a]...)
					var uch bool
					dst, uch = st.scrubURL(dst, s[a:b], urlFull, urlDepth+1)
					if uch {
						last, floor, changed = b, b, true
					} else {
						dst = dst[:mark]
					}
					i = b
					continue
				}
			}
			if i >= 3 && s[i-1] == 'i' {
				end, ok, seen := pseudonymScan(s, i)
				st.steps += int64(seen - i)
				if ok {
					i, floor = end, end
					continue
				}
			}
			// An address's colons are followed by a hex digit or another colon ("key: value" is not).
			if st.e.enabled[entIP] && i >= noV6Until && i+1 < n && (classes[s[i+1]]&clHex != 0 || s[i+1] == ':') {
				a, b, ok := st.ipv6At(s, i, floor)
				if ok {
					dst = append(dst, s[last:a]...)
					dst = st.emit(dst, entIP, s[a:b])
					last, floor, i, changed = b, b, b, true
					continue
				}
				// The run of hex digits and colons around i is not an address: do not look at its other colons.
				noV6Until = b
			}
			i++
		case trSlash:
			if urlDepth < maxURLDepth && (i == 0 || pathStartAfter(s[i-1])) && i+1 < n && s[i+1] != '/' && i >= floor {
				b, special := pathToken(s, i)
				st.steps += int64(b - i)
				if special {
					mark := len(dst)
					dst = append(dst, s[last:i]...)
					var uch bool
					dst, uch = st.scrubURL(dst, s[i:b], urlPath, urlDepth+1)
					if uch {
						last, floor, changed = b, b, true
					} else {
						dst = dst[:mark]
					}
					i = b
					continue
				}
			}
			i++
		case trPlus:
			if st.e.enabled[entPhone] && i >= floor && (i == 0 || !isWord(s[i-1])) && i+1 < n && isDigit(s[i+1]) {
				if b, ok := st.intlPhone(s, i); ok {
					dst = append(dst, s[last:i]...)
					dst = st.emit(dst, entPhone, s[i:b])
					last, floor, i, changed = b, b, b, true
					continue
				}
			}
			i++
		case trParen:
			if st.e.enabled[entPhone] && i >= floor && i+5 < n && isDigit(s[i+1]) {
				if b, ok := st.parenPhone(s, i); ok {
					dst = append(dst, s[last:i]...)
					dst = st.emit(dst, entPhone, s[i:b])
					last, floor, i, changed = b, b, b, true
					continue
				}
			}
			i++
		case trE:
			if a := i - 2; a >= floor && s[a] == 'e' && s[a+1] == 'y' && (a == 0 || (classes[s[a-1]]&clB64URL == 0 && s[a-1] != '.')) {
				b, ok, next := st.jwtAt(s, a)
				if ok && st.e.enabled[entJWT] {
					dst = append(dst, s[last:a]...)
					dst = st.emit(dst, entJWT, s[a:b])
					last, floor, changed = b, b, true
				}
				i = next
				continue
			}
			i++
		case trB:
			if st.e.enabled[entAuth] && (i == 0 || !isWord(s[i-1])) && i >= floor {
				if a, b, ok := st.authAt(s, i); ok {
					dst = append(dst, s[last:a]...)
					dst = st.emit(dst, entAuth, s[a:b])
					last, floor, i, changed = b, b, b, true
					continue
				}
			}
			i++
		case trHigh:
			sawHigh = true
			i++
		}
	}
	if sawHigh {
		st.steps += int64(n)
	}
	if sawHigh && !utf8.ValidString(s) {
		st.problem(reasonInvalidUTF8, false)
	}
	if changed || copyAll {
		dst = append(dst, s[last:]...)
	}
	return dst, changed
}

func skipWord(s string, i int) int {
	for i < len(s) && isWord(s[i]) {
		i++
	}
	return i
}

// skipWord is skipWord, counted.
func (st *state) skipWord(s string, i int) int {
	j := skipWord(s, i)
	st.steps += int64(j - i)
	return j
}

// numBoundaryBefore reports whether a number may start at i: not glued to a word, a dotted sequence, an '@',
// a '+' (handled as a phone) or a hyphenated identifier such as blk_-160899... or pod-7d9f8c.
func numBoundaryBefore(s string, i int) bool {
	if i == 0 {
		return true
	}
	p := s[i-1]
	if isWord(p) || p == '.' || p == '@' || p == '+' {
		return false
	}
	if p == '-' && i >= 2 && (isWord(s[i-2]) || s[i-2] == '-') {
		return false
	}
	return true
}

// gluedAfter reports whether the byte at j continues a word, so a number ending there is part of an identifier.
func gluedAfter(s string, j int) bool {
	if j >= len(s) {
		return false
	}
	c := s[j]
	if isWord(c) || c == '@' {
		return true
	}
	if (c == '-' || c == '.') && j+1 < len(s) && isWord(s[j+1]) {
		return true
	}
	return false
}

func isNumSep(c byte) bool { return c == ' ' || c == '-' || c == '.' }

// numGroups are the digit groups of a number candidate: up to 8 groups separated by single ' ', '-' or '.'.
type numGroups struct {
	start, end [8]int
	n          int
	digits     [8]int // cumulative digit count after each group
	seps       [8]byte
}

func (g *numGroups) sepUniform(k int) (byte, bool) {
	if k <= 1 {
		return 0, true
	}
	c := g.seps[0]
	for i := 1; i < k-1; i++ {
		if g.seps[i] != c {
			return 0, false
		}
	}
	return c, true
}

func parseGroups(s string, i int, g *numGroups) {
	n := len(s)
	j := i
	total := 0
	for {
		k := j
		for k < n && isDigit(s[k]) {
			k++
		}
		g.start[g.n], g.end[g.n] = j, k
		total += k - j
		g.digits[g.n] = total
		g.n++
		j = k
		if g.n < len(g.start) && total <= 19 && j+1 < n && isNumSep(s[j]) && isDigit(s[j+1]) {
			g.seps[g.n-1] = s[j]
			j++
			continue
		}
		return
	}
}

// numeric classifies the number starting at i (a digit at a boundary). It returns the finding (or noEntity)
// and the index where scanning resumes.
func (st *state) numeric(s string, i int) (entity, int, int, int) {
	// Fast path: a short run of digits not followed by a separator and a digit cannot be anything (every
	// detector needs seven digits or a dotted quad).
	j := i + 1
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	st.steps += int64(j - i)
	if j-i < 7 && (j+1 >= len(s) || !isNumSep(s[j]) || !isDigit(s[j+1])) {
		if gluedAfter(s, j) {
			return noEntity, 0, 0, st.skipWord(s, j)
		}
		return noEntity, 0, 0, j
	}
	st.ctxPhone, st.ctxSSN = ctxUnknown, ctxUnknown
	g := &st.groups // reused: parseGroups writes every field it later reads
	g.n = 0
	parseGroups(s, i, g)
	fullEnd := g.end[g.n-1]
	st.steps += int64(fullEnd - i)
	// Whole token first; then, for space-separated groups only, shorter prefixes (a card followed by another number).
	kmax := g.n
	if kmax > 1 && g.seps[0] != '.' && g.end[0]-g.start[0] > 5 {
		// Grouped cards start with 4 digits, SSNs with 3, phone groups have at most 5: only the first run
		// on its own can still be something.
		kmax = 1
	}
	st.steps += 64 // the glue, extension and label checks after the whole token
	for k := kmax; k >= 1; k-- {
		end := g.end[k-1]
		if k < g.n && g.seps[k-1] != ' ' {
			continue
		}
		if k == g.n && kmax == g.n && gluedAfter(s, end) && phoneExtension(s, end) == end && !phoneLabelAfter(s, end) {
			if k == 1 {
				return noEntity, 0, 0, st.skipWord(s, end)
			}
			continue
		}
		if ent, b := st.classifyNumber(s, i, end, g, k); ent != noEntity {
			return ent, i, b, b
		}
	}
	if g.n > 1 && g.seps[0] == ' ' {
		return noEntity, 0, 0, g.end[0]
	}
	return noEntity, 0, 0, fullEnd
}

// classifyNumber decides what the first k groups of g (s[a:b]) are, if anything.
func (st *state) classifyNumber(s string, a, b int, g *numGroups, k int) (entity, int) {
	st.steps += int64(k) + 2 // the groups' separators
	digits := g.digits[k-1]
	sep, uniform := g.sepUniform(k)
	if !uniform {
		return noEntity, 0
	}
	// IPv4: four dot-separated octets.
	if sep == '.' && k == 4 {
		if st.e.enabled[entIP] && st.ipv4OK(s, a, b) {
			return entIP, b
		}
		return noEntity, 0
	}
	if sep == '.' && !(k == 3 || (k >= 2 && digits >= 7)) {
		return noEntity, 0 // versions and decimals
	}
	if digits < 7 || digits > 19 {
		return noEntity, 0
	}
	st.steps += int64(b-a) + 64 // shape checks over the groups; extension, label and glue after b
	glued := gluedAfter(s, b)
	// Payment card: 12-19 digits, groups of 4 (or Amex/Diners 4-6-5 / 4-6-4), IIN + Luhn, not under an id key.
	if !glued && st.e.enabled[entCard] && digits >= 12 && sep != '.' && cardGroupsOK(g, k) &&
		cardValid(st.digitsOf(s, a, b)) && !st.idContext(s, a) {
		return entCard, b
	}
	// SSN: 3-2-4 with dashes (or spaces/dots next to a keyword); bare 9 digits only next to a keyword.
	if !glued && st.e.enabled[entSSN] && digits == 9 {
		shaped := k == 3 && g.end[0]-g.start[0] == 3 && g.end[1]-g.start[1] == 2
		if (shaped && sep == '-') || ((shaped || k == 1) && st.ssnContext(s, a)) {
			if ssnValid(st.digitsOf(s, a, b)) {
				return entSSN, b
			}
		}
	}
	// Phone in a national format: only with a context word or under a phone-like key.
	if st.e.enabled[entPhone] && phoneShaped(g, k, digits) {
		bb := phoneExtension(s, b)
		if st.phoneContext(s, a) || phoneLabelAfter(s, bb) {
			return entPhone, bb
		}
	}
	return noEntity, 0
}

// digitsOf returns the digits of s[a:b] (at most 24) as a string backed by the state's scratch buffer: valid
// until the next call; the validators do not retain it.
func (st *state) digitsOf(s string, a, b int) string {
	st.steps += int64(2 * (b - a)) // the copy, and the validator (Luhn, SSN rules) over it
	d := st.digBuf[:0]
	for j := a; j < b && len(d) < len(st.digBuf); j++ {
		if isDigit(s[j]) {
			d = append(d, s[j])
		}
	}
	return unsafe.String(unsafe.SliceData(d), len(d))
}

// phoneShaped: 10-12 digits in one run, or 7-15 digits in groups of at most 5 (no 6-digit date or time group).
func phoneShaped(g *numGroups, k, digits int) bool {
	if k == 1 {
		return digits >= 10 && digits <= 12
	}
	if digits < 7 || digits > 15 || k > 6 {
		return false
	}
	if k == 3 {
		// Dates: 2026-03-01, 01.03.2026, 03 01 2026.
		l0, l1, l2 := g.end[0]-g.start[0], g.end[1]-g.start[1], g.end[2]-g.start[2]
		if (l0 == 4 && l1 == 2 && l2 == 2) || (l0 == 2 && l1 == 2 && l2 == 4) {
			return false
		}
	}
	for i := 0; i < k; i++ {
		if g.end[i]-g.start[i] > 5 {
			return false
		}
	}
	return true
}

// phoneExtension extends a phone number over "x123" / " ext. 123" style extensions.
func phoneExtension(s string, b int) int {
	j := b
	if j < len(s) && (s[j] == 'x' || s[j] == 'X') {
		k := j + 1
		for k < len(s) && isDigit(s[k]) && k-j <= 6 {
			k++
		}
		if k > j+1 && !gluedAfter(s, k) {
			return k
		}
	}
	return b
}

func cardGroupsOK(g *numGroups, k int) bool {
	if k == 1 {
		return true
	}
	if k > 5 {
		return false
	}
	for i := 0; i < k; i++ {
		l := g.end[i] - g.start[i]
		switch {
		case i == 0:
			if l != 4 {
				return false
			}
		case i == k-1:
			if l < 1 || l > 6 {
				return false
			}
		default:
			if l != 4 && l != 6 {
				return false
			}
		}
	}
	return true
}

// ipv4OK validates s[a:b] as a dotted quad with netip, leaving alone loopback, unspecified, multicast and broadcast
// addresses, networks in CIDR notation (a masked address stays masked on a second pass), versions and, when
// configured, private ranges.
func (st *state) ipv4OK(s string, a, b int) bool {
	st.steps += int64(2 * (b - a)) // octet check and netip
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
	if !st.ipInteresting(addr) {
		return false
	}
	if isCIDRNetwork(s, b, addr) {
		return false
	}
	if st.versionContext(s, a) {
		return false
	}
	return true
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
	n := len(s)
	b := a
	colons, dbl, group, dots := 0, 0, 0, 0
	tooLong := false
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
				tooLong = true
			}
		default:
			goto done
		}
		b++
	}
done:
	end := b
	st.steps += int64(2 * (end - a)) // the run, and netip over it
	if tooLong {
		return 0, end, false
	}
	// A single trailing ':' is punctuation ("addr fe80::1: timeout"), "::" is part of the address.
	if b-a >= 2 && s[b-1] == ':' && s[b-2] != ':' {
		b--
		colons--
	}
	if colons < 2 || dbl > 1 || (dbl == 0 && colons != 7 && !(colons == 6 && dots == 3)) || (dots != 0 && dots != 3) {
		return 0, end, false
	}
	if b < n && (isWord(s[b]) || s[b] == '.' || s[b] == ':') {
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

// emailAt finds an e-mail address around the '@' at at. The local part is restricted to common characters (no
// '*', so a masked "***@example.com" is left alone); the domain needs a dot and an alphabetic TLD.
func emailAt(s string, at, last int) (int, int, bool) {
	a, b, ok, _ := emailScan(s, at, last)
	return a, b, ok
}

// emailAt is emailAt, counted.
func (st *state) emailAt(s string, at, last int) (int, int, bool) {
	a, b, ok, work := emailScan(s, at, last)
	st.steps += int64(work)
	return a, b, ok
}

// emailScan is emailAt, also returning how many bytes it examined.
func emailScan(s string, at, last int) (a, b int, ok bool, work int) {
	a = at
	for a > last && classes[s[a-1]]&clLocal != 0 {
		a--
		if at-a > 64 {
			return 0, 0, false, at - a
		}
	}
	work = at - a + 1
	if a == last && a > 0 && classes[s[a-1]]&clLocal != 0 {
		return 0, 0, false, work // glued to a replacement or one of our tokens
	}
	for a < at && (s[a] == '.' || s[a] == '\'' || s[a] == '-' || s[a] == '+') {
		a++
	}
	if a == at || s[at-1] == '.' {
		return 0, 0, false, work
	}
	n := len(s)
	j := at + 1
	end, dots, tldStart := 0, 0, 0
	for {
		k := j
		for k < n && classes[s[k]]&clDomain != 0 {
			k++
		}
		work += k - j + 1
		if k == j || k-j > 63 || s[j] == '-' || s[k-1] == '-' {
			break
		}
		end, tldStart = k, j
		if k+1 < n && s[k] == '.' && classes[s[k+1]]&clDomain != 0 {
			dots++
			j = k + 1
			continue
		}
		break
	}
	if end == 0 || end-at-1 > 253 {
		return 0, 0, false, work
	}
	// The last accepted label must be the TLD: alphabetic, two or more letters. Back off labels that are not.
	for {
		tld := s[tldStart:end]
		work += len(tld) + 1
		okTLD := len(tld) >= 2
		for x := 0; x < len(tld) && okTLD; x++ {
			okTLD = isAlpha(tld[x])
		}
		if okTLD {
			break
		}
		if tldStart <= at+1 {
			return 0, 0, false, work
		}
		end = tldStart - 1
		dots--
		p := end
		for p > at+1 && s[p-1] != '.' {
			p--
		}
		work += end - p
		tldStart = p
	}
	if dots < 1 {
		return 0, 0, false, work
	}
	if end < n && (s[end] == '@' || s[end] == '_') {
		return 0, 0, false, work
	}
	return a, end, true, work
}

// pseudonymAt recognises one of our own tokens, pii:<type>:<keyid>:<26 base32>, whose "pii" ends before the
// ':' at i, and returns where it ends, so that a second pass leaves it alone.
func pseudonymAt(s string, i int) (int, bool) {
	end, ok, _ := pseudonymScan(s, i)
	return end, ok
}

// pseudonymScan is pseudonymAt, also returning how far it looked (an index >= i).
func pseudonymScan(s string, i int) (int, bool, int) {
	if i < 3 || s[i-3:i] != "pii" || (i > 3 && isWord(s[i-4])) {
		return 0, false, i
	}
	j := i + 1
	n := len(s)
	k := j
	for k < n && k-j <= 32 && ((s[k] >= 'a' && s[k] <= 'z') || isDigit(s[k]) || s[k] == '_') {
		k++
	}
	if k == j || k >= n || s[k] != ':' {
		return 0, false, k
	}
	j = k + 1
	k = j
	for k < n && k-j <= 40 && isWord(s[k]) {
		k++
	}
	if k == j || k >= n || s[k] != ':' {
		return 0, false, k
	}
	j = k + 1
	k = j
	for k < n && ((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= '2' && s[k] <= '7')) {
		k++
	}
	if k-j != tokenHashLen || (k < n && isWord(s[k])) {
		return 0, false, k
	}
	return k, true, k
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
	st.steps += int64(i - a + 1)
	if a == i || !isAlpha(s[a]) || (a > 0 && isWord(s[a-1])) {
		return 0, 0, false
	}
	b := i + 3
	for b < len(s) && classes[s[b]]&clURLEnd == 0 {
		b++
	}
	st.steps += int64(2 * (b - i)) // forwards, and back over trailing punctuation
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
// percent-encoding); a plain path is scanned in line like any text.
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

// intlPhone matches a phone number with a leading '+': 8-15 digits with single separators and an optional
// parenthesised area code, e.g. +1 (415) 555-2671, +44 20 7946 0958, +49-30-1234567.
func (st *state) intlPhone(s string, i int) (int, bool) {
	n := len(s)
	j := i + 1
	digits := 0
	end := 0
	for j < n {
		c := s[j]
		switch {
		case isDigit(c):
			digits++
			j++
			end = j
			continue
		case (c == ' ' || c == '-' || c == '.') && j+1 < n && (isDigit(s[j+1]) || s[j+1] == '('):
			j++
			continue
		case c == '(' && j+2 < n && isDigit(s[j+1]):
			k := j + 1
			for k < n && isDigit(s[k]) && k-j <= 5 {
				k++
			}
			if k < n && s[k] == ')' {
				digits += k - j - 1
				j = k + 1
				end = j
				if j < n && (s[j] == ' ' || s[j] == '-') && j+1 < n && isDigit(s[j+1]) {
					j++
				}
				continue
			}
		}
		break
	}
	st.steps += int64(j-i) + 8 // the number, and an extension or glue after it
	if digits < 8 || digits > 15 || end == 0 {
		return 0, false
	}
	if gluedAfter(s, end) {
		if bb := phoneExtension(s, end); bb > end {
			return bb, true
		}
		return 0, false
	}
	return end, true
}

// parenPhone matches "(415) 555-2671" style national numbers, only with context.
func (st *state) parenPhone(s string, i int) (int, bool) {
	if i > 0 && isWord(s[i-1]) {
		return 0, false
	}
	k := i + 1
	for k < len(s) && isDigit(s[k]) && k-i <= 5 {
		k++
	}
	st.steps += int64(k - i + 2)
	if k >= len(s) || s[k] != ')' || k-i-1 < 2 {
		return 0, false
	}
	j := k + 1
	if j < len(s) && (s[j] == ' ' || s[j] == '-') {
		j++
	}
	if j >= len(s) || !isDigit(s[j]) {
		return 0, false
	}
	var g numGroups
	parseGroups(s, j, &g)
	end := g.end[g.n-1]
	st.steps += int64(end-j) + 16 // the groups; extension and labels after them
	digits := g.digits[g.n-1] + k - i - 1
	if digits < 7 || digits > 15 || g.n > 4 {
		return 0, false
	}
	st.ctxPhone = ctxUnknown
	bb := phoneExtension(s, end)
	if !st.phoneContext(s, i) && !phoneLabelAfter(s, bb) {
		return 0, false
	}
	if bb > end {
		return bb, true
	}
	if phoneLabelAfter(s, end) {
		return end, true
	}
	if gluedAfter(s, end) {
		return 0, false
	}
	return end, true
}

// iban matches an IBAN starting at a (two letters, two check digits, the BBAN in one run or in groups of four
// separated by single spaces), checked against the country's length and mod-97.
func (st *state) iban(s string, a int) (int, bool) {
	cc := [2]byte{upper(s[a]), upper(s[a+1])}
	want, ok := ibanLengths[cc]
	if !ok {
		return 0, false
	}
	buf := st.ibanBuf[:0]
	j := a
	n := len(s)
	for j < n && len(buf) < int(want) {
		c := s[j]
		switch {
		case classes[c]&(clDigit|clAlpha) != 0:
			buf = append(buf, upper(c))
			j++
		case c == ' ' && len(buf)%4 == 0 && j+1 < n && classes[s[j+1]]&(clDigit|clAlpha) != 0:
			j++
		default:
			st.steps += int64(j - a + 1)
			return 0, false
		}
	}
	st.steps += int64(j-a) + 2*int64(len(buf)) // the candidate, and mod-97 over it
	if len(buf) != int(want) || (j < n && isWord(s[j])) {
		return 0, false
	}
	if !isDigit(buf[2]) || !isDigit(buf[3]) {
		return 0, false
	}
	return j, ibanMod97(buf)
}

func upper(b byte) byte {
	if b >= 'a' && b <= 'z' {
		return b - ('a' - 'A')
	}
	return b
}

// jwtAt matches header.payload.signature where the header decodes to a JSON object. It returns the end of the
// token, whether it is a JWT, and where scanning resumes.
func (st *state) jwtAt(s string, i int) (int, bool, int) {
	n := len(s)
	j := i
	for j < n && classes[s[j]]&clB64URL != 0 {
		j++
	}
	h := j
	if j >= n || s[j] != '.' || h-i > 2048 {
		st.steps += int64(j - i)
		return 0, false, j
	}
	j++
	p := j
	for j < n && classes[s[j]]&clB64URL != 0 {
		j++
	}
	if j == p || j >= n || s[j] != '.' {
		st.steps += int64(j - i)
		return 0, false, j
	}
	j++
	for j < n && classes[s[j]]&clB64URL != 0 {
		j++
	}
	st.steps += int64(j - i)
	if j < n && (s[j] == '.' || s[j] == '=') {
		return 0, false, j
	}
	st.steps += 2 * int64(min(h-i, len(st.jwtBuf))) // decode the header, then json.Valid
	if !jwtHeaderValid(s[i:h], st.jwtBuf[:]) {
		return 0, false, j
	}
	return j, true, j
}

// authAt matches "Bearer <token>" and "Basic <base64 user:password>" (case-insensitive); the finding is the
// credential only, so "Bearer " stays.
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
	st.steps += int64(2*len(tok) + 12) // the prefix, the token, and its check (Basic decode, plain word)
	if len(tok) < 8 || (i < n && isWord(s[i])) {
		return 0, 0, false
	}
	if basic {
		// Must be base64 of "user:password".
		if len(tok)%4 != 0 || len(tok)*3/4 > len(st.jwtBuf) {
			return 0, 0, false
		}
		out := st.jwtBuf[:0]
		var acc uint32
		bits := 0
		for x := 0; x < len(tok); x++ {
			v := b64urlValue(tok[x])
			if v < 0 {
				if tok[x] == '=' && x >= len(tok)-2 {
					break
				}
				return 0, 0, false
			}
			acc = acc<<6 | uint32(v)
			bits += 6
			if bits >= 8 {
				bits -= 8
				out = append(out, byte(acc>>uint(bits)))
			}
		}
		if bytes.IndexByte(out, ':') < 1 {
			return 0, 0, false
		}
		return a, i, true
	}
	// A bearer token is not a plain lower-case word ("bearer of bad news").
	plain := true
	for x := 0; x < len(tok); x++ {
		if !(tok[x] >= 'a' && tok[x] <= 'z') {
			plain = false
			break
		}
	}
	if plain && len(tok) < 20 {
		return 0, 0, false
	}
	return a, i, true
}

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

// How far before a candidate context words are looked for: phone words may stand a little further away
// ("phone number of the customer: ...") than the SSN keyword a bare nine-digit number needs.
const (
	contextWindow    = 32
	ssnContextWindow = 20
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

// before reports whether one of the words starts, at a word boundary (not after a letter or digit), within the
// contextWindow bytes before a. Matching is case-insensitive. work is the number of bytes it looked at.
func (ws *wordSet) before(s string, a, window int) (found bool, work int) {
	lo := a - window
	if lo < 0 {
		lo = 0
	}
	work = a - lo
	for j := lo; j < a; j++ {
		c := lower(s[j])
		list := ws.byFirst[c]
		if list == nil || (j > 0 && classes[s[j-1]]&(clAlpha|clDigit) != 0) {
			continue
		}
		for _, w := range list {
			work += len(w)
			if j+len(w) <= len(s) && hasPrefixFold(s[j:], w) {
				return true, work
			}
		}
	}
	return false, work
}

// before is ws.before, counted.
func (st *state) before(ws *wordSet, s string, a, window int) bool {
	found, work := ws.before(s, a, window)
	st.steps += int64(work)
	return found
}

var (
	ssnWords     = newWordSet("ssn", "social security", "social sec", "ss#", "ss no", "taxpayer")
	versionWords = newWordSet("version", "ver", "v=")
)

// Context answers are cached for the number being classified (numeric tries several prefixes of one number).
const (
	ctxUnknown uint8 = iota
	ctxNo
	ctxYes
)

func (st *state) phoneContext(s string, a int) bool {
	if st.ctxPhone == ctxUnknown {
		st.ctxPhone = ctxNo
		if st.keyFlag(keyPhone) || st.before(st.e.phoneWords, s, a, contextWindow) {
			st.ctxPhone = ctxYes
		}
	}
	return st.ctxPhone == ctxYes
}

// phoneLabelAfter reports whether the number ending at b is labelled right after it: "555-0100 (fax)",
// "555-0100-Office", "555 0100 mobile".
func phoneLabelAfter(s string, b int) bool {
	j := b
	for k := 0; k < 3 && j < len(s) && (s[j] == ' ' || s[j] == '-' || s[j] == '(' || s[j] == ',' || s[j] == '/'); k++ {
		j++
	}
	if j == b && j < len(s) && isWord(s[j]) {
		return false
	}
	for _, w := range phoneLabels {
		if hasPrefixFold(s[j:], w) && (j+len(w) == len(s) || !isAlpha(s[j+len(w)])) {
			return true
		}
	}
	return false
}

var phoneLabels = []string{"fax", "office", "mobile", "cell", "phone", "tel", "home", "work"}

func (st *state) ssnContext(s string, a int) bool {
	if st.ctxSSN == ctxUnknown {
		st.ctxSSN = ctxNo
		if st.keyFlag(keySSN) || st.before(ssnWords, s, a, ssnContextWindow) {
			st.ctxSSN = ctxYes
		}
	}
	return st.ctxSSN == ctxYes
}

func (st *state) versionContext(s string, a int) bool {
	if st.keyFlag(keyVersion) {
		return true
	}
	lo := a - 12
	if lo < 0 {
		lo = 0
	}
	return st.before(versionWords, s[lo:], a-lo, contextWindow)
}

// idContext reports whether a number at a is an identifier: under an id/timestamp-like key, or in text right
// after "…id=", "…_id: " and the like (the Datadog Agent skips databricks_job_id for this reason).
func (st *state) idContext(s string, a int) bool {
	if st.keyFlag(keyID) {
		return true
	}
	j := a
	for k := 0; k < 3 && j > 0 && (s[j-1] == '=' || s[j-1] == ':' || s[j-1] == ' ' || s[j-1] == '"'); k++ {
		j--
	}
	if j == a {
		return false
	}
	w := j
	for w > 0 && j-w < 40 && (isWord(s[w-1]) || s[w-1] == '.' || s[w-1] == '-') {
		w--
	}
	st.steps += int64(a-w) + 64 // the word before, and the id suffixes compared with it
	return keyLooksLikeID(s[w:j])
}
