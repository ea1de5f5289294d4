package main

import (
	"slices"
	"time"
)

// side is one collector run: which binary and the config files it is started with (merged in order).
type side struct {
	binary  string // "warden" or "peer"
	configs []string
}

// pair is one comparison: the same load through our configuration and the peer's.
type pair struct {
	name string
	// section is the part of docs/benchmarks.md the pair's row goes into: sectionContrib (the default)
	// compares us with the contrib-only peer; sectionWAL compares two of our configurations, tail_policy
	// with its write-ahead log against memory only (issue 13), and shows the request latencies.
	section   string
	load      []string // loadgen flags
	ours      side
	peer      side
	ceiling   string // pass-through pair whose ours figure bounds this one (for "within N× of pass-through")
	equivNote string
	// pprofConfig turns on the pprof extension for the profiling run (default bench/configs/pprof.yaml);
	// a pair whose configs start extensions needs one that lists them too (service::extensions is
	// replaced, not merged, by a later config file).
	pprofConfig string
	// settleMin is the least time counted after the load: the decision delay of buffered traces
	// (2s after the root span, or after the first span), a flush interval. Default 1s.
	settleMin time.Duration
}

func ours(configs ...string) side { return side{binary: "warden", configs: configs} }
func peer(configs ...string) side { return side{binary: "peer", configs: configs} }

// gatewayWAL is the shipped gateway with its Tempo exporter (and persistent queue) kept, on loopback.
var gatewayWAL = []string{"configs/gateway.yaml", "bench/configs/gateway-overlay.yaml", "bench/configs/gateway-tempo-loopback.yaml"}

// pairs in the order they run. Paths are relative to the repository root.
var pairs = []pair{
	{name: "passthrough_traces", load: []string{"-signals", "traces"},
		ours: ours("bench/configs/passthrough.yaml"), peer: peer("bench/configs/passthrough.yaml"),
		equivNote: "otlp → debug on both binaries"},
	{name: "passthrough_logs", load: []string{"-signals", "logs"},
		ours: ours("bench/configs/passthrough.yaml"), peer: peer("bench/configs/passthrough.yaml"),
		equivNote: "otlp → debug on both binaries"},
	{name: "passthrough_metrics", load: []string{"-signals", "metrics"},
		ours: ours("bench/configs/passthrough.yaml"), peer: peer("bench/configs/passthrough.yaml"),
		equivNote: "otlp → debug on both binaries"},
	{name: "tail_policy", settleMin: 4 * time.Second, load: []string{"-signals", "traces"}, ceiling: "passthrough_traces",
		ours: ours("bench/configs/tail_policy.yaml"), peer: peer("bench/configs/tail_sampling.yaml"),
		equivNote: "tail_policy defaults vs tail_sampling (status_code, numeric_attribute, latency 2s, string_attribute regex, and(string_attribute, probabilistic 50), probabilistic 5)"},
	{name: "pii_scrub_traces", load: []string{"-signals", "traces"}, ceiling: "passthrough_traces",
		ours: ours("bench/configs/pii_scrub.yaml"), peer: peer("bench/configs/redaction.yaml"),
		equivNote: "pii_scrub defaults vs redaction (9 RE2 detectors, blocked key patterns, hmac-sha256)"},
	{name: "pii_scrub_logs", load: []string{"-signals", "logs"}, ceiling: "passthrough_logs",
		ours: ours("bench/configs/pii_scrub.yaml"), peer: peer("bench/configs/redaction.yaml"),
		equivNote: "as pii_scrub_traces, on logs"},
	{name: "cardinality_guard", settleMin: 3 * time.Second, load: []string{"-signals", "metrics"}, ceiling: "passthrough_metrics",
		ours: ours("bench/configs/cardinality_guard.yaml"), peer: peer("bench/configs/transform_metricstransform.yaml"),
		equivNote: "cardinality_guard defaults vs transform (url.path ids) + metricstransform aggregate_labels; no peer for the value limit and series cap"},
	{name: "agent", load: []string{"-signals", "traces,logs,metrics"},
		ours: ours("configs/agent.yaml", "bench/configs/agent-overlay.yaml"), peer: peer("bench/configs/agent-peer.yaml"),
		equivNote: "configs/agent.yaml pipelines vs redaction + transform/metricstransform in place of pii_scrub and cardinality_guard; exporters → debug on both"},
	// Both sides are our binary: the peer column is the memory-only configuration. The WAL sits in a
	// fresh temporary folder per run, with the default sync (a group commit every 5 ms).
	{name: "tail_policy_wal", section: sectionWAL, settleMin: 4 * time.Second, load: []string{"-signals", "traces"},
		ours: ours("bench/configs/tail_policy.yaml", "bench/configs/tail_policy_wal.yaml"), peer: ours("bench/configs/tail_policy.yaml"),
		equivNote: "tail_policy defaults with `wal: {directory: <temporary folder>}` (sync 5ms) vs the same memory only; load as fast as accepted"},
	// The same at 100 requests/s (51k spans/s, under half of what one collector takes here): latency
	// without the queueing of a saturated collector, what the WAL's sync adds to each request.
	{name: "tail_policy_wal_latency", section: sectionWAL, settleMin: 4 * time.Second, load: []string{"-signals", "traces", "-rate", "100"},
		ours: ours("bench/configs/tail_policy.yaml", "bench/configs/tail_policy_wal.yaml"), peer: ours("bench/configs/tail_policy.yaml"),
		equivNote: "as tail_policy_wal, at 100 requests/s (51k spans/s)"},
	// The shipped gateway (configs/gateway.yaml: tail_policy's WAL and retain_dropped on, the Tempo
	// exporter's queue on disk, here sending to a loopback receiver of the same collector) against the
	// same gateway memory only, as it was before issue 13. Traces only: the WAL carries nothing else.
	{name: "gateway_wal", section: sectionWAL, settleMin: 4 * time.Second, load: []string{"-signals", "traces"}, pprofConfig: "bench/configs/pprof-tempo-queue.yaml",
		ours: ours(gatewayWAL...), peer: ours(slices.Concat(gatewayWAL, []string{"bench/configs/gateway-memory-only.yaml"})...),
		equivNote: "configs/gateway.yaml as shipped (WAL, retain_dropped 512 MiB, persistent Tempo queue) vs the same with the WAL, retention and the queue's storage off; traces as fast as accepted"},
	{name: "gateway_wal_no_retention", section: sectionWAL, settleMin: 4 * time.Second, load: []string{"-signals", "traces"}, pprofConfig: "bench/configs/pprof-tempo-queue.yaml",
		ours: ours(slices.Concat(gatewayWAL, []string{"bench/configs/gateway-no-retention.yaml"})...), peer: ours(slices.Concat(gatewayWAL, []string{"bench/configs/gateway-memory-only.yaml"})...),
		equivNote: "as gateway_wal without retain_dropped (WAL and persistent Tempo queue only)"},
	{name: "gateway_wal_latency", section: sectionWAL, settleMin: 4 * time.Second, load: []string{"-signals", "traces", "-rate", "100"}, pprofConfig: "bench/configs/pprof-tempo-queue.yaml",
		ours: ours(gatewayWAL...), peer: ours(slices.Concat(gatewayWAL, []string{"bench/configs/gateway-memory-only.yaml"})...),
		equivNote: "as gateway_wal, at 100 requests/s (51k spans/s)"},
	{name: "gateway", settleMin: 4 * time.Second, load: []string{"-signals", "traces,metrics"},
		ours: ours("configs/gateway.yaml", "bench/configs/gateway-overlay.yaml"), peer: peer("bench/configs/gateway-peer.yaml"),
		equivNote: "configs/gateway.yaml pipelines vs tail_sampling + transform/metricstransform in place of tail_policy and cardinality_guard; exporters → debug on both"},
}
