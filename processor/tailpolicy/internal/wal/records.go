// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package wal // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/wal"

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// The record format of this package for a caller that keeps its own segment
// files and reads records back by offset (tail_policy's retention of dropped
// traces, internal/retain): the same framing Log writes and Open replays,
// without Log's one-writer, replay-everything model.

// AppendFramed appends rec, framed as one record (length, CRC32C, payload), to
// dst.
func AppendFramed(dst, rec []byte) ([]byte, error) {
	if len(rec) > maxRecord {
		return dst, fmt.Errorf("wal: record of %d bytes exceeds %d", len(rec), maxRecord)
	}
	dst = binary.AppendUvarint(dst, uint64(len(rec)))
	dst = binary.LittleEndian.AppendUint32(dst, crc32.Checksum(rec, castagnoli))
	return append(dst, rec...), nil
}

// ScanFramed calls fn with the offset, framed length and payload of every
// record in r, in order, up to the first torn or corrupt one (rec is only
// valid during the call). good is the offset where the valid records end; corrupt says that
// something other than a clean end followed. An error from fn stops the scan.
func ScanFramed(r io.Reader, fn func(off int64, n int, rec []byte) error) (good int64, corrupt bool, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var buf []byte
	for {
		rec, n, err := readRecord(br, buf)
		if err == io.EOF {
			return good, false, nil
		}
		if err != nil {
			return good, true, nil
		}
		buf = rec[:0]
		if err := fn(good, n, rec); err != nil {
			return good, false, err
		}
		good += int64(n)
	}
}

// ReadFramedAt reads the record of framed length n that starts at off in r
// with one read, into buf, and verifies its length and checksum.
func ReadFramedAt(r io.ReaderAt, off int64, n int, buf []byte) ([]byte, error) {
	if n < 5 || n > maxRecord+binary.MaxVarintLen64+4 {
		return nil, errCorrupt
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if got, err := r.ReadAt(buf, off); got < n {
		if err == nil || err == io.EOF {
			err = errCorrupt
		}
		return nil, err
	}
	length, k := binary.Uvarint(buf)
	if k <= 0 || length > maxRecord || uint64(k+4)+length != uint64(n) {
		return nil, errCorrupt
	}
	rec := buf[k+4:]
	if crc32.Checksum(rec, castagnoli) != binary.LittleEndian.Uint32(buf[k:]) {
		return nil, errCorrupt
	}
	return rec, nil
}

// IsCorrupt reports whether err says a record is torn or fails its checksum.
func IsCorrupt(err error) bool { return errors.Is(err, errCorrupt) }
