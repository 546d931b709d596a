package webauthn

import (
	"bytes"
	"crypto/elliptic"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/url"
	"strings"
	"testing"
)

// specSeeds returns byte strings of the spec vectors: attestation objects,
// authenticator data, client data.
func specSeeds(tb testing.TB) (attObjs, authData, clientData [][]byte) {
	for _, v := range specVectors {
		if !strings.Contains(v.attestationObject, "{") {
			attObjs = append(attObjs, mustHex(tb, v.attestationObject))
		}
		authData = append(authData, mustHex(tb, v.authData))
		clientData = append(clientData, mustHex(tb, v.clientData))
		if v.regClientData != "" {
			clientData = append(clientData, mustHex(tb, v.regClientData))
		}
	}
	return
}

// FuzzCBOR: what the decoder accepts re-encodes (in preferred form) to
// bytes it accepts again and that decode to the same value.
func FuzzCBOR(f *testing.F) {
	attObjs, _, _ := specSeeds(f)
	for _, b := range attObjs {
		f.Add(b)
	}
	for _, h := range []string{"00", "1bffffffffffffffff", "a201020304", "826161a161626163", "5803010203", "a2 01 02 1801 03", "9fff", "c11a514b67b0", "f93c00"} {
		f.Add(mustHex(f, h))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, n, err := cborDecodeFirst(b)
		if err != nil {
			if !wrapsOneSentinel(err) {
				t.Fatalf("error %v wraps no single sentinel", err)
			}
			return
		}
		if n <= 0 || n > len(b) {
			t.Fatalf("consumed %d of %d bytes", n, len(b))
		}
		enc := cborEncode(nil, v)
		if len(enc) > n {
			t.Fatalf("the preferred encoding %x is longer than the input %x", enc, b[:n])
		}
		v2, err := cborDecodeAll(enc)
		if err != nil {
			t.Fatalf("re-encoded %x does not decode: %v", enc, err)
		}
		if enc2 := cborEncode(nil, v2); !bytes.Equal(enc2, enc) {
			t.Fatalf("re-encoding is not stable: %x then %x", enc, enc2)
		}
	})
}

// FuzzParseCOSEKey: an accepted COSE key re-encodes canonically, and the
// canonical encoding parses to an Equal key with the same encoding.
func FuzzParseCOSEKey(f *testing.F) {
	ed, ec := edAuthenticator(f).key, ecAuthenticator(f).key
	f.Add(ed.COSE())
	f.Add(ec.COSE())
	x, y := ec.COSE()[10:42], ec.COSE()[45:77]
	f.Add(coseMap(ci(-3), cb(y), ci(-2), cb(x), ci(-1), ci(1), ci(3), ci(-7), ci(1), ci(2)))
	f.Add(coseMap(ci(1), ci(2), ci(2), cb([]byte("kid")), ci(3), ci(-7), ci(-1), ci(1), ci(-2), cb(x), ci(-3), cb(y)))
	f.Add(coseMap(ci(1), ci(3), ci(3), ci(-257), ci(-1), cb(make([]byte, 256)), ci(-2), cb([]byte{1, 0, 1})))
	f.Add(append([]byte{0xb8, 4}, ed.COSE()[1:]...))
	attObjs, _, _ := specSeeds(f)
	for _, obj := range attObjs {
		if a, err := ParseAttestationObject(obj); err == nil {
			f.Add(a.Key.COSE())
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParseCOSEKey(b)
		if err != nil {
			if k.Alg() != 0 || !wrapsOneSentinel(err) {
				t.Fatalf("got key %v with error %v", k, err)
			}
			return
		}
		enc := k.COSE()
		if want := map[int]int{ES256: 77, EdDSA: 42}[k.Alg()]; len(enc) != want {
			t.Fatalf("%v: canonical encoding of %d bytes, want %d", k, len(enc), want)
		}
		k2, err := ParseCOSEKey(enc)
		if err != nil {
			t.Fatalf("the canonical encoding %x of an accepted key does not parse: %v", enc, err)
		}
		if !k2.Equal(k) || !bytes.Equal(k2.COSE(), enc) || k2.ID() != k.ID() {
			t.Fatalf("round trip changed the key: %x then %x", enc, k2.COSE())
		}
		// The key material is the input's.
		v, _ := cborDecodeAll(b)
		for i := 0; i < len(v.items); i += 2 {
			if l, _ := v.items[i].int64(); (l == coseX || l == coseY) && !bytes.Contains(enc, v.items[i+1].data) {
				t.Fatalf("parameter %d %x is not in the canonical encoding %x", l, v.items[i+1].data, enc)
			}
		}
	})
}

// FuzzParseAuthData: whatever is accepted is consistent with its bytes,
// never holds a credential ID over 1023 bytes, and holds a key exactly
// when the AT flag is set.
func FuzzParseAuthData(f *testing.F) {
	c := goodCeremony()
	f.Add(c.authData())
	c.flags |= FlagED
	c.tail = mustHex(f, "a16b6372656450726f7465637402")
	f.Add(c.authData())
	c.flags = FlagUP | FlagAT
	c.tail = attestedData(testAAGUID, []byte("credential-0001"), ecAuthenticator(f).key.COSE())
	f.Add(c.authData())
	c.flags |= FlagED
	c.tail = append(c.tail, 0xa0)
	f.Add(c.authData())
	c.flags = FlagUP | FlagAT
	c.tail = attestedData(testAAGUID, bytes.Repeat([]byte{1}, 1023), edAuthenticator(f).key.COSE())
	f.Add(c.authData())
	attObjs, authData, _ := specSeeds(f)
	for _, b := range authData {
		f.Add(b)
	}
	for _, obj := range attObjs {
		v, _ := cborDecodeAll(obj)
		for i := 0; i < len(v.items); i += 2 {
			if string(v.items[i].data) == "authData" {
				f.Add(v.items[i+1].data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseAuthData(b)
		if err != nil {
			if !wrapsOneSentinel(err) {
				t.Fatalf("error %v wraps no single sentinel", err)
			}
			return
		}
		if len(b) < 37 || !bytes.Equal(a.RPIDHash[:], b[:32]) || a.Flags != b[32] ||
			a.SignCount != uint32(b[33])<<24|uint32(b[34])<<16|uint32(b[35])<<8|uint32(b[36]) {
			t.Fatalf("fields do not match the bytes %x: %+v", b, a)
		}
		if len(a.CredentialID) > MaxCredentialID {
			t.Fatalf("a credential ID of %d bytes", len(a.CredentialID))
		}
		at := a.Flags&FlagAT != 0
		if at != (a.Key != nil) || at != (len(a.CredentialID) > 0) || !at && a.AAGUID != [16]byte{} {
			t.Fatalf("AT flag %v with key %v and credential ID of %d bytes", at, a.Key, len(a.CredentialID))
		}
		if a.Flags&(FlagAT|FlagED) == 0 && len(b) != 37 {
			t.Fatalf("%d bytes accepted without AT or ED", len(b))
		}
		if a.Flags&FlagBS != 0 && a.Flags&FlagBE == 0 {
			t.Fatalf("BS accepted without BE")
		}
		if at {
			if k, err := ParseCOSEKey(a.Key.COSE()); err != nil || !k.Equal(*a.Key) {
				t.Fatalf("the credential key does not round-trip: %v", err)
			}
			if !bytes.Equal(b[37+18:37+18+len(a.CredentialID)], a.CredentialID) {
				t.Fatalf("the credential ID is not the bytes'")
			}
		}
		if len(b) <= MaxAuthData {
			if got := (Assertion{AuthenticatorData: b}).SignCount(); got != a.SignCount {
				t.Fatalf("SignCount got %d, want %d", got, a.SignCount)
			}
		}
	})
}

// FuzzVerify mutates valid assertions. Verify must never accept one whose
// signed bytes (authenticator data, client data) differ from a valid
// assertion's: that would take a forged signature. The only freedom is in
// the signature's own bytes, and only as far as the algorithm allows: none
// for Ed25519 (RFC 8032 signatures are not malleable and Go refuses
// non-canonical S), and the twin (r, n-s) for ECDSA, whose DER encoding Go
// reads strictly.
func FuzzVerify(f *testing.F) {
	auths := []authenticator{edAuthenticator(f), ecAuthenticator(f)}
	valid := make([][]Assertion, 2)
	var variants []ceremony
	variants = append(variants, goodCeremony())
	c := goodCeremony()
	c.flags = FlagUP | FlagED
	c.tail = mustHex(f, "a16b6372656450726f7465637402")
	c.extra = `,"crossOrigin":false,"other_keys_can_be_added_here":"x"`
	variants = append(variants, c)
	c = goodCeremony()
	c.origin = "https://approve.treasury.example:8443"
	c.extra = ""
	variants = append(variants, c)
	for i, au := range auths {
		for _, c := range variants {
			a := au.assert(f, c)
			valid[i] = append(valid[i], a)
			f.Add(byte(i), a.AuthenticatorData, a.ClientDataJSON, a.Signature)
		}
	}
	// Invalid seeds near the valid ones.
	bad := goodCeremony()
	bad.extra = `,"crossOrigin":true`
	a := auths[0].assert(f, bad)
	f.Add(byte(0), a.AuthenticatorData, a.ClientDataJSON, a.Signature)
	bad = goodCeremony()
	bad.flags = FlagUV
	a = auths[1].assert(f, bad)
	f.Add(byte(1), a.AuthenticatorData, a.ClientDataJSON, a.Signature)

	f.Fuzz(func(t *testing.T, which byte, ad, cd, sig []byte) {
		i := int(which & 1)
		au := auths[i]
		err := au.key.Verify(Assertion{AuthenticatorData: ad, ClientDataJSON: cd, Signature: sig}, goodExpect())
		if err != nil {
			if !wrapsOneSentinel(err) {
				t.Fatalf("error %v wraps no single sentinel", err)
			}
			return
		}
		for _, v := range valid[i] {
			if !bytes.Equal(ad, v.AuthenticatorData) || !bytes.Equal(cd, v.ClientDataJSON) {
				continue
			}
			if bytes.Equal(sig, v.Signature) || au.ec != nil && bytes.Equal(sig, ecdsaTwin(t, v.Signature)) {
				return
			}
			t.Fatalf("%s accepted the signature %x, which is neither %x nor its twin", au.key, sig, v.Signature)
		}
		t.Fatalf("%s accepted signed bytes that no valid assertion has:\nauthData %x\nclientData %q", au.key, ad, cd)
	})
}

// ecdsaTwin returns the DER signature (r, n-s) of the DER signature (r, s).
func ecdsaTwin(t *testing.T, sig []byte) []byte {
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(sig, &rs); err != nil {
		t.Fatal(err)
	}
	rs.S.Sub(elliptic.P256().Params().N, rs.S)
	twin, err := asn1.Marshal(rs)
	if err != nil {
		t.Fatal(err)
	}
	return twin
}

// FuzzClientData: what the strict client data parser accepts,
// encoding/json reads the same way (no parser differential), the
// accepted challenge has exactly one spelling, and an accepted origin is,
// for net/url too, an https (or localhost http) origin of the RP ID with
// nothing else in it.
func FuzzClientData(f *testing.F) {
	_, _, clientData := specSeeds(f)
	for _, b := range clientData {
		f.Add(b, "example.org")
	}
	c := goodCeremony()
	f.Add(c.clientDataJSON(), testRPID)
	c.extra = `,"crossOrigin":true,"topOrigin":"https://x.example","n":[1,{"a":null}]`
	f.Add(c.clientDataJSON(), testRPID)
	c.origin = "http://app.localhost:8080"
	f.Add(c.clientDataJSON(), "localhost")
	f.Add([]byte(`{"type":"webauthn.get","type":"webauthn.get"}`), testRPID)
	f.Add([]byte(`{"orig\u0069n":"https://treasury.example"}`), testRPID)
	want := base64.RawURLEncoding.EncodeToString(testChallenge)
	f.Fuzz(func(t *testing.T, b []byte, rpid string) {
		cd, err := parseClientData(b)
		if err != nil {
			if !wrapsOneSentinel(err) {
				t.Fatalf("error %v wraps no single sentinel", err)
			}
			return
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("accepted %q, which encoding/json refuses: %v", b, err)
		}
		if m["type"] != cd.typ || m["challenge"] != cd.challenge || m["origin"] != cd.origin {
			t.Fatalf("encoding/json reads %q differently: %v", b, m)
		}
		if co, ok := m["crossOrigin"]; ok && co != cd.crossOrigin || !ok && cd.crossOrigin {
			t.Fatalf("crossOrigin: encoding/json reads %v, the parser %v", co, cd.crossOrigin)
		}
		if top, ok := m["topOrigin"]; ok != cd.hasTopOrigin || ok && top != cd.topOrigin {
			t.Fatalf("topOrigin: encoding/json reads %v, the parser %v %q", top, cd.hasTopOrigin, cd.topOrigin)
		}
		if checkChallenge(cd.challenge, testChallenge) == nil && cd.challenge != want {
			t.Fatalf("the challenge %q was accepted for %q", cd.challenge, want)
		}
		if !validHost(rpid) || checkOrigin(cd.origin, rpid) != nil {
			return
		}
		u, err := url.Parse(cd.origin)
		if err != nil {
			t.Fatalf("accepted origin %q, which net/url refuses: %v", cd.origin, err)
		}
		host := u.Hostname()
		switch {
		case u.Scheme != "https" && !(u.Scheme == "http" && isLocalhost(host)),
			host != rpid && !strings.HasSuffix(host, "."+rpid),
			u.User != nil, u.Path != "", u.RawQuery != "", u.Fragment != "", u.Opaque != "",
			u.Scheme+"://"+u.Host != cd.origin:
			t.Fatalf("accepted origin %q for RP ID %q: net/url reads %#v", cd.origin, rpid, u)
		}
	})
}
