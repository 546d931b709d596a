package descriptor

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// BSMS (BIP129) records, as they arrive over the air gap: the key record a
// signer gives the coordinator in Round 1, and the descriptor record the
// coordinator gives every signer in Round 2. Both are plain text; encrypted
// records (.dat, hex MAC||ciphertext) are opened with DecryptBSMS first.

// Errors returned by the BSMS parsers, for errors.Is. The messages they are
// wrapped in say what exactly was wrong.
var (
	// ErrBSMSFirstAddress reports a descriptor record whose first address
	// is not the first address of its descriptor. BIP129 puts it there so
	// that tampering with the descriptor shows: the record must not be
	// registered.
	ErrBSMSFirstAddress = errors.New("the BSMS record's first address is not the first address of its descriptor")
	// ErrBSMSSignature reports a key record whose signature does not
	// verify with the key it carries.
	ErrBSMSSignature = errors.New("the BSMS key record's signature does not verify with its key")
	// ErrBSMSMAC reports an encrypted record whose MAC does not match its
	// decrypted content: a wrong TOKEN, or an altered record.
	ErrBSMSMAC = errors.New("the encrypted BSMS record's MAC does not match: the TOKEN is wrong or the record was altered")
)

const (
	// bsmsHeader is the first line of every record of the one BSMS
	// version there is.
	bsmsHeader = "BSMS 1.0"
	// maxBSMSRecordLen bounds what the BSMS parsers read: a descriptor
	// record of MaxMultisigKeys keys has about 2,500 characters.
	maxBSMSRecordLen = 8192
	// noPathRestrictions is the third line of a record whose descriptor
	// is not a template.
	noPathRestrictions = "No path restrictions"
	// maxBSMSDescription is BIP129's limit on a key's description.
	maxBSMSDescription = 80
)

// BSMSRecord is a verified BIP129 descriptor record (Round 2): the multisig
// wallet the coordinator assembled, and the first address every signer
// shows for the cosigners to compare.
//
// Before registering the wallet, BIP129 has the signer check that its own
// key is in it (KeyFor, then an exact comparison of the key) and show the
// first address, the threshold, the number of keys and its own key's
// position for the cosigners to compare.
type BSMSRecord struct {
	Descriptor *Descriptor
	// PathRestrictions are the record's derivation path restrictions,
	// ["/0/*" "/1/*"] for a descriptor template, or nil for "No path
	// restrictions".
	PathRestrictions []string
	// FirstAddress is the record's first address, verified to be the
	// descriptor's address at index 0 of FirstBranch.
	FirstAddress btcutil.Address
	// FirstBranch is the branch of FirstAddress: 0 (receive), unless the
	// descriptor's keys are written with /1/* alone.
	FirstBranch uint32
}

// ParseBSMS reads and verifies a BIP129 descriptor record (Round 2), four
// lines:
//
//	BSMS 1.0
//	wsh(sortedmulti(2,[fp/48'/0'/0'/2']xpub.../**,...))    (a template, or a descriptor with optional #checksum)
//	/0/*,/1/*                                              (or: No path restrictions)
//	bc1q...                                                (the first address)
//
// The descriptor must be one Parse accepts, a wsh(sortedmulti(...)) or
// sh(wsh(sortedmulti(...))) multisig; a template's KEY/** becomes
// KEY/<0;1>/*, so its path restrictions must be exactly /0/*,/1/* (receive
// and change). A checksum, when present, must match, and the first address
// must be the descriptor's first address (ErrBSMSFirstAddress). As with
// Parse, tpub records are read as Testnet: use ParseBSMSForNetwork for
// Testnet4, Signet and Regtest.
//
// Only plain records are read: decrypt an encrypted one with DecryptBSMS
// first.
func ParseBSMS(record []byte) (*BSMSRecord, error) {
	return parseBSMS(record, 0)
}

// ParseBSMSForNetwork is ParseBSMS for a wallet on net.
func ParseBSMSForNetwork(record []byte, net Network) (*BSMSRecord, error) {
	if !net.valid() {
		return nil, fmt.Errorf("%v is not a network: use Mainnet, Testnet, Testnet4, Signet or Regtest", net)
	}
	return parseBSMS(record, net)
}

func parseBSMS(record []byte, net Network) (*BSMSRecord, error) {
	lines, err := bsmsLines(record, 4, "descriptor record")
	if err != nil {
		return nil, err
	}
	desc, err := StripChecksum(lines[1])
	if err != nil {
		return nil, fmt.Errorf("line 2 of the BSMS record: %w", err)
	}
	r := new(BSMSRecord)
	if lines[2] != noPathRestrictions {
		for _, p := range strings.Split(lines[2], ",") {
			r.PathRestrictions = append(r.PathRestrictions, strings.TrimSpace(p))
		}
	}
	template := strings.Contains(desc, "/**")
	switch {
	case template && r.PathRestrictions == nil:
		return nil, errors.New("the BSMS record's descriptor is a template (KEY/**) but the record says \"No path restrictions\": a template needs restrictions such as /0/*,/1/*")
	case template && strings.Join(r.PathRestrictions, ",") != "/0/*,/1/*":
		return nil, fmt.Errorf("the BSMS record restricts paths to %s: airsign wallets derive receive and change addresses, so it reads only /0/*,/1/*", truncate(lines[2]))
	case !template && r.PathRestrictions != nil:
		return nil, fmt.Errorf("the BSMS record lists path restrictions %s, but its descriptor is not a template (KEY/**): expected \"No path restrictions\"", truncate(lines[2]))
	case template:
		desc = strings.ReplaceAll(desc, "/**", "/"+multipath+"/*")
	}
	d, step, err := parse(desc, net)
	if err != nil {
		return nil, fmt.Errorf("line 2 of the BSMS record: %w", err)
	}
	if !d.Script.Multisig() {
		return nil, fmt.Errorf("the BSMS record holds a single-sig %v descriptor: BSMS sets up multisig wallets", d.Script)
	}
	r.Descriptor = d
	if step == "1" {
		r.FirstBranch = 1
	}
	want, err := d.Address(r.FirstBranch, 0)
	if err != nil {
		return nil, err
	}
	got, err := btcutil.DecodeAddress(lines[3], d.Network.Params())
	if err != nil || !got.IsForNet(d.Network.Params()) {
		return nil, fmt.Errorf("%w: the record's first address %q is not a %s address", ErrBSMSFirstAddress, truncate(lines[3]), d.Network)
	}
	gotScript, err := txscript.PayToAddrScript(got)
	if err != nil {
		return nil, fmt.Errorf("%w: the record's first address %q is not one a multisig pays to", ErrBSMSFirstAddress, truncate(lines[3]))
	}
	wantScript, err := txscript.PayToAddrScript(want)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(gotScript, wantScript) {
		return nil, fmt.Errorf("%w: the record says %s, the descriptor derives %s at /%d/0: the record was altered or its coordinator is faulty; do not register this wallet", ErrBSMSFirstAddress, truncate(lines[3]), want, r.FirstBranch)
	}
	r.FirstAddress = want
	return r, nil
}

// bsmsLines splits a plain record into its n lines after checking its size
// and version. Lines end in LF or CRLF; one final line ending is allowed.
func bsmsLines(record []byte, n int, what string) ([]string, error) {
	if len(record) > maxBSMSRecordLen {
		return nil, fmt.Errorf("the BSMS %s has %d bytes, more than the %d airsign reads: check what was scanned", what, len(record), maxBSMSRecordLen)
	}
	if !utf8.Valid(record) {
		return nil, fmt.Errorf("the BSMS %s is not UTF-8 text", what)
	}
	text := strings.ReplaceAll(string(record), "\r\n", "\n")
	text = strings.TrimSuffix(text, "\n")
	if text == "" {
		return nil, fmt.Errorf("the BSMS %s is empty", what)
	}
	lines := strings.Split(text, "\n")
	if first := lines[0]; first != bsmsHeader {
		switch {
		case strings.HasPrefix(first, "BSMS "):
			return nil, fmt.Errorf("the record is %s, but airsign reads %s records: ask the coordinator for a %s export", truncate(first), bsmsHeader, bsmsHeader)
		case len(lines) == 1 && isHex(first):
			return nil, errors.New("this looks like an encrypted BSMS record (.dat): decrypt it with the session's TOKEN first")
		}
		return nil, fmt.Errorf("not a BSMS record: the first line is %q, not %q", truncate(first), bsmsHeader)
	}
	if len(lines) != n {
		return nil, fmt.Errorf("the BSMS %s has %d lines, not %d", what, len(lines), n)
	}
	for i, l := range lines {
		if l != strings.TrimSpace(l) || l == "" {
			return nil, fmt.Errorf("line %d of the BSMS %s is empty or has spaces around it", i+1, what)
		}
	}
	return lines, nil
}

// BSMSKeyRecord is a verified BIP129 key record (Round 1): one signer's key,
// signed with that key's private key.
type BSMSKeyRecord struct {
	// Token is the session TOKEN of the record's second line: {0x00}
	// without encryption, 8 bytes (STANDARD) or 16 bytes (EXTENDED).
	Token  []byte
	Origin KeyOrigin
	// Key is the signer's extended public key, in the standard version of
	// its network family (xpub or tpub). It is nil when the record holds
	// a plain public key, which no airsign wallet can use.
	Key *hdkeychain.ExtendedKey
	// PublicKey is the key the signature was verified with: Key's own
	// public key, or the record's plain public key.
	PublicKey *btcec.PublicKey
	// Description is the signer's description of the key, at most 80
	// characters.
	Description string
}

// ParseBSMSKey reads a BIP129 key record (Round 1), five lines:
//
//	BSMS 1.0
//	00                                      (the hex TOKEN; 00 without encryption)
//	[fp/48'/0'/0'/2']xpub...                (the KEY with its origin)
//	Signer 1 key                            (a description, at most 80 characters)
//	H6DXgqkC...                             (SIG)
//
// and verifies SIG over the first four lines (joined by newlines) with the
// KEY, in the legacy Bitcoin signed-message format (BIP137 headers of
// compressed keys). BIP322 signatures, which BIP129 prefers, are not
// supported yet and are refused. An extended key's origin must belong to it
// as in Parse; private keys are refused.
func ParseBSMSKey(record []byte) (*BSMSKeyRecord, error) {
	lines, err := bsmsLines(record, 5, "key record")
	if err != nil {
		return nil, err
	}
	r := new(BSMSKeyRecord)
	switch tok := lines[1]; {
	case !isHex(tok) || (len(tok) != 2 && len(tok) != 16 && len(tok) != 32):
		return nil, fmt.Errorf("line 2 of the BSMS key record, the TOKEN %q, is not 00 or 16 or 32 hex digits", truncate(tok))
	case len(tok) == 2 && tok != "00":
		return nil, fmt.Errorf("line 2 of the BSMS key record, the TOKEN %q, is not 00 or 16 or 32 hex digits", tok)
	default:
		r.Token, _ = hex.DecodeString(tok)
	}
	if err := r.parseKey(lines[2]); err != nil {
		return nil, fmt.Errorf("line 3 of the BSMS key record: %w", err)
	}
	desc := lines[3]
	if n := utf8.RuneCountInString(desc); n > maxBSMSDescription {
		return nil, fmt.Errorf("the key's description has %d characters, more than BIP129's %d", n, maxBSMSDescription)
	}
	if strings.IndexFunc(desc, unicode.IsControl) >= 0 {
		return nil, errors.New("the key's description contains control characters")
	}
	r.Description = desc
	if err := verifySignedMessage(strings.Join(lines[:4], "\n"), lines[4], r.PublicKey); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *BSMSKeyRecord) parseKey(s string) error {
	if !strings.HasPrefix(s, "[") {
		return ErrMissingOrigin
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return errors.New("the key origin has no closing ']'")
	}
	origin, err := parseOrigin(s[1:end])
	if err != nil {
		return err
	}
	r.Origin = origin
	keyText := s[end+1:]
	if len(keyText) == 66 && isHex(keyText) {
		raw, _ := hex.DecodeString(keyText)
		if raw[0] != 0x02 && raw[0] != 0x03 {
			return errors.New("the public key is not a compressed key (02 or 03 followed by 32 bytes)")
		}
		if r.PublicKey, err = btcec.ParsePubKey(raw); err != nil {
			return errors.New("the public key is not a point on secp256k1")
		}
		return nil
	}
	if strings.Contains(keyText, "/") {
		return errors.New("the key is followed by a derivation: a key record holds the key alone")
	}
	d, err := decodeExtendedKey(keyText)
	if err != nil {
		return err
	}
	if d.version.private {
		return ErrPrivateKey
	}
	net := Testnet
	if d.version.mainnet {
		net = Mainnet
	}
	if r.Key, err = d.publicKey(net); err != nil {
		return err
	}
	if err := checkOrigin(origin, r.Key, net); err != nil {
		return err
	}
	r.PublicKey, err = r.Key.ECPubKey()
	return err
}

// signedMessageHash is the hash the legacy Bitcoin signed-message format
// signs: double SHA-256 of the magic prefix and the message, each with its
// length.
func signedMessageHash(msg string) []byte {
	var b bytes.Buffer
	_ = wire.WriteVarString(&b, 0, "Bitcoin Signed Message:\n")
	_ = wire.WriteVarString(&b, 0, msg)
	return chainhash.DoubleHashB(b.Bytes())
}

// verifySignedMessage checks a base64 legacy (BIP137) signature of msg by
// pub. Headers 31-42 (compressed key, any address type) are accepted, since
// the key itself is compared, not an address.
func verifySignedMessage(msg, sigText string, pub *btcec.PublicKey) error {
	sig, err := base64.StdEncoding.DecodeString(sigText)
	if err != nil {
		return fmt.Errorf("%w: the signature is not base64", ErrBSMSSignature)
	}
	if len(sig) != 65 {
		return fmt.Errorf("%w: the signature has %d bytes, not the 65 of a legacy signed message (BIP322 signatures are not supported yet)", ErrBSMSSignature, len(sig))
	}
	h := sig[0]
	switch {
	case h >= 27 && h <= 30:
		return fmt.Errorf("%w: the signature is for an uncompressed key, which a BIP32 key never is", ErrBSMSSignature)
	case h < 31 || h > 42:
		return fmt.Errorf("%w: the signature's header byte %d is not one of a legacy signed message", ErrBSMSSignature, h)
	}
	norm := bytes.Clone(sig)
	norm[0] = 31 + (h-27)&3
	got, _, err := ecdsa.RecoverCompact(norm, signedMessageHash(msg))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBSMSSignature, err)
	}
	if !got.IsEqual(pub) {
		return fmt.Errorf("%w: it was made with another key; the record was altered or signed by someone else", ErrBSMSSignature)
	}
	return nil
}

// DecryptBSMS opens an encrypted BSMS record (the hex MAC||ciphertext of a
// .dat file) with the session TOKEN as bytes (8 bytes STANDARD, 16 bytes
// EXTENDED; turning the decimal or mnemonic form people type into bytes is
// the caller's), and verifies the MAC (ErrBSMSMAC). BIP129: the key is
// PBKDF2-SHA512("No SPOF", TOKEN, 2048 rounds, 32 bytes), the MAC is
// HMAC-SHA256 keyed with SHA256(key) over the hex TOKEN and the plaintext,
// and the cipher is AES-256-CTR with the MAC's first 16 bytes as IV. The
// result is a plain record for ParseBSMS or ParseBSMSKey.
func DecryptBSMS(token, data []byte) ([]byte, error) {
	if len(token) != 8 && len(token) != 16 {
		return nil, fmt.Errorf("a BSMS TOKEN has 8 or 16 bytes, not %d", len(token))
	}
	text := strings.TrimSpace(string(data))
	if len(text) > 2*(sha256.Size+maxBSMSRecordLen) {
		return nil, fmt.Errorf("the encrypted BSMS record has %d characters, more than airsign reads: check what was scanned", len(text))
	}
	raw, err := hex.DecodeString(text)
	if err != nil {
		return nil, errors.New("the encrypted BSMS record is not hexadecimal: a plain record starts with BSMS 1.0")
	}
	if len(raw) <= sha256.Size {
		return nil, errors.New("the encrypted BSMS record is too short to hold a MAC and a record")
	}
	mac, ciphertext := raw[:sha256.Size], raw[sha256.Size:]
	key, err := pbkdf2.Key(sha512.New, "No SPOF", token, 2048, 32)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	plain := make([]byte, len(ciphertext))
	cipher.NewCTR(block, mac[:aes.BlockSize]).XORKeyStream(plain, ciphertext)
	hmacKey := sha256.Sum256(key)
	defer clear(hmacKey[:])
	m := hmac.New(sha256.New, hmacKey[:])
	m.Write([]byte(hex.EncodeToString(token)))
	m.Write(plain)
	if !hmac.Equal(m.Sum(nil), mac) {
		return nil, ErrBSMSMAC
	}
	return plain, nil
}

// BSMS returns the plain BIP129 descriptor record (Round 2) of a multisig
// descriptor, in the template form of BIP129's own examples, which
// ParseBSMS reads back:
//
//	BSMS 1.0
//	wsh(sortedmulti(2,[fp/48'/0'/0'/2']xpub.../**,...))
//	/0/*,/1/*
//	bc1q...
func (d *Descriptor) BSMS() ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if !d.Script.Multisig() {
		return nil, fmt.Errorf("BSMS sets up multisig wallets, and this is a single-sig %v descriptor", d.Script)
	}
	addr, err := d.Address(0, 0)
	if err != nil {
		return nil, err
	}
	body, _, _ := strings.Cut(d.String(), "#")
	template := strings.ReplaceAll(body, "/"+multipath+"/*", "/**")
	return []byte(bsmsHeader + "\n" + template + "\n/0/*,/1/*\n" + addr.EncodeAddress() + "\n"), nil
}

// NewBSMSKeyRecord writes and signs a BIP129 key record (Round 1), the
// record ParseBSMSKey reads: the TOKEN in hex ({0x00} without encryption),
// the key with its origin, the description, and a legacy (BIP137)
// signed-message signature by priv, which must be the private key of key.
// The signature is deterministic (RFC 6979), so the same inputs give the
// same record. The record is plain; EncryptBSMS encrypts it for a session
// with a TOKEN.
func NewBSMSKeyRecord(token []byte, origin KeyOrigin, key *hdkeychain.ExtendedKey, description string, priv *btcec.PrivateKey) ([]byte, error) {
	switch {
	case len(token) == 1 && token[0] == 0, len(token) == 8, len(token) == 16:
	default:
		return nil, fmt.Errorf("a BSMS TOKEN is 00, 8 or 16 bytes, not %d bytes", len(token))
	}
	if key == nil || key.IsPrivate() {
		return nil, errors.New("a BSMS key record carries an extended public key")
	}
	if n := utf8.RuneCountInString(description); n > maxBSMSDescription || description == "" || description != strings.TrimSpace(description) ||
		strings.IndexFunc(description, unicode.IsControl) >= 0 {
		return nil, fmt.Errorf("the key's description must be 1 to %d characters on one line, without spaces around it", maxBSMSDescription)
	}
	pub, err := key.ECPubKey()
	if err != nil {
		return nil, err
	}
	if priv == nil || !priv.PubKey().IsEqual(pub) {
		return nil, errors.New("the private key given to sign the BSMS key record is not the record's key's")
	}
	body := strings.Join([]string{bsmsHeader, hex.EncodeToString(token), "[" + origin.String() + "]" + key.String(), description}, "\n")
	sig, err := ecdsa.SignCompact(priv, signedMessageHash(body), true)
	if err != nil {
		return nil, err
	}
	record := []byte(body + "\n" + base64.StdEncoding.EncodeToString(sig) + "\n")
	// Reading it back proves the origin belongs to the key and the
	// signature verifies, before anything leaves the kiosk.
	if _, err := ParseBSMSKey(record); err != nil {
		return nil, fmt.Errorf("the key record just signed does not read back: %w", err)
	}
	return record, nil
}

// EncryptBSMS encrypts a plain BSMS record for the session TOKEN (8 or 16
// bytes), as BIP129 describes and DecryptBSMS reverses, and returns the hex
// MAC||ciphertext of a .dat file. Encryption is deterministic: the IV is the
// MAC's first 16 bytes.
func EncryptBSMS(token, plain []byte) ([]byte, error) {
	if len(token) != 8 && len(token) != 16 {
		return nil, fmt.Errorf("a BSMS TOKEN has 8 or 16 bytes, not %d", len(token))
	}
	if len(plain) > maxBSMSRecordLen {
		return nil, fmt.Errorf("the BSMS record has %d bytes, more than the %d airsign writes", len(plain), maxBSMSRecordLen)
	}
	key, err := pbkdf2.Key(sha512.New, "No SPOF", token, 2048, 32)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	hmacKey := sha256.Sum256(key)
	defer clear(hmacKey[:])
	m := hmac.New(sha256.New, hmacKey[:])
	m.Write([]byte(hex.EncodeToString(token)))
	m.Write(plain)
	mac := m.Sum(nil)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(mac)+len(plain))
	copy(out, mac)
	cipher.NewCTR(block, mac[:aes.BlockSize]).XORKeyStream(out[len(mac):], plain)
	return []byte(hex.EncodeToString(out)), nil
}
