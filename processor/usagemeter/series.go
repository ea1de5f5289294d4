// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter // import "github.com/otelcol-warden/otelcol-warden/processor/usagemeter"

import (
	"encoding/binary"
	"math"
	"sync"

	"github.com/axiomhq/hyperloglog"
	"github.com/cespare/xxhash/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// seriesWindow estimates the distinct series a team sent within a sliding window, as
// cardinality_guard's detection does: one HyperLogLog sketch per sub-window, the estimate is
// their union, and at each rotation the oldest sub-window is cleared and becomes the current one.
// Memory is bounded: at most buckets sketches of 4 KiB each (precision 12, ~1.6% error), a few
// bytes while sparse.
type seriesWindow struct {
	mu      sync.Mutex
	buckets []*hyperloglog.Sketch
	current int
}

func newSeriesWindow(buckets int) *seriesWindow {
	w := &seriesWindow{buckets: make([]*hyperloglog.Sketch, buckets)}
	for i := range w.buckets {
		w.buckets[i] = newSketch()
	}
	return w
}

func newSketch() *hyperloglog.Sketch {
	sk, _ := hyperloglog.NewSketch(12, true) // precision 12 is valid; NewSketch fails only outside 4..18
	return sk
}

// insert adds series hashes to the current sub-window.
func (w *seriesWindow) insert(hashes []uint64) {
	w.mu.Lock()
	sk := w.buckets[w.current]
	for _, h := range hashes {
		sk.InsertHash(h)
	}
	w.mu.Unlock()
}

// estimate returns the distinct series in the window (off the hot path: a merge of every sub-window).
func (w *seriesWindow) estimate() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	union := w.buckets[0].Clone()
	for _, sk := range w.buckets[1:] {
		_ = union.Merge(sk) // same precision: Merge cannot fail
	}
	return union.Estimate()
}

// rotate clears the oldest sub-window and makes it the current one.
func (w *seriesWindow) rotate() {
	w.mu.Lock()
	w.current = (w.current + 1) % len(w.buckets)
	w.buckets[w.current].Reset()
	w.mu.Unlock()
}

// Series identity is what Prometheus and OTLP backends key a series on: resource attributes,
// scope name and version, metric name, data point attributes. Attribute sets hash to the sum of
// their pairs' hashes, so attribute order does not matter and nothing is sorted or copied.

func attributesHash(m pcommon.Map) uint64 {
	var sum uint64
	for k, v := range m.All() {
		sum += pairHash(k, v)
	}
	return sum
}

func pairHash(k string, v pcommon.Value) uint64 {
	var d xxhash.Digest
	d.Reset()
	_, _ = d.WriteString(k)
	var tag [9]byte
	tag[0] = byte(v.Type())
	switch v.Type() {
	case pcommon.ValueTypeStr:
		_, _ = d.Write(tag[:1])
		_, _ = d.WriteString(v.Str())
	case pcommon.ValueTypeInt:
		binary.LittleEndian.PutUint64(tag[1:], uint64(v.Int()))
		_, _ = d.Write(tag[:])
	case pcommon.ValueTypeDouble:
		binary.LittleEndian.PutUint64(tag[1:], math.Float64bits(v.Double()))
		_, _ = d.Write(tag[:])
	case pcommon.ValueTypeBool:
		if v.Bool() {
			tag[1] = 1
		}
		_, _ = d.Write(tag[:2])
	default:
		_, _ = d.Write(tag[:1])
		_, _ = d.WriteString(v.AsString()) // maps, slices, bytes: rare as series labels
	}
	return d.Sum64()
}

// scopeHash identifies a resource + scope; metric names and point attributes are added per point.
func scopeHash(resourceHash uint64, scope pcommon.InstrumentationScope) uint64 {
	return resourceHash ^ mix(xxhash.Sum64String(scope.Name())+31*xxhash.Sum64String(scope.Version()))
}

func seriesHash(scope uint64, metricName string, attrs pcommon.Map) uint64 {
	return mix(scope + 0x9e3779b97f4a7c15*xxhash.Sum64String(metricName) + attributesHash(attrs))
}

// mix is a 64-bit finaliser (murmur3's fmix64), so that sums of hashes are well spread again.
func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}
