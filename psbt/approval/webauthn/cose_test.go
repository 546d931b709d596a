package webauthn

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"testing"
)

// coseMap encodes a map of the given keys and values in the given order;
// each key and value is already encoded.
func coseMap(kv ...[]byte) []byte {
	b := cborAppendHead(nil, 5, uint64(len(kv)/2))
	for _, x := range kv {
		b = append(b, x...)
	}
	return b
}

func ci(v int64) []byte  { return cborAppendInt(nil, v) }
func cb(b []byte) []byte { return cborAppendBytes(nil, b) }

// ecParts returns the test ES256 key's coordinates.
func ecParts(t *testing.T) (x, y []byte) {
	t.Helper()
	au := ecAuthenticator(t)
	p, err := au.ec.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return p[1:33], p[33:65]
}

func TestCOSERoundTrip(t *testing.T) {
	for _, au := range []authenticator{edAuthenticator(t), ecAuthenticator(t)} {
		k := au.key
		enc := k.COSE()
		k2, err := ParseCOSEKey(enc)
		if err != nil {
			t.Fatalf("%s: ParseCOSEKey(COSE()): %v", k, err)
		}
		if !k2.Equal(k) || !bytes.Equal(k2.COSE(), enc) || k2.ID() != k.ID() {
			t.Errorf("%s: got %x after a round trip, want %x", k, k2.COSE(), enc)
		}
		if got, want := k.ID(), sha256.Sum256(enc); got != want {
			t.Errorf("%s: ID got %x, want SHA-256 of COSE() %x", k, got, want)
		}
		id := k.ID()
		if got, want := k.Fingerprint(), hex.EncodeToString(id[:8]); got != want {
			t.Errorf("%s: fingerprint got %q, want %q", k, got, want)
		}
	}
	ed := edAuthenticator(t).key
	if ed.Alg() != EdDSA || ed.AlgName() != "EdDSA" || len(ed.COSE()) != 42 || hex.EncodeToString(ed.COSE()[:10]) != "a4010103272006215820" {
		t.Errorf("Ed25519 key: got alg %d %q, COSE %x", ed.Alg(), ed.AlgName(), ed.COSE())
	}
	ec := ecAuthenticator(t).key
	if ec.Alg() != ES256 || ec.AlgName() != "ES256" || len(ec.COSE()) != 77 || hex.EncodeToString(ec.COSE()[:10]) != "a5010203262001215820" || ec.COSE()[42] != 0x22 {
		t.Errorf("ES256 key: got alg %d %q, COSE %x", ec.Alg(), ec.AlgName(), ec.COSE())
	}
	if ed.Equal(ec) || ec.Equal(ed) || ed.Equal(Key{}) {
		t.Errorf("different keys are Equal")
	}
	if edAuthenticatorSeed(t, 2).key.Equal(ed) || ecAuthenticatorSeed(t, 2).key.Equal(ec) {
		t.Errorf("keys of different seeds are Equal")
	}
	// COSE returns a copy.
	c := ed.COSE()
	c[len(c)-1] ^= 1
	if !bytes.Equal(ed.COSE(), edAuthenticator(t).key.COSE()) {
		t.Errorf("changing COSE()'s result changed the key")
	}
}

func TestCOSEZeroKey(t *testing.T) {
	var k Key
	if k.Alg() != 0 || k.AlgName() != "" || k.COSE() != nil || k.ID() != [32]byte{} || k.String() != "no key" || !k.Equal(Key{}) {
		t.Errorf("zero Key: got alg %d %q, COSE %x, ID %x, %q", k.Alg(), k.AlgName(), k.COSE(), k.ID(), k)
	}
}

// TestCOSEOtherEncoding: the same key encoded in another order, with
// integers in longer forms and a key id, parses to a Key whose COSE() is
// the canonical encoding and whose ID is the same.
func TestCOSEOtherEncoding(t *testing.T) {
	x, y := ecParts(t)
	want := ecAuthenticator(t).key
	long := func(v int64) []byte { // an int in an 8-byte argument
		if v >= 0 {
			return append([]byte{0x1b, 0, 0, 0, 0, 0, 0, 0}, byte(v))
		}
		return append([]byte{0x3b, 0, 0, 0, 0, 0, 0, 0}, byte(-1-v))
	}
	longBytes := func(b []byte) []byte { return append([]byte{0x5a, 0, 0, 0, byte(len(b))}, b...) }
	encodings := map[string][]byte{
		"reversed":      coseMap(ci(-3), cb(y), ci(-2), cb(x), ci(-1), ci(1), ci(3), ci(-7), ci(1), ci(2)),
		"long ints":     coseMap(long(1), long(2), long(3), long(-7), long(-1), long(1), long(-2), longBytes(x), long(-3), longBytes(y)),
		"with kid":      coseMap(ci(1), ci(2), ci(2), cb([]byte("key one")), ci(3), ci(-7), ci(-1), ci(1), ci(-2), cb(x), ci(-3), cb(y)),
		"long map head": append([]byte{0xb8, 5}, want.COSE()[1:]...),
	}
	for name, enc := range encodings {
		k, err := ParseCOSEKey(enc)
		if err != nil {
			t.Errorf("%s: got %v, want success", name, err)
			continue
		}
		if !bytes.Equal(k.COSE(), want.COSE()) || k.ID() != want.ID() || !k.Equal(want) {
			t.Errorf("%s: got COSE %x, want the canonical %x", name, k.COSE(), want.COSE())
		}
	}
	ed := edAuthenticator(t).key
	pub := ed.ed
	k, err := ParseCOSEKey(coseMap(ci(-2), cb(pub), ci(3), ci(-8), ci(-1), ci(6), ci(1), ci(1)))
	if err != nil || !k.Equal(ed) {
		t.Errorf("reordered Ed25519 key: got %v, %v; want %s", k, err, ed)
	}
}

func TestCOSERefused(t *testing.T) {
	x, y := ecParts(t)
	edPub := []byte(edAuthenticator(t).key.ed)
	badY := new(big.Int).Add(new(big.Int).SetBytes(y), big.NewInt(1)).FillBytes(make([]byte, 32))
	// An RSA key as authenticators send it: n and e.
	n := new(big.Int).Mul(
		new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 1279), big.NewInt(1)),
		new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 2203), big.NewInt(1)))
	canonicalEC := ecAuthenticator(t).key.COSE()
	tests := []struct {
		name   string
		enc    []byte
		want   error
		wantIn string
	}{
		{"RS256", coseMap(ci(1), ci(3), ci(3), ci(-257), ci(-1), cb(n.Bytes()), ci(-2), cb([]byte{1, 0, 1})), ErrUnsupported, "COSE algorithm -257 (RS256) is not supported: use an ES256 or Ed25519 credential"},
		{"ES384", coseMap(ci(1), ci(2), ci(3), ci(-35), ci(-1), ci(2), ci(-2), cb(make([]byte, 48)), ci(-3), cb(make([]byte, 48))), ErrUnsupported, "-35 (ES384)"},
		{"ESP256", coseMap(ci(1), ci(2), ci(3), ci(-9), ci(-1), ci(1), ci(-2), cb(x), ci(-3), cb(y)), ErrUnsupported, "-9 (ESP256)"},
		{"unnamed alg", coseMap(ci(1), ci(2), ci(3), ci(-70000), ci(-1), ci(1), ci(-2), cb(x), ci(-3), cb(y)), ErrUnsupported, "-70000 is not"},
		{"no alg", coseMap(ci(1), ci(2), ci(-1), ci(1), ci(-2), cb(x), ci(-3), cb(y)), ErrMalformed, "no algorithm"},
		{"alg as text", coseMap(ci(1), ci(2), ci(3), cborAppendText(nil, "ES256"), ci(-1), ci(1), ci(-2), cb(x), ci(-3), cb(y)), ErrMalformed, "not an integer"},
		{"no kty", coseMap(ci(3), ci(-7), ci(-1), ci(1), ci(-2), cb(x), ci(-3), cb(y)), ErrMalformed, "key type"},
		{"kty OKP with ES256", coseMap(ci(1), ci(1), ci(3), ci(-7), ci(-1), ci(1), ci(-2), cb(x), ci(-3), cb(y)), ErrMalformed, "1 (OKP) does not fit"},
		{"P-384 with ES256", coseMap(ci(1), ci(2), ci(3), ci(-7), ci(-1), ci(2), ci(-2), cb(x), ci(-3), cb(y)), ErrUnsupported, "2 (P-384)"},
		{"no crv", coseMap(ci(1), ci(2), ci(3), ci(-7), ci(-2), cb(x), ci(-3), cb(y)), ErrMalformed, "no curve"},
		{"not on curve", coseMap(ci(1), ci(2), ci(3), ci(-7), ci(-1), ci(1), ci(-2), cb(x), ci(-3), cb(badY)), ErrMalformed, "not a point"},
		{"zero point", coseMap(ci(1), ci(2), ci(3), ci(-7), ci(-1), ci(1), ci(-2), cb(make([]byte, 32)), ci(-3), cb(make([]byte, 32))), ErrMalformed, "not a point"},
		{"x of 31 bytes", coseMap(ci(1), ci(2), ci(3), ci(-7), ci(-1), ci(1), ci(-2), cb(x[1:]), ci(-3), cb(y)), ErrMalformed, "31 bytes"},
		{"x of 33 bytes", coseMap(ci(1), ci(2), ci(3), ci(-7), ci(-1), ci(1), ci(-2), cb(append([]byte{0}, x...)), ci(-3), cb(y)), ErrMalformed, "33 bytes"},
		{"y of 31 bytes", coseMap(ci(1), ci(2), ci(3), ci(-7), ci(-1), ci(1), ci(-2), cb(x), ci(-3), cb(y[1:])), ErrMalformed, "32-byte"},
		{"no y", coseMap(ci(1), ci(2), ci(3), ci(-7), ci(-1), ci(1), ci(-2), cb(x)), ErrMalformed, "no y"},
		{"compressed", coseMap(ci(1), ci(2), ci(3), ci(-7), ci(-1), ci(1), ci(-2), cb(x), ci(-3), []byte{0xf5}), ErrUnsupported, "compressed"},
		{"private key", coseMap(ci(1), ci(2), ci(3), ci(-7), ci(-1), ci(1), ci(-2), cb(x), ci(-3), cb(y), ci(-4), cb(make([]byte, 32))), ErrMalformed, "private key"},
		{"key_ops", coseMap(ci(1), ci(2), ci(3), ci(-7), ci(4), cborAppendHead(nil, 4, 0), ci(-1), ci(1), ci(-2), cb(x), ci(-3), cb(y)), ErrMalformed, "parameter 4"},
		{"text label", coseMap(ci(1), ci(2), ci(3), ci(-7), ci(-1), ci(1), ci(-2), cb(x), ci(-3), cb(y), cborAppendText(nil, "note"), ci(0)), ErrMalformed, `parameter "note"`},
		{"kid not bytes", coseMap(ci(1), ci(2), ci(2), ci(5), ci(3), ci(-7), ci(-1), ci(1), ci(-2), cb(x), ci(-3), cb(y)), ErrMalformed, "key id"},
		{"duplicate label", coseMap(ci(1), ci(2), ci(1), ci(2), ci(3), ci(-7), ci(-1), ci(1), ci(-2), cb(x), ci(-3), cb(y)), ErrMalformed, "twice"},
		{"trailing byte", append(bytes.Clone(canonicalEC), 0), ErrMalformed, "unexpected bytes"},
		{"truncated", canonicalEC[:76], ErrMalformed, ""},
		{"array", cborAppendHead(nil, 4, 0), ErrMalformed, "is a CBOR map, and this is an array"},
		{"empty", nil, ErrMalformed, ""},
		{"too long", append(cb(make([]byte, 1100)), 0), ErrMalformed, "bytes"},
		{"Ed25519 with y", coseMap(ci(1), ci(1), ci(3), ci(-8), ci(-1), ci(6), ci(-2), cb(edPub), ci(-3), cb(edPub)), ErrMalformed, "has a y"},
		{"Ed25519 on X25519", coseMap(ci(1), ci(1), ci(3), ci(-8), ci(-1), ci(4), ci(-2), cb(edPub)), ErrUnsupported, "4 (X25519)"},
		{"Ed25519 as EC2", coseMap(ci(1), ci(2), ci(3), ci(-8), ci(-1), ci(6), ci(-2), cb(edPub)), ErrMalformed, "2 (EC2) does not fit"},
		{"Ed25519 of 31 bytes", coseMap(ci(1), ci(1), ci(3), ci(-8), ci(-1), ci(6), ci(-2), cb(edPub[1:])), ErrMalformed, "31 bytes"},
		{"Ed25519 identity", coseMap(ci(1), ci(1), ci(3), ci(-8), ci(-1), ci(6), ci(-2), cb(mustHex(t, "0100000000000000000000000000000000000000000000000000000000000000"))), ErrMalformed, "small order"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseCOSEKey(tt.enc)
			checkErr(t, err, tt.want, tt.wantIn)
			if err != nil && (k.Alg() != 0 || !wrapsOneSentinel(err)) {
				t.Errorf("got key %v and error %v; want the zero Key and one sentinel", k, err)
			}
		})
	}
}

// TestEd25519SmallOrder: the eight points of small order (in their
// canonical encodings, and a few non-canonical ones) are refused, and
// ordinary keys are not.
func TestEd25519SmallOrder(t *testing.T) {
	small := []string{
		"0100000000000000000000000000000000000000000000000000000000000000", // neutral, order 1
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
		"0000000000000000000000000000000000000000000000000000000000000000", // order 4
		"0000000000000000000000000000000000000000000000000000000000000080", // order 4
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", // order 8
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", // order 8
		"0100000000000000000000000000000000000000000000000000000000000080", // neutral, x sign set
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p+1 = 1
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p = 0
	}
	for i, h := range small {
		_, err := KeyFromEd25519(mustHex(t, h))
		checkErr(t, err, ErrMalformed, "")
		if i < 8 && (!ed25519OnCurve(mustHex(t, h)) || !smallOrder(mustHex(t, h))) {
			t.Errorf("%s: got on the curve %v, small order %v; want both", h, ed25519OnCurve(mustHex(t, h)), smallOrder(mustHex(t, h)))
		}
	}
	for i := byte(0); i < 32; i++ {
		seed := sha256.Sum256([]byte{i})
		pub := ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
		if _, err := KeyFromEd25519(pub); err != nil {
			t.Errorf("KeyFromEd25519 of seed %d: got %v, want success", i, err)
		}
	}
}

func TestKeyFromECDSA(t *testing.T) {
	if _, err := KeyFromECDSA(nil); err == nil {
		t.Errorf("KeyFromECDSA(nil): got success")
	}
	p384, err := ecdsa.ParseRawPrivateKey(elliptic.P384(), bytes.Repeat([]byte{7}, 48))
	if err != nil {
		t.Fatal(err)
	}
	_, err = KeyFromECDSA(&p384.PublicKey)
	checkErr(t, err, ErrUnsupported, "P-384")
	au := ecAuthenticator(t)
	pub := au.ec.PublicKey
	k, err := KeyFromECDSA(&pub)
	if err != nil {
		t.Fatal(err)
	}
	pub.X = new(big.Int).Add(pub.X, big.NewInt(1)) // the caller changes its key afterwards
	if !k.Equal(au.key) {
		t.Errorf("the Key changed with the caller's public key")
	}
	if _, err := KeyFromECDSA(&pub); err == nil {
		t.Errorf("KeyFromECDSA of a point off the curve: got success")
	}
	if _, err := KeyFromEd25519(make([]byte, 31)); err == nil {
		t.Errorf("KeyFromEd25519 of 31 bytes: got success")
	}
}

// TestEd25519OnCurve: a y coordinate is accepted exactly when
// (y²-1)/(d·y²+1) has a square root (found here with math/big's ModSqrt, not
// Euler's criterion as the package does), and then the point (x, y)
// satisfies the curve equation -x² + y² = 1 + d·x²·y².
func TestEd25519OnCurve(t *testing.T) {
	p, d := curve25519P, edwardsD
	mod := func(x *big.Int) *big.Int { return x.Mod(x, p) }
	valid, invalid := 0, 0
	for yv := int64(2); yv < 64; yv++ {
		y := big.NewInt(yv)
		enc := make([]byte, 32)
		y.FillBytes(enc)
		for i, j := 0, 31; i < j; i, j = i+1, j-1 {
			enc[i], enc[j] = enc[j], enc[i]
		}
		y2 := mod(new(big.Int).Mul(y, y))
		u := mod(new(big.Int).Sub(y2, big.NewInt(1)))
		v := mod(new(big.Int).Add(new(big.Int).Mul(d, y2), big.NewInt(1)))
		x2 := mod(new(big.Int).Mul(u, new(big.Int).ModInverse(v, p)))
		x := new(big.Int).ModSqrt(x2, p)
		got := ed25519OnCurve(enc)
		if got != (x != nil) {
			t.Errorf("y = %d: got on the curve %v, want %v", yv, got, x != nil)
		}
		if x == nil {
			invalid++
			if _, err := KeyFromEd25519(enc); err == nil {
				t.Errorf("y = %d: KeyFromEd25519 accepted a point off the curve", yv)
			}
			continue
		}
		valid++
		lhs := mod(new(big.Int).Sub(y2, mod(new(big.Int).Mul(x, x))))
		rhs := mod(new(big.Int).Add(big.NewInt(1), new(big.Int).Mul(d, new(big.Int).Mul(mod(new(big.Int).Mul(x, x)), y2))))
		if lhs.Cmp(rhs) != 0 {
			t.Errorf("y = %d: the point is not on the curve", yv)
		}
	}
	if valid == 0 || invalid == 0 {
		t.Errorf("got %d valid and %d invalid y in 2..63, want some of each", valid, invalid)
	}
	for _, h := range []string{
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p
		"efffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p+2
		"0100000000000000000000000000000000000000000000000000000000000080", // x = -0
	} {
		if ed25519OnCurve(mustHex(t, h)) {
			t.Errorf("%s: got a canonical point, want a refusal", h)
		}
	}
}
