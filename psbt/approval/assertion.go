package approval

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"

	"airsign/psbt/approval/webauthn"
)

// Caps on a WebAuthn approval's parts, as package webauthn caps them.
const (
	maxAuthData   = webauthn.MaxAuthData
	maxClientData = webauthn.MaxClientData
	maxSignature  = 72 // a DER ECDSA P-256 signature; ed25519 is 64
)

// WebAuthnApproval is an approver's approval made with a FIDO2 security key
// or passkey: an assertion whose challenge is Challenge(Message).
type WebAuthnApproval struct {
	// Approver is the name the approver signs as; not signed (see
	// Approval.Approver).
	Approver string
	// KeyID is the credential's key identity, webauthn.Key.ID: the
	// field's key data, by which the kiosk finds the enrolled key.
	KeyID     [32]byte
	Message   Message
	Assertion webauthn.Assertion
}

// Challenge is the WebAuthn challenge that approves m: SHA-256 of its
// canonical bytes. The browser shows nothing of it; the authenticator
// signs it with its authenticator data and the page's client data.
func Challenge(m Message) []byte {
	sum := sha256.Sum256(m.Canonical())
	return sum[:]
}

// Verify checks a's assertion with the enrolled key and relying-party id:
// made for a's message, by that key, with user presence (and user
// verification when requireUV).
func (a WebAuthnApproval) Verify(key webauthn.Key, rpID string, requireUV bool) error {
	if err := a.wellFormed(); err != nil {
		return fmt.Errorf("approval: %w", err)
	}
	if id := key.ID(); id != a.KeyID {
		return fmt.Errorf("approval: the approval names credential key %x…, not %s: %w", a.KeyID[:8], key.Fingerprint(), ErrSignature)
	}
	if err := key.Verify(a.Assertion, webauthn.Expect{RPID: rpID, Challenge: Challenge(a.Message), RequireUV: requireUV}); err != nil {
		return fmt.Errorf("approval: %w", err)
	}
	return nil
}

func (a *WebAuthnApproval) wellFormed() error {
	as := &a.Assertion
	switch {
	case len(as.AuthenticatorData) == 0 || len(as.AuthenticatorData) > maxAuthData:
		return fmt.Errorf("the authenticator data is %d bytes; 1 to %d: %w", len(as.AuthenticatorData), maxAuthData, ErrMalformed)
	case len(as.ClientDataJSON) == 0 || len(as.ClientDataJSON) > maxClientData:
		return fmt.Errorf("the client data is %d bytes; 1 to %d: %w", len(as.ClientDataJSON), maxClientData, ErrMalformed)
	case len(as.Signature) == 0 || len(as.Signature) > maxSignature:
		return fmt.Errorf("the signature is %d bytes; 1 to %d: %w", len(as.Signature), maxSignature, ErrMalformed)
	}
	if err := checkText("approver's name", a.Approver, 255); err != nil {
		return err
	}
	return a.Message.check()
}

// AttachWebAuthn adds a to p's global map, replacing an approval by the
// same credential, once it verifies with key for rpID (user presence only:
// the kiosk's policy decides on user verification).
func AttachWebAuthn(p *btcpsbt.Packet, a WebAuthnApproval, key webauthn.Key, rpID string) error {
	if p == nil || p.UnsignedTx == nil {
		return fmt.Errorf("approval: cannot attach to a PSBT without an unsigned transaction")
	}
	if err := a.Verify(key, rpID, false); err != nil {
		return err
	}
	putField(p, append(fieldPrefix(subtypeWebAuthn), a.KeyID[:]...), a.marshalValue())
	return nil
}

// marshalValue writes the PSBT field's value, version 1:
//
//	uint8   1
//	uint32  length of the message, then Message.Canonical
//	uint8   length of the approver's name, then its UTF-8 bytes
//	uint16  length of the authenticator data, then its bytes
//	uint16  length of clientDataJSON, then its bytes
//	uint8   length of the signature, then its bytes
func (a *WebAuthnApproval) marshalValue() []byte {
	msg := a.Message.Canonical()
	as := &a.Assertion
	b := make([]byte, 0, 1+4+len(msg)+1+len(a.Approver)+2+len(as.AuthenticatorData)+2+len(as.ClientDataJSON)+1+len(as.Signature))
	b = append(b, Version)
	b = appendBytes(b, msg)
	b = append(b, byte(len(a.Approver)))
	b = append(b, a.Approver...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(as.AuthenticatorData)))
	b = append(b, as.AuthenticatorData...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(as.ClientDataJSON)))
	b = append(b, as.ClientDataJSON...)
	b = append(b, byte(len(as.Signature)))
	return append(b, as.Signature...)
}

func parseWebAuthnValue(keyID, v []byte) (WebAuthnApproval, error) {
	if len(v) > MaxValueBytes {
		return WebAuthnApproval{}, fmt.Errorf("the value is %d bytes, more than %d: %w", len(v), MaxValueBytes, ErrMalformed)
	}
	r := &reader{b: v, what: "value"}
	if ver := r.uint8("format version"); r.err == nil && ver != Version {
		return WebAuthnApproval{}, fmt.Errorf("value format version %d; this kiosk reads version %d: update it: %w", ver, Version, ErrUnsupportedVersion)
	}
	msg := r.bytes32("message", MaxValueBytes)
	name := r.take(int(r.uint8("approver's name length")), "approver's name")
	auth := r.take(int(r.uint16("authenticator data length")), "authenticator data")
	client := r.take(int(r.uint16("client data length")), "client data")
	sig := r.take(int(r.uint8("signature length")), "signature")
	if r.err != nil {
		return WebAuthnApproval{}, r.err
	}
	if r.remaining() != 0 {
		return WebAuthnApproval{}, fmt.Errorf("%d bytes follow the signature: %w", r.remaining(), ErrMalformed)
	}
	m, err := parseMessage(msg)
	if err != nil {
		return WebAuthnApproval{}, err
	}
	a := WebAuthnApproval{
		Approver: string(name),
		Message:  m,
		Assertion: webauthn.Assertion{
			AuthenticatorData: slices.Clone(auth),
			ClientDataJSON:    slices.Clone(client),
			Signature:         slices.Clone(sig),
		},
	}
	copy(a.KeyID[:], keyID)
	if err := a.wellFormed(); err != nil {
		return WebAuthnApproval{}, err
	}
	return a, nil
}

// ExtractWebAuthn returns the WebAuthn approvals in p's global map, in key
// order, refusing a field that breaks the format as Extract does.
func ExtractWebAuthn(p *btcpsbt.Packet) ([]WebAuthnApproval, error) {
	var out []WebAuthnApproval
	err := eachField(p, subtypeWebAuthn, "credential key id", sha256.Size, func(data, value []byte) error {
		a, err := parseWebAuthnValue(data, value)
		out = append(out, a)
		return err
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(x, y WebAuthnApproval) int { return bytes.Compare(x.KeyID[:], y.KeyID[:]) })
	return out, nil
}

// Detach removes the approval under key id (an ed25519 public key, or a
// WebAuthn key's ID) from p's global map: what a coordinator does when an
// approver's key was rotated, or a request was rejected.
func Detach(p *btcpsbt.Packet, id []byte) {
	for _, sub := range []byte{subtypeApproval, subtypeWebAuthn} {
		key := append(fieldPrefix(sub), id...)
		p.Unknowns = slices.DeleteFunc(p.Unknowns, func(u *btcpsbt.Unknown) bool { return u != nil && bytes.Equal(u.Key, key) })
	}
}

// Strip removes every airsign field from p's global map, whatever its
// subtype (approvals, WebAuthn approvals, carried audit checkpoints, the
// request label), and leaves every other field as it is: what a
// coordinator does to a PSBT that no longer goes to a kiosk.
func Strip(p *btcpsbt.Packet) {
	p.Unknowns = slices.DeleteFunc(p.Unknowns, func(u *btcpsbt.Unknown) bool {
		if u == nil || len(u.Key) == 0 || u.Key[0] != 0xfc {
			return false
		}
		id, _, _, err := splitProprietary(u.Key[1:])
		return err == nil && id == identifier
	})
}
