package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/sampling"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TestWALGatewayCrash is issue 13's fault test: two agents with persistent queues (file_storage, as
// shipped) route by trace id to three gateways whose tail_policy keeps a write-ahead log (default
// sync) in a folder that survives a restart. One gateway is killed with SIGKILL mid-run (a crash or
// OOM kill: no flush, no shutdown decisions) and started again 3 s later on the same folder, as a
// StatefulSet recreates its pod on the same PersistentVolumeClaim.
//
// Every trace of the workload travels whole in one request, so a trace's spans reach their gateway
// together even when an agent's retries to the restarted gateway back off (spans split over two
// agents whose retries drift apart can be decided apart: TestScaleOutAgentRestart shows that, and it
// has nothing to do with the log). Whether a trace must be kept is known in advance: errors, slow
// (a 3 s root) and synthetic (Pingdom) traces always, plain traces by their trace id's randomness
// against the threshold their rule stamps (pkg/sampling, the same on every gateway).
//
// Targets (issue 13): no error, slow or synthetic trace lost; no acknowledged span lost (every span
// the agents accepted was handed to a gateway, and every span of a trace tail_policy must keep is at
// the sink, at least once); every kept trace complete, with one decision; decisions taken before the
// kill unchanged after it: "straddling" /checkout traces have their first half (root and one child)
// decided before the kill and their second half (with an error span) sent after the restart; a
// trace kept before keeps its late half under the same rule, a trace dropped before drops it, although
// the error span would have kept a new trace.
func TestWALGatewayCrash(t *testing.T) {
	const traces, batch, crashAt, straddlers = 15_000, 100, 6_000, 900
	sink := StartOTLPSink(t)
	d := newLoopbackDeployment(t)
	d.tempoEndpoint = sink.GRPCEndpoint()
	d.gatewaySpanMarker = true
	d.startWALGateways(3)
	d.startAgents(2)
	victim := d.gateways[2]
	client := NewOTLPClient(t, d.agents[0].grpc)

	// 1. The straddlers' first halves, decided (and logged) before anything else happens.
	straddle := newWALWorkload(1_000_000, straddlers)
	for i := range straddle {
		straddle[i].route, straddle[i].kind = "/checkout", walError // the error span is in the second half
	}
	sendUntilAccepted(t, client, walSpans(straddle, 0, 2, time.Now()))
	Eventually(t, time.Minute, func() bool {
		var decided float64
		for _, g := range d.gateways {
			decided += g.SelfMetric(t, "otelcol_processor_tail_policy_traces")
		}
		return decided >= straddlers
	}, "the gateways did not decide the %d straddling traces", straddlers)
	waitForQuiet(t, sink, time.Second, 3*time.Second, time.Minute)
	keptBefore := map[pcommon.TraceID]bool{}
	for id := range collectWALViews(t, sink.Traces(t)) {
		keptBefore[id] = true
	}

	// 2. The workload, 2,000 traces/s through both agents; the crash and the restart mid-run, then
	// the straddlers' second halves.
	workload := newWALWorkload(0, traces)
	var parts [][2]ptrace.Traces
	now := time.Now()
	for i := 0; i < traces; i += 2 * batch {
		parts = append(parts, [2]ptrace.Traces{
			walSpans(workload[i:i+batch], 0, spansPerTrace, now),
			walSpans(workload[i+batch:i+2*batch], 0, spansPerTrace, now),
		})
	}
	var acceptedAtKill, bufferedAtKill float64
	var recovery time.Duration
	began := time.Now()
	sendWhileFaulting(t, d, parts, crashAt/(2*batch), func() {
		acceptedAtKill = victim.SelfMetric(t, "otelcol_receiver_accepted_spans")
		bufferedAtKill = victim.SelfMetric(t, "otelcol_processor_tail_policy_buffered_traces")
		victim.Kill()
		time.Sleep(3 * time.Second)
		restart := time.Now()
		victim.Start() // returns once the collector is ready: after the log's replay
		recovery = time.Since(restart)
		sendUntilAccepted(t, client, walSpans(straddle, 2, spansPerTrace, time.Now()))
	})
	sendTime := time.Since(began)
	drainAgents(t, d)
	waitForQuiet(t, sink, 5*time.Second, 5*time.Second, 2*time.Minute)

	// Every span was accepted by an agent (sendUntilAccepted) and, the queues being empty, handed to
	// and acknowledged by a gateway.
	var agentsAccepted float64
	for _, a := range d.agents {
		agentsAccepted += a.SelfMetric(t, "otelcol_receiver_accepted_spans")
	}
	if want := float64((traces + straddlers) * spansPerTrace); agentsAccepted != want {
		t.Errorf("the agents accepted %.0f spans, %.0f were sent", agentsAccepted, want)
	}
	t.Logf("wal crash: %d traces sent in %s; %s had accepted %.0f spans and buffered %.0f undecided traces at the SIGKILL; restart to ready (log replayed) %s",
		traces, sendTime.Round(time.Millisecond), victim.name, acceptedAtKill, bufferedAtKill, recovery.Round(time.Millisecond))
	t.Logf("wal crash: %s WAL metrics after the restart: %s", victim.name, walMetricsSummary(t, victim.Collector))

	views := collectWALViews(t, sink.Traces(t))
	th := ruleThresholds(t, views)
	for _, rule := range []string{"high_value", "default"} {
		if _, ok := th[rule]; !ok {
			t.Fatalf("no trace kept by rule %q: cannot predict the probabilistic decisions (thresholds seen: %v)", rule, th)
		}
	}
	checkWorkloadAfterCrash(t, workload, views, th, crashAt)
	checkStraddlersAfterCrash(t, straddle, views, th, keptBefore, victim)
}

// checkWorkloadAfterCrash: every trace that must be kept arrived complete, every trace that arrived
// is complete and has one decision.
func checkWorkloadAfterCrash(t *testing.T, workload []walTrace, views map[pcommon.TraceID]*walView, th map[string]sampling.Threshold, crashAt int) {
	t.Helper()
	firstLost, lastLost := -1, -1
	sent, mustKeep, lost := map[walKind]int{}, map[walKind]int{}, map[walKind]int{}
	var lostIDs []string
	var arrived, incomplete, mixed, mustKeepSpans, lostSpans, copies, distinct int
	rules := map[string]int{}
	for _, tr := range workload {
		sent[tr.kind]++
		v := views[tr.id]
		if v != nil {
			arrived++
			copies += v.copies()
			distinct += len(v.spans)
			if !v.has(tr, 0, 1, 2, 3) {
				incomplete++
			}
			if len(v.rules) != 1 || len(v.th) != 1 {
				mixed++
			}
			for r := range v.rules {
				rules[r]++
			}
		}
		if !tr.mustKeep(th) {
			continue
		}
		mustKeep[tr.kind]++
		mustKeepSpans += spansPerTrace
		for n := range spansPerTrace {
			if !v.has(tr, n) {
				lostSpans++
			}
		}
		if !v.has(tr, 0, 1, 2, 3) {
			lost[tr.kind]++
			if firstLost < 0 {
				firstLost = tr.seq
			}
			lastLost = tr.seq
			if len(lostIDs) < 20 {
				lostIDs = append(lostIDs, fmt.Sprintf("%s(seq %d, %s, %s)", tr.id, tr.seq, tr.kind, tr.route))
			}
		}
	}
	t.Logf("wal crash: traces sent %d, arrived %d (%d distinct spans, %d copies: %d delivered more than once); kept per sampling.rule %v",
		len(workload), arrived, distinct, copies, copies-distinct, rules)
	for _, k := range []walKind{walError, walSlow, walSynthetic, walPlain} {
		t.Logf("wal crash: %-9s traces sent %5d, must be kept %5d, lost %d", k, sent[k], mustKeep[k], lost[k])
	}
	t.Logf("wal crash: spans of traces that must be kept %d, missing at the sink %d; kept traces incomplete %d, with more than one decision %d",
		mustKeepSpans, lostSpans, incomplete, mixed)
	if firstLost >= 0 {
		t.Logf("wal crash: lost traces were sent from seq %d to %d; the SIGKILL came when seq %d was next (about 2,000 traces/s from the two senders)",
			firstLost, lastLost, crashAt)
	}
	for _, k := range []walKind{walError, walSlow, walSynthetic} {
		if lost[k] != 0 {
			t.Errorf("%d of %d %s traces lost", lost[k], sent[k], k)
		}
	}
	if lostSpans != 0 {
		t.Errorf("%d acknowledged spans of traces tail_policy keeps are missing at the sink (%d traces, first: %v)",
			lostSpans, lost[walError]+lost[walSlow]+lost[walSynthetic]+lost[walPlain], lostIDs)
	}
	if incomplete != 0 || mixed != 0 {
		t.Errorf("kept traces: %d incomplete, %d with more than one decision", incomplete, mixed)
	}
}

// checkStraddlersAfterCrash: the late half of every straddling trace followed the decision its first
// half got before the kill, on the restarted gateway as on the others.
func checkStraddlersAfterCrash(t *testing.T, straddle []walTrace, views map[pcommon.TraceID]*walView, th map[string]sampling.Threshold,
	keptBefore map[pcommon.TraceID]bool, victim *gatewayProcess) {
	t.Helper()
	var kept, dropped, keptOnVictim, changed, mispredicted, decidedLate int
	var changedIDs []string
	for _, tr := range straddle {
		v := views[tr.id]
		first, late := v.has(tr, 0, 1), v.has(tr, 2, 3)
		if first != keptBefore[tr.id] {
			decidedLate++ // the first half reached the sink only after the kill
		}
		if first != th["high_value"].ShouldSample(sampling.TraceIDToRandomness(tr.id)) {
			mispredicted++
		}
		onVictim := v != nil && v.gateways[victim.name]
		switch {
		case first && late && len(v.rules) == 1 && v.rules["high_value"] && len(v.th) == 1:
			kept++
			if onVictim {
				keptOnVictim++
			}
		case !first && v == nil:
			dropped++
		default:
			changed++
			if len(changedIDs) < 20 {
				var rules, gws []string
				if v != nil {
					for r := range v.rules {
						rules = append(rules, r)
					}
					for g := range v.gateways {
						gws = append(gws, g)
					}
				}
				slices.Sort(rules)
				slices.Sort(gws)
				changedIDs = append(changedIDs, fmt.Sprintf("%s(first half kept %v, late half at the sink %v, rules %v, gateways %v)", tr.id, first, late, rules, gws))
			}
		}
	}
	lateKept := victim.SelfMetric(t, "otelcol_processor_tail_policy_late_spans", `outcome="kept"`)
	lateDropped := victim.SelfMetric(t, "otelcol_processor_tail_policy_late_spans", `outcome="dropped"`)
	t.Logf("wal crash: straddling traces %d: kept before the kill and after it %d (%d on %s), dropped before and after %d, decision changed %d; first halves at the sink only after the kill %d; %s after its restart: late spans kept %.0f, dropped %.0f",
		len(straddle), kept, keptOnVictim, victim.name, dropped, changed, decidedLate, victim.name, lateKept, lateDropped)
	if changed != 0 {
		t.Errorf("%d straddling traces changed their decision across the crash: %v", changed, changedIDs)
	}
	if mispredicted != 0 || decidedLate != 0 {
		t.Errorf("straddling first halves: %d decided against their high_value threshold, %d reached the sink only after the kill", mispredicted, decidedLate)
	}
	if keptOnVictim == 0 || lateDropped == 0 {
		t.Errorf("the restarted %s followed no restored decision (kept straddling traces on it %d, late spans dropped %.0f): the test did not exercise recovery",
			victim.name, keptOnVictim, lateDropped)
	}
}
