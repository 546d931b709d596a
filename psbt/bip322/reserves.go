package bip322

import (
	"bytes"
	"fmt"

	"airsign/psbt"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// MaxCoins bounds the coins of one proof of reserves: to_sign's inputs
// after the commitment input.
const MaxCoins = MaxInputs - 1

// Coin is one UTXO whose control a proof of reserves proves.
type Coin struct {
	OutPoint wire.OutPoint
	Value    btcutil.Amount
	// Script is the coin's scriptPubKey and what spends it.
	Script Script
	// PrevTx is the transaction that made the coin. The kiosk needs it for
	// segwit v0 and legacy coins, whose amounts only it proves; Taproot
	// coins may go without.
	PrevTx *wire.MsgTx
}

// check refuses a coin whose parts disagree.
func (c Coin) check() error {
	if err := c.Script.check(); err != nil {
		return err
	}
	if c.Value < 0 || c.Value > btcutil.MaxSatoshi {
		return fmt.Errorf("its value %d sat is out of range", int64(c.Value))
	}
	if c.PrevTx == nil {
		if !txscript.IsPayToTaproot(c.Script.PkScript) {
			return fmt.Errorf("it is not Taproot, so the kiosk needs its previous transaction to know its amount")
		}
		return nil
	}
	if c.PrevTx.TxHash() != c.OutPoint.Hash || int(c.OutPoint.Index) >= len(c.PrevTx.TxOut) {
		return fmt.Errorf("the previous transaction given is %v, which does not hold output %v", c.PrevTx.TxHash(), c.OutPoint)
	}
	out := c.PrevTx.TxOut[c.OutPoint.Index]
	if out.Value != int64(c.Value) || !bytes.Equal(out.PkScript, c.Script.PkScript) {
		return fmt.Errorf("the previous transaction says it pays %d sat to %x, not %d sat to %x", out.Value, out.PkScript, int64(c.Value), c.Script.PkScript)
	}
	return nil
}

// ReservesPSBT returns the PSBT of a proof of reserves (BIP-322's proof of
// funds, in the form Coldcard signs): to_sign whose first input is the
// commitment input, spending to_spend of the auditor's challenge paid to
// commitment (an address of the wallet, whose signature binds the proof to
// the challenge), and whose further inputs spend the coins. Its only output
// is a 0-value OP_RETURN; every signature is SIGHASH_ALL, so each coin's
// signature commits to the challenge and to every other coin. The kiosk
// signs it under its quorum like any PSBT; Finish makes the proof.
func ReservesPSBT(challenge []byte, commitment Script, coins []Coin) (*btcpsbt.Packet, error) {
	if err := commitment.check(); err != nil {
		return nil, fmt.Errorf("bip322: the commitment address: %w", err)
	}
	if len(coins) == 0 || len(coins) > MaxCoins {
		return nil, fmt.Errorf("bip322: a proof of reserves covers 1 to %d coins (MaxCoins), not %d; split a larger wallet into several proofs", MaxCoins, len(coins))
	}
	toSpend := ToSpend(challenge, bytes.Clone(commitment.PkScript))
	tx := ToSign(toSpend)
	seen := map[wire.OutPoint]bool{tx.TxIn[0].PreviousOutPoint: true}
	for i, c := range coins {
		if err := c.check(); err != nil {
			return nil, fmt.Errorf("bip322: coin %d (%v): %w", i, c.OutPoint, err)
		}
		if seen[c.OutPoint] {
			return nil, fmt.Errorf("bip322: coin %d (%v) is given twice", i, c.OutPoint)
		}
		seen[c.OutPoint] = true
		tx.AddTxIn(&wire.TxIn{PreviousOutPoint: c.OutPoint, Sequence: 0})
	}
	p, err := btcpsbt.NewFromUnsignedTx(tx)
	if err != nil {
		return nil, fmt.Errorf("bip322: %w", err)
	}
	commitment.fill(&p.Inputs[0], toSpend, toSpend.TxOut[0])
	for i, c := range coins {
		c.Script.fill(&p.Inputs[i+1], c.PrevTx, wire.NewTxOut(int64(c.Value), c.Script.PkScript))
	}
	return p, nil
}

// Snapshot is the UTXO set a proof of reserves is judged against: the coins
// unspent at one block, from the auditor's own node or an export.
type Snapshot struct {
	Height    int32
	BlockHash chainhash.Hash
	Coins     map[wire.OutPoint]*wire.TxOut
}

// Reserves is what a valid proof of reserves proves.
type Reserves struct {
	// Amount is the sum of the proven coins' values in the snapshot.
	Amount btcutil.Amount
	// Coins are the proven coins, in the proof's order.
	Coins []wire.OutPoint
	// Height and BlockHash are the snapshot's: the proof holds for the UTXO
	// set at that block.
	Height    int32
	BlockHash chainhash.Hash
	// Commitment is the script that signed the challenge (to_spend's).
	Commitment []byte
	// LockTime and Sequence are BIP-322's T and S (0 unless time-locked).
	LockTime, Sequence uint32
}

// VerifyReserves checks a proof of reserves (the finalized PSBT that
// Finish returns, binary, base64 or hex) for challenge against snap, and
// returns the amount it proves. It checks that the commitment input spends
// to_spend of this challenge (a transaction spending the null outpoint, so
// neither it nor to_sign can ever be mined), that to_sign has BIP-322's
// shape, that every other input is a coin unspent in the snapshot, and
// every input's script, with the snapshot's scripts and amounts, under
// BIP-322's rules. Its errors wrap ErrMalformed, ErrInvalid or
// ErrInconclusive, or psbt's decoding errors.
func VerifyReserves(proof, challenge []byte, snap Snapshot) (Reserves, error) {
	p, err := psbt.Decode(proof)
	if err != nil {
		return Reserves{}, fmt.Errorf("bip322: the proof is not a PSBT: %w", err)
	}
	toSpend, err := packetToSpend(p)
	if err != nil {
		return Reserves{}, err
	}
	if got, want := mustMessageHash(toSpend), MessageHash(challenge); got != want {
		return Reserves{}, fmt.Errorf("%w: the proof answers another challenge: its message hash is %v, this challenge's %v; ask for a proof of this challenge", ErrInvalid, got, want)
	}
	spent := p.UnsignedTx.TxIn[0].PreviousOutPoint
	if _, real := snap.Coins[spent]; real {
		return Reserves{}, fmt.Errorf("%w: the snapshot holds the commitment input's outpoint %v as a coin; the snapshot is not a UTXO set", ErrInvalid, spent)
	}
	if len(p.UnsignedTx.TxIn) < 2 {
		return Reserves{}, fmt.Errorf("%w: the proof proves no coins: its only input is the commitment to the challenge", ErrInvalid)
	}
	tx, err := btcpsbt.Extract(p)
	if err != nil {
		return Reserves{}, fmt.Errorf("%w: the proof is not finalized (%v): every input needs its final scriptSig or witness; finish it after signing", ErrInvalid, err)
	}
	r := Reserves{Height: snap.Height, BlockHash: snap.BlockHash, Commitment: toSpend.TxOut[0].PkScript,
		LockTime: tx.LockTime, Sequence: tx.TxIn[0].Sequence}
	coins := make(map[wire.OutPoint]*wire.TxOut, len(tx.TxIn)-1)
	for i, in := range tx.TxIn[1:] {
		op := in.PreviousOutPoint
		out, ok := snap.Coins[op]
		if !ok || out == nil {
			return Reserves{}, fmt.Errorf("%w: input %d spends %v, which is not unspent in the snapshot at height %d (%v): spent since, or never there", ErrInvalid, i+1, op, snap.Height, snap.BlockHash)
		}
		if r.Amount, ok = addAmount(r.Amount, out.Value); !ok {
			return Reserves{}, fmt.Errorf("%w: the snapshot's coin %v has value %d sat, out of range", ErrInvalid, op, out.Value)
		}
		coins[op] = out
		r.Coins = append(r.Coins, op)
	}
	if err := verifyToSign(tx, prevOuts(toSpend, coins)); err != nil {
		return Reserves{}, err
	}
	return r, nil
}

// mustMessageHash is the message hash of a to_spend already checked.
func mustMessageHash(toSpend *wire.MsgTx) chainhash.Hash {
	h, _ := toSpendMessageHash(toSpend)
	return h
}
