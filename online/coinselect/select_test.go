package coinselect

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

func btcAmount(sat int64) btcutil.Amount { return btcutil.Amount(sat) }

// op returns a distinct outpoint for each i.
func op(i int) wire.OutPoint {
	var h chainhash.Hash
	h[0], h[1], h[2], h[3] = byte(i), byte(i>>8), byte(i>>16), byte(i>>24)
	return wire.OutPoint{Hash: h, Index: uint32(i % 7)}
}

// P2WPKH wallet at 1 sat/vB: an input costs 68 sat, the base transaction
// (one P2WPKH payment) 166 WU = 42 sat, the change output 124 WU = 31 sat,
// and spending the change later at 10 sat/vB 680 sat. Cost of change: 711.
const (
	inW      = 272
	baseFee  = 42
	inFee    = 68
	chgFee   = 31
	inLTFee  = 680
	costChg  = chgFee + inLTFee
	testRate = FeeRate(1000)
)

func params(target int64) Params {
	return Params{
		Target:            btcutil.Amount(target),
		FeeRate:           testRate,
		BaseWeight:        166,
		ChangeWeight:      124,
		ChangeSpendWeight: inW,
		DustLimit:         294,
	}
}

// coins makes P2WPKH coins with the given effective values at testRate.
func coins(effs ...int64) []Coin { return coinsAt(testRate, effs...) }

// coinsAt makes P2WPKH coins with the given effective values at rate r.
func coinsAt(r FeeRate, effs ...int64) []Coin {
	cs := make([]Coin, len(effs))
	for i, e := range effs {
		cs[i] = Coin{OutPoint: op(i), Value: btcutil.Amount(e) + r.Fee(inW), InputWeight: inW, Height: 100}
	}
	return cs
}

func TestSelect(t *testing.T) {
	tests := []struct {
		name  string
		coins []Coin
		p     Params
		want  Result
		pick  []int // indexes into coins, in Result order
	}{
		{
			name:  "exact changeless match by bnb",
			coins: coins(7_000, 100_000, 30_000, 50_000),
			p:     params(150_000 - baseFee),
			pick:  []int{1, 3},
			want: Result{
				Fee:       2*inFee + baseFee,
				Weight:    166 + 2*inW,
				Waste:     2 * (inFee - inLTFee),
				Algorithm: AlgorithmBnB,
			},
		},
		{
			name:  "bnb within cost of change, excess to fee",
			coins: coins(100_000, 50_000),
			p:     params(100_000 - baseFee - 700),
			pick:  []int{0},
			want: Result{
				Fee:       inFee + baseFee + 700,
				Weight:    166 + inW,
				Waste:     inFee - inLTFee + 700,
				Algorithm: AlgorithmBnB,
			},
		},
		{
			name:  "bnb impossible, knapsack with change",
			coins: coins(2_000_000, 1_000_000),
			p:     params(500_000),
			pick:  []int{1},
			want: Result{
				Change:    1_000_000 - 500_000 - baseFee - chgFee,
				Fee:       inFee + baseFee + chgFee,
				Weight:    166 + inW + 124,
				Waste:     inFee - inLTFee + costChg,
				LockCost:  50, // 499,927 sat at 10,000 sat per BTC, rounded up
				Algorithm: AlgorithmKnapsack,
			},
		},
		{
			name:  "dust change dropped",
			coins: coins(100_000),
			p:     func() Params { p := params(100_000 - baseFee - 2_000); p.DustLimit = 5_000; return p }(),
			pick:  []int{0},
			want: Result{
				Fee:           inFee + baseFee + 2_000,
				DroppedChange: 2_000 - chgFee,
				Weight:        166 + inW,
				Waste:         inFee - inLTFee + 2_000,
				Algorithm:     AlgorithmKnapsack,
			},
		},
		{
			name: "zero and negative effective value coins skipped",
			coins: []Coin{
				{OutPoint: op(10), Value: inFee, InputWeight: inW},     // effective value 0
				{OutPoint: op(11), Value: inFee - 1, InputWeight: inW}, // negative
				{OutPoint: op(12), Value: 10_000 + inFee, InputWeight: inW},
			},
			p:    params(10_000 - baseFee),
			pick: []int{2},
			want: Result{
				Fee:       inFee + baseFee,
				Weight:    166 + inW,
				Waste:     inFee - inLTFee,
				Algorithm: AlgorithmBnB,
			},
		},
		{
			name:  "knapsack takes one larger coin when small ones exceed MaxInputs",
			coins: coins(1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 60_000),
			p:     func() Params { p := params(9_000); p.MaxInputs = 2; return p }(),
			pick:  []int{10},
			want: Result{
				Change:    60_000 - 9_000 - baseFee - chgFee,
				Fee:       inFee + baseFee + chgFee,
				Weight:    166 + inW + 124,
				Waste:     inFee - inLTFee + costChg,
				LockCost:  6,
				Algorithm: AlgorithmKnapsack,
			},
		},
		{
			// At 50 sat/vB, above the long-term rate, each input adds
			// 2720 sat of waste: largest-first's one input beats the
			// knapsack's two.
			name:  "largest-first wins on waste at a high fee rate",
			coins: coinsAt(50_000, 30_000, 100_000, 30_000),
			p:     func() Params { p := params(55_000 - 2075); p.FeeRate = 50_000; return p }(),
			pick:  []int{1},
			want: Result{
				Change:    100_000 - 55_000 - 1550,
				Fee:       3400 + 2075 + 1550,
				Weight:    166 + inW + 124,
				Waste:     3400 - inLTFee + 1550 + inLTFee,
				LockCost:  5,
				Algorithm: AlgorithmLargestFirst,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Select(tt.coins, tt.p)
			if err != nil {
				t.Fatalf("Select: %v", err)
			}
			want := tt.want
			for _, i := range tt.pick {
				want.Coins = append(want.Coins, tt.coins[i])
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Select:\ngot  %+v\nwant %+v", got, want)
			}
			checkInvariants(t, tt.coins, tt.p, got)
		})
	}
}

func TestSelectErrors(t *testing.T) {
	tests := []struct {
		name    string
		coins   []Coin
		p       Params
		wantIs  error
		wantMsg string // substring
	}{
		{
			name:    "no coins",
			p:       params(1_000),
			wantIs:  ErrNoCoins,
			wantMsg: "no coins to spend",
		},
		{
			name:    "insufficient funds",
			coins:   coins(40_000, 50_000),
			p:       params(100_000),
			wantIs:  ErrInsufficientFunds{},
			wantMsg: "coinselect: insufficient funds: 2 coins hold 0.00090136 BTC, 0.00090000 BTC after the fees to spend them at 1 sat/vB, but the payment and its fee need 0.00100042 BTC (0.00010042 BTC short); add funds, lower the amount, or wait for a lower fee rate",
		},
		{
			name:    "all coins uneconomic",
			coins:   []Coin{{OutPoint: op(1), Value: 60, InputWeight: inW}, {OutPoint: op(2), Value: 68, InputWeight: inW}},
			p:       params(1),
			wantIs:  ErrInsufficientFunds{},
			wantMsg: "2 coins were left out because spending them costs more than they hold",
		},
		{
			name:    "too many inputs",
			coins:   coins(1_000, 1_000, 1_000, 1_000, 1_000, 1_000),
			p:       func() Params { p := params(3_500); p.MaxInputs = 3; return p }(),
			wantIs:  ErrTooManyInputs,
			wantMsg: "the 3 largest coins that fit in one transaction (3 inputs max, 400000 WU max with change) give 0.00003000 BTC after fees, but the payment and its fee need 0.00003542 BTC; consolidate small coins first",
		},
		{
			name:    "input weight in vbytes",
			coins:   []Coin{{OutPoint: op(1), Value: 10_000, InputWeight: 68}},
			p:       params(1_000),
			wantIs:  ErrBadParams,
			wantMsg: "has input weight 68 WU; an input weighs at least 164 WU",
		},
		{
			name:    "coin listed twice",
			coins:   append(coins(5_000), coins(5_000)...),
			p:       params(1_000),
			wantIs:  ErrBadParams,
			wantMsg: "is listed twice",
		},
		{
			name:    "zero fee rate",
			coins:   coins(5_000),
			p:       func() Params { p := params(1_000); p.FeeRate = 0; return p }(),
			wantIs:  ErrBadParams,
			wantMsg: "fee rate 0 sat/kvB is out of range",
		},
		{
			name:    "zero target",
			coins:   coins(5_000),
			p:       params(0),
			wantIs:  ErrBadParams,
			wantMsg: "target 0 sat is out of range",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Select(tt.coins, tt.p)
			if err == nil {
				t.Fatalf("Select = %+v, want error %v", got, tt.wantIs)
			}
			if !errors.Is(err, tt.wantIs) {
				t.Errorf("Select error = %v, want errors.Is %T %v", err, tt.wantIs, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Select error:\ngot  %v\nwant it to contain %q", err, tt.wantMsg)
			}
		})
	}
}

func TestInsufficientFundsAmounts(t *testing.T) {
	_, err := Select(append(coins(40_000, 50_000), Coin{OutPoint: op(99), Value: 10, InputWeight: inW}), params(100_000))
	var e ErrInsufficientFunds
	if !errors.As(err, &e) {
		t.Fatalf("Select error = %v, want ErrInsufficientFunds", err)
	}
	want := ErrInsufficientFunds{Available: 90_000, Needed: 100_000 + baseFee, Total: 90_000 + 2*inFee + 10, Coins: 3, Uneconomic: 1, FeeRate: testRate}
	if e != want {
		t.Errorf("got %+v, want %+v", e, want)
	}
}

// TestSelectDeterministic checks that the result depends on the set of
// coins, not on their order or on earlier calls, on a wallet where the
// knapsack's random subsets decide: all effective values are multiples of
// 10,000 sat and the target is 5,000 sat off, so no changeless solution
// exists.
func TestSelectDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	effs := make([]int64, 300)
	for i := range effs {
		effs[i] = 10_000 * (1 + rng.Int64N(500))
	}
	cs := coins(effs...)
	p := params(3_145_000 - baseFee)
	first, err := Select(cs, p)
	if err != nil {
		t.Fatal(err)
	}
	if first.Algorithm != AlgorithmKnapsack {
		t.Fatalf("algorithm %s, want %s", first.Algorithm, AlgorithmKnapsack)
	}
	for i := range 20 {
		shuffled := append([]Coin(nil), cs...)
		rng.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		got, err := Select(shuffled, p)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, first) {
			t.Fatalf("run %d with shuffled coins: got %+v, want %+v", i, got, first)
		}
	}
	checkInvariants(t, cs, p, first)
}

func TestFeeRate(t *testing.T) {
	for _, tt := range []struct {
		r      FeeRate
		weight int
		want   btcutil.Amount
	}{
		{1000, 4, 1},
		{1000, 5, 2}, // 1.25 rounds up
		{1000, 166, 42},
		{1, 1, 1},
		{12_345, 561, 1732}, // 1731.38...
		{0, 1000, 0},
		{1000, 0, 0},
	} {
		if got := tt.r.Fee(tt.weight); got != tt.want {
			t.Errorf("FeeRate(%d).Fee(%d) = %d, want %d", tt.r, tt.weight, got, tt.want)
		}
	}

	for _, tt := range []struct {
		in   float64
		want FeeRate
	}{{1, 1000}, {12.3, 12_300}, {0.1, 100}, {0.001, 1}, {1e6, 1e9}} {
		if got, err := FeeRateFromSatPerVB(tt.in); err != nil || got != tt.want {
			t.Errorf("FeeRateFromSatPerVB(%v) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []float64{0, -1, 0.0001, 1e6 + 1, nan(), inf()} {
		if got, err := FeeRateFromSatPerVB(in); !errors.Is(err, ErrBadParams) {
			t.Errorf("FeeRateFromSatPerVB(%v) = %d, %v; want ErrBadParams", in, got, err)
		}
	}
	if got, want := FeeRate(12_500).String(), "12.5 sat/vB"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}
