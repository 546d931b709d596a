package coinselect

import (
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/wire"
)

func nan() float64 { return math.NaN() }
func inf() float64 { return math.Inf(1) }

// inputWeights are the spend weights of common script types: P2TR key
// path, P2WPKH, P2WSH 2-of-3 multisig, P2PKH.
var inputWeights = []int{230, 272, 420, 592}

// genCoins makes n coins from seed, with values spread log-uniformly from
// 500 sat to 5 BTC, a few round amounts (which BnB likes to combine) and
// the input weights of mixed script types.
func genCoins(n int, seed uint64) []Coin {
	rng := rand.New(rand.NewPCG(seed, 0x636f696e73656c))
	cs := make([]Coin, n)
	for i := range cs {
		var v int64
		if rng.IntN(8) == 0 {
			v = int64(1+rng.IntN(20)) * 100_000
		} else {
			v = int64(500 * math.Pow(1e6, rng.Float64()))
		}
		cs[i] = Coin{
			OutPoint:    op(i),
			Value:       btcutil.Amount(v),
			InputWeight: inputWeights[rng.IntN(len(inputWeights))],
			Height:      int32(rng.IntN(900_000)),
		}
	}
	return cs
}

// checkInvariants checks what every successful Select must satisfy.
func checkInvariants(t *testing.T, coins []Coin, p Params, r Result) {
	t.Helper()
	q, err := withDefaults(p)
	if err != nil {
		t.Fatalf("params: %v", err)
	}
	offered := make(map[wire.OutPoint]Coin, len(coins))
	for _, c := range coins {
		offered[c.OutPoint] = c
	}
	seen := make(map[wire.OutPoint]bool)
	var sum btcutil.Amount
	weight := q.BaseWeight
	var waste int64
	for _, c := range r.Coins {
		if seen[c.OutPoint] {
			t.Errorf("coin %v selected twice", c.OutPoint)
		}
		seen[c.OutPoint] = true
		if o, ok := offered[c.OutPoint]; !ok || o != c {
			t.Errorf("selected coin %+v was not offered", c)
		}
		if c.Value <= q.FeeRate.Fee(c.InputWeight) {
			t.Errorf("selected coin %+v is worth less than its input fee %v", c, q.FeeRate.Fee(c.InputWeight))
		}
		sum += c.Value
		weight += c.InputWeight
		waste += int64(q.FeeRate.Fee(c.InputWeight) - q.LongTermFeeRate.Fee(c.InputWeight))
	}
	if r.Change != 0 {
		weight += q.ChangeWeight
		waste += int64(q.FeeRate.Fee(q.ChangeWeight) + q.LongTermFeeRate.Fee(q.ChangeSpendWeight))
	} else {
		var inFees btcutil.Amount
		for _, c := range r.Coins {
			inFees += q.FeeRate.Fee(c.InputWeight)
		}
		waste += int64(sum - inFees - q.Target - q.FeeRate.Fee(q.BaseWeight))
	}
	if got, want := sum, q.Target+r.Fee+r.Change; got != want {
		t.Errorf("sum of coins = %d, want Target+Fee+Change = %d", got, want)
	}
	if min := q.FeeRate.Fee(r.Weight); r.Fee < min {
		t.Errorf("fee %d < FeeRate.Fee(Weight %d) = %d", r.Fee, r.Weight, min)
	}
	if r.Change < 0 || r.Change != 0 && r.Change < q.DustLimit {
		t.Errorf("change %d, want 0 or >= dust limit %d", r.Change, q.DustLimit)
	}
	if r.Change != 0 && r.DroppedChange != 0 {
		t.Errorf("change %d and dropped change %d both set", r.Change, r.DroppedChange)
	}
	if len(r.Coins) == 0 || len(r.Coins) > q.MaxInputs {
		t.Errorf("%d coins, want 1 to MaxInputs %d", len(r.Coins), q.MaxInputs)
	}
	if r.Weight != weight {
		t.Errorf("weight = %d, want %d", r.Weight, weight)
	}
	if r.Weight > q.MaxWeight {
		t.Errorf("weight %d > MaxWeight %d", r.Weight, q.MaxWeight)
	}
	if r.Waste != waste {
		t.Errorf("waste = %d, want %d", r.Waste, waste)
	}
	// ceil(change × LockCost / 1 BTC), in big integers: the product
	// overflows int64 for large change.
	lc := new(big.Int).Mul(big.NewInt(int64(r.Change)), big.NewInt(int64(q.LockCost)))
	lc.Add(lc, big.NewInt(btcutil.SatoshiPerBitcoin-1)).Quo(lc, big.NewInt(btcutil.SatoshiPerBitcoin))
	if !lc.IsInt64() || r.LockCost != lc.Int64() {
		t.Errorf("lock cost = %d, want %v for change %d at %d sat per BTC", r.LockCost, lc, r.Change, q.LockCost)
	}
	if r.Algorithm == AlgorithmBnB && r.Change != 0 {
		t.Errorf("bnb result has change %d", r.Change)
	}
	// Select weighs a superset of what it weighed before issue 20, by
	// waste and lock cost: it never does worse by that measure.
	if r.Algorithm != AlgorithmBnB {
		if old, err := selectBefore(coins, p); err == nil && old.Waste+old.LockCost < r.Waste+r.LockCost {
			t.Errorf("waste + lock cost %d, but the selection before issue 20 (%s) had %d", r.Waste+r.LockCost, old.Algorithm, old.Waste+old.LockCost)
		}
	}
}

// checkError checks that a failing Select failed for a reason that holds.
func checkError(t *testing.T, coins []Coin, p Params, err error) {
	t.Helper()
	var e ErrInsufficientFunds
	switch {
	case errors.As(err, &e):
		var avail btcutil.Amount
		for _, c := range coins {
			if eff := c.Value - p.FeeRate.Fee(c.InputWeight); eff > 0 {
				avail += eff
			}
		}
		need := p.Target + p.FeeRate.Fee(p.BaseWeight)
		if e.Available != avail || e.Needed != need || avail >= need {
			t.Errorf("%v: available %v need %v, want %v and %v", err, e.Available, e.Needed, avail, need)
		}
	case errors.Is(err, ErrTooManyInputs):
		// The largest coins within MaxInputs must not pay the target
		// with room for change, or largest-first would have.
		q, _ := withDefaults(p)
		var pool []candidate
		for i, c := range coins {
			if eff := int64(c.Value - q.FeeRate.Fee(c.InputWeight)); eff > 0 {
				pool = append(pool, candidate{coin: &coins[i], eff: eff})
			}
		}
		slices.SortFunc(pool, compareCandidates)
		var sum int64
		weight := q.BaseWeight + q.ChangeWeight
		for i, c := range pool {
			if i == q.MaxInputs {
				break
			}
			sum += c.eff
			weight += c.coin.InputWeight
			if sum >= int64(q.Target+q.FeeRate.Fee(q.BaseWeight)) && weight <= q.MaxWeight {
				t.Errorf("%v, but the %d largest coins pay %d with weight %d", err, i+1, sum, weight)
				break
			}
		}
	default:
		t.Errorf("Select: unexpected error %v", err)
	}
}

// valueOf is the sum of the coins' values.
func valueOf(cs []Coin) btcutil.Amount {
	var sum btcutil.Amount
	for _, c := range cs {
		sum += c.Value
	}
	return sum
}

// randomParams is a request for up to total at a random fee rate, dust
// limit, input and weight limits and lock cost.
func randomParams(rng *rand.Rand, total btcutil.Amount) Params {
	p := params(1 + rng.Int64N(int64(total)))
	p.FeeRate = FeeRate(1 + rng.IntN(200_000))
	p.DustLimit = btcutil.Amount(rng.IntN(3_000))
	p.MaxInputs = rng.IntN(60)
	p.BaseWeight = 166 + 4*rng.IntN(1000)
	if rng.IntN(4) == 0 {
		p.MaxWeight = p.BaseWeight + 124 + rng.IntN(20_000)
	}
	if rng.IntN(3) == 0 {
		p.LockCost = btcutil.Amount(1 + rng.Int64N(btcutil.SatoshiPerBitcoin))
	}
	return p
}

func TestSelectProperties(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 50
	}
	algs := map[string]int{}
	for seed := range uint64(n) {
		rng := rand.New(rand.NewPCG(seed, 99))
		cs := genCoins(1+rng.IntN(200), seed)
		p := randomParams(rng, valueOf(cs))
		r, err := Select(cs, p)
		if err != nil {
			checkError(t, cs, p, err)
			algs["error"]++
			continue
		}
		algs[r.Algorithm]++
		checkInvariants(t, cs, p, r)
	}
	t.Logf("outcomes: %v", algs)
}

func FuzzSelect(f *testing.F) {
	f.Add(uint64(1), uint16(10), uint64(50_000), uint32(1_000), uint16(294), uint8(0), uint32(0), uint16(0), uint8(0))
	f.Add(uint64(2), uint16(200), uint64(3_000_000), uint32(25_000), uint16(546), uint8(20), uint32(5_000), uint16(1000), uint8(1))
	f.Add(uint64(3), uint16(3), uint64(1), uint32(1), uint16(0), uint8(1), uint32(1), uint16(1), uint8(2))
	f.Fuzz(func(t *testing.T, seed uint64, n uint16, target uint64, rate uint32, dust uint16, maxInputs uint8, ltRate uint32, tries uint16, mode uint8) {
		cs := genCoins(int(n%300), seed)
		if mode%3 == 1 { // many equal coins: BnB's duplicate skipping
			for i := range cs {
				cs[i].Value = cs[i%3].Value
				cs[i].InputWeight = 272
			}
		}
		var total uint64
		for _, c := range cs {
			total += uint64(c.Value)
		}
		p := Params{
			Target:            btcutil.Amount(1 + target%(total+total/4+1)),
			FeeRate:           FeeRate(1 + uint64(rate)%uint64(maxFeeRate)),
			LongTermFeeRate:   FeeRate(uint64(ltRate) % 200_000),
			BaseWeight:        minBaseWeight + int(mode)*4,
			ChangeWeight:      124 + int(mode%2)*48,
			ChangeSpendWeight: inputWeights[mode%4],
			DustLimit:         btcutil.Amount(dust),
			MaxInputs:         int(maxInputs),
			BnBTries:          int(tries),
		}
		if mode%5 == 4 {
			p.MinChange = 1
		}
		if mode%7 == 6 {
			p.MaxWeight = 1_000 + 4*int(dust)
		}
		r, err := Select(cs, p)
		if err != nil {
			if len(cs) == 0 && errors.Is(err, ErrNoCoins) {
				return
			}
			checkError(t, cs, p, err)
			return
		}
		checkInvariants(t, cs, p, r)
	})
}
