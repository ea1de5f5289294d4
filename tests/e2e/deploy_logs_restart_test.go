package e2e

import (
	"sort"
	"strings"
	"testing"
	"time"
)

// TestDeployLogsSurviveAgentRestart runs the shipped agent config (tenant_router/loki with its
// file_storage queue) against the loopback Loki stand-in of tenantrouter_test.go. Loki answers 503 for
// every tenant while the agent accepts logs; the agent is restarted (SIGTERM, same queue folder) with
// the records still queued; Loki comes back. Every record must then arrive exactly once, at its tenant:
// scrubbed records at `restricted`, the others at their namespace's tenant.
func TestDeployLogsSurviveAgentRestart(t *testing.T) {
	const batchesBefore, batchesAfter = 6, 2
	loki := startLokiTenants(t)
	tenants := append([]string{"restricted"}, trNamespaces...)
	setAll := func(down bool) {
		for _, tenant := range tenants {
			loki.setDown(tenant, down)
		}
	}
	setAll(true)
	d := newLoopbackDeployment(t)
	d.lokiEndpoint = loki.server.URL + "/otlp"
	d.startAgents(1)
	agent := d.agents[0]
	client := NewOTLPClient(t, agent.grpc)

	send := func(from, n int) {
		for b := from; b < from+n; b++ {
			if err := client.SendLogs(tenantLogs(b)); err != nil {
				t.Fatalf("the agent refused batch %d: %v", b, err)
			}
		}
	}
	send(0, batchesBefore)
	// The agent has tried and failed: the records wait in its disk queue.
	Eventually(t, time.Minute, func() bool {
		n := 0
		for _, tenant := range tenants {
			n += loki.failures(tenant)
		}
		return n > 0
	}, "the agent never tried to send to Loki")
	queuedAtStop := agent.SelfMetric(t, "otelcol_exporter_queue_size", `exporter="tenant_router`)
	agent.Stop()
	agent.Start()
	queuedAtStart := agent.SelfMetric(t, "otelcol_exporter_queue_size", `exporter="tenant_router`)
	send(batchesBefore, batchesAfter) // accepted by the new process, also while Loki is down
	time.Sleep(2 * time.Second)
	failed := 0
	for _, tenant := range tenants {
		failed += loki.failures(tenant)
	}
	setAll(false)
	t.Logf("logs restart: %d requests in the tenant_router queues (all tenant lanes) at the SIGTERM, %.0f at start; %d requests answered 503 during the outage",
		int(queuedAtStop), queuedAtStart, failed)

	batches := batchesBefore + batchesAfter
	want := map[string]int{"restricted": trPIIPerNamespace * len(trNamespaces) * batches}
	for _, ns := range trNamespaces {
		want[ns] = (trRecordsPerNamespace - trPIIPerNamespace) * batches
	}
	began := time.Now()
	Eventually(t, 3*time.Minute, func() bool {
		for tenant, n := range want {
			if len(loki.received(tenant)) < n {
				return false
			}
		}
		return true
	}, "not every record arrived after Loki came back (want %v per tenant)", want)
	time.Sleep(3 * time.Second) // late duplicates, if any, would arrive now
	t.Logf("logs restart: every tenant complete %s after Loki came back", time.Since(began).Round(100*time.Millisecond))

	seen := map[string]int{}
	for _, tenant := range loki.tenants() {
		records := loki.received(tenant)
		t.Logf("logs restart: tenant %s received %d records (want %d)", tenant, len(records), want[tenant])
		if len(records) != want[tenant] {
			t.Errorf("tenant %s received %d records, want %d", tenant, len(records), want[tenant])
		}
		for _, r := range records {
			seen[r.id]++
			isPII := strings.Contains(r.id, ".pii")
			switch {
			case tenant == "restricted" && (!isPII || !r.scrubbed):
				t.Errorf("restricted tenant received %s (scrubbed %v)", r.id, r.scrubbed)
			case tenant != "restricted" && (isPII || r.namespace != tenant):
				t.Errorf("tenant %s received %s of namespace %s", tenant, r.id, r.namespace)
			}
		}
	}
	var dup []string
	for id, n := range seen {
		if n > 1 {
			dup = append(dup, id)
		}
	}
	sort.Strings(dup)
	if total := batches * trRecordsPerNamespace * len(trNamespaces); len(seen) != total || len(dup) > 0 {
		t.Errorf("%d distinct records of %d arrived; %d more than once: %v", len(seen), total, len(dup), dup)
	}
	if bad := loki.refused(); len(bad) > 0 {
		t.Errorf("the Loki stand-in refused requests: %v", bad)
	}
}
