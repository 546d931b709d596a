package builder

import (
	"bytes"
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"slices"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/wire"
)

// order puts inputs and outputs in BIP69 order and then, with a seed,
// shuffles them deterministically. Sorting first makes the shuffled order
// depend on the seed and the sets of coins and outputs only, not on the
// order the caller listed them in.
func order(ins []input, outs []output, seed []byte) {
	slices.SortStableFunc(ins, func(a, b input) int { return compareOutPoints(a.txIn.PreviousOutPoint, b.txIn.PreviousOutPoint) })
	slices.SortStableFunc(outs, func(a, b output) int {
		return cmp.Or(cmp.Compare(a.txOut.Value, b.txOut.Value), bytes.Compare(a.txOut.PkScript, b.txOut.PkScript))
	})
	if len(seed) == 0 {
		return
	}
	shuffle(ins, newStream(seed, "airsign builder inputs"))
	shuffle(outs, newStream(seed, "airsign builder outputs"))
}

// compareOutPoints is BIP69's order of inputs: previous transaction hashes
// as they are displayed (byte-reversed), then output indexes.
func compareOutPoints(a, b wire.OutPoint) int {
	for i := len(a.Hash) - 1; i >= 0; i-- {
		if c := cmp.Compare(a.Hash[i], b.Hash[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(a.Index, b.Index)
}

// shuffle is a Fisher-Yates shuffle driven by r.
func shuffle[T any](s []T, r *stream) {
	for i := len(s) - 1; i > 0; i-- {
		j := r.intn(uint64(i + 1))
		s[i], s[j] = s[j], s[i]
	}
}

// stream is HMAC-SHA256(seed, label || counter) read as 64-bit numbers:
// a generator whose output is fixed by its definition here, unlike
// math/rand's, whose algorithms may change between Go releases.
type stream struct {
	mac []byte // HMAC key: the seed
	msg []byte // label || 8-byte counter
	ctr uint64
}

func newStream(seed []byte, label string) *stream {
	return &stream{mac: seed, msg: append([]byte(label), make([]byte, 8)...)}
}

func (r *stream) next() uint64 {
	binary.BigEndian.PutUint64(r.msg[len(r.msg)-8:], r.ctr)
	r.ctr++
	h := hmac.New(sha256.New, r.mac)
	h.Write(r.msg)
	return binary.BigEndian.Uint64(h.Sum(nil))
}

// intn is uniform in [0, n), by rejection of the top partial range.
func (r *stream) intn(n uint64) uint64 {
	limit := ^uint64(0) - ^uint64(0)%n
	for {
		if v := r.next(); v < limit {
			return v % n
		}
	}
}

// sortUnknowns sorts key-value pairs by key, as BIP174 serializers write
// them.
func sortUnknowns(u []*btcpsbt.Unknown) {
	slices.SortFunc(u, func(a, b *btcpsbt.Unknown) int { return bytes.Compare(a.Key, b.Key) })
}
