// Package descriptor is the wallet model shared by the offline signer and
// the online coordinator: single-sig account descriptors (BIP380-386) with
// key origins, checksums and receive/change multipath keys (BIP389), the
// strict extended-key parsing both sides need for input that crossed the air
// gap, and SLIP-132 encodings for wallets that predate descriptors.
//
// The package holds public keys only. Parsers validate private keys as
// thoroughly as public ones, so a damaged key gets a precise diagnosis, and
// then refuse them.
package descriptor

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/txscript"
)

// Hardened is added to a BIP32 index to make it hardened (the ' or h of a
// path).
const Hardened = hdkeychain.HardenedKeyStart

// ErrMissingOrigin reports a key without [fingerprint/path]. Without it the
// kiosk cannot tell which of its seeds and paths a key belongs to, and PSBTs
// built from the descriptor carry no usable BIP32 derivations.
var ErrMissingOrigin = errors.New("the key has no origin [fingerprint/path]: export the descriptor again with key origins (every wallet that exports descriptors can)")

// maxDescriptorLen bounds what Parse reads from untrusted input. A
// single-sig descriptor has about 150 characters; the margin leaves room for
// the multisig descriptors that will share the parser.
const maxDescriptorLen = 4096

// KeyOrigin says where a key comes from: the fingerprint of the master key
// and the derivation path from it.
type KeyOrigin struct {
	Fingerprint [4]byte
	Path        []uint32
}

// String formats the origin as in descriptors, "73c5da0a/84'/1'/0'", with an
// apostrophe for hardened steps as most wallets write it.
func (o KeyOrigin) String() string {
	var b strings.Builder
	b.WriteString(hex.EncodeToString(o.Fingerprint[:]))
	for _, p := range o.Path {
		b.WriteByte('/')
		b.WriteString(formatIndex(p))
	}
	return b.String()
}

func formatIndex(p uint32) string {
	if p >= Hardened {
		return strconv.FormatUint(uint64(p-Hardened), 10) + "'"
	}
	return strconv.FormatUint(uint64(p), 10)
}

// FormatPath formats a derivation path as "m/84'/0'/0'/0/5", the form
// people read on the kiosk's review screens.
func FormatPath(path []uint32) string {
	var b strings.Builder
	b.WriteByte('m')
	for _, p := range path {
		b.WriteByte('/')
		b.WriteString(formatIndex(p))
	}
	return b.String()
}

// Descriptor is a single-sig account descriptor: script type, key origin,
// account-level extended public key, and the receive/change multipath
// <0;1>/* (BIP389) under it.
//
// Multisig (wsh(sortedmulti(...)) and sh(wsh(sortedmulti(...)))) is meant to
// arrive as a sibling type reusing the same key expressions and parser.
type Descriptor struct {
	Script  ScriptType
	Network Network
	Origin  KeyOrigin
	Key     *hdkeychain.ExtendedKey // account xpub/tpub, public only
}

// shapes are the nested script expressions of each single-sig type,
// outermost first.
var shapes = map[ScriptType][]string{
	P2PKH:      {"pkh"},
	P2SHP2WPKH: {"sh", "wpkh"},
	P2WPKH:     {"wpkh"},
	P2TR:       {"tr"},
}

// multipath is the BIP389 step airsign puts after every account key.
const multipath = "<0;1>"

// String returns the descriptor with its <0;1>/* multipath and checksum, e.g.
// "wpkh([73c5da0a/84'/1'/0']tpubDC.../<0;1>/*)#checksum". An invalid
// descriptor formats as a text that says so and that Parse refuses.
func (d *Descriptor) String() string {
	return d.format(multipath)
}

// Branch returns the descriptor of one branch, "/0/*" (receive) or "/1/*"
// (change), with its own checksum, for tools that do not read BIP389
// multipath descriptors. Parse reads either back as the whole account.
func (d *Descriptor) Branch(branch uint32) string {
	return d.format(strconv.FormatUint(uint64(branch), 10))
}

func (d *Descriptor) format(step string) string {
	if err := d.Validate(); err != nil {
		return "invalid descriptor: " + err.Error()
	}
	expr := "[" + d.Origin.String() + "]" + standardString(d.Key, d.Network) + "/" + step + "/*"
	shape := shapes[d.Script]
	for i := len(shape) - 1; i >= 0; i-- {
		expr = shape[i] + "(" + expr + ")"
	}
	return withChecksum(expr)
}

// MasterFingerprint returns the fingerprint of the master key the account
// derives from, which is how the kiosk finds the seed a PSBT input needs.
func (d *Descriptor) MasterFingerprint() [4]byte {
	return d.Origin.Fingerprint
}

// Path returns the full derivation path from the master key to the key at
// branch and index, as PSBT BIP32 derivation fields carry it.
func (d *Descriptor) Path(branch, index uint32) []uint32 {
	path := make([]uint32, 0, len(d.Origin.Path)+2)
	path = append(path, d.Origin.Path...)
	return append(path, branch, index)
}

// PublicKey derives the public key at branch (0 receive, 1 change) and
// index. It uses BIP32 derivation proper (Derive, not DeriveNonStandard),
// so keys match every other wallet even when a private key has leading
// zeros.
func (d *Descriptor) PublicKey(branch, index uint32) (*btcec.PublicKey, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if branch > 1 {
		return nil, fmt.Errorf("branch %d does not exist: use 0 for receive addresses and 1 for change", branch)
	}
	if index >= Hardened {
		return nil, fmt.Errorf("address index %d is a hardened index, which an xpub cannot derive: use an index below %d", index, uint32(Hardened))
	}
	k, err := d.Key.Derive(branch)
	if err != nil {
		return nil, fmt.Errorf("deriving branch %d: %w", branch, err)
	}
	if k, err = k.Derive(index); err != nil {
		// BIP32's invalid child (probability below 2^-127): wallets skip
		// the index.
		return nil, fmt.Errorf("deriving index %d of branch %d: %w: skip this index", index, branch, err)
	}
	return k.ECPubKey()
}

// Address returns the address at branch (0 receive, 1 change) and index.
// Taproot outputs commit to the key alone (BIP86): the output key is the
// internal key tweaked with an empty script tree.
func (d *Descriptor) Address(branch, index uint32) (btcutil.Address, error) {
	pub, err := d.PublicKey(branch, index)
	if err != nil {
		return nil, err
	}
	params := d.Network.Params()
	switch d.Script {
	case P2PKH:
		return btcutil.NewAddressPubKeyHash(btcutil.Hash160(pub.SerializeCompressed()), params)
	case P2SHP2WPKH:
		w, err := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(pub.SerializeCompressed()), params)
		if err != nil {
			return nil, err
		}
		redeem, err := txscript.PayToAddrScript(w)
		if err != nil {
			return nil, err
		}
		return btcutil.NewAddressScriptHash(redeem, params)
	case P2WPKH:
		return btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(pub.SerializeCompressed()), params)
	case P2TR:
		out := txscript.ComputeTaprootKeyNoScript(pub)
		return btcutil.NewAddressTaproot(schnorr.SerializePubKey(out), params)
	}
	return nil, fmt.Errorf("%v is not a script type", d.Script)
}

// PkScript returns the output script at branch and index, which is what
// PSBT analysis compares outputs against.
func (d *Descriptor) PkScript(branch, index uint32) ([]byte, error) {
	addr, err := d.Address(branch, index)
	if err != nil {
		return nil, err
	}
	return txscript.PayToAddrScript(addr)
}

// Validate checks that the descriptor is complete and consistent: a public
// key of the descriptor's network, and an origin that belongs to the key
// (path length equal to the key's depth, last step equal to its child index,
// fingerprint equal to its parent's at depth 1, coin type matching the
// network). Parse validates what it returns; Validate is for descriptors
// built in code.
func (d *Descriptor) Validate() error {
	switch {
	case d == nil:
		return errors.New("no descriptor")
	case !d.Script.valid():
		return fmt.Errorf("the descriptor's script type %v is not one of p2pkh, p2sh-p2wpkh, p2wpkh, p2tr", d.Script)
	case !d.Network.valid():
		return fmt.Errorf("the descriptor's network %v is not one of mainnet, testnet, signet, regtest", d.Network)
	case d.Key == nil:
		return errors.New("the descriptor has no key")
	case d.Key.IsPrivate():
		return ErrPrivateKey
	}
	v, ok := lookupVersion(d.Key.Version())
	if !ok {
		return fmt.Errorf("%w: the descriptor's key has unknown version bytes %x", ErrInvalidExtendedKey, d.Key.Version())
	}
	if v.mainnet != d.Network.isMainnet() {
		return fmt.Errorf("%w: the key is a %s %s, but the wallet is on %s", ErrWrongNetwork, networkFamily(v.mainnet), v.prefix, d.Network)
	}
	return checkOrigin(d.Origin, d.Key, d.Network)
}

// standardPurposes are the BIP43 purposes whose second step is a coin type.
var standardPurposes = map[uint32]bool{44: true, 45: true, 48: true, 49: true, 84: true, 86: true}

func checkOrigin(o KeyOrigin, key *hdkeychain.ExtendedKey, net Network) error {
	depth := int(key.Depth())
	if len(o.Path) != depth {
		return fmt.Errorf("the key origin [%s] has %d steps, but the key is at depth %d: the origin does not belong to this key", o, len(o.Path), depth)
	}
	switch {
	case depth == 0:
		fp, err := keyFingerprint(key)
		if err != nil {
			return err
		}
		if fp != o.Fingerprint {
			return fmt.Errorf("the key origin's fingerprint %x is not the fingerprint %x of the master key that follows it", o.Fingerprint, fp)
		}
	default:
		if last := o.Path[depth-1]; last != key.ChildIndex() {
			return fmt.Errorf("the key origin [%s] ends in %s, but the key is child %s: the origin does not belong to this key", o, formatIndex(last), formatIndex(key.ChildIndex()))
		}
		if depth == 1 && binary.BigEndian.Uint32(o.Fingerprint[:]) != key.ParentFingerprint() {
			return fmt.Errorf("the key origin's fingerprint %x is not the parent fingerprint %08x recorded in the key", o.Fingerprint, key.ParentFingerprint())
		}
	}
	if len(o.Path) >= 2 && o.Path[0] >= Hardened && standardPurposes[o.Path[0]-Hardened] {
		if coin := o.Path[1]; coin != net.CoinType()+Hardened {
			return fmt.Errorf("the key origin [%s] uses coin type %s, but %s wallets use %d': a key for another network", o, formatIndex(coin), net, net.CoinType())
		}
	}
	return nil
}

// Parse reads a single-sig descriptor: pkh, sh(wpkh), wpkh or tr of one key
// with origin, followed by /<0;1>/* or by one branch, /0/* or /1/* (either
// yields the whole account). A checksum, when present, must match. Both '
// and h mark hardened steps. Extended private keys are refused, and so are
// keys without origin. A tpub's descriptor does not say which test network
// it is for and is read as Testnet: use ParseForNetwork for Signet and
// Regtest.
func Parse(s string) (*Descriptor, error) {
	return parse(s, 0)
}

// ParseForNetwork is Parse for a wallet on net: the key must be encoded for
// net, and the descriptor is given that network.
func ParseForNetwork(s string, net Network) (*Descriptor, error) {
	if !net.valid() {
		return nil, fmt.Errorf("%v is not a network: use Mainnet, Testnet, Signet or Regtest", net)
	}
	return parse(s, net)
}

func parse(s string, net Network) (*Descriptor, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxDescriptorLen {
		return nil, fmt.Errorf("the descriptor has %d characters, more than the %d airsign reads: check what was scanned", len(s), maxDescriptorLen)
	}
	if s == "" {
		return nil, errors.New("the descriptor is empty")
	}
	body, err := StripChecksum(s)
	if err != nil {
		return nil, err
	}
	names, args, err := peel(body)
	if err != nil {
		return nil, err
	}
	script, err := matchShape(names, args)
	if err != nil {
		return nil, err
	}
	k, err := parseKeyExpr(args[0], net)
	if err != nil {
		return nil, err
	}
	d := &Descriptor{Script: script, Network: k.net, Origin: k.origin, Key: k.key}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// peel unwraps nested script expressions, "sh(wpkh(KEY))" giving the names
// [sh wpkh] and the arguments [KEY]. The innermost arguments are split at
// top-level commas so that sortedmulti(k,KEY,...) can share this parser.
func peel(s string) (names, args []string, err error) {
	for {
		open := strings.IndexByte(s, '(')
		if open < 0 {
			if len(names) == 0 {
				return nil, nil, errors.New("the descriptor has no script expression such as wpkh(...) or tr(...)")
			}
			return names, splitArgs(s), nil
		}
		name := s[:open]
		if !isName(name) {
			return nil, nil, fmt.Errorf("%q is not a script expression name", truncate(name))
		}
		if !strings.HasSuffix(s, ")") {
			return nil, nil, fmt.Errorf("the %s( expression is not closed with ')'", name)
		}
		names = append(names, name)
		if len(names) > 8 {
			return nil, nil, errors.New("the descriptor nests script expressions too deeply")
		}
		inner := s[open+1 : len(s)-1]
		if next := strings.IndexByte(inner, '('); next < 0 || !isName(inner[:next]) {
			// Arguments (keys, a threshold, a script tree): let the
			// shape check say what is supported.
			return names, splitArgs(inner), nil
		}
		s = inner
	}
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && r != '_' {
			return false
		}
	}
	return true
}

// splitArgs splits at commas outside parentheses and braces.
func splitArgs(s string) []string {
	var args []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '{':
			depth++
		case ')', '}':
			depth--
		case ',':
			if depth == 0 {
				args = append(args, s[start:i])
				start = i + 1
			}
		}
	}
	return append(args, s[start:])
}

func matchShape(names, args []string) (ScriptType, error) {
	joined := strings.Join(names, "(")
	for t, shape := range shapes {
		if joined != strings.Join(shape, "(") {
			continue
		}
		if len(args) != 1 {
			if t == P2TR {
				return 0, errors.New("taproot script trees are not supported: airsign uses key-path-only tr(KEY) outputs (BIP86)")
			}
			return 0, fmt.Errorf("%s(...) takes one key, not %d arguments", names[len(names)-1], len(args))
		}
		return t, nil
	}
	if last := names[len(names)-1]; last == "sortedmulti" || last == "multi" {
		return 0, errors.New("multisig descriptors are not supported yet: airsign reads single-sig pkh, sh(wpkh), wpkh and tr descriptors")
	}
	return 0, fmt.Errorf("unsupported script expression %s(...): airsign reads pkh, sh(wpkh), wpkh and tr descriptors", truncate(joined))
}

// keyExpr is a parsed key expression: origin, account key, and the network
// its encoding names.
type keyExpr struct {
	origin KeyOrigin
	key    *hdkeychain.ExtendedKey
	net    Network
}

// parseKeyExpr reads "[fingerprint/path]xpub/<0;1>/*" (or /0/* or /1/*). A
// zero net means: infer mainnet or testnet from the key's encoding.
func parseKeyExpr(s string, net Network) (*keyExpr, error) {
	if !strings.HasPrefix(s, "[") {
		if strings.Contains(s, "]") {
			return nil, errors.New("the key origin has no opening '['")
		}
		return nil, ErrMissingOrigin
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return nil, errors.New("the key origin has no closing ']'")
	}
	origin, err := parseOrigin(s[1:end])
	if err != nil {
		return nil, err
	}
	rest := s[end+1:]
	if strings.HasPrefix(rest, "[") {
		return nil, errors.New("the key has more than one origin")
	}
	keyText, steps, _ := strings.Cut(rest, "/")
	if keyText == "" {
		return nil, errors.New("the key origin is not followed by a key")
	}
	if isHex(keyText) {
		return nil, errors.New("the descriptor holds a single public key: airsign needs the account's extended public key (xpub/tpub) followed by /<0;1>/*")
	}
	if steps == "" && !strings.HasSuffix(rest, "/") {
		return nil, fmt.Errorf("the key is not followed by /%s/*: airsign wallets derive receive and change addresses under the account key", multipath)
	}
	switch steps {
	case multipath + "/*", "0/*", "1/*":
	default:
		if strings.HasSuffix(steps, "*h") || strings.HasSuffix(steps, "*'") || strings.HasSuffix(steps, "*H") {
			return nil, errors.New("hardened wildcards (/*h) cannot be derived from an extended public key: use /<0;1>/*")
		}
		return nil, fmt.Errorf("unsupported derivation /%s after the key: airsign expects /%s/* (or /0/* and /1/*) after the account key", truncate(steps), multipath)
	}
	d, err := decodeExtendedKey(keyText)
	if err != nil {
		return nil, err
	}
	if d.version.private {
		return nil, ErrPrivateKey
	}
	if net == 0 {
		net = Testnet
		if d.version.mainnet {
			net = Mainnet
		}
	}
	if d.version.mainnet != net.isMainnet() {
		return nil, fmt.Errorf("%w: the key is a %s %s, but the wallet is on %s", ErrWrongNetwork, networkFamily(d.version.mainnet), d.version.prefix, net)
	}
	key, err := d.publicKey(net)
	if err != nil {
		return nil, err
	}
	return &keyExpr{origin: origin, key: key, net: net}, nil
}

func isHex(s string) bool {
	if len(s)%2 != 0 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// parseOrigin reads the inside of "[deadbeef/84h/0h/0h]".
func parseOrigin(s string) (KeyOrigin, error) {
	fpText, pathText, hasPath := strings.Cut(s, "/")
	var o KeyOrigin
	if len(fpText) != 8 {
		return o, fmt.Errorf("the key origin's fingerprint %q must have 8 hex digits, not %d", truncate(fpText), len(fpText))
	}
	if _, err := hex.Decode(o.Fingerprint[:], []byte(fpText)); err != nil {
		return o, fmt.Errorf("the key origin's fingerprint %q is not hexadecimal", fpText)
	}
	if !hasPath {
		return o, nil
	}
	for i, step := range strings.Split(pathText, "/") {
		p, err := parseStep(step)
		if err != nil {
			return KeyOrigin{}, fmt.Errorf("step %d of the key origin: %w", i+1, err)
		}
		o.Path = append(o.Path, p)
	}
	if len(o.Path) > 255 {
		return KeyOrigin{}, errors.New("the key origin has more than 255 steps, deeper than BIP32 allows")
	}
	return o, nil
}

// parseStep reads one path step: decimal below 2^31, then ' or h when
// hardened. BIP380 lists H as invalid, so it is refused.
func parseStep(s string) (uint32, error) {
	var hardened uint32
	if n := len(s); n > 0 && (s[n-1] == '\'' || s[n-1] == 'h') {
		s, hardened = s[:n-1], Hardened
	}
	if s == "" {
		return 0, errors.New("empty step: remove the extra '/'")
	}
	if s == "*" {
		return 0, errors.New("a wildcard cannot be part of a key origin")
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("%q is not a step: write a decimal number, followed by ' or h when hardened", truncate(s))
		}
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n >= Hardened {
		return 0, fmt.Errorf("%s is out of range: a step is below %d, followed by ' or h when hardened", truncate(s), uint32(Hardened))
	}
	return uint32(n) + hardened, nil
}
