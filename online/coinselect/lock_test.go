package coinselect

import (
	"slices"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/wire"
)

// selectBefore is Select as it was before issue 20: branch and bound, else
// knapsack or largest-first, whichever has less waste, with no price on
// the change a request holds. The tests and the benchmark measure Select
// against it.
func selectBefore(coins []Coin, p Params) (Result, error) {
	s, err := newSelector(coins, p)
	if err != nil {
		return Result{}, err
	}
	if sel := s.bnb(); sel != nil {
		return s.result(sel, AlgorithmBnB, false), nil
	}
	return s.withChange(func(a, b Result) bool {
		return a.Waste < b.Waste || a.Waste == b.Waste && len(a.Coins) > len(b.Coins)
	}, []withChangeAlgorithm{{AlgorithmKnapsack, s.knapsack}, {AlgorithmLargestFirst, s.largestFirst}})
}

// valued makes P2WPKH coins of the given values.
func valued(sats ...int64) []Coin {
	cs := make([]Coin, len(sats))
	for i, v := range sats {
		cs[i] = Coin{OutPoint: op(i), Value: btcutil.Amount(v), InputWeight: inW, Height: 100}
	}
	return cs
}

// locked is what a selection holds until it confirms: its coins' value.
func locked(r Result) btcutil.Amount { return valueOf(r.Coins) }

func outpoints(cs []Coin) []wire.OutPoint {
	var ops []wire.OutPoint
	for _, c := range cs {
		ops = append(ops, c.OutPoint)
	}
	return ops
}

// TestSelectLocksLittle: a small payment is paid from small coins, and the
// large coin stays free for the next request, unless the fee of the extra
// inputs outweighs holding it.
func TestSelectLocksLittle(t *testing.T) {
	const bigCoin = 10 * btcutil.SatoshiPerBitcoin
	at := func(target int64, satPerVB FeeRate) Params {
		p := params(target)
		p.FeeRate = satPerVB * 1000
		return p
	}
	tests := []struct {
		name       string
		coins      []Coin
		p          Params
		pick       []int // indexes into coins, largest first
		alg        string
		pickBefore []int // what Select picked before issue 20
	}{
		{
			name:       "one 0.02 BTC coin pays 0.01 BTC, as before",
			coins:      valued(bigCoin, 2_000_000, 2_000_000, 2_000_000),
			p:          at(1_000_000, 20),
			pick:       []int{1},
			alg:        AlgorithmKnapsack,
			pickBefore: []int{1},
		},
		{
			// Largest-first has one input less, 680 sat less waste at
			// 20 sat/vB; the 9.99 BTC it would hold cost 99,900 sat.
			name:       "two small coins rather than 10 BTC at 20 sat/vB",
			coins:      valued(bigCoin, 600_000, 500_000),
			p:          at(1_000_000, 20),
			pick:       []int{1, 2},
			alg:        AlgorithmKnapsack,
			pickBefore: []int{0},
		},
		{
			// The small coins leave less than MinChange, so knapsack
			// falls back to the smallest coin above it: the 10 BTC.
			name:       "small coins with change under MinChange rather than 10 BTC at 1 sat/vB",
			coins:      valued(bigCoin, 600_000, 450_000),
			p:          at(1_000_000, 1),
			pick:       []int{1, 2},
			alg:        AlgorithmBelowTarget,
			pickBefore: []int{0},
		},
		{
			// Knapsack pays with four small coins, three inputs more
			// than the others at 50 sat/vB (8,160 sat); largest-first
			// holds 9.99 BTC (99,900 sat), the 0.05 BTC coin 400 sat.
			name:       "the smallest coin that pays with change at 50 sat/vB",
			coins:      valued(bigCoin, 5_000_000, 300_000, 300_000, 300_000, 300_000, 300_000),
			p:          at(1_000_000, 50),
			pick:       []int{1},
			alg:        AlgorithmSmallestCoin,
			pickBefore: []int{0},
		},
		{
			// Six inputs at 500 sat/vB cost 166,600 sat more than one;
			// holding 0.98 BTC costs 9,800.
			name:       "at 500 sat/vB one 1 BTC coin beats six small ones",
			coins:      valued(btcutil.SatoshiPerBitcoin, 200_000, 200_000, 200_000, 200_000, 200_000, 200_000, 200_000),
			p:          at(900_000, 500),
			pick:       []int{0},
			alg:        AlgorithmLargestFirst,
			pickBefore: []int{0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := func(pick []int) ([]wire.OutPoint, btcutil.Amount) {
				var ops []wire.OutPoint
				var sum btcutil.Amount
				for _, i := range pick {
					ops = append(ops, tt.coins[i].OutPoint)
					sum += tt.coins[i].Value
				}
				return ops, sum
			}
			got, err := Select(tt.coins, tt.p)
			if err != nil {
				t.Fatalf("Select: %v", err)
			}
			checkInvariants(t, tt.coins, tt.p, got)
			wantOps, wantLocked := want(tt.pick)
			if !slices.Equal(outpoints(got.Coins), wantOps) || locked(got) != wantLocked || got.Algorithm != tt.alg {
				t.Errorf("Select: %s %v locks %v\nwant %s %v locking %v", got.Algorithm, outpoints(got.Coins), locked(got), tt.alg, wantOps, wantLocked)
			}
			before, err := selectBefore(tt.coins, tt.p)
			if err != nil {
				t.Fatalf("selectBefore: %v", err)
			}
			if wantOps, wantLocked := want(tt.pickBefore); !slices.Equal(outpoints(before.Coins), wantOps) {
				t.Errorf("before issue 20: %s %v locks %v, want %v locking %v", before.Algorithm, outpoints(before.Coins), locked(before), wantOps, wantLocked)
			}
		})
	}
}

// TestLockCost checks the rounding and the range without overflow.
func TestLockCost(t *testing.T) {
	for _, tt := range []struct {
		change, perBTC btcutil.Amount
		want           int64
	}{
		{0, 10_000, 0},
		{1, 10_000, 1}, // rounds up
		{btcutil.SatoshiPerBitcoin, 10_000, 10_000},
		{999 * btcutil.SatoshiPerBitcoin / 100, 10_000, 99_900},
		{btcutil.MaxSatoshi, btcutil.SatoshiPerBitcoin, int64(btcutil.MaxSatoshi)},
		{btcutil.MaxSatoshi, 1, 21_000_000},
	} {
		if got := lockCost(tt.change, tt.perBTC); got != tt.want {
			t.Errorf("lockCost(%d, %d) = %d, want %d", tt.change, tt.perBTC, got, tt.want)
		}
	}
}
