package coinselect

import (
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
