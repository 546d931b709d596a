package psbt

import (
	"encoding/binary"
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
)

// txShape is what the scanner needs to know of a transaction.
type txShape struct {
	nIn, nOut int
}

// Smallest serializations, used to bound counts by the bytes that remain.
const (
	minTxInSize  = 32 + 4 + 1 + 4 // outpoint, empty script, sequence
	minTxOutSize = 8 + 1          // amount, empty script
)

// scanTx checks that b is exactly one transaction in network serialization
// before btcd's wire package reads it: wire allocates for the declared input,
// output and witness counts before reading them (up to millions of elements
// for a few bytes of input), and it ignores bytes after the transaction,
// which btcd's PSBT code then silently drops.
//
// The unsigned transaction of a version 0 PSBT (witness false) must be in the
// legacy serialization with empty scriptSigs, and its counts are held to
// MaxInputs and MaxOutputs. A previous transaction (witness true) may carry
// witnesses and any number of inputs and outputs its bytes can hold.
func scanTx(b []byte, base int, where, what string, witness bool) (txShape, error) {
	shape, err := scanTxBody(b, base, where, what, witness)
	if err != nil && !witness && len(b) >= 6 && b[4] == 0x00 && b[5] == 0x01 {
		// Zero inputs and one output also start this way, so the
		// serialization is only blamed when the legacy reading fails.
		return shape, errAt(ErrInvalidField, where, base, "%s is in witness serialization (marker 0x00, flag 0x01 after the version); BIP174 requires the legacy serialization without witnesses%s", what, advice)
	}
	return shape, err
}

func scanTxBody(b []byte, base int, where, what string, witness bool) (txShape, error) {
	r := &reader{b: b, base: base, where: where}
	var shape txShape
	if _, err := r.take(4, what+"'s version"); err != nil {
		return shape, err
	}
	segwit := witness && r.remaining() >= 2 && b[r.off] == 0x00 && b[r.off+1] == 0x01
	if segwit {
		r.off += 2
	}
	limitIn, limitOut := 0, 0
	if !witness {
		limitIn, limitOut = MaxInputs, MaxOutputs
	}
	var err error
	if shape.nIn, err = r.count("inputs in "+what, minTxInSize, limitIn); err != nil {
		return shape, err
	}
	for i := 0; i < shape.nIn; i++ {
		if _, err := r.take(36, fmt.Sprintf("the outpoint of input %d of %s", i, what)); err != nil {
			return shape, err
		}
		sig, err := r.varBytes(fmt.Sprintf("the scriptSig of input %d of %s", i, what))
		if err != nil {
			return shape, err
		}
		if !witness && len(sig) != 0 {
			return shape, r.errf(ErrInvalidField, "input %d of %s has a scriptSig (%d bytes); BIP174 requires an unsigned transaction with empty scriptSigs%s", i, what, len(sig), advice)
		}
		if _, err := r.take(4, fmt.Sprintf("the sequence of input %d of %s", i, what)); err != nil {
			return shape, err
		}
	}
	if shape.nOut, err = r.count("outputs in "+what, minTxOutSize, limitOut); err != nil {
		return shape, err
	}
	for i := 0; i < shape.nOut; i++ {
		if err := scanAmount(r, fmt.Sprintf("output %d of %s", i, what)); err != nil {
			return shape, err
		}
		if _, err := r.varBytes(fmt.Sprintf("the script of output %d of %s", i, what)); err != nil {
			return shape, err
		}
	}
	if segwit {
		any := false
		for i := 0; i < shape.nIn; i++ {
			n, err := r.count(fmt.Sprintf("witness items of input %d of %s", i, what), 1, 0)
			if err != nil {
				return shape, err
			}
			any = any || n > 0
			for j := 0; j < n; j++ {
				if _, err := r.varBytes(fmt.Sprintf("witness item %d of input %d of %s", j, i, what)); err != nil {
					return shape, err
				}
			}
		}
		if !any {
			return shape, r.errf(ErrInvalidField, "%s is marked as segwit but has no witness data, which BIP144 forbids%s", what, advice)
		}
	}
	if _, err := r.take(4, what+"'s lock time"); err != nil {
		return shape, err
	}
	if r.remaining() != 0 {
		return shape, r.errf(ErrTrailingData, "%d bytes follow %s inside its field; they would be dropped when the PSBT is written again%s", r.remaining(), what, advice)
	}
	return shape, nil
}

// scanAmount reads an 8-byte amount and refuses one outside 0 to 21 million
// bitcoin, which no valid output has.
func scanAmount(r *reader, what string) error {
	b, err := r.take(8, "the amount of "+what)
	if err != nil {
		return err
	}
	if v := int64(binary.LittleEndian.Uint64(b)); v < 0 || v > btcutil.MaxSatoshi {
		return errAt(ErrInvalidField, r.where, r.pos()-8, "the amount of %s is %d satoshi, outside 0 to 21,000,000 BTC%s", what, v, advice)
	}
	return nil
}

// scanTxOut checks PSBT_IN_WITNESS_UTXO: an amount and a script whose
// compact size length matches the rest of the value exactly. btcd reads the
// script as everything after byte 9, so it ignores the length and misreads
// scripts of 253 bytes or more.
func scanTxOut(b []byte, base int, where string) (int64, []byte, error) {
	r := &reader{b: b, base: base, where: where}
	if err := scanAmount(r, "the witness UTXO"); err != nil {
		return 0, nil, err
	}
	script, err := r.varBytes("the witness UTXO's script")
	if err != nil {
		return 0, nil, err
	}
	if r.remaining() != 0 {
		return 0, nil, r.errf(ErrTrailingData, "%d bytes follow the witness UTXO's script inside its field%s", r.remaining(), advice)
	}
	return int64(binary.LittleEndian.Uint64(b)), script, nil
}

// scanWitness checks PSBT_IN_FINAL_SCRIPTWITNESS: a witness stack, exactly.
func scanWitness(b []byte, base int, where string) error {
	r := &reader{b: b, base: base, where: where}
	n, err := r.count("items in the final script witness", 1, 0)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if _, err := r.varBytes(fmt.Sprintf("item %d of the final script witness", i)); err != nil {
			return err
		}
	}
	if r.remaining() != 0 {
		return r.errf(ErrTrailingData, "%d bytes follow the final script witness inside its field%s", r.remaining(), advice)
	}
	return nil
}
