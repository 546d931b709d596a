package approval

import (
	"crypto/ed25519"
	"fmt"
	"slices"
	"unicode/utf8"
)

// Approval is one approver's signature of a Message.
type Approval struct {
	// Approver is the name the approver signs as, for people: at most
	// MaxApproverLen characters. It is not signed; Check names approvers
	// by their enrolled name.
	Approver  string
	PublicKey ed25519.PublicKey
	Message   Message
	Signature []byte
}

// Sign returns approver's approval of m with key. The message's expiry is
// kept to the second, in UTC, as Canonical encodes it. Like ed25519.Sign,
// Sign panics if key is not ed25519.PrivateKeySize bytes. It does not check
// m: Verify does.
func Sign(m Message, approver string, key ed25519.PrivateKey) Approval {
	m.Expires = unixUTC(m.Expires.Unix())
	m.Outputs = slices.Clone(m.Outputs)
	for i := range m.Outputs {
		m.Outputs[i].Script = slices.Clone(m.Outputs[i].Script)
	}
	return Approval{
		Approver:  approver,
		PublicKey: slices.Clone(key.Public().(ed25519.PublicKey)),
		Message:   m,
		Signature: ed25519.Sign(key, m.Canonical()),
	}
}

// Verify checks that a is well formed and that its signature is valid for
// its message and public key. It does not say whether the approval is for
// a given transaction, or whether its key may approve: Check does.
func (a Approval) Verify() error {
	if err := a.wellFormed(); err != nil {
		return fmt.Errorf("approval: %w", err)
	}
	if !ed25519.Verify(a.PublicKey, a.Message.Canonical(), a.Signature) {
		return fmt.Errorf("approval: the signature by key %s is not valid for the message: it was forged, or the message changed after signing: %w", shortKey(a.PublicKey), ErrSignature)
	}
	return nil
}

// wellFormed checks what the PSBT value must hold.
func (a *Approval) wellFormed() error {
	if len(a.PublicKey) != ed25519.PublicKeySize {
		return fmt.Errorf("the public key is %d bytes, not %d: %w", len(a.PublicKey), ed25519.PublicKeySize, ErrMalformed)
	}
	if len(a.Signature) != ed25519.SignatureSize {
		return fmt.Errorf("the signature is %d bytes, not %d: %w", len(a.Signature), ed25519.SignatureSize, ErrMalformed)
	}
	if err := checkText("approver's name", a.Approver, 255); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(a.Approver); n > MaxApproverLen {
		return fmt.Errorf("the approver's name %q is %d characters, more than %d: %w", a.Approver, n, MaxApproverLen, ErrMalformed)
	}
	return a.Message.check()
}

// marshalValue writes the PSBT field's value, version 1.
func (a *Approval) marshalValue() []byte {
	msg := a.Message.Canonical()
	b := make([]byte, 0, 1+4+len(msg)+1+len(a.Approver)+len(a.Signature))
	b = append(b, Version)
	b = appendBytes(b, msg)
	b = append(b, byte(len(a.Approver)))
	b = append(b, a.Approver...)
	return append(b, a.Signature...)
}

// parseValue reads the PSBT field's value for the approval by key,
// refusing anything marshalValue would not have written.
func parseValue(key, v []byte) (Approval, error) {
	if len(v) > MaxValueBytes {
		return Approval{}, fmt.Errorf("the value is %d bytes, more than %d: %w", len(v), MaxValueBytes, ErrMalformed)
	}
	r := &reader{b: v, what: "value"}
	if ver := r.uint8("format version"); r.err == nil && ver != Version {
		return Approval{}, fmt.Errorf("value format version %d; this kiosk reads version %d: update it: %w", ver, Version, ErrUnsupportedVersion)
	}
	msg := r.bytes32("message", MaxValueBytes)
	name := r.take(int(r.uint8("approver's name length")), "approver's name")
	sig := r.take(ed25519.SignatureSize, "signature")
	if r.err != nil {
		return Approval{}, r.err
	}
	if r.remaining() != 0 {
		return Approval{}, fmt.Errorf("%d bytes follow the signature: %w", r.remaining(), ErrMalformed)
	}
	m, err := parseMessage(msg)
	if err != nil {
		return Approval{}, err
	}
	a := Approval{
		Approver:  string(name),
		PublicKey: slices.Clone(key),
		Message:   m,
		Signature: slices.Clone(sig),
	}
	if err := a.wellFormed(); err != nil {
		return Approval{}, err
	}
	return a, nil
}
