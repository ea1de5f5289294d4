package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import (
	"math/bits"
	"unicode/utf8"
)

// The scanner makes one pass over the bytes of a string. A 256-entry table sends the few interesting bytes
// (digits, '@', ':', '/', '+', '(', the J of "eyJ", 'b'/'B' of Bearer/Basic) to the finder of a detector
// family (numbers.go, email.go, ip.go, phone.go, iban.go, jwt.go, auth.go, urltext.go); everything else costs
// one table lookup. A finder validates its candidate before answering, and scanAppend replaces what it found
// in one place (replace). Hand-written instead of RE2 for speed: chained RE2 detectors run at ~2.5 MB/s
// against several hundred MB/s here (docs/benchmarks.md).

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

// cursor is the position of one scanAppend pass over s.
type cursor struct {
	s         string
	last      int // s[:last] has been copied or replaced
	floor     int // candidates may not start before floor (last, or the end of one of our own tokens)
	noV6Until int // the hex-and-colon run before this index is known not to be an IPv6 address
	urlDepth  int // URL nesting of s
	hit       hit // the finding of the last finder, if hit.b > 0
}

// hit is a finding: s[a:b] is of type ent (or, with url set, a URL or path to scrub part by part).
type hit struct {
	a, b int
	ent  entity
	url  urlKind
}

// found records a finding for scanAppend to replace and returns where the scan resumes (its end). Finders
// return only that index, so a miss, by far the most common answer, costs one register.
func (c *cursor) found(a, b int, ent entity, url urlKind) int {
	c.hit = hit{a: a, b: b, ent: ent, url: url}
	return b
}

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
	st.work.add(n) // the pass over every byte
	c := cursor{s: s, urlDepth: urlDepth}
	changed, sawHigh := false, false
	for i := 0; i < n; {
		// Skip eight uninteresting bytes at a time; in a window with a trigger, jump straight to the first one.
		for i+8 <= n {
			w := s[i : i+8] // one bounds check for eight bytes
			v := uint64(triggers[w[0]]) | uint64(triggers[w[1]])<<8 | uint64(triggers[w[2]])<<16 | uint64(triggers[w[3]])<<24 |
				uint64(triggers[w[4]])<<32 | uint64(triggers[w[5]])<<40 | uint64(triggers[w[6]])<<48 | uint64(triggers[w[7]])<<56
			if v != 0 {
				i += bits.TrailingZeros64(v) >> 3
				break
			}
			i += 8
		}
		if i >= n {
			break
		}
		t := triggers[s[i]]
		if t == trNone {
			i++
			continue
		}
		st.work.add(1) // one dispatch
		var next int
		switch t {
		case trDigit:
			next = st.digitAt(&c, i)
		case trAt:
			next = st.emailHit(&c, i)
		case trColon:
			next = st.colonAt(&c, i)
		case trSlash:
			next = st.pathHit(&c, i)
		case trPlus:
			next = st.intlPhoneHit(&c, i)
		case trParen:
			next = st.parenPhoneHit(&c, i)
		case trE:
			next = st.jwtHit(&c, i)
		case trB:
			next = st.authHit(&c, i)
		default: // trHigh
			sawHigh = true
			next = i + 1
		}
		if c.hit.b > 0 {
			var ok bool
			dst, ok = st.replace(dst, &c)
			changed = changed || ok
			c.hit = hit{}
		}
		i = next
	}
	if sawHigh {
		st.work.add(n)
		if !utf8.ValidString(s) {
			st.problem(reasonInvalidUTF8, false)
		}
	}
	if changed || copyAll {
		dst = append(dst, s[c.last:]...)
	}
	return dst, changed
}

// replace writes the text before a hit and the hit's replacement: the detector's action for a finding, or the
// scrubbed URL. A URL in which nothing changed is left as it was (dst is cut back) and reports false.
func (st *state) replace(dst []byte, c *cursor) ([]byte, bool) {
	h := c.hit
	mark := len(dst)
	dst = append(dst, c.s[c.last:h.a]...)
	if h.url != noURL {
		var changed bool
		if dst, changed = st.scrubURL(dst, c.s[h.a:h.b], h.url, c.urlDepth+1); !changed {
			return dst[:mark], false
		}
	} else {
		dst = st.emit(dst, h.ent, c.s[h.a:h.b])
	}
	c.last, c.floor = h.b, h.b
	return dst, true
}

// colonAt dispatches a ':': the "://" of a URL, our own pseudonym (pii:...), or an IPv6 address.
func (st *state) colonAt(c *cursor, i int) int {
	s := c.s
	if i+2 < len(s) && s[i+1] == '/' && s[i+2] == '/' && c.urlDepth < maxURLDepth {
		if a, b, ok := st.urlBounds(s, i, c.floor); ok {
			return c.found(a, b, noEntity, urlFull)
		}
	}
	if i >= 3 && s[i-1] == 'i' {
		end, ok := pseudonymAt(s, i)
		st.work.add(end - i)
		if ok {
			c.floor = end
			return end
		}
	}
	if !st.ipv6Candidate(c, i) {
		return i + 1
	}
	a, b, ok := st.ipv6At(s, i, c.floor)
	if ok {
		return c.found(a, b, entIP, noURL)
	}
	// The run of hex digits and colons around i is not an address: do not look at its other colons.
	c.noV6Until = b
	return i + 1
}

// skipWord returns the end of the word (letters, digits, '_') at i.
func (st *state) skipWord(s string, i int) int {
	j := i
	for j < len(s) && isWord(s[j]) {
		j++
	}
	st.work.add(j - i)
	return j
}
