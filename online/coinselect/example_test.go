package coinselect_test

import (
	"fmt"

	"airsign/online/coinselect"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

func ExampleSelect() {
	// Three P2WPKH coins (272 WU each to spend).
	coin := func(n byte, sat btcutil.Amount) coinselect.Coin {
		return coinselect.Coin{
			OutPoint:    wire.OutPoint{Hash: chainhash.Hash{n}},
			Value:       sat,
			InputWeight: 272,
			Height:      850_000,
		}
	}
	coins := []coinselect.Coin{coin(1, 40_000), coin(2, 250_000), coin(3, 1_200_000)}

	rate, err := coinselect.FeeRateFromSatPerVB(12)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Pay 287,800 sat. 40,000 + 250,000 sat cover it and the fee at
	// 12 sat/vB with 70 sat to spare, less than a change output would
	// cost, so branch and bound spends them without change.
	r, err := coinselect.Select(coins, coinselect.Params{
		Target:            287_800,
		FeeRate:           rate,
		BaseWeight:        166, // version, counts, locktime, segwit marker, one P2WPKH output
		ChangeWeight:      124, // one P2WPKH change output
		ChangeSpendWeight: 272,
		DustLimit:         294,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("algorithm:", r.Algorithm)
	for _, c := range r.Coins {
		fmt.Println("spend:", c.Value)
	}
	fmt.Println("fee:", r.Fee, "change:", r.Change, "weight:", r.Weight)
	// Output:
	// algorithm: bnb
	// spend: 0.00250000 BTC
	// spend: 0.00040000 BTC
	// fee: 0.00002200 BTC change: 0 BTC weight: 710
}
