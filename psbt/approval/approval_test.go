package approval

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	m := testMessage(t, testPacket(t, 0x11))
	key := testKey(1)
	a := Sign(m, "alice", key)
	if err := a.Verify(); err != nil {
		t.Fatalf("Verify of a fresh approval: got %v, want nil", err)
	}
	if got, want := a.PublicKey, key.Public().(ed25519.PublicKey); !bytes.Equal(got, want) {
		t.Errorf("PublicKey: got %x, want %x", got, want)
	}
	if !ed25519.Verify(a.PublicKey, m.Canonical(), a.Signature) {
		t.Errorf("the signature is not plain Ed25519 over Canonical()")
	}

	cases := []struct {
		name string
		edit func(a *Approval)
		err  error
		want string
	}{
		{"message changed after signing", func(a *Approval) { a.Message.Fee++ }, ErrSignature, "not valid for the message"},
		{"output changed after signing", func(a *Approval) { a.Message.Outputs[1].Value++ }, ErrSignature, "not valid"},
		{"forged signature", func(a *Approval) { a.Signature[5] ^= 1 }, ErrSignature, "forged"},
		{"another key", func(a *Approval) { a.PublicKey = testKey(2).Public().(ed25519.PublicKey) }, ErrSignature, "not valid"},
		{"short signature", func(a *Approval) { a.Signature = a.Signature[:63] }, ErrMalformed, "signature is 63 bytes"},
		{"short key", func(a *Approval) { a.PublicKey = a.PublicKey[:31] }, ErrMalformed, "public key is 31 bytes"},
		{"no name", func(a *Approval) { a.Approver = "" }, ErrMalformed, "name is empty"},
		{"name of 65 characters", func(a *Approval) { a.Approver = strings.Repeat("é", 65) }, ErrMalformed, "65 characters, more than 64"},
		{"name with a newline", func(a *Approval) { a.Approver = "bob\nalice" }, ErrMalformed, "control or format character U+000A"},
		{"version 2", func(a *Approval) { a.Message.Version = 2 }, ErrUnsupportedVersion, "message version 2"},
		{"no outputs", func(a *Approval) { a.Message.Outputs = nil }, ErrMalformed, "lists 0 outputs"},
	}
	for _, c := range cases {
		b := Sign(m, "alice", key)
		c.edit(&b)
		err := b.Verify()
		if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Verify: got %v, want an error wrapping %v containing %q", c.name, err, c.err, c.want)
		}
	}

	// A name of 64 characters is fine, and Sign's copy of the message does
	// not change with the caller's.
	b := Sign(m, strings.Repeat("é", 64), key)
	m.Outputs[0].Script[0] ^= 0xff
	m.Outputs[0].Value++
	if err := b.Verify(); err != nil {
		t.Errorf("Verify after the caller changed its message: got %v, want nil", err)
	}
}

func TestSignKeepsSeconds(t *testing.T) {
	m := testMessage(t, testPacket(t, 0x11))
	m.Expires = testExpires.Add(700 * time.Millisecond).In(time.FixedZone("CET", 3600))
	a := Sign(m, "alice", testKey(1))
	if !a.Message.Expires.Equal(testExpires) || a.Message.Expires.Location() != time.UTC {
		t.Errorf("Sign: expiry %v, want %v", a.Message.Expires, testExpires)
	}
}
