package sqlite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"github.com/klauspost/compress/s2"
)

// An item's summary and content, most of its bytes, are stored packed in the
// items.packed column when that saves room, and summary and content are then
// stored empty. packed is one format byte, then the compressed form of
// uvarint(len(summary)) summary content.
//
// The format is S2 (a Snappy extension): on Chinese article HTML it keeps
// 1/1.4 to 1/1.5 of the bytes at about 5 µs per 2.7 KB article and
// unpacks it in under 2 µs, where zstd's fastest level keeps 1/1.75 for
// 18 µs and flate 1/1.9 for 40 to 60 µs, more than new-item ingest can spend
// (docs/performance.md). The format byte leaves room for another.
const packS2 byte = 1

// packMin is the size of summary and content below which they stay text:
// short texts barely compress.
const packMin = 256

// A packer packs the texts of one SaveItems call, reusing its buffers.
type packer struct{ raw, out []byte }

// pack returns the packed form of summary and content, valid until the next
// call, or nil when they should be stored as text: too short, or not made
// smaller by at least an eighth.
func (p *packer) pack(summary, content string) []byte {
	n := len(summary) + len(content)
	if n < packMin {
		return nil
	}
	p.raw = binary.AppendUvarint(p.raw[:0], uint64(len(summary)))
	p.raw = append(p.raw, summary...)
	p.raw = append(p.raw, content...)
	need := 1 + s2.MaxEncodedLen(len(p.raw))
	if cap(p.out) < need {
		p.out = make([]byte, need)
	}
	p.out = p.out[:need]
	p.out[0] = packS2
	enc := s2.Encode(p.out[1:], p.raw)
	if 1+len(enc) > n-n/8 {
		return nil
	}
	return p.out[:1+len(enc)]
}

// unpack returns the summary and content of a packed column.
func unpack(packed []byte) (summary, content string, err error) {
	if len(packed) == 0 {
		return "", "", errors.New("unpack: empty")
	}
	if packed[0] != packS2 {
		return "", "", fmt.Errorf("unpack: unknown format %d", packed[0])
	}
	raw, err := s2.Decode(nil, packed[1:])
	if err != nil {
		return "", "", fmt.Errorf("unpack: %w", err)
	}
	n, k := binary.Uvarint(raw)
	if k <= 0 || n > uint64(len(raw)-k) {
		return "", "", errors.New("unpack: bad summary length")
	}
	// raw is this call's own and never written again: the texts are made
	// of it without a copy, 10% of reading a page of articles.
	s := unsafe.String(unsafe.SliceData(raw[k:]), len(raw)-k)
	return s[:n], s[n:], nil
}
