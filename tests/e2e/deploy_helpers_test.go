package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// The deployment tests run the shipped configs/agent.yaml and configs/gateway.yaml, changed only
// where loopback differs from a cluster: ports, the static resolver instead of the Kubernetes one,
// no k8s_attributes (there is no API server), backends replaced by the harness's sinks, and the
// Secret files written to temporary folders.

// shippedConfig decodes configs/<name>.
func shippedConfig(t testing.TB, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "configs", name))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatalf("configs/%s: %v", name, err)
	}
	return cfg
}

// set assigns value at the dotted path of keys, failing if an intermediate map is missing, so a
// renamed component in the shipped config fails the test instead of being silently re-added.
func set(t testing.TB, cfg map[string]any, value any, keys ...string) {
	t.Helper()
	m := cfg
	for i, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			t.Fatalf("shipped config has no %s", strings.Join(keys[:i+1], "::"))
		}
		m = next
	}
	m[keys[len(keys)-1]] = value
}

func get(cfg map[string]any, keys ...string) any {
	var v any = cfg
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// removeProcessor deletes a processor from the config and from every pipeline.
func removeProcessor(t testing.TB, cfg map[string]any, id string) {
	t.Helper()
	procs, _ := cfg["processors"].(map[string]any)
	if _, ok := procs[id]; !ok {
		t.Fatalf("shipped config has no processor %s", id)
	}
	delete(procs, id)
	pipelines, _ := get(cfg, "service", "pipelines").(map[string]any)
	for _, p := range pipelines {
		pm := p.(map[string]any)
		list, _ := pm["processors"].([]any)
		kept := list[:0]
		for _, x := range list {
			if x != id {
				kept = append(kept, x)
			}
		}
		pm["processors"] = kept
	}
}

// appendProcessor adds a processor at the end of one pipeline.
func appendProcessor(t testing.TB, cfg map[string]any, pipeline, id string, body map[string]any) {
	t.Helper()
	cfg["processors"].(map[string]any)[id] = body
	p, ok := get(cfg, "service", "pipelines", pipeline).(map[string]any)
	if !ok {
		t.Fatalf("shipped config has no pipeline %s", pipeline)
	}
	p["processors"] = append(p["processors"].([]any), id)
}

func render(t testing.TB, cfg map[string]any) string {
	t.Helper()
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// secretFile writes n random bytes, hex-encoded, to a 0600 file, as a mounted Secret would be.
func secretFile(t testing.TB, n int) (path, value string) {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	value = hex.EncodeToString(b)
	path = filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte(value), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, value
}

// gatewayServerName is the name in the gateways' certificate, the agents' server_name_override.
const gatewayServerName = "otelcol-warden-gateway.observability.svc"

// gatewayTLS is what cert-manager would put in the otelcol-warden-gateway-tls Secret.
type gatewayTLS struct {
	certFile, keyFile, caFile string
	pool                      *x509.CertPool
}

// newGatewayTLS issues a throw-away CA and a server certificate for gatewayServerName.
func newGatewayTLS(t testing.TB) gatewayTLS {
	t.Helper()
	dir := t.TempDir()
	writePEM := func(name, typ string, der []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTemplate := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "e2e gateway CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: gatewayServerName},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{gatewayServerName}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return gatewayTLS{
		certFile: writePEM("tls.crt", "CERTIFICATE", leafDER),
		keyFile:  writePEM("tls.key", "EC PRIVATE KEY", keyDER),
		caFile:   writePEM("ca.crt", "CERTIFICATE", caDER),
		pool:     pool,
	}
}

// clientConfig is what a client that trusts the gateways' CA uses.
func (g gatewayTLS) clientConfig() *tls.Config {
	return &tls.Config{RootCAs: g.pool, ServerName: gatewayServerName, MinVersion: tls.VersionTLS13}
}

// loopbackDeployment is a set of agents and gateways on 127.0.0.1 sharing one token and pii key.
type loopbackDeployment struct {
	t                 testing.TB
	tokenFile, token  string
	keyFile           string
	tls               gatewayTLS
	tempoEndpoint     string // OTLP/gRPC host:port standing in for Tempo
	lokiEndpoint      string // OTLP/HTTP base URL standing in for Loki
	remoteWriteURL    string // Prometheus remote write
	gatewaySpanMarker bool   // stamp e2e.gateway on every exported span, to see splits directly
	gateways          []*gatewayProcess
	agents            []*agentProcess
}

type gatewayProcess struct {
	*Collector
	name       string
	grpc, http string
}

type agentProcess struct {
	*Collector
	name       string
	grpc, http string
}

func newLoopbackDeployment(t testing.TB) *loopbackDeployment {
	t.Helper()
	d := &loopbackDeployment{t: t}
	d.tokenFile, d.token = secretFile(t, 32)
	d.keyFile, _ = secretFile(t, 32)
	d.tls = newGatewayTLS(t)
	// Backends a test does not use point at a closed port: exports fail and are retried, nothing else.
	closed := FreeEndpoint(t)
	d.tempoEndpoint = closed
	d.lokiEndpoint = "http://" + closed
	d.remoteWriteURL = "http://" + closed + "/api/v1/write"
	return d
}

// gatewayConfig is configs/gateway.yaml on loopback ports.
func (d *loopbackDeployment) gatewayConfig(grpc, http string) string {
	t := d.t
	cfg := shippedConfig(t, "gateway.yaml")
	set(t, cfg, grpc, "receivers", "otlp", "protocols", "grpc", "endpoint")
	set(t, cfg, http, "receivers", "otlp", "protocols", "http", "endpoint")
	set(t, cfg, FreeEndpoint(t), "extensions", "health_check", "endpoint")
	set(t, cfg, d.tokenFile, "extensions", "bearertokenauth/agents", "filename")
	set(t, cfg, d.tokenFile, "extensions", "bearertokenauth/status", "filename")
	set(t, cfg, FreeEndpoint(t), "extensions", "warden_status", "endpoint")
	for _, proto := range []string{"grpc", "http"} {
		set(t, cfg, d.tls.certFile, "receivers", "otlp", "protocols", proto, "tls", "cert_file")
		set(t, cfg, d.tls.keyFile, "receivers", "otlp", "protocols", proto, "tls", "key_file")
	}
	set(t, cfg, d.tempoEndpoint, "exporters", "otlp_grpc/tempo", "endpoint")
	set(t, cfg, d.remoteWriteURL, "exporters", "prometheus_remote_write/relay", "http", "endpoint")
	set(t, cfg, d.remoteWriteURL, "exporters", "prometheus_remote_write/red", "http", "endpoint")
	if d.gatewaySpanMarker {
		appendProcessor(t, cfg, "traces/sample", "attributes/e2e_gateway", map[string]any{
			"actions": []any{map[string]any{"key": "e2e.gateway", "value": "${env:MY_POD_NAME}", "action": "upsert"}},
		})
	}
	return render(t, cfg)
}

// agentConfig is configs/agent.yaml on loopback ports, routing to the given gateways.
func (d *loopbackDeployment) agentConfig(grpc, http string, gateways []string) string {
	t := d.t
	cfg := shippedConfig(t, "agent.yaml")
	set(t, cfg, grpc, "receivers", "otlp", "protocols", "grpc", "endpoint")
	set(t, cfg, http, "receivers", "otlp", "protocols", "http", "endpoint")
	set(t, cfg, FreeEndpoint(t), "extensions", "health_check", "endpoint")
	set(t, cfg, "${env:WARDEN_DATA_DIR}/queue", "extensions", "file_storage/queue", "directory")
	set(t, cfg, "${env:WARDEN_DATA_DIR}/queue", "extensions", "file_storage/queue", "compaction", "directory")
	set(t, cfg, d.tokenFile, "extensions", "bearertokenauth/gateway", "filename")
	set(t, cfg, FreeEndpoint(t), "extensions", "warden_status", "endpoint")
	set(t, cfg, d.keyFile, "processors", "pii_scrub", "key", "file")
	set(t, cfg, d.lokiEndpoint, "exporters", "tenant_router/loki", "endpoint")
	removeProcessor(t, cfg, "k8s_attributes")
	if len(gateways) == 0 {
		gateways = []string{FreeEndpoint(t)} // nothing listens: exports to gateways wait in the queue
	}
	hostnames := make([]any, len(gateways))
	for i, g := range gateways {
		hostnames[i] = g
	}
	for _, id := range []string{"load_balancing/traces", "load_balancing/metrics"} {
		set(t, cfg, map[string]any{"static": map[string]any{"hostnames": hostnames}}, "exporters", id, "resolver")
		set(t, cfg, d.tls.caFile, "exporters", id, "protocol", "otlp", "tls", "ca_file")
	}
	return render(t, cfg)
}

// startGateways starts n gateways on free loopback ports. Each keeps tail_policy's write-ahead log
// (WARDEN_TAIL_WAL_DIR, configs/gateway.yaml) in its own data folder, which a restart reuses, as a
// StatefulSet pod keeps its PersistentVolumeClaim.
func (d *loopbackDeployment) startGateways(n int) {
	for range n {
		name := fmt.Sprintf("gateway-%d", len(d.gateways))
		g := &gatewayProcess{name: name, grpc: FreeEndpoint(d.t), http: FreeEndpoint(d.t)}
		dataDir := d.t.TempDir()
		g.Collector = StartCollector(d.t, d.gatewayConfig(g.grpc, g.http), WithName(name), WithDataDir(dataDir),
			WithEnv("MY_POD_NAME="+name, "WARDEN_TAIL_WAL_DIR="+filepath.Join(dataDir, "tail_policy")))
		d.gateways = append(d.gateways, g)
	}
}

func (d *loopbackDeployment) gatewayEndpoints() []string {
	var out []string
	for _, g := range d.gateways {
		out = append(out, g.grpc)
	}
	return out
}

// startAgents starts n agents routing to every gateway started so far.
func (d *loopbackDeployment) startAgents(n int) {
	for range n {
		name := fmt.Sprintf("agent-%d", len(d.agents))
		a := &agentProcess{name: name, grpc: FreeEndpoint(d.t), http: FreeEndpoint(d.t)}
		// The loopback port of the agent's PII-count totals (prometheus/pii_counts), one per agent.
		countsPort := strconv.Itoa(FreePort(d.t))
		a.Collector = StartCollector(d.t, d.agentConfig(a.grpc, a.http, d.gatewayEndpoints()), WithName(name),
			WithEnv("WARDEN_PII_COUNTS_PORT="+countsPort, "K8S_NODE_NAME="+name))
		d.agents = append(d.agents, a)
	}
}

// reroute restarts an agent with a new gateway list, keeping its persistent queue: what the
// Kubernetes resolver does live when a gateway's endpoint leaves the EndpointSlice (the static
// resolver used on loopback cannot change without a restart).
func (a *agentProcess) reroute(t testing.TB, d *loopbackDeployment, gateways []string) {
	t.Helper()
	a.Stop()
	a.Reconfigure(d.agentConfig(a.grpc, a.http, gateways))
	a.Start()
}

// assertLogHasNoSecret fails if a collector's log contains a secret value.
func assertLogHasNoSecret(t testing.TB, c *Collector, what string, secrets ...string) {
	t.Helper()
	log := c.Log()
	for _, s := range secrets {
		if s != "" && strings.Contains(log, s) {
			t.Errorf("the log of %s contains %s", c.name, what)
		}
	}
}
