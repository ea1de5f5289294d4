package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// run is one side of one round.
type runResult struct {
	accepted  int64
	cpu       float64 // collector CPU-seconds from load start until it settled
	peakRSS   int64
	settle    time.Duration
	perCPUSec float64
	refused   int64
	loadWallS float64
	p50, p99  float64 // latency of the requests loadgen got an OK answer to, ms
}

// loadSummary is the JSON line tools/loadgen prints.
type loadSummary struct {
	Seconds        float64 `json:"seconds"`
	ItemsAccepted  int64   `json:"items_accepted"`
	RequestsRefuse int64   `json:"requests_refused"`
	RequestsFailed int64   `json:"requests_failed"`
	LatencyMs      struct {
		P50 float64 `json:"p50"`
		P99 float64 `json:"p99"`
	} `json:"latency_ms"`
}

type pairResult struct {
	pair   pair
	ours   []runResult
	peer   []runResult
	ratios []float64 // ours/peer per round
}

func (r pairResult) line() string {
	return fmt.Sprintf("%-20s ours %9.0f/CPU-s  peer %9.0f/CPU-s  ratio %.2fx  (rounds %v)",
		r.pair.name, median(perCPU(r.ours)), median(perCPU(r.peer)), median(r.ratios), fmtRatios(r.ratios))
}

func measurePair(o *options, p pair, env []string) (pairResult, error) {
	res := pairResult{pair: p}
	sides := [2]side{p.ours, p.peer}
	roles := [2]string{"ours", "peer"}
	for round := range o.rounds {
		order := []int{1, 0}
		if round%2 == 1 {
			order = []int{0, 1}
		}
		var got [2]runResult
		for _, i := range order {
			r, err := runOnce(o, p, sides[i], env, fmt.Sprintf("%s-%s-%d", p.name, roles[i], round))
			if err != nil {
				return res, err
			}
			fmt.Fprintf(os.Stderr, "  %s round %d %-4s (%s) %9.0f items/CPU-s  %7.2f CPU-s  %6d MiB  settled in %.1fs  refused %d  p99 %.1f ms\n",
				p.name, round, roles[i], sides[i].binary, r.perCPUSec, r.cpu, r.peakRSS>>20, r.settle.Seconds(), r.refused, r.p99)
			got[i] = r
		}
		res.ours = append(res.ours, got[0])
		res.peer = append(res.peer, got[1])
		res.ratios = append(res.ratios, got[0].perCPUSec/got[1].perCPUSec)
	}
	return res, nil
}

// runOnce starts the side's collector, loads it for o.duration, waits until it has finished what the
// load left behind, and reads its CPU time and peak RSS before stopping it. Start-up CPU is excluded.
func runOnce(o *options, p pair, s side, env []string, tag string) (runResult, error) {
	dir := filepath.Join(o.workDir, "runs", tag)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return runResult{}, err
	}
	bin := o.warden
	if s.binary == "peer" {
		bin = o.peer
	}
	c, err := startCollector(bin, s.configs, env, dir, "")
	if err != nil {
		return runResult{}, err
	}
	defer func() {
		if c.cmd.ProcessState == nil {
			c.kill()
		}
	}()
	time.Sleep(o.warmup) // let start-up work (first GC, timers) pass before the baseline
	cpu0, err := c.cpuSeconds()
	if err != nil {
		return runResult{}, err
	}
	load, err := runLoad(o, p, c.endpoint, o.duration)
	if err != nil {
		return runResult{}, fmt.Errorf("%s: %w\ncollector log:\n%s", tag, err, c.logTail())
	}
	settled, err := c.settle(max(time.Second, p.settleMin), 20*time.Second)
	if err != nil {
		return runResult{}, err
	}
	cpu1, err := c.cpuSeconds()
	if err != nil {
		return runResult{}, err
	}
	rss, err := c.peakRSS()
	if err != nil {
		return runResult{}, err
	}
	if err := c.stop(); err != nil {
		return runResult{}, fmt.Errorf("%s: %w", tag, err)
	}
	r := runResult{accepted: load.ItemsAccepted, cpu: cpu1 - cpu0, peakRSS: rss, settle: settled,
		refused: load.RequestsRefuse, loadWallS: load.Seconds, p50: load.LatencyMs.P50, p99: load.LatencyMs.P99}
	if r.cpu <= 0 || r.accepted == 0 {
		return r, fmt.Errorf("%s: no work measured (accepted %d items, %.2f CPU-s)\ncollector log:\n%s", tag, r.accepted, r.cpu, c.logTail())
	}
	r.perCPUSec = float64(r.accepted) / r.cpu
	return r, nil
}

func runLoad(o *options, p pair, endpoint string, d time.Duration) (loadSummary, error) {
	args := append([]string{"-endpoint", endpoint, "-duration", d.String(), "-workers", fmt.Sprint(o.workers)}, p.load...)
	args = append(args, strings.Fields(o.loadArgs)...)
	cmd := exec.Command(o.loadgen, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var s loadSummary
	if jerr := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &s); jerr != nil {
		return s, fmt.Errorf("loadgen %v: %v %s", args, err, stderr.String())
	}
	if err != nil {
		return s, fmt.Errorf("loadgen %v: %w: %s", args, err, stderr.String())
	}
	return s, nil
}

func perCPU(rs []runResult) []float64 {
	var out []float64
	for _, r := range rs {
		out = append(out, r.perCPUSec)
	}
	return out
}

func p50Of(rs []runResult) []float64 {
	var out []float64
	for _, r := range rs {
		out = append(out, r.p50)
	}
	return out
}

func p99Of(rs []runResult) []float64 {
	var out []float64
	for _, r := range rs {
		out = append(out, r.p99)
	}
	return out
}

func rssOf(rs []runResult) []float64 {
	var out []float64
	for _, r := range rs {
		out = append(out, float64(r.peakRSS))
	}
	return out
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fmtRatios(xs []float64) string {
	var parts []string
	for _, x := range xs {
		parts = append(parts, fmt.Sprintf("%.2f", x))
	}
	return strings.Join(parts, " ")
}
