package webauthn

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
)

// TestVerify runs every rule of Verify with both algorithms: each case
// builds an assertion as an authenticator and a browser would (so only the
// thing the case changes is wrong), then changes it.
func TestVerify(t *testing.T) {
	otherChallenge := sha256.Sum256([]byte("airsign approval v1\n(another message)"))
	tests := []struct {
		name   string
		c      func(*ceremony)          // changes the ceremony before signing
		after  func(*Assertion)         // changes the assertion after signing
		e      func(*Expect)            // changes the expectations
		want   error                    // nil: accepted
		wantIn string                   // the error says this
		only   func(authenticator) bool // runs only for these authenticators
	}{
		{name: "valid"},
		{name: "valid, UV not required and clear", c: func(c *ceremony) { c.flags = FlagUP }},
		{name: "valid, UV required and set", e: func(e *Expect) { e.RequireUV = true }},
		{name: "valid, passkey flags", c: func(c *ceremony) { c.flags = FlagUP | FlagUV | FlagBE | FlagBS }},
		{name: "valid, no crossOrigin", c: func(c *ceremony) { c.extra = "" }},
		{name: "valid, unknown members", c: func(c *ceremony) {
			c.extra = `,"crossOrigin":false,"other_keys_can_be_added_here":"do not compare clientDataJSON against a template. See https://goo.gl/yabPex","n":[1,{"a":null}],"tokenBinding":{"status":"supported"}`
		}},
		{name: "valid, members in another order", c: func(c *ceremony) {
			c.clientData = `{"origin":"https://treasury.example","challenge":"` + base64.RawURLEncoding.EncodeToString(testChallenge) + `","type":"webauthn.get"}`
		}},
		{name: "valid, escaped strings", c: func(c *ceremony) {
			c.clientData = `{"type":"webauthn\u002eget","challenge":"` + base64.RawURLEncoding.EncodeToString(testChallenge) + `","origin":"https:\/\/treasury.example"}`
		}},
		{name: "valid, whitespace", c: func(c *ceremony) {
			c.clientData = " {\n \"type\" : \"webauthn.get\",\t\"challenge\":\"" + base64.RawURLEncoding.EncodeToString(testChallenge) + "\", \"origin\":\"https://treasury.example\"}\r\n"
		}},
		{name: "valid, subdomain", c: func(c *ceremony) { c.origin = "https://approve.treasury.example" }},
		{name: "valid, port", c: func(c *ceremony) { c.origin = "https://treasury.example:8443" }},
		{name: "valid, extensions", c: func(c *ceremony) {
			c.flags |= FlagED
			c.tail = mustHex(t, "a1 6b 6372656450726f74656374 02")
		}},
		{name: "valid, counter zero", c: func(c *ceremony) { c.count = 0 }},

		// Tampering.
		{name: "authData byte changed", after: func(a *Assertion) { a.AuthenticatorData[36] ^= 1 }, want: ErrSignature},
		{name: "authData flag UV added", c: func(c *ceremony) { c.flags = FlagUP }, after: func(a *Assertion) { a.AuthenticatorData[32] |= FlagUV }, want: ErrSignature},
		{name: "clientDataJSON byte changed", c: func(c *ceremony) { c.extra = `,"crossOrigin":false,"note":"aaaa"` },
			after: func(a *Assertion) { a.ClientDataJSON[len(a.ClientDataJSON)-3] = 'b' }, want: ErrSignature},
		{name: "clientDataJSON whitespace added", after: func(a *Assertion) { a.ClientDataJSON = append(a.ClientDataJSON, ' ') }, want: ErrSignature},
		{name: "signature byte changed", after: func(a *Assertion) { a.Signature[len(a.Signature)-1] ^= 1 }, want: ErrSignature},
		{name: "signature by another key", after: func(a *Assertion) {
			*a = edAuthenticatorSeed(t, 2).assert(t, goodCeremony())
		}, only: isEd, want: ErrSignature},
		{name: "signature by another ES256 key", after: func(a *Assertion) {
			*a = ecAuthenticatorSeed(t, 2).assert(t, goodCeremony())
		}, only: isEC, want: ErrSignature},
		{name: "Ed25519 signature on an ES256 key", after: func(a *Assertion) {
			a.Signature = edAuthenticator(t).assert(t, goodCeremony()).Signature
		}, only: isEC, want: ErrSignature, wantIn: "ES256"},
		{name: "ES256 signature on an Ed25519 key", after: func(a *Assertion) {
			a.Signature = ecAuthenticator(t).assert(t, goodCeremony()).Signature
		}, only: isEd, want: ErrSignature, wantIn: "exactly 64"},
		{name: "signature truncated", after: func(a *Assertion) { a.Signature = a.Signature[:len(a.Signature)-1] }, want: ErrSignature},
		{name: "signature extended", after: func(a *Assertion) { a.Signature = append(a.Signature, 0) }, want: ErrSignature},
		{name: "signature empty", after: func(a *Assertion) { a.Signature = nil }, want: ErrSignature},
		{name: "ES256 signature of 73 bytes", after: func(a *Assertion) { a.Signature = make([]byte, 73) }, only: isEC, want: ErrSignature, wantIn: "73 bytes"},
		{name: "ES256 signature of 7 bytes", after: func(a *Assertion) { a.Signature = make([]byte, 7) }, only: isEC, want: ErrSignature, wantIn: "7 bytes"},
		{name: "Ed25519 signature of 63 bytes", after: func(a *Assertion) { a.Signature = a.Signature[:63] }, only: isEd, want: ErrSignature, wantIn: "63 bytes"},
		{name: "Ed25519 signature of 65 bytes", after: func(a *Assertion) { a.Signature = append(a.Signature, 0) }, only: isEd, want: ErrSignature, wantIn: "65 bytes"},

		// The challenge: another message, or not raw unpadded base64url.
		{name: "another message", c: func(c *ceremony) { c.challenge = otherChallenge[:] }, want: ErrChallenge, wantIn: "different message"},
		{name: "expecting another message", e: func(e *Expect) { e.Challenge = otherChallenge[:] }, want: ErrChallenge, wantIn: "different message"},
		{name: "challenge one byte short", c: func(c *ceremony) { c.challenge = testChallenge[:31] }, want: ErrChallenge},
		{name: "challenge one byte long", c: func(c *ceremony) { c.challenge = append(bytes.Clone(testChallenge), 0) }, want: ErrChallenge},
		{name: "challenge padded", c: func(c *ceremony) { c.b64 = base64.URLEncoding.EncodeToString(testChallenge) }, want: ErrChallenge, wantIn: `'='`},
		{name: "challenge in standard base64", c: func(c *ceremony) {
			c.challenge = []byte{0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe}
			c.b64 = base64.RawStdEncoding.EncodeToString(c.challenge)
		}, e: func(e *Expect) {
			e.Challenge = []byte{0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe}
		}, want: ErrChallenge, wantIn: "base64url"},
		{name: "challenge with a newline", c: func(c *ceremony) {
			s := base64.RawURLEncoding.EncodeToString(testChallenge)
			c.b64 = s[:10] + "\n" + s[10:]
		}, want: ErrChallenge},
		{name: "challenge with non-zero padding bits", c: func(c *ceremony) {
			s := base64.RawURLEncoding.EncodeToString(testChallenge) // 43 characters: 2 bits of padding
			c.b64 = s[:42] + string(s[42]+1)
		}, want: ErrChallenge, wantIn: "canonical"},
		{name: "challenge as hex", c: func(c *ceremony) { c.b64 = strings.Repeat("ab", 32) }, want: ErrChallenge},
		{name: "challenge empty", c: func(c *ceremony) {
			c.clientData = `{"type":"webauthn.get","challenge":"","origin":"https://treasury.example"}`
		}, want: ErrChallenge},

		// The type.
		{name: "type webauthn.create", c: func(c *ceremony) { c.typ = "webauthn.create" }, want: ErrType, wantIn: "registration"},
		{name: "type payment.get", c: func(c *ceremony) { c.typ = "payment.get" }, want: ErrType, wantIn: `"payment.get"`},
		{name: "type in capitals", c: func(c *ceremony) { c.typ = "WEBAUTHN.GET" }, want: ErrType},

		// The origin.
		{name: "origin of another site", c: func(c *ceremony) { c.origin = "https://evil.example" }, want: ErrOrigin, wantIn: "another site"},
		{name: "origin whose name ends like the RP ID", c: func(c *ceremony) { c.origin = "https://eviltreasury.example" }, want: ErrOrigin},
		{name: "origin under another domain", c: func(c *ceremony) { c.origin = "https://treasury.example.evil.com" }, want: ErrOrigin},
		{name: "origin is the parent domain", c: func(c *ceremony) { c.origin = "https://example" }, want: ErrOrigin},
		{name: "origin over http", c: func(c *ceremony) { c.origin = "http://treasury.example" }, want: ErrOrigin, wantIn: "https"},
		{name: "origin of another scheme", c: func(c *ceremony) { c.origin = "android:apk-key-hash:abc" }, want: ErrOrigin},
		{name: "origin with a path", c: func(c *ceremony) { c.origin = "https://treasury.example/" }, want: ErrOrigin},
		{name: "origin with user info", c: func(c *ceremony) { c.origin = "https://evil.example@treasury.example" }, want: ErrOrigin},
		{name: "origin in capitals", c: func(c *ceremony) { c.origin = "https://TREASURY.example" }, want: ErrOrigin},
		{name: "origin with a trailing dot", c: func(c *ceremony) { c.origin = "https://treasury.example." }, want: ErrOrigin},
		{name: "origin with an empty label", c: func(c *ceremony) { c.origin = "https://a..treasury.example" }, want: ErrOrigin},
		{name: "origin with port 0", c: func(c *ceremony) { c.origin = "https://treasury.example:0" }, want: ErrOrigin, wantIn: "port"},
		{name: "origin with port 65536", c: func(c *ceremony) { c.origin = "https://treasury.example:65536" }, want: ErrOrigin, wantIn: "port"},
		{name: "origin with an empty port", c: func(c *ceremony) { c.origin = "https://treasury.example:" }, want: ErrOrigin, wantIn: "port"},
		{name: "origin with a padded port", c: func(c *ceremony) { c.origin = "https://treasury.example:0443" }, want: ErrOrigin, wantIn: "port"},
		{name: "origin null", c: func(c *ceremony) { c.origin = "null" }, want: ErrOrigin},
		{name: "crossOrigin true", c: func(c *ceremony) { c.extra = `,"crossOrigin":true` }, want: ErrOrigin, wantIn: "frame"},
		{name: "topOrigin present", c: func(c *ceremony) { c.extra = `,"crossOrigin":false,"topOrigin":"https://treasury.example"` }, want: ErrOrigin, wantIn: "topOrigin"},

		// The client data's form.
		{name: "duplicate type", c: func(c *ceremony) { c.extra = `,"type":"webauthn.get"` }, want: ErrMalformed, wantIn: `"type" twice`},
		{name: "duplicate challenge", c: func(c *ceremony) { c.extra = `,"challenge":"AAAA"` }, want: ErrMalformed, wantIn: `"challenge" twice`},
		{name: "duplicate origin", c: func(c *ceremony) { c.extra = `,"origin":"https://evil.example"` }, want: ErrMalformed, wantIn: "twice"},
		{name: "duplicate escaped key", c: func(c *ceremony) { c.extra = `,"orig\u0069n":"https://evil.example"` }, want: ErrMalformed, wantIn: "twice"},
		{name: "duplicate crossOrigin", c: func(c *ceremony) { c.extra = `,"crossOrigin":false,"crossOrigin":true` }, want: ErrMalformed, wantIn: "twice"},
		{name: "duplicate other member", c: func(c *ceremony) { c.extra = `,"x":1,"x":2` }, want: ErrMalformed, wantIn: "twice"},
		{name: "crossOrigin as text", c: func(c *ceremony) { c.extra = `,"crossOrigin":"false"` }, want: ErrMalformed, wantIn: "crossOrigin"},
		{name: "type as a number", c: func(c *ceremony) {
			c.clientData = `{"type":1,"challenge":"` + base64.RawURLEncoding.EncodeToString(testChallenge) + `","origin":"https://treasury.example"}`
		}, want: ErrMalformed, wantIn: "not a string"},
		{name: "no type", c: func(c *ceremony) {
			c.clientData = `{"challenge":"` + base64.RawURLEncoding.EncodeToString(testChallenge) + `","origin":"https://treasury.example"}`
		}, want: ErrMalformed, wantIn: "no type"},
		{name: "no origin", c: func(c *ceremony) {
			c.clientData = `{"type":"webauthn.get","challenge":"` + base64.RawURLEncoding.EncodeToString(testChallenge) + `"}`
		}, want: ErrMalformed, wantIn: "no origin"},
		{name: "not an object", c: func(c *ceremony) { c.clientData = `["webauthn.get"]` }, want: ErrMalformed, wantIn: "not a JSON object"},
		{name: "trailing object", c: func(c *ceremony) { c.extra = `}{"a":1` }, want: ErrMalformed, wantIn: "more after"},
		{name: "trailing garbage", c: func(c *ceremony) { c.extra = `}x` }, want: ErrMalformed},
		{name: "unterminated", c: func(c *ceremony) { c.extra = `,"x":` }, want: ErrMalformed},
		{name: "invalid UTF-8", c: func(c *ceremony) { c.extra = ",\"x\":\"\xff\"" }, want: ErrMalformed, wantIn: "UTF-8"},
		{name: "empty client data", after: func(a *Assertion) { a.ClientDataJSON = nil }, want: ErrMalformed},

		// The authenticator data.
		{name: "RP ID hash of another site", c: func(c *ceremony) { c.rpid = "evil.example" }, want: ErrRPID, wantIn: "another relying party"},
		{name: "RP ID hash of a subdomain", c: func(c *ceremony) { c.rpid = "approve.treasury.example" }, want: ErrRPID},
		{name: "UP clear", c: func(c *ceremony) { c.flags = FlagUV }, want: ErrUserPresence, wantIn: "touch"},
		{name: "UV clear and required", c: func(c *ceremony) { c.flags = FlagUP }, e: func(e *Expect) { e.RequireUV = true }, want: ErrUserVerification, wantIn: "PIN"},
		{name: "AT set", c: func(c *ceremony) {
			c.flags |= FlagAT
			c.tail = attestedData(testAAGUID, []byte("credential-0001"), edAuthenticator(t).key.COSE())
		}, want: ErrMalformed, wantIn: "registration"},
		{name: "BS without BE", c: func(c *ceremony) { c.flags |= FlagBS }, want: ErrMalformed, wantIn: "backed up"},
		{name: "ED without extensions", c: func(c *ceremony) { c.flags |= FlagED }, want: ErrMalformed, wantIn: "ED flag"},
		{name: "extensions without ED", c: func(c *ceremony) { c.tail = []byte{0xa0} }, want: ErrMalformed, wantIn: "unexpected bytes"},
		{name: "authData of 36 bytes", after: func(a *Assertion) { a.AuthenticatorData = a.AuthenticatorData[:36] }, want: ErrMalformed},

		// Sizes, checked before parsing.
		{name: "authData over the cap", c: func(c *ceremony) {
			c.flags |= FlagED
			c.tail = cborAppendBytes([]byte{0xa1, 0x61, 'x'}, make([]byte, MaxAuthData-37-3-3+1))
		}, want: ErrMalformed, wantIn: "1025 bytes"},
		{name: "authData at the cap", c: func(c *ceremony) {
			c.flags |= FlagED
			c.tail = cborAppendBytes([]byte{0xa1, 0x61, 'x'}, make([]byte, MaxAuthData-37-3-3))
		}},
		{name: "clientDataJSON over the cap", c: func(c *ceremony) {
			c.extra = `,"pad":"` + strings.Repeat("p", MaxClientData) + `"`
		}, want: ErrMalformed, wantIn: "client data is"},

		// The verifier's settings.
		{name: "empty RP ID", e: func(e *Expect) { e.RPID = "" }, want: ErrExpect, wantIn: "RP ID"},
		{name: "RP ID with a scheme", e: func(e *Expect) { e.RPID = "https://treasury.example" }, want: ErrExpect},
		{name: "RP ID in capitals", e: func(e *Expect) { e.RPID = "Treasury.example" }, want: ErrExpect},
		{name: "no challenge", e: func(e *Expect) { e.Challenge = nil }, want: ErrExpect, wantIn: "challenge"},
		{name: "short challenge", e: func(e *Expect) { e.Challenge = testChallenge[:15] }, want: ErrExpect, wantIn: "15 bytes"},
	}
	for _, au := range []authenticator{edAuthenticator(t), ecAuthenticator(t)} {
		for _, tt := range tests {
			if tt.only != nil && !tt.only(au) {
				continue
			}
			t.Run(au.key.AlgName()+"/"+tt.name, func(t *testing.T) {
				c := goodCeremony()
				if tt.c != nil {
					tt.c(&c)
				}
				a := au.assert(t, c)
				if tt.after != nil {
					tt.after(&a)
				}
				e := goodExpect()
				if tt.e != nil {
					tt.e(&e)
				}
				err := au.key.Verify(a, e)
				checkErr(t, err, tt.want, tt.wantIn)
				if err != nil && !wrapsOneSentinel(err) {
					t.Errorf("got error %v, want it to wrap exactly one sentinel", err)
				}
			})
		}
	}
}

func isEd(au authenticator) bool { return au.ed != nil }
func isEC(au authenticator) bool { return au.ec != nil }

// TestVerifyLocalhost: plain http is accepted for localhost and its
// subdomains only, and an https origin still has to be of the RP ID.
func TestVerifyLocalhost(t *testing.T) {
	tests := []struct {
		rpid, origin string
		want         error
	}{
		{"localhost", "http://localhost", nil},
		{"localhost", "http://localhost:8080", nil},
		{"localhost", "https://localhost:8443", nil},
		{"localhost", "http://approve.localhost", nil},
		{"localhost", "http://a.b.localhost:3000", nil},
		{"approve.localhost", "http://approve.localhost:3000", nil},
		{"approve.localhost", "http://localhost:3000", ErrOrigin},
		{"localhost", "http://localhost.evil.example", ErrOrigin},
		{"localhost", "http://evillocalhost", ErrOrigin},
		{"localhost", "http://127.0.0.1", ErrOrigin},
		{"localhost", "http://[::1]:8080", ErrOrigin},
		{"localhost", "ws://localhost", ErrOrigin},
		{"treasury.example", "http://localhost", ErrOrigin},
		{"treasury.example", "http://treasury.example:8080", ErrOrigin},
	}
	au := edAuthenticator(t)
	for _, tt := range tests {
		c := goodCeremony()
		c.rpid, c.origin = tt.rpid, tt.origin
		err := au.key.Verify(au.assert(t, c), Expect{RPID: tt.rpid, Challenge: testChallenge})
		if (err == nil) != (tt.want == nil) || tt.want != nil && !wrapsOneSentinel(err) {
			t.Errorf("RP ID %q, origin %q: got %v, want %v", tt.rpid, tt.origin, err, tt.want)
		}
		if tt.want != nil {
			checkErr(t, err, tt.want, "")
		}
	}
}

// TestVerifyHighAndLowS: an ES256 signature (r, s) and its twin (r, n-s)
// both verify; WebAuthn does not require low S. Which of the two the
// signer made does not matter.
func TestVerifyHighAndLowS(t *testing.T) {
	au := ecAuthenticator(t)
	a := au.assert(t, goodCeremony())
	var sig struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(a.Signature, &sig); err != nil || len(rest) != 0 {
		t.Fatalf("the test's signature is not DER: %v", err)
	}
	n := elliptic.P256().Params().N
	twin, err := asn1.Marshal(struct{ R, S *big.Int }{sig.R, new(big.Int).Sub(n, sig.S)})
	if err != nil {
		t.Fatal(err)
	}
	halfN := new(big.Int).Rsh(n, 1)
	var highs []bool
	for _, s := range [][]byte{a.Signature, twin} {
		var got struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(s, &got); err != nil {
			t.Fatal(err)
		}
		high := got.S.Cmp(halfN) > 0
		highs = append(highs, high)
		b := a
		b.Signature = s
		if err := au.key.Verify(b, goodExpect()); err != nil {
			t.Errorf("signature with high S %v: got %v, want success", high, err)
		}
	}
	if highs[0] == highs[1] {
		t.Errorf("got high S %v for both twins, want one high and one low", highs[0])
	}
	// A BER (not DER) encoding of the same signature is refused: a
	// signature has one encoding.
	var ber []byte
	if len(a.Signature) < 0x80 {
		ber = append([]byte{0x30, 0x81}, a.Signature[1:]...)
	}
	b := a
	b.Signature = ber
	if err := au.key.Verify(b, goodExpect()); err == nil {
		t.Errorf("a BER signature: got success, want a refusal")
	}
}

// TestVerifyRandomizedECDSA: a signature made with a random nonce, as
// real authenticators make them, verifies; whatever the nonce, it must.
func TestVerifyRandomizedECDSA(t *testing.T) {
	au := ecAuthenticator(t)
	c := goodCeremony()
	ad, cd := c.authData(), c.clientDataJSON()
	digest := sha256.Sum256(signedBytes(ad, cd))
	for range 4 {
		sig, err := ecdsa.SignASN1(rand.Reader, au.ec, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		if err := au.key.Verify(Assertion{ad, cd, sig}, goodExpect()); err != nil {
			t.Errorf("got %v, want success", err)
		}
	}
}

func TestVerifyZeroKey(t *testing.T) {
	a := edAuthenticator(t).assert(t, goodCeremony())
	checkErr(t, Key{}.Verify(a, goodExpect()), ErrUnsupported, "ParseCOSEKey")
}

// TestVerifyDoesNotChangeInput: Verify leaves the assertion's bytes alone.
func TestVerifyDoesNotChangeInput(t *testing.T) {
	for _, au := range []authenticator{edAuthenticator(t), ecAuthenticator(t)} {
		a := au.assert(t, goodCeremony())
		ad, cd, sig := bytes.Clone(a.AuthenticatorData), bytes.Clone(a.ClientDataJSON), bytes.Clone(a.Signature)
		a.AuthenticatorData = a.AuthenticatorData[:len(a.AuthenticatorData):len(a.AuthenticatorData)]
		if err := au.key.Verify(a, goodExpect()); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ad, a.AuthenticatorData) || !bytes.Equal(cd, a.ClientDataJSON) || !bytes.Equal(sig, a.Signature) {
			t.Errorf("%s: Verify changed the assertion", au.key)
		}
	}
}

func TestSignCount(t *testing.T) {
	au := edAuthenticator(t)
	c := goodCeremony()
	c.count = 0xdeadbeef
	a := au.assert(t, c)
	if got := a.SignCount(); got != 0xdeadbeef {
		t.Errorf("got %#x, want 0xdeadbeef", got)
	}
	for _, ad := range [][]byte{nil, a.AuthenticatorData[:36], append(bytes.Clone(a.AuthenticatorData), 0), make([]byte, MaxAuthData+1)} {
		if got := (Assertion{AuthenticatorData: ad}).SignCount(); got != 0 {
			t.Errorf("unparsable authenticator data of %d bytes: got %d, want 0", len(ad), got)
		}
	}
}
