package coinselect

import (
	"fmt"
	"slices"
	"testing"
)

// The cases below follow Bitcoin Core's src/wallet/test/coinselection_tests.cpp
// (bnb_test, bnb_feerate_sensitivity_test): coins are given by effective
// value, inputs are P2WPKH (68 vB), the long-term rate is 10 sat/vB and the
// cost of change is 359 sat.

const (
	cent             = 1_000_000
	coreCostOfChange = 359
	p2wpkhInput      = 68 * 4
)

// corePool builds a sorted pool of coins with the given effective values at
// rate r, each spent with weight w.
func corePool(r FeeRate, w int, effs ...int64) []candidate {
	var pool []candidate
	for _, e := range effs {
		pool = appendCandidate(pool, r, w, e)
	}
	slices.SortFunc(pool, compareCandidates)
	return pool
}

func appendCandidate(pool []candidate, r FeeRate, w int, eff int64) []candidate {
	fee := int64(r.Fee(w))
	c := Coin{OutPoint: op(len(pool)), Value: btcAmount(eff + fee), InputWeight: w}
	pool = append(pool, candidate{coin: &c, eff: eff, fee: fee, ltFee: int64(defaultLongTermFeeRate.Fee(w))})
	return pool
}

func coreBnB(pool []candidate, r FeeRate, target int64) []int64 {
	sel := branchAndBound(pool, target, coreCostOfChange, r > defaultLongTermFeeRate, defaultBnBTries, defaultMaxInputs, defaultMaxWeight)
	if sel == nil {
		return nil
	}
	effs := make([]int64, 0, len(sel))
	for _, i := range sel {
		effs = append(effs, pool[i].eff)
	}
	slices.Sort(effs)
	return effs
}

func TestBranchAndBoundCore(t *testing.T) {
	for _, r := range []FeeRate{0, 1, 5_000, 10_000, 25_000, 59_764, 500_000, 999_000, 1_500_000} {
		t.Run(fmt.Sprint(r), func(t *testing.T) {
			simple := corePool(r, p2wpkhInput, 1*cent, 3*cent, 5*cent)
			clones := corePool(r, p2wpkhInput, 2*cent, 7*cent, 7*cent)
			for range 50_000 {
				clones = appendCandidate(clones, r, p2wpkhInput, 5*cent)
			}
			slices.SortFunc(clones, compareCandidates)

			// Seventeen coins just over 1 cent: only the eight smallest
			// together land in the window, and BnB must visit every
			// combination of eight to find them. With an eighteenth coin
			// the search runs out of tries.
			var dopp []int64
			for i := range int64(17) {
				if i < 8 {
					dopp = append(dopp, cent+i)
				} else {
					dopp = append(dopp, cent+coreCostOfChange+i)
				}
			}
			dopp17 := corePool(r, p2wpkhInput, dopp...)
			dopp18 := corePool(r, p2wpkhInput, append(dopp, cent+coreCostOfChange+17)...)

			tests := []struct {
				name   string
				pool   []candidate
				target int64
				want   []int64 // nil: no solution
			}{
				{"empty pool", nil, 1 * cent, nil},
				{"select smallest", simple, 1 * cent, []int64{1 * cent}},
				{"select middle", simple, 3 * cent, []int64{3 * cent}},
				{"select biggest", simple, 5 * cent, []int64{5 * cent}},
				{"select two", simple, 4 * cent, []int64{1 * cent, 3 * cent}},
				{"select all", simple, 9 * cent, []int64{1 * cent, 3 * cent, 5 * cent}},
				{"upper bound", simple, 4*cent - coreCostOfChange, []int64{1 * cent, 3 * cent}},
				{"overshoot upper bound", simple, 4*cent - coreCostOfChange - 1, nil},
				{"smallest combination too big", simple, cent / 2, nil},
				{"no combination in window", simple, 7 * cent, nil},
				{"more than available", simple, 10 * cent, nil},
				{"skip equivalent input sets", clones, 16 * cent, []int64{2 * cent, 7 * cent, 7 * cent}},
				{"smallest 8 of 17", dopp17, 8 * cent, dopp[:8]},
				{"exhaust on 8 of 18", dopp18, 8 * cent, nil},
			}
			for _, tt := range tests {
				if got := coreBnB(tt.pool, r, tt.target); !slices.Equal(got, tt.want) {
					t.Errorf("%s: BnB(target %d) = %v, want %v", tt.name, tt.target, got, tt.want)
				}
			}
		})
	}
}

func TestBranchAndBoundFeeRateSensitivity(t *testing.T) {
	const low, high FeeRate = 5_000, 25_000 // below and above the long-term 10 sat/vB
	lowPool := corePool(low, p2wpkhInput, 2*cent, 3*cent, 5*cent, 10*cent)
	highPool := corePool(high, p2wpkhInput, 2*cent, 3*cent, 5*cent, 10*cent)
	if got, want := coreBnB(lowPool, low, 10*cent), []int64{2 * cent, 3 * cent, 5 * cent}; !slices.Equal(got, want) {
		t.Errorf("low fee rate: got %v, want %v (consolidate)", got, want)
	}
	if got, want := coreBnB(highPool, high, 10*cent), []int64{10 * cent}; !slices.Equal(got, want) {
		t.Errorf("high fee rate: got %v, want %v (one input)", got, want)
	}

	// Heavy inputs (500 vB) are worth spending while fees are low, and
	// avoided while they are high.
	lowPool = appendCandidate(lowPool, low, 500*4, 6*cent)
	lowPool = appendCandidate(lowPool, low, 500*4, 7*cent)
	slices.SortFunc(lowPool, compareCandidates)
	highPool = appendCandidate(highPool, high, 500*4, 6*cent)
	highPool = appendCandidate(highPool, high, 500*4, 7*cent)
	slices.SortFunc(highPool, compareCandidates)
	if got, want := coreBnB(lowPool, low, 13*cent), []int64{6 * cent, 7 * cent}; !slices.Equal(got, want) {
		t.Errorf("heavy inputs, low fee rate: got %v, want %v", got, want)
	}
	if got, want := coreBnB(highPool, high, 13*cent), []int64{3 * cent, 10 * cent}; !slices.Equal(got, want) {
		t.Errorf("heavy inputs, high fee rate: got %v, want %v", got, want)
	}
}
