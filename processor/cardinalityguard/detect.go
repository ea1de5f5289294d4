package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// detect runs once per sub-window, off the hot path. For every tracked label it estimates the
// distinct values that are new in the sliding window (|history ∪ window| − |history|, where
// history is the union of all older sub-windows), flags labels whose growth exceeds
// detection.max_new_values_per_window, and releases a flagged label only after
// detection.cooldown and once its growth is back at or below release_ratio × threshold.
// The hot path only inserts hashes into the current sub-window's sketch; Estimate() (tens of
// microseconds when dense) is only ever called here.
func (g *guard) detect() {
	g.mu.Lock()
	defer g.mu.Unlock()
	clock := uint32(g.now().Sub(g.startWall) / time.Second)
	threshold := uint64(g.cfg.Detection.MaxNewValuesPerWindow)
	release := uint64(float64(threshold) * g.cfg.Detection.ReleaseRatio)
	cooldown := uint32(g.cfg.Detection.Cooldown / time.Second)
	var newlyFlagged int64
	for _, b := range g.budgets {
		for _, ls := range b.labels {
			if ls.window == nil {
				continue
			}
			union := ls.history.Clone()
			for _, w := range ls.window {
				_ = union.Merge(w)
			}
			before := ls.history.Estimate()
			total := union.Estimate()
			ls.lastNew = 0
			if total > before {
				ls.lastNew = total - before
			}
			ls.demand = total
			ls.evaluated = true
			switch {
			case !ls.flagged && ls.lastNew > threshold:
				ls.flagged, ls.flaggedAt = true, clock
				b.epoch++
				newlyFlagged++
				g.logger.Warn("cardinality_guard: label flagged for unbounded growth",
					zap.String("metric", b.reportName), zap.String("scope", b.scope), zap.String("label", ls.reportKey),
					zap.Uint64("new_values_per_window", ls.lastNew), zap.Uint64("threshold", threshold),
					zap.Bool("dropped", g.auto))
			case ls.flagged && clock-ls.flaggedAt >= cooldown && ls.lastNew <= release:
				ls.flagged = false
				b.epoch++
				g.logger.Info("cardinality_guard: label released",
					zap.String("metric", b.reportName), zap.String("scope", b.scope), zap.String("label", ls.reportKey))
			}
		}
	}
	// Rotate: the next sub-window holds the oldest data; fold it into history and reuse it.
	g.bucket = (g.bucket + 1) % max(g.detectBuckets, 1)
	for _, b := range g.budgets {
		for _, ls := range b.labels {
			if ls.window != nil {
				_ = ls.history.Merge(ls.window[g.bucket])
				ls.window[g.bucket] = newSketch()
			}
		}
	}
	if newlyFlagged > 0 {
		g.tel.ProcessorCardinalityGuardLabelsAutoDropped.Add(context.Background(), newlyFlagged)
	}
}
