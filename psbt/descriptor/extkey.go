package descriptor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/base58"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// Errors returned by ParseExtendedKey, for errors.Is. The messages they are
// wrapped in say what exactly was wrong; none ever quotes the key.
var (
	// ErrInvalidExtendedKey covers every way a text can fail to be a BIP32
	// extended key: encoding, checksum, version, metadata and key data.
	ErrInvalidExtendedKey = errors.New("invalid extended key")
	// ErrPrivateKey reports an extended private key where only public keys
	// belong. Descriptors cross the air gap and are stored by the online
	// coordinator, so a private key there would leave the kiosk.
	ErrPrivateKey = errors.New("this is an extended private key (xprv/tprv); airsign descriptors hold public keys only: export the account's xpub/tpub instead")
	// ErrWrongNetwork reports a key encoded for another network than the
	// wallet's (an xpub on a test network, a tpub on mainnet).
	ErrWrongNetwork = errors.New("extended key is for another network")
)

// keyKind is what a SLIP-132 version says about the script a key is for.
type keyKind int

const (
	kindStandard   keyKind = iota // xpub/tpub: any script (BIP44, BIP86, descriptors)
	kindNestedWPKH                // ypub/upub: sh(wpkh)
	kindWPKH                      // zpub/vpub: wpkh
	kindNestedWSH                 // Ypub/Upub: sh(wsh(multi))
	kindWSH                       // Zpub/Vpub: wsh(multi)
)

// keyVersion is one registered BIP32/SLIP-132 version prefix.
type keyVersion struct {
	id      [4]byte
	prefix  string
	private bool
	mainnet bool
	kind    keyKind
}

// keyVersions lists the version bytes of BIP32 and SLIP-132 that wallets
// export. Other registries' prefixes are refused as unknown.
var keyVersions = [...]keyVersion{
	{[4]byte{0x04, 0x88, 0xb2, 0x1e}, "xpub", false, true, kindStandard},
	{[4]byte{0x04, 0x88, 0xad, 0xe4}, "xprv", true, true, kindStandard},
	{[4]byte{0x04, 0x9d, 0x7c, 0xb2}, "ypub", false, true, kindNestedWPKH},
	{[4]byte{0x04, 0x9d, 0x78, 0x78}, "yprv", true, true, kindNestedWPKH},
	{[4]byte{0x04, 0xb2, 0x47, 0x46}, "zpub", false, true, kindWPKH},
	{[4]byte{0x04, 0xb2, 0x43, 0x0c}, "zprv", true, true, kindWPKH},
	{[4]byte{0x02, 0x95, 0xb4, 0x3f}, "Ypub", false, true, kindNestedWSH},
	{[4]byte{0x02, 0x95, 0xb0, 0x05}, "Yprv", true, true, kindNestedWSH},
	{[4]byte{0x02, 0xaa, 0x7e, 0xd3}, "Zpub", false, true, kindWSH},
	{[4]byte{0x02, 0xaa, 0x7a, 0x99}, "Zprv", true, true, kindWSH},
	{[4]byte{0x04, 0x35, 0x87, 0xcf}, "tpub", false, false, kindStandard},
	{[4]byte{0x04, 0x35, 0x83, 0x94}, "tprv", true, false, kindStandard},
	{[4]byte{0x04, 0x4a, 0x52, 0x62}, "upub", false, false, kindNestedWPKH},
	{[4]byte{0x04, 0x4a, 0x4e, 0x28}, "uprv", true, false, kindNestedWPKH},
	{[4]byte{0x04, 0x5f, 0x1c, 0xf6}, "vpub", false, false, kindWPKH},
	{[4]byte{0x04, 0x5f, 0x18, 0xbc}, "vprv", true, false, kindWPKH},
	{[4]byte{0x02, 0x42, 0x89, 0xef}, "Upub", false, false, kindNestedWSH},
	{[4]byte{0x02, 0x42, 0x85, 0xb5}, "Uprv", true, false, kindNestedWSH},
	{[4]byte{0x02, 0x57, 0x54, 0x83}, "Vpub", false, false, kindWSH},
	{[4]byte{0x02, 0x57, 0x50, 0x48}, "Vprv", true, false, kindWSH},
}

func lookupVersion(id []byte) (keyVersion, bool) {
	for _, v := range keyVersions {
		if bytes.Equal(v.id[:], id) {
			return v, true
		}
	}
	return keyVersion{}, false
}

func findVersion(mainnet, private bool, kind keyKind) keyVersion {
	for _, v := range keyVersions {
		if v.mainnet == mainnet && v.private == private && v.kind == kind {
			return v
		}
	}
	panic("descriptor: incomplete version table")
}

func networkFamily(mainnet bool) string {
	if mainnet {
		return "mainnet"
	}
	return "test-network"
}

func invalidKey(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidExtendedKey}, args...)...)
}

// serializedLen is BIP32's version, depth, parent fingerprint, child number,
// chain code and key data, plus the 4-byte base58check checksum.
const serializedLen = 4 + 1 + 4 + 4 + 32 + 33 + 4

// decodedKey is a fully validated extended key that may still be private.
type decodedKey struct {
	version  keyVersion
	depth    uint8
	parentFP [4]byte
	child    uint32
	chain    [32]byte
	keyData  [33]byte // a public key; private keys are never copied here
}

// decodeExtendedKey applies every check of BIP32, in the order that makes
// the reported reason the most useful one. A private key is validated like
// a public one, so that a damaged xprv gets the same precise diagnosis, but
// its bytes never leave this function.
func decodeExtendedKey(s string) (*decodedKey, error) {
	if len(s) == 0 {
		return nil, invalidKey("the key is empty")
	}
	if len(s) > 2*serializedLen {
		return nil, invalidKey("the key has %d characters; an extended key has about 111: check that only the key was copied", len(s))
	}
	raw := base58.Decode(s)
	defer clear(raw) // may hold a private key
	if len(raw) == 0 {
		return nil, invalidKey("the key contains characters that are not base58 (0, O, I, l and punctuation are never used): check the copy")
	}
	if len(raw) != serializedLen {
		return nil, invalidKey("the key decodes to %d bytes, not %d: check that the whole key was copied", len(raw), serializedLen)
	}
	payload, sum := raw[:serializedLen-4], raw[serializedLen-4:]
	want := chainhash.DoubleHashB(payload)
	defer clear(want)
	if !bytes.Equal(sum, want[:4]) {
		return nil, invalidKey("the key's base58check checksum does not match: a character was changed; copy the key again")
	}

	version, ok := lookupVersion(payload[:4])
	if !ok {
		return nil, invalidKey("unknown version bytes %x: expected xpub, ypub or zpub (mainnet) or tpub, upub or vpub (test networks)", payload[:4])
	}
	d := &decodedKey{version: version, depth: payload[4], child: binary.BigEndian.Uint32(payload[9:13])}
	copy(d.parentFP[:], payload[5:9])
	if d.depth == 0 {
		if d.parentFP != [4]byte{} {
			return nil, invalidKey("zero depth (a master key) with non-zero parent fingerprint %x: the key was tampered with or badly generated", d.parentFP)
		}
		if d.child != 0 {
			return nil, invalidKey("zero depth (a master key) with non-zero child index %d: the key was tampered with or badly generated", d.child)
		}
	}

	keyData := payload[45:78]
	switch {
	case version.private && (keyData[0] == 0x02 || keyData[0] == 0x03):
		return nil, invalidKey("%s version with public key data: the version bytes do not match the key", version.prefix)
	case !version.private && keyData[0] == 0x00:
		return nil, invalidKey("%s version with private key data: the version bytes do not match the key", version.prefix)
	case version.private && keyData[0] != 0x00:
		return nil, invalidKey("private key data must start with 0x00, not 0x%02x", keyData[0])
	case !version.private && keyData[0] != 0x02 && keyData[0] != 0x03:
		return nil, invalidKey("public key data must start with 0x02 or 0x03 (compressed), not 0x%02x", keyData[0])
	}
	if version.private {
		var k btcec.ModNScalar
		overflow := k.SetByteSlice(keyData[1:])
		zero := k.IsZero()
		k.Zero()
		if overflow || zero {
			return nil, invalidKey("the private key is not in the range 1..n-1 of secp256k1")
		}
		// Everything checked; the caller decides whether a private key is
		// acceptable, but it gets none of its bytes.
		d.keyData = [33]byte{}
	} else {
		if _, err := btcec.ParsePubKey(keyData); err != nil {
			return nil, invalidKey("the public key is not a point on secp256k1")
		}
		copy(d.keyData[:], keyData)
	}
	copy(d.chain[:], payload[13:45])
	return d, nil
}

// ParseExtendedKey parses an extended public key for net with every check of
// BIP32 (test vector 5 lists them), which hdkeychain.NewKeyFromString does
// not all make. SLIP-132 encodings (ypub, zpub, upub, vpub, Ypub, Zpub, Upub,
// Vpub) are accepted and converted to the standard xpub/tpub version, since
// in a descriptor the script says what the key is for. Extended private keys
// are validated and then refused with ErrPrivateKey.
func ParseExtendedKey(s string, net Network) (*hdkeychain.ExtendedKey, error) {
	if !net.valid() {
		return nil, fmt.Errorf("%v is not a network: use Mainnet, Testnet, Testnet4, Signet or Regtest", net)
	}
	d, err := decodeExtendedKey(s)
	if err != nil {
		return nil, err
	}
	if d.version.private {
		return nil, ErrPrivateKey
	}
	if d.version.mainnet != net.isMainnet() {
		return nil, fmt.Errorf("%w: the key is a %s %s, but the wallet is on %s: export the key for %s", ErrWrongNetwork, networkFamily(d.version.mainnet), d.version.prefix, net, net)
	}
	return d.publicKey(net)
}

func (d *decodedKey) publicKey(net Network) (*hdkeychain.ExtendedKey, error) {
	if d.version.private {
		return nil, ErrPrivateKey
	}
	std := findVersion(net.isMainnet(), false, kindStandard)
	return hdkeychain.NewExtendedKey(bytes.Clone(std.id[:]), bytes.Clone(d.keyData[:]), bytes.Clone(d.chain[:]),
		bytes.Clone(d.parentFP[:]), d.depth, d.child, false), nil
}

// scriptKind is the SLIP-132 kind wallets use for a script type.
func scriptKind(script ScriptType) (keyKind, bool) {
	switch script {
	case P2PKH, P2TR:
		return kindStandard, true
	case P2SHP2WPKH:
		return kindNestedWPKH, true
	case P2WPKH:
		return kindWPKH, true
	case P2SHP2WSHMulti:
		return kindNestedWSH, true
	case P2WSHMulti:
		return kindWSH, true
	}
	return 0, false
}

// SLIP132 encodes an extended public key the way wallets that predate
// descriptors expect it: ypub/upub for P2SH-P2WPKH, zpub/vpub for P2WPKH,
// Ypub/Upub for P2SH-P2WSH multisig, Zpub/Vpub for P2WSH multisig, and plain
// xpub/tpub for P2PKH and P2TR (SLIP-132 registers no taproot version).
// Wallets use it to choose the script when they import a bare key, so the
// encoding must match the descriptor's script.
func SLIP132(key *hdkeychain.ExtendedKey, script ScriptType, net Network) (string, error) {
	if key == nil {
		return "", errors.New("no extended key given")
	}
	if !net.valid() {
		return "", fmt.Errorf("%v is not a network: use Mainnet, Testnet, Testnet4, Signet or Regtest", net)
	}
	kind, ok := scriptKind(script)
	if !ok {
		return "", fmt.Errorf("%v is not a script type: use P2PKH, P2SHP2WPKH, P2WPKH, P2TR, P2WSHMulti or P2SHP2WSHMulti", script)
	}
	if key.IsPrivate() {
		return "", ErrPrivateKey
	}
	if v, ok := lookupVersion(key.Version()); ok && v.mainnet != net.isMainnet() {
		return "", fmt.Errorf("%w: the key is a %s %s, but the wallet is on %s", ErrWrongNetwork, networkFamily(v.mainnet), v.prefix, net)
	}
	target := findVersion(net.isMainnet(), false, kind)
	k, err := key.CloneWithVersion(bytes.Clone(target.id[:]))
	if err != nil {
		return "", err
	}
	return k.String(), nil
}

// standardString encodes a public key with the network's standard version
// (xpub or tpub), as BIP380 descriptors require.
func standardString(key *hdkeychain.ExtendedKey, net Network) string {
	std := findVersion(net.isMainnet(), false, kindStandard)
	k, err := key.CloneWithVersion(bytes.Clone(std.id[:]))
	if err != nil {
		return ""
	}
	return k.String()
}

// keyFingerprint is BIP32's fingerprint of a key: the first four bytes of
// the HASH160 of its compressed public key.
func keyFingerprint(key *hdkeychain.ExtendedKey) ([4]byte, error) {
	pub, err := key.ECPubKey()
	if err != nil {
		return [4]byte{}, err
	}
	var fp [4]byte
	copy(fp[:], btcutil.Hash160(pub.SerializeCompressed()))
	return fp, nil
}
