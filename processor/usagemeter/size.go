// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter // import "github.com/otelcol-warden/otelcol-warden/processor/usagemeter"

import "math/bits"

// framed is the size a message of n bytes occupies as a length-delimited field of its parent
// (a one-byte tag, the varint length, the message): summing framed(ResourceXSize) over the
// resources of a batch gives exactly the size of the batch's ExportXServiceRequest, which is what
// pdata's ProtoMarshaler would marshal and an OTLP exporter sends (before compression). Every
// field number used here (resource_*, scope_*, log_records, spans, data_points) is below 16, so
// the tag is one byte.
func framed(n int) int64 {
	return int64(1 + varintLen(uint64(n)) + n)
}

func varintLen(x uint64) int {
	return (bits.Len64(x|1) + 6) / 7
}
