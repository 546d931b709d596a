package coinselect

import (
	mathbits "math/bits"
	"math/rand/v2"
)

// knapsack runs Bitcoin Core's KnapsackSolver over s.pool, aiming to leave
// at least MinChange (and never less than the dust limit) as change after
// paying for the change output.
func (s *selector) knapsack() []int {
	rng := rand.New(rand.NewPCG(s.seed()))
	changeTarget := s.payMinChange - s.need
	budget := s.p.MaxWeight - s.p.BaseWeight - s.p.ChangeWeight
	return knapsackSolver(s.pool, s.need, changeTarget, rng, s.p.MaxInputs, budget)
}

// knapsackSolver is Core's KnapsackSolver on effective values. pool is
// sorted by effective value descending; it returns ascending indexes into
// pool, or nil. A coin that pays target exactly wins; otherwise the coins
// smaller than target+changeTarget are tried as random subsets (see
// approximateBestSubset) for the smallest sum reaching target+changeTarget
// or, failing that, target; the smallest single larger coin wins when it is
// closer or the subsets fall short of leaving change.
//
// Core shuffles the pool before looking for the smallest larger coin; with
// a sorted pool that only breaks ties between equal coins, which here fall
// to the outpoint order instead.
func knapsackSolver(pool []candidate, target, changeTarget int64, rng *rand.Rand, maxInputs, maxWeight int) []int {
	lowestLarger := -1
	var applicable []int // pool indexes, still descending
	var totalLower int64
	for i, c := range pool {
		switch {
		case c.eff == target:
			return []int{i}
		case c.eff < target+changeTarget:
			applicable = append(applicable, i)
			totalLower += c.eff
		case lowestLarger < 0 || c.eff < pool[lowestLarger].eff:
			lowestLarger = i
		}
	}
	if totalLower == target {
		return applicable
	}
	if totalLower < target {
		if lowestLarger < 0 {
			return nil
		}
		return []int{lowestLarger}
	}

	vals := make([]int64, len(applicable))
	weights := make([]int, len(applicable))
	for j, i := range applicable {
		vals[j] = pool[i].eff
		weights[j] = pool[i].coin.InputWeight
	}
	bestSet, best := approximateBestSubset(rng, vals, weights, totalLower, target, maxInputs, maxWeight)
	if best != target && totalLower >= target+changeTarget {
		bestSet, best = approximateBestSubset(rng, vals, weights, totalLower, target+changeTarget, maxInputs, maxWeight)
	}
	if lowestLarger >= 0 && ((best != target && best < target+changeTarget) || pool[lowestLarger].eff <= best) {
		return []int{lowestLarger}
	}
	var sel []int
	for j, in := range bestSet {
		if in {
			sel = append(sel, applicable[j])
		}
	}
	return sel
}

// knapsackRounds is the number of random subsets approximateBestSubset
// tries: Core's 1000 for up to 4,000 values, fewer for larger pools so that
// a call stays within about 4 million steps (some 15 ms on a 2020s server
// core). A large pool has so many subsets near any target that the best of
// a few hundred is as good as the best of a thousand.
func knapsackRounds(n int) int {
	const budget = 4_000_000
	return max(100, min(1000, budget/max(n, 1)))
}

// approximateBestSubset is Core's ApproximateBestSubset: rounds of
// including each value with probability 1/2, then filling up in a second
// pass; whenever the running sum reaches target it is a candidate, and the
// last value is taken out again to look for a closer one. It returns the
// subset with the smallest sum >= target among those within the limits, or
// all values if none was found.
//
// The first pass draws one random bit per value, as Core does, but visits
// only the values whose bit is set, 64 at a time.
func approximateBestSubset(rng *rand.Rand, vals []int64, weights []int, totalLower, target int64, maxInputs, maxWeight int) ([]bool, int64) {
	rounds := knapsackRounds(len(vals))
	best := make([]bool, len(vals))
	for i := range best {
		best[i] = true
	}
	bestSum := totalLower
	included := make([]bool, len(vals))
	for rep := 0; rep < rounds && bestSum != target; rep++ {
		clear(included)
		var sum int64
		n, w := 0, 0
		reached := false
		// try includes value i; it reports whether the sum reached target.
		try := func(i int) bool {
			sum += vals[i]
			n++
			w += weights[i]
			included[i] = true
			if sum < target || n > maxInputs || w > maxWeight {
				return false
			}
			if sum < bestSum {
				bestSum = sum
				copy(best, included)
			}
			sum -= vals[i]
			n--
			w -= weights[i]
			included[i] = false
			return true
		}
		for base := 0; base < len(vals); base += 64 {
			word := rng.Uint64()
			if rest := len(vals) - base; rest < 64 {
				word &= 1<<rest - 1
			}
			for ; word != 0; word &= word - 1 {
				if try(base + mathbits.TrailingZeros64(word)) {
					reached = true
				}
			}
		}
		if reached {
			continue
		}
		// Second pass: add what the first left out, in order. Like Core
		// it goes on after reaching target, looking for a closer sum.
		for i := range vals {
			if !included[i] {
				try(i)
			}
		}
	}
	return best, bestSum
}

// largestFirst takes coins by effective value, largest first, until they
// pay the target; change, if worth it, is decided by the caller.
func (s *selector) largestFirst() []int {
	var sum int64
	var sel []int
	for i, c := range s.pool {
		sel = append(sel, i)
		sum += c.eff
		if sum >= s.need {
			return sel
		}
	}
	return nil
}
