package psbt

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/psbt/descriptor"
)

// KeyRing hands the signer the private key at a path of the wallet's master
// key. The psbt package never holds a seed; hd.Master implements KeyRing
// for the length of one signing session. The signer zeroes each key after
// use.
type KeyRing interface {
	DerivePrivate(path []uint32) (*btcec.PrivateKey, error)
}

// ErrNotSignable is returned by Sign for a PSBT that Analyze refuses.
var ErrNotSignable = errors.New("the PSBT is refused")

// Sign analyzes p against w and, only if nothing is refused, signs every
// input Analyze proved to be the wallet's, with SIGHASH_ALL (for taproot,
// DEFAULT unless the input asks for ALL) and deterministic nonces: RFC 6979 for ECDSA, BIP340's nonce
// with all-zero auxiliary data for Schnorr. Each signature is verified
// before it is added, and the transaction's sighash midstate is computed
// once, so the cost grows linearly with the inputs. It returns the summary
// it signed against.
//
// For a multisig wallet (pol.Cosigner names our key, see Analyze) Sign
// adds this cosigner's partial signature over the wallet's witness script
// and sets the input's witness and redeem scripts from the wallet; the
// other cosigners sign their own copies, and Combine merges them.
func Sign(p *btcpsbt.Packet, w *descriptor.Descriptor, pol Policy, keys KeyRing) (*Summary, error) {
	s, err := Analyze(p, w, pol)
	if err != nil {
		return nil, err
	}
	fetcher, hashes, err := signingSetup(p, s)
	if err != nil {
		return s, err
	}
	for _, in := range s.Inputs {
		if !in.Ours {
			continue
		}
		if err := signInput(p, w, hashes, fetcher, in, keys); err != nil {
			return s, fmt.Errorf("input %d: %w", in.Index, err)
		}
	}
	return s, nil
}

// signingSetup refuses what s does not let be signed, and computes the
// transaction's sighash midstate once from the spent outputs Analyze
// proved.
func signingSetup(p *btcpsbt.Packet, s *Summary) (*txscript.MultiPrevOutFetcher, *txscript.TxSigHashes, error) {
	if !s.Signable() {
		if len(s.Refusals) > 0 {
			return nil, nil, fmt.Errorf("%w: %s", ErrNotSignable, s.Refusals[0].Message)
		}
		return nil, nil, fmt.Errorf("%w: no input is this wallet's", ErrNotSignable)
	}
	tx := p.UnsignedTx
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	for i, in := range s.Inputs {
		fetcher.AddPrevOut(tx.TxIn[i].PreviousOutPoint, wire.NewTxOut(int64(in.Amount), in.pkScript))
	}
	return fetcher, txscript.NewTxSigHashes(tx, fetcher), nil
}

// signInput signs one input with the key ring's key for it, which must be
// in.pub, the wallet's public key for the input.
func signInput(p *btcpsbt.Packet, w *descriptor.Descriptor, hashes *txscript.TxSigHashes, fetcher txscript.PrevOutputFetcher, in Input, keys KeyRing) error {
	tx := p.UnsignedTx
	pin := &p.Inputs[in.Index]
	key, err := keys.DerivePrivate(in.path)
	if err != nil {
		return err
	}
	defer key.Zero()
	pub := in.pub

	switch w.Script {
	case descriptor.P2SHP2WPKH:
		// Analyze proved the PSBT's redeem script, if any, equal to
		// the wallet's.
		pin.RedeemScript = in.redeemScript
	case descriptor.P2WSHMulti, descriptor.P2SHP2WSHMulti:
		// Analyze proved the PSBT's scripts, if any, equal to the
		// wallet's.
		pin.WitnessScript, pin.RedeemScript = in.witness, in.redeemScript
	}
	hash, err := sigHash(w.Script, tx, hashes, fetcher, in)
	if err != nil {
		return err
	}

	if w.Script == descriptor.P2TR {
		sig, err := signTaproot(key, pub, nil, hash, [32]byte{})
		if err != nil {
			return err
		}
		// in.output is the key Analyze proved the spent script pays to.
		if !sig.Verify(hash, in.output) {
			return errors.New("the new signature does not verify with the output key of this input: the activated key is not this wallet's, or signing failed")
		}
		pin.TaprootKeySpendSig = sig.Serialize()
		if in.sighash != txscript.SigHashDefault {
			// BIP341: a type other than DEFAULT is named by a 65th byte.
			pin.TaprootKeySpendSig = append(pin.TaprootKeySpendSig, byte(in.sighash))
		}
		return nil
	}

	sig := ecdsa.Sign(key, hash)
	// Verifying with the wallet's public key, not the signing key's, also
	// proves that the activated key is this wallet's.
	if !sig.Verify(hash, pub) {
		return errors.New("the new signature does not verify with the wallet's key for this input: the activated key is not this wallet's, or signing failed")
	}
	addPartialSig(pin, &btcpsbt.PartialSig{
		PubKey:    pub.SerializeCompressed(),
		Signature: append(sig.Serialize(), byte(txscript.SigHashAll)),
	})
	return nil
}

// sigHash is the digest Sign signs for input in of a wallet of script type
// st: BIP341's with the type the input asks for (DEFAULT or ALL, which
// Analyze checked) for a taproot key-path spend, BIP143's
// with SIGHASH_ALL for segwit version 0 (the script code is the P2WPKH
// program's, the P2SH-P2WPKH redeem script's, or the multisig witness
// script), and the legacy digest with SIGHASH_ALL for P2PKH. Of in it uses
// Index, Amount and the scripts Analyze proved; it changes nothing. The
// specification vectors (golden_test.go) drive it directly.
func sigHash(st descriptor.ScriptType, tx *wire.MsgTx, hashes *txscript.TxSigHashes, fetcher txscript.PrevOutputFetcher, in Input) ([]byte, error) {
	switch st {
	case descriptor.P2TR:
		return txscript.CalcTaprootSignatureHash(hashes, in.sighash, tx, in.Index, fetcher)
	case descriptor.P2WPKH:
		return txscript.CalcWitnessSigHash(in.pkScript, hashes, txscript.SigHashAll, tx, in.Index, int64(in.Amount))
	case descriptor.P2SHP2WPKH:
		return txscript.CalcWitnessSigHash(in.redeemScript, hashes, txscript.SigHashAll, tx, in.Index, int64(in.Amount))
	case descriptor.P2WSHMulti, descriptor.P2SHP2WSHMulti:
		// BIP143: the script code is the witness script.
		return txscript.CalcWitnessSigHash(in.witness, hashes, txscript.SigHashAll, tx, in.Index, int64(in.Amount))
	case descriptor.P2PKH:
		return txscript.CalcSignatureHash(in.pkScript, txscript.SigHashAll, tx, in.Index)
	}
	return nil, fmt.Errorf("script type %v cannot be signed", st)
}

// signTaproot is Sign's BIP340 key-path primitive: the key tweaked by
// BIP341's TapTweak with merkleRoot, then signed with BIP340's nonce
// derived from the auxiliary randomness aux. Sign passes a nil merkle root
// (BIP86: no script tree) and all-zero aux, which makes its signatures
// deterministic; the BIP341 vectors (golden_test.go) pass their inputs'
// merkle roots.
//
// internal is the key's public key when the caller has it (Sign has it from
// Analyze): BIP341's tweak needs it, and computing it again costs a point
// multiplication per input. If internal is not key's public key the tweaked
// key is wrong and the signature fails the verification that follows it.
func signTaproot(key *btcec.PrivateKey, internal *btcec.PublicKey, merkleRoot, hash []byte, aux [32]byte) (*schnorr.Signature, error) {
	if internal == nil {
		internal = key.PubKey()
	}
	d := key.Key
	defer d.Zero()
	ser := internal.SerializeCompressed()
	if ser[0] == 0x03 { // odd y: BIP341 negates the key
		d.Negate()
	}
	var t btcec.ModNScalar
	if overflow := t.SetBytes((*[32]byte)(chainhash.TaggedHash(chainhash.TagTapTweak, ser[1:], merkleRoot))); overflow != 0 {
		return nil, errors.New("the taproot tweak is not below the curve order (probability 2^-128): this key cannot sign")
	}
	d.Add(&t)
	tweaked := btcec.PrivKeyFromScalar(&d)
	defer tweaked.Zero()
	return schnorr.Sign(tweaked, hash, schnorr.CustomNonce(aux))
}

// addPartialSig adds sig to the input, replacing any signature already
// there for the same key: BIP174 keys partial signatures by public key, and
// two would be a duplicate key. Ours, just verified, is the one to keep.
func addPartialSig(pin *btcpsbt.PInput, sig *btcpsbt.PartialSig) {
	for i, old := range pin.PartialSigs {
		if bytes.Equal(old.PubKey, sig.PubKey) {
			pin.PartialSigs[i] = sig
			return
		}
	}
	pin.PartialSigs = append(pin.PartialSigs, sig)
}

func p2wpkhRedeem(pub *btcec.PublicKey) ([]byte, error) {
	return txscript.NewScriptBuilder().AddOp(txscript.OP_0).AddData(hash160(pub.SerializeCompressed())).Script()
}
