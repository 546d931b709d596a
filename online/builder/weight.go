package builder

import (
	"fmt"

	"github.com/btcsuite/btcd/wire"

	"airsign/psbt/descriptor"
)

// Size estimates for coin selection, in weight units (BIP141: four per
// byte outside witnesses, one per witness byte; a virtual byte is four).
// They are worst cases of the signed transaction: ECDSA signatures are
// counted at 72 bytes with their sighash byte (the longest low-S DER
// signature, which is what signers make), so a real transaction weighs
// the estimate or up to a few units less per signature; Schnorr
// signatures (64 bytes, sighash DEFAULT) are exact.

// ecdsaSig is a pushed ECDSA signature: length byte, 71-byte DER at most
// with low S, sighash byte.
const ecdsaSig = 1 + 72

// InputWeight is the weight one input of wallet d adds to a signed
// transaction: outpoint, sequence, scriptSig with its length, and witness.
// 68 vbytes for P2WPKH, 57.5 for P2TR, 91 for P2SH-P2WPKH, 148 for P2PKH,
// and for a k-of-n multisig k signatures and the witness script.
func InputWeight(d *descriptor.Descriptor) (int, error) {
	if d == nil {
		return 0, fmt.Errorf("%w: no wallet descriptor", ErrRequest)
	}
	scriptSig, witness := 0, 0
	switch d.Script {
	case descriptor.P2PKH:
		scriptSig = ecdsaSig + 1 + 33
	case descriptor.P2SHP2WPKH:
		scriptSig = 1 + 22 // push of the P2WPKH program
		witness = 1 + ecdsaSig + 1 + 33
	case descriptor.P2WPKH:
		witness = 1 + ecdsaSig + 1 + 33 // item count, signature, key
	case descriptor.P2TR:
		witness = 1 + 1 + 64
	case descriptor.P2WSHMulti, descriptor.P2SHP2WSHMulti:
		k, n := d.Threshold, len(d.Keys)
		if n < 1 || n > descriptor.MaxMultisigKeys || k < 1 || k > n {
			return 0, fmt.Errorf("%w: the wallet is a %d-of-%d multisig", ErrRequest, k, n)
		}
		script := 1 + n*(1+33) + 1 + 1 // OP_k, keys, OP_n, OP_CHECKMULTISIG
		// item count, the empty item CHECKMULTISIG pops, k signatures,
		// the witness script
		witness = wire.VarIntSerializeSize(uint64(k+2)) + 1 + k*ecdsaSig + wire.VarIntSerializeSize(uint64(script)) + script
		if d.Script == descriptor.P2SHP2WSHMulti {
			scriptSig = 1 + 34 // push of the P2WSH program
		}
	default:
		return 0, fmt.Errorf("%w: the wallet's script type %d is not one airsign knows", ErrRequest, int(d.Script))
	}
	return 4*(32+4+wire.VarIntSerializeSize(uint64(scriptSig))+scriptSig+4) + witness, nil
}

// OutputWeight is the weight of an output paying to pkScript: value,
// script length and script.
func OutputWeight(pkScript []byte) int {
	return 4 * (8 + wire.VarIntSerializeSize(uint64(len(pkScript))) + len(pkScript))
}

// ChangeWeight is the weight of a change output of wallet d. For a
// descriptor of no known script type it is the largest standard output's
// (43 bytes, P2TR or P2WSH), so that estimates err high.
func ChangeWeight(d *descriptor.Descriptor) int {
	n := 34
	if d != nil {
		switch d.Script {
		case descriptor.P2PKH:
			n = 25
		case descriptor.P2SHP2WPKH, descriptor.P2SHP2WSHMulti:
			n = 23
		case descriptor.P2WPKH:
			n = 22
		}
	}
	return 4 * (8 + 1 + n)
}

// BaseWeight is the weight of a transaction of wallet d before its inputs
// and change: version, lock time, the input and output counts, the segwit
// marker and flag unless the wallet is P2PKH, and the payment outputs.
// The counts are sized for up to 252 inputs and for the payments plus a
// change output; Weight is exact for any number.
//
// Coin selection estimates a transaction of n inputs as
// BaseWeight + n*InputWeight (+ ChangeWeight with change).
func BaseWeight(d *descriptor.Descriptor, payments [][]byte) int {
	return baseWeight(d, 1, payments, true)
}

// Weight is the estimated weight of the signed transaction Build makes of
// n inputs of wallet d, the payments and, when change is set, a change
// output: BaseWeight + n*InputWeight (+ ChangeWeight), with the input and
// output counts sized for their numbers.
func Weight(d *descriptor.Descriptor, n int, payments [][]byte, change bool) (int, error) {
	in, err := InputWeight(d)
	if err != nil {
		return 0, err
	}
	w := baseWeight(d, n, payments, change) + n*in
	if change {
		w += ChangeWeight(d)
	}
	return w, nil
}

func baseWeight(d *descriptor.Descriptor, inputs int, payments [][]byte, change bool) int {
	outputs := len(payments)
	if change {
		outputs++
	}
	w := 4 * (4 + 4 + wire.VarIntSerializeSize(uint64(inputs)) + wire.VarIntSerializeSize(uint64(outputs)))
	if d == nil || d.Script != descriptor.P2PKH {
		w += 2 // marker and flag
	}
	for _, s := range payments {
		w += OutputWeight(s)
	}
	return w
}
