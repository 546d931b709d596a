package bip322

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"

	"airsign/psbt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

var challenge = []byte("Proof of reserves for audit 2026-Q4, nonce 6f1c0a93")

// reserveCoin is a coin of the test wallet: its script, value and signers.
type reserveCoin struct {
	script Script
	value  btcutil.Amount
	keys   []*btcec.PrivateKey
}

// fundingTx is a made-up transaction that created a coin paying pkScript.
func fundingTx(n int, value btcutil.Amount, pkScript []byte) *wire.MsgTx {
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: sha256.Sum256([]byte(fmt.Sprintf("funding %d", n)))}})
	tx.AddTxOut(wire.NewTxOut(1000, []byte{0x51}))
	tx.AddTxOut(wire.NewTxOut(int64(value), pkScript))
	return tx
}

// testWallet is one coin of each script type, the first a P2WPKH one.
func testWallet(t testing.TB) []reserveCoin {
	k1, k2, k3 := testKey(1), testKey(2), testKey(3)
	ms := multisig(t, 2, k1, k2, k3)
	return []reserveCoin{
		{Script{PkScript: p2wpkh(t, k1)}, 100_000_000, []*btcec.PrivateKey{k1}},
		{Script{PkScript: p2tr(t, k2)}, 50_000_000, []*btcec.PrivateKey{k2}},
		{Script{PkScript: p2wsh(t, ms), WitnessScript: ms}, 25_000_000, []*btcec.PrivateKey{k2, k3}},
		{Script{PkScript: p2sh(t, p2wpkh(t, k3)), RedeemScript: p2wpkh(t, k3)}, 12_500_000, []*btcec.PrivateKey{k3}},
		{Script{PkScript: p2pkh(t, k1)}, 6_250_000, []*btcec.PrivateKey{k1}},
	}
}

// signedProof is a signed, finished proof of reserves over the wallet's
// coins, whose commitment is the first coin's script.
func signedProof(t testing.TB, wallet []reserveCoin, coins []Coin) (*btcpsbt.Packet, Signed) {
	t.Helper()
	p, err := ReservesPSBT(challenge, wallet[0].script, coins)
	if err != nil {
		t.Fatal(err)
	}
	signInput(t, p, 0, wallet[0].keys...)
	for i, w := range wallet {
		signInput(t, p, i+1, w.keys...)
	}
	s, err := Finish(p)
	if err != nil {
		t.Fatal(err)
	}
	return p, s
}

// reserveFixture is a signed, finalized proof of reserves over one coin of
// each script type, and the snapshot in which they are all unspent.
type reserveFixture struct {
	coins  []Coin
	signed *btcpsbt.Packet // finalized
	proof  []byte
	snap   Snapshot
	total  btcutil.Amount
}

func newReserveFixture(t testing.TB) *reserveFixture {
	t.Helper()
	wallet := testWallet(t)
	f := &reserveFixture{snap: Snapshot{Height: 840_000, BlockHash: chainhash.Hash{0x42}, Coins: map[wire.OutPoint]*wire.TxOut{}}}
	for i, w := range wallet {
		prev := fundingTx(i, w.value, w.script.PkScript)
		c := Coin{OutPoint: wire.OutPoint{Hash: prev.TxHash(), Index: 1}, Value: w.value, Script: w.script, PrevTx: prev}
		f.coins = append(f.coins, c)
		f.snap.Coins[c.OutPoint] = wire.NewTxOut(int64(w.value), w.script.PkScript)
		f.total += w.value
	}
	other := fundingTx(99, 7, p2wpkh(t, testKey(9)))
	f.snap.Coins[wire.OutPoint{Hash: other.TxHash(), Index: 1}] = other.TxOut[1]

	p, s := signedProof(t, wallet, f.coins)
	if s.Simple != "" {
		t.Errorf("a proof of funds was given a simple encoding %q", s.Simple)
	}
	f.signed, f.proof = p, s.PSBT
	return f
}

func TestVerifyReserves(t *testing.T) {
	f := newReserveFixture(t)
	got, err := VerifyReserves(f.proof, challenge, f.snap)
	if err != nil {
		t.Fatal(err)
	}
	if got.Amount != f.total {
		t.Errorf("Amount = %v, want %v", got.Amount, f.total)
	}
	if len(got.Coins) != len(f.coins) {
		t.Fatalf("%d coins proven, want %d", len(got.Coins), len(f.coins))
	}
	for i, c := range f.coins {
		if got.Coins[i] != c.OutPoint {
			t.Errorf("coin %d = %v, want %v", i, got.Coins[i], c.OutPoint)
		}
	}
	if got.Height != f.snap.Height || got.BlockHash != f.snap.BlockHash {
		t.Errorf("at %d %v, want %d %v", got.Height, got.BlockHash, f.snap.Height, f.snap.BlockHash)
	}
	b64, err := psbt.EncodeBase64(f.signed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyReserves([]byte(b64), challenge, f.snap); err != nil {
		t.Errorf("base64 proof: %v", err)
	}
}

// withSnapshot returns a copy of the snapshot changed by edit.
func withSnapshot(s Snapshot, edit func(map[wire.OutPoint]*wire.TxOut)) Snapshot {
	c := s
	c.Coins = make(map[wire.OutPoint]*wire.TxOut, len(s.Coins))
	for op, out := range s.Coins {
		c.Coins[op] = wire.NewTxOut(out.Value, out.PkScript)
	}
	edit(c.Coins)
	return c
}

// TestVerifyReservesRefuses tampers with the proof, the challenge or the
// snapshot, one thing at a time: each must be refused.
func TestVerifyReservesRefuses(t *testing.T) {
	f := newReserveFixture(t)
	encode := func(edit func(p *btcpsbt.Packet)) []byte {
		p, err := psbt.Decode(f.proof)
		if err != nil {
			t.Fatal(err)
		}
		edit(p)
		b, err := psbt.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	removeInput := func(i int) func(p *btcpsbt.Packet) {
		return func(p *btcpsbt.Packet) {
			p.UnsignedTx.TxIn = append(p.UnsignedTx.TxIn[:i], p.UnsignedTx.TxIn[i+1:]...)
			p.Inputs = append(p.Inputs[:i], p.Inputs[i+1:]...)
		}
	}
	for _, c := range []struct {
		name      string
		proof     []byte
		challenge []byte
		snap      Snapshot
	}{
		{"another challenge", f.proof, []byte("Proof of reserves for audit 2026-Q3"), f.snap},
		{"a coin spent since", f.proof, challenge, withSnapshot(f.snap, func(m map[wire.OutPoint]*wire.TxOut) { delete(m, f.coins[2].OutPoint) })},
		{"a segwit v0 coin's amount changed", f.proof, challenge, withSnapshot(f.snap, func(m map[wire.OutPoint]*wire.TxOut) { m[f.coins[0].OutPoint].Value++ })},
		{"a legacy coin's amount changed", f.proof, challenge, withSnapshot(f.snap, func(m map[wire.OutPoint]*wire.TxOut) { m[f.coins[4].OutPoint].Value *= 2 })},
		{"a taproot coin's script changed", f.proof, challenge, withSnapshot(f.snap, func(m map[wire.OutPoint]*wire.TxOut) { m[f.coins[1].OutPoint].PkScript = p2tr(t, testKey(7)) })},
		{"a coin removed from the proof", encode(removeInput(3)), challenge, f.snap},
		{"the commitment input removed", encode(removeInput(0)), challenge, f.snap},
		{"an output added", encode(func(p *btcpsbt.Packet) {
			p.UnsignedTx.AddTxOut(wire.NewTxOut(1, p2wpkh(t, testKey(8))))
			p.Outputs = append(p.Outputs, btcpsbt.POutput{})
		}), challenge, f.snap},
		{"a witness swapped", encode(func(p *btcpsbt.Packet) {
			p.Inputs[1].FinalScriptWitness, p.Inputs[3].FinalScriptWitness = p.Inputs[3].FinalScriptWitness, p.Inputs[1].FinalScriptWitness
		}), challenge, f.snap},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := VerifyReserves(c.proof, c.challenge, c.snap)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("VerifyReserves = %+v, %v; want an ErrInvalid error", got, err)
			}
		})
	}
}

func TestVerifyReservesNeedsFinalizedCoins(t *testing.T) {
	f := newReserveFixture(t)
	p, err := ReservesPSBT(challenge, f.coins[0].Script, f.coins)
	if err != nil {
		t.Fatal(err)
	}
	b, err := psbt.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyReserves(b, challenge, f.snap); !errors.Is(err, ErrInvalid) {
		t.Errorf("unsigned proof: %v, want ErrInvalid", err)
	}
	one, err := ToSignPSBT(challenge, f.coins[0].Script)
	if err != nil {
		t.Fatal(err)
	}
	signInput(t, one, 0, testKey(1))
	s, err := Finish(one)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyReserves(s.PSBT, challenge, f.snap); !errors.Is(err, ErrInvalid) {
		t.Errorf("a proof of no coins: %v, want ErrInvalid", err)
	}
}

func TestReservesPSBTRefuses(t *testing.T) {
	f := newReserveFixture(t)
	commit := f.coins[0].Script
	wrongValue := f.coins[1]
	wrongValue.Value++
	noPrev := f.coins[0]
	noPrev.PrevTx = nil
	otherPrev := f.coins[0]
	otherPrev.PrevTx = f.coins[2].PrevTx
	for _, c := range []struct {
		name  string
		coins []Coin
	}{
		{"no coins", nil},
		{"a coin twice", []Coin{f.coins[0], f.coins[1], f.coins[0]}},
		{"a value its previous transaction does not pay", []Coin{wrongValue}},
		{"a segwit v0 coin without its previous transaction", []Coin{noPrev}},
		{"another previous transaction", []Coin{otherPrev}},
		{"too many coins", make([]Coin, MaxCoins+1)},
	} {
		if _, err := ReservesPSBT(challenge, commit, c.coins); err == nil {
			t.Errorf("%s: ReservesPSBT accepted it", c.name)
		}
	}
	taproot := f.coins[1]
	taproot.PrevTx = nil
	if _, err := ReservesPSBT(challenge, commit, []Coin{taproot}); err != nil {
		t.Errorf("a Taproot coin without its previous transaction: %v", err)
	}
}
