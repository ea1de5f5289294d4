// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package retain

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// heapAfterGC is the live heap.
func heapAfterGC() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// indexBytesPerTrace measures the live heap of an index of n traces, put
// once each, over 20 services.
func indexBytesPerTrace(n int) float64 {
	services := make([][]byte, 20)
	for i := range services {
		services[i] = []byte("service-" + string(rune('a'+i)))
	}
	before := heapAfterGC()
	x := newIndex()
	for i := range n {
		x.add(traceID(i), services[i%len(services)], t0.UnixNano(), loc{seg: uint32(i / 1000), off: uint32(i), n: 900})
	}
	after := heapAfterGC()
	runtime.KeepAlive(x)
	return float64(after-before) / float64(n)
}

// The index stays small per trace: the bound the default trace budget
// (max_bytes / 1 KiB) is documented with.
func TestIndexBytesPerTrace(t *testing.T) {
	per := indexBytesPerTrace(200_000)
	t.Logf("index: %.0f bytes per trace", per)
	assert.Less(t, per, 128.0)
}

func BenchmarkIndexBytesPerTrace(b *testing.B) {
	for b.Loop() {
		b.ReportMetric(indexBytesPerTrace(100_000), "B/trace")
	}
}

// BenchmarkPut: a dropped trace of 10 HTTP server spans.
func BenchmarkPut(b *testing.B) {
	r := openRing(b, b.TempDir(), 256<<20, time.Hour)
	td := spansOf(traceID(0), "checkout", 0, 10)
	i := 0
	for b.Loop() {
		if err := r.Put(traceID(i), "checkout", t0, protobuf(td)); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(r.Stats().Bytes)/float64(i), "disk-B/trace")
}

// BenchmarkGet reads one of 10 000 retained traces of 10 spans.
func BenchmarkGet(b *testing.B) {
	r := openRing(b, b.TempDir(), 256<<20, time.Hour)
	const n = 10_000
	for i := range n {
		if err := r.Put(traceID(i), "checkout", t0, protobuf(spansOf(traceID(i), "checkout", 0, 10))); err != nil {
			b.Fatal(err)
		}
	}
	if err := r.Sync(); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		if _, found, err := r.Get(traceID(i % n)); err != nil || !found {
			b.Fatal(found, err)
		}
		i += 7919
	}
}

// BenchmarkOpen rebuilds the index of 10 000 retained traces.
func BenchmarkOpen(b *testing.B) {
	dir := b.TempDir()
	r, err := Open(dir, 256<<20, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 10_000 {
		if err := r.Put(traceID(i), "checkout", t0, protobuf(spansOf(traceID(i), "checkout", 0, 10))); err != nil {
			b.Fatal(err)
		}
	}
	if err := r.Close(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		r, err := Open(dir, 256<<20, time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		if err := r.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
