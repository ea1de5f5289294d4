package main

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"time"
)

// maxLatencySamples bounds the latencies one worker keeps. A run of -duration at the rates seen on a
// collector (a few thousand requests per second over all workers) stays below it, so percentiles are
// exact; beyond it each worker keeps a uniform random sample (reservoir sampling, Algorithm R).
//
// Hand-written rather than a histogram library (HdrHistogram, a DDSketch): none is in this module's
// dependencies, and sorting at most a few hundred thousand durations once, at the end, is exact and
// costs nothing while the load runs.
const maxLatencySamples = 1 << 18

// latencyRecorder keeps the latency of each request one worker got an OK answer to: from the call to
// the answer, as an SDK exporter waits for it (gRPC, encoding and the collector's work until its
// receiver returns; for a pipeline with tail_policy's write-ahead log, the log's sync).
type latencyRecorder struct {
	samples []time.Duration
	seen    int
	rng     *rand.Rand
}

func newLatencyRecorder(worker int) *latencyRecorder {
	return &latencyRecorder{rng: rand.New(rand.NewPCG(uint64(worker), 0x6c6174))}
}

func (r *latencyRecorder) record(d time.Duration) {
	r.seen++
	if len(r.samples) < maxLatencySamples {
		r.samples = append(r.samples, d)
		return
	}
	if i := r.rng.IntN(r.seen); i < maxLatencySamples {
		r.samples[i] = d
	}
}

// latencySummary is the latency part of loadgen's JSON line, in milliseconds.
type latencySummary struct {
	Requests int     `json:"requests"`
	P50      float64 `json:"p50"`
	P90      float64 `json:"p90"`
	P99      float64 `json:"p99"`
	P999     float64 `json:"p999"`
	Max      float64 `json:"max"`
}

// summariseLatency merges the workers' samples. Workers that saw more requests than they kept are
// weighted by what they saw, so a busy worker's reservoir counts as much as its requests.
func summariseLatency(recorders []*latencyRecorder) latencySummary {
	type weighted struct {
		d time.Duration
		w float64
	}
	var all []weighted
	var total float64
	s := latencySummary{}
	for _, r := range recorders {
		if len(r.samples) == 0 {
			continue
		}
		w := float64(r.seen) / float64(len(r.samples))
		for _, d := range r.samples {
			all = append(all, weighted{d, w})
		}
		total += float64(r.seen)
		s.Requests += r.seen
	}
	if len(all) == 0 {
		return s
	}
	slices.SortFunc(all, func(a, b weighted) int { return cmp.Compare(a.d, b.d) })
	quantile := func(q float64) float64 {
		// The smallest latency with at least q of the (weighted) requests at or below it.
		var cum float64
		for _, x := range all {
			cum += x.w
			if cum >= q*total {
				return ms(x.d)
			}
		}
		return ms(all[len(all)-1].d)
	}
	s.P50, s.P90, s.P99, s.P999 = quantile(0.5), quantile(0.9), quantile(0.99), quantile(0.999)
	s.Max = ms(all[len(all)-1].d)
	return s
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
