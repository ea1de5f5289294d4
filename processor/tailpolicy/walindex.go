// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"google.golang.org/protobuf/encoding/protowire"
)

// replayIndex is replay's first pass: where each trace was decided and which
// rounds were handed on, read from the D and H records only. With it, the
// second pass decodes only the S records that still matter (undecided
// traces, kept ones not handed on, late spans of kept traces) and skips the
// rest after reading their trace ids: most of a log is decided and handed on,
// and decoding its protobuf into pdata is most of what replay would cost.
type replayIndex struct {
	n      int // records seen
	traces map[pcommon.TraceID]*indexedTrace
	handed map[uint64]struct{}
}

type indexedTrace struct {
	firstKeep   int // record of the first keep decision, -1 without one
	lastDecided int // record of the last decision
	hasDrop     bool
	rounds      []uint64 // of the keep decisions
	late        []lateEntry
}

// lateEntry: a late span of the trace was forwarded in round, logged at pos.
type lateEntry struct {
	pos   int
	round uint64
}

func newReplayIndex() *replayIndex {
	return &replayIndex{traces: map[pcommon.TraceID]*indexedTrace{}, handed: map[uint64]struct{}{}}
}

func (x *replayIndex) record(rec []byte) error {
	pos := x.n
	x.n++
	if len(rec) == 0 {
		return nil
	}
	switch rec[0] {
	case recDecisions:
		round, ds, err := decodeDecisions(rec[1:])
		if err != nil {
			return nil // the second pass counts it
		}
		for _, d := range ds {
			t := x.traces[d.id]
			if t == nil {
				t = &indexedTrace{firstKeep: -1, lastDecided: -1}
				x.traces[d.id] = t
			}
			if d.late {
				t.late = append(t.late, lateEntry{pos, round})
				continue
			}
			t.lastDecided = pos
			if !d.keep {
				t.hasDrop = true
				continue
			}
			if t.firstKeep < 0 {
				t.firstKeep = pos
			}
			t.rounds = append(t.rounds, round)
		}
	case recHanded:
		if round, err := decodeHanded(rec[1:]); err == nil {
			x.handed[round] = struct{}{}
		}
	}
	return nil
}

// settled says a span of the trace read at record pos needs nothing after a
// restart: the trace was dropped (only), or kept after pos with every keep
// round handed on. Anything else (undecided, a late span of a kept trace,
// mixed decisions) is replayed.
func (x *replayIndex) settled(id pcommon.TraceID, pos int) bool {
	t := x.traces[id]
	switch {
	case t == nil:
		return false
	case t.firstKeep < 0:
		return t.hasDrop
	case t.hasDrop:
		return false
	case t.firstKeep < pos:
		return x.lateHanded(id, pos)
	}
	for _, r := range t.rounds {
		if _, ok := x.handed[r]; !ok {
			return false
		}
	}
	return true
}

// lateHanded says a late span of a kept trace, read at record pos, was
// forwarded and handed on: no decision of the trace follows pos (so the span
// was not the start of a new trace), at least one late entry does, and every
// late entry after pos is handed on (the span's round is one of them: the
// workers need not take requests in log order).
func (x *replayIndex) lateHanded(id pcommon.TraceID, pos int) bool {
	t := x.traces[id]
	if t == nil || t.lastDecided > pos {
		return false
	}
	after := 0
	for _, l := range t.late {
		if l.pos < pos {
			continue
		}
		if _, ok := x.handed[l.round]; !ok {
			return false
		}
		after++
	}
	return after > 0
}

// skippable reads the trace ids of an S or T record's spans without decoding
// them and says whether every span is settled; it also returns the span
// count. A malformed record is not skippable: the full decoder reports it.
func (x *replayIndex) skippable(kind byte, payload []byte, pos int) (bool, int) {
	spans, ok := 0, true
	visit := func(id pcommon.TraceID) {
		spans++
		ok = ok && (id.IsEmpty() || x.settled(id, pos)) // empty ids are dropped anyway
	}
	if kind == recCompactSpans {
		wellFormed := compactTraceIDs(payload, visit)
		return wellFormed && ok, spans
	}
	if len(payload) < 8 {
		return false, 0
	}
	return protoTraceIDs(payload[8:], visit) && ok, spans
}

// protoTraceIDs calls f with the trace id of each span of OTLP TracesData
// (resource_spans 1 > scope_spans 2 > spans 2 > trace_id 1).
func protoTraceIDs(proto []byte, f func(pcommon.TraceID)) bool {
	each := func(b []byte, field protowire.Number, f func([]byte) bool) bool {
		for len(b) > 0 {
			num, typ, n := protowire.ConsumeTag(b)
			if n < 0 {
				return false
			}
			b = b[n:]
			if num == field && typ == protowire.BytesType {
				v, m := protowire.ConsumeBytes(b)
				if m < 0 || !f(v) {
					return false
				}
				b = b[m:]
				continue
			}
			m := protowire.ConsumeFieldValue(num, typ, b)
			if m < 0 {
				return false
			}
			b = b[m:]
		}
		return true
	}
	span := func(s []byte) bool {
		var id pcommon.TraceID
		each(s, 1, func(v []byte) bool { copy(id[:], v); return true })
		f(id)
		return true
	}
	return each(proto, 1, func(rs []byte) bool {
		return each(rs, 2, func(ss []byte) bool { return each(ss, 2, span) })
	})
}
