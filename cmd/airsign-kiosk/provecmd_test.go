package main

import (
	"bytes"
	"encoding/binary"
	"os"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/rogpeppe/go-internal/testscript"

	"airsign/offline/home"
	"airsign/psbt"
	"airsign/psbt/approval"
	"airsign/psbt/bip322"
	"airsign/psbt/descriptor"
)

// mkproof HOME WALLET OUT message|reserves|foreign TEXT writes the PSBT the
// coordinator hands the kiosk to sign TEXT with the wallet's address 0/5
// (message), or to prove its coins at 0/0 and 1/1 (60,000 and 40,000 sat)
// for the challenge TEXT (reserves), or with a third coin that is not the
// wallet's (foreign).
func mkproof(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 5 {
		ts.Fatalf("usage: mkproof HOME WALLET OUT message|reserves|foreign TEXT")
	}
	h, err := home.Open(ts.MkAbs(args[0]))
	ts.Check(err)
	w, err := h.Wallet(args[1])
	ts.Check(err)
	d, err := w.Parsed()
	ts.Check(err)
	owner := proofOwner(ts, d, 0, 5)
	text := []byte(args[4])
	var p *btcpsbt.Packet
	paths := [][2]uint32{{0, 5}}
	switch args[3] {
	case "message":
		p, err = bip322.ToSignPSBT(text, owner)
	case "reserves", "foreign":
		coins := []bip322.Coin{proofTestCoin(proofOwner(ts, d, 0, 0), 60_000, 1), proofTestCoin(proofOwner(ts, d, 1, 1), 40_000, 2)}
		paths = append(paths, [2]uint32{0, 0}, [2]uint32{1, 1})
		if args[3] == "foreign" {
			coins = append(coins, proofTestCoin(bip322.Script{PkScript: append([]byte{txscript.OP_0, 20}, bytes.Repeat([]byte{0x5b}, 20)...)}, 1_000_000, 3))
		}
		p, err = bip322.ReservesPSBT(text, owner, coins)
	default:
		ts.Fatalf("mkproof: unknown kind %q", args[3])
	}
	ts.Check(err)
	for i, path := range paths {
		p.Inputs[i].Bip32Derivation = proofDerivations(ts, d, path[0], path[1])
	}
	approval.SetField(p, approval.SubtypeMessage, nil, text)
	raw, err := psbt.Encode(p)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), raw, 0o600))
}

// proofOwner is the wallet's script at branch/index with what spends it.
func proofOwner(ts *testscript.TestScript, d *descriptor.Descriptor, branch, index uint32) bip322.Script {
	pk, err := d.PkScript(branch, index)
	ts.Check(err)
	s := bip322.Script{PkScript: pk}
	if d.Script == descriptor.P2SHP2WPKH {
		pub, err := d.PublicKey(branch, index)
		ts.Check(err)
		s.RedeemScript = append([]byte{txscript.OP_0, 20}, btcutil.Hash160(pub.SerializeCompressed())...)
	}
	return s
}

// proofDerivations are the wallet's key origins at branch/index (single-sig).
func proofDerivations(ts *testscript.TestScript, d *descriptor.Descriptor, branch, index uint32) []*btcpsbt.Bip32Derivation {
	pub, err := d.PublicKey(branch, index)
	ts.Check(err)
	return []*btcpsbt.Bip32Derivation{{PubKey: pub.SerializeCompressed(),
		MasterKeyFingerprint: binary.LittleEndian.Uint32(d.Origin.Fingerprint[:]), Bip32Path: d.Path(branch, index)}}
}

// proofTestCoin is a coin paid to s in a transaction of its own.
func proofTestCoin(s bip322.Script, value int64, seed byte) bip322.Coin {
	prev := wire.NewMsgTx(2)
	prev.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{seed}}, nil, nil))
	prev.AddTxOut(wire.NewTxOut(value, s.PkScript))
	return bip322.Coin{OutPoint: wire.OutPoint{Hash: prev.TxHash()}, Value: btcutil.Amount(value), Script: s, PrevTx: prev}
}
