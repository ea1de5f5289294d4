package release

import (
	"context"
	"debug/elf"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/otelcol-warden/otelcol-warden/internal/testport"
)

// runCmd is run without the test: for clean-ups, whose failure must not hide the test's own.
func runCmd(timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

// checkStatic fails unless the Linux binary at path is statically linked (CGO off): no interpreter, no
// shared libraries, so it runs in a scratch image.
func checkStatic(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s has an ELF interpreter: it is dynamically linked", path)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("%s needs shared libraries %v", path, libs)
	}
}

// checkReportsVersion runs `--version` and `components` and wants the stamped version in both.
func checkReportsVersion(t *testing.T, bin string) {
	t.Helper()
	want := stampedVersionPattern(t)
	out := strings.TrimSpace(run(t, time.Minute, bin, "--version"))
	name, reported, ok := strings.Cut(out, " version ")
	if !ok || name != "otelcol-warden" || !want.MatchString(reported) {
		t.Errorf("--version printed %q, want \"otelcol-warden version <%s>\"", out, want)
	}
	var components struct {
		BuildInfo struct {
			Command string `yaml:"command"`
			Version string `yaml:"version"`
		} `yaml:"buildinfo"`
	}
	out = run(t, time.Minute, bin, "components")
	if err := yaml.Unmarshal([]byte(out), &components); err != nil {
		t.Fatalf("components output is not YAML: %v\n%s", err, out)
	}
	if components.BuildInfo.Command != "otelcol-warden" || !want.MatchString(components.BuildInfo.Version) {
		t.Errorf("components buildinfo %+v, want command otelcol-warden and version <%s>", components.BuildInfo, want)
	}
}

// checkStarts starts bin on config with every listener moved to a free loopback port, waits for its
// health check, reads service.version from its own metrics and stops it with SIGINT.
func checkStarts(t *testing.T, bin, config string) {
	t.Helper()
	health, telemetry := testport.Free(t), testport.Free(t)
	var logs strings.Builder
	cmd := exec.Command(bin, "--config", config)
	cmd.Env = append(os.Environ(),
		fmt.Sprintf("WARDEN_OTLP_GRPC_ENDPOINT=127.0.0.1:%d", testport.Free(t)),
		fmt.Sprintf("WARDEN_OTLP_HTTP_ENDPOINT=127.0.0.1:%d", testport.Free(t)),
		fmt.Sprintf("WARDEN_HEALTH_ENDPOINT=127.0.0.1:%d", health),
		"WARDEN_TELEMETRY_HOST=127.0.0.1",
		fmt.Sprintf("WARDEN_TELEMETRY_PORT=%d", telemetry),
	)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	defer func() {
		if !stopped {
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("collector log:\n%s", logs.String())
		}
	}()

	client := &http.Client{Timeout: 2 * time.Second}
	get := func(url string) (int, string) {
		resp, err := client.Get(url)
		if err != nil {
			return 0, ""
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if code, _ := get(fmt.Sprintf("http://127.0.0.1:%d/", health)); code == http.StatusOK {
			break
		}
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("the collector exited before it was healthy: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the collector's health check did not answer 200 within 60 s")
		}
	}

	code, metrics := get(fmt.Sprintf("http://127.0.0.1:%d/metrics", telemetry))
	want := stampedVersionPattern(t)
	found := ""
	for _, line := range strings.Split(metrics, "\n") {
		if _, rest, ok := strings.Cut(line, `service_version="`); ok && strings.HasPrefix(line, "target_info") {
			found, _, _ = strings.Cut(rest, `"`)
			break
		}
	}
	if code != http.StatusOK || !want.MatchString(found) {
		t.Errorf("own metrics (HTTP %d): target_info service_version %q, want <%s>", code, found, want)
	}

	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("the collector did not exit cleanly on SIGINT: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("the collector did not stop within 30 s of SIGINT")
	}
}
