package psbt

import (
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
func Finalize(p *btcpsbt.Packet) (*wire.MsgTx, error) {
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
