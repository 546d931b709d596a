package ur

import (
	"crypto/subtle"
	"fmt"
	"math"
	"math/bits"
)

// nominalFragmentLen picks the fragment length for a message, per
// BCR-2020-005: the length for the smallest number of equal fragments that
// are each at most maxLen bytes, trying no more fragments than messageLen /
// minLen. A message shorter than minLen is one fragment. (The reference
// leaves that case undefined; one fragment is the only sensible reading.)
func nominalFragmentLen(messageLen, minLen, maxLen int) int {
	maxCount := messageLen / minLen
	if maxCount < 1 {
		maxCount = 1
	}
	fragLen := messageLen
	for count := 1; count <= maxCount; count++ {
		fragLen = (messageLen + count - 1) / count
		if fragLen <= maxLen {
			break
		}
	}
	return fragLen
}

// partition splits message into fragments of fragLen bytes, padding the last
// with zeros.
func partition(message []byte, fragLen int) [][]byte {
	n := (len(message) + fragLen - 1) / fragLen
	buf := make([]byte, n*fragLen)
	copy(buf, message)
	frags := make([][]byte, n)
	for i := range frags {
		frags[i] = buf[i*fragLen : (i+1)*fragLen : (i+1)*fragLen]
	}
	return frags
}

// part is one fountain-coded part: the CBOR array
// [seqNum, seqLen, messageLen, checksum, data].
type part struct {
	seqNum     uint32
	seqLen     int
	messageLen int
	checksum   uint32
	data       []byte
}

func (p *part) cbor() []byte {
	var w cborWriter
	w.b = make([]byte, 0, len(p.data)+32)
	w.array(5)
	w.uint(uint64(p.seqNum))
	w.uint(uint64(p.seqLen))
	w.uint(uint64(p.messageLen))
	w.uint(uint64(p.checksum))
	w.bytes(p.data)
	return w.b
}

// parsePart reads the CBOR of a part. It checks only the CBOR shape; the
// decoder checks the numbers against its limits and against each other.
func parsePart(b []byte) (part, error) {
	var p part
	r := cborReader{b: b}
	n, err := r.array()
	if err != nil {
		return p, err
	}
	if n != 5 {
		return p, fmt.Errorf("cbor: a part is an array of 5 items, this one has %d", n)
	}
	if p.seqNum, err = r.uint32(); err != nil {
		return p, fmt.Errorf("sequence number: %w", err)
	}
	seqLen, err := r.uint()
	if err != nil {
		return p, fmt.Errorf("sequence length: %w", err)
	}
	messageLen, err := r.uint()
	if err != nil {
		return p, fmt.Errorf("message length: %w", err)
	}
	if p.checksum, err = r.uint32(); err != nil {
		return p, fmt.Errorf("checksum: %w", err)
	}
	if p.data, err = r.bytes(); err != nil {
		return p, fmt.Errorf("fragment: %w", err)
	}
	if err := r.done(); err != nil {
		return p, err
	}
	// Clamp before converting so a 64-bit claim cannot wrap into a small
	// int; the decoder's limits then refuse it with the real number.
	p.seqLen = clampInt(seqLen)
	p.messageLen = clampInt(messageLen)
	return p, nil
}

// clampInt converts a header's claim to int, capped at 2^40 (or the
// largest int of a 32-bit platform), far above every limit it is then
// compared with.
func clampInt(n uint64) int {
	limit := uint64(math.MaxInt)
	if limit > 1<<40 {
		limit = 1 << 40
	}
	return int(min(n, limit))
}

// xorInto sets dst to dst XOR src (equal lengths).
func xorInto(dst, src []byte) { subtle.XORBytes(dst, dst, src) }

// bitset is a set of fragment indexes.
type bitset []uint64

func newBitset(n int) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) clear(i int)    { b[i/64] &^= 1 << (i % 64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) xor(o bitset) {
	for i := range b {
		b[i] ^= o[i]
	}
}
func (b bitset) count() (n int) {
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}
func (b bitset) lowest() int {
	for i, w := range b {
		if w != 0 {
			return i*64 + bits.TrailingZeros64(w)
		}
	}
	return -1
}

// row is an equation over GF(2): the XOR of the fragments in set is data.
type row struct {
	set  bitset
	data []byte
}

// solver recovers fragments from parts by Gaussian elimination over GF(2).
// Pure parts solve a fragment outright; mixed parts are reduced by every
// fragment already known and by stored rows, and kept only if they add
// information. Each stored row has a distinct pivot (its lowest unknown
// fragment), so at most seqLen rows are ever stored: memory is bounded by
// seqLen * (fragLen + seqLen/8) bytes whatever the sender does. Elimination
// finishes whenever the received parts determine the message, which peeling
// alone (the reference decoder's method) does not always manage.
type solver struct {
	seqLen  int
	fragLen int
	frags   [][]byte // solved fragments, nil while unknown
	solved  int
	rows    map[int]*row // keyed by pivot
}

func newSolver(seqLen, fragLen int) *solver {
	return &solver{seqLen: seqLen, fragLen: fragLen, frags: make([][]byte, seqLen), rows: make(map[int]*row)}
}

// rank is how many independent equations the solver holds: the message is
// determined when rank == seqLen.
func (s *solver) rank() int { return s.solved + len(s.rows) }

func (s *solver) complete() bool { return s.solved == s.seqLen }

// add takes a part's fragment indexes and data (which it keeps and may
// modify) and reports whether the part taught the solver anything.
func (s *solver) add(indexes []int, data []byte) bool {
	var pending []int
	var learned bool
	if len(indexes) == 1 {
		i := indexes[0]
		if s.frags[i] != nil {
			return false
		}
		s.frags[i] = data
		s.solved++
		pending = append(pending, i)
		learned = true
	} else {
		r := &row{set: newBitset(s.seqLen), data: data}
		for _, i := range indexes {
			r.set.set(i)
		}
		learned = s.place(r, &pending)
	}
	s.drain(pending)
	return learned
}

// place reduces r by the solved fragments and the stored rows until its
// lowest unknown fragment is no other row's pivot, then stores it under that
// pivot, or records a solved fragment if only one unknown is left. A row
// that reduces to nothing carried no new information and is dropped.
func (s *solver) place(r *row, pending *[]int) bool {
	for {
		for wi, w := range r.set {
			for w != 0 {
				i := wi*64 + bits.TrailingZeros64(w)
				w &= w - 1
				if s.frags[i] != nil {
					r.set.clear(i)
					xorInto(r.data, s.frags[i])
				}
			}
		}
		p := r.set.lowest()
		if p < 0 {
			return false
		}
		other, ok := s.rows[p]
		if !ok {
			if r.set.count() == 1 {
				s.frags[p] = r.data
				s.solved++
				*pending = append(*pending, p)
			} else {
				s.rows[p] = r
			}
			return true
		}
		r.set.xor(other.set)
		xorInto(r.data, other.data)
	}
}

// drain substitutes newly solved fragments into the stored rows. A row that
// mentions one is taken out and placed again, which may solve more.
func (s *solver) drain(pending []int) {
	for len(pending) > 0 {
		f := pending[len(pending)-1]
		pending = pending[:len(pending)-1]
		var moved []*row
		for p, r := range s.rows {
			if r.set.has(f) {
				delete(s.rows, p)
				moved = append(moved, r)
			}
		}
		for _, r := range moved {
			s.place(r, &pending)
		}
	}
}

// message joins the solved fragments and trims the padding.
func (s *solver) message(messageLen int) []byte {
	out := make([]byte, 0, s.seqLen*s.fragLen)
	for _, f := range s.frags {
		out = append(out, f...)
	}
	return out[:messageLen]
}
