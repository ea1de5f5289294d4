package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// The sections of docs/benchmarks.md the runner writes, each between its own markers: a run of some
// pairs replaces only the sections those pairs belong to.
const (
	sectionContrib = ""    // ours against the contrib-only peer
	sectionWAL     = "wal" // tail_policy with its write-ahead log against memory only (issue 13)

	beginMarker    = "<!-- bench-e2e:begin (written by make bench-e2e; edit outside the markers) -->"
	endMarker      = "<!-- bench-e2e:end -->"
	walBeginMarker = "<!-- bench-e2e-wal:begin (written by make bench-e2e; edit outside the markers) -->"
	walEndMarker   = "<!-- bench-e2e-wal:end -->"
)

// markers returns the begin and end markers of a section.
func markers(section string) (begin, end string) {
	if section == sectionWAL {
		return walBeginMarker, walEndMarker
	}
	return beginMarker, endMarker
}

type machine struct {
	cpu    string
	cores  int
	memory string
	kernel string
	goVer  string
	load   string
	commit string
}

func (m machine) String() string {
	return fmt.Sprintf("%s, %d cores, %s RAM, Linux %s, %s, load average at start %s", m.cpu, m.cores, m.memory, m.kernel, m.goVer, m.load)
}

func describeMachine() machine {
	m := machine{cores: runtime.NumCPU(), goVer: runtime.Version(), cpu: "unknown CPU", memory: "?", kernel: "?", load: "?"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				m.cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			m.memory = fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.load = strings.Join(f[:3], " ")
		}
	}
	m.commit = "unknown"
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.commit = strings.TrimSpace(string(out))
		if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
			m.commit += " (with uncommitted changes)"
		}
	}
	return m
}

func mib(b float64) string { return fmt.Sprintf("%.0f MiB", b/(1<<20)) }

func thousands(x float64) string {
	if x >= 10000 {
		return fmt.Sprintf("%.0fk", x/1000)
	}
	return fmt.Sprintf("%.1fk", x/1000)
}

func measuredLine(o *options, m machine, started time.Time) string {
	return fmt.Sprintf("Measured %s on commit %s: %s. %d rounds of %s per side and pair, loadgen with %d workers%s.\n\n",
		started.UTC().Format("2006-01-02 15:04 UTC"), m.commit, m.String(), o.rounds, o.duration, o.workers, loadArgsNote(o.loadArgs))
}

// renderSection renders the results of one section's pairs.
func renderSection(o *options, m machine, started time.Time, section string, results []pairResult) string {
	if section == sectionWAL {
		return renderWALSection(o, m, started, results)
	}
	var b strings.Builder
	b.WriteString(measuredLine(o, m, started))
	b.WriteString("| pair | ours, items / CPU-s | peer, items / CPU-s | ratio (median) | ratio per round | ours peak RSS | peer peak RSS | compared |\n")
	b.WriteString("|---|---:|---:|---:|---|---:|---:|---|\n")
	byName := map[string]pairResult{}
	for _, r := range results {
		byName[r.pair.name] = r
		fmt.Fprintf(&b, "| `%s` | %s | %s | **%.2f×** | %s | %s | %s | %s |\n", r.pair.name,
			thousands(median(perCPU(r.ours))), thousands(median(perCPU(r.peer))), median(r.ratios), fmtRatios(r.ratios),
			mib(median(rssOf(r.ours))), mib(median(rssOf(r.peer))), r.pair.equivNote)
	}
	b.WriteString("\nItems are spans, log records or metric data points accepted by the collector; CPU is utime+stime of the\n")
	b.WriteString("collector process from the start of the load until it went idle afterwards; RSS is VmHWM (medians).\n\n")
	b.WriteString(renderTargets(byName))
	return b.String()
}

func loadArgsNote(s string) string {
	if s == "" {
		return ", default mix"
	}
	return ", extra flags `" + s + "`"
}

// renderTargets checks the figures against the targets of issue 10, where the pairs were run.
func renderTargets(by map[string]pairResult) string {
	type target struct {
		what     string
		measured string
		met      bool
	}
	var ts []target
	ratio := func(name string, min float64, what string) {
		if r, ok := by[name]; ok {
			x := median(r.ratios)
			ts = append(ts, target{what, fmt.Sprintf("%.2f×", x), x >= min})
		}
	}
	ceiling := func(name string, max float64, what string) {
		r, ok := by[name]
		c, ok2 := by[r.pair.ceiling]
		if ok && ok2 {
			x := median(perCPU(c.ours)) / median(perCPU(r.ours))
			ts = append(ts, target{what, fmt.Sprintf("%.2f× the cost of pass-through", x), x <= max})
		}
	}
	ratio("tail_policy", 2.0, "tail_policy ≥ 2.0× tail_sampling")
	ceiling("tail_policy", 1.3, "tail_policy within 1.3× of pass-through")
	if r, ok := by["tail_policy"]; ok {
		o, p := median(rssOf(r.ours)), median(rssOf(r.peer))
		ts = append(ts, target{"tail_policy peak RSS ≤ tail_sampling's", mib(o) + " vs " + mib(p), o <= p})
	}
	ratio("pii_scrub_traces", 10, "pii_scrub ≥ 10× redaction, traces")
	ratio("pii_scrub_logs", 10, "pii_scrub ≥ 10× redaction, logs")
	ceiling("pii_scrub_traces", 1.25, "pii_scrub within 1.25× of pass-through, traces")
	ceiling("pii_scrub_logs", 1.25, "pii_scrub within 1.25× of pass-through, logs")
	ratio("cardinality_guard", 1.5, "cardinality_guard ≥ 1.5× transform + metricstransform")
	ratio("agent", 2.0, "agent config ≥ 2× its contrib-only equivalent")
	ratio("gateway", 2.0, "gateway config ≥ 2× its contrib-only equivalent")
	if len(ts) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("| target (issue 10) | measured | met |\n|---|---|---|\n")
	for _, t := range ts {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", t.what, t.measured, yesNo(t.met))
	}
	return b.String()
}

// renderWALSection: tail_policy with its write-ahead log ("ours") against the same configuration
// memory only ("peer", also our binary), with the latency loadgen saw per request on each side.
func renderWALSection(o *options, m machine, started time.Time, results []pairResult) string {
	var b strings.Builder
	b.WriteString(measuredLine(o, m, started))
	b.WriteString("| pair | WAL, items / CPU-s | memory only, items / CPU-s | ratio (median) | ratio per round | latency p50 / p99, WAL | latency p50 / p99, memory only | p99 added | WAL peak RSS | memory-only peak RSS | compared |\n")
	b.WriteString("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---|\n")
	var targets strings.Builder
	for _, r := range results {
		ratio := median(r.ratios)
		walP99, memP99 := median(p99Of(r.ours)), median(p99Of(r.peer))
		fmt.Fprintf(&b, "| `%s` | %s | %s | **%.2f×** | %s | %.1f / %.1f ms | %.1f / %.1f ms | **%+.1f ms** | %s | %s | %s |\n", r.pair.name,
			thousands(median(perCPU(r.ours))), thousands(median(perCPU(r.peer))), ratio, fmtRatios(r.ratios),
			median(p50Of(r.ours)), walP99, median(p50Of(r.peer)), memP99, walP99-memP99,
			mib(median(rssOf(r.ours))), mib(median(rssOf(r.peer))), r.pair.equivNote)
		switch r.pair.name {
		case "tail_policy_wal":
			fmt.Fprintf(&targets, "| tail_policy with the WAL ≥ 0.8× memory only, items per CPU-second (`%s`) | %.2f× | %s |\n", r.pair.name, ratio, yesNo(ratio >= 0.8))
		case "tail_policy_wal_latency", "gateway_wal_latency":
			fmt.Fprintf(&targets, "| p99 ingest latency added by the WAL ≤ 20 ms (`%s`) | %+.1f ms | %s |\n", r.pair.name, walP99-memP99, yesNo(walP99-memP99 <= 20))
		case "gateway_wal":
			fmt.Fprintf(&targets, "| shipped gateway with the WAL ≥ 0.8× memory only, items per CPU-second (`%s`) | %.2f× | %s |\n", r.pair.name, ratio, yesNo(ratio >= 0.8))
		}
	}
	b.WriteString("\nItems are spans accepted by the collector per CPU-second of the collector process (load and the\n")
	b.WriteString("decisions after it); latency is per export request (512 spans), from loadgen's call to the OK answer,\n")
	b.WriteString("as fast as the collector accepts it or at the pair's paced rate; each figure is the median over the rounds.\n\n")
	if targets.Len() > 0 {
		b.WriteString("| target (issue 13) | measured | met |\n|---|---|---|\n")
		b.WriteString(targets.String())
	}
	return b.String()
}

func yesNo(met bool) string {
	if met {
		return "yes"
	}
	return "**no**"
}

// replaceSection puts section between the bench-e2e markers of path, leaving the rest of the file as it is.
func replaceSection(path, section string) error {
	return replaceBetween(path, beginMarker, endMarker, section)
}

// replaceBetween puts section between the given markers of path, leaving the rest of the file as it is.
func replaceBetween(path, beginMarker, endMarker, section string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	s := string(b)
	i, j := strings.Index(s, beginMarker), strings.Index(s, endMarker)
	if i < 0 || j < i {
		return errors.New(path + ": the bench-e2e markers are missing; restore them: " + beginMarker + " ... " + endMarker)
	}
	s = s[:i+len(beginMarker)] + "\n" + section + s[j:]
	return os.WriteFile(path, []byte(s), 0o644)
}
