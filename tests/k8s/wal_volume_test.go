package k8s

import (
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// tail_policy's WAL defaults (processor/tailpolicy, wal.go) when the gateway config leaves them out.
const (
	walDefaultMaxBytes     = 1 << 30
	walDefaultSegmentBytes = 64 << 20
)

// TestGatewayWALOnItsOwnClaim: the gateway's tail_policy write-ahead log and every file_storage the
// gateway config uses (the Tempo exporter's persistent queue) are on a volume from a
// volumeClaimTemplate, writable by the non-root user, and the claim holds the log's budget, the
// retained dropped traces and the queue with room to spare (issue 13). A log on the container's
// filesystem or an emptyDir would die with the pod, which is what the log exists to survive.
func TestGatewayWALOnItsOwnClaim(t *testing.T) {
	b := loadBundle(t)
	gateway := b.workload(t, "gateway")
	cfg := collectorConfig(t, b, gateway)
	c := collectorContainer(t, gateway)

	wal, _ := lookup(cfg, "processors", "tail_policy", "wal").(map[string]any)
	dir, _ := wal["directory"].(string)
	if dir == "" {
		t.Fatal("configs/gateway.yaml: tail_policy has no wal.directory: a crashed gateway loses what it had accepted")
	}
	claim, mount := claimFor(t, gateway, c, dir)
	need := bytesOr(wal["max_bytes"], walDefaultMaxBytes) + bytesOr(lookup(wal, "retain_dropped", "max_bytes"), 0) +
		bytesOr(wal["segment_bytes"], walDefaultSegmentBytes)
	for id, body := range componentsOfKind(cfg, "extensions", "file_storage") {
		storeDir, _ := lookup(body, "directory").(string)
		if c2, _ := claimFor(t, gateway, c, storeDir); c2 != claim {
			t.Errorf("extension %s (%s) is not on the WAL's claim %s", id, storeDir, claim.Name)
		}
		// A persistent queue bounded in bytes, twice during bbolt's compaction.
		for eid, exp := range cfg["exporters"].(map[string]any) {
			if lookup(exp, "sending_queue", "storage") == id {
				if lookup(exp, "sending_queue", "sizer") != "bytes" {
					t.Errorf("exporter %s: a queue on the WAL volume must be bounded in bytes (sending_queue::sizer: bytes)", eid)
				}
				need += 2 * bytesOr(lookup(exp, "sending_queue", "queue_size"), 0)
			}
		}
	}
	requested := claim.Spec.Resources.Requests[corev1.ResourceStorage]
	if requested.Value() < need+need/10 {
		t.Errorf("claim %s requests %s; the WAL's budget, retained traces and queues need %s plus headroom",
			claim.Name, requested.String(), resource.NewQuantity(need, resource.BinarySI).String())
	}
	if len(claim.Spec.AccessModes) != 1 || claim.Spec.AccessModes[0] != corev1.ReadWriteOnce {
		t.Errorf("claim %s: access modes %v, want [ReadWriteOnce] (one writer per log)", claim.Name, claim.Spec.AccessModes)
	}
	if mount.ReadOnly {
		t.Errorf("mount of %s at %s is read-only", claim.Name, mount.MountPath)
	}
	sc := gateway.template.Spec.SecurityContext
	if sc == nil || sc.FSGroup == nil || sc.RunAsUser == nil || *sc.FSGroup != *sc.RunAsUser {
		t.Error("gateway pod: fsGroup must be set (to the image's non-root group) so the claim's volume is writable")
	}
}

// claimFor returns the volumeClaimTemplate mounted at or above path in the container, failing if path
// is on anything else.
func claimFor(t *testing.T, w podOwner, c corev1.Container, path string) (*corev1.PersistentVolumeClaim, corev1.VolumeMount) {
	t.Helper()
	path = filepath.Clean(path)
	for _, m := range c.VolumeMounts {
		if path == m.MountPath || strings.HasPrefix(path, m.MountPath+"/") {
			if claim := w.claim(m.Name); claim != nil {
				return claim, m
			}
			t.Fatalf("%s: %s is on volume %q, not on a volumeClaimTemplate", describe(w), path, m.Name)
		}
	}
	t.Fatalf("%s: %s is on no volume mount (the container's read-only root filesystem)", describe(w), path)
	return nil, corev1.VolumeMount{}
}

// bytesOr reads a byte count from decoded YAML (a number), or returns def when it is absent.
func bytesOr(v any, def int64) int64 {
	switch x := v.(type) {
	case float64:
		return int64(x)
	case int64:
		return x
	case int:
		return int64(x)
	}
	return def
}
