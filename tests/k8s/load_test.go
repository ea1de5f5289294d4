// Package k8s validates configs/k8s offline: every manifest decodes strictly into the
// k8s.io/api types, the objects agree with each other (selectors, ports, volumes, keys, RBAC),
// and the collector configs they embed pass the built binary's `validate`.
package k8s

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// repoRoot is the repository root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// kustomizeRoot holds kustomization.yaml: the collector configs are beside it, the manifests in k8s/.
func kustomizeRoot(t *testing.T) string { return filepath.Join(repoRoot(t), "configs") }

// kustomization is the subset of kustomize's Kustomization this repository uses. It is decoded
// strictly, so a field added to kustomization.yaml must be added here and handled by the tests.
type kustomization struct {
	APIVersion         string               `json:"apiVersion"`
	Kind               string               `json:"kind"`
	Namespace          string               `json:"namespace"`
	Labels             []kustomizeLabels    `json:"labels"`
	Resources          []string             `json:"resources"`
	ConfigMapGenerator []configMapGenerator `json:"configMapGenerator"`
}

type kustomizeLabels struct {
	Pairs            map[string]string `json:"pairs"`
	IncludeSelectors bool              `json:"includeSelectors"`
}

type configMapGenerator struct {
	Name  string   `json:"name"`
	Files []string `json:"files"`
}

// generatedConfigMap is a ConfigMap as kustomize will generate it: key -> file on disk.
type generatedConfigMap struct {
	name  string
	files map[string]string // key -> absolute path (source manifests)
	data  map[string]string // key -> content (rendered manifests)
}

// bundle is every object of configs/k8s, decoded into its typed form.
type bundle struct {
	namespace       string
	daemonSets      []*appsv1.DaemonSet
	statefulSets    []*appsv1.StatefulSet
	services        []*corev1.Service
	serviceAccounts []*corev1.ServiceAccount
	namespaces      []*corev1.Namespace
	roles           []*rbacv1.Role
	roleBindings    []*rbacv1.RoleBinding
	clusterRoles    []*rbacv1.ClusterRole
	clusterBindings []*rbacv1.ClusterRoleBinding
	pdbs            []*policyv1.PodDisruptionBudget
	hpas            []*autoscalingv2.HorizontalPodAutoscaler
	netpols         []*networkingv1.NetworkPolicy
	configMaps      map[string]generatedConfigMap
}

func strictDeserializer(t *testing.T) runtime.Decoder {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		appsv1.AddToScheme, corev1.AddToScheme, rbacv1.AddToScheme, policyv1.AddToScheme,
		autoscalingv2.AddToScheme, networkingv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}

// splitDocuments splits a multi-document YAML stream, skipping documents that hold only comments.
func splitDocuments(data []byte) ([][]byte, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		var probe map[string]any
		if err := yaml.Unmarshal(doc, &probe); err != nil {
			return nil, err
		}
		if len(probe) > 0 {
			docs = append(docs, doc)
		}
	}
}

func loadKustomization(t *testing.T) kustomization {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(kustomizeRoot(t), "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k kustomization
	if err := yaml.UnmarshalStrict(data, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	return k
}

// decodeStream decodes every document of a YAML stream strictly into bundle b.
func decodeStream(t *testing.T, b *bundle, source string, data []byte) {
	t.Helper()
	docs, err := splitDocuments(data)
	if err != nil {
		t.Fatalf("%s: %v", source, err)
	}
	decoder := strictDeserializer(t)
	for i, doc := range docs {
		obj, gvk, err := decoder.Decode(doc, nil, nil)
		if err != nil {
			t.Errorf("%s document %d: strict decoding failed: %v", source, i, err)
			continue
		}
		switch o := obj.(type) {
		case *appsv1.DaemonSet:
			b.daemonSets = append(b.daemonSets, o)
		case *appsv1.StatefulSet:
			b.statefulSets = append(b.statefulSets, o)
		case *corev1.Service:
			b.services = append(b.services, o)
		case *corev1.ServiceAccount:
			b.serviceAccounts = append(b.serviceAccounts, o)
		case *corev1.Namespace:
			b.namespaces = append(b.namespaces, o)
		case *corev1.ConfigMap:
			b.configMaps[o.Name] = generatedConfigMap{name: o.Name, data: o.Data}
		case *rbacv1.Role:
			b.roles = append(b.roles, o)
		case *rbacv1.RoleBinding:
			b.roleBindings = append(b.roleBindings, o)
		case *rbacv1.ClusterRole:
			b.clusterRoles = append(b.clusterRoles, o)
		case *rbacv1.ClusterRoleBinding:
			b.clusterBindings = append(b.clusterBindings, o)
		case *policyv1.PodDisruptionBudget:
			b.pdbs = append(b.pdbs, o)
		case *autoscalingv2.HorizontalPodAutoscaler:
			b.hpas = append(b.hpas, o)
		case *networkingv1.NetworkPolicy:
			b.netpols = append(b.netpols, o)
		default:
			t.Errorf("%s document %d: %s is not checked by these tests; add it", source, i, gvk)
		}
	}
}

// loadBundle decodes every resource listed in kustomization.yaml and resolves its
// configMapGenerator entries to the files they are generated from.
func loadBundle(t *testing.T) *bundle {
	t.Helper()
	k := loadKustomization(t)
	b := &bundle{namespace: k.Namespace, configMaps: map[string]generatedConfigMap{}}
	for _, res := range k.Resources {
		path := filepath.Join(kustomizeRoot(t), res)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("resource %q listed in kustomization.yaml: %v", res, err)
		}
		decodeStream(t, b, res, data)
	}
	for _, gen := range k.ConfigMapGenerator {
		cm := generatedConfigMap{name: gen.Name, files: map[string]string{}}
		for _, entry := range gen.Files {
			key, file, found := strings.Cut(entry, "=")
			if !found {
				file = key
				key = filepath.Base(file)
			}
			path := filepath.Join(kustomizeRoot(t), file)
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("configMapGenerator %q: %v", gen.Name, err)
			}
			cm.files[key] = path
		}
		b.configMaps[gen.Name] = cm
	}
	return b
}

// podOwner is a workload with a pod template.
type podOwner struct {
	kind     string
	name     string
	selector map[string]string
	template corev1.PodTemplateSpec
	// claims are a StatefulSet's volumeClaimTemplates: each pod gets its own PersistentVolumeClaim,
	// mounted by the template's name like a volume.
	claims []corev1.PersistentVolumeClaim
}

// claim returns the volumeClaimTemplate a volume mount names, if it names one.
func (w podOwner) claim(name string) *corev1.PersistentVolumeClaim {
	for i := range w.claims {
		if w.claims[i].Name == name {
			return &w.claims[i]
		}
	}
	return nil
}

func (b *bundle) workloads() []podOwner {
	var out []podOwner
	for _, ds := range b.daemonSets {
		out = append(out, podOwner{"DaemonSet", ds.Name, ds.Spec.Selector.MatchLabels, ds.Spec.Template, nil})
	}
	for _, ss := range b.statefulSets {
		out = append(out, podOwner{"StatefulSet", ss.Name, ss.Spec.Selector.MatchLabels, ss.Spec.Template, ss.Spec.VolumeClaimTemplates})
	}
	return out
}

func (b *bundle) workload(t *testing.T, component string) podOwner {
	t.Helper()
	for _, w := range b.workloads() {
		if w.template.Labels["app.kubernetes.io/component"] == component {
			return w
		}
	}
	t.Fatalf("no workload with app.kubernetes.io/component=%s", component)
	return podOwner{}
}

// matches reports whether a label selector (equality only) selects the given labels.
func matches(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func collectorContainer(t *testing.T, w podOwner) corev1.Container {
	t.Helper()
	for _, c := range w.template.Spec.Containers {
		if c.Name == "otelcol-warden" {
			return c
		}
	}
	t.Fatalf("%s %s has no otelcol-warden container", w.kind, w.name)
	return corev1.Container{}
}

func envValue(c corev1.Container, name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name && e.ValueFrom == nil {
			return e.Value, true
		}
	}
	return "", false
}

func describe(w podOwner) string { return fmt.Sprintf("%s %s", w.kind, w.name) }
