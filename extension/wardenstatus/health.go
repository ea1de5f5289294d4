package wardenstatus // import "github.com/otelcol-warden/otelcol-warden/extension/wardenstatus"

import (
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/pipeline"
)

// componentKey names a configured component: its kind (receiver, processor, ...) and id.
type componentKey struct {
	kind string
	id   string
}

// health is the latest status a component reported. The event's error is not kept: error texts
// can quote data (a rejected record, an endpoint with credentials), and the page never shows them.
type health struct {
	Status string    `json:"status"`
	Since  time.Time `json:"since"`
}

// healthBook records component status events (componentstatus.Watcher) per component; a
// component in several pipelines reports once per instance and the worst status wins.
type healthBook struct {
	mu        sync.Mutex
	instances map[componentKey]map[string]health // pipelines of the instance -> latest
}

func newHealthBook() *healthBook {
	return &healthBook{instances: map[componentKey]map[string]health{}}
}

func (b *healthBook) record(source *componentstatus.InstanceID, ev *componentstatus.Event) {
	if source == nil || ev == nil {
		return
	}
	key := componentKey{kind: kindName(source.Kind()), id: source.ComponentID().String()}
	var pipes []string
	source.AllPipelineIDs(func(p pipeline.ID) bool {
		pipes = append(pipes, p.String())
		return true
	})
	inst := strings.Join(pipes, ",")
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.instances[key]
	if m == nil {
		if len(b.instances) >= maxRegistrations {
			return
		}
		m = map[string]health{}
		b.instances[key] = m
	}
	m[inst] = health{Status: statusName(ev.Status()), Since: ev.Timestamp()}
}

// of returns the worst status over the instances of key, or ok=false if it never reported.
func (b *healthBook) of(key componentKey) (health, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var worst health
	found := false
	for _, h := range b.instances[key] {
		if !found || severity(h.Status) > severity(worst.Status) {
			worst, found = h, true
		}
	}
	return worst, found
}

func kindName(k component.Kind) string {
	return strings.ToLower(k.String())
}

// statusName turns componentstatus.StatusOK into "ok", StatusRecoverableError into "recoverable_error".
func statusName(s componentstatus.Status) string {
	switch s {
	case componentstatus.StatusStarting:
		return "starting"
	case componentstatus.StatusOK:
		return "ok"
	case componentstatus.StatusRecoverableError:
		return "recoverable_error"
	case componentstatus.StatusPermanentError:
		return "permanent_error"
	case componentstatus.StatusFatalError:
		return "fatal_error"
	case componentstatus.StatusStopping:
		return "stopping"
	case componentstatus.StatusStopped:
		return "stopped"
	default:
		return "none"
	}
}

func severity(status string) int {
	switch status {
	case "fatal_error":
		return 6
	case "permanent_error":
		return 5
	case "recoverable_error":
		return 4
	case "stopping", "stopped":
		return 3
	case "starting":
		return 2
	case "ok":
		return 1
	default:
		return 0
	}
}
