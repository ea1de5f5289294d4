package release

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// imageFiles is the whole file system of the image: the binary, the CA bundle, the default config and the
// licence, with their modes, and nothing else (no shell, no package manager, no /etc/passwd).
var imageFiles = map[string]fs.FileMode{
	"otelcol-warden":                       0o755,
	"etc/ssl/certs/ca-certificates.crt":    0o644,
	"etc/otelcol-warden/config.yaml":       0o644,
	"usr/share/doc/otelcol-warden/LICENSE": 0o644,
}

// imageInspect is the part of `podman image inspect` the checks read.
type imageInspect struct {
	ID           string `json:"Id"`
	Architecture string
	Os           string
	Size         int64
	Config       struct {
		User         string
		ExposedPorts map[string]struct{}
		Entrypoint   []string
		Cmd          []string
		Labels       map[string]string
	}
}

// loadImage loads the image from its OCI archive in dist/, as a user given the archive would, and
// returns its inspection.
func loadImage(t *testing.T) imageInspect {
	t.Helper()
	archive := filepath.Join(distDir(t), "otelcol-warden_"+version(t)+"_image_linux_"+runtime.GOARCH+".tar")
	if _, err := os.Stat(archive); err != nil {
		t.Fatalf("image archive: %v (run `make image`)", err)
	}
	ref := imageRepo + ":" + version(t)
	run(t, 5*time.Minute, "podman", "load", "--quiet", "--input", archive)
	out := run(t, time.Minute, "podman", "image", "inspect", ref)
	var images []imageInspect
	if err := json.Unmarshal([]byte(out), &images); err != nil || len(images) != 1 {
		t.Fatalf("podman image inspect %s: %v\n%s", ref, err, out)
	}
	return images[0]
}

func TestImageConfig(t *testing.T) {
	img := loadImage(t)
	t.Logf("image %s:%s: %d bytes", imageRepo, version(t), img.Size)
	if img.Os != "linux" || img.Architecture != runtime.GOARCH {
		t.Errorf("image platform %s/%s, want linux/%s", img.Os, img.Architecture, runtime.GOARCH)
	}
	if img.Config.User != "10001:10001" {
		t.Errorf("image user %q, want the numeric non-root 10001:10001", img.Config.User)
	}
	var ports []string
	for p := range img.Config.ExposedPorts {
		ports = append(ports, p)
	}
	slices.Sort(ports)
	if want := []string{"13133/tcp", "4317/tcp", "4318/tcp", "8888/tcp"}; !slices.Equal(ports, want) {
		t.Errorf("exposed ports %v, want %v", ports, want)
	}
	if want := []string{"/otelcol-warden"}; !slices.Equal(img.Config.Entrypoint, want) {
		t.Errorf("entrypoint %v, want %v (the manifests pass only args)", img.Config.Entrypoint, want)
	}
	if want := []string{"--config", "/etc/otelcol-warden/config.yaml"}; !slices.Equal(img.Config.Cmd, want) {
		t.Errorf("cmd %v, want %v", img.Config.Cmd, want)
	}
	for key, want := range map[string]string{
		"org.opencontainers.image.source":   "https://github.com/otelcol-warden/otelcol-warden",
		"org.opencontainers.image.version":  version(t),
		"org.opencontainers.image.revision": git(t, "rev-parse", "HEAD"),
		"org.opencontainers.image.licenses": "Apache-2.0",
	} {
		if got := img.Config.Labels[key]; got != want {
			t.Errorf("label %s = %q, want %q", key, got, want)
		}
	}
}

// mountImage mounts the image's file system read-only on the host (podman image mount) for the test.
func mountImage(t *testing.T, ref string) string {
	t.Helper()
	dir := strings.TrimSpace(run(t, time.Minute, "podman", "image", "mount", ref))
	t.Cleanup(func() { _, _ = runCmd(time.Minute, "podman", "image", "unmount", ref) })
	return dir
}

func TestImageFileSystem(t *testing.T) {
	loadImage(t)
	root := mountImage(t, imageRepo+":"+version(t))
	got := map[string]fs.FileMode{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		got[rel] = info.Mode()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for path, mode := range got {
		want, ok := imageFiles[path]
		switch {
		case !ok:
			t.Errorf("unexpected file in the image: /%s (%v)", path, mode)
		case mode != want:
			t.Errorf("/%s: mode %v, want %v", path, mode, want)
		}
	}
	for path := range imageFiles {
		if _, ok := got[path]; !ok {
			t.Errorf("/%s is missing from the image", path)
		}
	}
	repo := repoRoot(t)
	for inImage, source := range map[string]string{
		"etc/ssl/certs/ca-certificates.crt":    "/etc/ssl/certs/ca-certificates.crt", // Debian's ca-certificates
		"etc/otelcol-warden/config.yaml":       filepath.Join(repo, "configs", "container.yaml"),
		"usr/share/doc/otelcol-warden/LICENSE": filepath.Join(repo, "LICENSE"),
	} {
		if _, ok := got[inImage]; ok && !bytes.Equal(readFile(t, filepath.Join(root, inImage)), readFile(t, source)) {
			t.Errorf("/%s differs from %s", inImage, source)
		}
	}
}

// The binary taken out of the image is static, reports the stamped version, validates the image's default
// config, starts on it and reports the version as its own service.version.
func TestImageBinary(t *testing.T) {
	loadImage(t)
	root := mountImage(t, imageRepo+":"+version(t))
	dir := t.TempDir()
	bin := filepath.Join(dir, "otelcol-warden")
	config := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(bin, readFile(t, filepath.Join(root, "otelcol-warden")), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config, readFile(t, filepath.Join(root, "etc", "otelcol-warden", "config.yaml")), 0o644); err != nil {
		t.Fatal(err)
	}
	checkStatic(t, bin)
	checkReportsVersion(t, bin)
	// One commit, one binary: the image's and the archive's builds of this platform are the same bytes.
	if archive := archivePaths(t)["linux_"+runtime.GOARCH]; archive != "" {
		if _, contents := readArchive(t, archive); !bytes.Equal(contents["otelcol-warden"], readFile(t, bin)) {
			t.Errorf("the image's binary differs from the one in %s", filepath.Base(archive))
		}
	}
	run(t, time.Minute, bin, "validate", "--config", config)
	checkStarts(t, bin, config)
}
