package logreduce // import "github.com/otelcol-warden/otelcol-warden/processor/logreduce"

import (
	"github.com/cespare/xxhash/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// origin is a resource and scope that suppressed records came from: summaries are emitted under a
// copy of it, so they reach the same tenant, stream and backend labels as their records. Origins
// are interned by a hash of their content and shared by every pending summary that refers to them.
// A 64-bit hash collision would put a summary under the other origin; at xxhash's quality and the
// bounded number of origins alive at once this is accepted rather than comparing whole maps.
type origin struct {
	hash     uint64
	resource pcommon.Resource
	scope    pcommon.InstrumentationScope
	refs     int
}

// originHash hashes a resource and scope; h is reused between calls.
func originHash(h *xxhash.Digest, res pcommon.Resource, scope pcommon.InstrumentationScope) uint64 {
	h.Reset()
	hashMap(h, res.Attributes())
	_, _ = h.WriteString("\x01")
	_, _ = h.WriteString(scope.Name())
	_, _ = h.WriteString("\x00")
	_, _ = h.WriteString(scope.Version())
	_, _ = h.WriteString("\x00")
	hashMap(h, scope.Attributes())
	return h.Sum64()
}

func hashMap(h *xxhash.Digest, m pcommon.Map) {
	for k, v := range m.All() {
		_, _ = h.WriteString(k)
		_, _ = h.WriteString("\x00")
		_, _ = h.WriteString(v.AsString())
		_, _ = h.WriteString("\x00")
	}
}

// origins interns origins; a pending summary holds a reference.
type origins map[uint64]*origin

func (o origins) acquire(hash uint64, res pcommon.Resource, scope pcommon.InstrumentationScope) *origin {
	if og, ok := o[hash]; ok {
		og.refs++
		return og
	}
	og := &origin{hash: hash, resource: pcommon.NewResource(), scope: pcommon.NewInstrumentationScope(), refs: 1}
	res.CopyTo(og.resource)
	scope.CopyTo(og.scope)
	o[hash] = og
	return og
}

func (o origins) release(og *origin) {
	og.refs--
	if og.refs <= 0 {
		delete(o, og.hash)
	}
}
