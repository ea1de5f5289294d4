// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

type resourceCharge struct {
	traces int32
	bytes  int64
}

// chargeResource accounts, once per shard, for the received request's resource
// a referenced span pins (its resource and scopes stay alive as long as one of
// its spans is buffered), the first time a buffered trace references it.
func (s *shard) chargeResource(ts *traceState, res *sourceResource) {
	for _, r := range ts.resources {
		if r == res {
			return
		}
	}
	ts.resources = append(ts.resources, res)
	c := s.resources[res]
	if c.traces == 0 {
		c.bytes = estimateResourceBytes(res.rs)
		s.bytes.Add(c.bytes)
	}
	c.traces++
	s.resources[res] = c
}

func (s *shard) releaseResources(ts *traceState) {
	for _, res := range ts.resources {
		c := s.resources[res]
		if c.traces--; c.traces == 0 {
			delete(s.resources, res)
			s.bytes.Add(-c.bytes)
		} else {
			s.resources[res] = c
		}
	}
	ts.resources = nil
}

// enforceBudget decides traces early, heaviest-and-oldest first, while the
// shard is over its share of the eviction mark. Eviction always decides.
func (s *shard) enforceBudget(now time.Time) {
	if s.bytes.Load() <= s.evictAt {
		return
	}
	timeout := float64(s.eng.cfg.TraceTimeout)
	for s.bytes.Load() > s.evictTo && s.oldest != nil {
		// Among the oldest few, pick the largest cache impact (Refinery's
		// size × (1 + 4·age/timeout)): a bounded scan, not a full sort.
		var victim *traceState
		best := -1.0
		ts := s.oldest
		for range evictionCandidates {
			if ts == nil {
				break
			}
			impact := float64(ts.bytes) * (1 + 4*float64(now.Sub(ts.firstSeen))/timeout)
			if impact > best {
				victim, best = ts, impact
			}
			ts = ts.next
		}
		s.decide(victim, s.firstMatch(victim, now), triggerEviction, now)
	}
}

const evictionCandidates = 8

// Per-span memory estimate, calibrated with BenchmarkHeapPerBufferedSpan: the
// fixed cost of a span plus the reference to it, then each attribute by size.
const (
	spanBaseBytes  = 240
	attrBaseBytes  = 48
	eventBaseBytes = 120
	linkBaseBytes  = 120
)

// estimateResourceBytes is a pinned request's resource and scopes: the same
// fixed cost as an interned resource+scope, plus the resource's attributes.
func estimateResourceBytes(rs ptrace.ResourceSpans) int64 {
	b := internScopeOverhead + rs.ScopeSpans().Len()*attrBaseBytes
	rs.Resource().Attributes().Range(func(k string, v pcommon.Value) bool {
		b += attrBaseBytes + len(k)
		if v.Type() == pcommon.ValueTypeStr {
			b += len(v.Str())
		}
		return true
	})
	return int64(b)
}

func estimateSpanBytes(span ptrace.Span) int64 {
	b := spanBaseBytes + len(span.Name())
	span.Attributes().Range(func(k string, v pcommon.Value) bool {
		b += attrBaseBytes + len(k)
		if v.Type() == pcommon.ValueTypeStr {
			b += len(v.Str())
		}
		return true
	})
	b += span.Events().Len()*eventBaseBytes + span.Links().Len()*linkBaseBytes
	return int64(b)
}
