package bbqr

// A DEFLATE (RFC 1951) compressor whose back-references never reach further
// than 1 KiB.
//
// BBQr's Z encoding is "zlib with wbits=10, no header": a raw DEFLATE stream
// that a decoder with a 1024-byte window can inflate. Go's compress/flate
// always uses a 32 KiB window, and a stream it writes may refer up to 32768
// bytes back, which a Coldcard rejects or misreads. So we emit the stream
// ourselves: an LZ77 matcher that only looks at the last windowSize bytes,
// and for each block the cheapest of a stored, a fixed-Huffman and a
// dynamic-Huffman encoding.

import "sort"

const (
	windowSize = 1 << 10 // wbits=10
	minMatch   = 3
	maxMatch   = 258
	maxChain   = 256 // hash-chain steps per position; bounds time on repetitive input
	niceMatch  = 128 // a match this long is taken without looking further
	hashBits   = 15
	blockSyms  = 1 << 14 // tokens per block before the Huffman codes are refitted
)

// token is one LZ77 output: a literal byte (dist == 0) or a back-reference.
type token struct {
	length uint16 // literal byte value when dist == 0, else match length 3..258
	dist   uint16 // 0 for a literal, else 1..windowSize
}

var (
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	// codeLenOrder is the order in which code-length code lengths are sent.
	codeLenOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

// lengthCode returns the index (0..28) of the length symbol for a match
// length: symbol 257+index.
func lengthCode(l uint16) int {
	i := sort.Search(len(lengthBase), func(i int) bool { return lengthBase[i] > l }) - 1
	return i
}

// distCode returns the distance symbol (0..29) for a distance.
func distCode(d uint16) int {
	return sort.Search(len(distBase), func(i int) bool { return distBase[i] > d }) - 1
}

// deflateWindowed compresses data into a raw DEFLATE stream whose every
// distance is at most windowSize.
func deflateWindowed(data []byte) []byte {
	toks := lz77(data)
	w := &bitWriter{}
	if len(toks) == 0 {
		// An empty final fixed-Huffman block: just end-of-block.
		w.writeBits(1, 1)
		w.writeBits(1, 2)
		fixedLit, _ := fixedCodes()
		w.writeCode(fixedLit, 256)
		return w.flush()
	}
	pos := 0 // input offset where the current block starts
	for start := 0; start < len(toks); start += blockSyms {
		end := min(start+blockSyms, len(toks))
		block := toks[start:end]
		n := 0
		for _, t := range block {
			if t.dist == 0 {
				n++
			} else {
				n += int(t.length)
			}
		}
		writeBlock(w, block, data[pos:pos+n], end == len(toks))
		pos += n
	}
	return w.flush()
}

// lz77 turns data into tokens with greedy-then-lazy matching against hash
// chains that never look more than windowSize bytes back.
func lz77(data []byte) []token {
	n := len(data)
	toks := make([]token, 0, n/2+16)
	if n < minMatch {
		for _, b := range data {
			toks = append(toks, token{length: uint16(b)})
		}
		return toks
	}
	head := make([]int32, 1<<hashBits)
	for i := range head {
		head[i] = -1
	}
	prev := make([]int32, n)
	hash := func(i int) uint32 {
		v := uint32(data[i])<<16 | uint32(data[i+1])<<8 | uint32(data[i+2])
		return (v * 2654435761) >> (32 - hashBits)
	}
	inserted := 0 // positions below this are in the chains
	insertTo := func(limit int) {
		for ; inserted < limit && inserted+minMatch <= n; inserted++ {
			h := hash(inserted)
			prev[inserted] = head[h]
			head[h] = int32(inserted)
		}
	}
	// longest finds the longest match for position i among earlier positions
	// within the window.
	longest := func(i int) (length, dist int) {
		if i+minMatch > n {
			return 0, 0
		}
		limit := min(maxMatch, n-i)
		steps := 0
		for c := int(head[hash(i)]); c >= 0 && i-c <= windowSize && steps < maxChain; c = int(prev[c]) {
			steps++
			if data[c+length] != data[i+length] && length > 0 {
				continue
			}
			l := 0
			for l < limit && data[c+l] == data[i+l] {
				l++
			}
			if l > length {
				length, dist = l, i-c
				if l >= niceMatch || l == limit {
					break
				}
			}
		}
		if length < minMatch {
			return 0, 0
		}
		return length, dist
	}

	i := 0
	for i < n {
		insertTo(i)
		l, d := longest(i)
		if l > 0 && l < niceMatch && i+1 < n {
			// Lazy evaluation: if the next position starts a longer
			// match, emit this byte as a literal and take that one.
			insertTo(i + 1)
			if l2, _ := longest(i + 1); l2 > l {
				toks = append(toks, token{length: uint16(data[i])})
				i++
				continue
			}
		}
		if l == 0 {
			toks = append(toks, token{length: uint16(data[i])})
			i++
			continue
		}
		toks = append(toks, token{length: uint16(l), dist: uint16(d)})
		i += l
	}
	return toks
}

// huffCode is a canonical Huffman code: per symbol its length and its bits,
// already reversed for LSB-first output.
type huffCode struct {
	lens  []uint8
	codes []uint16
}

// fixedCodes returns the literal/length and distance codes of RFC 1951
// section 3.2.6.
func fixedCodes() (lit, dist huffCode) {
	ll := make([]uint8, 288)
	for i := range ll {
		switch {
		case i < 144:
			ll[i] = 8
		case i < 256:
			ll[i] = 9
		case i < 280:
			ll[i] = 7
		default:
			ll[i] = 8
		}
	}
	dl := make([]uint8, 30)
	for i := range dl {
		dl[i] = 5
	}
	return canonical(ll), canonical(dl)
}

// canonical assigns canonical codes (RFC 1951 section 3.2.2) to lengths.
func canonical(lens []uint8) huffCode {
	var count [16]uint16
	for _, l := range lens {
		count[l]++
	}
	count[0] = 0
	var next [16]uint16
	code := uint16(0)
	for bits := 1; bits < 16; bits++ {
		code = (code + count[bits-1]) << 1
		next[bits] = code
	}
	h := huffCode{lens: lens, codes: make([]uint16, len(lens))}
	for s, l := range lens {
		if l == 0 {
			continue
		}
		c := next[l]
		next[l]++
		// Reverse the l-bit code: DEFLATE sends Huffman codes MSB first
		// inside an LSB-first bit stream.
		var r uint16
		for b := uint8(0); b < l; b++ {
			r = r<<1 | (c>>b)&1
		}
		h.codes[s] = r
	}
	return h
}

// huffLengths returns code lengths of at most maxBits for freq. Symbols with
// zero frequency get length 0. At least two symbols always get a length, so
// the code is complete, which every inflater accepts (a lone one-bit code is
// accepted by some and not others).
func huffLengths(freq []int, maxBits int) []uint8 {
	f := append([]int(nil), freq...)
	used := 0
	for _, v := range f {
		if v > 0 {
			used++
		}
	}
	for i := 0; used < 2 && i < len(f); i++ {
		if f[i] == 0 {
			f[i] = 1
			used++
		}
	}
	for {
		lens := plainHuffman(f)
		longest := uint8(0)
		for _, l := range lens {
			longest = max(longest, l)
		}
		if int(longest) <= maxBits {
			return lens
		}
		// Flatten the distribution and retry; every non-zero frequency
		// stays non-zero, and at all-ones the tree is balanced and short.
		for i, v := range f {
			if v > 0 {
				f[i] = (v + 1) / 2
			}
		}
	}
}

// plainHuffman computes unrestricted Huffman code lengths.
func plainHuffman(freq []int) []uint8 {
	type node struct {
		w           int
		left, right int // child node indexes, -1 for a leaf
		sym         int
	}
	nodes := make([]node, 0, 2*len(freq))
	var live []int
	for s, w := range freq {
		if w > 0 {
			nodes = append(nodes, node{w: w, left: -1, right: -1, sym: s})
			live = append(live, len(nodes)-1)
		}
	}
	lens := make([]uint8, len(freq))
	// A simple O(n^2) merge is plenty for alphabets of at most 288 symbols;
	// ties break by creation order, so the result is deterministic.
	for len(live) > 1 {
		sort.SliceStable(live, func(a, b int) bool { return nodes[live[a]].w < nodes[live[b]].w })
		a, b := live[0], live[1]
		nodes = append(nodes, node{w: nodes[a].w + nodes[b].w, left: a, right: b, sym: -1})
		live = append(live[2:], len(nodes)-1)
	}
	var walk func(i int, depth uint8)
	walk = func(i int, depth uint8) {
		if nodes[i].left < 0 {
			lens[nodes[i].sym] = max(depth, 1)
			return
		}
		walk(nodes[i].left, depth+1)
		walk(nodes[i].right, depth+1)
	}
	if len(live) == 1 {
		walk(live[0], 0)
	}
	return lens
}

// writeBlock writes one block of tokens (raw holds the bytes they stand
// for) as whichever of stored, fixed or dynamic Huffman is smallest.
func writeBlock(w *bitWriter, toks []token, raw []byte, final bool) {
	litFreq := make([]int, 286)
	distFreq := make([]int, 30)
	for _, t := range toks {
		if t.dist == 0 {
			litFreq[t.length]++
		} else {
			litFreq[257+lengthCode(t.length)]++
			distFreq[distCode(t.dist)]++
		}
	}
	litFreq[256]++

	fixedLit, fixedDist := fixedCodes()
	dynLit := canonical(huffLengths(litFreq, 15))
	dynDist := canonical(huffLengths(distFreq, 15))
	hdr := newDynHeader(dynLit.lens, dynDist.lens)

	fixedBits := 3 + dataBits(litFreq, distFreq, fixedLit, fixedDist)
	dynBits := 3 + hdr.bits() + dataBits(litFreq, distFreq, dynLit, dynDist)
	// Stored: 3 header bits, up to 7 of padding, then LEN/NLEN and the
	// bytes, in chunks of at most 65535.
	storedBits := 0
	for rest := len(raw); ; rest -= 65535 {
		storedBits += 3 + 7 + 32 + 8*min(rest, 65535)
		if rest <= 65535 {
			break
		}
	}

	var fin uint64
	if final {
		fin = 1
	}
	switch {
	case storedBits < fixedBits && storedBits < dynBits:
		for len(raw) > 65535 {
			w.writeStored(raw[:65535], false)
			raw = raw[65535:]
		}
		w.writeStored(raw, final)
	case fixedBits <= dynBits:
		w.writeBits(fin, 1)
		w.writeBits(1, 2)
		writeTokens(w, toks, fixedLit, fixedDist)
	default:
		w.writeBits(fin, 1)
		w.writeBits(2, 2)
		hdr.write(w)
		writeTokens(w, toks, dynLit, dynDist)
	}
}

// dataBits counts the bits the tokens take under the given codes, including
// extra bits and end-of-block.
func dataBits(litFreq, distFreq []int, lit, dist huffCode) int {
	n := 0
	for s, f := range litFreq {
		if f == 0 {
			continue
		}
		n += f * int(lit.lens[s])
		if s >= 257 {
			n += f * int(lengthExtra[s-257])
		}
	}
	for s, f := range distFreq {
		n += f * (int(dist.lens[s]) + int(distExtra[s]))
	}
	return n
}

func writeTokens(w *bitWriter, toks []token, lit, dist huffCode) {
	for _, t := range toks {
		if t.dist == 0 {
			w.writeCode(lit, int(t.length))
			continue
		}
		lc := lengthCode(t.length)
		w.writeCode(lit, 257+lc)
		w.writeBits(uint64(t.length-lengthBase[lc]), uint(lengthExtra[lc]))
		dc := distCode(t.dist)
		w.writeCode(dist, dc)
		w.writeBits(uint64(t.dist-distBase[dc]), uint(distExtra[dc]))
	}
	w.writeCode(lit, 256)
}

// dynHeader is the header of a dynamic-Huffman block: the two code-length
// sequences, run-length coded, and the code-length code that carries them.
type dynHeader struct {
	hlit, hdist int
	ops         []clOp
	clCode      huffCode
	hclen       int
}

// clOp is one code-length-alphabet symbol and its extra bits.
type clOp struct {
	sym   uint8
	extra uint8
}

func newDynHeader(litLens, distLens []uint8) dynHeader {
	hlit := 286
	for hlit > 257 && litLens[hlit-1] == 0 {
		hlit--
	}
	hdist := 30
	for hdist > 1 && distLens[hdist-1] == 0 {
		hdist--
	}
	// The two sequences are run-length coded as one (RFC 1951 allows
	// repeats across the boundary).
	seq := append(append([]uint8(nil), litLens[:hlit]...), distLens[:hdist]...)
	var ops []clOp
	for i := 0; i < len(seq); {
		l := seq[i]
		run := 1
		for i+run < len(seq) && seq[i+run] == l {
			run++
		}
		if l == 0 {
			for run >= 11 {
				k := min(run, 138)
				ops = append(ops, clOp{18, uint8(k - 11)})
				run -= k
				i += k
			}
			if run >= 3 {
				ops = append(ops, clOp{17, uint8(run - 3)})
				i += run
				run = 0
			}
		} else {
			ops = append(ops, clOp{l, 0})
			i++
			run--
			for run >= 3 {
				k := min(run, 6)
				ops = append(ops, clOp{16, uint8(k - 3)})
				run -= k
				i += k
			}
		}
		for ; run > 0; run-- {
			ops = append(ops, clOp{l, 0})
			i++
		}
	}
	freq := make([]int, 19)
	for _, op := range ops {
		freq[op.sym]++
	}
	cl := canonical(huffLengths(freq, 7))
	hclen := 19
	for hclen > 4 && cl.lens[codeLenOrder[hclen-1]] == 0 {
		hclen--
	}
	return dynHeader{hlit: hlit, hdist: hdist, ops: ops, clCode: cl, hclen: hclen}
}

var clExtraBits = [19]uint8{16: 2, 17: 3, 18: 7}

func (h dynHeader) bits() int {
	n := 5 + 5 + 4 + 3*h.hclen
	for _, op := range h.ops {
		n += int(h.clCode.lens[op.sym]) + int(clExtraBits[op.sym])
	}
	return n
}

func (h dynHeader) write(w *bitWriter) {
	w.writeBits(uint64(h.hlit-257), 5)
	w.writeBits(uint64(h.hdist-1), 5)
	w.writeBits(uint64(h.hclen-4), 4)
	for _, s := range codeLenOrder[:h.hclen] {
		w.writeBits(uint64(h.clCode.lens[s]), 3)
	}
	for _, op := range h.ops {
		w.writeCode(h.clCode, int(op.sym))
		w.writeBits(uint64(op.extra), uint(clExtraBits[op.sym]))
	}
}

// bitWriter packs bits least-significant first, as DEFLATE requires.
type bitWriter struct {
	out   []byte
	acc   uint64
	nbits uint
}

func (w *bitWriter) writeBits(v uint64, n uint) {
	w.acc |= v << w.nbits
	w.nbits += n
	for w.nbits >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.nbits -= 8
	}
}

func (w *bitWriter) writeCode(h huffCode, sym int) {
	w.writeBits(uint64(h.codes[sym]), uint(h.lens[sym]))
}

// writeStored writes a stored block: header, padding to a byte boundary,
// LEN, NLEN and the bytes.
func (w *bitWriter) writeStored(raw []byte, final bool) {
	var fin uint64
	if final {
		fin = 1
	}
	w.writeBits(fin, 1)
	w.writeBits(0, 2)
	if w.nbits > 0 {
		w.writeBits(0, 8-w.nbits)
	}
	n := uint64(len(raw))
	w.writeBits(n, 16)
	w.writeBits(^n&0xffff, 16)
	w.out = append(w.out, raw...)
}

func (w *bitWriter) flush() []byte {
	if w.nbits > 0 {
		w.writeBits(0, 8-w.nbits)
	}
	return w.out
}
