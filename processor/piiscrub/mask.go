package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import (
	"net/netip"
	"strings"
)

// mask appends the documented mask shape of raw.
func (st *state) mask(dst []byte, ent entity, raw string) []byte {
	switch ent {
	case entEmail:
		if at := strings.LastIndexByte(raw, '@'); at >= 0 {
			dst = append(dst, "***@"...)
			for i := at + 1; i < len(raw); i++ {
				dst = append(dst, lower(raw[i]))
			}
			return dst
		}
	case entCard:
		return appendLastDigits(append(dst, "****"...), raw, 4)
	case entPhone:
		return appendLastDigits(append(dst, "***"...), raw, 2)
	case entSSN:
		return append(dst, "***-**-****"...)
	case entIP:
		if addr, err := netip.ParseAddr(raw); err == nil {
			bits := st.e.ipMaskV4
			if addr.Is6() {
				bits = st.e.ipMaskV6
			}
			if p, err := addr.Prefix(bits); err == nil {
				return p.AppendTo(dst)
			}
		}
	case entIBAN:
		var norm [40]byte
		nb := norm[:0]
		for i := 0; i < len(raw) && len(nb) < len(norm); i++ {
			if raw[i] != ' ' {
				nb = append(nb, upper(raw[i]))
			}
		}
		if len(nb) > 6 {
			dst = append(dst, nb[:2]...)
			for i := 2; i < len(nb)-4; i++ {
				dst = append(dst, '*')
			}
			return append(dst, nb[len(nb)-4:]...)
		}
	case entURLSecret:
		return append(dst, "REDACTED"...)
	}
	return append(dst, "****"...)
}

func appendLastDigits(dst []byte, raw string, k int) []byte {
	var last [4]byte
	n := 0
	for i := len(raw) - 1; i >= 0 && n < k; i-- {
		if isDigit(raw[i]) {
			n++
			last[k-n] = raw[i]
		}
	}
	return append(dst, last[k-n:k]...)
}
