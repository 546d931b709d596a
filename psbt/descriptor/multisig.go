package descriptor

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/txscript"
)

// MaxMultisigKeys is the most keys a multisig descriptor may have.
//
// Consensus and P2WSH policy allow 20 keys in a CHECKMULTISIG witness script
// (BIP383 accepts 20 inside wsh()), but 15 is the limit multisig wallets
// settled on when P2SH's 520-byte redeem script capped them there
// (3 + 15×34 = 513 bytes), and hardware cosigners such as Coldcard still
// refuse more. A wallet that one cosigner cannot register is a wallet that
// cosigner cannot sign for, so airsign stays within 15.
const MaxMultisigKeys = 15

// Key is one cosigner's key in a multisig descriptor: the account-level
// extended public key and where it comes from.
type Key struct {
	Origin KeyOrigin
	Key    *hdkeychain.ExtendedKey // account xpub/tpub, public only
}

// Path returns the full derivation path from the cosigner's master key to
// its key at branch and index, as PSBT BIP32 derivation fields carry it.
func (k Key) Path(branch, index uint32) []uint32 {
	return appendPath(k.Origin.Path, branch, index)
}

// PublicKey derives the cosigner's public key at branch (0 receive, 1
// change) and index.
func (k Key) PublicKey(branch, index uint32) (*btcec.PublicKey, error) {
	if k.Key == nil {
		return nil, errors.New("the cosigner has no key")
	}
	if k.Key.IsPrivate() {
		return nil, ErrPrivateKey
	}
	return derivePublic(k.Key, branch, index)
}

// multiShapes are the nested script expressions of each multisig type,
// outermost first.
var multiShapes = map[ScriptType][]string{
	P2WSHMulti:     {"wsh", "sortedmulti"},
	P2SHP2WSHMulti: {"sh", "wsh", "sortedmulti"},
}

// unsupportedShape explains why a script expression that is not one of
// shapes or multiShapes is refused.
func unsupportedShape(names []string, joined string) error {
	last := names[len(names)-1]
	if last != "multi" && last != "sortedmulti" {
		return fmt.Errorf("unsupported script expression %s(...): airsign reads pkh, sh(wpkh), wpkh, tr, wsh(sortedmulti) and sh(wsh(sortedmulti)) descriptors", truncate(joined))
	}
	wrapped := strings.Join(names[:len(names)-1], "(")
	switch {
	case last == "multi" && (wrapped == "wsh" || wrapped == "sh(wsh"):
		// multi() pays to the keys in the order written, so a
		// cosigner that lists them in another order derives other
		// addresses; sortedmulti() (BIP67) does not depend on it.
		return errors.New("unsorted multi(...) is not supported: airsign registers only sortedmulti(...) multisig, whose addresses do not depend on the order of the keys; ask the coordinator for the wallet's sortedmulti descriptor")
	case wrapped == "":
		return fmt.Errorf("bare %s(...) outputs are not supported: airsign multisig wallets are wsh(sortedmulti(...)) or sh(wsh(sortedmulti(...)))", last)
	case wrapped == "sh":
		return fmt.Errorf("legacy P2SH sh(%s(...)) multisig is not supported: airsign multisig wallets are wsh(sortedmulti(...)) or sh(wsh(sortedmulti(...)))", last)
	}
	return fmt.Errorf("unsupported script expression %s(...): airsign multisig wallets are wsh(sortedmulti(...)) or sh(wsh(sortedmulti(...)))", truncate(joined))
}

// parseMulti reads the arguments of sortedmulti: threshold, then keys.
func parseMulti(script ScriptType, args []string, net Network) (*Descriptor, string, error) {
	if len(args) < 2 {
		return nil, "", errors.New("sortedmulti(...) needs a threshold and at least one key: sortedmulti(k,KEY,KEY,...)")
	}
	n := len(args) - 1
	k, err := parseThreshold(args[0])
	if err != nil {
		return nil, "", err
	}
	switch {
	case n > MaxMultisigKeys:
		return nil, "", fmt.Errorf("the multisig has %d keys, more than the %d airsign supports (the limit hardware cosigners and the P2SH era set)", n, MaxMultisigKeys)
	case k == 0:
		return nil, "", errors.New("the multisig threshold is 0, which would let anyone spend: the threshold is between 1 and the number of keys")
	case k > n:
		return nil, "", fmt.Errorf("the multisig threshold %d is more than its %d keys, which could never sign: the threshold is between 1 and the number of keys", k, n)
	}
	d := &Descriptor{Script: script, Network: net, Threshold: k}
	var step string
	for i, arg := range args[1:] {
		ke, err := parseKeyExpr(arg, d.Network)
		if err != nil {
			return nil, "", fmt.Errorf("key %d of %d: %w", i+1, n, err)
		}
		switch {
		case i == 0:
			d.Network, step = ke.net, ke.step
		case ke.step != step:
			return nil, "", fmt.Errorf("key %d of %d is followed by /%s/*, but key 1 by /%s/*: the keys of a multisig derive in lockstep and take the same form", i+1, n, ke.step, step)
		}
		d.Keys = append(d.Keys, Key{Origin: ke.origin, Key: ke.key})
	}
	if err := d.Validate(); err != nil {
		return nil, "", err
	}
	return d, step, nil
}

// parseThreshold reads a decimal threshold without sign or leading zeros,
// so that the descriptor reads back exactly as written.
func parseThreshold(s string) (int, error) {
	if s == "" || len(s) > 2 || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("the multisig threshold %q is not a number from 1 to %d", truncate(s), MaxMultisigKeys)
	}
	k := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("the multisig threshold %q is not a number from 1 to %d", truncate(s), MaxMultisigKeys)
		}
		k = k*10 + int(r-'0')
	}
	return k, nil
}

// validateMulti checks a multisig descriptor: 1 <= Threshold <= len(Keys)
// <= MaxMultisigKeys, every key valid for the network, no key twice, and no
// master fingerprint twice.
//
// The last rule makes KeyFor unambiguous. Two keys of one multisig from the
// same seed let one person, or one stolen seed, provide two signatures, so
// the wallet is weaker than its k-of-n says; an honest fingerprint collision
// between two seeds has probability 2^-32.
func (d *Descriptor) validateMulti() error {
	n := len(d.Keys)
	switch {
	case d.Key != nil || d.Origin.Path != nil || d.Origin.Fingerprint != [4]byte{}:
		return fmt.Errorf("a %v descriptor has its keys in Keys: Origin and Key are for single-sig", d.Script)
	case n == 0:
		return errors.New("the multisig descriptor has no keys")
	case n > MaxMultisigKeys:
		return fmt.Errorf("the multisig has %d keys, more than the %d airsign supports", n, MaxMultisigKeys)
	case d.Threshold < 1 || d.Threshold > n:
		return fmt.Errorf("the multisig threshold %d is not between 1 and its %d keys", d.Threshold, n)
	}
	seenKey := make(map[string]int, n)
	seenFP := make(map[[4]byte]int, n)
	for i, k := range d.Keys {
		if err := checkKey(k.Origin, k.Key, d.Network); err != nil {
			return fmt.Errorf("key %d of %d: %w", i+1, n, err)
		}
		pub, err := k.Key.ECPubKey()
		if err != nil {
			return fmt.Errorf("key %d of %d: %w", i+1, n, err)
		}
		id := string(pub.SerializeCompressed())
		if j, ok := seenKey[id]; ok {
			return fmt.Errorf("keys %d and %d of the multisig are the same key: each cosigner must bring its own key", j+1, i+1)
		}
		seenKey[id] = i
		if j, ok := seenFP[k.Origin.Fingerprint]; ok {
			return fmt.Errorf("keys %d and %d of the multisig both come from master fingerprint %x: one seed holding two keys could sign twice, so airsign refuses the wallet; give each cosigner its own seed", j+1, i+1, k.Origin.Fingerprint)
		}
		seenFP[k.Origin.Fingerprint] = i
	}
	return nil
}

// KeyFor returns the index in Keys of the cosigner key whose origin names
// master fingerprint fp, which is how the kiosk finds its own key in a
// multisig. Validate guarantees at most one. A fingerprint is a hint, not a
// proof (BIP129 warns it is trivial to spoof): before trusting the match the
// kiosk must derive its key at Keys[i].Origin.Path and compare it with
// Keys[i].Key.
func (d *Descriptor) KeyFor(fp [4]byte) (int, bool) {
	if d == nil {
		return 0, false
	}
	for i, k := range d.Keys {
		if k.Origin.Fingerprint == fp {
			return i, true
		}
	}
	return 0, false
}

// PublicKeys derives every cosigner's public key at branch (0 receive, 1
// change) and index, in the order of Keys (not the sorted order of the
// script).
func (d *Descriptor) PublicKeys(branch, index uint32) ([]*btcec.PublicKey, error) {
	b, err := d.Deriver(branch)
	if err != nil {
		return nil, err
	}
	return b.PublicKeys(index)
}

// WitnessScript returns the multisig script at branch and index: the
// threshold, the cosigners' derived keys sorted as BIP67 and BIP383's
// sortedmulti say, their number, and OP_CHECKMULTISIG. It is the PSBT
// witness_script of inputs and outputs of the wallet.
func (d *Descriptor) WitnessScript(branch, index uint32) ([]byte, error) {
	b, err := d.Deriver(branch)
	if err != nil {
		return nil, err
	}
	return b.WitnessScript(index)
}

// RedeemScript returns the P2SH redeem script at branch and index of the
// nested segwit types: the P2WSH program of WitnessScript for P2SHP2WSHMulti,
// the P2WPKH program of the key for P2SHP2WPKH. It is the PSBT
// redeem_script of their inputs and outputs. Other types have none.
func (d *Descriptor) RedeemScript(branch, index uint32) ([]byte, error) {
	b, err := d.Deriver(branch)
	if err != nil {
		return nil, err
	}
	return b.RedeemScript(index)
}

// p2wshProgram is the segwit v0 output script paying to witness script ws.
func p2wshProgram(ws []byte) []byte {
	hash := sha256.Sum256(ws)
	return append([]byte{txscript.OP_0, 32}, hash[:]...)
}

// sortKeys sorts serialized public keys lexicographically (BIP67).
func sortKeys(keys [][]byte) [][]byte {
	slices.SortFunc(keys, bytes.Compare)
	return keys
}

// multisigScript builds "k KEY... n OP_CHECKMULTISIG" with the keys in the
// order given. Numbers up to 16 are OP_1..OP_16, larger ones minimal pushes
// (BIP383).
func multisigScript(k int, keys [][]byte) ([]byte, error) {
	b := txscript.NewScriptBuilder().AddInt64(int64(k))
	for _, key := range keys {
		b.AddData(key)
	}
	return b.AddInt64(int64(len(keys))).AddOp(txscript.OP_CHECKMULTISIG).Script()
}
