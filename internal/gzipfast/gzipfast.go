// Package gzipfast is a gzip encoder for small JSON payloads: one block
// with fixed Huffman codes, readable by any gzip reader, at a fraction of
// compress/gzip's CPU.
package gzipfast

import (
	"encoding/binary"
	"hash/crc32"
	"math/bits"
	"sync"
)

// Append appends src compressed as a gzip member (RFC 1952) to dst.
//
// Why not compress/gzip: an envelope is a few KiB, and for inputs that
// small compress/flate spends most of its time building a dynamic Huffman
// table for the one block it writes (measured at about two thirds of a
// sender's CPU per event, see docs/PERFORMANCE.md). This encoder writes a
// single block with the fixed Huffman codes of RFC 1951 §3.2.6, so there is
// no table to build or to send, and finds repeats with a one-entry hash
// table as compress/flate's fastest level does. JSON repeats its keys and
// structure, so the LZ77 matches do most of the work: the output is about
// a fifth larger than compress/gzip at BestSpeed, for a fraction of the
// CPU, and any gzip reader decodes it.
func Append(dst, src []byte) []byte {
	dst = append(dst, 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255) // deflate, no flags, no mtime, unknown OS
	d := deflaters.Get().(*deflater)
	dst = d.deflate(dst, src)
	deflaters.Put(d)
	dst = binary.LittleEndian.AppendUint32(dst, crc32.ChecksumIEEE(src))
	return binary.LittleEndian.AppendUint32(dst, uint32(len(src)))
}

const (
	hashBits   = 14
	minMatch   = 4 // matches shorter than this are not looked for
	maxMatch   = 258
	maxDist    = 32768
	tableShift = 32 - hashBits
)

// deflater holds the match table between calls, so that it is not cleared
// (64 KiB) for every envelope: positions are stored offset by cur, and an
// entry from an earlier input is recognised by being below the current
// input's base.
type deflater struct {
	table [1 << hashBits]uint32
	cur   uint32
}

var deflaters = sync.Pool{New: func() any { return new(deflater) }}

func hash4(u uint32) uint32 { return (u * 0x1e35a7bd) >> tableShift }

// deflate appends src as one final fixed-Huffman DEFLATE block.
func (d *deflater) deflate(dst, src []byte) []byte {
	if uint64(d.cur)+uint64(len(src))+2*maxDist >= 1<<31 {
		clear(d.table[:])
		d.cur = 0
	}
	// Entries below base belong to earlier inputs; base > maxDist keeps
	// them more than a window away from every position of this one.
	base := d.cur + maxDist + 1
	d.cur = base + uint32(len(src))

	w := bitWriter{buf: dst}
	w.write(0b011, 3) // BFINAL=1, BTYPE=01 (fixed Huffman)
	lit := 0          // start of the literals not yet written
	n := len(src)
	for i := 0; i+minMatch <= n; {
		cur := binary.LittleEndian.Uint32(src[i:])
		h := hash4(cur)
		cand := int(d.table[h]) - int(base)
		d.table[h] = uint32(i) + base
		if cand < 0 || i-cand > maxDist || binary.LittleEndian.Uint32(src[cand:]) != cur {
			i++
			continue
		}
		// extend the match
		length := minMatch
		for limit := min(n-i, maxMatch); length < limit && src[cand+length] == src[i+length]; length++ {
		}
		for _, c := range src[lit:i] {
			w.literal(c)
		}
		w.match(length, i-cand)
		// index the match's last position, so that a following repeat of
		// its tail is found
		if end := i + length - 1; end+minMatch <= n && end > i {
			d.table[hash4(binary.LittleEndian.Uint32(src[end:]))] = uint32(end) + base
		}
		i += length
		lit = i
	}
	for _, c := range src[lit:] {
		w.literal(c)
	}
	w.write(uint64(fixedLit[256].code), uint(fixedLit[256].len)) // end of block
	return w.flush()
}

// bitWriter writes DEFLATE's LSB-first bit stream.
type bitWriter struct {
	buf   []byte
	acc   uint64
	nbits uint
}

func (w *bitWriter) write(v uint64, n uint) {
	w.acc |= v << w.nbits
	w.nbits += n
	if w.nbits >= 32 {
		w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(w.acc))
		w.acc >>= 32
		w.nbits -= 32
	}
}

func (w *bitWriter) literal(c byte) {
	w.write(uint64(fixedLit[c].code), uint(fixedLit[c].len))
}

// match writes a length (3..258) and a distance (1..32768).
func (w *bitWriter) match(length, dist int) {
	lc := lengthCode[length-3]
	sym := fixedLit[257+int(lc)]
	// code, then extra bits; at most 8+5 bits
	w.write(uint64(sym.code)|uint64(length-3-int(lengthBase[lc]))<<sym.len, uint(sym.len)+uint(lengthExtra[lc]))
	dc := distCode(dist - 1)
	w.write(uint64(fixedDist[dc])|uint64(dist-1-int(distBase[dc]))<<5, 5+uint(distExtra[dc]))
}

func (w *bitWriter) flush() []byte {
	for w.nbits > 0 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc >>= 8
		if w.nbits < 8 {
			w.nbits = 0
		} else {
			w.nbits -= 8
		}
	}
	w.acc = 0
	return w.buf
}

type huffCode struct {
	code uint16 // bit-reversed, ready to write LSB first
	len  uint8
}

var (
	fixedLit  [288]huffCode
	fixedDist [30]uint16

	lengthCode  [256]uint8 // length-3 -> length code 0..28
	lengthBase  = [29]uint16{0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 255}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint32{0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384, 24576}
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)

func init() {
	// RFC 1951 §3.2.6: the fixed literal/length code.
	for v := range 288 {
		var code, n int
		switch {
		case v < 144:
			code, n = 0x30+v, 8
		case v < 256:
			code, n = 0x190+v-144, 9
		case v < 280:
			code, n = v-256, 7
		default:
			code, n = 0xc0+v-280, 8
		}
		fixedLit[v] = huffCode{code: bits.Reverse16(uint16(code)) >> (16 - n), len: uint8(n)}
	}
	for v := range 30 {
		fixedDist[v] = bits.Reverse16(uint16(v)) >> 11
	}
	for lc := range 28 {
		for l := int(lengthBase[lc]); l < int(lengthBase[lc])+1<<lengthExtra[lc]; l++ {
			lengthCode[l] = uint8(lc)
		}
	}
	lengthCode[255] = 28 // length 258 has a code of its own
}

// distCode returns the distance code of dist-1 (0..32767).
func distCode(d int) int {
	if d < 4 {
		return d
	}
	// codes come in pairs per power of two: 2*log2(d) plus the bit below
	// the top one
	l := bits.Len32(uint32(d)) - 1
	return 2*l + int(d>>(l-1))&1
}
