package coinselect

import "math"

// bnb runs branch and bound over s.pool for a changeless selection.
func (s *selector) bnb() []int {
	return branchAndBound(s.pool, s.need, s.costOfChange, s.p.FeeRate > s.p.LongTermFeeRate,
		s.p.BnBTries, s.p.MaxInputs, s.p.MaxWeight-s.p.BaseWeight)
}

// branchAndBound is Bitcoin Core's SelectCoinsBnB (Murch, "An Evaluation
// of Coin Selection Strategies", 2016): a depth-first search over the pool,
// sorted by effective value descending, for the subset whose effective
// value lies in [target, target+costOfChange] with the least waste. Each
// step either includes the next coin or, on backtracking, excludes the last
// included one. A branch is cut when it cannot reach target with what is
// left, when it overshoots the window, when it exceeds the input or weight
// limits, or (at fee rates above the long-term rate, where every extra
// input adds waste) when its waste already exceeds the best found.
//
// It returns the ascending indexes of the best selection, or nil if none
// was found within tries steps. Like Core it returns the best found so far
// when it runs out of tries.
func branchAndBound(pool []candidate, target, costOfChange int64, feeRateHigh bool, tries, maxInputs, maxWeight int) []int {
	var avail int64 // effective value of the coins not yet decided on
	for _, c := range pool {
		avail += c.eff
	}
	if avail < target {
		return nil
	}
	var (
		value, waste int64
		weight       int
		curr         []int
		best         []int
		bestWaste    int64 = math.MaxInt64
	)
	for try, i := 0, 0; try < tries; try, i = try+1, i+1 {
		backtrack := false
		switch {
		case value+avail < target, // cannot reach target any more
			value > target+costOfChange,      // overshot the window
			feeRateHigh && waste > bestWaste: // only gets worse from here
			backtrack = true
		case len(curr) > maxInputs || weight > maxWeight:
			backtrack = true
		case value >= target: // in the window: a solution
			if w := waste + value - target; w <= bestWaste {
				best = append(best[:0], curr...)
				bestWaste = w
			}
			// Adding more coins only burns their value as fee.
			backtrack = true
		}

		if backtrack {
			if len(curr) == 0 {
				break // every branch explored
			}
			// Give back the coins skipped since the last included one,
			// then exclude that one and go on with the next.
			last := curr[len(curr)-1]
			for i--; i > last; i-- {
				avail += pool[i].eff
			}
			c := pool[i]
			value -= c.eff
			waste -= c.waste()
			weight -= c.coin.InputWeight
			curr = curr[:len(curr)-1]
			continue
		}

		c := pool[i]
		avail -= c.eff
		// Skip a coin equal to the previous one when that was excluded:
		// including this one instead leads to the same sums.
		if len(curr) == 0 || i-1 == curr[len(curr)-1] ||
			c.eff != pool[i-1].eff || c.fee != pool[i-1].fee {
			curr = append(curr, i)
			value += c.eff
			waste += c.waste()
			weight += c.coin.InputWeight
		}
	}
	return best
}
