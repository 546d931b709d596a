package webauthn

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"strconv"
)

// Algorithms (COSE algorithm identifiers, RFC 9053 and the IANA COSE
// Algorithms registry).
const (
	ES256 = -7 // ECDSA P-256 with SHA-256
	EdDSA = -8 // Ed25519 (pure)
)

// COSE key parameters (RFC 9052 §7.1, RFC 9053 §7) and values.
const (
	coseKty = 1
	coseKid = 2
	coseAlg = 3
	coseCrv = -1
	coseX   = -2
	coseY   = -3
	coseD   = -4

	ktyOKP = 1
	ktyEC2 = 2

	crvP256    = 1
	crvEd25519 = 6
)

// maxCOSEKey bounds ParseCOSEKey's input. An ES256 key takes 77 bytes and
// an Ed25519 key 42 in canonical form; the bound leaves room for other
// encodings and a key id, and refuses anything absurd before decoding it.
const maxCOSEKey = 1024

var algNames = map[int64]string{
	-7: "ES256", -8: "EdDSA", -9: "ESP256", -19: "Ed25519", -35: "ES384",
	-36: "ES512", -37: "PS256", -38: "PS384", -39: "PS512", -47: "ES256K",
	-51: "ESP384", -52: "ESP512", -53: "Ed448", -257: "RS256",
	-258: "RS384", -259: "RS512", -65535: "RS1",
}

var ktyNames = map[int64]string{1: "OKP", 2: "EC2", 3: "RSA", 4: "Symmetric", 5: "HSS-LMS", 6: "WalnutDSA"}

var crvNames = map[int64]string{1: "P-256", 2: "P-384", 3: "P-521", 4: "X25519", 5: "X448", 6: "Ed25519", 7: "Ed448", 8: "secp256k1"}

func named(names map[int64]string, v int64) string {
	s := strconv.FormatInt(v, 10)
	if n, ok := names[v]; ok {
		s += " (" + n + ")"
	}
	return s
}

// Key is a credential public key: an ES256 (ECDSA P-256) or an EdDSA
// (Ed25519) key. The zero Key is no key: it verifies nothing.
type Key struct {
	alg  int
	ec   *ecdsa.PublicKey
	ed   ed25519.PublicKey
	cose []byte // the canonical COSE_Key encoding
}

// ParseCOSEKey reads a credential public key from its COSE_Key encoding
// (RFC 9052 §7, RFC 9053 §7; WebAuthn §6.5.1.1), strictly:
//
//   - the input is exactly one CBOR map (see the package's CBOR rules:
//     no tags, no indefinite lengths, no duplicate keys, nothing after it);
//   - alg (3) is present and is ES256 (-7) or EdDSA (-8); any other
//     algorithm is refused with ErrUnsupported and named;
//   - ES256: kty (1) is 2 (EC2), crv (-1) is 1 (P-256), x (-2) and y (-3)
//     are 32-byte big-endian coordinates of a point on the curve (not the
//     point at infinity);
//   - EdDSA: kty is 1 (OKP), crv is 6 (Ed25519), x is the 32-byte public
//     key, which must be the canonical encoding of a point on the curve
//     (RFC 8032 §5.1.3, with y below p) and not of a point of small order
//     (such a key would accept signatures nobody made); there is no y;
//   - kid (2), a byte string, is accepted and ignored; any other parameter,
//     a private key (d, -4) above all, is refused.
//
// Integers need not be in their shortest encoding and the parameters may
// come in any order: Key.COSE returns the one canonical encoding.
func ParseCOSEKey(b []byte) (Key, error) {
	if len(b) > maxCOSEKey {
		return Key{}, errorf(ErrMalformed, "the COSE key is %d bytes; a credential public key takes fewer than %d", len(b), maxCOSEKey)
	}
	v, err := cborDecodeAll(b)
	if err != nil {
		return Key{}, err
	}
	return keyFromCOSE(v)
}

// keyFromCOSE reads a decoded COSE_Key.
func keyFromCOSE(v cborValue) (Key, error) {
	if v.typ != cborMap {
		return Key{}, errorf(ErrMalformed, "a COSE key is a CBOR map, and this is %s", v.typ)
	}
	var (
		params  = map[int64]cborValue{}
		unknown string
	)
	for i := 0; i < len(v.items); i += 2 {
		label, ok := v.items[i].int64()
		if !ok {
			if unknown == "" {
				unknown = cborKeyString(v.items[i])
			}
			continue
		}
		switch label {
		case coseKty, coseAlg, coseCrv, coseX, coseY, coseKid:
			params[label] = v.items[i+1]
		case coseD:
			return Key{}, errorf(ErrMalformed, "the COSE key holds a private key (parameter -4): a private key must never leave the authenticator; enrol the credential's public key only")
		default:
			if unknown == "" {
				unknown = strconv.FormatInt(label, 10)
			}
		}
	}

	algV, ok := params[coseAlg]
	if !ok {
		return Key{}, errorf(ErrMalformed, "the COSE key has no algorithm (parameter 3, alg)")
	}
	alg, ok := algV.int64()
	if !ok {
		return Key{}, errorf(ErrMalformed, "the COSE key's algorithm (parameter 3) is %s, not an integer", algV.typ)
	}
	if alg != ES256 && alg != EdDSA {
		return Key{}, errorf(ErrUnsupported, "COSE algorithm %s is not supported: use an ES256 or Ed25519 credential", named(algNames, alg))
	}
	if unknown != "" {
		return Key{}, errorf(ErrMalformed, "the COSE key has the parameter %s, which a credential public key does not carry", unknown)
	}
	if kid, ok := params[coseKid]; ok && kid.typ != cborBytes {
		return Key{}, errorf(ErrMalformed, "the COSE key's key id (parameter 2) is %s, not a byte string", kid.typ)
	}

	wantKty, wantCrv := int64(ktyEC2), int64(crvP256)
	if alg == EdDSA {
		wantKty, wantCrv = ktyOKP, crvEd25519
	}
	name := algNames[alg]
	ktyV, ok := params[coseKty]
	if !ok {
		return Key{}, errorf(ErrMalformed, "the COSE key has no key type (parameter 1, kty)")
	}
	kty, ok := ktyV.int64()
	if !ok {
		return Key{}, errorf(ErrMalformed, "the COSE key's key type (parameter 1) is %s, not an integer", ktyV.typ)
	}
	if kty != wantKty {
		return Key{}, errorf(ErrMalformed, "the COSE key's key type %s does not fit algorithm %s, which takes key type %s", named(ktyNames, kty), name, named(ktyNames, wantKty))
	}
	crvV, ok := params[coseCrv]
	if !ok {
		return Key{}, errorf(ErrMalformed, "the COSE key has no curve (parameter -1, crv)")
	}
	crv, ok := crvV.int64()
	if !ok {
		return Key{}, errorf(ErrMalformed, "the COSE key's curve (parameter -1) is %s, not an integer", crvV.typ)
	}
	if crv != wantCrv {
		return Key{}, errorf(ErrUnsupported, "COSE curve %s is not supported with %s: use an ES256 (P-256) or Ed25519 credential", named(crvNames, crv), name)
	}
	xV, ok := params[coseX]
	if !ok || xV.typ != cborBytes {
		return Key{}, errorf(ErrMalformed, "the COSE key has no x coordinate (parameter -2, a byte string)")
	}
	if len(xV.data) != 32 {
		return Key{}, errorf(ErrMalformed, "the COSE key's x (parameter -2) is %d bytes; %s takes 32", len(xV.data), name)
	}
	yV, hasY := params[coseY]

	if alg == EdDSA {
		if hasY {
			return Key{}, errorf(ErrMalformed, "the Ed25519 COSE key has a y (parameter -3), which OKP keys do not have")
		}
		return KeyFromEd25519(ed25519.PublicKey(xV.data))
	}
	if !hasY {
		return Key{}, errorf(ErrMalformed, "the COSE key has no y coordinate (parameter -3)")
	}
	if yV.typ == cborBool {
		return Key{}, errorf(ErrUnsupported, "the COSE key is a compressed point (y is a sign bit): ask the authenticator for an uncompressed key")
	}
	if yV.typ != cborBytes || len(yV.data) != 32 {
		return Key{}, errorf(ErrMalformed, "the COSE key's y (parameter -3) is not a 32-byte string")
	}
	point := make([]byte, 0, 65)
	point = append(append(append(point, 4), xV.data...), yV.data...)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
	if err != nil {
		return Key{}, errorf(ErrMalformed, "the COSE key's x and y are not a point on the P-256 curve: this is not a public key")
	}
	return keyFromPoint(pub, point), nil
}

// KeyFromEd25519 makes a Key of an Ed25519 public key. It refuses a key
// that is not 32 bytes, not the canonical encoding of a point on the
// curve, or a point of small order.
func KeyFromEd25519(pub ed25519.PublicKey) (Key, error) {
	if len(pub) != ed25519.PublicKeySize {
		return Key{}, errorf(ErrMalformed, "an Ed25519 public key is 32 bytes, and this one is %d", len(pub))
	}
	if !ed25519OnCurve(pub) {
		return Key{}, errorf(ErrMalformed, "the Ed25519 public key %x is not the canonical encoding of a point on the curve: this is not a public key", []byte(pub))
	}
	if smallOrder(pub) {
		return Key{}, errorf(ErrMalformed, "the Ed25519 public key %x is a point of small order, which would accept signatures that nobody made: refuse this credential", []byte(pub))
	}
	k := Key{alg: EdDSA, ed: bytes.Clone(pub)}
	b := make([]byte, 0, 42)
	b = cborAppendHead(b, 5, 4)
	b = cborAppendInt(b, coseKty)
	b = cborAppendInt(b, ktyOKP)
	b = cborAppendInt(b, coseAlg)
	b = cborAppendInt(b, EdDSA)
	b = cborAppendInt(b, coseCrv)
	b = cborAppendInt(b, crvEd25519)
	b = cborAppendInt(b, coseX)
	b = cborAppendBytes(b, pub)
	k.cose = b
	return k, nil
}

// KeyFromECDSA makes a Key of an ECDSA public key on P-256.
func KeyFromECDSA(pub *ecdsa.PublicKey) (Key, error) {
	if pub == nil || pub.Curve == nil {
		return Key{}, errorf(ErrMalformed, "no ECDSA public key")
	}
	if pub.Curve != elliptic.P256() {
		return Key{}, errorf(ErrUnsupported, "ECDSA on %s is not supported: use an ES256 (P-256) credential", pub.Curve.Params().Name)
	}
	point, err := pub.Bytes()
	if err != nil {
		return Key{}, errorf(ErrMalformed, "the ECDSA public key is not a point on P-256")
	}
	// Parse the encoding back, so the Key shares nothing with the caller's.
	own, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
	if err != nil {
		return Key{}, errorf(ErrMalformed, "the ECDSA public key is not a point on P-256")
	}
	return keyFromPoint(own, point), nil
}

// keyFromPoint makes a Key of a parsed P-256 key and its uncompressed
// encoding.
func keyFromPoint(pub *ecdsa.PublicKey, point []byte) Key {
	b := make([]byte, 0, 77)
	b = cborAppendHead(b, 5, 5)
	b = cborAppendInt(b, coseKty)
	b = cborAppendInt(b, ktyEC2)
	b = cborAppendInt(b, coseAlg)
	b = cborAppendInt(b, ES256)
	b = cborAppendInt(b, coseCrv)
	b = cborAppendInt(b, crvP256)
	b = cborAppendInt(b, coseX)
	b = cborAppendBytes(b, point[1:33])
	b = cborAppendInt(b, coseY)
	b = cborAppendBytes(b, point[33:65])
	return Key{alg: ES256, ec: pub, cose: b}
}

// Alg returns ES256 or EdDSA, or 0 for the zero Key.
func (k Key) Alg() int { return k.alg }

// AlgName returns "ES256" or "EdDSA", or "" for the zero Key.
func (k Key) AlgName() string {
	switch k.alg {
	case ES256:
		return "ES256"
	case EdDSA:
		return "EdDSA"
	}
	return ""
}

// COSE returns the canonical COSE_Key encoding of k: CBOR in core
// deterministic encoding (RFC 8949 §4.2.1: shortest integers and lengths,
// map keys in the bytewise order of their encodings) holding exactly these
// parameters, in this order:
//
//	ES256: {1: 2, 3: -7, -1: 1, -2: x, -3: y}  (77 bytes, a5 01 02 03 26 20 01 21 58 20 x 22 58 20 y)
//	EdDSA: {1: 1, 3: -8, -1: 6, -2: x}         (42 bytes, a4 01 01 03 27 20 06 21 58 20 x)
//
// This is also CTAP2's canonical form, so it is usually the very bytes the
// authenticator sent. It returns nil for the zero Key.
func (k Key) COSE() []byte { return bytes.Clone(k.cose) }

// ID returns the key's identity, the SHA-256 of k.COSE(): the same key has
// the same ID however the authenticator encoded it. The zero Key's ID is
// all zeros.
func (k Key) ID() [32]byte {
	if k.cose == nil {
		return [32]byte{}
	}
	return sha256.Sum256(k.cose)
}

// Fingerprint returns the first 8 bytes of k.ID() in lowercase hex (16
// characters): the short name to show people, who compare it with the one
// shown when the credential was enrolled.
func (k Key) Fingerprint() string {
	id := k.ID()
	return hex.EncodeToString(id[:8])
}

// Equal reports whether k and o are the same key.
func (k Key) Equal(o Key) bool {
	return k.alg == o.alg && bytes.Equal(k.cose, o.cose)
}

// String returns the algorithm and the fingerprint, e.g.
// "EdDSA f83b0213c91438e9", or "no key".
func (k Key) String() string {
	if k.alg == 0 {
		return "no key"
	}
	return k.AlgName() + " " + k.Fingerprint()
}

// ed25519Y returns the y coordinate that the encoding pub holds
// (little-endian, top bit cleared) and the sign bit of x.
func ed25519Y(pub []byte) (*big.Int, byte) {
	be := make([]byte, 32)
	for i := range be {
		be[i] = pub[31-i]
	}
	sign := be[0] >> 7
	be[0] &= 0x7f
	return new(big.Int).SetBytes(be), sign
}

// ed25519OnCurve reports whether pub decodes as RFC 8032 §5.1.3 says: y
// below p, and x² = (y²-1)/(d·y²+1) a square mod p, with x = 0 only for
// the sign bit 0. (Go's ed25519 also accepts y ≥ p; this package does not,
// so that a key has one encoding.)
func ed25519OnCurve(pub []byte) bool {
	y, sign := ed25519Y(pub)
	if y.Cmp(curve25519P) >= 0 {
		return false
	}
	y2 := new(big.Int).Mul(y, y)
	y2.Mod(y2, curve25519P)
	u := new(big.Int).Sub(y2, big.NewInt(1))
	u.Mod(u, curve25519P)
	if u.Sign() == 0 {
		return sign == 0
	}
	v := new(big.Int).Mul(edwardsD, y2)
	v.Add(v, big.NewInt(1))
	v.Mod(v, curve25519P)
	x2 := u.Mul(u, new(big.Int).ModInverse(v, curve25519P))
	x2.Mod(x2, curve25519P)
	// Euler's criterion: x2 is a non-zero square iff x2^((p-1)/2) = 1.
	return new(big.Int).Exp(x2, curve25519PHalf, curve25519P).Cmp(big.NewInt(1)) == 0
}

// smallOrder reports whether the Ed25519 public key encoding pub decodes to
// a point whose order divides 8 (or is not a point that X25519 can use).
//
// It maps y to the Montgomery u = (1+y)/(1-y) of the birationally
// equivalent Curve25519 and runs X25519 with a fixed scalar, which is a
// multiple of the cofactor 8 after clamping: the result is zero, which
// crypto/ecdh refuses, exactly when the point has small order. y = 1 (the
// neutral element) has no u and is small by definition.
func smallOrder(pub []byte) bool {
	y, _ := ed25519Y(pub) // the sign of x does not change the order
	y.Mod(y, curve25519P)
	one := big.NewInt(1)
	if y.Cmp(one) == 0 {
		return true
	}
	num := new(big.Int).Add(one, y)
	den := new(big.Int).Sub(one, y)
	den.Mod(den, curve25519P)
	u := num.Mul(num, den.ModInverse(den, curve25519P))
	u.Mod(u, curve25519P)
	var ub [32]byte
	u.FillBytes(ub[:])
	for i, j := 0, 31; i < j; i, j = i+1, j-1 {
		ub[i], ub[j] = ub[j], ub[i]
	}
	peer, err := ecdh.X25519().NewPublicKey(ub[:])
	if err != nil {
		return true
	}
	if _, err := x25519Probe.ECDH(peer); err != nil {
		return true
	}
	return false
}

var (
	curve25519P     = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	curve25519PHalf = new(big.Int).Rsh(curve25519P, 1) // (p-1)/2, p being odd
	// edwardsD is Ed25519's d = -121665/121666 mod p.
	edwardsD = func() *big.Int {
		d := new(big.Int).ModInverse(big.NewInt(121666), curve25519P)
		d.Mul(d, big.NewInt(-121665))
		return d.Mod(d, curve25519P)
	}()
	x25519Probe = func() *ecdh.PrivateKey {
		k, err := ecdh.X25519().NewPrivateKey(bytes.Repeat([]byte{0x5a}, 32))
		if err != nil {
			panic(err)
		}
		return k
	}()
)
