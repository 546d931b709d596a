package bip322

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"airsign/psbt"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// Script is an output whose owner signs, and the scripts its hash commits
// to, which the signer needs to spend it.
type Script struct {
	PkScript []byte
	// RedeemScript is what a P2SH PkScript's hash commits to (P2SH-P2WPKH,
	// P2SH-P2WSH or legacy P2SH).
	RedeemScript []byte
	// WitnessScript is what a P2WSH program commits to, native or wrapped
	// in P2SH.
	WitnessScript []byte
}

// check refuses a Script whose scripts do not fit together, or of a type
// BIP-322 signing here does not cover.
func (s Script) check() error {
	pk := s.PkScript
	if len(pk) == 0 || len(pk) > txscript.MaxScriptSize {
		return fmt.Errorf("the scriptPubKey is %d bytes; give the script of the address being proven", len(pk))
	}
	inner := pk
	switch {
	case txscript.IsPayToScriptHash(pk):
		if len(s.RedeemScript) == 0 {
			return fmt.Errorf("the P2SH script %x needs its redeem script", pk)
		}
		if !bytes.Equal(btcutil.Hash160(s.RedeemScript), pk[2:22]) {
			return fmt.Errorf("the redeem script %x does not hash to the P2SH script %x", s.RedeemScript, pk)
		}
		inner = s.RedeemScript
	case len(s.RedeemScript) != 0:
		return fmt.Errorf("a redeem script is given but the script %x is not P2SH", pk)
	}
	switch {
	case txscript.IsPayToWitnessScriptHash(inner):
		h := sha256.Sum256(s.WitnessScript)
		if len(s.WitnessScript) == 0 || !bytes.Equal(h[:], inner[2:]) {
			return fmt.Errorf("the P2WSH program %x needs the witness script it hashes", inner)
		}
		return nil
	case len(s.WitnessScript) != 0:
		return fmt.Errorf("a witness script is given but %x is not a P2WSH program", inner)
	case txscript.IsPayToPubKeyHash(inner), txscript.IsPayToWitnessPubKeyHash(inner), txscript.IsPayToTaproot(inner):
		return nil
	case inner[0] != txscript.OP_0 && txscript.IsWitnessProgram(inner):
		return fmt.Errorf("the script %x is a witness program of a version BIP-322 calls upgradeable: signatures for it would be inconclusive", inner)
	case !bytes.Equal(inner, pk):
		return nil // a legacy P2SH redeem script: the engine judges it
	}
	return fmt.Errorf("the script %x is %s, which airsign does not sign BIP-322 messages for", pk, txscript.GetScriptClass(pk))
}

// segwit says whether spending s uses a witness.
func (s Script) segwit() bool {
	return txscript.IsWitnessProgram(s.PkScript) || (txscript.IsPayToScriptHash(s.PkScript) && txscript.IsWitnessProgram(s.RedeemScript))
}

// fill gives a PSBT input what a signer needs to spend the output out of
// prevTx: the previous transaction (which the kiosk requires for segwit v0
// and legacy inputs, as Coldcard does for to_spend), the witness UTXO for
// segwit, and the scripts.
func (s Script) fill(pin *btcpsbt.PInput, prevTx *wire.MsgTx, out *wire.TxOut) {
	pin.NonWitnessUtxo = prevTx
	if s.segwit() {
		pin.WitnessUtxo = wire.NewTxOut(out.Value, bytes.Clone(out.PkScript))
	}
	pin.RedeemScript = bytes.Clone(s.RedeemScript)
	pin.WitnessScript = bytes.Clone(s.WitnessScript)
}

// ToSignPSBT returns BIP-322's to_sign for owner signing message, as a PSBT
// for the kiosk's signer: input 0 spends to_spend, which it carries as the
// previous transaction (and its output as the witness UTXO for segwit),
// with the owner's redeem and witness scripts. The caller adds the key
// derivations its signer needs; Finish turns the signed PSBT into the
// signature.
func ToSignPSBT(message []byte, owner Script) (*btcpsbt.Packet, error) {
	if err := owner.check(); err != nil {
		return nil, fmt.Errorf("bip322: %w", err)
	}
	toSpend := ToSpend(message, bytes.Clone(owner.PkScript))
	p, err := btcpsbt.NewFromUnsignedTx(ToSign(toSpend))
	if err != nil {
		return nil, fmt.Errorf("bip322: %w", err)
	}
	owner.fill(&p.Inputs[0], toSpend, toSpend.TxOut[0])
	return p, nil
}

// Signed is a finished BIP-322 signature in its encodings.
type Signed struct {
	// Simple is the simple encoding, or "" where BIP-322 requires the full
	// one: a non-segwit address, a proof of funds, a time lock.
	Simple string
	// Full is the full encoding: the signed to_sign, base64.
	Full string
	// PSBT is the finalized PSBT, binary. It is the form of a proof of
	// reserves, since it carries to_spend, whose script the verifier
	// cannot otherwise know.
	PSBT []byte
}

// Finish finalizes a signed to_sign PSBT (from ToSignPSBT or ReservesPSBT)
// and encodes the signature, after checking it as a verifier would: every
// input's script with BIP-322's rules, against the outputs the PSBT says
// they spend. Multisig inputs need their threshold of signatures.
func Finish(p *btcpsbt.Packet) (Signed, error) {
	toSpend, err := packetToSpend(p)
	if err != nil {
		return Signed{}, err
	}
	prev := prevOuts(toSpend, nil)
	for i := 1; i < len(p.Inputs); i++ {
		out, err := psbtSpent(p, i)
		if err != nil {
			return Signed{}, err
		}
		prev.AddPrevOut(p.UnsignedTx.TxIn[i].PreviousOutPoint, out)
	}
	tx, err := psbt.Finalize(p)
	if err != nil {
		return Signed{}, fmt.Errorf("bip322: %w", err)
	}
	// btcd's finalizer keeps only the witness UTXO of a segwit input, but
	// to_spend must stay: a proof's verifier learns the commitment script
	// from it alone. BIP174 lets a finalizer keep UTXO fields.
	p.Inputs[0].NonWitnessUtxo = toSpend
	if err := verifyToSign(tx, prev); err != nil {
		return Signed{}, fmt.Errorf("bip322: the signed to_sign does not verify: %w", err)
	}
	var s Signed
	s.Full = base64.StdEncoding.EncodeToString(encodeTx(tx))
	if simpleAllowed(tx, toSpend.TxOut[0].PkScript) {
		s.Simple = base64.StdEncoding.EncodeToString(encodeWitness(tx.TxIn[0].Witness))
	}
	if s.PSBT, err = psbt.Encode(p); err != nil {
		return Signed{}, fmt.Errorf("bip322: %w", err)
	}
	return s, nil
}

// simpleAllowed is BIP-322's condition for the simple encoding: no inputs
// added, sequence and lock time left at 0, and a segwit address, native or
// wrapped in P2SH.
func simpleAllowed(tx *wire.MsgTx, pkScript []byte) bool {
	if len(tx.TxIn) != 1 || tx.Version != 0 || tx.LockTime != 0 || tx.TxIn[0].Sequence != 0 {
		return false
	}
	if txscript.IsWitnessProgram(pkScript) {
		return true
	}
	pushes, err := txscript.PushedData(tx.TxIn[0].SignatureScript)
	return err == nil && len(pushes) == 1 && txscript.IsPayToScriptHash(pkScript) && txscript.IsWitnessProgram(pushes[0])
}

// errNotToSign is wrapped by the errors about a PSBT that is not a BIP-322
// to_sign.
var errNotToSign = fmt.Errorf("%w: not a BIP-322 to_sign PSBT", ErrInvalid)

// packetToSpend returns the to_spend a to_sign PSBT's first input carries,
// after checking that the PSBT has to_sign's shape and spends it.
func packetToSpend(p *btcpsbt.Packet) (*wire.MsgTx, error) {
	if p == nil || p.UnsignedTx == nil || len(p.UnsignedTx.TxIn) == 0 || len(p.Inputs) != len(p.UnsignedTx.TxIn) {
		return nil, fmt.Errorf("%w: it has no inputs, or input maps that do not match its transaction", errNotToSign)
	}
	toSpend := p.Inputs[0].NonWitnessUtxo
	if _, ok := toSpendMessageHash(toSpend); !ok {
		return nil, fmt.Errorf("%w: input 0 must carry to_spend (version 0, one input spending the null outpoint with OP_0 PUSH32[message hash], one 0-value output) as its previous transaction", errNotToSign)
	}
	if got, want := p.UnsignedTx.TxIn[0].PreviousOutPoint, (wire.OutPoint{Hash: toSpend.TxHash(), Index: 0}); got != want {
		return nil, fmt.Errorf("%w: input 0 spends %v, not to_spend's output %v", errNotToSign, got, want)
	}
	if err := checkShape(p.UnsignedTx); err != nil {
		return nil, fmt.Errorf("%w: %w", errNotToSign, err)
	}
	return toSpend, nil
}

// psbtSpent is the output a PSBT says input i spends.
func psbtSpent(p *btcpsbt.Packet, i int) (*wire.TxOut, error) {
	pin, op := p.Inputs[i], p.UnsignedTx.TxIn[i].PreviousOutPoint
	switch {
	case pin.WitnessUtxo != nil:
		return pin.WitnessUtxo, nil
	case pin.NonWitnessUtxo != nil && pin.NonWitnessUtxo.TxHash() == op.Hash && int(op.Index) < len(pin.NonWitnessUtxo.TxOut):
		return pin.NonWitnessUtxo.TxOut[op.Index], nil
	}
	return nil, fmt.Errorf("bip322: input %d (%v) carries neither its previous transaction nor its witness UTXO", i, op)
}
