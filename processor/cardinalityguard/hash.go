package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import (
	"encoding/binary"
	"math"

	"github.com/cespare/xxhash/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Series identities are 64-bit hashes. An attribute set hashes to the sum of the mixed
// hashes of its (key, value) pairs: order-independent, so no sorting or buffer is needed,
// and a changed or removed pair adjusts the sum without rehashing the others. A 64-bit
// collision between two live series of one metric is possible in theory (~1e-10 at 100k
// series) and would merge them; this is the same trade-off Prometheus makes in its head.

func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

func keyHash(k string) uint64 { return xxhash.Sum64String(k) }

// valueHash is type-tagged so that the string "1" and the integer 1 differ.
func valueHash(v pcommon.Value) uint64 {
	var b [8]byte
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return xxhash.Sum64String(v.Str())
	case pcommon.ValueTypeInt:
		binary.LittleEndian.PutUint64(b[:], uint64(v.Int()))
		return xxhash.Sum64(b[:]) ^ 0x1
	case pcommon.ValueTypeDouble:
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(v.Double()))
		return xxhash.Sum64(b[:]) ^ 0x2
	case pcommon.ValueTypeBool:
		if v.Bool() {
			return 0x3b
		}
		return 0x3a
	default:
		return xxhash.Sum64String(v.AsString()) ^ 0x4
	}
}

func pairHash(kh, vh uint64) uint64 { return mix64(kh*0x9e3779b97f4a7c15 ^ vh) }

// mapHash hashes a whole attribute map (resources, once per ResourceMetrics).
func mapHash(m pcommon.Map) uint64 {
	var h uint64
	for k, v := range m.All() {
		h += pairHash(keyHash(k), valueHash(v))
	}
	return h
}

func combine(a, b uint64) uint64 { return mix64(a ^ mix64(b+0x632be59bd9b4e019)) }
