package coinselect

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
)

// benchWallet is 10,000 coins from genCoins: values from 500 sat to 5 BTC
// and a few round amounts, mixed script types.
func benchWallet(b *testing.B) ([]Coin, btcutil.Amount) {
	cs := genCoins(10_000, 42)
	var total btcutil.Amount
	for _, c := range cs {
		total += c.Value
	}
	return cs, total
}

func benchSelect(b *testing.B, cs []Coin, p Params, wantAlg string) {
	b.Helper()
	r, err := Select(cs, p)
	if err != nil {
		b.Fatal(err)
	}
	if wantAlg != "" && r.Algorithm != wantAlg {
		b.Fatalf("algorithm %s, want %s", r.Algorithm, wantAlg)
	}
	b.Logf("%s: %d inputs, fee %v, change %v", r.Algorithm, len(r.Coins), r.Fee, r.Change)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Select(cs, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSelect10000 pays 1.5 BTC at 15 sat/vB from 10,000 coins.
func BenchmarkSelect10000(b *testing.B) {
	cs, _ := benchWallet(b)
	p := params(150_000_000)
	p.FeeRate = 15_000
	benchSelect(b, cs, p, "")
}

// BenchmarkSelect10000BnB is a payment BnB solves without change.
func BenchmarkSelect10000BnB(b *testing.B) {
	cs, _ := benchWallet(b)
	p := params(12_345_678)
	p.FeeRate = 5_000
	benchSelect(b, cs, p, AlgorithmBnB)
}

// BenchmarkSelect10000Fallback is a payment BnB cannot solve: every
// effective value is a multiple of 100,000 sat and the target is 50,000 sat
// off, so BnB spends its 100,000 tries and knapsack and largest-first run.
func BenchmarkSelect10000Fallback(b *testing.B) {
	cs, _ := benchWallet(b)
	const rate = FeeRate(5_000)
	for i := range cs {
		eff := max(1, cs[i].Value/100_000) * 100_000
		cs[i].Value = eff + rate.Fee(cs[i].InputWeight)
	}
	p := params(0)
	p.FeeRate = rate
	p.Target = 250_050_000 - rate.Fee(p.BaseWeight)
	benchSelect(b, cs, p, "")
}

// lockRates are the fee rates of the lock benchmark: 2, 10, 25 and
// 60 sat/vB.
var lockRates = []FeeRate{2_000, 10_000, 25_000, 60_000}

// lockScenario is one payment from one seeded wallet.
type lockScenario struct {
	coins []Coin
	p     Params
}

// lockScenarios are 200 wallets of 5 to 44 coins from genCoins (500 sat
// to 5 BTC, log-uniform), each paying one amount from 0.0001 to 0.1 BTC
// (log-uniform) at 2, 10, 25 or 60 sat/vB: the payments a treasury makes
// from a wallet of deposits.
func lockScenarios() []lockScenario {
	rng := rand.New(rand.NewPCG(20, 20))
	var out []lockScenario
	for seed := range uint64(200) {
		p := params(int64(10_000 * math.Pow(1_000, rng.Float64())))
		p.FeeRate = lockRates[rng.IntN(len(lockRates))]
		out = append(out, lockScenario{genCoins(5+rng.IntN(40), 1000+seed), p})
	}
	return out
}

// lockTotals are what a strategy's selections hold and pay over
// lockScenarios, and what it leaves free when requests wait together.
type lockTotals struct {
	locked, fee btcutil.Amount
	// free is what 50 wallets have left to spend while five requests of
	// each (0.001 to 0.1 BTC at the same rates) are pending (their coins held, their change unconfirmed);
	// refused counts the requests that found no coins.
	free    btcutil.Amount
	refused int
}

func measureLocking(b *testing.B, sel func([]Coin, Params) (Result, error)) lockTotals {
	var t lockTotals
	for _, sc := range lockScenarios() {
		r, err := sel(sc.coins, sc.p)
		if err != nil {
			b.Fatal(err)
		}
		t.locked += locked(r)
		t.fee += r.Fee
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for wallet := range uint64(50) {
		free := genCoins(5+rng.IntN(40), 2000+wallet)
		for range 5 {
			p := params(int64(100_000 * math.Pow(100, rng.Float64())))
			p.FeeRate = lockRates[rng.IntN(len(lockRates))]
			r, err := sel(free, p)
			if err != nil {
				t.refused++
				continue
			}
			free = slices.DeleteFunc(free, func(c Coin) bool { return slices.Contains(r.Coins, c) })
		}
		for _, c := range free {
			t.free += c.Value
		}
	}
	return t
}

// BenchmarkSelectLocked compares what Select holds, pays and leaves free
// with selectBefore, the selection before issue 20, over the same seeded
// wallets and payments, and times each.
func BenchmarkSelectLocked(b *testing.B) {
	scenarios := lockScenarios()
	for _, s := range []struct {
		name string
		sel  func([]Coin, Params) (Result, error)
	}{{"before", selectBefore}, {"now", Select}} {
		b.Run(s.name, func(b *testing.B) {
			t := measureLocking(b, s.sel)
			for b.Loop() {
				for _, sc := range scenarios {
					if _, err := s.sel(sc.coins, sc.p); err != nil {
						b.Fatal(err)
					}
				}
			}
			// After the loop: b.Loop resets the timer, which drops
			// metrics reported before it.
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(scenarios)), "ns/select")
			b.ReportMetric(t.locked.ToBTC(), "locked-BTC")
			b.ReportMetric(float64(t.fee), "fee-sat")
			b.ReportMetric(t.free.ToBTC(), "free-BTC")
			b.ReportMetric(float64(t.refused), "refused")
		})
	}
}
