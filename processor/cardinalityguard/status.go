package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
)

// statusCounts mirror the datapoints_* self-metrics for the warden_status summary: the OTel
// counters cannot be read back, so record and flush also add here (atomics, one add per batch
// and reason, never under g.mu).
type statusCounts struct {
	received, emitted atomic.Int64
	// folded and dropped map a reason (a constant of counts.go) to an *atomic.Int64.
	folded, dropped sync.Map
}

func addReason(m *sync.Map, reason string, n int64) {
	v, ok := m.Load(reason)
	if !ok {
		v, _ = m.LoadOrStore(reason, new(atomic.Int64))
	}
	v.(*atomic.Int64).Add(n)
}

// registerStatus registers the report (kind cardinality) and the summary with the
// warden_status extension, if the host has one, and returns the function that undoes both.
func (g *guard) registerStatus(host component.Host) func() {
	undoReport := statusapi.Register(host, g.id, statusapi.KindCardinality,
		statusapi.ProviderFunc(func() any { return g.statusReport() }))
	undoSummary := statusapi.Register(host, g.id, statusapi.KindSummary,
		statusapi.ProviderFunc(func() any { return g.statusSummary() }))
	return func() { undoReport(); undoSummary() }
}

// statusReport is the periodic report built now (the same redacted names). It holds g.mu as
// long as logReport does: bounded by state.max_metrics budgets, and top_n entries per list.
func (g *guard) statusReport() *Report {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.buildReport()
}

// statusSummary reads the lifetime counts. Folded points are "changed" in the summary's sense
// (merged into fewer re-aggregated series), so they are listed as removals "folded.<reason>",
// next to "dropped.<reason>". summary_refused is left out: those points are forwarded unchanged.
// Bytes are not measured (0).
func (g *guard) statusSummary() statusapi.Summary {
	s := statusapi.Summary{
		In:  statusapi.Volume{Items: nonNegative(g.status.received.Load())},
		Out: statusapi.Volume{Items: nonNegative(g.status.emitted.Load())},
	}
	collect := func(m *sync.Map, prefix string) {
		m.Range(func(k, v any) bool {
			reason := k.(string)
			if n := nonNegative(v.(*atomic.Int64).Load()); n > 0 && reason != reasonSummaryRefused {
				s.Removed = append(s.Removed, statusapi.Removal{Reason: prefix + reason, Items: n})
			}
			return true
		})
	}
	collect(&g.status.folded, "folded.")
	collect(&g.status.dropped, "dropped.")
	slices.SortFunc(s.Removed, func(a, b statusapi.Removal) int {
		return cmp.Or(cmp.Compare(b.Items, a.Items), cmp.Compare(a.Reason, b.Reason))
	})
	return s
}

// nonNegative guards the conversion: a batch's folded tally may move a point between
// reasons (bounds_rebucketed), never below zero in total, but a reader must not see a wrap.
func nonNegative(n int64) uint64 { return uint64(max(n, 0)) }
