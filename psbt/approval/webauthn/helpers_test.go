package webauthn

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

const (
	testRPID   = "treasury.example"
	testOrigin = "https://treasury.example"
)

// testChallenge stands for SHA-256 of an airsign approval message.
var testChallenge = func() []byte {
	h := sha256.Sum256([]byte("airsign approval v1\n(test message)"))
	return h[:]
}()

func mustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		tb.Fatalf("bad hex in the test: %v", err)
	}
	return b
}

// authenticator signs as a security key would, deterministically: Ed25519
// from a fixed seed, ECDSA P-256 from a fixed scalar with RFC 6979 nonces.
type authenticator struct {
	key Key
	ed  ed25519.PrivateKey
	ec  *ecdsa.PrivateKey
}

func edAuthenticator(tb testing.TB) authenticator {
	return edAuthenticatorSeed(tb, 1)
}

func edAuthenticatorSeed(tb testing.TB, n byte) authenticator {
	tb.Helper()
	seed := sha256.Sum256([]byte{'e', 'd', n})
	priv := ed25519.NewKeyFromSeed(seed[:])
	k, err := KeyFromEd25519(priv.Public().(ed25519.PublicKey))
	if err != nil {
		tb.Fatal(err)
	}
	return authenticator{key: k, ed: priv}
}

func ecAuthenticator(tb testing.TB) authenticator {
	return ecAuthenticatorSeed(tb, 1)
}

func ecAuthenticatorSeed(tb testing.TB, n byte) authenticator {
	tb.Helper()
	scalar := sha256.Sum256([]byte{'e', 'c', n}) // below the P-256 order, as checked
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), scalar[:])
	if err != nil {
		tb.Fatal(err)
	}
	k, err := KeyFromECDSA(&priv.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	return authenticator{key: k, ec: priv}
}

// sign signs msg (authenticatorData || SHA-256(clientDataJSON)).
func (au authenticator) sign(tb testing.TB, msg []byte) []byte {
	tb.Helper()
	if au.ed != nil {
		return ed25519.Sign(au.ed, msg)
	}
	digest := sha256.Sum256(msg)
	sig, err := au.ec.Sign(nil, digest[:], crypto.SHA256) // nil: RFC 6979, deterministic
	if err != nil {
		tb.Fatal(err)
	}
	return sig
}

// ceremony describes one navigator.credentials.get as the test wants it.
type ceremony struct {
	rpid       string // hashed into the authenticator data
	origin     string
	typ        string
	challenge  []byte
	b64        string // the challenge as it appears in the client data, if set
	flags      byte
	count      uint32
	tail       []byte // appended to the authenticator data
	extra      string // JSON members appended after origin
	clientData string // the whole client data, if set
}

func goodCeremony() ceremony {
	return ceremony{
		rpid:      testRPID,
		origin:    testOrigin,
		typ:       "webauthn.get",
		challenge: testChallenge,
		flags:     FlagUP | FlagUV,
		count:     7,
		extra:     `,"crossOrigin":false`,
	}
}

func (c ceremony) authData() []byte {
	rp := sha256.Sum256([]byte(c.rpid))
	b := append(rp[:], c.flags)
	b = binary.BigEndian.AppendUint32(b, c.count)
	return append(b, c.tail...)
}

func (c ceremony) clientDataJSON() []byte {
	if c.clientData != "" {
		return []byte(c.clientData)
	}
	b64 := c.b64
	if b64 == "" {
		b64 = base64.RawURLEncoding.EncodeToString(c.challenge)
	}
	return fmt.Appendf(nil, `{"type":%s,"challenge":%s,"origin":%s%s}`,
		strconv.Quote(c.typ), strconv.Quote(b64), strconv.Quote(c.origin), c.extra)
}

// assert makes the assertion an authenticator and a browser would.
func (au authenticator) assert(tb testing.TB, c ceremony) Assertion {
	tb.Helper()
	ad, cd := c.authData(), c.clientDataJSON()
	return Assertion{AuthenticatorData: ad, ClientDataJSON: cd, Signature: au.sign(tb, signedBytes(ad, cd))}
}

func signedBytes(authData, clientDataJSON []byte) []byte {
	h := sha256.Sum256(clientDataJSON)
	return append(bytes.Clone(authData), h[:]...)
}

func goodExpect() Expect {
	return Expect{RPID: testRPID, Challenge: testChallenge}
}

// attestedData is the attested credential data for key k.
func attestedData(aaguid [16]byte, credID []byte, cose []byte) []byte {
	b := append(aaguid[:], byte(len(credID)>>8), byte(len(credID)))
	b = append(b, credID...)
	return append(b, cose...)
}

// noneAttestation builds a "none" attestation object around authData,
// with the keys in CTAP2 canonical order.
func noneAttestation(authData []byte) []byte {
	b := cborAppendHead(nil, 5, 3)
	b = cborAppendText(b, "fmt")
	b = cborAppendText(b, "none")
	b = cborAppendText(b, "attStmt")
	b = cborAppendHead(b, 5, 0)
	b = cborAppendText(b, "authData")
	return cborAppendBytes(b, authData)
}

// checkErr reports whether err wraps want (nil for success) and, if
// wantIn is set, says it.
func checkErr(t *testing.T, err, want error, wantIn string) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Errorf("got error %v, want success", err)
	case want != nil && err == nil:
		t.Errorf("got success, want an error wrapping %v", want)
	case want != nil && !errors.Is(err, want):
		t.Errorf("got error %v, want one wrapping %v", err, want)
	case err != nil && wantIn != "" && !bytes.Contains([]byte(err.Error()), []byte(wantIn)):
		t.Errorf("got error %q, want one saying %q", err, wantIn)
	}
}

// sentinels are all the errors this package's errors wrap.
var sentinels = []error{ErrMalformed, ErrUnsupported, ErrSignature, ErrChallenge, ErrType,
	ErrOrigin, ErrRPID, ErrUserPresence, ErrUserVerification, ErrExpect}

// wrapsOneSentinel reports whether err wraps exactly one sentinel.
func wrapsOneSentinel(err error) bool {
	n := 0
	for _, s := range sentinels {
		if errors.Is(err, s) {
			n++
		}
	}
	return n == 1
}
