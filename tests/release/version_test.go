package release

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The image the manifests deploy is the image `make image` tags: one repository, dist.version as the tag,
// in the Kubernetes manifests, the README and docs/deployment.md alike.
func TestImageReferenceAgrees(t *testing.T) {
	root := repoRoot(t)
	want := imageRepo + ":" + version(t)
	ref := regexp.MustCompile(regexp.QuoteMeta(imageRepo) + `(:[A-Za-z0-9_.+-]+)?`)

	manifests, err := filepath.Glob(filepath.Join(root, "configs", "k8s", "*.yaml"))
	if err != nil || len(manifests) == 0 {
		t.Fatalf("no manifests in configs/k8s: %v", err)
	}
	imageLine := regexp.MustCompile(`(?m)^\s*(?:-\s*)?image:\s*"?([^"\s]+)"?\s*$`)
	deployed := 0
	for _, path := range manifests {
		for _, m := range imageLine.FindAllStringSubmatch(string(readFile(t, path)), -1) {
			if !strings.HasPrefix(m[1], imageRepo) {
				continue // other images (the busybox init container)
			}
			deployed++
			if m[1] != want {
				t.Errorf("%s: image %s, want %s (dist.version in builder-config.yaml)", filepath.Base(path), m[1], want)
			}
		}
	}
	if deployed < 2 {
		t.Errorf("configs/k8s names %s %d times, want the agent DaemonSet and the gateway StatefulSet", imageRepo, deployed)
	}

	for _, doc := range []string{"README.md", filepath.Join("docs", "deployment.md")} {
		refs := ref.FindAllString(string(readFile(t, filepath.Join(root, doc))), -1)
		if len(refs) == 0 {
			t.Errorf("%s does not name the image %s", doc, want)
		}
		for _, r := range refs {
			if r != want && r != imageRepo {
				t.Errorf("%s names %s, want %s", doc, r, want)
			}
		}
	}

	script := string(readFile(t, filepath.Join(root, "scripts", "release-build.sh")))
	if !strings.Contains(script, "IMAGE_REPO="+imageRepo+"\n") {
		t.Errorf("scripts/release-build.sh does not tag %s", imageRepo)
	}
}

// The release build stamps dist.version with the commit and the build date (SemVer build metadata), and
// takes the date from SOURCE_DATE_EPOCH when it is set, so a rebuild of a commit gives the same bytes.
func TestStampedVersion(t *testing.T) {
	for _, tc := range []struct {
		name, epoch string
	}{
		{"commit time", ""},
		{"SOURCE_DATE_EPOCH", "1764633600"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("SOURCE_DATE_EPOCH", tc.epoch)
			if tc.epoch == "" {
				os.Unsetenv("SOURCE_DATE_EPOCH")
			}
			cmd := exec.Command(filepath.Join(repoRoot(t), "scripts", "release-build.sh"), "version")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("release-build.sh version: %v", err)
			}
			got := strings.TrimSpace(string(out))
			if want := stampedVersionPattern(t); !want.MatchString(got) {
				t.Errorf("stamped version %q, want it to match %s", got, want)
			}
			if tc.epoch != "" && !strings.HasSuffix(got, ".20251202T000000Z") {
				t.Errorf("stamped version %q does not end in the date of SOURCE_DATE_EPOCH=%s", got, tc.epoch)
			}
		})
	}
}
