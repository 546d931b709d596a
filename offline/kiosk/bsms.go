package kiosk

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"

	"airsign/offline/home"
	"airsign/psbt/descriptor"
	"airsign/shamir"
)

// ParseBSMSToken reads a BIP129 session TOKEN as the coordinator shows it:
// "00" for a session without encryption, or 16 (STANDARD) or 32 (EXTENDED)
// hex digits.
func ParseBSMSToken(s string) ([]byte, error) {
	raw, err := hex.DecodeString(s)
	switch {
	case err != nil, len(raw) == 1 && raw[0] != 0, len(raw) != 1 && len(raw) != 8 && len(raw) != 16:
		return nil, fmt.Errorf("the BSMS TOKEN %q is not 00 or 16 or 32 hex digits: copy it from the coordinator's bsms start", truncated(s))
	}
	return raw, nil
}

func truncated(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// BSMSKeyRecord is this kiosk's answer to a BIP129 (BSMS) Round 1: the
// BIP48 cosigner key of single-key wallet w, signed with that key, which
// only the shares can rebuild. The shares are checked against w's set (and
// refused if it is retired) and the rebuilt key is proven equal to the one
// w's ceremony exported before it signs; the key is wiped after. With a
// TOKEN other than 00 the record is encrypted for the session (hex text);
// otherwise it is the plain record. The record and its key are logged, and
// so is a failure.
func (s Station) BSMSKeyRecord(w *home.Wallet, shares []*shamir.Share, token []byte, description string) ([]byte, error) {
	out, entry, err := bsmsKeyRecord(s.Home, w, shares, token, description)
	if err != nil {
		return nil, s.logged(err, s.append("bsms-key-record", map[string]any{"wallet": w.Name, "result": "failed", "reason": err.Error()}))
	}
	entry["result"] = "signed"
	return out, s.append("bsms-key-record", entry)
}

func bsmsKeyRecord(h *home.Home, w *home.Wallet, shares []*shamir.Share, token []byte, description string) ([]byte, map[string]any, error) {
	if w.Multisig != nil {
		return nil, nil, fmt.Errorf("wallet %q is a multisig; give the single-key wallet whose BIP48 key joins the new multisig", w.Name)
	}
	if w.Cosigner == "" {
		return nil, nil, fmt.Errorf("wallet %q has no BIP48 cosigner key (its ceremony did not export one)", w.Name)
	}
	if len(shares) == 0 {
		return nil, nil, errors.New("no shares: the key record is signed with the wallet's key, which needs its shares")
	}
	for _, s := range shares {
		if err := CheckShare(h, w, s); err != nil {
			return nil, nil, err
		}
	}
	d, err := w.Parsed()
	if err != nil {
		return nil, nil, fmt.Errorf("wallet %q: %w", w.Name, err)
	}
	if description == "" {
		description = fmt.Sprintf("airsign %s %s", w.Name, w.Fingerprint)
	}
	master, err := Activate(w, d, shares)
	if err != nil {
		return nil, nil, err
	}
	defer master.Wipe()
	origin, key, err := master.CosignerKey(0)
	if err != nil {
		return nil, nil, err
	}
	if got := fmt.Sprintf("[%s]%s", origin, key); got != w.Cosigner {
		return nil, nil, fmt.Errorf("the shares rebuild BIP48 key %s, not the %s wallet %q's ceremony exported", got, w.Cosigner, w.Name)
	}
	priv, err := master.DerivePrivate(origin.Path)
	if err != nil {
		return nil, nil, err
	}
	defer priv.Zero()
	record, err := descriptor.NewBSMSKeyRecord(token, origin, key, description, priv)
	if err != nil {
		return nil, nil, err
	}
	out := record
	if len(token) != 1 {
		if out, err = descriptor.EncryptBSMS(token, record); err != nil {
			return nil, nil, err
		}
	}
	return out, map[string]any{
		"wallet": w.Name, "key": w.Cosigner, "description": description, "encrypted": len(token) != 1,
	}, nil
}

// OpenBSMSRecord returns the plain text of a BSMS descriptor record (Round
// 2) for PrepareMultisig: an encrypted record (hex) is decrypted with the
// session TOKEN, whose MAC proves it came from the session's coordinator
// unaltered; a plain record is returned as it is, and with a TOKEN other
// than 00 it is refused, since the session promised encryption.
func OpenBSMSRecord(data, token []byte) ([]byte, error) {
	plain := len(data) >= 4 && string(data[:4]) == "BSMS"
	switch {
	case token == nil && plain:
		return data, nil
	case token == nil:
		return nil, errors.New("this BSMS record is encrypted: give the session's TOKEN (on the command line --token; in the app, the TOKEN box), then scan it again")
	case len(token) == 1 && plain:
		return data, nil
	case len(token) == 1:
		return nil, errors.New("this BSMS record is encrypted, but the TOKEN given is 00 (no encryption): give the session's TOKEN")
	case plain:
		return nil, errors.New("this BSMS record is not encrypted, but the session's TOKEN says it should be: ask the coordinator for the encrypted record")
	}
	return descriptor.DecryptBSMS(token, data)
}

// LooksEncryptedBSMS says whether scanned text looks like an encrypted BSMS
// record: hex, longer than its 32-byte MAC. No descriptor is all hex.
func LooksEncryptedBSMS(text []byte) bool {
	t := bytes.TrimSpace(text)
	if len(t) <= 64 || len(t)%2 != 0 {
		return false
	}
	_, err := hex.DecodeString(string(t))
	return err == nil
}
