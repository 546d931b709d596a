package ur

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"math/bits"
)

// The deterministic choices of the fountain code (BCR-2020-005): which
// fragments a mixed part combines is drawn from Xoshiro256** seeded with
// SHA-256 of the part's sequence number and the message checksum. Encoder
// and decoder must draw identically, so every step here is fixed by the spec
// and checked against the reference vectors.

// xoshiro is the Xoshiro256** generator.
type xoshiro struct{ s [4]uint64 }

// newXoshiro seeds the generator with SHA-256(seed), read as four big-endian
// 64-bit words.
func newXoshiro(seed []byte) *xoshiro {
	d := sha256.Sum256(seed)
	var x xoshiro
	for i := range x.s {
		x.s[i] = binary.BigEndian.Uint64(d[8*i:])
	}
	return &x
}

// newXoshiroUint32 seeds the generator with a 32-bit number in big-endian
// order, as the reference does for a checksum.
func newXoshiroUint32(n uint32) *xoshiro {
	return newXoshiro(binary.BigEndian.AppendUint32(nil, n))
}

func (x *xoshiro) next() uint64 {
	s := &x.s
	result := bits.RotateLeft64(s[1]*5, 7) * 9
	t := s[1] << 17
	s[2] ^= s[0]
	s[3] ^= s[1]
	s[1] ^= s[2]
	s[0] ^= s[3]
	s[2] ^= t
	s[3] = bits.RotateLeft64(s[3], 45)
	return result
}

// nextDouble is next scaled into [0, 1] (the reference divides by 2^64 in
// floating point, so rounding can in principle reach 1).
func (x *xoshiro) nextDouble() float64 {
	return float64(x.next()) / (float64(math.MaxUint64) + 1)
}

// nextInt returns a number in [low, high].
func (x *xoshiro) nextInt(low, high uint64) uint64 {
	return uint64(x.nextDouble()*float64(high-low+1)) + low
}

// nextData returns n pseudo-random bytes, each drawn as nextInt(0, 255).
func (x *xoshiro) nextData(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(x.nextInt(0, 255))
	}
	return b
}

// sampler draws an index from a discrete distribution with Walker's alias
// method, built in the order Vose describes (small and large work lists
// filled from the highest index down), which is what the reference does.
type sampler struct {
	probs   []float64
	aliases []int
}

func newSampler(weights []float64) *sampler {
	n := len(weights)
	sum := 0.0
	for _, w := range weights {
		sum += w
	}
	p := make([]float64, n)
	for i, w := range weights {
		p[i] = w * float64(n) / sum
	}
	var small, large []int
	for i := n - 1; i >= 0; i-- {
		if p[i] < 1 {
			small = append(small, i)
		} else {
			large = append(large, i)
		}
	}
	s := &sampler{probs: make([]float64, n), aliases: make([]int, n)}
	for len(small) > 0 && len(large) > 0 {
		a := small[len(small)-1]
		small = small[:len(small)-1]
		g := large[len(large)-1]
		large = large[:len(large)-1]
		s.probs[a] = p[a]
		s.aliases[a] = g
		p[g] = (p[g] + p[a]) - 1
		if p[g] < 1 {
			small = append(small, g)
		} else {
			large = append(large, g)
		}
	}
	for _, g := range large {
		s.probs[g] = 1
	}
	for _, a := range small {
		s.probs[a] = 1
	}
	return s
}

func (s *sampler) next(x *xoshiro) int {
	r1 := x.nextDouble()
	r2 := x.nextDouble()
	n := len(s.probs)
	i := int(float64(n) * r1)
	if i >= n { // r1 rounded up to 1: unreachable in practice, never a panic
		i = n - 1
	}
	if r2 < s.probs[i] {
		return i
	}
	return s.aliases[i]
}

// degreeSampler returns the sampler for the degree of a mixed part in a
// message of seqLen fragments: degree d has weight 1/d.
func degreeSampler(seqLen int) *sampler {
	w := make([]float64, seqLen)
	for i := range w {
		w[i] = 1 / float64(i+1)
	}
	return newSampler(w)
}

// shufflePrefix returns the first count items of the reference's
// Fisher-Yates shuffle of 0..n-1: repeatedly draw an index into the items
// still remaining, take that item out and append it. Finding the k-th
// remaining item with a Fenwick tree keeps a 10,000-fragment message at
// O(n log n) instead of the O(n^2) of removing from a slice.
func shufflePrefix(x *xoshiro, n, count int) []int {
	tree := make([]int32, n+1) // Fenwick tree over "still remaining" flags
	for i := 1; i <= n; i++ {
		tree[i]++
		if j := i + i&-i; j <= n {
			tree[j] += tree[i]
		}
	}
	top := 1
	for top*2 <= n {
		top *= 2
	}
	out := make([]int, 0, count)
	for remaining := n; len(out) < count && remaining > 0; remaining-- {
		k := int32(x.nextInt(0, uint64(remaining-1)))
		if k >= int32(remaining) {
			k = int32(remaining - 1)
		}
		// Find the smallest position whose prefix count exceeds k.
		pos := 0
		for step := top; step > 0; step /= 2 {
			if next := pos + step; next <= n && tree[next] <= k {
				pos = next
				k -= tree[next]
			}
		}
		out = append(out, pos) // pos is 0-based: item pos+1 in the tree
		for i := pos + 1; i <= n; i += i & -i {
			tree[i]--
		}
	}
	return out
}

// chooseFragments returns the indexes of the fragments XORed into part
// seqNum: part i <= seqLen is fragment i-1 alone; later parts draw a degree
// and take that many indexes from a shuffle.
func chooseFragments(seqNum uint32, seqLen int, checksum uint32, degrees *sampler) []int {
	if uint64(seqNum) <= uint64(seqLen) {
		return []int{int(seqNum) - 1}
	}
	var seed [8]byte
	binary.BigEndian.PutUint32(seed[0:], seqNum)
	binary.BigEndian.PutUint32(seed[4:], checksum)
	x := newXoshiro(seed[:])
	degree := degrees.next(x) + 1
	return shufflePrefix(x, seqLen, degree)
}
