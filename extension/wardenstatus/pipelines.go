package wardenstatus // import "github.com/otelcol-warden/otelcol-warden/extension/wardenstatus"

import (
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/confmap"
)

// pipelineGraph is the service's pipelines as configured, read from the configuration snapshot
// the service hands to extensions (extensioncapabilities.ConfigSnapshotWatcher). Only component
// ids are taken from it, never settings: those can hold endpoints and credentials.
type pipelineGraph struct {
	Pipelines  []pipelineDoc `json:"pipelines"`
	Extensions []string      `json:"extensions"`
	Connectors []string      `json:"connectors"`
	// telemetryEndpoint is host:port of the first pull Prometheus reader of the own metrics.
	telemetryEndpoint string
}

type pipelineDoc struct {
	ID         string   `json:"id"`
	Receivers  []string `json:"receivers"`
	Processors []string `json:"processors"`
	Exporters  []string `json:"exporters"`
}

// kindOf returns the kind of a configured component id: connector, processor, exporter or
// receiver (in that order of precedence), or "" if no pipeline names it.
func (g *pipelineGraph) kindOf(id string) string {
	for _, c := range g.Connectors {
		if c == id {
			return "connector"
		}
	}
	for _, lists := range []struct {
		kind string
		get  func(p pipelineDoc) []string
	}{
		{"processor", func(p pipelineDoc) []string { return p.Processors }},
		{"exporter", func(p pipelineDoc) []string { return p.Exporters }},
		{"receiver", func(p pipelineDoc) []string { return p.Receivers }},
	} {
		for _, p := range g.Pipelines {
			for _, c := range lists.get(p) {
				if c == id {
					return lists.kind
				}
			}
		}
	}
	return ""
}

// components lists every configured component once, in pipeline order.
func (g *pipelineGraph) components() []componentKey {
	seen := map[componentKey]bool{}
	var out []componentKey
	add := func(id string) {
		key := componentKey{kind: g.kindOf(id), id: id}
		if !seen[key] {
			seen[key] = true
			out = append(out, key)
		}
	}
	for _, p := range g.Pipelines {
		for _, ids := range [][]string{p.Receivers, p.Processors, p.Exporters} {
			for _, id := range ids {
				add(id)
			}
		}
	}
	return out
}

// maxPipelines bounds what is read from the configuration.
const maxPipelines = 64

func parsePipelineGraph(conf *confmap.Conf) pipelineGraph {
	var g pipelineGraph
	if conf == nil {
		return g
	}
	pipes, _ := conf.Get("service::pipelines").(map[string]any)
	for id, raw := range pipes {
		if len(g.Pipelines) == maxPipelines {
			break
		}
		p, _ := raw.(map[string]any)
		g.Pipelines = append(g.Pipelines, pipelineDoc{
			ID:         id,
			Receivers:  stringList(p["receivers"]),
			Processors: stringList(p["processors"]),
			Exporters:  stringList(p["exporters"]),
		})
	}
	sort.Slice(g.Pipelines, func(i, j int) bool { return g.Pipelines[i].ID < g.Pipelines[j].ID })
	g.Extensions = stringList(conf.Get("service::extensions"))
	if conns, ok := conf.Get("connectors").(map[string]any); ok {
		for id := range conns {
			g.Connectors = append(g.Connectors, id)
		}
		sort.Strings(g.Connectors)
	}
	g.telemetryEndpoint = telemetryEndpoint(conf)
	return g
}

func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		if s, ok := e.(string); ok && len(out) < maxPipelines {
			out = append(out, s)
		}
	}
	return out
}

// telemetryEndpoint finds service::telemetry::metrics::readers[*].pull.exporter.prometheus.
func telemetryEndpoint(conf *confmap.Conf) string {
	readers, _ := conf.Get("service::telemetry::metrics::readers").([]any)
	for _, r := range readers {
		prom := dig(r, "pull", "exporter", "prometheus")
		if prom == nil {
			continue
		}
		host, _ := prom["host"].(string)
		port := fmt.Sprint(prom["port"])
		if port == "" || port == "<nil>" {
			continue
		}
		if host == "" || host == "0.0.0.0" || host == "::" || host == "[::]" {
			host = "127.0.0.1"
		}
		return net.JoinHostPort(strings.Trim(host, "[]"), port)
	}
	return ""
}

func dig(v any, keys ...string) map[string]any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	m, _ := v.(map[string]any)
	return m
}

// graphHolder holds the latest graph; the service may notify before or during Start.
type graphHolder struct {
	mu sync.Mutex
	g  pipelineGraph
}

func (h *graphHolder) set(g pipelineGraph) {
	h.mu.Lock()
	h.g = g
	h.mu.Unlock()
}

func (h *graphHolder) get() pipelineGraph {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.g
}
