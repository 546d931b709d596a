package bip322

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/online/regtest"
)

// TestRegtestReserves proves control of coins a real btcd node holds: one
// of each script type, paid by real transactions. The proof verifies
// against the node's UTXO set; the node refuses to_sign as a transaction
// (its commitment input spends no coin); after one coin is spent on chain,
// the same proof is refused, naming that coin.
func TestRegtestReserves(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a btcd node")
	}
	node := regtest.Start(t, regtest.Options{})
	regtest.ActivateSegwitTaproot(t, node)

	wallet := testWallet(t)
	var coins []Coin
	var total btcutil.Amount
	for _, w := range wallet {
		op, prev := node.Fund(t, w.script.PkScript, w.value)
		coins = append(coins, Coin{OutPoint: op, Value: w.value, Script: w.script, PrevTx: prev})
		total += w.value
	}
	node.Generate(t, 1)

	p, s := signedProof(t, wallet, coins)
	r, err := VerifyReserves(s.PSBT, challenge, nodeSnapshot(t, node, coins))
	if err != nil {
		t.Fatal(err)
	}
	if r.Amount != total {
		t.Errorf("proven %v, want %v", r.Amount, total)
	}

	toSign, err := finalizeForTest(p)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := node.TestMempoolAccept(t, toSign); ok {
		t.Fatal("the node accepts the proof's to_sign as a transaction")
	}

	spent := coins[0]
	node.Send(t, spendP2WPKH(t, spent, wallet[0]))
	node.Generate(t, 1)
	_, err = VerifyReserves(s.PSBT, challenge, nodeSnapshot(t, node, coins))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), spent.OutPoint.String()) {
		t.Fatalf("after %v was spent: %v; want an ErrInvalid error naming it", spent.OutPoint, err)
	}
}

// nodeSnapshot asks the node which of the coins are unspent, as an
// auditor's own node would answer.
func nodeSnapshot(t *testing.T, node *regtest.Node, coins []Coin) Snapshot {
	t.Helper()
	snap := Snapshot{Height: node.Height(t), BlockHash: *node.BestHash(t), Coins: map[wire.OutPoint]*wire.TxOut{}}
	for _, c := range coins {
		res, err := node.Client().GetTxOut(&c.OutPoint.Hash, c.OutPoint.Index, false)
		if err != nil {
			t.Fatal(err)
		}
		if res == nil {
			continue
		}
		value, err := btcutil.NewAmount(res.Value)
		if err != nil {
			t.Fatal(err)
		}
		script, err := hex.DecodeString(res.ScriptPubKey.Hex)
		if err != nil {
			t.Fatal(err)
		}
		snap.Coins[c.OutPoint] = wire.NewTxOut(int64(value), script)
	}
	return snap
}

// spendP2WPKH is a real transaction spending a P2WPKH coin elsewhere.
func spendP2WPKH(t *testing.T, c Coin, w reserveCoin) *wire.MsgTx {
	t.Helper()
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(&wire.TxIn{PreviousOutPoint: c.OutPoint, Sequence: wire.MaxTxInSequenceNum})
	tx.AddTxOut(wire.NewTxOut(int64(c.Value)-10_000, p2wpkh(t, testKey(9))))
	fetcher := txscript.NewCannedPrevOutputFetcher(c.Script.PkScript, int64(c.Value))
	wit, err := txscript.WitnessSignature(tx, txscript.NewTxSigHashes(tx, fetcher), 0, int64(c.Value), p2pkh(t, w.keys[0]), txscript.SigHashAll, w.keys[0], true)
	if err != nil {
		t.Fatal(err)
	}
	tx.TxIn[0].Witness = wit
	return tx
}
