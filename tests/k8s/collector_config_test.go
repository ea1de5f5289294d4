package k8s

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// envReference matches the collector's ${env:NAME} and ${env:NAME:-default}.
var envReference = regexp.MustCompile(`\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}`)

// podEnvironment is what the container sees: literal values from the manifest, and stand-ins for
// values the kubelet fills in from the downward API.
func podEnvironment(c corev1.Container) map[string]string {
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "status.podIP":
			env[e.Name] = "10.0.0.7"
		case e.ValueFrom.FieldRef != nil:
			env[e.Name] = "downward-" + strings.ReplaceAll(e.ValueFrom.FieldRef.FieldPath, ".", "-")
		}
	}
	return env
}

// expandEnv resolves ${env:...} references the way the collector's env provider does, so the
// tests see the config the pod will run.
func expandEnv(config string, env map[string]string) string {
	return envReference.ReplaceAllStringFunc(config, func(ref string) string {
		m := envReference.FindStringSubmatch(ref)
		if v, ok := env[m[1]]; ok {
			return v
		}
		return m[2]
	})
}

// mountedConfig returns the collector config file the container is started with, located through
// its --config argument, its volume mount and the ConfigMap generated for that volume.
func mountedConfig(t *testing.T, b *bundle, w podOwner) (configPath string) {
	t.Helper()
	c := collectorContainer(t, w)
	var arg string
	for _, a := range c.Args {
		if v, ok := strings.CutPrefix(a, "--config="); ok {
			arg = v
		}
	}
	if arg == "" {
		t.Fatalf("%s: container has no --config argument", describe(w))
	}
	for _, m := range c.VolumeMounts {
		rel, ok := strings.CutPrefix(arg, m.MountPath+"/")
		if !ok {
			continue
		}
		vol := findVolume(w.template.Spec, m.Name)
		if vol == nil || vol.ConfigMap == nil {
			t.Fatalf("%s: --config %s is not on a ConfigMap volume", describe(w), arg)
		}
		cm, ok := b.configMaps[vol.ConfigMap.Name]
		if !ok {
			t.Fatalf("%s: ConfigMap %q is neither generated nor listed", describe(w), vol.ConfigMap.Name)
		}
		key := rel
		for _, item := range vol.ConfigMap.Items {
			if item.Path == rel {
				key = item.Key
			}
		}
		file, ok := cm.files[key]
		if !ok {
			t.Fatalf("%s: --config %s needs key %q, which ConfigMap %q does not have", describe(w), arg, key, cm.name)
		}
		return file
	}
	t.Fatalf("%s: --config %s is not under any volume mount", describe(w), arg)
	return ""
}

func findVolume(spec corev1.PodSpec, name string) *corev1.Volume {
	for i := range spec.Volumes {
		if spec.Volumes[i].Name == name {
			return &spec.Volumes[i]
		}
	}
	return nil
}

// collectorConfig is the collector config a workload runs, with its pod's environment applied.
func collectorConfig(t *testing.T, b *bundle, w podOwner) map[string]any {
	t.Helper()
	data, err := os.ReadFile(mountedConfig(t, b, w))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(expandEnv(string(data), podEnvironment(collectorContainer(t, w)))), &cfg); err != nil {
		t.Fatalf("%s: collector config: %v", describe(w), err)
	}
	return cfg
}

// lookup walks a decoded YAML tree along the given keys.
func lookup(tree any, keys ...string) any {
	for _, k := range keys {
		m, ok := tree.(map[string]any)
		if !ok {
			return nil
		}
		tree = m[k]
	}
	return tree
}

// componentsOfKind returns the configured components whose type (the part before '/') is typ.
func componentsOfKind(cfg map[string]any, kind, typ string) map[string]any {
	out := map[string]any{}
	section, _ := cfg[kind].(map[string]any)
	for id, body := range section {
		if t, _, _ := strings.Cut(id, "/"); t == typ {
			out[id] = body
		}
	}
	return out
}

func portOf(t *testing.T, endpoint string) int32 {
	t.Helper()
	i := strings.LastIndex(endpoint, ":")
	p, err := strconv.Atoi(endpoint[i+1:])
	if i < 0 || err != nil {
		t.Fatalf("endpoint %q has no port", endpoint)
	}
	return int32(p)
}

// wardenBinary is the built distribution: $WARDEN_BIN, else bin/otelcol-warden at the repository root.
func wardenBinary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("WARDEN_BIN")
	if bin == "" {
		bin = filepath.Join(repoRoot(t), "bin", "otelcol-warden")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("collector binary not built (%v): run `make build` or set WARDEN_BIN", err)
	}
	return bin
}

// secretStandIn writes what a mounted Secret would hold: 32 random bytes, hex-encoded. `validate`
// builds the pipelines, and pii_scrub refuses to start without a readable key.
func secretStandIn(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte(hex.EncodeToString(b)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestEmbeddedCollectorConfigsValidate runs the built binary's `validate` on each config a
// workload mounts, in the environment that workload's pod provides; the Secret files its *_FILE
// variables name are replaced by stand-ins in a temporary folder.
func TestEmbeddedCollectorConfigsValidate(t *testing.T) {
	bin := wardenBinary(t)
	b := loadBundle(t)
	for _, w := range b.workloads() {
		t.Run(w.name, func(t *testing.T) {
			file := mountedConfig(t, b, w)
			cmd := exec.Command(bin, "validate", "--config="+file)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
			for k, v := range podEnvironment(collectorContainer(t, w)) {
				switch {
				case k == "GOMEMLIMIT":
					continue // a limit sized for the pod, not for the test machine
				case strings.HasSuffix(k, "_FILE"):
					v = secretStandIn(t)
				}
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s validate --config=%s: %v\n%s", path.Base(bin), file, err, out)
			}
		})
	}
}

// TestConfigsValidateStandalone validates configs/agent.yaml and configs/gateway.yaml outside
// Kubernetes: the ${env:...} defaults must make them valid on their own, given only the Secret files
// (pii_scrub does not start without its key).
func TestConfigsValidateStandalone(t *testing.T) {
	bin := wardenBinary(t)
	for _, name := range []string{"agent.yaml", "gateway.yaml"} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(repoRoot(t), "configs", name)
			cmd := exec.Command(bin, "validate", "--config="+file)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
				"WARDEN_PII_KEY_FILE=" + secretStandIn(t), "WARDEN_GATEWAY_TOKEN_FILE=" + secretStandIn(t)}
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("validate --config=%s: %v\n%s", file, err, out)
			}
		})
	}
}
