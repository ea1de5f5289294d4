package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestLatencyPercentilesAreExactBelowTheBound(t *testing.T) {
	r := newLatencyRecorder(0)
	for i := 1000; i >= 1; i-- { // 1..1000 ms, recorded out of order
		r.record(time.Duration(i) * time.Millisecond)
	}
	s := summariseLatency([]*latencyRecorder{r, newLatencyRecorder(1)})
	assert.Equal(t, latencySummary{Requests: 1000, P50: 500, P90: 900, P99: 990, P999: 999, Max: 1000}, s)
	assert.Equal(t, latencySummary{}, summariseLatency([]*latencyRecorder{newLatencyRecorder(2)}), "no request, no figures")
}

func TestLatencyReservoirStaysBoundedAndWeighsWorkersByTheirRequests(t *testing.T) {
	busy, idle := newLatencyRecorder(0), newLatencyRecorder(1)
	for range 3 * maxLatencySamples {
		busy.record(10 * time.Millisecond)
	}
	for range maxLatencySamples / 10 {
		idle.record(time.Second)
	}
	assert.Len(t, busy.samples, maxLatencySamples)
	s := summariseLatency([]*latencyRecorder{busy, idle})
	assert.Equal(t, 3*maxLatencySamples+maxLatencySamples/10, s.Requests)
	// The idle worker's slow requests are 3.2% of all requests, not 9% of the samples kept.
	assert.Equal(t, 10.0, s.P90)
	assert.Equal(t, 1000.0, s.P99)
	assert.Equal(t, 1000.0, s.Max)
}
