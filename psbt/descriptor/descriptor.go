// Package descriptor is the wallet model shared by the offline signer and
// the online coordinator: single-sig account descriptors (BIP380-386) and
// sorted multisig descriptors (BIP383 sortedmulti in wsh() or sh(wsh())) with
// key origins, checksums and receive/change multipath keys (BIP389), BSMS
// (BIP129) multisig setup records, the strict extended-key parsing both sides
// need for input that crossed the air gap, and SLIP-132 encodings for
// wallets that predate descriptors.
//
// The package holds public keys only. Parsers validate private keys as
// thoroughly as public ones, so a damaged key gets a precise diagnosis, and
// then refuse them.
//
// Multisig wallets are sortedmulti only: unsorted multi(...) is refused,
// since its addresses depend on the order each cosigner lists the keys.
// BSMS support covers plain and encrypted (TOKEN-based, DecryptBSMS) key and
// descriptor records; key record signatures are verified in the legacy
// signed-message format, and BIP322 signatures are not supported yet.
package descriptor

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
)

// Hardened is added to a BIP32 index to make it hardened (the ' or h of a
// path).
const Hardened = hdkeychain.HardenedKeyStart

// ErrMissingOrigin reports a key without [fingerprint/path]. Without it the
// kiosk cannot tell which of its seeds and paths a key belongs to, and PSBTs
// built from the descriptor carry no usable BIP32 derivations.
var ErrMissingOrigin = errors.New("the key has no origin [fingerprint/path]: export the descriptor again with key origins (every wallet that exports descriptors can)")

// maxDescriptorLen bounds what Parse reads from untrusted input. A
// single-sig descriptor has about 150 characters, and a multisig one about
// 150 per key, so MaxMultisigKeys keys fit with room to spare.
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

// Descriptor is an account descriptor: script type, network, and the
// account-level extended public keys with their origins, each followed by
// the receive/change multipath <0;1>/* (BIP389).
//
// A single-sig descriptor (P2PKH, P2SHP2WPKH, P2WPKH, P2TR) has its key in
// Origin and Key, and leaves Threshold and Keys zero. A multisig descriptor
// (P2WSHMulti, P2SHP2WSHMulti) has its cosigners' keys in Keys, in the order
// the descriptor lists them, and the number of signatures a spend needs in
// Threshold; it leaves Origin and Key zero. Every address of a multisig
// descriptor pays to the keys derived at the same branch and index, sorted
// (sortedmulti), so the order of Keys changes the descriptor's text and
// checksum but not its addresses.
type Descriptor struct {
	Script  ScriptType
	Network Network
	Origin  KeyOrigin               // single-sig only
	Key     *hdkeychain.ExtendedKey // single-sig only: account xpub/tpub, public only

	Threshold int   // multisig only: signatures needed, 1..len(Keys)
	Keys      []Key // multisig only: the cosigners' account keys
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
	keyExpr := func(o KeyOrigin, k *hdkeychain.ExtendedKey) string {
		return "[" + o.String() + "]" + standardString(k, d.Network) + "/" + step + "/*"
	}
	var expr string
	shape := shapes[d.Script]
	if d.Script.Multisig() {
		shape = multiShapes[d.Script]
		parts := []string{strconv.Itoa(d.Threshold)}
		for _, k := range d.Keys {
			parts = append(parts, keyExpr(k.Origin, k.Key))
		}
		expr = strings.Join(parts, ",")
	} else {
		expr = keyExpr(d.Origin, d.Key)
	}
	for i := len(shape) - 1; i >= 0; i-- {
		expr = shape[i] + "(" + expr + ")"
	}
	return withChecksum(expr)
}

// MasterFingerprint returns the fingerprint of the master key a single-sig
// account derives from, which is how the kiosk finds the seed a PSBT input
// needs. A multisig descriptor has one master per cosigner and returns the
// zero fingerprint: use KeyFor and Keys[i].Origin.
func (d *Descriptor) MasterFingerprint() [4]byte {
	return d.Origin.Fingerprint
}

// Path returns the full derivation path from the master key to the
// single-sig key at branch and index, as PSBT BIP32 derivation fields carry
// it. A multisig descriptor has one path per cosigner and returns nil: use
// Keys[i].Path.
func (d *Descriptor) Path(branch, index uint32) []uint32 {
	if d.Script.Multisig() {
		return nil
	}
	return appendPath(d.Origin.Path, branch, index)
}

func appendPath(origin []uint32, branch, index uint32) []uint32 {
	path := make([]uint32, 0, len(origin)+2)
	path = append(path, origin...)
	return append(path, branch, index)
}

// PublicKey derives the single-sig public key at branch (0 receive, 1
// change) and index. It uses BIP32 derivation proper (Derive, not
// DeriveNonStandard), so keys match every other wallet even when a private
// key has leading zeros. A multisig descriptor has one key per cosigner: use
// PublicKeys.
func (d *Descriptor) PublicKey(branch, index uint32) (*btcec.PublicKey, error) {
	b, err := d.Deriver(branch)
	if err != nil {
		return nil, err
	}
	return b.PublicKey(index)
}

func checkBranch(branch uint32) error {
	if branch > 1 {
		return fmt.Errorf("branch %d does not exist: use 0 for receive addresses and 1 for change", branch)
	}
	return nil
}

func deriveIndex(branchKey *hdkeychain.ExtendedKey, branch, index uint32) (*btcec.PublicKey, error) {
	if index >= Hardened {
		return nil, fmt.Errorf("address index %d is a hardened index, which an xpub cannot derive: use an index below %d", index, uint32(Hardened))
	}
	k, err := branchKey.Derive(index)
	if err != nil {
		// BIP32's invalid child (probability below 2^-127): wallets skip
		// the index.
		return nil, fmt.Errorf("deriving index %d of branch %d: %w: skip this index", index, branch, err)
	}
	return k.ECPubKey()
}

func derivePublic(key *hdkeychain.ExtendedKey, branch, index uint32) (*btcec.PublicKey, error) {
	if err := checkBranch(branch); err != nil {
		return nil, err
	}
	k, err := key.Derive(branch)
	if err != nil {
		return nil, fmt.Errorf("deriving branch %d: %w", branch, err)
	}
	return deriveIndex(k, branch, index)
}

// Address returns the address at branch (0 receive, 1 change) and index.
// Taproot outputs commit to the key alone (BIP86): the output key is the
// internal key tweaked with an empty script tree. Multisig outputs pay to
// the hash of WitnessScript, directly (P2WSH) or through RedeemScript
// (P2SH-P2WSH).
func (d *Descriptor) Address(branch, index uint32) (btcutil.Address, error) {
	b, err := d.Deriver(branch)
	if err != nil {
		return nil, err
	}
	return b.Address(index)
}

// PkScript returns the output script at branch and index, which is what
// PSBT analysis compares outputs against.
func (d *Descriptor) PkScript(branch, index uint32) ([]byte, error) {
	b, err := d.Deriver(branch)
	if err != nil {
		return nil, err
	}
	return b.PkScript(index)
}

// Validate checks that the descriptor is complete and consistent: public
// keys of the descriptor's network, each with an origin that belongs to it
// (path length equal to the key's depth, last step equal to its child index,
// fingerprint equal to its parent's at depth 1, coin type matching the
// network), and for multisig the limits of validateMulti. Parse validates
// what it returns; Validate is for descriptors built in code.
func (d *Descriptor) Validate() error {
	switch {
	case d == nil:
		return errors.New("no descriptor")
	case !d.Script.valid():
		return fmt.Errorf("the descriptor's script type %v is not one of p2pkh, p2sh-p2wpkh, p2wpkh, p2tr, p2wsh-sortedmulti, p2sh-p2wsh-sortedmulti", d.Script)
	case !d.Network.valid():
		return fmt.Errorf("the descriptor's network %v is not one of mainnet, testnet, testnet4, signet, regtest", d.Network)
	case d.Script.Multisig():
		return d.validateMulti()
	case d.Threshold != 0 || len(d.Keys) != 0:
		return fmt.Errorf("a %v descriptor has its one key in Origin and Key: Threshold and Keys are for multisig", d.Script)
	case d.Key == nil:
		return errors.New("the descriptor has no key")
	}
	return checkKey(d.Origin, d.Key, d.Network)
}

// checkKey is Validate for one key and its origin.
func checkKey(o KeyOrigin, key *hdkeychain.ExtendedKey, net Network) error {
	if key == nil {
		return errors.New("no key")
	}
	if key.IsPrivate() {
		return ErrPrivateKey
	}
	v, ok := lookupVersion(key.Version())
	if !ok {
		return fmt.Errorf("%w: the descriptor's key has unknown version bytes %x", ErrInvalidExtendedKey, key.Version())
	}
	if v.mainnet != net.isMainnet() {
		return fmt.Errorf("%w: the key is a %s %s, but the wallet is on %s", ErrWrongNetwork, networkFamily(v.mainnet), v.prefix, net)
	}
	return checkOrigin(o, key, net)
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

// Parse reads an account descriptor: pkh, sh(wpkh), wpkh or tr of one key,
// or wsh(sortedmulti(k,KEY,...)) or sh(wsh(sortedmulti(k,KEY,...))) of
// 1 <= k <= n <= MaxMultisigKeys distinct keys. Every key has an origin and
// is followed by /<0;1>/* or by one branch, /0/* or /1/* (either yields the
// whole account; a multisig's keys all take the same form). A checksum, when
// present, must match. Both ' and h mark hardened steps. Extended private
// keys are refused, and so are keys without origin and unsorted multi(...).
// A tpub's descriptor does not say which test network it is for and is read
// as Testnet: use ParseForNetwork for Testnet4, Signet and Regtest.
func Parse(s string) (*Descriptor, error) {
	d, _, err := parse(s, 0)
	return d, err
}

// ParseForNetwork is Parse for a wallet on net: the key must be encoded for
// net, and the descriptor is given that network.
func ParseForNetwork(s string, net Network) (*Descriptor, error) {
	if !net.valid() {
		return nil, fmt.Errorf("%v is not a network: use Mainnet, Testnet, Testnet4, Signet or Regtest", net)
	}
	d, _, err := parse(s, net)
	return d, err
}

// parse is Parse that also returns the derivation step written after the
// keys: multipath ("<0;1>"), "0" or "1".
func parse(s string, net Network) (*Descriptor, string, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxDescriptorLen {
		return nil, "", fmt.Errorf("the descriptor has %d characters, more than the %d airsign reads: check what was scanned", len(s), maxDescriptorLen)
	}
	if s == "" {
		return nil, "", errors.New("the descriptor is empty")
	}
	body, err := StripChecksum(s)
	if err != nil {
		return nil, "", err
	}
	names, args, err := peel(body)
	if err != nil {
		return nil, "", err
	}
	script, err := matchShape(names, args)
	if err != nil {
		return nil, "", err
	}
	if script.Multisig() {
		return parseMulti(script, args, net)
	}
	k, err := parseKeyExpr(args[0], net)
	if err != nil {
		return nil, "", err
	}
	d := &Descriptor{Script: script, Network: k.net, Origin: k.origin, Key: k.key}
	if err := d.Validate(); err != nil {
		return nil, "", err
	}
	return d, k.step, nil
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
	for t, shape := range multiShapes {
		if joined == strings.Join(shape, "(") {
			return t, nil
		}
	}
	return 0, unsupportedShape(names, joined)
}

// keyExpr is a parsed key expression: origin, account key, the network its
// encoding names, and the step after the key ("<0;1>", "0" or "1").
type keyExpr struct {
	origin KeyOrigin
	key    *hdkeychain.ExtendedKey
	net    Network
	step   string
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
	return &keyExpr{origin: origin, key: key, net: net, step: strings.TrimSuffix(steps, "/*")}, nil
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
