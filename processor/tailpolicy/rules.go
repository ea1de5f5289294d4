// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/sampling"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Span-level predicate bits. A trace accumulates them at ingest, span by span,
// so that a decision is O(rules) and never rescans the buffered spans.
const (
	bitError uint64 = 1 << iota
	bitSynthetic
	firstConditionBit = iota
)

// rule is a compiled RuleConfig.
type rule struct {
	name        string
	probability float64
	// threshold is the rejection threshold for probability (unused when it is 0).
	threshold sampling.Threshold
	// spanMask: every bit must have been seen on the trace's spans.
	spanMask uint64
	routes   []string
	// latencyOver > 0: the trace's duration must exceed it.
	latencyOver        time.Duration
	slowerThanBaseline bool
	// earlyKeep: the rule depends only on span bits, keeps 100%, and so do all
	// earlier rules, so it can decide as soon as its bits are seen.
	earlyKeep bool
}

// probabilistic rules are the only ones a throughput budget may scale.
func (r *rule) probabilistic() bool { return r.probability > 0 && r.probability < 1 }

type ottlPredicate struct {
	bit       uint64
	rootOnly  bool
	condition *spanCondition
}

// ruleSet holds the compiled rules and the span classifier they need.
type ruleSet struct {
	rules         []rule
	conditions    []ottlPredicate
	needError     bool
	needSynthetic bool
	httpStatusMin int64
	syntheticKeys []string
	userAgents    *userAgentMatcher
}

func compileRules(cfg *Config, set component.TelemetrySettings) (*ruleSet, error) {
	rs := &ruleSet{httpStatusMin: cfg.Error.HTTPStatusMin, syntheticKeys: cfg.Synthetic.AttributeKeys}
	ua, err := newUserAgentMatcher(cfg.Synthetic.UserAgentPatterns)
	if err != nil {
		return nil, fmt.Errorf("tail_policy: synthetic.user_agent_patterns: %w", err)
	}
	rs.userAgents = ua
	allKeepSoFar := true
	for i, rc := range cfg.Rules {
		r := rule{name: rc.Name, probability: *rc.Probability, routes: rc.Routes,
			latencyOver: rc.LatencyOver, slowerThanBaseline: rc.SlowerThanBaseline}
		if r.probability > 0 {
			th, err := sampling.ProbabilityToThresholdWithPrecision(r.probability, thresholdPrecision)
			if err != nil {
				return nil, fmt.Errorf("tail_policy: rules[%d].probability: %w", i, err)
			}
			r.threshold = th
		}
		if rc.Error {
			r.spanMask |= bitError
			rs.needError = true
		}
		if rc.Synthetic {
			r.spanMask |= bitSynthetic
			rs.needSynthetic = true
		}
		if rc.Condition != "" {
			cond, err := parseCondition(rc.Condition, set)
			if err != nil {
				return nil, fmt.Errorf("tail_policy: rules[%d].condition: %w", i, err)
			}
			bit := uint64(1) << (firstConditionBit + len(rs.conditions))
			rs.conditions = append(rs.conditions, ottlPredicate{bit: bit, rootOnly: rc.Match == MatchRootSpan, condition: cond})
			r.spanMask |= bit
		}
		spanOnly := len(r.routes) == 0 && r.latencyOver == 0 && !r.slowerThanBaseline && r.spanMask != 0
		// Root-only conditions are stable once seen too, but only after the root
		// arrives; they are still safe to decide early because they never unset.
		allKeepSoFar = allKeepSoFar && r.probability == 1
		r.earlyKeep = spanOnly && allKeepSoFar
		rs.rules = append(rs.rules, r)
	}
	return rs, nil
}

// thresholdPrecision: 4 hex digits keep the probability within 0.01% of the
// configured value while keeping tracestate short (`th:f333` for 5%).
const thresholdPrecision = 4

// classifySpan returns the predicate bits a span sets.
func (rs *ruleSet) classifySpan(res *sourceResource, ss ptrace.ScopeSpans, span ptrace.Span, isRoot bool) uint64 {
	var bits uint64
	attrs := span.Attributes()
	if rs.needError && rs.isError(span, attrs) {
		bits |= bitError
	}
	if rs.needSynthetic && (res.synthetic || rs.isSynthetic(attrs)) {
		bits |= bitSynthetic
	}
	for _, c := range rs.conditions {
		if c.rootOnly && !isRoot {
			continue
		}
		if c.condition.eval(res.rs, ss, span) {
			bits |= c.bit
		}
	}
	return bits
}

func (rs *ruleSet) isError(span ptrace.Span, attrs pcommon.Map) bool {
	if span.Status().Code() == ptrace.StatusCodeError {
		return true
	}
	if rs.httpStatusMin == 0 {
		return false
	}
	for _, key := range httpStatusKeys {
		if v, ok := attrs.Get(key); ok {
			switch v.Type() {
			case pcommon.ValueTypeInt:
				return v.Int() >= rs.httpStatusMin
			case pcommon.ValueTypeStr:
				// Decimal only: fmt.Sscan would read "0500" as octal and "0x1f4" as 500.
				if code, err := strconv.ParseInt(strings.TrimSpace(v.Str()), 10, 64); err == nil {
					return code >= rs.httpStatusMin
				}
			}
		}
	}
	return false
}

var (
	httpStatusKeys = []string{"http.response.status_code", "http.status_code"}
	userAgentKeys  = []string{"user_agent.original", "http.user_agent"}
)

func (rs *ruleSet) isSynthetic(attrs pcommon.Map) bool {
	for _, key := range rs.syntheticKeys {
		if v, ok := attrs.Get(key); ok && truthy(v) {
			return true
		}
	}
	if rs.userAgents.empty() {
		return false
	}
	for _, key := range userAgentKeys {
		if v, ok := attrs.Get(key); ok && v.Type() == pcommon.ValueTypeStr && rs.userAgents.match(v.Str()) {
			return true
		}
	}
	return false
}

func truthy(v pcommon.Value) bool {
	switch v.Type() {
	case pcommon.ValueTypeBool:
		return v.Bool()
	case pcommon.ValueTypeStr:
		s := v.Str()
		return s != "" && !strings.EqualFold(s, "false") && s != "0"
	case pcommon.ValueTypeInt:
		return v.Int() != 0
	}
	return false
}

// routeMatches: an entry starting with "/" is a route prefix (segment-aligned);
// any other entry must equal one whole path segment, so "auth" matches
// "/api/auth/login" but not "/author".
func routeMatches(route string, entries []string) bool {
	for _, e := range entries {
		if e[0] == '/' {
			if strings.HasPrefix(route, e) && (len(route) == len(e) || route[len(e)] == '/' || e[len(e)-1] == '/') {
				return true
			}
			continue
		}
		for rest := route; rest != ""; {
			i := strings.IndexByte(rest, '/')
			seg := rest
			if i >= 0 {
				seg, rest = rest[:i], rest[i+1:]
			} else {
				rest = ""
			}
			if seg == e {
				return true
			}
		}
	}
	return false
}

// earlyKeepMatch returns the first rule that can keep the trace right now: it
// depends only on span bits that never unset, and every rule before it keeps
// 100% too, so waiting could change at most the rule name, never the outcome.
func (rs *ruleSet) earlyKeepMatch(bits uint64) (int, bool) {
	for i := range rs.rules {
		r := &rs.rules[i]
		if r.probability != 1 {
			return 0, false
		}
		if r.earlyKeep && bits&r.spanMask == r.spanMask {
			return i, true
		}
	}
	return 0, false
}
