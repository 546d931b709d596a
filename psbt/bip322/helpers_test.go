package bip322

import (
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/psbt"
)

// testKey is the n-th of the tests' fixed keys.
func testKey(n int) *btcec.PrivateKey {
	seed := sha256.Sum256([]byte(fmt.Sprintf("airsign bip322 test key %d", n)))
	k, _ := btcec.PrivKeyFromBytes(seed[:])
	return k
}

func pub(k *btcec.PrivateKey) []byte { return k.PubKey().SerializeCompressed() }

func mustScript(t testing.TB, b *txscript.ScriptBuilder) []byte {
	t.Helper()
	s, err := b.Script()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func p2pkh(t testing.TB, k *btcec.PrivateKey) []byte {
	return mustScript(t, txscript.NewScriptBuilder().AddOp(txscript.OP_DUP).AddOp(txscript.OP_HASH160).
		AddData(btcutil.Hash160(pub(k))).AddOp(txscript.OP_EQUALVERIFY).AddOp(txscript.OP_CHECKSIG))
}

func p2wpkh(t testing.TB, k *btcec.PrivateKey) []byte {
	return mustScript(t, txscript.NewScriptBuilder().AddOp(txscript.OP_0).AddData(btcutil.Hash160(pub(k))))
}

func p2tr(t testing.TB, k *btcec.PrivateKey) []byte {
	s, err := txscript.PayToTaprootScript(txscript.ComputeTaprootKeyNoScript(k.PubKey()))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func p2sh(t testing.TB, redeem []byte) []byte {
	return mustScript(t, txscript.NewScriptBuilder().AddOp(txscript.OP_HASH160).AddData(btcutil.Hash160(redeem)).AddOp(txscript.OP_EQUAL))
}

func p2wsh(t testing.TB, ws []byte) []byte {
	h := sha256.Sum256(ws)
	return mustScript(t, txscript.NewScriptBuilder().AddOp(txscript.OP_0).AddData(h[:]))
}

// multisig is an m-of-n CHECKMULTISIG script of the keys, in their order.
func multisig(t testing.TB, m int, keys ...*btcec.PrivateKey) []byte {
	b := txscript.NewScriptBuilder().AddInt64(int64(m))
	for _, k := range keys {
		b.AddData(pub(k))
	}
	return mustScript(t, b.AddInt64(int64(len(keys))).AddOp(txscript.OP_CHECKMULTISIG))
}

// signInput signs input i of p with each key, as a kiosk's signer would:
// SIGHASH_ALL (Taproot's default) over the outputs the PSBT says the inputs
// spend, a partial signature (or Taproot key-path signature) for each key.
func signInput(t testing.TB, p *btcpsbt.Packet, i int, keys ...*btcec.PrivateKey) {
	t.Helper()
	signInputHashType(t, p, i, txscript.SigHashDefault, keys...)
}

// signInputHashType is signInput with a sighash type: SigHashDefault means
// SIGHASH_ALL for ECDSA and the 64-byte default for Schnorr.
func signInputHashType(t testing.TB, p *btcpsbt.Packet, i int, hashType txscript.SigHashType, keys ...*btcec.PrivateKey) {
	t.Helper()
	ecdsaType := hashType
	if hashType == txscript.SigHashDefault {
		ecdsaType = txscript.SigHashAll
	}
	prev := txscript.NewMultiPrevOutFetcher(nil)
	for j := range p.Inputs {
		out, err := psbtSpent(p, j)
		if err != nil {
			t.Fatal(err)
		}
		prev.AddPrevOut(p.UnsignedTx.TxIn[j].PreviousOutPoint, out)
	}
	tx := p.UnsignedTx
	hashes := txscript.NewTxSigHashes(tx, prev)
	pin := &p.Inputs[i]
	if ecdsaType != txscript.SigHashAll {
		pin.SighashType = ecdsaType
	}
	out := prev.FetchPrevOutput(tx.TxIn[i].PreviousOutPoint)
	for _, k := range keys {
		var sig []byte
		var err error
		switch {
		case txscript.IsPayToTaproot(out.PkScript):
			pin.TaprootKeySpendSig, err = txscript.RawTxInTaprootSignature(tx, hashes, i, out.Value, out.PkScript, nil, hashType, k)
			if err != nil {
				t.Fatal(err)
			}
			continue
		case pin.WitnessUtxo != nil:
			code := pin.WitnessScript
			if code == nil {
				code = p2pkh(t, k)
			}
			sig, err = txscript.RawTxInWitnessSignature(tx, hashes, i, out.Value, code, ecdsaType, k)
		default:
			code := pin.RedeemScript
			if code == nil {
				code = out.PkScript
			}
			sig, err = txscript.RawTxInSignature(tx, i, code, ecdsaType, k)
		}
		if err != nil {
			t.Fatal(err)
		}
		pin.PartialSigs = append(pin.PartialSigs, &btcpsbt.PartialSig{PubKey: pub(k), Signature: sig})
	}
}

// finalizeForTest finalizes p without Finish's BIP-322 checks, so that the
// tests can make signatures Verify must refuse.
func finalizeForTest(p *btcpsbt.Packet) (*wire.MsgTx, error) { return psbt.Finalize(p) }
