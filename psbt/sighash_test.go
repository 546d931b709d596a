package psbt

import (
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/psbt/descriptor"
)

// execute runs input i of tx through btcd's script engine with witness as
// its witness: the check a node makes, independent of Finalize.
func execute(t *testing.T, tx *wire.MsgTx, i int, witness wire.TxWitness, spent []*wire.TxOut) {
	t.Helper()
	tx = tx.Copy()
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	for j, in := range tx.TxIn {
		fetcher.AddPrevOut(in.PreviousOutPoint, spent[j])
	}
	tx.TxIn[i].Witness = witness
	vm, err := txscript.NewEngine(spent[i].PkScript, tx, i, txscript.StandardVerifyFlags, nil, txscript.NewTxSigHashes(tx, fetcher), spent[i].Value, fetcher)
	if err != nil {
		t.Fatal(err)
	}
	if err := vm.Execute(); err != nil {
		t.Errorf("input %d does not verify in btcd's script engine: %v", i, err)
	}
}

// A taproot input is signed with the sighash type it asks for: none or
// DEFAULT gives BIP341's 64-byte signature, ALL a 65-byte one ending in
// 0x01 whose digest commits to ALL. Before, ALL was signed as DEFAULT,
// which BIP174 forbids and bitcoinjs refuses to finalize.
func TestSignTaprootSighashAsRequested(t *testing.T) {
	for _, tt := range []struct {
		name    string
		sighash txscript.SigHashType
		wantLen int
	}{
		{"none given", txscript.SigHashDefault, 64},
		{"ALL", txscript.SigHashAll, 65},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, d := testWallet(t, descriptor.P2TR, descriptor.Regtest)
			defer m.Wipe()
			p := buildPSBT(t, d, []spend{{branch: 0, index: 0, amount: 60_000}, {branch: 0, index: 1, amount: 40_000}}, []pay{{amount: 90_000, script: foreignScript(t, 9)}})
			for i := range p.Inputs {
				p.Inputs[i].SighashType = tt.sighash
			}
			if _, err := Sign(p, d, DefaultPolicy, m); err != nil {
				t.Fatal(err)
			}
			spent := []*wire.TxOut{p.Inputs[0].WitnessUtxo, p.Inputs[1].WitnessUtxo}
			for i, pin := range p.Inputs {
				sig := pin.TaprootKeySpendSig
				if len(sig) != tt.wantLen {
					t.Fatalf("input %d: signature of %d bytes, want %d", i, len(sig), tt.wantLen)
				}
				if tt.wantLen == 65 && sig[64] != byte(txscript.SigHashAll) {
					t.Errorf("input %d: signature ends in %#x, want 0x01 (ALL)", i, sig[64])
				}
				execute(t, p.UnsignedTx, i, wire.TxWitness{sig}, spent)
			}
			if _, err := VerifySignatures(p); err != nil {
				t.Errorf("VerifySignatures: %v", err)
			}
		})
	}
}

// Segwit version 0 and legacy inputs are signed with ALL whether they ask
// for it or give no type.
func TestSignV0SighashAll(t *testing.T) {
	for _, st := range []descriptor.ScriptType{descriptor.P2WPKH, descriptor.P2SHP2WPKH, descriptor.P2PKH} {
		for _, sh := range []txscript.SigHashType{txscript.SigHashDefault, txscript.SigHashAll} {
			m, d := testWallet(t, st, descriptor.Regtest)
			p := buildPSBT(t, d, []spend{{branch: 0, index: 0, amount: 60_000}}, []pay{{amount: 50_000, script: foreignScript(t, 9)}})
			p.Inputs[0].SighashType = sh
			if _, err := Sign(p, d, DefaultPolicy, m); err != nil {
				t.Fatalf("%v, sighash %#x: %v", st, uint32(sh), err)
			}
			sig := p.Inputs[0].PartialSigs[0].Signature
			if got := sig[len(sig)-1]; got != byte(txscript.SigHashAll) {
				t.Errorf("%v, sighash %#x: signature of type %#x, want ALL", st, uint32(sh), got)
			}
			if _, err := Finalize(p); err != nil {
				t.Errorf("%v, sighash %#x: %v", st, uint32(sh), err)
			}
			m.Wipe()
		}
	}
}

// Every other type is a refusal with a sentence that names it, and no
// signature of any type.
func TestSignRefusesOtherSighash(t *testing.T) {
	for _, st := range []descriptor.ScriptType{descriptor.P2TR, descriptor.P2WPKH} {
		for _, tt := range []struct {
			sighash txscript.SigHashType
			name    string
		}{
			{txscript.SigHashNone, "NONE (0x2)"},
			{txscript.SigHashSingle, "SINGLE (0x3)"},
			{txscript.SigHashAll | txscript.SigHashAnyOneCanPay, "ALL|ANYONECANPAY (0x81)"},
			{txscript.SigHashNone | txscript.SigHashAnyOneCanPay, "NONE|ANYONECANPAY (0x82)"},
			{txscript.SigHashSingle | txscript.SigHashAnyOneCanPay, "SINGLE|ANYONECANPAY (0x83)"},
			{0x04, "0x4 (undefined)"},
		} {
			m, d := testWallet(t, st, descriptor.Regtest)
			p := buildPSBT(t, d, []spend{{branch: 0, index: 0, amount: 60_000}}, []pay{{amount: 50_000, script: foreignScript(t, 9)}})
			p.Inputs[0].SighashType = tt.sighash
			s, err := Sign(p, d, DefaultPolicy, m)
			m.Wipe()
			if !errors.Is(err, ErrNotSignable) {
				t.Fatalf("%v, %s: got %v, want ErrNotSignable", st, tt.name, err)
			}
			if len(p.Inputs[0].PartialSigs) != 0 || len(p.Inputs[0].TaprootKeySpendSig) != 0 {
				t.Errorf("%v, %s: a refused input got a signature", st, tt.name)
			}
			if len(s.Refusals) != 1 || s.Refusals[0].Code != CodeSighash || !strings.Contains(s.Refusals[0].Message, tt.name) {
				t.Errorf("%v: refusals %v, want one %s naming %s", st, s.Refusals, CodeSighash, tt.name)
			}
		}
	}
}
