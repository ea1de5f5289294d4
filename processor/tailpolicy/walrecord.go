// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/sampling"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// The log's record types (the first byte of a record's payload).
//
//	S spans:     arrival (int64 ns, LE) + the accepted request as OTLP protobuf
//	             (the first format: still read, no longer written)
//	T spans:     the accepted request in the compact encoding (walspans.go)
//	D decisions: round (uvarint), count (uvarint), then per decision: trace id
//	             (16), flags (1: keep; late, for a late span of a kept trace
//	             forwarded in the round, not a decision), th (uint64 LE, pkg/sampling's unsigned form),
//	             time (int64 ns, LE), rule name (uvarint length + bytes)
//	H handed on: round (uvarint): the next consumer returned for that round
//	C caches:    one worker's decision caches at a checkpoint: worker, workers,
//	             the dropped filter's rotation time and two generations (count,
//	             size in words, then the words set, sparse), then the kept
//	             entries (id, th, rule name)
const (
	recSpans     byte = 'S'
	recDecisions byte = 'D'
	recHanded    byte = 'H'
	recCaches    byte = 'C'
)

var errBadRecord = errors.New("tail_policy: wal: malformed record")

// walDecision is one logged decision.
type walDecision struct {
	id   pcommon.TraceID
	keep bool
	th   sampling.Threshold
	at   time.Time
	rule string
	late bool // a late span forwarded, not a decision
}

// A decision entry's flags: keep, and late (not a decision: a late span of a
// kept trace was forwarded in this round).
const (
	decisionKeep = 1 << iota
	decisionLate
)

func appendLate(b []byte, id pcommon.TraceID, th sampling.Threshold, at time.Time, rule string) []byte {
	return appendEntry(b, id, decisionKeep|decisionLate, th, at, rule)
}

func appendDecision(b []byte, id pcommon.TraceID, keep bool, th sampling.Threshold, at time.Time, rule string) []byte {
	flags := byte(0)
	if keep {
		flags = decisionKeep
	}
	return appendEntry(b, id, flags, th, at, rule)
}

func appendEntry(b []byte, id pcommon.TraceID, flags byte, th sampling.Threshold, at time.Time, rule string) []byte {
	b = append(b, id[:]...)
	b = append(b, flags)
	b = binary.LittleEndian.AppendUint64(b, th.Unsigned())
	b = binary.LittleEndian.AppendUint64(b, uint64(at.UnixNano()))
	b = binary.AppendUvarint(b, uint64(len(rule)))
	return append(b, rule...)
}

// recordReader reads a record's fields; the first error sticks.
type recordReader struct {
	b   []byte
	err error
}

func (r *recordReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *recordReader) bytes(n int) []byte {
	if n < 0 || len(r.b) < n {
		r.fail()
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *recordReader) u64() uint64 {
	b := r.bytes(8)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

func (r *recordReader) fail() {
	if r.err == nil {
		r.err = errBadRecord
	}
	r.b = nil
}

// count reads a count of items of at least min bytes each, bounded by what
// is left, so a corrupt count cannot make a reader allocate without bound.
func (r *recordReader) count(min int) int {
	n := r.uvarint()
	if n > uint64(len(r.b)/min) {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *recordReader) decision() walDecision {
	var d walDecision
	copy(d.id[:], r.bytes(16))
	k := r.bytes(1)
	d.keep = len(k) == 1 && k[0]&decisionKeep != 0
	d.late = len(k) == 1 && k[0]&decisionLate != 0
	d.th = r.threshold()
	d.at = time.Unix(0, int64(r.u64())).UTC()
	d.rule = r.str()
	return d
}

func (r *recordReader) str() string {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return ""
	}
	return string(r.bytes(int(n)))
}

func (r *recordReader) threshold() sampling.Threshold {
	th, err := sampling.UnsignedToThreshold(r.u64())
	if err != nil {
		r.fail()
	}
	return th
}

// decodeDecisions reads a D record's payload (after the type byte).
func decodeDecisions(b []byte) (round uint64, ds []walDecision, err error) {
	r := recordReader{b: b}
	round = r.uvarint()
	n := r.count(16 + 1 + 8 + 8 + 1)
	for range n {
		d := r.decision()
		if r.err != nil {
			break
		}
		ds = append(ds, d)
	}
	if r.err == nil && len(r.b) > 0 {
		r.fail()
	}
	return round, ds, r.err
}

// decodeHanded reads an H record's payload.
func decodeHanded(b []byte) (uint64, error) {
	r := recordReader{b: b}
	round := r.uvarint()
	if r.err == nil && len(r.b) > 0 {
		r.fail()
	}
	return round, r.err
}

// decodeSpansHeader splits an S record's payload into arrival and protobuf.
func decodeSpansHeader(b []byte) (time.Time, []byte, error) {
	if len(b) < 8 {
		return time.Time{}, nil, errBadRecord
	}
	return time.Unix(0, int64(binary.LittleEndian.Uint64(b))).UTC(), b[8:], nil
}
