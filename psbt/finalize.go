package psbt

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

func hash160(b []byte) []byte { return btcutil.Hash160(b) }

// Finalize turns every input's signatures into its final scriptSig and
// witness (BIP174 Finalizer) and extracts the network transaction (Extractor).
// Before returning, it runs each input's script through btcd's script engine
// with every spent output, so a transaction that a node would reject for its
// scripts never leaves.
//
// Multisig inputs (a CHECKMULTISIG witness script, native or wrapped in
// P2SH) are finalized here rather than by btcd, whose finalizer insists on
// exactly as many signatures as the threshold: with more, the first ones in
// the script's key order are used; with fewer, the error says how many are
// missing. Segwit inputs that carry only the previous transaction get their
// witness UTXO from it first, since btcd's finalizer would otherwise build a
// legacy scriptSig for them.
func Finalize(p *btcpsbt.Packet) (*wire.MsgTx, error) {
	if p == nil || p.UnsignedTx == nil || len(p.Inputs) != len(p.UnsignedTx.TxIn) {
		return nil, errors.New("cannot finalize: no PSBT, or one whose input maps do not match its transaction")
	}
	for i := range p.Inputs {
		pin := &p.Inputs[i]
		if pin.FinalScriptSig != nil || pin.FinalScriptWitness != nil {
			continue
		}
		if err := addWitnessUTXO(p, i); err != nil {
			return nil, err
		}
		if _, _, ok := parseMultisig(pin.WitnessScript); ok {
			if err := finalizeMultisig(p, i); err != nil {
				return nil, err
			}
		}
	}
	if err := btcpsbt.MaybeFinalizeAll(p); err != nil {
		return nil, fmt.Errorf("cannot finalize: %w", err)
	}
	tx, err := btcpsbt.Extract(p)
	if err != nil {
		return nil, fmt.Errorf("cannot extract the transaction: %w", err)
	}
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	for i, txIn := range tx.TxIn {
		out, err := spentOutput(p, i)
		if err != nil {
			return nil, err
		}
		fetcher.AddPrevOut(txIn.PreviousOutPoint, out)
	}
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	for i := range tx.TxIn {
		out := fetcher.FetchPrevOutput(tx.TxIn[i].PreviousOutPoint)
		vm, err := txscript.NewEngine(out.PkScript, tx, i, txscript.StandardVerifyFlags, nil, hashes, out.Value, fetcher)
		if err != nil {
			return nil, fmt.Errorf("input %d: %w", i, err)
		}
		if err := vm.Execute(); err != nil {
			return nil, fmt.Errorf("input %d does not verify: %w", i, err)
		}
	}
	return tx, nil
}

// spentOutput is the output input i spends, from the previous transaction
// when the PSBT has it.
func spentOutput(p *btcpsbt.Packet, i int) (*wire.TxOut, error) {
	pin := p.Inputs[i]
	op := p.UnsignedTx.TxIn[i].PreviousOutPoint
	if pin.NonWitnessUtxo != nil {
		if pin.NonWitnessUtxo.TxHash() != op.Hash || int(op.Index) >= len(pin.NonWitnessUtxo.TxOut) {
			return nil, fmt.Errorf("input %d: the previous transaction does not hold the spent output", i)
		}
		return pin.NonWitnessUtxo.TxOut[op.Index], nil
	}
	if pin.WitnessUtxo != nil {
		return pin.WitnessUtxo, nil
	}
	return nil, fmt.Errorf("input %d: the spent output is unknown", i)
}

// addWitnessUTXO sets the witness UTXO of a segwit input that carries only
// its previous transaction. BIP174 allows that (and for segwit v0 the
// previous transaction is what proves the amount), but btcd's finalizer
// decides between witness and legacy by the witness UTXO alone.
func addWitnessUTXO(p *btcpsbt.Packet, i int) error {
	pin := &p.Inputs[i]
	if pin.WitnessUtxo != nil || pin.NonWitnessUtxo == nil {
		return nil
	}
	out, err := spentOutput(p, i)
	if err != nil {
		return err
	}
	segwit := txscript.IsWitnessProgram(out.PkScript) ||
		(txscript.IsPayToScriptHash(out.PkScript) && txscript.IsWitnessProgram(pin.RedeemScript))
	if segwit {
		pin.WitnessUtxo = wire.NewTxOut(out.Value, out.PkScript)
	}
	return nil
}

// finalizeMultisig builds the final witness of a multisig input, native
// P2WSH or P2SH-P2WSH, from the first k partial signatures in the order
// of the keys in the witness script (CHECKMULTISIG needs that order).
func finalizeMultisig(p *btcpsbt.Packet, i int) error {
	pin := &p.Inputs[i]
	script := pin.WitnessScript
	k, keys, _ := parseMultisig(script)
	out, err := spentOutput(p, i)
	if err != nil {
		return err
	}
	h := sha256.Sum256(script)
	program := append([]byte{txscript.OP_0, 32}, h[:]...)
	var scriptSig []byte
	switch {
	case bytes.Equal(out.PkScript, program):
		if pin.RedeemScript != nil {
			return fmt.Errorf("input %d spends a P2WSH output but carries a redeem script", i)
		}
	case txscript.IsPayToScriptHash(out.PkScript) && bytes.Equal(pin.RedeemScript, program) &&
		bytes.Equal(out.PkScript[2:22], btcutil.Hash160(program)):
		if scriptSig, err = txscript.NewScriptBuilder().AddData(program).Script(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("input %d: its witness script is not the script the input spends", i)
	}
	want := txscript.SigHashAll
	if pin.SighashType != 0 {
		want = pin.SighashType
	}
	sigs := map[string][]byte{}
	for _, ps := range pin.PartialSigs {
		if len(ps.Signature) == 0 || txscript.SigHashType(ps.Signature[len(ps.Signature)-1]) != want {
			return fmt.Errorf("input %d: the signature of key %x is not of sighash type %#x", i, ps.PubKey, uint32(want))
		}
		sigs[string(ps.PubKey)] = ps.Signature
	}
	witness := wire.TxWitness{nil} // the extra item CHECKMULTISIG pops
	for _, key := range keys {
		if sig, ok := sigs[string(key)]; ok && len(witness) <= k {
			witness = append(witness, sig)
		}
	}
	if have := len(witness) - 1; have < k {
		return fmt.Errorf("input %d has %d of the %d signatures its %d-of-%d multisig needs: combine the cosigners' signed PSBTs first", i, have, k, k, len(keys))
	}
	witness = append(witness, script)
	var buf bytes.Buffer
	if err := btcpsbt.WriteTxWitness(&buf, witness); err != nil {
		return err
	}
	// BIP174: the finalizer keeps the UTXOs and unknown fields and clears
	// what signing needed.
	*pin = btcpsbt.PInput{
		NonWitnessUtxo:     pin.NonWitnessUtxo,
		WitnessUtxo:        pin.WitnessUtxo,
		FinalScriptSig:     scriptSig,
		FinalScriptWitness: buf.Bytes(),
		Unknowns:           pin.Unknowns,
	}
	return nil
}
