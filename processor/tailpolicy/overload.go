// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import "time"

// overloadState grades memory pressure.
type overloadState int32

const (
	// stateNormal: every trace is buffered and decided by the rules.
	stateNormal overloadState = iota
	// stateStateless: spans of traces not already buffered are decided one by one
	// from trace randomness (error spans always kept); nothing new is buffered.
	stateStateless
	// stateRefusing: ConsumeTraces returns a retryable error (back-pressure).
	stateRefusing
)

func (s overloadState) String() string {
	switch s {
	case stateStateless:
		return "stateless"
	case stateRefusing:
		return "refusing"
	}
	return "normal"
}

// overloadController applies hysteresis to the memory fill ratio: stateless
// mode starts above the high-water mark and ends only after the fill has stayed
// below the low-water mark for minDuration, so the mode does not flap.
type overloadController struct {
	high, low   float64
	minDuration time.Duration
	state       overloadState
	since       time.Time
}

func newOverloadController(cfg MemoryConfig) *overloadController {
	return &overloadController{
		high:        float64(cfg.HighWaterPercent) / 100,
		low:         float64(cfg.LowWaterPercent) / 100,
		minDuration: cfg.MinOverloadDuration,
	}
}

// update takes the fill ratio (buffered or heap bytes over their limit) and
// returns the new state and whether it changed.
func (c *overloadController) update(fill float64, now time.Time) (overloadState, bool) {
	prev := c.state
	switch {
	case fill >= 1:
		c.state, c.since = stateRefusing, now
	case c.state == stateNormal && fill >= c.high:
		c.state, c.since = stateStateless, now
	case c.state == stateRefusing:
		// Below the hard limit again: keep shedding statelessly until the
		// low-water mark has held for minDuration.
		c.state, c.since = stateStateless, now
	case c.state == stateStateless && fill >= c.low:
		c.since = now
	case c.state == stateStateless && now.Sub(c.since) >= c.minDuration:
		c.state = stateNormal
	}
	return c.state, c.state != prev
}
