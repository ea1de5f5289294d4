// Command runner is `make bench-e2e`: each pair of configurations (bench/runner/pairs.go) runs the same
// load (tools/loadgen) through otelcol-warden and through a contrib-only peer collector of the same train
// (bench/peer), alternating the two over several rounds, and reports items accepted per collector
// CPU-second, peak RSS and the median ratio in docs/benchmarks.md. With -profile it also takes a CPU
// profile of our side of each pair under the same load and writes the top entries to -hotspots.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

type options struct {
	warden, peer, loadgen string
	rounds                int
	duration              time.Duration
	profileDuration       time.Duration
	warmup                time.Duration
	workers               int
	only                  string
	out                   string
	workDir               string
	profile               bool
	hotspots              string
	loadArgs              string
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-e2e:", err)
		os.Exit(1)
	}
}

func run() error {
	var o options
	flag.StringVar(&o.warden, "warden", "bin/otelcol-warden", "our binary")
	flag.StringVar(&o.peer, "peer", "bin/otelcol-peer", "the contrib-only peer binary (scripts/bench-e2e-peer.sh)")
	flag.StringVar(&o.loadgen, "loadgen", "bin/loadgen", "the load generator binary (tools/loadgen)")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds per pair; each round runs both sides, alternating which goes first")
	flag.DurationVar(&o.duration, "duration", 6*time.Second, "load per run")
	flag.DurationVar(&o.profileDuration, "profile-duration", 6*time.Second, "length of each CPU profile (the load runs 2s longer)")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "wait after the OTLP port opens before the CPU baseline (start-up work is not counted)")
	flag.IntVar(&o.workers, "workers", 4, "loadgen's concurrent export calls")
	flag.StringVar(&o.only, "pairs", "", "comma-separated pair names to run (default: all)")
	flag.StringVar(&o.out, "out", "docs/benchmarks.md", "Markdown file whose bench-e2e section is replaced; empty: print only")
	flag.StringVar(&o.workDir, "workdir", "bin/bench", "logs, profiles and the hotspot summary")
	flag.BoolVar(&o.profile, "profile", true, "take a CPU profile of our side of each pair (one extra run each)")
	flag.StringVar(&o.hotspots, "hotspots", "bin/bench/hotspots.md", "where the profiles' top entries are written")
	flag.StringVar(&o.loadArgs, "load-args", "", "extra loadgen flags for every run, e.g. \"-pii 0.2 -seed 7\"")
	flag.Parse()
	if o.rounds < 1 || o.duration <= 0 {
		return fmt.Errorf("-rounds and -duration must be positive")
	}
	selected, err := selectPairs(o.only)
	if err != nil {
		return err
	}
	for _, bin := range []string{o.warden, o.peer, o.loadgen} {
		if _, err := os.Stat(bin); err != nil {
			return fmt.Errorf("%s: %w (make bench-e2e builds it)", bin, err)
		}
	}
	if err := os.MkdirAll(o.workDir, 0o755); err != nil {
		return err
	}
	env, err := secrets(o.workDir)
	if err != nil {
		return err
	}
	started := time.Now()
	machine := describeMachine()
	var results []pairResult
	var profiles []profileResult
	for _, p := range selected {
		res, err := measurePair(&o, p, env)
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		results = append(results, res)
		fmt.Println(res.line())
		if o.profile {
			prof, err := profilePair(&o, p, env)
			if err != nil {
				return fmt.Errorf("%s: profile: %w", p.name, err)
			}
			profiles = append(profiles, prof)
			if err := writeHotspots(o.hotspots, machine, profiles); err != nil {
				return err
			}
		}
	}
	// Each section that has results is rendered and replaced on its own, so a run of the WAL pair
	// leaves the contrib table alone and the other way round.
	bySection := map[string][]pairResult{}
	var sections []string
	for _, r := range results {
		if _, ok := bySection[r.pair.section]; !ok {
			sections = append(sections, r.pair.section)
		}
		bySection[r.pair.section] = append(bySection[r.pair.section], r)
	}
	for _, sec := range sections {
		text := renderSection(&o, machine, started, sec, bySection[sec])
		fmt.Println(text)
		if o.out == "" {
			continue
		}
		begin, end := markers(sec)
		if err := replaceBetween(o.out, begin, end, text); err != nil {
			return err
		}
	}
	return nil
}

func selectPairs(only string) ([]pair, error) {
	if only == "" {
		return pairs, nil
	}
	var out []pair
	for _, name := range strings.Split(only, ",") {
		i := slices.IndexFunc(pairs, func(p pair) bool { return p.name == strings.TrimSpace(name) })
		if i < 0 {
			var names []string
			for _, p := range pairs {
				names = append(names, p.name)
			}
			return nil, fmt.Errorf("-pairs: unknown pair %q (one of %s)", name, strings.Join(names, ", "))
		}
		out = append(out, pairs[i])
	}
	return out, nil
}

// secrets writes a random pii_scrub key file and returns the environment both sides read their keys
// and addresses from. Nothing of it is printed or kept in the report.
func secrets(dir string) ([]string, error) {
	key := make([]byte, 32)
	f, err := os.Open("/dev/urandom")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Read(key); err != nil {
		return nil, err
	}
	path, err := filepath.Abs(filepath.Join(dir, "pii-scrub.key"))
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, fmt.Appendf(nil, "%x\n", key), 0o600); err != nil {
		return nil, err
	}
	queue := filepath.Join(filepath.Dir(path), "queue")
	return []string{
		"WARDEN_PII_KEY_FILE=" + path,
		fmt.Sprintf("BENCH_HMAC_KEY=%x", key),
		"MY_POD_IP=127.0.0.1",
		"WARDEN_QUEUE_DIR=" + queue,
	}, nil
}
