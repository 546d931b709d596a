package psbt

import (
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/offline/hd"
	"airsign/online/regtest"
	"airsign/psbt/descriptor"
)

// TestRegtestSpend proves on a real btcd node that what Sign, Combine and
// Finalize produce is a valid transaction for every wallet type: coins are
// paid to the wallet's receive and change branches, spent by an honest
// PSBT that carries the real funding transactions, accepted by the node's
// mempool, mined and confirmed. One node serves every subtest.
func TestRegtestSpend(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a btcd node")
	}
	node := regtest.Start(t, regtest.Options{})
	regtest.ActivateSegwitTaproot(t, node)

	type wallet struct {
		d       *descriptor.Descriptor
		signers []*hd.Master // who signs: one, or two cosigners of three
	}
	wallets := map[string]wallet{}
	var names []string
	for _, st := range allScripts {
		m, d := testWallet(t, st, descriptor.Regtest)
		t.Cleanup(m.Wipe)
		wallets[st.String()] = wallet{d, []*hd.Master{m}}
		names = append(names, st.String())
	}
	for _, st := range multisigScripts {
		masters, d := multisigWallet(t, st, 2)
		for _, m := range masters {
			t.Cleanup(m.Wipe)
		}
		name := st.String() + " 2-of-3"
		wallets[name] = wallet{d, []*hd.Master{masters[0], masters[2]}}
		names = append(names, name)
	}

	for _, name := range names {
		w := wallets[name]
		t.Run(name, func(t *testing.T) {
			p := fundedPSBT(t, node, w.d)
			var signed []*btcpsbt.Packet
			for _, m := range w.signers {
				q := clonePacket(t, p).Packet
				if _, err := Sign(q, w.d, cosigner(DefaultPolicy, m), m); err != nil {
					t.Fatal(err)
				}
				signed = append(signed, q)
			}
			combined, err := Combine(signed...)
			if err != nil {
				t.Fatal(err)
			}
			tx, err := Finalize(combined)
			if err != nil {
				t.Fatal(err)
			}
			if w.d.Script.Multisig() {
				for i, in := range tx.TxIn {
					if len(in.Witness) != 4 { // empty, 2 signatures, witness script
						t.Errorf("input %d has %d witness items, want 4 for a 2-of-3", i, len(in.Witness))
					}
				}
			}
			if ok, reason := node.TestMempoolAccept(t, tx); !ok {
				t.Fatalf("the node refuses the signed transaction: %s", reason)
			}
			hash := node.Send(t, tx)
			block := node.Generate(t, 1)[0]
			res, err := node.Client().GetRawTransactionVerbose(hash)
			if err != nil {
				t.Fatal(err)
			}
			if res.Confirmations != 1 || res.BlockHash != block.String() {
				t.Errorf("transaction %s has %d confirmations in block %s, want 1 in %s", hash, res.Confirmations, res.BlockHash, block)
			}
		})
	}

	// The node is a real judge: a signature made over another amount
	// than the coin's (what a lying witness UTXO would make a signer do)
	// is refused by the node, and by Finalize before it.
	t.Run("signature over a tampered amount", func(t *testing.T) {
		w := wallets[descriptor.P2WPKH.String()]
		p := fundedPSBT(t, node, w.d)
		s, err := Analyze(p, w.d, DefaultPolicy)
		if err != nil || !s.Signable() {
			t.Fatalf("%v %v", err, s.Refusals)
		}
		fetcher := txscript.NewMultiPrevOutFetcher(nil)
		for i, in := range s.Inputs {
			fetcher.AddPrevOut(p.UnsignedTx.TxIn[i].PreviousOutPoint, wire.NewTxOut(int64(in.Amount), in.pkScript))
		}
		hashes := txscript.NewTxSigHashes(p.UnsignedTx, fetcher)
		for i, in := range s.Inputs {
			if i == 0 {
				in.Amount += 10_000
			}
			if err := signInput(p, w.d, hashes, fetcher, in, w.signers[0]); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := Finalize(clonePacket(t, p).Packet); err == nil {
			t.Error("Finalize accepted a signature over a tampered amount")
		}
		if err := btcpsbt.MaybeFinalizeAll(p); err != nil {
			t.Fatal(err)
		}
		tx, err := btcpsbt.Extract(p)
		if err != nil {
			t.Fatal(err)
		}
		ok, reason := node.TestMempoolAccept(t, tx)
		if ok {
			t.Fatal("the node accepts a signature over a tampered amount")
		}
		t.Logf("the node refuses it: %s", reason)
		if _, err := node.TrySend(tx); err == nil {
			t.Error("the node relayed a signature over a tampered amount")
		}
	})
}

// fundedPSBT pays two coins to the wallet on the node, at receive 2 and
// change 0, and returns an honest PSBT spending both with the real funding
// transactions: a payment, change at 1/1 and a 2,000 sat fee.
func fundedPSBT(t *testing.T, node *regtest.Node, d *descriptor.Descriptor) *btcpsbt.Packet {
	t.Helper()
	var ins []spend
	for _, c := range []struct {
		branch, index uint32
		amount        int64
	}{{0, 2, 100_000}, {1, 0, 50_000}} {
		script, err := d.PkScript(c.branch, c.index)
		if err != nil {
			t.Fatal(err)
		}
		op, prev := node.Fund(t, script, btcutil.Amount(c.amount))
		ins = append(ins, spend{branch: c.branch, index: c.index, prev: prev, vout: op.Index})
	}
	return buildPSBT(t, d, ins, []pay{{amount: 90_000, script: foreignScript(t, 9)}, {amount: 58_000, branch: 1, index: 1}})
}
