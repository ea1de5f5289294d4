// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter // import "github.com/otelcol-warden/otelcol-warden/processor/usagemeter"

import (
	"math"
	"math/bits"
	"sync"

	"github.com/axiomhq/hyperloglog"
	"github.com/cespare/xxhash/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-warden/otelcol-warden/internal/hashmix"
)

// seriesWindow estimates the distinct series a team sent within a sliding window, as
// cardinality_guard's detection does: one HyperLogLog sketch per sub-window, the estimate is
// their union, and at each rotation the oldest sub-window is cleared and becomes the current one.
// Memory is bounded: buckets dense sketches of 4 KiB each (precision 12, ~1.6% error) per team,
// allocated at the team's first metric point. Dense rather than sparse: the sparse form inserts
// through a map and cost about 4x more CPU per point in BenchmarkMetrics.
type seriesWindow struct {
	mu      sync.Mutex
	n       int
	buckets []*hyperloglog.Sketch // nil until the first insert
	current int
}

func newSeriesWindow(buckets int) *seriesWindow {
	return &seriesWindow{n: buckets}
}

func newSketch() *hyperloglog.Sketch {
	sk, _ := hyperloglog.NewSketch(12, false) // precision 12 is valid; NewSketch fails only outside 4..18
	return sk
}

// insert adds series hashes to the current sub-window.
func (w *seriesWindow) insert(hashes []uint64) {
	if len(hashes) == 0 {
		return
	}
	w.mu.Lock()
	if w.buckets == nil {
		w.buckets = make([]*hyperloglog.Sketch, w.n)
		for i := range w.buckets {
			w.buckets[i] = newSketch()
		}
	}
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
	if w.buckets == nil {
		return 0
	}
	union := w.buckets[0].Clone()
	for _, sk := range w.buckets[1:] {
		_ = union.Merge(sk) // same precision: Merge cannot fail
	}
	return union.Estimate()
}

// rotate clears the oldest sub-window and makes it the current one.
func (w *seriesWindow) rotate() {
	w.mu.Lock()
	if w.buckets != nil {
		w.current = (w.current + 1) % len(w.buckets)
		w.buckets[w.current].Reset()
	}
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

// strHash is xxhash's one-shot string hash (hash/maphash measured the same in BenchmarkMetrics).
func strHash(s string) uint64 { return xxhash.Sum64String(s) }

// pairHash combines the key's and the value's hashes (type-tagged, so the string "2" and the
// integer 2 differ).
func pairHash(k string, v pcommon.Value) uint64 {
	var vh uint64
	switch v.Type() {
	case pcommon.ValueTypeStr:
		vh = strHash(v.Str())
	case pcommon.ValueTypeInt:
		vh = hashmix.Mix64(uint64(v.Int()) ^ 0x5bd1e995)
	case pcommon.ValueTypeDouble:
		vh = hashmix.Mix64(math.Float64bits(v.Double()) ^ 0x27d4eb2f165667c5)
	case pcommon.ValueTypeBool:
		vh = hashmix.Mix64(uint64(b2u(v.Bool())) ^ 0x165667b19e3779f9)
	default:
		vh = strHash(v.AsString()) ^ 0x85ebca77c2b2ae63 // maps, slices, bytes: rare as series labels
	}
	return hashmix.Mix64(strHash(k) + bits.RotateLeft64(vh, 31) + uint64(v.Type()))
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// scopeHash identifies a resource + scope; metric names and point attributes are added per point.
func scopeHash(resourceHash uint64, scope pcommon.InstrumentationScope) uint64 {
	return resourceHash ^ hashmix.Mix64(strHash(scope.Name())+31*strHash(scope.Version()))
}

// metricHash identifies a metric of a scope; computed once per metric.
func metricHash(scope uint64, metricName string) uint64 {
	return scope + 0x9e3779b97f4a7c15*strHash(metricName)
}

// pointHash is the series identity of one data point of a metric.
func pointHash(metric uint64, attrs pcommon.Map) uint64 {
	return hashmix.Mix64(metric + attributesHash(attrs))
}

func seriesHash(scope uint64, metricName string, attrs pcommon.Map) uint64 {
	return pointHash(metricHash(scope, metricName), attrs)
}
