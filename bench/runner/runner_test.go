package main

import (
	"cmp"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseStatCPUSkipsACommandNameWithSpaces(t *testing.T) {
	line := "4242 (otelcol (peer) x) S 1 4242 4242 0 -1 4194560 9518 0 0 0 1234 567 0 0 20 0 12 0 100 0 0\n"
	cpu, err := parseStatCPU([]byte(line))
	require.NoError(t, err)
	assert.InDelta(t, 18.01, cpu, 1e-9)
	_, err = parseStatCPU([]byte("4242 (x) S 1 2"))
	assert.Error(t, err)
}

func TestReplaceSectionKeepsEverythingOutsideTheMarkers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "benchmarks.md")
	before := "# Benchmarks\n\n## pii_scrub\nmine\n\n" + beginMarker + "\nold table\n" + endMarker + "\n\n## tail_policy\ntheirs\n"
	require.NoError(t, os.WriteFile(path, []byte(before), 0o644))
	require.NoError(t, replaceSection(path, "new table\n"))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	s := string(b)
	assert.Contains(t, s, "## pii_scrub\nmine\n")
	assert.Contains(t, s, "## tail_policy\ntheirs\n")
	assert.Contains(t, s, beginMarker+"\nnew table\n"+endMarker)
	assert.NotContains(t, s, "old table")

	require.NoError(t, os.WriteFile(path, []byte("no markers"), 0o644))
	assert.ErrorContains(t, replaceSection(path, "x"), "markers are missing")
}

func TestMedianAndTargets(t *testing.T) {
	assert.Equal(t, 2.0, median([]float64{3, 1, 2}))
	assert.Equal(t, 2.5, median([]float64{4, 1, 2, 3}))
	by := map[string]pairResult{
		"passthrough_traces": {pair: pair{name: "passthrough_traces"}, ours: []runResult{{perCPUSec: 100}}},
		"tail_policy": {pair: pair{name: "tail_policy", ceiling: "passthrough_traces"},
			ours: []runResult{{perCPUSec: 80, peakRSS: 1 << 20}}, peer: []runResult{{perCPUSec: 50, peakRSS: 2 << 20}}, ratios: []float64{1.6}},
	}
	out := renderTargets(by)
	assert.Contains(t, out, "| tail_policy ≥ 2.0× tail_sampling | 1.60× | **no** |")
	assert.Contains(t, out, "| tail_policy within 1.3× of pass-through | 1.25× the cost of pass-through | yes |")
	assert.Contains(t, out, "| tail_policy peak RSS ≤ tail_sampling's | 1 MiB vs 2 MiB | yes |")
	assert.False(t, strings.Contains(out, "pii_scrub"), "targets of pairs that did not run are left out")
}

func TestEveryPairNamesExistingConfigs(t *testing.T) {
	for _, p := range pairs {
		for _, f := range append(append(p.ours.configs, p.peer.configs...), cmp.Or(p.pprofConfig, "bench/configs/pprof.yaml")) {
			_, err := os.Stat(filepath.Join("..", "..", f))
			assert.NoError(t, err, "%s: %s", p.name, f)
		}
		if p.ceiling != "" {
			_, err := selectPairs(p.ceiling)
			assert.NoError(t, err, p.name)
		}
	}
	_, err := selectPairs("tail_policy,nope")
	assert.ErrorContains(t, err, `"nope"`)
}

func TestWALSectionShowsLatencyAndIssue13Targets(t *testing.T) {
	run := func(perCPUSec, p50, p99 float64, rss int64) runResult {
		return runResult{perCPUSec: perCPUSec, p50: p50, p99: p99, peakRSS: rss << 20}
	}
	throughput := pairResult{pair: pair{name: "tail_policy_wal", section: sectionWAL, equivNote: "wal vs memory"},
		ours:   []runResult{run(90_000, 8, 30, 300), run(80_000, 9, 34, 300)},
		peer:   []runResult{run(100_000, 4, 12, 290), run(100_000, 5, 10, 290)},
		ratios: []float64{0.9, 0.8}}
	latency := throughput
	latency.pair.name = "tail_policy_wal_latency"
	out := renderSection(&options{rounds: 2, duration: 6e9, workers: 4}, machine{commit: "abc1234"}, time.Unix(0, 0), sectionWAL, []pairResult{throughput, latency})
	assert.Contains(t, out, "| `tail_policy_wal` | 85k | 100k | **0.85×** | 0.90 0.80 | 8.5 / 32.0 ms | 4.5 / 11.0 ms | **+21.0 ms** | 300 MiB | 290 MiB | wal vs memory |")
	assert.Contains(t, out, "| tail_policy with the WAL ≥ 0.8× memory only, items per CPU-second (`tail_policy_wal`) | 0.85× | yes |")
	assert.Contains(t, out, "| p99 ingest latency added by the WAL ≤ 20 ms (`tail_policy_wal_latency`) | +21.0 ms | **no** |")
	assert.NotContains(t, out, "issue 10", "the contrib targets belong to the other section")
}

func TestEachSectionIsReplacedBetweenItsOwnMarkers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "benchmarks.md")
	before := beginMarker + "\ncontrib table\n" + endMarker + "\n\n## WAL\n" + walBeginMarker + "\nold wal table\n" + walEndMarker + "\n"
	require.NoError(t, os.WriteFile(path, []byte(before), 0o644))
	begin, end := markers(sectionWAL)
	require.NoError(t, replaceBetween(path, begin, end, "new wal table\n"))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(b), beginMarker+"\ncontrib table\n"+endMarker)
	assert.Contains(t, string(b), walBeginMarker+"\nnew wal table\n"+walEndMarker)
	assert.NotContains(t, string(b), "old wal table")
}
