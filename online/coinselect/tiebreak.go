package coinselect

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"slices"
)

// Requests made at the same moment over the same free coins used to choose
// the same coin: the pool's order among equal coins was their outpoints',
// the same for every request. With several coordinator processes on one
// database only one of them could reserve it; the others failed and
// selected again (docs/BENCHMARKS.md, BenchmarkTwoCoordinators).
//
// Params.TieBreak lets each request order alike coins its own way. Alike
// means same value and same input weight: every algorithm here reads a
// candidate's effective value, fee, long-term fee and weight, which follow
// from those two, and never its outpoint, so swapping two alike coins in
// the pool cannot change any step of the search, only which outpoint sits
// at the chosen index. spreadAlike therefore moves coins only within their
// class and only to places the class held before: the sequence of values
// and weights the algorithms see is the same as without a key, the
// indexes chosen are the same, and so are the fee, change, waste and lock
// cost. The knapsack's seed is taken before the move (tieBreakSeed), for
// the same reason.

// spreadAlike reorders the alike coins of the sorted pool by a hash of key
// and their outpoint. The pool is sorted by effective value and fee, so
// alike coins lie in one run of equal effective value and fee; within a
// run the coins of one input weight take the run's places of that weight.
func (s *selector) spreadAlike(key string) {
	k := sha256.Sum256(append([]byte("airsign coinselect tie-break\x00"), key...))
	for start := 0; start < len(s.pool); {
		end := start + 1
		for end < len(s.pool) && s.pool[end].eff == s.pool[start].eff && s.pool[end].fee == s.pool[start].fee {
			end++
		}
		if end-start > 1 {
			if !s.seeded {
				// The knapsack's seed hashes the pool in order: take it
				// as it would be without the key.
				s.seed0, s.seed1 = s.poolSeed()
				s.seeded = true
			}
			spreadRun(s.pool[start:end], k)
		}
		start = end
	}
}

// spreadRun reorders, for each input weight in run, the coins of that
// weight among the places they hold, by keyed hash.
func spreadRun(run []candidate, k [32]byte) {
	byWeight := map[int][]int{} // input weight → places in run
	for i, c := range run {
		byWeight[c.coin.InputWeight] = append(byWeight[c.coin.InputWeight], i)
	}
	for _, places := range byWeight {
		if len(places) < 2 {
			continue
		}
		type keyed struct {
			c    candidate
			hash [32]byte
		}
		class := make([]keyed, len(places))
		for j, i := range places {
			class[j] = keyed{run[i], tieHash(k, run[i].coin)}
		}
		slices.SortFunc(class, func(a, b keyed) int {
			if c := bytes.Compare(a.hash[:], b.hash[:]); c != 0 {
				return c
			}
			return compareOutPoints(a.c, b.c)
		})
		for j, i := range places {
			run[i] = class[j].c
		}
	}
}

// tieHash is SHA-256 of the key's digest and the coin's outpoint.
func tieHash(k [32]byte, c *Coin) [32]byte {
	var b [32 + 32 + 4]byte
	copy(b[:32], k[:])
	copy(b[32:64], c.OutPoint.Hash[:])
	binary.LittleEndian.PutUint32(b[64:], c.OutPoint.Index)
	return sha256.Sum256(b[:])
}

func compareOutPoints(a, b candidate) int {
	if c := bytes.Compare(a.coin.OutPoint.Hash[:], b.coin.OutPoint.Hash[:]); c != 0 {
		return c
	}
	return cmp.Compare(a.coin.OutPoint.Index, b.coin.OutPoint.Index)
}
