// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/DataDog/sketches-go/ddsketch"
)

// baselineKey identifies what a learned latency baseline is about.
type baselineKey struct {
	service string
	route   string
	kind    string
}

// overflowKey collects every key beyond baseline.max_routes.
var overflowKey = baselineKey{service: "_overflow", route: "_overflow", kind: "_overflow"}

// maxSketchBins bounds each sketch's memory (a few KiB) whatever the value range.
const maxSketchBins = 512

// routeBaseline is a DDSketch per sub-window in a ring. The threshold used for
// decisions is computed at rotation from the completed sub-windows only, so a
// trace is never compared against a quantile it helped to move, and a decision
// is a map lookup.
type routeBaseline struct {
	windows []*ddsketch.DDSketch
	current int
	// From the completed sub-windows at the last rotation:
	quantile time.Duration
	samples  float64
	armed    bool
}

// baseline learns the per-(service, route, span kind) latency quantile of root
// spans, fed with every trace before any sampling. It is shared by all workers.
type baseline struct {
	cfg         BaselineConfig
	rotateEvery time.Duration

	mu         sync.Mutex
	keys       map[baselineKey]*routeBaseline
	lastRotate time.Time
	// busiest armed keys after the last rotation, for metrics and the log summary.
	snapshot []baselineSnapshot
}

type baselineSnapshot struct {
	key      baselineKey
	quantile time.Duration
	samples  float64
}

func newBaseline(cfg BaselineConfig, now time.Time) *baseline {
	return &baseline{
		cfg:         cfg,
		rotateEvery: cfg.Window / time.Duration(cfg.SubWindows),
		keys:        make(map[baselineKey]*routeBaseline),
		lastRotate:  now,
	}
}

func (b *baseline) newRoute() *routeBaseline {
	rb := &routeBaseline{windows: make([]*ddsketch.DDSketch, b.cfg.SubWindows)}
	for i := range rb.windows {
		// Only fails for an accuracy outside (0, 1), which Validate rejects.
		s, err := ddsketch.LogCollapsingLowestDenseDDSketch(b.cfg.RelativeAccuracy, maxSketchBins)
		if err != nil {
			panic(fmt.Sprintf("tail_policy: baseline sketch: %v", err))
		}
		rb.windows[i] = s
	}
	return rb
}

// observe records one root-span duration.
func (b *baseline) observe(key baselineKey, d time.Duration, now time.Time) {
	if d < 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rotateLocked(now)
	rb, ok := b.keys[key]
	if !ok {
		if len(b.keys) >= b.cfg.MaxRoutes {
			key = overflowKey
			rb = b.keys[key]
		}
		if rb == nil {
			rb = b.newRoute()
			b.keys[key] = rb
		}
	}
	// Milliseconds as float: DDSketch accuracy is relative, so the unit is free.
	_ = rb.windows[rb.current].Add(float64(d) / float64(time.Millisecond))
}

// threshold returns the duration above which a trace of this key is slow, and
// whether it comes from a trusted (armed) baseline rather than the fallback.
func (b *baseline) threshold(key baselineKey, now time.Time) (time.Duration, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rotateLocked(now)
	rb, ok := b.keys[key]
	if !ok {
		rb = b.keys[overflowKey]
	}
	if rb == nil || !rb.armed {
		return b.cfg.StaticFallback, false
	}
	return rb.quantile, true
}

// rotateLocked advances every ring by as many sub-windows as have elapsed.
func (b *baseline) rotateLocked(now time.Time) {
	steps := int(now.Sub(b.lastRotate) / b.rotateEvery)
	if steps <= 0 {
		return
	}
	b.lastRotate = b.lastRotate.Add(time.Duration(steps) * b.rotateEvery)
	steps = min(steps, b.cfg.SubWindows)
	for key, rb := range b.keys {
		for range steps {
			rb.current = (rb.current + 1) % len(rb.windows)
			rb.windows[rb.current].Clear()
		}
		b.recompute(rb)
		if rb.samples == 0 && key != overflowKey {
			// Nothing seen for a whole window: forget the key, freeing its slot.
			delete(b.keys, key)
		}
	}
	b.snapshot = b.snapshot[:0]
	for key, rb := range b.keys {
		if rb.armed {
			b.snapshot = append(b.snapshot, baselineSnapshot{key: key, quantile: rb.quantile, samples: rb.samples})
		}
	}
	slices.SortFunc(b.snapshot, func(x, y baselineSnapshot) int {
		switch {
		case x.samples > y.samples:
			return -1
		case x.samples < y.samples:
			return 1
		}
		return 0
	})
	if len(b.snapshot) > b.cfg.MetricsRoutes {
		b.snapshot = b.snapshot[:b.cfg.MetricsRoutes]
	}
}

func (b *baseline) recompute(rb *routeBaseline) {
	merged, err := ddsketch.LogCollapsingLowestDenseDDSketch(b.cfg.RelativeAccuracy, maxSketchBins)
	if err != nil {
		return
	}
	for i, w := range rb.windows {
		if i != rb.current {
			_ = merged.MergeWith(w)
		}
	}
	rb.samples = merged.GetCount()
	rb.armed = rb.samples >= float64(b.cfg.MinSamples)
	if q, err := merged.GetValueAtQuantile(b.cfg.Percentile); err == nil {
		rb.quantile = time.Duration(q * float64(time.Millisecond))
	}
}

// summary returns the busiest armed keys and the number of tracked keys.
func (b *baseline) summary(now time.Time) ([]baselineSnapshot, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rotateLocked(now)
	return slices.Clone(b.snapshot), len(b.keys)
}
