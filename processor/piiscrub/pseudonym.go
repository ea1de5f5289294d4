package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"hash"
	"net/netip"
	"strings"
	"sync"
)

// Pseudonym format: pii:<type>:<keyid>:<26 lower-case base32 characters> = the first 128 bits of
// HMAC-SHA256(day key, "pii_scrub/v1" 0x00 <type> 0x00 <normalised value>). The token has no '@', no digit run
// longer than the key id's date, and the scanner skips it, so a second pass leaves it alone.

const (
	tokenDomain  = "pii_scrub/v1"
	tokenHashLen = 26 // base32 characters for 128 bits
	minKeyBytes  = 32
)

var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// dayKey is one HMAC key with its id and a pool of reusable HMAC states (hmac.New costs ~1 µs; Reset ~0).
type dayKey struct {
	id   string
	pool sync.Pool
}

func newDayKey(id string, key []byte) *dayKey {
	k := bytes.Clone(key)
	dk := &dayKey{id: id}
	dk.pool.New = func() any { return hmac.New(sha256.New, k) }
	return dk
}

// token appends pii:<typ>:<keyid>:<base32> for norm.
func (st *state) token(dst []byte, dk *dayKey, typ string, norm []byte) []byte {
	st.msg = append(st.msg[:0], tokenDomain...)
	st.msg = append(st.msg, 0)
	st.msg = append(st.msg, typ...)
	st.msg = append(st.msg, 0)
	st.msg = append(st.msg, norm...)
	h := dk.pool.Get().(hash.Hash)
	h.Reset()
	h.Write(st.msg)
	st.sum = h.Sum(st.sum[:0])
	dk.pool.Put(h)
	dst = append(dst, "pii:"...)
	dst = append(dst, typ...)
	dst = append(dst, ':')
	dst = append(dst, dk.id...)
	dst = append(dst, ':')
	return tokenEncoding.AppendEncode(dst, st.sum[:16])
}

// normalize gives the value that is pseudonymised: e-mail lower-cased; card, phone and SSN digits only; IP in
// netip's canonical form; IBAN upper-case without spaces; anything else as is.
func (st *state) normalize(dst []byte, ent entity, raw string) []byte {
	switch ent {
	case entEmail:
		for i := 0; i < len(raw); i++ {
			dst = append(dst, lower(raw[i]))
		}
	case entCard, entPhone, entSSN:
		for i := 0; i < len(raw); i++ {
			if isDigit(raw[i]) {
				dst = append(dst, raw[i])
			}
		}
	case entIP:
		if strings.IndexByte(raw, ':') < 0 {
			// IPv4: netip accepts only the canonical dotted quad (no leading zeros, four fields), so a value
			// it parses prints back unchanged, and one it refuses is taken as it is: no parse needed.
			return append(dst, raw...)
		}
		if addr, err := netip.ParseAddr(raw); err == nil {
			return addr.Unmap().AppendTo(dst)
		}
		dst = append(dst, raw...)
	case entIBAN:
		for i := 0; i < len(raw); i++ {
			if raw[i] != ' ' {
				dst = append(dst, upper(raw[i]))
			}
		}
	default:
		dst = append(dst, raw...)
	}
	return dst
}

// pseudonymAt recognises one of our own tokens, pii:<type>:<keyid>:<26 base32>, whose "pii" ends before the
// ':' at i, so that a second pass leaves it alone. It returns the token's end, or how far it looked (an index
// >= i) when there is no token.
func pseudonymAt(s string, i int) (int, bool) {
	if i < 3 || s[i-3:i] != "pii" || (i > 3 && isWord(s[i-4])) {
		return i, false
	}
	j := i + 1
	n := len(s)
	k := j
	for k < n && k-j <= 32 && ((s[k] >= 'a' && s[k] <= 'z') || isDigit(s[k]) || s[k] == '_') {
		k++
	}
	if k == j || k >= n || s[k] != ':' {
		return k, false
	}
	j = k + 1
	k = j
	for k < n && k-j <= 40 && isWord(s[k]) {
		k++
	}
	if k == j || k >= n || s[k] != ':' {
		return k, false
	}
	j = k + 1
	k = j
	for k < n && ((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= '2' && s[k] <= '7')) {
		k++
	}
	if k-j != tokenHashLen || (k < n && isWord(s[k])) {
		return k, false
	}
	return k, true
}
