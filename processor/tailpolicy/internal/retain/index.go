// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package retain // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/retain"

import (
	"cmp"
	"slices"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// loc is where one record of a trace is: segment, offset and framed length.
// Segments are at most maxSegmentBytes, so 32 bits suffice.
type loc struct{ seg, off, n uint32 }

// entry is what the index keeps per retained trace: 32 bytes (the map adds the
// 16-byte key and its own overhead; see TestIndexBytesPerTrace). Most dropped
// traces are put once; late puts go to more, which is nil otherwise.
type entry struct {
	firstSeen int64 // Unix ns
	first     loc
	service   uint32 // into index.services
	more      *[]loc
}

func (e *entry) locs() []loc {
	if e.more == nil {
		return []loc{e.first}
	}
	return append([]loc{e.first}, *e.more...)
}

// index maps trace ids to their records. Service names are interned with a
// reference count, so the table holds only the names of retained traces.
type index struct {
	traces   map[pcommon.TraceID]entry
	services []serviceName
	byName   map[string]uint32
	free     []uint32
}

type serviceName struct {
	name string
	refs int
}

func newIndex() *index {
	return &index{traces: map[pcommon.TraceID]entry{}, byName: map[string]uint32{}}
}

func (x *index) len() int { return len(x.traces) }

// add records a put of trace id at l; it reports whether the trace is new.
// A late put keeps the earliest first-seen time and the first non-empty
// service name.
func (x *index) add(id pcommon.TraceID, service []byte, firstSeen int64, l loc) bool {
	e, ok := x.traces[id]
	if !ok {
		x.traces[id] = entry{firstSeen: firstSeen, first: l, service: x.intern(service)}
		return true
	}
	e.firstSeen = min(e.firstSeen, firstSeen)
	if x.services[e.service].name == "" && len(service) > 0 {
		x.release(e.service)
		e.service = x.intern(service)
	}
	if e.more == nil {
		e.more = new([]loc)
	}
	*e.more = append(*e.more, l)
	x.traces[id] = e
	return false
}

func (x *index) remove(id pcommon.TraceID) bool {
	e, ok := x.traces[id]
	if ok {
		x.release(e.service)
		delete(x.traces, id)
	}
	return ok
}

// dropSegment forgets every record in segment seg and the traces left with
// none. Records are appended in segment order, so they are a prefix of locs.
func (x *index) dropSegment(seg uint32) {
	for id, e := range x.traces {
		if e.first.seg != seg {
			continue
		}
		rest := slices.DeleteFunc(e.locs(), func(l loc) bool { return l.seg == seg })
		if len(rest) == 0 {
			x.remove(id)
			continue
		}
		e.first, e.more = rest[0], nil
		if len(rest) > 1 {
			more := rest[1:]
			e.more = &more
		}
		x.traces[id] = e
	}
}

// Retained describes one retained trace.
type Retained struct {
	ID      pcommon.TraceID
	Service string
	// FirstSeen is when tail_policy first saw a span of the trace.
	FirstSeen int64 // Unix ns
}

// selectRange returns up to limit traces of service first seen in
// [start, end), earliest first. It scans the whole index: an operator's
// request, not a hot path.
func (x *index) selectRange(service string, start, end int64, limit int) []Retained {
	svc, ok := x.byName[service]
	if !ok || limit <= 0 {
		return nil
	}
	var out []Retained
	for id, e := range x.traces {
		if e.service == svc && e.firstSeen >= start && e.firstSeen < end {
			out = append(out, Retained{ID: id, Service: service, FirstSeen: e.firstSeen})
		}
	}
	slices.SortFunc(out, func(a, b Retained) int {
		if c := cmp.Compare(a.FirstSeen, b.FirstSeen); c != 0 {
			return c
		}
		return slices.Compare(a.ID[:], b.ID[:])
	})
	return out[:min(limit, len(out))]
}

func (x *index) intern(name []byte) uint32 {
	if i, ok := x.byName[string(name)]; ok {
		x.services[i].refs++
		return i
	}
	s := serviceName{name: string(name), refs: 1}
	var i uint32
	if n := len(x.free); n > 0 {
		i, x.free = x.free[n-1], x.free[:n-1]
		x.services[i] = s
	} else {
		i = uint32(len(x.services))
		x.services = append(x.services, s)
	}
	x.byName[s.name] = i
	return i
}

func (x *index) release(i uint32) {
	s := &x.services[i]
	if s.refs--; s.refs == 0 {
		delete(x.byName, s.name)
		*s = serviceName{}
		x.free = append(x.free, i)
	}
}
