package wardenstatus // import "github.com/otelcol-warden/otelcol-warden/extension/wardenstatus"

import (
	"time"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
)

// The charts of the tail, cardinality and pii sections draw figures that live in the providers'
// reports (kept and dropped traces per rule, series admitted and points folded, detections per
// type), not in the summary. Each history
// snapshot keeps them too, under the redacted names the page shows, so a chart is the counter's
// increase per interval, like the component charts. Bounded: at most maxSeriesPerSnapshot.

const maxSeriesPerSnapshot = 512

// seriesOwner is one provider instance.
type seriesOwner struct {
	component string
	instance  int
}

type seriesKey struct {
	owner seriesOwner
	name  string // "kept/<rule>", "dropped/<rule>", "series", "folded", "type/<type>"
}

// reportCounters reads the charted figures of every tail, cardinality and pii provider now.
func (e *statusExtension) reportCounters() map[seriesKey]uint64 {
	out := map[seriesKey]uint64{}
	put := func(k seriesKey, v uint64) {
		if len(out) < maxSeriesPerSnapshot {
			out[k] = v
		}
	}
	for _, ps := range e.registry.snapshots(statusapi.KindTail) {
		snap, ok := decodeAs[tailSnapshot](ps.Snapshot)
		if !ok || ps.Error != "" {
			continue
		}
		owner := seriesOwner{ps.Component, ps.Instance}
		for _, r := range snap.Rules {
			put(seriesKey{owner, "kept/" + r.Rule}, r.KeptTraces)
			put(seriesKey{owner, "dropped/" + r.Rule}, r.DroppedTraces)
		}
	}
	for _, ps := range e.registry.snapshots(statusapi.KindCardinality) {
		snap, ok := decodeAs[cardinalitySnapshot](ps.Snapshot)
		if !ok || ps.Error != "" || snap.Data == nil {
			continue
		}
		owner := seriesOwner{ps.Component, ps.Instance}
		var folded uint64
		for _, m := range snap.Data.Folded {
			folded += m.Folded + m.Overflowed
		}
		put(seriesKey{owner, "series"}, snap.Data.HeadStats.NumSeries)
		put(seriesKey{owner, "folded"}, folded)
	}
	for _, ps := range e.registry.snapshots(statusapi.KindPII) {
		snap, ok := decodeAs[piiSnapshot](ps.Snapshot)
		if !ok || ps.Error != "" {
			continue
		}
		owner := seriesOwner{ps.Component, ps.Instance}
		for name, n := range snap.ByType {
			put(seriesKey{owner, "type/" + name}, n)
		}
	}
	return out
}

// withNow is the history (oldest first) plus the report counters as they are now.
func (e *statusExtension) withNow(now time.Time) []collection {
	return append(e.history.all(), collection{At: now, Counters: e.reportCounters()})
}

// levels is a gauge's value at the end of each interval since since (oldest first).
func levels(entries []collection, key seriesKey, since time.Time) []uint64 {
	first := 1
	for first < len(entries) && entries[first].At.Before(since) {
		first++
	}
	var out []uint64
	for i := first; i < len(entries); i++ {
		out = append(out, entries[i].Counters[key])
	}
	return out
}

// perInterval is the counter's increase in each interval since since (oldest first); a counter
// that went backwards (a restarted provider) counts from 0.
func perInterval(entries []collection, key seriesKey, since time.Time) []uint64 {
	first := 1
	for first < len(entries) && entries[first].At.Before(since) {
		first++
	}
	var out []uint64
	for i := first; i < len(entries); i++ {
		out = append(out, sub(entries[i].Counters[key], entries[i-1].Counters[key]))
	}
	return out
}
