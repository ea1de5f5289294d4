// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"encoding/binary"
	"math"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/sampling"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-warden/otelcol-warden/internal/hashmix"
)

// keptDecision is what a late span of a kept trace needs to be forwarded exactly
// like its siblings: the same threshold and the same rule.
type keptDecision struct {
	threshold sampling.Threshold
	rule      uint16
}

// decisionCache remembers decisions for late spans. Kept traces live in an
// exact LRU; dropped traces in a rotating Bloom filter, because they are ~20×
// more numerous and a false positive only costs a late span of an unknown trace.
// Each worker owns one, so there are no locks.
type decisionCache struct {
	kept    *simplelru.LRU[pcommon.TraceID, keptDecision]
	dropped *rotatingFilter
}

func newDecisionCache(keptSize, droppedSize int, window time.Duration, now time.Time) *decisionCache {
	kept, _ := simplelru.NewLRU[pcommon.TraceID, keptDecision](max(keptSize, 1), nil)
	return &decisionCache{kept: kept, dropped: newRotatingFilter(max(droppedSize, 1), window, now)}
}

// rotatingFilter holds two Bloom filter generations: new entries go to the
// current one; every window the previous generation is discarded, so an entry
// is remembered between one and two windows. No maintained Go Bloom/cuckoo
// filter is in the release train's dependency set, and this needs only
// double hashing over the already-random trace id (~25 lines).
type rotatingFilter struct {
	current, previous bloomFilter
	window            time.Duration
	rotatedAt         time.Time
	capacity          int
}

func newRotatingFilter(capacity int, window time.Duration, now time.Time) *rotatingFilter {
	return &rotatingFilter{current: newBloomFilter(capacity), previous: newBloomFilter(capacity), window: window, rotatedAt: now, capacity: capacity}
}

func (f *rotatingFilter) add(id pcommon.TraceID, now time.Time) {
	f.rotate(now)
	if f.current.count >= f.capacity {
		// Full before the window ended: rotate early to hold the false-positive
		// rate; the window is then shorter than configured (visible in sizing docs).
		f.rotateNow(now)
	}
	f.current.add(id)
}

func (f *rotatingFilter) contains(id pcommon.TraceID, now time.Time) bool {
	f.rotate(now)
	return f.current.contains(id) || f.previous.contains(id)
}

func (f *rotatingFilter) rotate(now time.Time) {
	if now.Sub(f.rotatedAt) >= f.window {
		f.rotateNow(now)
	}
}

func (f *rotatingFilter) rotateNow(now time.Time) {
	f.previous, f.current = f.current, f.previous
	f.current.reset()
	f.rotatedAt = now
}

// bloomFilter sized for a 0.1% false-positive rate: 14.4 bits and 10 probes per
// entry (1.8 bytes per dropped trace).
type bloomFilter struct {
	bits   []uint64
	nbits  uint64
	probes int
	count  int
}

const bloomFalsePositiveRate = 0.001

func newBloomFilter(capacity int) bloomFilter {
	nbits := uint64(math.Ceil(-float64(capacity) * math.Log(bloomFalsePositiveRate) / (math.Ln2 * math.Ln2)))
	nbits = max(64, (nbits+63)/64*64)
	probes := int(math.Round(float64(nbits) / float64(capacity) * math.Ln2))
	return bloomFilter{bits: make([]uint64, nbits/64), nbits: nbits, probes: max(1, probes)}
}

// hashes mixes both halves of the id (splitmix64 finaliser) so that ids with
// non-random bytes (all-zero high half, counters) still spread.
func hashes(id pcommon.TraceID) (uint64, uint64) {
	h1 := hashmix.Mix64(binary.LittleEndian.Uint64(id[:8]) ^ 0x9e3779b97f4a7c15)
	h2 := hashmix.Mix64(binary.LittleEndian.Uint64(id[8:]) ^ h1)
	return h1, h2 | 1
}

func (b *bloomFilter) add(id pcommon.TraceID) {
	h1, h2 := hashes(id)
	for i := range b.probes {
		bit := (h1 + uint64(i)*h2) % b.nbits
		b.bits[bit/64] |= 1 << (bit % 64)
	}
	b.count++
}

func (b *bloomFilter) contains(id pcommon.TraceID) bool {
	h1, h2 := hashes(id)
	for i := range b.probes {
		bit := (h1 + uint64(i)*h2) % b.nbits
		if b.bits[bit/64]&(1<<(bit%64)) == 0 {
			return false
		}
	}
	return true
}

func (b *bloomFilter) reset() {
	clear(b.bits)
	b.count = 0
}
