package descriptor

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"

	"airsign/psbt/miniscript"
)

// MaxScriptWalletKeys caps the distinct account keys of a wsh(miniscript)
// or tr(KEY,TREE) wallet: CHECKMULTISIG's 20, which no template comes near
// and which keeps a kiosk's registration screen readable.
const MaxScriptWalletKeys = 20

// maxScriptDescriptorLen bounds what ParseScriptWallet reads: twenty keys
// with origins and /<a;b>/* steps (about 200 characters each), plus the
// fragments around them.
const maxScriptDescriptorLen = 16 << 10

// maxTapTreeDepth is BIP-341's limit on the depth of a script tree.
const maxTapTreeDepth = 128

// NUMS is the x-only key BIP-341 suggests as a taproot internal key that
// nobody can sign for (H = lift_x(SHA256(G))): a tr() wallet whose
// internal key is NUMS can be spent only through its script leaves.
const NUMS = "50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0"

// ScriptWallet is a wallet whose outputs pay to a script with more than one
// spending path: wsh(MINISCRIPT), or tr(KEY,TREE) whose leaves are
// tapscript miniscript (multi_a and sortedmulti_a included). Its keys are
// account xpubs with origins, each written with a BIP-389 pair of steps
// /<a;b>/*: a for receive addresses (branch 0), b for change (branch 1).
//
// It is a BIP-388 wallet policy: a descriptor template whose keys are
// placeholders @i/** (for /<0;1>/*) or @i/<a;b>/*, and the key list Keys
// the placeholders index. Placeholders are numbered in the order the keys
// first appear, so one wallet has one template.
type ScriptWallet struct {
	Network Network
	Keys    []Key

	template string           // the canonical BIP-388 template
	wsh      *miniscript.Node // wsh only
	internal *keyUse          // tr only: the internal key's placeholder, or nil
	static   *btcec.PublicKey // tr only: the internal key when it is not a wallet key (NUMS)
	tree     *tapTree         // tr only
}

// keyUse is one placeholder: key Keys[index] derived at Steps[branch].
type keyUse struct {
	index int
	steps [2]uint32
}

func (u keyUse) String() string {
	if u.steps == [2]uint32{0, 1} {
		return "@" + strconv.Itoa(u.index) + "/**"
	}
	return fmt.Sprintf("@%d/<%d;%d>/*", u.index, u.steps[0], u.steps[1])
}

// tapTree is a script tree: a leaf, or a branch of two trees.
type tapTree struct {
	leaf        *miniscript.Node
	left, right *tapTree
}

// InternalKey returns the placeholder of a taproot wallet's internal key
// ("@0/**"), or "" when it is NUMS or the wallet is wsh.
func (w *ScriptWallet) InternalKey() string {
	if w.internal == nil {
		return ""
	}
	return w.internal.String()
}

// Scripts returns the wallet's miniscript: the wsh script, or the taproot
// leaves in tree order (the order of Derived.Leaves).
func (w *ScriptWallet) Scripts() []*miniscript.Node { return w.scripts() }

// IsTaproot reports whether the wallet is tr(KEY,TREE) rather than wsh.
func (w *ScriptWallet) IsTaproot() bool { return w.tree != nil }

// Template returns the wallet's BIP-388 descriptor template, such as
// "wsh(or_d(multi(2,@0/**,@1/**,@2/**),and_v(v:pkh(@3/**),older(52560))))".
func (w *ScriptWallet) Template() string { return w.template }

// String returns the descriptor with its keys and checksum.
func (w *ScriptWallet) String() string {
	s, err := w.expand(w.template)
	if err != nil {
		return "invalid descriptor: " + err.Error()
	}
	return withChecksum(s)
}

// KeyText is Keys[i] as a BIP-388 key information vector holds it:
// "[fingerprint/path]xpub", without the steps.
func (w *ScriptWallet) KeyText(i int) string {
	return "[" + w.Keys[i].Origin.String() + "]" + standardString(w.Keys[i].Key, w.Network)
}

// expand replaces the placeholders of a template by the wallet's keys.
func (w *ScriptWallet) expand(template string) (string, error) {
	return mapTokens(template, func(tok string) (string, error) {
		if !strings.HasPrefix(tok, "@") {
			return tok, nil
		}
		u, err := parsePlaceholder(tok, len(w.Keys))
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s/<%d;%d>/*", w.KeyText(u.index), u.steps[0], u.steps[1]), nil
	})
}

// mapTokens rewrites the text between the delimiters of a descriptor
// ( ) , { } with f: how key expressions are swapped for placeholders and
// back. Keys never contain a delimiter, and nothing else a descriptor
// holds (fragment names, numbers, hashes) begins with '@' or '['.
func mapTokens(s string, f func(string) (string, error)) (string, error) {
	var b strings.Builder
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && !strings.ContainsRune("(),{}", rune(s[i])) {
			continue
		}
		tok, err := f(s[start:i])
		if err != nil {
			return "", err
		}
		b.WriteString(tok)
		if i < len(s) {
			b.WriteByte(s[i])
		}
		start = i + 1
	}
	return b.String(), nil
}

// parsePlaceholder reads "@i/**" or "@i/<a;b>/*" with i below nkeys.
func parsePlaceholder(s string, nkeys int) (keyUse, error) {
	idx, steps, ok := strings.Cut(s[1:], "/")
	i, err := strconv.Atoi(idx)
	if !ok || err != nil || i < 0 || strconv.Itoa(i) != idx {
		return keyUse{}, fmt.Errorf("%q is not a key placeholder: write @i/** or @i/<a;b>/* with i a key's number from 0", truncate(s))
	}
	if i >= nkeys {
		return keyUse{}, fmt.Errorf("the placeholder %s names key %d, but the policy lists %d keys", truncate(s), i, nkeys)
	}
	u := keyUse{index: i, steps: [2]uint32{0, 1}}
	if steps == "**" {
		return u, nil
	}
	if u.steps, err = parseStepPair(steps); err != nil {
		return keyUse{}, fmt.Errorf("placeholder %s: %w", truncate(s), err)
	}
	return u, nil
}

// parseStepPair reads the BIP-389 "<a;b>/*" that follows a key: two
// distinct unhardened steps, for receive and change.
func parseStepPair(s string) ([2]uint32, error) {
	inner, ok := strings.CutSuffix(s, ">/*")
	if !ok || !strings.HasPrefix(inner, "<") {
		return [2]uint32{}, fmt.Errorf("unsupported derivation /%s: a wallet key is followed by /<0;1>/* (receive and change), or another pair /<a;b>/*", truncate(s))
	}
	a, b, ok := strings.Cut(inner[1:], ";")
	if !ok {
		return [2]uint32{}, fmt.Errorf("the derivation /%s names one step: write a pair /<a;b>/* for receive and change", truncate(s))
	}
	var out [2]uint32
	for j, t := range []string{a, b} {
		p, err := parseStep(t)
		if err != nil {
			return [2]uint32{}, err
		}
		if p >= Hardened {
			return [2]uint32{}, errors.New("hardened steps after an extended public key cannot be derived: use unhardened /<a;b>/*")
		}
		out[j] = p
	}
	if out[0] == out[1] {
		return [2]uint32{}, fmt.Errorf("the derivation /<%d;%d>/* gives receive and change addresses the same keys: use two different steps", out[0], out[1])
	}
	return out, nil
}

// ParseScriptWallet reads a wsh(MINISCRIPT) or tr(KEY,TREE) descriptor for
// net. Every key is an account xpub with origin followed by /<a;b>/*; a
// taproot internal key may instead be NUMS, for wallets spent only through
// their leaves. The miniscript must be sane (miniscript.Node.Sane): no
// malleable or signature-free path, no key twice. A checksum, when present,
// must match.
func ParseScriptWallet(s string, net Network) (*ScriptWallet, error) {
	return parseScriptWallet(s, net, false)
}

// parseScriptWallet is ParseScriptWallet; staticKeys also admits hex public
// keys, which the BIP-386 vectors use and which no airsign wallet derives
// from.
func parseScriptWallet(s string, net Network, staticKeys bool) (*ScriptWallet, error) {
	if !net.valid() {
		return nil, fmt.Errorf("%v is not a network: use Mainnet, Testnet, Testnet4, Signet or Regtest", net)
	}
	s = strings.TrimSpace(s)
	if len(s) > maxScriptDescriptorLen {
		return nil, fmt.Errorf("the descriptor has %d characters, more than the %d airsign reads: check what was scanned", len(s), maxScriptDescriptorLen)
	}
	body, err := StripChecksum(s)
	if err != nil {
		return nil, err
	}
	w := &ScriptWallet{Network: net}
	seen := map[string]int{} // key text -> index in Keys
	template, err := mapTokens(body, func(tok string) (string, error) {
		if strings.HasPrefix(tok, "@") {
			return "", fmt.Errorf("%s is a placeholder, which belongs in a wallet policy's template: a descriptor holds the keys themselves", truncate(tok))
		}
		if !isKeyToken(tok, staticKeys) {
			return tok, nil
		}
		if staticKeys && isHex(tok) {
			return tok, nil
		}
		return w.placeholder(tok, seen)
	})
	if err != nil {
		return nil, err
	}
	if err := w.compile(template, staticKeys); err != nil {
		return nil, err
	}
	return w, nil
}

// isKeyToken reports whether a token of a descriptor is a key expression:
// one with an origin, or a bare extended key (refused later, for its
// missing origin), or in static mode a hex key.
func isKeyToken(tok string, staticKeys bool) bool {
	if strings.HasPrefix(tok, "[") {
		return true
	}
	if _, err := decodeExtendedKey(strings.SplitN(tok, "/", 2)[0]); err == nil {
		return true
	}
	return staticKeys && isHex(tok) && (len(tok) == 64 || len(tok) == 66) && tok != NUMS
}

// placeholder turns a key expression into its placeholder, adding the key
// to Keys the first time it is seen.
func (w *ScriptWallet) placeholder(tok string, seen map[string]int) (string, error) {
	slash := strings.Index(tok, "/<")
	if slash < 0 {
		if strings.HasSuffix(tok, "/*") || strings.HasSuffix(tok, "/**") {
			return "", fmt.Errorf("key %s: a wallet key is followed by /<0;1>/* (receive and change), not one branch", truncate(tok))
		}
		return "", fmt.Errorf("key %s: a wallet key is followed by /<0;1>/* so that it derives receive and change addresses", truncate(tok))
	}
	steps, err := parseStepPair(tok[slash+1:])
	if err != nil {
		return "", fmt.Errorf("key %s: %w", truncate(tok), err)
	}
	ke, err := parseKeyExpr(tok[:slash]+"/"+multipath+"/*", w.Network)
	if err != nil {
		return "", fmt.Errorf("key %s: %w", truncate(tok), err)
	}
	k := Key{Origin: ke.origin, Key: ke.key}
	text := "[" + k.Origin.String() + "]" + standardString(k.Key, w.Network)
	i, ok := seen[text]
	if !ok {
		i = len(w.Keys)
		if i == MaxScriptWalletKeys {
			return "", fmt.Errorf("the wallet has more than %d keys, more than airsign registers", MaxScriptWalletKeys)
		}
		w.Keys = append(w.Keys, k)
		seen[text] = i
	}
	return keyUse{index: i, steps: steps}.String(), nil
}

// compile parses a template whose keys are placeholders (or, in static
// mode, hex keys) into the wallet's script nodes, and checks the rules
// every wallet must meet.
func (w *ScriptWallet) compile(template string, staticKeys bool) error {
	top, arg, ok := strings.Cut(template, "(")
	if !ok || !strings.HasSuffix(arg, ")") {
		return errors.New("the descriptor is not wsh(...) or tr(...)")
	}
	arg = arg[:len(arg)-1]
	var err error
	switch top {
	case "wsh":
		if w.wsh, err = parseScript(arg, miniscript.Wsh); err != nil {
			return err
		}
	case "tr":
		if err = w.compileTaproot(arg, staticKeys); err != nil {
			return err
		}
	case "sh":
		return errors.New("sh(...) miniscript wallets are not supported: airsign registers wsh(miniscript) and tr(KEY,TREE), which cost less to spend")
	default:
		return fmt.Errorf("unsupported script expression %s(...): a wallet with spending paths is wsh(miniscript) or tr(KEY,TREE)", truncate(top))
	}
	if w.wsh != nil {
		w.template = "wsh(" + w.wsh.String() + ")"
	} else {
		w.template = "tr(" + strings.SplitN(arg, ",", 2)[0] + "," + w.tree.String() + ")"
	}
	for _, n := range w.scripts() {
		for _, name := range n.Keys() {
			if !strings.HasPrefix(name, "@") && !(staticKeys && isHex(name)) {
				return fmt.Errorf("%s is not a key expression: a wallet key is [fingerprint/path]xpub/<0;1>/*", truncate(name))
			}
		}
	}
	if err := w.checkKeys(); err != nil {
		return err
	}
	if len(w.Keys) == 0 && !staticKeys {
		return errors.New("the wallet has no extended keys to derive addresses from")
	}
	return nil
}

func parseScript(s string, ctx miniscript.Context) (*miniscript.Node, error) {
	n, err := miniscript.Parse(s, ctx)
	if err != nil {
		return nil, err
	}
	if err := n.Sane(); err != nil {
		return nil, fmt.Errorf("%w: airsign registers only wallets whose every spending path is safe", err)
	}
	return n, nil
}

func (w *ScriptWallet) compileTaproot(arg string, staticKeys bool) error {
	args := splitArgs(arg)
	switch {
	case len(args) == 1:
		return errors.New("tr(KEY) without a script tree is a single-sig wallet: register it as a tr() account")
	case len(args) != 2:
		return fmt.Errorf("tr(...) takes an internal key and a script tree, not %d arguments", len(args))
	}
	switch {
	case args[0] == NUMS:
		w.static = numsKey()
	case strings.HasPrefix(args[0], "@"):
		u, err := parsePlaceholder(args[0], len(w.Keys))
		if err != nil {
			return err
		}
		w.internal = &u
	case staticKeys && isHex(args[0]):
		b, _ := hex.DecodeString(args[0])
		k, err := schnorr.ParsePubKey(b)
		if err != nil {
			return fmt.Errorf("the taproot internal key: %w", err)
		}
		w.static = k
	default:
		return fmt.Errorf("the taproot internal key %s is neither a wallet key nor NUMS (%s)", truncate(args[0]), NUMS)
	}
	t, rest, err := parseTree(args[1], 0)
	if err != nil {
		return err
	}
	if rest != "" {
		return fmt.Errorf("unexpected %q after the script tree", truncate(rest))
	}
	w.tree = t
	return nil
}

// parseTree reads "{TREE,TREE}" or a leaf's miniscript, returning what
// follows it.
func parseTree(s string, depth int) (*tapTree, string, error) {
	if depth > maxTapTreeDepth {
		return nil, "", fmt.Errorf("the script tree is deeper than BIP-341's %d levels", maxTapTreeDepth)
	}
	if !strings.HasPrefix(s, "{") {
		end := leafEnd(s)
		n, err := parseScript(s[:end], miniscript.Tapscript)
		if err != nil {
			return nil, "", fmt.Errorf("script leaf %s: %w", truncate(s[:end]), err)
		}
		return &tapTree{leaf: n}, s[end:], nil
	}
	left, rest, err := parseTree(s[1:], depth+1)
	if err != nil {
		return nil, "", err
	}
	if !strings.HasPrefix(rest, ",") {
		return nil, "", errors.New("a script tree branch {A,B} has two parts separated by ','")
	}
	right, rest, err := parseTree(rest[1:], depth+1)
	if err != nil {
		return nil, "", err
	}
	if !strings.HasPrefix(rest, "}") {
		return nil, "", errors.New("a script tree branch {A,B} is not closed with '}'")
	}
	return &tapTree{left: left, right: right}, rest[1:], nil
}

// leafEnd is the length of the leaf expression at the start of s: up to a
// ',' or '}' outside parentheses.
func leafEnd(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ',', '}':
			if depth == 0 {
				return i
			}
		}
	}
	return len(s)
}

// scripts lists the wallet's miniscript: the wsh script, or the leaves in
// tree order.
func (w *ScriptWallet) scripts() []*miniscript.Node {
	if w.wsh != nil {
		return []*miniscript.Node{w.wsh}
	}
	var out []*miniscript.Node
	var walk func(t *tapTree)
	walk = func(t *tapTree) {
		if t.leaf != nil {
			out = append(out, t.leaf)
			return
		}
		walk(t.left)
		walk(t.right)
	}
	walk(w.tree)
	return out
}

// uses lists every placeholder of the wallet, the internal key first.
func (w *ScriptWallet) uses() ([]keyUse, error) {
	var out []keyUse
	if w.internal != nil {
		out = append(out, *w.internal)
	}
	for _, n := range w.scripts() {
		for _, name := range n.Keys() {
			if !strings.HasPrefix(name, "@") {
				continue // a static key (BIP-386 vectors only)
			}
			u, err := parsePlaceholder(name, len(w.Keys))
			if err != nil {
				return nil, err
			}
			out = append(out, u)
		}
	}
	return out, nil
}

// checkKeys applies BIP-388's rules to the keys: every key valid for the
// network, placeholders numbered by first appearance, every key used, and
// no step of a key used twice, so that no two placeholders ever derive the
// same public key (a signature for one would then serve the other).
func (w *ScriptWallet) checkKeys() error {
	uses, err := w.uses()
	if err != nil {
		return err
	}
	next := 0
	steps := map[[2]uint32]bool{} // (key, step)
	for _, u := range uses {
		switch {
		case u.index > next:
			return fmt.Errorf("placeholder @%d appears before @%d: BIP-388 numbers keys in the order they first appear", u.index, next)
		case u.index == next:
			next++
		}
		for _, st := range u.steps {
			if steps[[2]uint32{uint32(u.index), st}] {
				return fmt.Errorf("key @%d (%s) is derived at step %d in two places, which gives two parts of the wallet the same public keys: give each use of a key its own /<a;b>/* pair", u.index, w.Keys[u.index].Origin, st)
			}
			steps[[2]uint32{uint32(u.index), st}] = true
		}
	}
	if next != len(w.Keys) {
		return fmt.Errorf("the policy lists %d keys, but its template uses %d", len(w.Keys), next)
	}
	seenKey := map[string]int{}
	for i, k := range w.Keys {
		if err := checkKey(k.Origin, k.Key, w.Network); err != nil {
			return fmt.Errorf("key @%d: %w", i, err)
		}
		pub, err := k.Key.ECPubKey()
		if err != nil {
			return fmt.Errorf("key @%d: %w", i, err)
		}
		id := string(pub.SerializeCompressed())
		if j, ok := seenKey[id]; ok {
			return fmt.Errorf("keys @%d and @%d are the same extended key with two origins: list it once", j, i)
		}
		seenKey[id] = i
	}
	return nil
}

// Derived is everything a wallet's output at one branch and index commits
// to: what a signer checks an input or change output against.
type Derived struct {
	PkScript []byte
	// WitnessScript is the P2WSH script (wsh only).
	WitnessScript []byte
	// InternalKey and OutputKey are the taproot keys (tr only); Leaves the
	// script leaves in tree order.
	InternalKey *btcec.PublicKey
	OutputKey   *btcec.PublicKey
	MerkleRoot  chainhash.Hash
	Leaves      []Leaf
	// Keys are the derived keys by placeholder name ("@0/**"), with their
	// full BIP-32 paths.
	Keys map[string]DerivedKey
}

// DerivedKey is one placeholder's key at a branch and index.
type DerivedKey struct {
	Index int // in ScriptWallet.Keys
	Pub   *btcec.PublicKey
	Path  []uint32 // from the key's master: origin, step, index
}

// KeyFunc resolves the placeholder names of the wallet's miniscript to the
// derived keys: compressed in wsh, x-only in tapscript.
func (d *Derived) KeyFunc(ctx miniscript.Context) miniscript.KeyFunc {
	return func(name string) ([]byte, error) {
		k, ok := d.Keys[name]
		if !ok {
			if b, err := hex.DecodeString(name); err == nil && (len(b) == 32 || len(b) == 33) {
				return b, nil // a static key (BIP-386 vectors only)
			}
			return nil, fmt.Errorf("the wallet has no key %s", truncate(name))
		}
		if ctx == miniscript.Tapscript {
			return schnorr.SerializePubKey(k.Pub), nil
		}
		return k.Pub.SerializeCompressed(), nil
	}
}

// Derive returns the wallet's scripts at branch (0 receive, 1 change) and
// index.
func (w *ScriptWallet) Derive(branch, index uint32) (*Derived, error) {
	if err := checkBranch(branch); err != nil {
		return nil, err
	}
	if index >= Hardened {
		return nil, fmt.Errorf("address index %d is a hardened index, which an xpub cannot derive: use an index below %d", index, uint32(Hardened))
	}
	uses, err := w.uses()
	if err != nil {
		return nil, err
	}
	d := &Derived{Keys: map[string]DerivedKey{}}
	for _, u := range uses {
		k := w.Keys[u.index]
		step := u.steps[branch]
		pub, err := derivePublicAt(k.Key, step, index)
		if err != nil {
			return nil, fmt.Errorf("key @%d: %w", u.index, err)
		}
		path := append(append([]uint32(nil), k.Origin.Path...), step, index)
		d.Keys[u.String()] = DerivedKey{Index: u.index, Pub: pub, Path: path}
	}
	if w.wsh != nil {
		if d.WitnessScript, err = w.wsh.Script(d.KeyFunc(miniscript.Wsh)); err != nil {
			return nil, err
		}
		d.PkScript = p2wshProgram(d.WitnessScript)
		return d, nil
	}
	if err := w.deriveTaproot(d); err != nil {
		return nil, err
	}
	return d, nil
}

// derivePublicAt derives key/step/index, the two unhardened steps after an
// account key.
func derivePublicAt(key *hdkeychain.ExtendedKey, step, index uint32) (*btcec.PublicKey, error) {
	k, err := key.Derive(step)
	if err != nil {
		return nil, fmt.Errorf("deriving step %d: %w", step, err)
	}
	return deriveIndex(k, step, index)
}

// Address is the wallet's address at branch and index.
func (w *ScriptWallet) Address(branch, index uint32) (btcutil.Address, error) {
	d, err := w.Derive(branch, index)
	if err != nil {
		return nil, err
	}
	if w.wsh != nil {
		return btcutil.NewAddressWitnessScriptHash(d.PkScript[2:], w.Network.Params())
	}
	return btcutil.NewAddressTaproot(d.PkScript[2:], w.Network.Params())
}

// Leaf is one script leaf of a taproot wallet at a branch and index.
type Leaf struct {
	Node         *miniscript.Node
	Script       []byte
	Hash         chainhash.Hash // TapLeaf hash, what script-path signatures commit to
	ControlBlock []byte         // BIP-341 control block proving the leaf is in the output key
}

// String prints the tree as the descriptor holds it.
func (t *tapTree) String() string {
	if t.leaf != nil {
		return t.leaf.String()
	}
	return "{" + t.left.String() + "," + t.right.String() + "}"
}

// hash compiles the tree's leaves into out, in tree order, and returns the
// tree's hash; each leaf collects the hashes of its siblings, bottom first,
// as its inclusion proof.
func (t *tapTree) hash(keys miniscript.KeyFunc, out *[]Leaf, proofs *[][]byte) (chainhash.Hash, error) {
	if t.leaf != nil {
		script, err := t.leaf.Script(keys)
		if err != nil {
			return chainhash.Hash{}, err
		}
		h := txscript.NewBaseTapLeaf(script).TapHash()
		*out = append(*out, Leaf{Node: t.leaf, Script: script, Hash: h})
		*proofs = append(*proofs, nil)
		return h, nil
	}
	first := len(*out)
	l, err := t.left.hash(keys, out, proofs)
	if err != nil {
		return chainhash.Hash{}, err
	}
	mid := len(*out)
	r, err := t.right.hash(keys, out, proofs)
	if err != nil {
		return chainhash.Hash{}, err
	}
	for i := first; i < len(*out); i++ {
		sibling := r
		if i >= mid {
			sibling = l
		}
		(*proofs)[i] = append((*proofs)[i], sibling[:]...)
	}
	return tapBranchHash(l, r), nil
}

// tapBranchHash is BIP-341's TapBranch hash of two children, sorted.
func tapBranchHash(a, b chainhash.Hash) chainhash.Hash {
	if bytes.Compare(a[:], b[:]) > 0 {
		a, b = b, a
	}
	return *chainhash.TaggedHash(chainhash.TagTapBranch, a[:], b[:])
}

// numsKey is NUMS as a point.
func numsKey() *btcec.PublicKey {
	b, _ := hex.DecodeString(NUMS)
	k, err := schnorr.ParsePubKey(b)
	if err != nil {
		panic("descriptor: NUMS is not a point: " + err.Error())
	}
	return k
}

func (w *ScriptWallet) deriveTaproot(d *Derived) error {
	d.InternalKey = w.static
	if w.internal != nil {
		d.InternalKey = d.Keys[w.internal.String()].Pub
	}
	var proofs [][]byte
	root, err := w.tree.hash(d.KeyFunc(miniscript.Tapscript), &d.Leaves, &proofs)
	if err != nil {
		return err
	}
	d.MerkleRoot = root
	d.OutputKey = txscript.ComputeTaprootOutputKey(d.InternalKey, root[:])
	odd := d.OutputKey.SerializeCompressed()[0] == secp256k1OddPrefix
	for i := range d.Leaves {
		cb := txscript.ControlBlock{
			InternalKey:     d.InternalKey,
			OutputKeyYIsOdd: odd,
			LeafVersion:     txscript.BaseLeafVersion,
			InclusionProof:  proofs[i],
		}
		if d.Leaves[i].ControlBlock, err = cb.ToBytes(); err != nil {
			return err
		}
	}
	d.PkScript, err = txscript.PayToTaprootScript(d.OutputKey)
	return err
}

// secp256k1OddPrefix is the compressed-key prefix of a point with odd y.
const secp256k1OddPrefix = 0x03
