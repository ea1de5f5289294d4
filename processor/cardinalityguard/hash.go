package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import (
	"math"
	"math/bits"

	"github.com/cespare/xxhash/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-warden/otelcol-warden/internal/hashmix"
)

// Series identities are 64-bit hashes. An attribute set hashes to the sum of the mixed
// hashes of its (key, value) pairs: order-independent, so no sorting or buffer is needed,
// and a changed or removed pair adjusts the sum without rehashing the others. A 64-bit
// collision between two live series of one metric is possible in theory (~1e-10 at 100k
// series) and would merge them; this is the same trade-off Prometheus makes in its head.
// Strings are hashed with xxhash (as Prometheus' labels.Hash), integers mixed with
// hashmix.Mix64; the values never leave the process.

const (
	seedInt    = 0xe7037ed1a0b428db
	seedDouble = 0x8ebc6af09c88c6e3
)

func strHash(s string) uint64 { return xxhash.Sum64String(s) }

func keyHash(k string) uint64 { return strHash(k) }

// valueHash is type-tagged so that the string "1" and the integer 1 differ.
func valueHash(v pcommon.Value) uint64 {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return strHash(v.Str())
	case pcommon.ValueTypeInt:
		return hashmix.Mix64(uint64(v.Int())^seedInt) ^ 0x1
	case pcommon.ValueTypeDouble:
		return hashmix.Mix64(math.Float64bits(v.Double())^seedDouble) ^ 0x2
	case pcommon.ValueTypeBool:
		if v.Bool() {
			return 0x3b
		}
		return 0x3a
	default:
		return strHash(v.AsString()) ^ 0x4
	}
}

// pairHash mixes a key hash and a value hash with a 128-bit multiply-fold (hi ^ lo of the
// product), so that sums of pairs do not cancel.
func pairHash(kh, vh uint64) uint64 {
	hi, lo := bits.Mul64(kh^seedInt, vh^seedDouble)
	return hi ^ lo
}

// mapHash hashes a whole attribute map.
func mapHash(m pcommon.Map) uint64 {
	var h uint64
	for k, v := range m.All() {
		h += pairHash(keyHash(k), valueHash(v))
	}
	return h
}

func combine(a, b uint64) uint64 {
	return hashmix.Mix64(a ^ hashmix.Mix64(b+0x632be59bd9b4e019))
}

// positionCache remembers, for each position of an attribute map, the key and string value last
// hashed there and their hashes. Consecutive points of a metric carry the same keys in the same
// order and often the same values (method, status, route), so a string comparison replaces most
// xxhash calls on the hot path: xxhash made a pass-through point about 12 % dearer than the former
// hand-written hash, and this cache took about 10 % off again (interleaved runs, within the noise
// of the shared machine; docs/benchmarks.md). It holds at most max_attributes+1 entries (the
// points' attribute count is bounded by max_attributes); the strings it keeps are the last point's.
type positionCache struct {
	keys, vals           []string
	keyHashes, valHashes []uint64
}

// attrHash is mapHash with the key and string value hashes taken from the cache when unchanged.
func (c *positionCache) attrHash(m pcommon.Map) uint64 {
	var h uint64
	i := 0
	for k, v := range m.All() {
		if i == len(c.keys) {
			c.keys, c.keyHashes = append(c.keys, ""), append(c.keyHashes, keyHash(""))
			c.vals, c.valHashes = append(c.vals, ""), append(c.valHashes, strHash(""))
		}
		if c.keys[i] != k {
			c.keys[i], c.keyHashes[i] = k, keyHash(k)
		}
		var vh uint64
		if v.Type() == pcommon.ValueTypeStr {
			if s := v.Str(); c.vals[i] == s {
				vh = c.valHashes[i]
			} else {
				vh = strHash(s)
				c.vals[i], c.valHashes[i] = s, vh
			}
		} else {
			vh = valueHash(v)
		}
		h += pairHash(c.keyHashes[i], vh)
		i++
	}
	return h
}
