package k8s

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// TestAlertRules checks configs/alerts with promtool (Debian's prometheus package): the rules
// parse, and each alert fires, and only fires, as its unit tests expect.
func TestAlertRules(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (apt-get install prometheus)")
	}
	dir := filepath.Join(repoRoot(t), "configs", "alerts")
	rules, _ := filepath.Glob(filepath.Join(dir, "*.rules.yaml"))
	tests, _ := filepath.Glob(filepath.Join(dir, "*.rules.test.yaml"))
	if len(rules) == 0 || len(tests) != len(rules) {
		t.Fatalf("want one *.rules.test.yaml per *.rules.yaml in %s, got %d rule files and %d test files", dir, len(rules), len(tests))
	}
	for _, args := range [][]string{append([]string{"check", "rules"}, rules...), append([]string{"test", "rules"}, tests...)} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %v: %v\n%s", args[:2], err, out)
		}
	}
}
