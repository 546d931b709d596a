package webauthn

import (
	"bytes"
	"crypto/sha256"
	"testing"
)

var testAAGUID = [16]byte{0xaa, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xff}

func TestParseAuthData(t *testing.T) {
	ec := ecAuthenticator(t).key
	ed := edAuthenticator(t).key
	credID := []byte("credential-0001")
	ext := mustHex(t, "a1 6b 6372656450726f74656374 02") // {"credProtect": 2}

	base := func(flags byte, tail ...[]byte) []byte {
		c := goodCeremony()
		c.flags, c.count = flags, 0x01020304
		for _, x := range tail {
			c.tail = append(c.tail, x...)
		}
		return c.authData()
	}
	att := func(cose []byte) []byte { return attestedData(testAAGUID, credID, cose) }
	rsa := coseMap(ci(1), ci(3), ci(3), ci(-257), ci(-1), cb(make([]byte, 256)), ci(-2), cb([]byte{1, 0, 1}))

	tests := []struct {
		name    string
		b       []byte
		want    error
		wantIn  string
		wantKey *Key
		wantExt bool
	}{
		{name: "assertion", b: base(FlagUP)},
		{name: "assertion, UV BE BS", b: base(FlagUP | FlagUV | FlagBE | FlagBS)},
		{name: "assertion with extensions", b: base(FlagUP|FlagED, ext)},
		{name: "assertion with empty extensions", b: base(FlagUP|FlagED, []byte{0xa0})},
		{name: "registration ES256", b: base(FlagUP|FlagAT, att(ec.COSE())), wantKey: &ec},
		{name: "registration Ed25519", b: base(FlagUP|FlagAT, att(ed.COSE())), wantKey: &ed},
		{name: "registration with extensions", b: base(FlagUP|FlagAT|FlagED, att(ec.COSE()), ext), wantKey: &ec},
		{name: "no flags at all", b: base(0)},

		{name: "empty", b: nil, want: ErrMalformed, wantIn: "0 bytes"},
		{name: "36 bytes", b: base(FlagUP)[:36], want: ErrMalformed, wantIn: "36 bytes"},
		{name: "trailing byte", b: base(FlagUP, []byte{0}), want: ErrMalformed, wantIn: "1 unexpected bytes"},
		{name: "extensions without ED", b: base(FlagUP, ext), want: ErrMalformed, wantIn: "unexpected bytes"},
		{name: "ED without extensions", b: base(FlagUP | FlagED), want: ErrMalformed, wantIn: "no extension"},
		{name: "extensions not a map", b: base(FlagUP|FlagED, []byte{0x80}), want: ErrMalformed, wantIn: "not a CBOR map"},
		{name: "extensions truncated", b: base(FlagUP|FlagED, ext[:len(ext)-1]), want: ErrMalformed, wantIn: "CBOR"},
		{name: "extensions then junk", b: base(FlagUP|FlagED, ext, []byte{0}), want: ErrMalformed, wantIn: "unexpected bytes"},
		{name: "extensions with a tag", b: base(FlagUP|FlagED, []byte{0xa1, 0x61, 'x', 0xc1, 0x00}), want: ErrMalformed, wantIn: "tags"},
		{name: "BS without BE", b: base(FlagUP | FlagBS), want: ErrMalformed, wantIn: "backed up"},
		{name: "AT without data", b: base(FlagUP | FlagAT), want: ErrMalformed, wantIn: "ends before"},
		{name: "AT, id truncated", b: base(FlagUP|FlagAT, att(ec.COSE())[:30]), want: ErrMalformed, wantIn: "only"},
		{name: "AT, no key", b: base(FlagUP|FlagAT, att(nil)), want: ErrMalformed, wantIn: "ends"},
		{name: "AT, key truncated", b: base(FlagUP|FlagAT, att(ec.COSE()[:70])), want: ErrMalformed, wantIn: "CBOR"},
		{name: "AT, junk after key", b: base(FlagUP|FlagAT, att(ec.COSE()), []byte{0}), want: ErrMalformed, wantIn: "unexpected bytes"},
		{name: "AT, extensions without ED", b: base(FlagUP|FlagAT, att(ec.COSE()), ext), want: ErrMalformed, wantIn: "unexpected bytes"},
		{name: "AT, empty credential ID", b: base(FlagUP|FlagAT, attestedData(testAAGUID, nil, ec.COSE())), want: ErrMalformed, wantIn: "empty"},
		{name: "AT, RS256 key", b: base(FlagUP|FlagAT, att(rsa)), want: ErrUnsupported, wantIn: "RS256"},
		{name: "AT, key not a map", b: base(FlagUP|FlagAT, att([]byte{0x40})), want: ErrMalformed, wantIn: "CBOR map"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ParseAuthData(tt.b)
			checkErr(t, err, tt.want, tt.wantIn)
			if err != nil {
				if !wrapsOneSentinel(err) {
					t.Errorf("got error %v, want it to wrap one sentinel", err)
				}
				return
			}
			if want := sha256.Sum256([]byte(testRPID)); a.RPIDHash != want || a.Flags != tt.b[32] || a.SignCount != 0x01020304 {
				t.Errorf("got hash %x flags %02x count %x, want %x %02x 01020304", a.RPIDHash, a.Flags, a.SignCount, want, tt.b[32])
			}
			switch {
			case tt.wantKey == nil && (a.Key != nil || a.CredentialID != nil || a.AAGUID != [16]byte{}):
				t.Errorf("got key %v, id %x, AAGUID %x; want none", a.Key, a.CredentialID, a.AAGUID)
			case tt.wantKey != nil && (a.Key == nil || !a.Key.Equal(*tt.wantKey)):
				t.Errorf("got key %v, want %v", a.Key, tt.wantKey)
			case tt.wantKey != nil && (!bytes.Equal(a.CredentialID, credID) || a.AAGUID != testAAGUID):
				t.Errorf("got id %q, AAGUID %x; want %q, %x", a.CredentialID, a.AAGUID, credID, testAAGUID)
			}
		})
	}
}

// TestCredentialIDLength: 1023 bytes are allowed, 1024 are not.
func TestCredentialIDLength(t *testing.T) {
	ec := ecAuthenticator(t).key
	for _, n := range []int{1, 16, 1023, 1024, 65535} {
		c := goodCeremony()
		c.flags = FlagUP | FlagAT
		c.tail = attestedData(testAAGUID, bytes.Repeat([]byte{0x5c}, n), ec.COSE())
		a, err := ParseAuthData(c.authData())
		if n <= MaxCredentialID {
			if err != nil || len(a.CredentialID) != n {
				t.Errorf("credential ID of %d bytes: got %d bytes, %v; want success", n, len(a.CredentialID), err)
			}
			continue
		}
		checkErr(t, err, ErrMalformed, "at most 1023")
	}
}

// TestParseAuthDataCopies: the AuthData shares no bytes with the input.
func TestParseAuthDataCopies(t *testing.T) {
	c := goodCeremony()
	c.flags = FlagUP | FlagAT
	c.tail = attestedData(testAAGUID, []byte("credential-0001"), edAuthenticator(t).key.COSE())
	b := c.authData()
	a, err := ParseAuthData(b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] ^= 0xff
	}
	if string(a.CredentialID) != "credential-0001" || !a.Key.Equal(edAuthenticator(t).key) {
		t.Errorf("changing the input changed the AuthData: id %q, key %v", a.CredentialID, a.Key)
	}
}

func TestParseAttestationObject(t *testing.T) {
	ed := edAuthenticator(t).key
	credID := []byte("credential-0001")
	reg := func(flags byte) []byte {
		c := goodCeremony()
		c.flags, c.count = flags, 0
		c.tail = attestedData(testAAGUID, credID, ed.COSE())
		return c.authData()
	}
	good := noneAttestation(reg(FlagUP | FlagUV | FlagAT))
	obj := func(kv ...[]byte) []byte { return coseMap(kv...) }
	tx := func(s string) []byte { return cborAppendText(nil, s) }
	emptyMap := []byte{0xa0}

	tests := []struct {
		name   string
		b      []byte
		want   error
		wantIn string
	}{
		{"none", good, nil, ""},
		{"keys in another order", obj(tx("authData"), cb(reg(FlagUP|FlagAT)), tx("fmt"), tx("none"), tx("attStmt"), emptyMap), nil, ""},
		{"packed, not verified", obj(tx("fmt"), tx("packed"), tx("attStmt"), obj(tx("alg"), ci(-7), tx("sig"), cb(make([]byte, 70))), tx("authData"), cb(reg(FlagUP|FlagAT))), nil, ""},
		{"UP clear", noneAttestation(reg(FlagUV | FlagAT)), ErrUserPresence, "touch"},
		{"AT clear", noneAttestation(goodCeremony().authData()), ErrMalformed, "AT flag"},
		{"authData bad", noneAttestation(append(reg(FlagUP|FlagAT), 0)), ErrMalformed, "unexpected bytes"},
		{"none with a statement", obj(tx("fmt"), tx("none"), tx("attStmt"), obj(tx("x"), ci(1)), tx("authData"), cb(reg(FlagUP|FlagAT))), ErrMalformed, "not empty"},
		{"no fmt", obj(tx("attStmt"), emptyMap, tx("authData"), cb(reg(FlagUP|FlagAT))), ErrMalformed, "no format"},
		{"empty fmt", obj(tx("fmt"), tx(""), tx("attStmt"), emptyMap, tx("authData"), cb(reg(FlagUP|FlagAT))), ErrMalformed, "fmt"},
		{"no attStmt", obj(tx("fmt"), tx("none"), tx("authData"), cb(reg(FlagUP|FlagAT))), ErrMalformed, "no attestation statement"},
		{"no authData", obj(tx("fmt"), tx("none"), tx("attStmt"), emptyMap), ErrMalformed, "no authenticator data"},
		{"authData as text", obj(tx("fmt"), tx("none"), tx("attStmt"), emptyMap, tx("authData"), tx("x")), ErrMalformed, "not a byte string"},
		{"attStmt as array", obj(tx("fmt"), tx("none"), tx("attStmt"), []byte{0x80}, tx("authData"), cb(reg(FlagUP|FlagAT))), ErrMalformed, "not a map"},
		{"fmt as int", obj(tx("fmt"), ci(1), tx("attStmt"), emptyMap, tx("authData"), cb(reg(FlagUP|FlagAT))), ErrMalformed, "fmt"},
		{"extra key", obj(tx("fmt"), tx("none"), tx("attStmt"), emptyMap, tx("authData"), cb(reg(FlagUP|FlagAT)), tx("epAtt"), []byte{0xf5}), ErrMalformed, `"epAtt"`},
		{"integer key", obj(ci(1), tx("none"), tx("attStmt"), emptyMap, tx("authData"), cb(reg(FlagUP|FlagAT))), ErrMalformed, "the key 1"},
		{"duplicate key", obj(tx("fmt"), tx("none"), tx("fmt"), tx("none"), tx("attStmt"), emptyMap, tx("authData"), cb(reg(FlagUP|FlagAT))), ErrMalformed, "twice"},
		{"trailing byte", append(bytes.Clone(good), 0), ErrMalformed, "unexpected bytes"},
		{"not a map", []byte{0x80}, ErrMalformed, "not a CBOR map"},
		{"too large", append([]byte{0x5a, 0, 1, 0, 0}, make([]byte, 1<<16)...), ErrMalformed, "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ParseAttestationObject(tt.b)
			checkErr(t, err, tt.want, tt.wantIn)
			if err != nil {
				if !wrapsOneSentinel(err) {
					t.Errorf("got error %v, want it to wrap one sentinel", err)
				}
				return
			}
			if a.Key == nil || !a.Key.Equal(ed) || !bytes.Equal(a.CredentialID, credID) || a.AAGUID != testAAGUID {
				t.Errorf("got key %v, id %q, AAGUID %x; want %v, %q, %x", a.Key, a.CredentialID, a.AAGUID, ed, credID, testAAGUID)
			}
		})
	}
}
