package release

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"debug/macho"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// archives returns the release archives in dist/ by platform ("linux_amd64"), and wants the two Linux
// ones every release ships.
func archives(t *testing.T) map[string]string {
	t.Helper()
	found := archivePaths(t)
	for _, platform := range []string{"linux_amd64", "linux_arm64"} {
		if found[platform] == "" {
			t.Errorf("no otelcol-warden_%s_%s.tar.gz in %s (run `make dist`)", version(t), platform, distDir(t))
		}
	}
	return found
}

// archivePaths returns the release archives in dist/ by platform.
func archivePaths(t *testing.T) map[string]string {
	t.Helper()
	dir := distDir(t)
	prefix := "otelcol-warden_" + version(t) + "_"
	paths, _ := filepath.Glob(filepath.Join(dir, prefix+"*.tar.gz"))
	found := map[string]string{}
	for _, p := range paths {
		found[strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), prefix), ".tar.gz")] = p
	}
	return found
}

// Every artefact in dist/ is in checksums.txt, and every sum there verifies.
func TestChecksumsVerify(t *testing.T) {
	dir := distDir(t)
	f, err := os.Open(filepath.Join(dir, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	listed := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 64 {
			t.Errorf("checksums.txt: %q is not a sha256sum line", sc.Text())
			continue
		}
		listed[name] = true
		h := sha256.New()
		a, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("checksums.txt lists %s: %v", name, err)
			continue
		}
		_, err = io.Copy(h, a)
		a.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != sum {
			t.Errorf("%s: sha256 %s, checksums.txt says %s", name, got, sum)
		}
	}
	var artefacts []string
	for _, pattern := range []string{"*.tar.gz", "*.tar", "*.cdx.json"} {
		m, _ := filepath.Glob(filepath.Join(dir, pattern))
		artefacts = append(artefacts, m...)
	}
	for _, a := range artefacts {
		if !listed[filepath.Base(a)] {
			t.Errorf("%s is not in checksums.txt", filepath.Base(a))
		}
	}
	if len(listed) < 4 {
		t.Errorf("checksums.txt lists %d artefacts, want at least two archives and their SBOMs", len(listed))
	}
}

// readArchive returns the regular files of a .tar.gz with their modes and contents, and fails on any
// other kind of entry.
func readArchive(t *testing.T, path string) (map[string]fs.FileMode, map[string][]byte) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	modes, contents := map[string]fs.FileMode{}, map[string][]byte{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if h.Typeflag != tar.TypeReg {
			t.Errorf("%s: %s is not a regular file", filepath.Base(path), h.Name)
			continue
		}
		if h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s: %s is owned by %d:%d, want 0:0", filepath.Base(path), h.Name, h.Uid, h.Gid)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		modes[h.Name], contents[h.Name] = h.FileInfo().Mode(), b
	}
	return modes, contents
}

// Each archive holds exactly the binary for its platform (static on Linux), LICENSE and README.md; the
// one for this machine's platform runs and reports the stamped version.
func TestArchives(t *testing.T) {
	repo := repoRoot(t)
	for platform, path := range archives(t) {
		t.Run(platform, func(t *testing.T) {
			modes, contents := readArchive(t, path)
			var names []string
			for n := range modes {
				names = append(names, n)
			}
			slices.Sort(names)
			if want := []string{"LICENSE", "README.md", "otelcol-warden"}; !slices.Equal(names, want) {
				t.Fatalf("archive holds %v, want %v", names, want)
			}
			if modes["otelcol-warden"] != 0o755 {
				t.Errorf("otelcol-warden mode %v, want 0755", modes["otelcol-warden"])
			}
			for _, doc := range []string{"LICENSE", "README.md"} {
				if !bytes.Equal(contents[doc], readFile(t, filepath.Join(repo, doc))) {
					t.Errorf("%s differs from the repository's", doc)
				}
			}
			bin := filepath.Join(t.TempDir(), "otelcol-warden")
			if err := os.WriteFile(bin, contents["otelcol-warden"], 0o755); err != nil {
				t.Fatal(err)
			}
			goos, goarch, _ := strings.Cut(platform, "_")
			checkExecutableFormat(t, bin, goos, goarch)
			if goos == "linux" {
				checkStatic(t, bin)
			}
			if goos == runtime.GOOS && goarch == runtime.GOARCH {
				checkReportsVersion(t, bin)
			}
		})
	}
}

// checkExecutableFormat wants an ELF (Linux) or Mach-O (macOS) executable for the architecture.
func checkExecutableFormat(t *testing.T, path, goos, goarch string) {
	t.Helper()
	switch goos {
	case "linux":
		f, err := elf.Open(path)
		if err != nil {
			t.Fatalf("not an ELF executable: %v", err)
		}
		defer f.Close()
		want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[goarch]
		if f.Machine != want || f.Type != elf.ET_EXEC {
			t.Errorf("ELF %v %v, want an executable for %v", f.Type, f.Machine, want)
		}
	case "darwin":
		f, err := macho.Open(path)
		if err != nil {
			t.Fatalf("not a Mach-O executable: %v", err)
		}
		defer f.Close()
		want := map[string]macho.Cpu{"amd64": macho.CpuAmd64, "arm64": macho.CpuArm64}[goarch]
		if f.Cpu != want || f.Type != macho.TypeExec {
			t.Errorf("Mach-O %v %v, want an executable for %v", f.Type, f.Cpu, want)
		}
	default:
		t.Errorf("unexpected platform %s/%s", goos, goarch)
	}
}
