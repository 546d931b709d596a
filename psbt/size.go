package psbt

import (
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

// estimateWeight is the weight the transaction will have once every input is
// signed, assuming single-key spends for the script each input spends. exact
// is false when some input's script type has no fixed signed size.
func estimateWeight(tx *wire.MsgTx, spent [][]byte) (weight int64, exact bool) {
	exact = true
	weight = int64(tx.SerializeSizeStripped()) * 4
	witness := false
	var witnessWeight int64
	for i := range tx.TxIn {
		var script []byte
		if i < len(spent) {
			script = spent[i]
		}
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
		case txscript.IsPayToScriptHash(script):
			// assumed P2SH-P2WPKH, the only P2SH single-key wallet type
			weight += p2shP2wpkhScript * 4
			witness = true
			witnessWeight += p2wpkhWitness
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

// dustLimit is the smallest value Bitcoin Core relays for an output with
// this script, at its default dust relay fee of 3 sat/vB: three times the
// size of the output plus the size of an input spending it.
func dustLimit(script []byte) int64 {
	out := int64(8 + wire.VarIntSerializeSize(uint64(len(script))) + len(script))
	spend := int64(32 + 4 + 1 + 107 + 4)
	if txscript.IsWitnessProgram(script) {
		spend = 32 + 4 + 1 + 107/4 + 4
	}
	return 3 * (out + spend)
}
