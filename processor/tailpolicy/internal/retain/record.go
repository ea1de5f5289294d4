// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package retain // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/retain"

import (
	"encoding/binary"
	"errors"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// A record's payload (framed by internal/wal: length, CRC32C, payload):
//
//	put:       'P' | trace id (16) | first seen (varint, Unix ns) | written (varint, Unix ns)
//	           | service (uvarint length, bytes) | spans (the caller's encoding, see WithDecoder)
//	tombstone: 'T' | trace id (16) | written (varint, Unix ns)
const (
	kindPut       byte = 'P'
	kindTombstone byte = 'T'
)

// maxServiceLen bounds the service name kept with a trace; longer names are
// cut (at a rune boundary) on Put and on Select alike.
const maxServiceLen = 256

var errBadRecord = errors.New("retain: malformed record")

// header is a record's payload without the spans.
type header struct {
	kind      byte
	id        pcommon.TraceID
	firstSeen int64
	written   int64
	service   []byte
	spans     []byte // put only; aliases the payload
}

func appendPut(dst []byte, id pcommon.TraceID, service string, firstSeen, written int64, spans []byte) []byte {
	dst = append(dst, kindPut)
	dst = append(dst, id[:]...)
	dst = binary.AppendVarint(dst, firstSeen)
	dst = binary.AppendVarint(dst, written)
	dst = binary.AppendUvarint(dst, uint64(len(service)))
	dst = append(dst, service...)
	return append(dst, spans...)
}

func appendTombstone(dst []byte, id pcommon.TraceID, written int64) []byte {
	dst = append(dst, kindTombstone)
	dst = append(dst, id[:]...)
	return binary.AppendVarint(dst, written)
}

// decodeHeader parses a payload; service and spans alias it.
func decodeHeader(p []byte) (header, error) {
	var h header
	if len(p) < 1+16 {
		return h, errBadRecord
	}
	h.kind = p[0]
	copy(h.id[:], p[1:17])
	p = p[17:]
	var n int
	if h.kind != kindPut && h.kind != kindTombstone || h.id.IsEmpty() {
		return h, errBadRecord
	}
	if h.kind == kindPut {
		if h.firstSeen, n = binary.Varint(p); n <= 0 {
			return h, errBadRecord
		}
		p = p[n:]
	}
	if h.written, n = binary.Varint(p); n <= 0 {
		return h, errBadRecord
	}
	p = p[n:]
	if h.kind == kindTombstone {
		if len(p) != 0 {
			return h, errBadRecord
		}
		return h, nil
	}
	l, n := binary.Uvarint(p)
	if n <= 0 || l > maxServiceLen || uint64(len(p)-n) < l {
		return h, errBadRecord
	}
	h.service = p[n : n+int(l)]
	h.spans = p[n+int(l):]
	if len(h.spans) == 0 {
		return h, errBadRecord
	}
	return h, nil
}

// serviceKey is the service name as stored: at most maxServiceLen bytes, cut
// at a rune boundary.
func serviceKey(s string) string {
	if len(s) <= maxServiceLen {
		return s
	}
	cut := maxServiceLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
