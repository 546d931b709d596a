package builder_test

import (
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/online/builder"
	"airsign/psbt"
	"airsign/psbt/descriptor"
)

func ExampleBuild() {
	// The wallet: BIP84 account 0 of the "abandon … about" test mnemonic,
	// as the kiosk exported it.
	wallet, err := descriptor.Parse("wpkh([73c5da0a/84'/0'/0']xpub6CatWdiZiodmUeTDp8LT5or8nmbKNcuyvz7WyksVFkKB4RHwCD3XyuvPEbvqAQY3rAPshWcMLoP2fMFMKHPJ4ZeZXYVUhLv1VMrjPC7PW6V/<0;1>/*)")
	if err != nil {
		fmt.Println(err)
		return
	}

	// One coin at receive address 0, with its funding transaction (here
	// made up; the coordinator's store has the real one).
	script, _ := wallet.PkScript(0, 0)
	prev := wire.NewMsgTx(2)
	prev.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{1}}, nil, nil))
	prev.AddTxOut(wire.NewTxOut(100_000, script))
	coin := builder.Input{OutPoint: wire.OutPoint{Hash: prev.TxHash(), Index: 0}, Value: 100_000, PkScript: script, Branch: 0, Index: 0, PrevTx: prev}

	// Pay 60,000 sat to BIP173's example address at 2 sat/vB, the change
	// to change address 1.
	addr, err := btcutil.DecodeAddress("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", &chaincfg.MainNetParams)
	if err != nil {
		fmt.Println(err)
		return
	}
	payee, _ := txscript.PayToAddrScript(addr)
	in, _ := builder.InputWeight(wallet)
	weight := builder.BaseWeight(wallet, [][]byte{payee}) + in + builder.ChangeWeight(wallet)
	fee := btcutil.Amount((weight+3)/4) * 2
	p, err := builder.Build(builder.Request{
		Wallet:   wallet,
		Inputs:   []builder.Input{coin},
		Payments: []builder.Payment{{PkScript: payee, Value: 60_000}},
		Change:   &builder.Change{Index: 1, Value: 100_000 - 60_000 - fee},
		LockTime: 870_000, // the tip height
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("estimated %d vbytes, fee %v\n", (weight+3)/4, fee)

	// What the kiosk will make of it.
	s, err := psbt.Analyze(p, wallet, psbt.DefaultPolicy)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, out := range s.Outputs {
		fmt.Printf("output %d: %v of %v to %s\n", out.Index, out.Kind, out.Amount, out.Address)
	}
	fmt.Println("refusals:", len(s.Refusals))
	// Output:
	// estimated 141 vbytes, fee 0.00000282 BTC
	// output 0: change of 0.00039718 BTC to bc1qggnasd834t54yulsep6fta8lpjekv4zj6gv5rf
	// output 1: payment of 0.00060000 BTC to bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4
	// refusals: 0
}
