package psbt

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// ErrBadSignature is wrapped by VerifySignatures' errors.
var ErrBadSignature = errors.New("bad signature")

// VerifySignatures checks every signature a PSBT carries, whoever made it:
// each partial signature (ECDSA) against the sighash of its input, computed
// from the spent output and the script the input spends through, and each
// taproot key-path signature against the spent output's key. Inputs that are
// already finalized are checked by running their final scripts. It returns
// the number of signatures checked. The coordinator runs it on what comes
// back from the kiosks, before combining and broadcasting.
func VerifySignatures(p *btcpsbt.Packet) (int, error) {
	if p == nil || p.UnsignedTx == nil || len(p.Inputs) != len(p.UnsignedTx.TxIn) {
		return 0, errors.New("no PSBT to verify")
	}
	tx := p.UnsignedTx
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	spent := make([]*wire.TxOut, len(tx.TxIn))
	for i, txIn := range tx.TxIn {
		out, err := spentOutput(p, i)
		if err != nil {
			return 0, err
		}
		spent[i] = out
		fetcher.AddPrevOut(txIn.PreviousOutPoint, out)
	}
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	checked := 0
	for i := range tx.TxIn {
		pin := &p.Inputs[i]
		out := spent[i]
		if len(pin.FinalScriptSig) > 0 || len(pin.FinalScriptWitness) > 0 {
			if err := verifyFinal(tx, i, pin, out, hashes, fetcher); err != nil {
				return checked, err
			}
			checked++
			continue
		}
		if sig := pin.TaprootKeySpendSig; len(sig) > 0 {
			if err := verifyTaprootKeySpend(tx, i, sig, out, hashes, fetcher); err != nil {
				return checked, err
			}
			checked++
		}
		for _, ps := range pin.PartialSigs {
			if err := verifyPartial(tx, i, pin, ps, out, hashes); err != nil {
				return checked, err
			}
			checked++
		}
		for _, ss := range pin.TaprootScriptSpendSig {
			if err := verifyTapscript(tx, i, pin, ss, hashes, fetcher); err != nil {
				return checked, err
			}
			checked++
		}
	}
	return checked, nil
}

func verifyTaprootKeySpend(tx *wire.MsgTx, i int, sig []byte, out *wire.TxOut, hashes *txscript.TxSigHashes, fetcher txscript.PrevOutputFetcher) error {
	if !txscript.IsPayToTaproot(out.PkScript) {
		return fmt.Errorf("input %d: %w: a taproot key-path signature on an input that does not spend a taproot output", i, ErrBadSignature)
	}
	hashType := txscript.SigHashDefault
	switch len(sig) {
	case 64:
	case 65:
		hashType = txscript.SigHashType(sig[64])
		if hashType == txscript.SigHashDefault {
			return fmt.Errorf("input %d: %w: a 65-byte taproot signature may not name SIGHASH_DEFAULT", i, ErrBadSignature)
		}
		sig = sig[:64]
	default:
		return fmt.Errorf("input %d: %w: a taproot signature is 64 or 65 bytes, not %d", i, ErrBadSignature, len(sig))
	}
	hash, err := txscript.CalcTaprootSignatureHash(hashes, hashType, tx, i, fetcher)
	if err != nil {
		return fmt.Errorf("input %d: %w", i, err)
	}
	key, err := schnorr.ParsePubKey(out.PkScript[2:])
	if err != nil {
		return fmt.Errorf("input %d: the spent output's taproot key is invalid: %w", i, err)
	}
	s, err := schnorr.ParseSignature(sig)
	if err != nil || !s.Verify(hash, key) {
		return fmt.Errorf("input %d: %w: the taproot key-path signature does not verify", i, ErrBadSignature)
	}
	return nil
}

func verifyPartial(tx *wire.MsgTx, i int, pin *btcpsbt.PInput, ps *btcpsbt.PartialSig, out *wire.TxOut, hashes *txscript.TxSigHashes) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("input %d, signature of key %x: %w: %s", i, ps.PubKey, ErrBadSignature, fmt.Sprintf(format, args...))
	}
	if len(ps.Signature) < 2 {
		return fail("it is empty")
	}
	pub, err := btcec.ParsePubKey(ps.PubKey)
	if err != nil {
		return fail("the public key is invalid")
	}
	hashType := txscript.SigHashType(ps.Signature[len(ps.Signature)-1])
	sig, err := ecdsa.ParseDERSignature(ps.Signature[:len(ps.Signature)-1])
	if err != nil {
		return fail("it is not a DER signature")
	}
	// The script the input spends through: the output script itself, or
	// the P2SH redeem script, then for segwit v0 its witness program.
	script := out.PkScript
	if txscript.IsPayToScriptHash(script) {
		if len(pin.RedeemScript) == 0 || !bytes.Equal(p2shScript(pin.RedeemScript), script) {
			return fail("the input's redeem script is missing or does not hash to the spent output")
		}
		script = pin.RedeemScript
	}
	var hash []byte
	switch {
	case txscript.IsPayToWitnessPubKeyHash(script):
		if !bytes.Equal(script[2:], hash160(ps.PubKey)) {
			return fail("the key is not the one the spent output pays to")
		}
		hash, err = txscript.CalcWitnessSigHash(script, hashes, hashType, tx, i, out.Value)
	case txscript.IsPayToWitnessScriptHash(script):
		if len(pin.WitnessScript) == 0 || !bytes.Equal(p2wshScript(pin.WitnessScript), script) {
			return fail("the input's witness script is missing or does not hash to the spent output")
		}
		// A miniscript pkh() holds the key's hash, not the key.
		if !bytes.Contains(pin.WitnessScript, ps.PubKey) && !bytes.Contains(pin.WitnessScript, hash160(ps.PubKey)) {
			return fail("the key is not in the witness script")
		}
		hash, err = txscript.CalcWitnessSigHash(pin.WitnessScript, hashes, hashType, tx, i, out.Value)
	case txscript.IsPayToPubKeyHash(script):
		if !bytes.Equal(script[3:23], hash160(ps.PubKey)) {
			return fail("the key is not the one the spent output pays to")
		}
		hash, err = txscript.CalcSignatureHash(script, hashType, tx, i)
	default:
		// legacy P2SH scripts (a redeem script such as a bare multisig)
		if !bytes.Contains(script, ps.PubKey) {
			return fail("the key is not in the script the input spends")
		}
		hash, err = txscript.CalcSignatureHash(script, hashType, tx, i)
	}
	if err != nil {
		return fail("its sighash cannot be computed: %v", err)
	}
	if !sig.Verify(hash, pub) {
		return fail("it does not verify")
	}
	return nil
}

// verifyFinal runs a finalized input's scripts through btcd's engine.
func verifyFinal(tx *wire.MsgTx, i int, pin *btcpsbt.PInput, out *wire.TxOut, hashes *txscript.TxSigHashes, fetcher txscript.PrevOutputFetcher) error {
	signed := tx.Copy()
	signed.TxIn[i].SignatureScript = pin.FinalScriptSig
	if len(pin.FinalScriptWitness) > 0 {
		witness, err := parseWitness(pin.FinalScriptWitness)
		if err != nil {
			return fmt.Errorf("input %d: the final witness is malformed: %w", i, err)
		}
		signed.TxIn[i].Witness = witness
	}
	vm, err := txscript.NewEngine(out.PkScript, signed, i, txscript.StandardVerifyFlags, nil, hashes, out.Value, fetcher)
	if err != nil {
		return fmt.Errorf("input %d: %w", i, err)
	}
	if err := vm.Execute(); err != nil {
		return fmt.Errorf("input %d: %w: its final scripts do not verify: %v", i, ErrBadSignature, err)
	}
	return nil
}

func parseWitness(b []byte) (wire.TxWitness, error) {
	r := bytes.NewReader(b)
	n, err := wire.ReadVarInt(r, 0)
	if err != nil {
		return nil, err
	}
	if n > uint64(len(b)) {
		return nil, fmt.Errorf("claims %d items in %d bytes", n, len(b))
	}
	w := make(wire.TxWitness, 0, n)
	for k := uint64(0); k < n; k++ {
		item, err := wire.ReadVarBytes(r, 0, uint32(len(b)), "witness item")
		if err != nil {
			return nil, err
		}
		w = append(w, item)
	}
	if r.Len() != 0 {
		return nil, errors.New("trailing bytes")
	}
	return w, nil
}

func p2shScript(redeem []byte) []byte {
	return append(append([]byte{txscript.OP_HASH160, 20}, hash160(redeem)...), txscript.OP_EQUAL)
}

func p2wshScript(witness []byte) []byte {
	h := sha256.Sum256(witness)
	return append([]byte{txscript.OP_0, 32}, h[:]...)
}

// verifyTapscript checks a taproot script-path signature against the leaf
// it names, which the input must carry.
func verifyTapscript(tx *wire.MsgTx, i int, pin *btcpsbt.PInput, ss *btcpsbt.TaprootScriptSpendSig, hashes *txscript.TxSigHashes, fetcher txscript.PrevOutputFetcher) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("input %d, script-path signature of key %x: %w: %s", i, ss.XOnlyPubKey, ErrBadSignature, fmt.Sprintf(format, args...))
	}
	var leaf *txscript.TapLeaf
	for _, l := range pin.TaprootLeafScript {
		tl := txscript.NewTapLeaf(l.LeafVersion, l.Script)
		if h := tl.TapHash(); bytes.Equal(h[:], ss.LeafHash) {
			leaf = &tl
			break
		}
	}
	if leaf == nil {
		return fail("it names a leaf the input does not carry")
	}
	hash, err := txscript.CalcTapscriptSignaturehash(hashes, ss.SigHash, tx, i, fetcher, *leaf)
	if err != nil {
		return fail("%v", err)
	}
	key, err := schnorr.ParsePubKey(ss.XOnlyPubKey)
	if err != nil {
		return fail("the key is invalid")
	}
	sig, err := schnorr.ParseSignature(ss.Signature)
	if err != nil || !sig.Verify(hash, key) {
		return fail("it does not verify")
	}
	return nil
}
