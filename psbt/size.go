package psbt

import (
	"bytes"
	"crypto/sha256"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// Signed sizes of the single-key spends, in weight units: what signing
// adds to an input of the unsigned transaction. ECDSA signatures are
// counted at 72 bytes (the DER maximum with sighash byte), so the estimate
// errs towards a lower fee rate than the real one by at most a few percent.
const (
	p2wpkhWitness    = 1 + 1 + 72 + 1 + 33 // items, sig, pubkey
	p2trKeyWitness   = 1 + 1 + 64          // items, schnorr sig (DEFAULT sighash)
	p2pkhScriptSig   = 1 + 72 + 1 + 33     // push sig, push pubkey
	p2shP2wpkhScript = 1 + 22              // push of the 22-byte redeem script
)

// spentScripts is what an input's signed size depends on: the script it
// spends and, for script hashes, the redeem and witness scripts behind it
// (the wallet's for an input of ours, the PSBT's for a foreign one).
type spentScripts struct {
	pkScript, redeem, witness []byte
}

// multisigWitness is the signed witness of a k-of-n CHECKMULTISIG witness
// script: item count, the empty item CHECKMULTISIG pops, k signatures and
// the script.
func multisigWitness(script []byte, k int) int64 {
	items := 2 + k
	return int64(wire.VarIntSerializeSize(uint64(items)) + 1 + k*(1+72) +
		wire.VarIntSerializeSize(uint64(len(script))) + len(script))
}

// p2shP2wshScript is the scriptSig of a P2SH-P2WSH spend: the push of the
// 34-byte P2WSH program.
const p2shP2wshScript = 1 + 34

// estimateWeight is the weight the transaction will have once every input is
// signed: single-key spends for the single-key script types, and k
// signatures for multisig witness scripts it knows. exact is false when
// some input's signed size cannot be known: a script hash whose script the
// PSBT does not give, or that is not a multisig.
func estimateWeight(tx *wire.MsgTx, spent []spentScripts) (weight int64, exact bool) {
	exact = true
	weight = int64(tx.SerializeSizeStripped()) * 4
	witness := false
	var witnessWeight int64
	for i := range tx.TxIn {
		var s spentScripts
		if i < len(spent) {
			s = spent[i]
		}
		script := s.pkScript
		switch {
		case txscript.IsPayToWitnessPubKeyHash(script):
			witness = true
			witnessWeight += p2wpkhWitness
		case txscript.IsPayToTaproot(script):
			witness = true
			witnessWeight += p2trKeyWitness
		case txscript.IsPayToPubKeyHash(script):
			weight += p2pkhScriptSig * 4
			witnessWeight++ // empty stack count, if the tx has witnesses
		case txscript.IsPayToWitnessScriptHash(script):
			witness = true
			w, ok := multisigSize(script, s.witness)
			witnessWeight += w
			exact = exact && ok
		case txscript.IsPayToScriptHash(script):
			witness = true
			redeem := s.redeem
			if redeem != nil && !bytes.Equal(script[2:22], btcutil.Hash160(redeem)) {
				redeem = nil // not this input's: estimate
			}
			switch {
			case txscript.IsPayToWitnessPubKeyHash(redeem):
				weight += p2shP2wpkhScript * 4
				witnessWeight += p2wpkhWitness
			case txscript.IsPayToWitnessScriptHash(redeem):
				weight += p2shP2wshScript * 4
				w, ok := multisigSize(redeem, s.witness)
				witnessWeight += w
				exact = exact && ok
			default:
				// assumed P2SH-P2WPKH, the only P2SH single-key
				// wallet type
				weight += p2shP2wpkhScript * 4
				witnessWeight += p2wpkhWitness
				exact = false
			}
		default:
			exact = false
			witness = true
			witnessWeight += p2wpkhWitness
		}
	}
	if witness {
		weight += 2 + witnessWeight // marker and flag
	}
	return weight, exact
}

// multisigSize is the signed witness of a P2WSH program whose witness
// script is given: exact for a multisig that hashes to the program, a
// single-key guess otherwise.
func multisigSize(program, script []byte) (int64, bool) {
	if script != nil {
		h := sha256.Sum256(script)
		if k, _, ok := parseMultisig(script); ok && bytes.Equal(program[2:], h[:]) {
			return multisigWitness(script, k), true
		}
	}
	return p2wpkhWitness, false
}

// DustLimit is the smallest value Bitcoin Core relays in an output with
// this script at its default dust relay fee of 3 sat/vB: three times the
// size of the output and of an input spending it (546 sat for P2PKH, 294
// for P2WPKH, 330 for P2TR and P2WSH). Analyze refuses payments below it;
// the coordinator builds none.
func DustLimit(script []byte) btcutil.Amount {
	return btcutil.Amount(dustLimit(script))
}

func dustLimit(script []byte) int64 {
	out := int64(8 + wire.VarIntSerializeSize(uint64(len(script))) + len(script))
	spend := int64(32 + 4 + 1 + 107 + 4)
	if txscript.IsWitnessProgram(script) {
		spend = 32 + 4 + 1 + 107/4 + 4
	}
	return 3 * (out + spend)
}
