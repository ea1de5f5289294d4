// Package hashmix holds the 64-bit finaliser the components use to spread hashes and
// integers that are not uniformly distributed (ids, counters, sums of hashes).
package hashmix // import "github.com/otelcol-warden/otelcol-warden/internal/hashmix"

// Mix64 is the splitmix64 finaliser (Steele, Lea and Flood, "Fast splittable pseudorandom
// number generators", 2014): a bijection on uint64 in which every output bit depends on
// every input bit. xxhash, which hashes the strings, exports no integer mixer, hence this one.
func Mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
