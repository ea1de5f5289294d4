package k8s

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
)

const (
	healthCheckPort = 13133
	// tailPolicyDefaultDecisionWait is tail_policy's default trace timeout (issue 6): the longest a
	// trace waits for its decision when the gateway config does not set one.
	tailPolicyDefaultDecisionWait = 30 * time.Second
)

func TestManifestsDecodeStrictly(t *testing.T) {
	b := loadBundle(t)
	if len(b.daemonSets) != 1 || len(b.statefulSets) != 1 {
		t.Fatalf("want one agent DaemonSet and one gateway StatefulSet, got %d and %d", len(b.daemonSets), len(b.statefulSets))
	}
	if b.namespace == "" {
		t.Fatal("kustomization.yaml sets no namespace")
	}
}

func TestSelectorsMatchPodLabels(t *testing.T) {
	b := loadBundle(t)
	for _, w := range b.workloads() {
		if !matches(w.selector, w.template.Labels) {
			t.Errorf("%s: selector %v does not match its pod labels %v", describe(w), w.selector, w.template.Labels)
		}
	}
	for _, svc := range b.services {
		selected := 0
		for _, w := range b.workloads() {
			if !matches(svc.Spec.Selector, w.template.Labels) {
				continue
			}
			selected++
			for _, p := range svc.Spec.Ports {
				if !containerHasPort(w.template.Spec, p.TargetPort) {
					t.Errorf("Service %s port %s: targetPort %s is not a port of %s", svc.Name, p.Name, p.TargetPort.String(), describe(w))
				}
			}
		}
		if selected != 1 {
			t.Errorf("Service %s selects %d workloads, want exactly 1", svc.Name, selected)
		}
	}
	gateway := b.workload(t, "gateway")
	agent := b.workload(t, "agent")
	for _, pdb := range b.pdbs {
		if !matches(pdb.Spec.Selector.MatchLabels, gateway.template.Labels) {
			t.Errorf("PodDisruptionBudget %s does not select the gateway pods", pdb.Name)
		}
	}
	for _, np := range b.netpols {
		if !matches(np.Spec.PodSelector.MatchLabels, gateway.template.Labels) {
			t.Errorf("NetworkPolicy %s does not select the gateway pods", np.Name)
		}
		agentsAllowed := false
		for _, rule := range np.Spec.Ingress {
			for _, peer := range rule.From {
				if peer.PodSelector != nil && peer.NamespaceSelector == nil && matches(peer.PodSelector.MatchLabels, agent.template.Labels) {
					agentsAllowed = true
					for _, p := range rule.Ports {
						if p.Port == nil || !containerHasPort(gateway.template.Spec, *p.Port) {
							t.Errorf("NetworkPolicy %s: port %v is not a gateway port", np.Name, p.Port)
						}
					}
				}
				if peer.PodSelector != nil && len(peer.PodSelector.MatchLabels) == 0 && len(peer.PodSelector.MatchExpressions) == 0 {
					t.Errorf("NetworkPolicy %s: an empty podSelector admits every pod", np.Name)
				}
			}
		}
		if !agentsAllowed {
			t.Errorf("NetworkPolicy %s does not admit the agent pods", np.Name)
		}
	}
	if len(b.netpols) == 0 {
		t.Error("no NetworkPolicy restricts who may reach the gateways")
	}
}

func containerHasPort(spec corev1.PodSpec, port intstr.IntOrString) bool {
	for _, c := range spec.Containers {
		for _, p := range c.Ports {
			if (port.Type == intstr.String && p.Name == port.StrVal) || (port.Type == intstr.Int && p.ContainerPort == port.IntVal) {
				return true
			}
		}
	}
	return false
}

func TestVolumesMountsAndKeysExist(t *testing.T) {
	b := loadBundle(t)
	for _, w := range b.workloads() {
		spec := w.template.Spec
		for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
			for _, m := range c.VolumeMounts {
				if findVolume(spec, m.Name) == nil && w.claim(m.Name) == nil {
					t.Errorf("%s container %s mounts volume %q, which neither the pod nor a volumeClaimTemplate defines", describe(w), c.Name, m.Name)
				}
			}
		}
		for _, v := range spec.Volumes {
			if v.ConfigMap != nil {
				cm, ok := b.configMaps[v.ConfigMap.Name]
				if !ok {
					t.Errorf("%s volume %s: ConfigMap %q is neither generated nor listed", describe(w), v.Name, v.ConfigMap.Name)
					continue
				}
				for _, item := range v.ConfigMap.Items {
					if _, ok := cm.files[item.Key]; !ok {
						t.Errorf("%s volume %s: ConfigMap %q has no key %q", describe(w), v.Name, cm.name, item.Key)
					}
				}
			}
			if v.Secret != nil && len(v.Secret.Items) == 0 {
				t.Errorf("%s volume %s: list the Secret's keys (items) so a missing key fails the mount", describe(w), v.Name)
			}
		}
		// Every *_FILE variable must name a file that a mounted volume provides.
		c := collectorContainer(t, w)
		for _, e := range c.Env {
			if !strings.HasSuffix(e.Name, "_FILE") {
				continue
			}
			if !mountProvides(spec, c, e.Value) {
				t.Errorf("%s: %s=%s is not provided by any mounted volume item", describe(w), e.Name, e.Value)
			}
		}
		mountedConfig(t, b, w) // fails when --config does not resolve to a generated file
	}
}

// mountProvides reports whether file is an item of a Secret or ConfigMap volume mounted in c.
func mountProvides(spec corev1.PodSpec, c corev1.Container, file string) bool {
	for _, m := range c.VolumeMounts {
		rel, ok := strings.CutPrefix(file, m.MountPath+"/")
		if !ok {
			continue
		}
		v := findVolume(spec, m.Name)
		if v == nil {
			return false
		}
		var items []corev1.KeyToPath
		switch {
		case v.Secret != nil:
			items = v.Secret.Items
		case v.ConfigMap != nil:
			items = v.ConfigMap.Items
		}
		for _, it := range items {
			if it.Path == rel {
				return true
			}
		}
	}
	return false
}

// Secrets are mounted as files; their values never travel through the environment.
func TestSecretsAreFilesNotEnvironment(t *testing.T) {
	b := loadBundle(t)
	for _, w := range b.workloads() {
		for _, c := range w.template.Spec.Containers {
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					t.Errorf("%s: env %s comes from a Secret; mount it as a file", describe(w), e.Name)
				}
			}
			for _, ef := range c.EnvFrom {
				if ef.SecretRef != nil {
					t.Errorf("%s: envFrom a Secret; mount it as a file", describe(w))
				}
			}
		}
	}
	agent := b.workload(t, "agent")
	// The agents verify the gateways' certificate; its private key stays with the gateways.
	for _, v := range agent.template.Spec.Volumes {
		if v.Secret == nil {
			continue
		}
		for _, item := range v.Secret.Items {
			if strings.HasSuffix(item.Key, ".key") && item.Key != "key" {
				t.Errorf("agent: volume %s mounts the private key %s of Secret %s", v.Name, item.Key, v.Secret.SecretName)
			}
		}
	}
	keyFile, ok := envValue(collectorContainer(t, agent), "WARDEN_PII_KEY_FILE")
	if !ok {
		t.Fatal("agent: WARDEN_PII_KEY_FILE is not set")
	}
	if !mountProvides(agent.template.Spec, collectorContainer(t, agent), keyFile) {
		t.Fatalf("agent: the pii_scrub key file %s is not mounted", keyFile)
	}
	for _, m := range collectorContainer(t, agent).VolumeMounts {
		if strings.HasPrefix(keyFile, m.MountPath+"/") {
			if v := findVolume(agent.template.Spec, m.Name); v.Secret == nil {
				t.Errorf("agent: the pii_scrub key must come from a Secret, not %+v", v.VolumeSource)
			}
		}
	}
}

func TestMemoryLimitAndGOMEMLIMIT(t *testing.T) {
	b := loadBundle(t)
	for _, w := range b.workloads() {
		spec := w.template.Spec
		for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
			if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
				t.Errorf("%s container %s: CPU and memory requests are required", describe(w), c.Name)
			}
			if c.Resources.Limits.Memory().IsZero() {
				t.Errorf("%s container %s: a memory limit is required", describe(w), c.Name)
			}
		}
		c := collectorContainer(t, w)
		limit := c.Resources.Limits.Memory().Value()
		raw, ok := envValue(c, "GOMEMLIMIT")
		if !ok {
			t.Errorf("%s: GOMEMLIMIT is not set", describe(w))
			continue
		}
		// GOMEMLIMIT uses Go's IEC suffixes (MiB, GiB); Kubernetes quantities spell them Mi, Gi.
		q, err := resource.ParseQuantity(strings.TrimSuffix(strings.TrimSuffix(raw, "B"), "i") + "i")
		if err != nil {
			t.Fatalf("%s: GOMEMLIMIT=%q: %v", describe(w), raw, err)
		}
		ratio := float64(q.Value()) / float64(limit)
		if ratio >= 1 || ratio < 0.78 || ratio > 0.82 {
			t.Errorf("%s: GOMEMLIMIT=%s is %.1f%% of the memory limit %s, want 80%%", describe(w), raw, 100*ratio, c.Resources.Limits.Memory())
		}
	}
}

func TestProbesOnHealthCheck(t *testing.T) {
	b := loadBundle(t)
	for _, w := range b.workloads() {
		c := collectorContainer(t, w)
		cfg := collectorConfig(t, b, w)
		endpoint, _ := lookup(cfg, "extensions", "health_check", "endpoint").(string)
		if endpoint == "" || portOf(t, endpoint) != healthCheckPort {
			t.Errorf("%s: health_check endpoint %q is not on port %d", describe(w), endpoint, healthCheckPort)
		}
		for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe, "startup": c.StartupProbe} {
			if p == nil || p.HTTPGet == nil {
				t.Errorf("%s: %s probe must be an httpGet on health_check", describe(w), name)
				continue
			}
			if port := resolvePort(c, p.HTTPGet.Port); port != healthCheckPort {
				t.Errorf("%s: %s probe targets port %d, want %d", describe(w), name, port, healthCheckPort)
			}
		}
	}
}

func resolvePort(c corev1.Container, port intstr.IntOrString) int32 {
	if port.Type == intstr.Int {
		return port.IntVal
	}
	for _, p := range c.Ports {
		if p.Name == port.StrVal {
			return p.ContainerPort
		}
	}
	return -1
}

// TestReceiverPortsAreDeclared checks that every port the collector config listens on is a
// declared containerPort, and that the receivers bind the pod IP explicitly.
func TestReceiverPortsAreDeclared(t *testing.T) {
	b := loadBundle(t)
	for _, w := range b.workloads() {
		c := collectorContainer(t, w)
		cfg := collectorConfig(t, b, w)
		endpoints := map[string]string{}
		for _, proto := range []string{"grpc", "http"} {
			if ep, ok := lookup(cfg, "receivers", "otlp", "protocols", proto, "endpoint").(string); ok {
				endpoints["otlp "+proto] = ep
			}
		}
		if len(endpoints) == 0 {
			t.Errorf("%s: no OTLP receiver endpoint", describe(w))
		}
		for what, ep := range endpoints {
			if !strings.HasPrefix(ep, "10.0.0.7:") {
				t.Errorf("%s: %s endpoint %q should bind ${env:MY_POD_IP}", describe(w), what, ep)
			}
			if !containerHasPort(w.template.Spec, intstr.FromInt32(portOf(t, ep))) {
				t.Errorf("%s: %s listens on %s, which is not a containerPort", describe(w), what, ep)
			}
		}
		if p, ok := lookup(cfg, "service", "telemetry", "metrics", "readers").([]any); ok {
			for _, r := range p {
				port, _ := lookup(r, "pull", "exporter", "prometheus", "port").(float64)
				if port != 0 && resolvePort(c, intstr.FromString("metrics")) != int32(port) {
					t.Errorf("%s: self-metrics on port %v, containerPort \"metrics\" is %d", describe(w), port, resolvePort(c, intstr.FromString("metrics")))
				}
			}
		}
	}
}

func TestSecurityContexts(t *testing.T) {
	b := loadBundle(t)
	for _, w := range b.workloads() {
		spec := w.template.Spec
		if spec.SecurityContext == nil || spec.SecurityContext.RunAsNonRoot == nil || !*spec.SecurityContext.RunAsNonRoot {
			t.Errorf("%s: pod securityContext must set runAsNonRoot: true", describe(w))
		}
		if spec.HostNetwork || spec.HostPID || spec.HostIPC {
			t.Errorf("%s: must not share host namespaces", describe(w))
		}
		for _, c := range spec.Containers {
			sc := c.SecurityContext
			if sc == nil {
				t.Errorf("%s container %s: no securityContext", describe(w), c.Name)
				continue
			}
			if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
				t.Errorf("%s container %s: runAsNonRoot", describe(w), c.Name)
			}
			if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
				t.Errorf("%s container %s: readOnlyRootFilesystem", describe(w), c.Name)
			}
			if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				t.Errorf("%s container %s: allowPrivilegeEscalation must be false", describe(w), c.Name)
			}
			if sc.Privileged != nil && *sc.Privileged {
				t.Errorf("%s container %s: privileged", describe(w), c.Name)
			}
			if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
				t.Errorf("%s container %s: capabilities must drop ALL and add none", describe(w), c.Name)
			}
		}
		// Init containers may run as root only to chown a hostPath, with CHOWN and nothing else.
		for _, c := range spec.InitContainers {
			sc := c.SecurityContext
			if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
				sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
				sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") ||
				!slices.Equal(sc.Capabilities.Add, []corev1.Capability{"CHOWN"}) {
				t.Errorf("%s init container %s: read-only, no escalation, drop ALL, add only CHOWN", describe(w), c.Name)
			}
		}
	}
}

// TestGatewayTopology checks the pieces trace-id routing relies on: a headless Service the
// StatefulSet is bound to, the agents' resolver pointing at it, a PDB, an HPA and ≥ 2 replicas.
func TestGatewayTopology(t *testing.T) {
	b := loadBundle(t)
	gateway := b.workload(t, "gateway")
	agent := b.workload(t, "agent")
	ss := b.statefulSets[0]

	var headless *corev1.Service
	for _, svc := range b.services {
		if matches(svc.Spec.Selector, gateway.template.Labels) {
			headless = svc
		}
	}
	if headless == nil {
		t.Fatal("no Service selects the gateway pods")
	}
	if headless.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("gateway Service %s: clusterIP %q, want None (headless)", headless.Name, headless.Spec.ClusterIP)
	}
	if ss.Spec.ServiceName != headless.Name {
		t.Errorf("StatefulSet serviceName %q, want the headless Service %q", ss.Spec.ServiceName, headless.Name)
	}
	if ss.Spec.Replicas == nil || *ss.Spec.Replicas < 2 {
		t.Error("gateway StatefulSet needs at least 2 replicas")
	}

	agentCfg := collectorConfig(t, b, agent)
	resolvers := 0
	for id, body := range componentsOfKind(agentCfg, "exporters", "load_balancing") {
		k8s := lookup(body, "resolver", "k8s")
		if k8s == nil {
			continue
		}
		resolvers++
		want := headless.Name + "." + b.namespace
		if svc := lookup(k8s, "service"); svc != want {
			t.Errorf("agent exporter %s resolves %v, want %s", id, svc, want)
		}
		ports, _ := lookup(k8s, "ports").([]any)
		for _, p := range ports {
			found := false
			for _, sp := range headless.Spec.Ports {
				if float64(sp.Port) == p.(float64) {
					found = true
				}
			}
			if !found {
				t.Errorf("agent exporter %s sends to port %v, which Service %s does not expose", id, p, headless.Name)
			}
		}
		if rk := lookup(body, "routing_key"); id == "load_balancing/traces" && rk != "traceID" {
			t.Errorf("agent exporter %s: routing_key %v, want traceID", id, rk)
		}
	}
	if resolvers == 0 {
		t.Fatal("the agent config has no load_balancing exporter with a k8s resolver")
	}

	if len(b.pdbs) == 0 {
		t.Error("no PodDisruptionBudget for the gateways")
	}
	hpaFound := false
	for _, h := range b.hpas {
		if h.Spec.ScaleTargetRef.Kind == "StatefulSet" && h.Spec.ScaleTargetRef.Name == ss.Name {
			hpaFound = true
			if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 {
				t.Errorf("HPA %s: minReplicas must be ≥ 2", h.Name)
			}
		}
	}
	if !hpaFound {
		t.Error("no HorizontalPodAutoscaler targets the gateway StatefulSet")
	}
}

// TestGatewayGracePeriodExceedsDecisionWait: on SIGTERM a gateway decides and flushes every
// buffered trace; the kubelet must not SIGKILL it before the longest decision wait has passed.
func TestGatewayGracePeriodExceedsDecisionWait(t *testing.T) {
	b := loadBundle(t)
	gateway := b.workload(t, "gateway")
	cfg := collectorConfig(t, b, gateway)
	wait := tailPolicyDefaultDecisionWait
	for id, body := range componentsOfKind(cfg, "processors", "tail_policy") {
		for _, key := range []string{"trace_timeout", "decision_wait", "decision_delay"} {
			if raw, ok := lookup(body, key).(string); ok {
				d, err := time.ParseDuration(raw)
				if err != nil {
					t.Fatalf("%s %s: %v", id, key, err)
				}
				wait = max(wait, d)
			}
		}
	}
	grace := time.Duration(*gateway.template.Spec.TerminationGracePeriodSeconds) * time.Second
	var preStop time.Duration
	if lc := collectorContainer(t, gateway).Lifecycle; lc != nil && lc.PreStop != nil && lc.PreStop.Sleep != nil {
		preStop = time.Duration(lc.PreStop.Sleep.Seconds) * time.Second
	}
	if grace <= wait+preStop {
		t.Errorf("gateway terminationGracePeriodSeconds %v must exceed the decision wait %v plus preStop %v", grace, wait, preStop)
	}
}

// TestRBAC: the agent may watch EndpointSlices (load_balancing k8s resolver) in the gateways'
// namespace and read pods, namespaces and replicasets (k8s_attributes); the gateway gets no API token.
func TestRBAC(t *testing.T) {
	b := loadBundle(t)
	agent := b.workload(t, "agent")
	gateway := b.workload(t, "gateway")
	sa := agent.template.Spec.ServiceAccountName
	if sa == "" {
		t.Fatal("agent pods use the default ServiceAccount")
	}
	want := []string{"get", "list", "watch"}

	var namespaced []rbacv1.PolicyRule
	for _, rb := range b.roleBindings {
		if !bindsServiceAccount(rb.Subjects, sa, b.namespace) || rb.RoleRef.Kind != "Role" {
			continue
		}
		for _, r := range b.roles {
			if r.Name == rb.RoleRef.Name && r.Namespace == rb.Namespace {
				namespaced = append(namespaced, r.Rules...)
			}
		}
	}
	if !allows(namespaced, "discovery.k8s.io", "endpointslices", want) {
		t.Error("agent ServiceAccount may not get/list/watch discovery.k8s.io endpointslices in the gateway namespace: the load_balancing k8s resolver would find no gateway")
	}

	var clusterWide []rbacv1.PolicyRule
	for _, crb := range b.clusterBindings {
		if !bindsServiceAccount(crb.Subjects, sa, b.namespace) {
			continue
		}
		for _, cr := range b.clusterRoles {
			if cr.Name == crb.RoleRef.Name {
				clusterWide = append(clusterWide, cr.Rules...)
			}
		}
	}
	for _, need := range []struct{ group, resource string }{{"", "pods"}, {"", "namespaces"}, {"apps", "replicasets"}} {
		if !allows(clusterWide, need.group, need.resource, want) {
			t.Errorf("agent ServiceAccount may not get/list/watch %s %q: k8s_attributes needs it", need.group, need.resource)
		}
	}
	for _, r := range slices.Concat(namespaced, clusterWide) {
		for _, v := range r.Verbs {
			if !slices.Contains(want, v) {
				t.Errorf("agent RBAC grants verb %q; it only reads", v)
			}
		}
	}

	if gateway.template.Spec.AutomountServiceAccountToken == nil || *gateway.template.Spec.AutomountServiceAccountToken {
		t.Error("gateway pods call no Kubernetes API: set automountServiceAccountToken: false")
	}
}

func bindsServiceAccount(subjects []rbacv1.Subject, name, namespace string) bool {
	for _, s := range subjects {
		if s.Kind == "ServiceAccount" && s.Name == name && s.Namespace == namespace {
			return true
		}
	}
	return false
}

func allows(rules []rbacv1.PolicyRule, group, res string, verbs []string) bool {
	for _, v := range verbs {
		granted := false
		for _, r := range rules {
			if slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, res) && slices.Contains(r.Verbs, v) {
				granted = true
			}
		}
		if !granted {
			return false
		}
	}
	return true
}

// TestKustomizeBuild renders the kustomization with kubectl, when it is installed, and decodes the
// result strictly: the generated ConfigMaps carry the collector configs byte for byte, and the
// workloads refer to them under their hashed names.
func TestKustomizeBuild(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not installed; the source manifests are checked by the other tests")
	}
	out, err := exec.Command(kubectl, "kustomize", kustomizeRoot(t)).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl kustomize: %v\n%s", err, out)
	}
	rendered := &bundle{configMaps: map[string]generatedConfigMap{}}
	decodeStream(t, rendered, "kubectl kustomize output", out)

	source := loadBundle(t)
	for _, w := range rendered.workloads() {
		for _, v := range w.template.Spec.Volumes {
			if v.ConfigMap == nil {
				continue
			}
			if _, ok := rendered.configMaps[v.ConfigMap.Name]; !ok {
				t.Errorf("%s: rendered volume %s refers to ConfigMap %q, which the output does not contain", describe(w), v.Name, v.ConfigMap.Name)
			}
		}
	}
	for name, cm := range source.configMaps {
		var generated *generatedConfigMap
		for renderedName, r := range rendered.configMaps {
			if strings.HasPrefix(renderedName, name+"-") {
				generated = &r
			}
		}
		if generated == nil {
			t.Errorf("generated ConfigMap %s missing from the rendered output", name)
			continue
		}
		for key, file := range cm.files {
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if generated.data[key] != string(want) {
				t.Errorf("ConfigMap %s key %s differs from %s", generated.name, key, file)
			}
		}
	}
	if !strings.Contains(string(out), "namespace: "+source.namespace) {
		t.Errorf("rendered objects are not placed in namespace %s", source.namespace)
	}
}
