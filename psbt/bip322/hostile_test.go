package bip322

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// TestDecodeRefuses feeds the decoders what a hostile or broken signer
// might send; each must be refused with an error that says what was wrong.
func TestDecodeRefuses(t *testing.T) {
	huge := func(prefix []byte, v uint64) []byte {
		var b bytes.Buffer
		b.Write(prefix)
		_ = wire.WriteVarInt(&b, 0, v)
		return b.Bytes()
	}
	version0 := []byte{0, 0, 0, 0}
	for _, c := range []struct {
		name    string
		decode  func([]byte) error
		in      []byte
		wantErr string
	}{
		{"simple: item count beyond the limit", simpleErr, huge(nil, MaxWitnessItems+1), "more than the limit of 1000"},
		{"simple: item count beyond the bytes", simpleErr, huge(nil, 500), "more than the 0 remaining bytes can hold"},
		{"simple: item longer than the rest", simpleErr, []byte{1, 0xfd, 0xff, 0xff, 1, 2}, "claims 65535 bytes but 2 remain"},
		{"simple: non-minimal length", simpleErr, []byte{1, 0xfd, 0x01, 0x00, 7}, "non-canonical"},
		{"simple: trailing bytes", simpleErr, []byte{1, 1, 7, 0}, "1 bytes follow the witness stack"},
		{"simple: empty", simpleErr, nil, "witness item count is missing"},
		{"full: 2^32 inputs claimed", fullErr, huge(version0, 1<<32), "more than the limit of 1000"},
		{"full: more inputs than bytes", fullErr, huge(version0, 900), "more than the 0 remaining bytes can hold"},
		{"full: no inputs", fullErr, append(version0, 0, 0, 0, 0, 0), "no inputs"},
		{"full: superfluous witness record", fullErr, fullTx(true, false), "superfluous witness record"},
		{"full: trailing bytes", fullErr, append(fullTx(false, false), 0), "1 bytes follow the transaction"},
		{"legacy: wrong length", legacyErr, make([]byte, 64), "is 65 bytes, this one 64"},
		{"legacy: segwit header", legacyErr, append([]byte{39}, make([]byte, 64)...), "not a P2PKH header"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.decode(c.in)
			if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("got %v, want an ErrMalformed error saying %q", err, c.wantErr)
			}
		})
	}
}

func simpleErr(b []byte) error { _, err := decodeSimple(b); return err }
func fullErr(b []byte) error   { _, err := decodeFull(b); return err }
func legacyErr(b []byte) error { _, err := decodeLegacy(b); return err }

// fullTx is a small transaction's bytes, with the segwit marker and flag
// if marker, and a witness item if witness.
func fullTx(marker, witness bool) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0, 0})
	if marker {
		b.Write([]byte{0, 1})
	}
	b.WriteByte(1)
	b.Write(make([]byte, 32+4))
	b.Write([]byte{0, 0, 0, 0, 0})
	b.WriteByte(1)
	b.Write(make([]byte, 8))
	b.Write([]byte{1, txscript.OP_RETURN})
	if marker {
		if witness {
			b.Write([]byte{1, 1, 7})
		} else {
			b.WriteByte(0)
		}
	}
	b.Write([]byte{0, 0, 0, 0})
	return b.Bytes()
}

func TestVerifyRefusesText(t *testing.T) {
	pk := p2wpkh(t, testKey(1))
	for _, c := range []struct {
		name, sig, wantErr string
	}{
		{"empty", "", "empty"},
		{"oversized", strings.Repeat("A", base64.StdEncoding.EncodedLen(MaxSignatureBytes)+4), "MaxSignatureBytes"},
		{"not base64", "not base64!", "not base64"},
		{"non-canonical padding bits", "AB==", "not base64"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Verify(pk, []byte("m"), c.sig)
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("got %v, want an ErrMalformed error saying %q", err, c.wantErr)
			}
		})
	}
	if _, err := Verify(nil, []byte("m"), "AA=="); err == nil {
		t.Error("Verify accepted an empty script")
	}
}

// signedFull signs owner's to_sign for message after edit changed the
// unsigned transaction, and returns the full signature.
func signedFull(t *testing.T, message []byte, o owner, edit func(*wire.MsgTx), hashType txscript.SigHashType) string {
	t.Helper()
	p, err := ToSignPSBT(message, o.script)
	if err != nil {
		t.Fatal(err)
	}
	edit(p.UnsignedTx)
	signInputHashType(t, p, 0, hashType, o.keys...)
	tx, err := finalizeForTest(p)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(encodeTx(tx))
}

// TestVerifyRules checks BIP-322's rules that a script engine alone does
// not: SIGHASH_ALL only, to_sign's shape, its version, and time locks.
func TestVerifyRules(t *testing.T) {
	msg := []byte("rules")
	os := owners(t)
	wpkh, tr := os[0], os[1]
	none := func(*wire.MsgTx) {}
	for _, c := range []struct {
		name     string
		o        owner
		edit     func(*wire.MsgTx)
		hashType txscript.SigHashType
		want     error
		wantV    Verified
	}{
		{"ecdsa SIGHASH_ALL", wpkh, none, txscript.SigHashAll, nil, Verified{Format: Full}},
		{"ecdsa SIGHASH_NONE", wpkh, none, txscript.SigHashNone, ErrInvalid, Verified{}},
		{"ecdsa SIGHASH_ALL|ANYONECANPAY", wpkh, none, txscript.SigHashAll | txscript.SigHashAnyOneCanPay, ErrInvalid, Verified{}},
		{"schnorr SIGHASH_ALL explicit", tr, none, txscript.SigHashAll, nil, Verified{Format: Full}},
		{"schnorr SIGHASH_SINGLE", tr, none, txscript.SigHashSingle, ErrInvalid, Verified{}},
		{"version 2 with time locks", wpkh, func(tx *wire.MsgTx) {
			tx.Version, tx.LockTime, tx.TxIn[0].Sequence = 2, 840_000, 144
		}, txscript.SigHashAll, nil, Verified{Format: Full, LockTime: 840_000, Sequence: 144}},
		{"version 1", wpkh, func(tx *wire.MsgTx) { tx.Version = 1 }, txscript.SigHashAll, ErrInconclusive, Verified{}},
		{"an output paying someone", wpkh, func(tx *wire.MsgTx) { tx.TxOut[0] = wire.NewTxOut(0, p2wpkh(t, testKey(5))) }, txscript.SigHashAll, ErrInvalid, Verified{}},
		{"a second output", wpkh, func(tx *wire.MsgTx) { tx.AddTxOut(wire.NewTxOut(0, opReturn)) }, txscript.SigHashAll, ErrInvalid, Verified{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			sig := signedFull(t, msg, c.o, c.edit, c.hashType)
			got, err := Verify(c.o.script.PkScript, msg, sig)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("Verify = %v, want %v", err, c.want)
			}
			if got != c.wantV {
				t.Errorf("Verify = %+v, want %+v", got, c.wantV)
			}
		})
	}
}

// TestVerifyProofOfFundsInconclusive: without a UTXO set, a full signature
// with coins can be neither valid nor invalid.
func TestVerifyProofOfFundsInconclusive(t *testing.T) {
	f := newReserveFixture(t)
	tx, err := finalizeForTest(f.signed)
	if err != nil {
		t.Fatal(err)
	}
	sig := base64.StdEncoding.EncodeToString(encodeTx(tx))
	if _, err := Verify(f.coins[0].Script.PkScript, challenge, sig); !errors.Is(err, ErrInconclusive) {
		t.Fatalf("Verify = %v, want ErrInconclusive", err)
	}
}
