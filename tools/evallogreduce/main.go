// Command evallogreduce measures how well log_reduce's template mining groups log lines: grouping
// accuracy (Zhu et al., "Tools and Benchmarks for Automated Log Parsing", ICSE-SEIP 2019) per system
// on the Loghub 2k samples, read in place, with log_reduce's default tokenizer and tree settings
// for every system (no per-system rules).
//
// Dataset: Loghub (https://github.com/logpai/loghub). Jieming Zhu, Shilin He, Pinjia He, Jinyang Liu,
// Michael R. Lyu. Loghub: A Large Collection of System Log Datasets for AI-driven Log Analytics.
// In ISSRE, 2023. The samples are not copied into this repository (their licence asks for the
// notice and citation above wherever they are used).
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/otelcol-warden/otelcol-warden/processor/logreduce/drain"
)

// Targets of issue 11.
const (
	targetMean = 0.90
	targetMin  = 0.70
)

func main() {
	dir := flag.String("dataset", "../shared/datasets/loghub-2k", "Loghub 2k folder (one sub-folder per system)")
	verbose := flag.Bool("v", false, "print the wrongly grouped ground-truth templates of each system")
	flag.Parse()
	if err := run(os.Stdout, *dir, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "evallogreduce:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, dir string, verbose bool) error {
	files, err := filepath.Glob(filepath.Join(dir, "*", "*_2k.log_structured.csv"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no <System>/<System>_2k.log_structured.csv under %q (set -dataset)", dir)
	}
	sort.Strings(files)
	fmt.Fprintf(w, "Grouping accuracy of log_reduce's default template mining on Loghub 2k (%s)\n", dir)
	fmt.Fprintf(w, "Loghub: Zhu et al., ISSRE 2023, https://github.com/logpai/loghub\n\n")
	fmt.Fprintf(w, "| system | lines | true templates | mined templates | grouping accuracy |\n|---|---:|---:|---:|---:|\n")
	sum, minGA, minSys := 0.0, 1.0, ""
	for _, f := range files {
		lines, err := readStructured(f)
		if err != nil {
			return err
		}
		sys := filepath.Base(filepath.Dir(f))
		res := evaluate(lines)
		fmt.Fprintf(w, "| %s | %d | %d | %d | %.3f |\n", sys, len(lines), res.truth, res.mined, res.ga)
		if verbose {
			for _, m := range res.misses {
				fmt.Fprintf(w, "    miss %s\n", m)
			}
		}
		sum += res.ga
		if res.ga < minGA {
			minGA, minSys = res.ga, sys
		}
	}
	mean := sum / float64(len(files))
	fmt.Fprintf(w, "| **mean** | | | | **%.3f** |\n\n", mean)
	status := "met"
	if mean < targetMean || minGA < targetMin {
		status = "NOT met"
	}
	fmt.Fprintf(w, "targets (mean >= %.2f, every system >= %.2f): %s (mean %.3f, lowest %s %.3f)\n",
		targetMean, targetMin, status, mean, minSys, minGA)
	return nil
}

type line struct{ content, eventID string }

func readStructured(path string) ([]line, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ci, ei := -1, -1
	for i, h := range head {
		switch h {
		case "Content":
			ci = i
		case "EventId":
			ei = i
		}
	}
	if ci < 0 || ei < 0 {
		return nil, fmt.Errorf("%s: no Content or EventId column", path)
	}
	var out []line
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, line{content: rec[ci], eventID: rec[ei]})
	}
}

type result struct {
	ga           float64
	truth, mined int
	misses       []string
}

// evaluate mines every line in order, online, and scores the grouping: a line is correct when the
// set of lines of its mined template equals the set of lines of its ground-truth template.
func evaluate(lines []line) result {
	miner := drain.New[struct{}](drain.DefaultConfig())
	tok := drain.Tokenizer{MaxTokens: drain.DefaultMaxTokens}
	pred := make([]uint64, len(lines))
	tpl := map[uint64]*drain.Cluster[struct{}]{}
	var buf []string
	for i, l := range lines {
		buf = tok.Tokenize(buf[:0], l.content)
		c, _ := miner.Add(buf)
		pred[i] = c.ID
		tpl[c.ID] = c
	}
	truthSize := map[string]int{}
	predTruth := map[uint64]map[string]int{}
	for i, l := range lines {
		truthSize[l.eventID]++
		if predTruth[pred[i]] == nil {
			predTruth[pred[i]] = map[string]int{}
		}
		predTruth[pred[i]][l.eventID]++
	}
	correct := 0
	wrong := map[string]bool{}
	for _, byTruth := range predTruth {
		if len(byTruth) == 1 {
			for id, n := range byTruth {
				if truthSize[id] == n {
					correct += n
					continue
				}
				wrong[id] = true
			}
			continue
		}
		for id := range byTruth {
			wrong[id] = true
		}
	}
	res := result{ga: float64(correct) / float64(len(lines)), truth: len(truthSize), mined: len(predTruth)}
	for _, l := range lines {
		if wrong[l.eventID] {
			res.misses = append(res.misses, fmt.Sprintf("%s (%d lines) e.g. %q", l.eventID, truthSize[l.eventID], l.content))
			seen := map[uint64]bool{}
			for k, o := range lines {
				if o.eventID == l.eventID && !seen[pred[k]] && len(seen) < 4 {
					seen[pred[k]] = true
					res.misses = append(res.misses, fmt.Sprintf("   -> %q with %v", tpl[pred[k]].Template(), predTruth[pred[k]]))
				}
			}
			delete(wrong, l.eventID)
		}
	}
	return res
}
