// Command demo starts otelcol-warden on a config, drives it with a small instrumented shop written with the
// OpenTelemetry Go SDK (services with HTTP routes, errors, slow outliers, synthetic checks, personal data,
// high-cardinality metric labels), then prints what went in and what came out, read from the collector's
// output files and its own metrics.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

func main() {
	collector := flag.String("collector", "bin/otelcol-warden", "the otelcol-warden binary")
	config := flag.String("config", "configs/local.yaml", "the collector config (local.yaml's env-var addresses are moved to free ports)")
	dataDir := flag.String("data", "data/demo", "folder for the collector's output files; emptied first")
	keyFile := flag.String("pii-key", "data/pii-scrub.key", "pii_scrub key file")
	requests := flag.Int("requests", 3000, "requests the demo shop serves")
	duration := flag.Duration("duration", 25*time.Second, "how long the shop takes to serve them")
	seed := flag.Uint64("seed", 42, "seed of the traffic generator")
	hold := flag.Duration("hold", 0, "keep the collector running this long after the traffic, to look at its status page")
	flag.Parse()
	if err := run(*collector, *config, *dataDir, *keyFile, *requests, *duration, *seed, *hold); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(collectorBin, config, dataDir, keyFile string, requests int, duration time.Duration, seed uint64, hold time.Duration) error {
	if err := os.RemoveAll(dataDir); err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	absKey, err := filepath.Abs(keyFile)
	if err != nil {
		return err
	}
	ports, err := freeEndpoints(6)
	if err != nil {
		return err
	}
	grpcEndpoint, httpEndpoint, promEndpoint, healthEndpoint, telemetryEndpoint := ports[0], ports[1], ports[2], ports[3], ports[4]
	statusEndpoint := ports[5]
	_, telemetryPort, _ := net.SplitHostPort(telemetryEndpoint)

	logPath := filepath.Join(dataDir, "collector.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(collectorBin, "--config", config)
	cmd.Env = append(os.Environ(),
		"WARDEN_OTLP_GRPC_ENDPOINT="+grpcEndpoint,
		"WARDEN_OTLP_HTTP_ENDPOINT="+httpEndpoint,
		"WARDEN_PROMETHEUS_ENDPOINT="+promEndpoint,
		"WARDEN_HEALTH_ENDPOINT="+healthEndpoint,
		"WARDEN_STATUS_ENDPOINT="+statusEndpoint,
		"WARDEN_TELEMETRY_PORT="+telemetryPort,
		"WARDEN_DATA_DIR="+dataDir,
		"WARDEN_PII_KEY_FILE="+absKey,
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", collectorBin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() error {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			return err
		case <-time.After(60 * time.Second):
			_ = cmd.Process.Kill()
			return errors.New("collector did not stop within 60 s")
		}
	}
	if err := waitHealthy("http://"+healthEndpoint+"/", exited, 60*time.Second); err != nil {
		_ = stop()
		return fmt.Errorf("%w (collector log: %s)", err, logPath)
	}
	fmt.Printf("demo: otelcol-warden is up (OTLP %s, own metrics http://%s/metrics, output in %s)\n", grpcEndpoint, telemetryEndpoint, dataDir)
	fmt.Printf("demo: status page http://%s/\n", statusEndpoint)

	ctx := context.Background()
	shop, providers, err := newShop(ctx, grpcEndpoint, seed)
	if err != nil {
		_ = stop()
		return err
	}
	cache, err := newNoisyCache(ctx, grpcEndpoint, providers, seed)
	if err != nil {
		_ = stop()
		return err
	}
	fmt.Printf("demo: the shop serves %d requests over %s...\n", requests, duration)
	// Paced rather than sent at once, so tail_policy sees its per-route latency baselines learned in the
	// first seconds (local.yaml uses 10 s baseline sub-windows) and judges the later slow outliers by them.
	// Span durations are explicit timestamps, so a slow request costs no wall-clock time.
	pace := time.NewTicker(duration / time.Duration(requests))
	for range requests {
		<-pace.C
		shop.request(ctx, time.Now())
		cache.burst(ctx)
	}
	pace.Stop()
	if err := providers.shutdown(ctx); err != nil {
		_ = stop()
		return fmt.Errorf("flushing the SDK: %w", err)
	}

	out := outputFiles{dir: dataDir}
	fmt.Println("demo: waiting for the pipeline to settle (tail sampling decides a trace 2 s after its root span)...")
	out.waitStable(5*time.Second, 90*time.Second)
	selfMetrics, scrapeErr := scrape("http://"+telemetryEndpoint+"/metrics", filepath.Join(dataDir, "self-metrics.txt"))
	saveStatus(statusEndpoint, dataDir)
	if hold > 0 {
		fmt.Printf("demo: holding the collector for %s: status page http://%s/\n", hold, statusEndpoint)
		time.Sleep(hold)
	}
	if err := stop(); err != nil {
		fmt.Fprintf(os.Stderr, "demo: collector shutdown: %v (log: %s)\n", err, logPath)
	}
	if scrapeErr != nil {
		return fmt.Errorf("reading the collector's own metrics: %w", scrapeErr)
	}
	shop.sent.logs += cache.sent // the row "log records" counts every record sent
	if err := printSummary(os.Stdout, &shop.sent, out, selfMetrics); err != nil {
		return err
	}
	logs, err := out.logs()
	if err != nil {
		return err
	}
	printLogSavings(os.Stdout, selfMetrics, logs, cache.sent)
	return nil
}

func freeEndpoints(n int) ([]string, error) {
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	out := make([]string, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l)
		out = append(out, l.Addr().String())
	}
	return out, nil
}

func waitHealthy(url string, exited <-chan error, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("collector exited during start-up: %v", err)
		default:
		}
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("collector not healthy after %s", timeout)
}
