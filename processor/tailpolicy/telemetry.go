// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"context"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/metadata"
)

type trigger int

const (
	triggerRootSpan trigger = iota
	triggerTraceTimeout
	triggerSpanLimit
	triggerEarlyKeep
	triggerEviction
	triggerShutdown
	numTriggers
)

var triggerNames = [numTriggers]string{"root_span", "trace_timeout", "span_limit", "early_keep", "eviction", "shutdown"}

type lateOutcome int

const (
	lateKept lateOutcome = iota
	lateDropped
	lateOrphan
	numLateOutcomes
)

var lateOutcomeNames = [numLateOutcomes]string{"kept", "dropped", "orphan"}

type badInputReason int

const (
	badEmptyTraceID badInputReason = iota
	badEndBeforeStart
	badClockSkew
	badDuplicateSpan
	badSpanLimit
	badMissingRoute
	badUnparseableTracestate
	numBadInputReasons
)

var badInputNames = [numBadInputReasons]string{"empty_trace_id", "end_before_start", "clock_skew", "duplicate_span", "span_limit", "missing_route", "unparseable_tracestate"}

type downstreamReason int

const (
	downstreamConsumerError downstreamReason = iota
	downstreamShutdown
	numDownstreamReasons
)

var downstreamReasonNames = [numDownstreamReasons]string{"consumer_error", "shutdown"}

// Reserved rule names for decisions no configured rule took.
const (
	ruleOverload      = "_overload"
	ruleOverloadError = "_overload_error"
)

// telemetry wraps the generated builder with attribute sets computed once, so
// that recording on the hot path does not allocate.
type telemetry struct {
	tb        *metadata.TelemetryBuilder
	traces    [][2][numTriggers]metric.AddOption // [rule][kept?][trigger]
	spans     [][2]metric.AddOption              // [rule][kept?]
	late      [numLateOutcomes]metric.AddOption
	bad       [numBadInputReasons]metric.AddOption
	refused   map[string]metric.AddOption
	lost      [numDownstreamReasons]metric.AddOption
	overloads [3]metric.AddOption

	// The same counts as plain atomics, for the warden_status snapshots
	// (status.go): the OTel instruments cannot be read back.
	ruleCounts []ruleCounts
	spansIn    atomic.Int64 // spans of accepted requests
	spansOut   atomic.Int64 // spans the next consumer accepted
	lostSpans  [numDownstreamReasons]atomic.Int64
	emptyID    atomic.Int64 // spans dropped for an empty trace id
	lateCounts [numLateOutcomes]atomic.Int64
}

// ruleCounts are one rule's decisions, indexed [kept?].
type ruleCounts struct {
	traces [2]atomic.Int64
	spans  [2]atomic.Int64
}

func newTelemetry(tb *metadata.TelemetryBuilder, ruleNames []string) *telemetry {
	t := &telemetry{tb: tb, refused: map[string]metric.AddOption{}, ruleCounts: make([]ruleCounts, len(ruleNames))}
	decisions := [2]string{"dropped", "kept"}
	for _, name := range ruleNames {
		var tr [2][numTriggers]metric.AddOption
		var sp [2]metric.AddOption
		for k, d := range decisions {
			for trg, trgName := range triggerNames {
				tr[k][trg] = metric.WithAttributeSet(attribute.NewSet(
					attribute.String("rule", name), attribute.String("decision", d), attribute.String("trigger", trgName)))
			}
			sp[k] = metric.WithAttributeSet(attribute.NewSet(attribute.String("rule", name), attribute.String("decision", d)))
		}
		t.traces = append(t.traces, tr)
		t.spans = append(t.spans, sp)
	}
	for i, n := range lateOutcomeNames {
		t.late[i] = metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", n)))
	}
	for i, n := range badInputNames {
		t.bad[i] = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", n)))
	}
	for _, n := range []string{"hard_limit", "queue_full", "wal_full", "wal_error"} {
		t.refused[n] = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", n)))
	}
	for i, n := range downstreamReasonNames {
		t.lost[i] = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", n)))
	}
	for s := stateNormal; s <= stateRefusing; s++ {
		t.overloads[s] = metric.WithAttributeSet(attribute.NewSet(attribute.String("state", s.String())))
	}
	return t
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (t *telemetry) decided(ruleIdx int, kept bool, trg trigger, spans int) {
	ctx := context.Background()
	t.tb.ProcessorTailPolicyTraces.Add(ctx, 1, t.traces[ruleIdx][b2i(kept)][trg])
	t.tb.ProcessorTailPolicySpans.Add(ctx, int64(spans), t.spans[ruleIdx][b2i(kept)])
	t.ruleCounts[ruleIdx].traces[b2i(kept)].Add(1)
	t.ruleCounts[ruleIdx].spans[b2i(kept)].Add(int64(spans))
}

func (t *telemetry) spansDecided(ruleIdx int, kept bool, spans int) {
	t.tb.ProcessorTailPolicySpans.Add(context.Background(), int64(spans), t.spans[ruleIdx][b2i(kept)])
	t.ruleCounts[ruleIdx].spans[b2i(kept)].Add(int64(spans))
}

func (t *telemetry) lateSpan(o lateOutcome) {
	t.tb.ProcessorTailPolicyLateSpans.Add(context.Background(), 1, t.late[o])
	t.lateCounts[o].Add(1)
}

func (t *telemetry) badInput(r badInputReason, n int) {
	t.tb.ProcessorTailPolicyBadInput.Add(context.Background(), int64(n), t.bad[r])
	if r == badEmptyTraceID {
		t.emptyID.Add(int64(n))
	}
}

func (t *telemetry) refusedSpans(reason string, n int) {
	t.tb.ProcessorTailPolicyRefusedSpans.Add(context.Background(), int64(n), t.refused[reason])
}

func (t *telemetry) downstreamError(r downstreamReason, spans int) {
	t.tb.ProcessorTailPolicyDownstreamErrors.Add(context.Background(), int64(spans), t.lost[r])
	t.lostSpans[r].Add(int64(spans))
}
