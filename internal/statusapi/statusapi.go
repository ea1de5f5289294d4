package statusapi // import "github.com/otelcol-warden/otelcol-warden/internal/statusapi"

import (
	"go.opentelemetry.io/collector/component"
)

// Kind names what a provider's snapshot describes; it is the last path element of the API
// endpoint that serves it (/api/v1/<kind>).
type Kind string

const (
	// KindSummary snapshots are Summary values: a component's in/out volumes and removals.
	KindSummary Kind = "summary"
	// KindCardinality is cardinality_guard's report (Prometheus' /api/v1/status/tsdb shape).
	KindCardinality Kind = "cardinality"
	// KindTail is tail_policy's decisions per rule, learned baselines per route, overload state.
	KindTail Kind = "tail"
	// KindPII is pii_scrub's detections by type and location (counts, never values).
	KindPII Kind = "pii"
	// KindUsage is usage_meter's per-team usage.
	KindUsage Kind = "usage"
	// KindLogs is log_reduce's top folded templates.
	KindLogs Kind = "logs"
	// KindTailRetention providers must also implement TraceRetention: dropped traces kept on disk
	// that /api/v1/tail/traces/{trace_id} and /api/v1/tail/keep serve.
	KindTailRetention Kind = "tail_retention"
)

// Kinds lists every kind the API serves, in page order.
var Kinds = []Kind{KindSummary, KindCardinality, KindTail, KindPII, KindUsage, KindLogs, KindTailRetention}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool {
	for _, v := range Kinds {
		if k == v {
			return true
		}
	}
	return false
}

// Provider returns a point-in-time, JSON-marshalable snapshot of a component's state.
type Provider interface {
	StatusSnapshot() any
}

// ProviderFunc adapts a function to Provider.
type ProviderFunc func() any

// StatusSnapshot calls f.
func (f ProviderFunc) StatusSnapshot() any { return f() }

// Registry is implemented by the warden_status extension. Components do not use it directly
// but through Register, which finds it among the host's extensions.
type Registry interface {
	// RegisterStatusProvider adds p under kind for component id and returns the function that
	// removes it again. The same id may register several times (one instance per pipeline).
	RegisterStatusProvider(id component.ID, kind Kind, p Provider) (unregister func())
}

// Register registers p with every Registry among host's extensions (normally the one
// warden_status) and returns a function that undoes it. Without a registry, or with a nil host
// or provider, it does nothing and returns a no-op, so callers can always defer the result.
func Register(host component.Host, id component.ID, kind Kind, p Provider) (unregister func()) {
	if host == nil || p == nil || !kind.Valid() {
		return func() {}
	}
	var undo []func()
	for _, ext := range host.GetExtensions() {
		if r, ok := ext.(Registry); ok {
			undo = append(undo, r.RegisterStatusProvider(id, kind, p))
		}
	}
	return func() {
		for _, u := range undo {
			u()
		}
	}
}
