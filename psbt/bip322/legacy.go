package bip322

import (
	"bytes"
	"encoding/base64"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// legacyMagic prefixes the message in the legacy format's digest.
const legacyMagic = "Bitcoin Signed Message:\n"

// LegacyHash is the legacy format's digest of message: the double SHA-256
// of the magic and the message, each with its compact-size length.
func LegacyHash(message []byte) chainhash.Hash {
	var b bytes.Buffer
	_ = wire.WriteVarString(&b, 0, legacyMagic)
	_ = wire.WriteVarBytes(&b, 0, message)
	return chainhash.DoubleHashH(b.Bytes())
}

// SignLegacy signs message in the legacy format with a compressed key's
// P2PKH address in mind. BIP-322 keeps the format for P2PKH only; the kiosk
// signs BIP-322 proper through ToSignPSBT, and this exists for what asks
// for the old format by name.
func SignLegacy(key *btcec.PrivateKey, message []byte) (string, error) {
	h := LegacyHash(message)
	sig, err := ecdsa.SignCompact(key, h[:], true)
	if err != nil {
		return "", fmt.Errorf("bip322: legacy signing failed: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// verifyLegacy checks a compact signature against a P2PKH script: the key
// recovered from it must hash to the script's key hash.
func verifyLegacy(pkScript, message, sig []byte) error {
	if !txscript.IsPayToPubKeyHash(pkScript) {
		return fmt.Errorf("%w: a legacy (Bitcoin Signed Message) signature proves a P2PKH address only, and this address is %s; ask for a BIP-322 signature", ErrInvalid, txscript.GetScriptClass(pkScript))
	}
	h := LegacyHash(message)
	pub, compressed, err := ecdsa.RecoverCompact(sig, h[:])
	if err != nil {
		return fmt.Errorf("%w: no key can be recovered from the legacy signature (%v): it was made for another message or is damaged", ErrInvalid, err)
	}
	ser := pub.SerializeUncompressed()
	if compressed {
		ser = pub.SerializeCompressed()
	}
	if !bytes.Equal(btcutil.Hash160(ser), pkScript[3:23]) {
		return fmt.Errorf("%w: the legacy signature was made by key %x, whose address is not this one: another address or another message signed", ErrInvalid, ser)
	}
	return nil
}
