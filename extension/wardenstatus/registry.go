package wardenstatus // import "github.com/otelcol-warden/otelcol-warden/extension/wardenstatus"

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
)

// maxSnapshotBytes bounds one provider's marshalled snapshot; larger ones are replaced by an error.
const maxSnapshotBytes = 1 << 20

// maxRegistrations bounds the registry (a component registering in a loop must not grow it forever).
const maxRegistrations = 256

// registration is one provider a component registered.
type registration struct {
	seq      uint64
	id       component.ID
	kind     statusapi.Kind
	provider statusapi.Provider
}

// providerRegistry holds the providers components registered through statusapi.Register.
type providerRegistry struct {
	mu   sync.Mutex
	next uint64
	regs map[uint64]registration
}

func newProviderRegistry() *providerRegistry {
	return &providerRegistry{regs: map[uint64]registration{}}
}

// add registers p and returns the function that removes it; past maxRegistrations it is ignored.
func (r *providerRegistry) add(id component.ID, kind statusapi.Kind, p statusapi.Provider) func() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.regs) >= maxRegistrations {
		return func() {}
	}
	r.next++
	seq := r.next
	r.regs[seq] = registration{seq: seq, id: id, kind: kind, provider: p}
	return func() {
		r.mu.Lock()
		delete(r.regs, seq)
		r.mu.Unlock()
	}
}

// of returns the registrations of kind, ordered by component id and registration order.
func (r *providerRegistry) of(kind statusapi.Kind) []registration {
	r.mu.Lock()
	var out []registration
	for _, reg := range r.regs {
		if reg.kind == kind {
			out = append(out, reg)
		}
	}
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if a, b := out[i].id.String(), out[j].id.String(); a != b {
			return a < b
		}
		return out[i].seq < out[j].seq
	})
	return out
}

// providerSnapshot is one provider's entry in an API document.
type providerSnapshot struct {
	Component string `json:"component"`
	Instance  int    `json:"instance"`
	Snapshot  any    `json:"snapshot"`
	Error     string `json:"error,omitempty"`
}

// snapshots calls every provider of kind and returns their redacted snapshots. Instance numbers
// distinguish several registrations of one component (one per pipeline).
func (r *providerRegistry) snapshots(kind statusapi.Kind) []providerSnapshot {
	regs := r.of(kind)
	out := make([]providerSnapshot, 0, len(regs))
	instance := map[component.ID]int{}
	for _, reg := range regs {
		ps := providerSnapshot{Component: reg.id.String(), Instance: instance[reg.id]}
		instance[reg.id]++
		ps.Snapshot, ps.Error = safeSnapshot(kind, reg.provider)
		out = append(out, ps)
	}
	return out
}

// safeSnapshot calls p, survives a panic, bounds the size and redacts every string.
func safeSnapshot(kind statusapi.Kind, p statusapi.Provider) (snap any, errMsg string) {
	defer func() {
		if rec := recover(); rec != nil {
			snap, errMsg = nil, "provider failed"
		}
	}()
	raw, err := json.Marshal(p.StatusSnapshot())
	if err != nil {
		return nil, "snapshot is not JSON-marshalable"
	}
	if len(raw) > maxSnapshotBytes {
		return nil, fmt.Sprintf("snapshot of %d bytes exceeds the %d byte limit", len(raw), maxSnapshotBytes)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, "snapshot is not JSON-marshalable"
	}
	return redactValue(kind, "", v), ""
}
