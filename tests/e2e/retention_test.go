package e2e

import (
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"sigs.k8s.io/yaml"
)

// Each kind of record goes through the shipped agent config and arrives at Loki with the retention
// class as a resource attribute (Loki's index label retention_class), never as a record attribute.
// filter/debug_logs is removed here so that the debug class can be seen at all.
func TestRetentionClassPerKindOfRecord(t *testing.T) {
	kinds := []struct {
		id, class, domain string
		sev               plog.SeverityNumber
	}{
		{"audit", "audit", "audit", plog.SeverityNumberInfo},
		{"security-warn", "audit", "security", plog.SeverityNumberWarn},
		{"audit-error", "audit", "audit", plog.SeverityNumberError},
		{"error", "error", "", plog.SeverityNumberError},
		{"fatal", "error", "", plog.SeverityNumberFatal},
		{"business", "business", "business", plog.SeverityNumberInfo},
		{"business-error", "error", "business", plog.SeverityNumberError},
		{"operational", "operational", "", plog.SeverityNumberInfo},
		{"warn", "operational", "", plog.SeverityNumberWarn},
		{"unspecified", "operational", "", plog.SeverityNumberUnspecified},
		{"debug", "debug", "", plog.SeverityNumberDebug},
	}
	d := newLoopbackDeployment(t)
	sink := startTenantLogsSink(t)
	d.lokiEndpoint = sink.server.URL + "/otlp"
	grpc, http := FreeEndpoint(t), FreeEndpoint(t)
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(d.agentConfig(grpc, http, nil)), &cfg); err != nil {
		t.Fatal(err)
	}
	removeProcessor(t, cfg, "filter/debug_logs")
	StartCollector(t, render(t, cfg), WithName("agent-retention"),
		WithEnv("WARDEN_PII_COUNTS_PORT="+strconv.Itoa(FreePort(t)), "K8S_NODE_NAME=agent-retention"))
	client := NewOTLPClient(t, grpc)

	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "orders")
	rl.Resource().Attributes().PutStr("k8s.namespace.name", "shop")
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	for _, k := range kinds {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(pcommonNow())
		lr.SetSeverityNumber(k.sev)
		lr.Body().SetStr("kind " + k.id + " happened")
		lr.Attributes().PutStr("test.id", k.id)
		if k.domain != "" {
			lr.Attributes().PutStr("event.domain", k.domain)
		}
	}
	if err := client.SendLogs(ld); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	Eventually(t, 60*time.Second, func() bool {
		sink.mu.Lock()
		defer sink.mu.Unlock()
		for _, batches := range sink.logs {
			for _, ld := range batches {
				for _, rl := range ld.ResourceLogs().All() {
					class := attrText(rl.Resource().Attributes(), "retention.class")
					for _, sl := range rl.ScopeLogs().All() {
						for _, lr := range sl.LogRecords().All() {
							if _, onRecord := lr.Attributes().Get("retention.class"); onRecord {
								class = "(on the record: " + class + ")"
							}
							got[attrText(lr.Attributes(), "test.id")] = class
						}
					}
				}
			}
		}
		return len(got) >= len(kinds)
	}, "want %d records at Loki", len(kinds))
	for _, k := range kinds {
		if got[k.id] != k.class {
			t.Errorf("record %s: retention class %q, want %q", k.id, got[k.id], k.class)
		}
	}
}

func pcommonNow() pcommon.Timestamp { return pcommon.NewTimestampFromTime(time.Now()) }
