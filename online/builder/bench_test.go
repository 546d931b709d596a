package builder_test

import (
	"fmt"
	"testing"

	"github.com/btcsuite/btcd/btcutil"

	"airsign/online/builder"
	"airsign/psbt/descriptor"
)

// BenchmarkBuild builds a P2WPKH withdrawal of 1, 10 and 100 coins, each
// from its own funding transaction, with a payment and change: derivations
// of every input and of the change, previous transaction checks, BIP69
// order and the size check (one serialization).
func BenchmarkBuild(b *testing.B) {
	d := singleWallet(b, descriptor.P2WPKH).d
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("inputs=%d", n), func(b *testing.B) {
			var ins []builder.Input
			for i := range n {
				ins = append(ins, fakeCoin(b, d, uint32(i%2), uint32(i), 100_000, i+1))
			}
			total := btcutil.Amount(n) * 100_000
			req := builder.Request{
				Wallet:   d,
				Inputs:   ins,
				Payments: []builder.Payment{{PkScript: foreignP2WPKH(9), Value: total / 2}},
				Change:   &builder.Change{Index: 7, Value: total/2 - 10_000},
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := builder.Build(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
