package e2e

import (
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

const outageMetric = "warden_e2e_sequence"

func sequencePoints(series int, seq int64, now time.Time) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "e2e-metrics")
	rm.Resource().Attributes().PutStr("service.instance.id", "e2e-0")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(outageMetric)
	g := m.SetEmptyGauge()
	for s := range series {
		dp := g.DataPoints().AppendEmpty()
		dp.Attributes().PutStr("series", fmt.Sprintf("s%d", s))
		dp.SetTimestamp(pcommon.NewTimestampFromTime(now))
		dp.SetIntValue(seq)
	}
	return md
}

func sendMetricsUntilAccepted(t testing.TB, client *OTLPClient, md pmetric.Metrics) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		err := client.SendMetrics(md)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent did not accept metrics for 90 s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestDeployPrometheusOutage runs agent -> gateway -> real Prometheus with the shipped configs,
// stops Prometheus for 30 s in the middle of a metrics stream, and restarts the agent during the
// outage. The gateway writes synchronously, so the batches wait in the agent's file_storage queue;
// once Prometheus is back every sample must be there.
func TestDeployPrometheusOutage(t *testing.T) {
	const (
		series     = 5
		tick       = 250 * time.Millisecond
		outageAt   = 8 * time.Second
		restartAt  = 18 * time.Second
		outageLen  = 30 * time.Second
		streamTime = outageAt + outageLen + 10*time.Second
	)
	// The out-of-order window docs/deployment.md recommends for remote-write targets is needed: when an
	// agent restarts, its persistent queue puts the batch that was in flight back at the end of the queue,
	// behind newer samples of the same series, and without the window Prometheus rejects that batch with a
	// 400, which the exporter treats as permanent (measured without it: one batch of 5 samples lost).
	prom := StartPrometheus(t, WithOutOfOrderWindow("30m"))
	d := newLoopbackDeployment(t)
	d.remoteWriteURL = prom.RemoteWriteURL()
	d.startGateways(1)
	d.startAgents(1)
	agent := d.agents[0]
	client := NewOTLPClient(t, agent.grpc)

	sent := 0
	var stopped, restarted, back bool
	var backAt time.Time
	start := time.Now()
	for seq := int64(0); time.Since(start) < streamTime; seq++ {
		elapsed := time.Since(start)
		switch {
		case !stopped && elapsed >= outageAt:
			prom.Stop()
			stopped = true
			t.Logf("outage: Prometheus stopped after %d samples", sent)
		case !restarted && elapsed >= restartAt:
			queued := agent.SelfMetric(t, "otelcol_exporter_queue_size", `exporter="load_balancing/metrics"`)
			agent.Stop()
			agent.Start()
			restarted = true
			t.Logf("outage: agent restarted with %.0f batches in its metrics queue, %d samples sent", queued, sent)
		case !back && elapsed >= outageAt+outageLen:
			prom.Start()
			back, backAt = true, time.Now()
			t.Logf("outage: Prometheus back after %s, %d samples sent", time.Since(start.Add(outageAt)).Round(time.Second), sent)
		}
		sendMetricsUntilAccepted(t, client, sequencePoints(series, seq, time.Now()))
		sent += series
		time.Sleep(tick)
	}

	query := fmt.Sprintf("sum(count_over_time(%s[15m]))", outageMetric)
	var stored float64
	defer func() { t.Logf("outage: last count %.0f of %d", stored, sent) }()
	Eventually(t, 2*time.Minute, func() bool {
		stored = prom.QueryScalar(t, query)
		return int(stored) >= sent
	}, "Prometheus never held all %d samples sent (last count in the log)", sent)
	t.Logf("outage: %d samples sent, %.0f stored, lost %d; caught up %s after Prometheus came back",
		sent, stored, sent-int(stored), time.Since(backAt).Round(time.Second))
	if int(stored) != sent {
		t.Errorf("Prometheus stores %.0f samples, %d were sent", stored, sent)
	}
	if n := prom.SelfMetric(t, "prometheus_http_requests_total", `code="400"`); n > 0 {
		t.Logf("outage: Prometheus answered 400 to %.0f requests", n)
	}
}
