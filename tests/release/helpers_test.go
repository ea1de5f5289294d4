// Package release checks what `make image` and `make dist` produce, and that the version and the image
// reference agree everywhere they are written. The artefact checks need the artefacts: they run when
// WARDEN_RELEASE_DIST names the dist/ folder (.ci/run builds it after `make test`), and skip otherwise.
package release

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// imageRepo is the one image repository: the Kubernetes manifests, the README and scripts/release-build.sh
// name it, TestImageReferenceAgrees holds them to it.
const imageRepo = "ghcr.io/otelcol-warden/otelcol-warden"

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// builderConfig is the part of the ocb manifest the release reads.
type builderConfig struct {
	Dist struct {
		Name    string `yaml:"name"`
		Version string `yaml:"version"`
	} `yaml:"dist"`
	Receivers  []builderModule `yaml:"receivers"`
	Processors []builderModule `yaml:"processors"`
	Exporters  []builderModule `yaml:"exporters"`
	Connectors []builderModule `yaml:"connectors"`
	Extensions []builderModule `yaml:"extensions"`
	Providers  []builderModule `yaml:"providers"`
}

type builderModule struct {
	GoMod string `yaml:"gomod"`
}

func loadBuilderConfig(t *testing.T) builderConfig {
	t.Helper()
	var cfg builderConfig
	if err := yaml.Unmarshal(readFile(t, filepath.Join(repoRoot(t), "builder-config.yaml")), &cfg); err != nil {
		t.Fatalf("builder-config.yaml: %v", err)
	}
	if cfg.Dist.Version == "" {
		t.Fatal("builder-config.yaml: dist.version is empty")
	}
	return cfg
}

// version is dist.version, the one source of the release version.
func version(t *testing.T) string { return loadBuilderConfig(t).Dist.Version }

func git(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = repoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %v: %v", args, err)
	}
	return strings.TrimSpace(string(out))
}

// stampedVersionPattern matches what a release binary reports for this checkout: dist.version, then SemVer
// build metadata with the commit (".dirty" when tracked files differ from it) and the build date. The date
// is SOURCE_DATE_EPOCH when the test's environment sets it, else the commit's time, as the build does.
func stampedVersionPattern(t *testing.T) *regexp.Regexp {
	t.Helper()
	epoch := os.Getenv("SOURCE_DATE_EPOCH")
	if epoch == "" {
		epoch = git(t, "log", "-1", "--format=%ct", "HEAD")
	}
	sec, err := strconv.ParseInt(epoch, 10, 64)
	if err != nil {
		t.Fatalf("build date %q is not a number of seconds: %v", epoch, err)
	}
	date := time.Unix(sec, 0).UTC().Format("20060102T150405Z")
	commit := git(t, "rev-parse", "--short=12", "HEAD")
	return regexp.MustCompile("^" + regexp.QuoteMeta(version(t)+"+"+commit) + `(\.dirty)?\.` + date + "$")
}

// distDir is the folder of built artefacts, or a skip when the test run has none.
func distDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("WARDEN_RELEASE_DIST")
	if dir == "" {
		t.Skip("artefact check: set WARDEN_RELEASE_DIST to the dist/ folder of `make image dist` (.ci/run does)")
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(repoRoot(t), dir)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("WARDEN_RELEASE_DIST: %v", err)
	}
	return dir
}

// run runs a command with a time bound and returns its combined output; a failure ends the test.
func run(t *testing.T, timeout time.Duration, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
