package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

type profileResult struct {
	pair string
	path string
	flat string // go tool pprof -top
	cum  string // go tool pprof -top -cum
	ours string // the cumulative entries of our own packages and of regexp
}

// profilePair runs our side of p once more with the pprof extension and takes a CPU profile over the
// load (from its first second to its end), then summarises it with go tool pprof.
func profilePair(o *options, p pair, env []string) (profileResult, error) {
	res := profileResult{pair: p.name}
	dir := filepath.Join(o.workDir, "profiles")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, err
	}
	pprofConfig := p.pprofConfig
	if pprofConfig == "" {
		pprofConfig = "bench/configs/pprof.yaml"
	}
	c, err := startCollector(o.warden, p.ours.configs, env, dir, pprofConfig)
	if err != nil {
		return res, err
	}
	defer func() {
		if c.cmd.ProcessState == nil {
			c.kill()
		}
	}()
	res.path = filepath.Join(dir, p.name+".pprof")
	seconds := max(1, int(o.profileDuration.Seconds()))
	fetched := make(chan error, 1)
	go func() {
		time.Sleep(time.Second)
		fetched <- fetchProfile(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", c.pprof, seconds), res.path)
	}()
	if _, err := runLoad(o, p, c.endpoint, o.profileDuration+2*time.Second); err != nil {
		return res, err
	}
	if err := <-fetched; err != nil {
		return res, err
	}
	if err := c.stop(); err != nil {
		return res, err
	}
	if res.flat, err = pprofTop(o.warden, res.path, 25, false); err != nil {
		return res, err
	}
	if res.cum, err = pprofTop(o.warden, res.path, 25, true); err != nil {
		return res, err
	}
	all, err := pprofTop(o.warden, res.path, 400, true)
	res.ours = oursOnly(all, 25)
	return res, err
}

// oursOnly keeps the header and the entries of our packages and of regexp (the usual suspect).
func oursOnly(top string, n int) string {
	var keep []string
	for i, l := range strings.Split(top, "\n") {
		if i < 3 || (len(keep) < n+3 && (strings.Contains(l, "otelcol-warden/") || strings.Contains(l, "regexp."))) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func fetchProfile(url, path string) error {
	client := &http.Client{Timeout: 2 * time.Minute}
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// pprofTop is the header and the first entries of go tool pprof -top (flat, or cumulative).
func pprofTop(bin, path string, n int, cum bool) (string, error) {
	args := []string{"tool", "pprof", "-top", fmt.Sprintf("-nodecount=%d", n)}
	if cum {
		args = append(args, "-cum")
	}
	out, err := exec.Command("go", append(args, bin, path)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go tool pprof: %w: %s", err, out)
	}
	var keep []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.HasPrefix(l, "File:") || strings.HasPrefix(l, "Build ID:") || strings.HasPrefix(l, "Type:") || strings.HasPrefix(l, "Time:") {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "\n"), nil
}

// writeHotspots rewrites the summary of every profile taken so far, so the file is useful while the
// run is still going.
func writeHotspots(path string, m machine, profiles []profileResult) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# CPU profiles of otelcol-warden under make bench-e2e load\n\n%s, commit %s, %s.\n", m.String(), m.commit, time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "Open one with `go tool pprof -http=127.0.0.1:0 bin/otelcol-warden <file>`.\n")
	for _, p := range profiles {
		fmt.Fprintf(&b, "\n## %s (%s)\n\nour packages and regexp, cumulative:\n```\n%s\n```\nflat:\n```\n%s\n```\ncumulative:\n```\n%s\n```\n",
			p.pair, p.path, p.ours, p.flat, p.cum)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
