// Package statusapitest stands in for the warden_status extension in component tests: a registry
// that the host offers among its extensions, as the extension is offered, so a component's
// statusapi.Register finds it and its snapshots can be read back.
package statusapitest // import "github.com/otelcol-warden/otelcol-warden/internal/statusapi/statusapitest"

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
)

// Registry records every registration, in order, until it is unregistered.
type Registry struct {
	component.StartFunc
	component.ShutdownFunc
	mu   sync.Mutex
	regs []*registration
}

type registration struct {
	id   component.ID
	kind statusapi.Kind
	p    statusapi.Provider
}

var _ statusapi.Registry = (*Registry)(nil)

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{} }

// RegisterStatusProvider implements statusapi.Registry.
func (r *Registry) RegisterStatusProvider(id component.ID, kind statusapi.Kind, p statusapi.Provider) func() {
	reg := &registration{id: id, kind: kind, p: p}
	r.mu.Lock()
	r.regs = append(r.regs, reg)
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		for i, x := range r.regs {
			if x == reg {
				r.regs = append(r.regs[:i], r.regs[i+1:]...)
				return
			}
		}
	}
}

// Host is a component.Host whose only extension is this registry, under the id warden_status.
func (r *Registry) Host() component.Host {
	return host{component.MustNewID("warden_status"): r}
}

type host map[component.ID]component.Component

func (h host) GetExtensions() map[component.ID]component.Component { return h }

// Counts is the number of live registrations per kind.
func (r *Registry) Counts() map[statusapi.Kind]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[statusapi.Kind]int{}
	for _, x := range r.regs {
		out[x.kind]++
	}
	return out
}

// Provider is the latest live provider of kind, or nil.
func (r *Registry) Provider(kind statusapi.Kind) statusapi.Provider {
	if x := r.latest(kind); x != nil {
		return x.p
	}
	return nil
}

// ID is the component id of the latest live registration of kind (the zero ID if none).
func (r *Registry) ID(kind statusapi.Kind) component.ID {
	if x := r.latest(kind); x != nil {
		return x.id
	}
	return component.ID{}
}

func (r *Registry) latest(kind statusapi.Kind) *registration {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.regs) - 1; i >= 0; i-- {
		if r.regs[i].kind == kind {
			return r.regs[i]
		}
	}
	return nil
}

// Snapshot is the JSON of the one live provider of kind; it fails the test unless there is
// exactly one.
func (r *Registry) Snapshot(t testing.TB, kind statusapi.Kind) []byte {
	t.Helper()
	require.Equal(t, 1, r.Counts()[kind], "live providers of kind %s", kind)
	b, err := json.Marshal(r.Provider(kind).StatusSnapshot())
	require.NoError(t, err)
	return b
}

// Snapshots is the JSON of every live provider of kind, in registration order (one component id
// registers once per signal pipeline).
func (r *Registry) Snapshots(t testing.TB, kind statusapi.Kind) [][]byte {
	t.Helper()
	r.mu.Lock()
	var ps []statusapi.Provider
	for _, x := range r.regs {
		if x.kind == kind {
			ps = append(ps, x.p)
		}
	}
	r.mu.Unlock()
	var out [][]byte
	for _, p := range ps {
		b, err := json.Marshal(p.StatusSnapshot())
		require.NoError(t, err)
		out = append(out, b)
	}
	return out
}
