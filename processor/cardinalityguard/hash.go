package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import (
	"math"
	"math/bits"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Series identities are 64-bit hashes. An attribute set hashes to the sum of the mixed
// hashes of its (key, value) pairs: order-independent, so no sorting or buffer is needed,
// and a changed or removed pair adjusts the sum without rehashing the others. A 64-bit
// collision between two live series of one metric is possible in theory (~1e-10 at 100k
// series) and would merge them; this is the same trade-off Prometheus makes in its head.
//
// Strings (attribute keys and values, mostly shorter than 32 bytes) are hashed with strHash,
// a wyhash-style function with fixed seeds: deterministic across runs, and 2-3x cheaper
// than a general-purpose hash call on short inputs; it is the hot path's main cost.

func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

const (
	hk0 = 0xa0761d6478bd642f
	hk1 = 0xe7037ed1a0b428db
	hk2 = 0x8ebc6af09c88c6e3
	hk3 = 0x589965cc75374cc3
)

func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

func load64(p unsafe.Pointer, i int) uint64 { return *(*uint64)(unsafe.Add(p, i)) }
func load32(p unsafe.Pointer, i int) uint64 { return uint64(*(*uint32)(unsafe.Add(p, i))) }

// strHash hashes a string (wyhash's construction: overlapping word loads cover every byte,
// 128-bit multiply-folds (hi ^ lo of the product) mix them and the length, so that every
// output bit depends on every input bit, as the HyperLogLog sketches need). Unaligned loads are fine on the platforms Go
// supports for this binary (amd64, arm64); the byte order only changes hash values, which
// never leave the process.
func strHash(s string) uint64 {
	n := len(s)
	seed := uint64(hk0)
	var a, b uint64
	if n > 0 {
		p := unsafe.Pointer(unsafe.StringData(s))
		switch {
		case n < 4:
			b0 := *(*byte)(p)
			b1 := *(*byte)(unsafe.Add(p, n>>1))
			b2 := *(*byte)(unsafe.Add(p, n-1))
			a = uint64(b0)<<16 | uint64(b1)<<8 | uint64(b2)
		case n < 8:
			a, b = load32(p, 0), load32(p, n-4)
		case n <= 16:
			a, b = load64(p, 0), load64(p, n-8)
		default:
			i := 0
			for ; n-i > 16; i += 16 {
				seed = mum(load64(p, i)^hk1, load64(p, i+8)^seed)
			}
			a, b = load64(p, n-16), load64(p, n-8)
		}
	}
	return mum(uint64(n)^hk3, mum(a^hk1, b^seed^hk2))
}

func keyHash(k string) uint64 { return strHash(k) }

// valueHash is type-tagged so that the string "1" and the integer 1 differ.
func valueHash(v pcommon.Value) uint64 {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return strHash(v.Str())
	case pcommon.ValueTypeInt:
		return mix64(uint64(v.Int())^hk1) ^ 0x1
	case pcommon.ValueTypeDouble:
		return mix64(math.Float64bits(v.Double())^hk2) ^ 0x2
	case pcommon.ValueTypeBool:
		if v.Bool() {
			return 0x3b
		}
		return 0x3a
	default:
		return strHash(v.AsString()) ^ 0x4
	}
}

func pairHash(kh, vh uint64) uint64 { return mum(kh^hk1, vh^hk2) }

// mapHash hashes a whole attribute map.
func mapHash(m pcommon.Map) uint64 {
	var h uint64
	for k, v := range m.All() {
		h += pairHash(keyHash(k), valueHash(v))
	}
	return h
}

func combine(a, b uint64) uint64 { return mix64(a ^ mix64(b+0x632be59bd9b4e019)) }
