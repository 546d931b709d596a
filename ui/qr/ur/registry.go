package ur

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// CBOR tags of the registry types (BCR-2020-006). Version 1 tags are what
// airsign writes, because the wallets it talks to read them; the version 2
// tags (40000 + the version 1 number) are accepted on read.
const (
	tagHDKey     = 303
	tagKeypath   = 304
	tagCoinInfo  = 305
	tagECKey     = 306
	tagAddress   = 307
	tagOutput    = 308
	tagPSBT      = 310
	tagAccount   = 311
	tagV2        = 40000
	tagSH        = 400
	tagWSH       = 401
	tagPK        = 402
	tagPKH       = 403
	tagWPKH      = 404
	tagCombo     = 405
	tagMulti     = 406
	tagSortMulti = 407
	tagTR        = 409
	tagCosigner  = 410
)

// UR types airsign reads and writes.
const (
	TypePSBT    = "crypto-psbt"
	TypeOutput  = "crypto-output"
	TypeAccount = "crypto-account"
	TypeHDKey   = "crypto-hdkey"
)

// PSBT returns a serialized PSBT (BIP 174) as a crypto-psbt UR: the CBOR byte
// string of the PSBT, untagged as a top-level UR item must be.
func PSBT(psbt []byte) UR { return UR{Type: TypePSBT, CBOR: cborBytes(psbt)} }

// DecodePSBT returns the PSBT carried by a crypto-psbt or (version 2) psbt
// UR. A tag 310 or 40310 around the byte string is accepted, since some
// senders add it.
func DecodePSBT(u UR) ([]byte, error) {
	if u.Type != TypePSBT && u.Type != "psbt" {
		return nil, fmt.Errorf("ur:%s is not a PSBT: expected ur:crypto-psbt or ur:psbt", u.Type)
	}
	r := cborReader{b: u.CBOR}
	if _, err := r.optionalTag(tagPSBT, tagV2+tagPSBT); err != nil {
		return nil, fmt.Errorf("ur:%s: %v", u.Type, err)
	}
	b, err := r.bytes()
	if err == nil {
		err = r.done()
	}
	if err != nil {
		return nil, fmt.Errorf("ur:%s does not hold a byte string: %v", u.Type, err)
	}
	if !bytes.HasPrefix(b, []byte("psbt\xff")) {
		return nil, fmt.Errorf("ur:%s holds %d bytes that do not start with the PSBT magic \"psbt\\xff\"", u.Type, len(b))
	}
	return append([]byte(nil), b...), nil
}

// CoinInfo says which coin and network a key belongs to (crypto-coininfo).
// The zero value is bitcoin mainnet, the registry's default.
type CoinInfo struct {
	Type    uint32 // SLIP-44 coin type without the hardened bit; 0 is bitcoin
	Network int64  // 0 is mainnet, 1 is bitcoin testnet
}

// ComponentKind says what a PathComponent stands for.
type ComponentKind uint8

// The kinds of keypath component (BCR-2020-007).
const (
	// ChildIndex is one child: Index, Hardened.
	ChildIndex ComponentKind = iota
	// ChildRange is the children Index through High, all Hardened or not.
	ChildRange
	// ChildWildcard is "*": any child, Hardened or not.
	ChildWildcard
	// ChildPair is "<Index;High>" from multipath descriptors: Index for
	// receive (external) addresses, High for change (internal) ones, each
	// with its own hardened flag.
	ChildPair
)

// PathComponent is one step of a Keypath.
type PathComponent struct {
	Kind         ComponentKind
	Index        uint32 // the child; the first of a range; the external child of a pair
	Hardened     bool
	High         uint32 // the last child of a range; the internal child of a pair
	HighHardened bool   // whether a pair's internal child is hardened
}

// Keypath is a derivation path with its provenance (crypto-keypath).
type Keypath struct {
	Components []PathComponent
	// SourceFingerprint is the fingerprint of the key the path starts from
	// (the master key, for a key origin); 0 when absent.
	SourceFingerprint uint32
	// Depth is the number of derivation steps from the master key, if
	// HasDepth; it may exceed len(Components) when the path is partial.
	Depth    uint8
	HasDepth bool
}

// ParseKeypath reads a path such as "84'/0'/0'", "m/48h/0h/0h/2h", "0/*" or
// "<0;1>/*" into a Keypath without fingerprint or depth.
func ParseKeypath(s string) (Keypath, error) {
	var kp Keypath
	s = strings.TrimPrefix(strings.TrimPrefix(s, "m"), "/")
	if s == "" {
		return kp, nil
	}
	for _, step := range strings.Split(s, "/") {
		c, err := parseComponent(step)
		if err != nil {
			return Keypath{}, fmt.Errorf("keypath %q: %v", s, err)
		}
		kp.Components = append(kp.Components, c)
	}
	return kp, nil
}

func parseComponent(step string) (PathComponent, error) {
	hard := func(s string) (string, bool) {
		for _, suf := range []string{"'", "h", "H"} {
			if t, ok := strings.CutSuffix(s, suf); ok {
				return t, true
			}
		}
		return s, false
	}
	index := func(s string) (uint32, bool, error) {
		s, h := hard(s)
		n, err := strconv.ParseUint(s, 10, 31)
		if err != nil {
			return 0, false, fmt.Errorf("%q is not a child index below 2^31", s)
		}
		return uint32(n), h, nil
	}
	if inner, ok := strings.CutPrefix(step, "<"); ok {
		inner, ok = strings.CutSuffix(inner, ">")
		a, b, ok2 := strings.Cut(inner, ";")
		if !ok || !ok2 {
			return PathComponent{}, fmt.Errorf("%q is not a pair like <0;1>", step)
		}
		i, hi, err := index(a)
		if err != nil {
			return PathComponent{}, err
		}
		j, hj, err := index(b)
		if err != nil {
			return PathComponent{}, err
		}
		return PathComponent{Kind: ChildPair, Index: i, Hardened: hi, High: j, HighHardened: hj}, nil
	}
	if rest, h := hard(step); rest == "*" {
		return PathComponent{Kind: ChildWildcard, Hardened: h}, nil
	}
	i, h, err := index(step)
	if err != nil {
		return PathComponent{}, err
	}
	return PathComponent{Kind: ChildIndex, Index: i, Hardened: h}, nil
}

// String writes the path in descriptor notation, "84'/0'/0'" or "<0;1>/*";
// a range is written "0-9".
func (kp Keypath) String() string {
	parts := make([]string, len(kp.Components))
	for i, c := range kp.Components {
		parts[i] = c.String()
	}
	return strings.Join(parts, "/")
}

// String writes the component in descriptor notation.
func (c PathComponent) String() string {
	h := func(hard bool) string {
		if hard {
			return "'"
		}
		return ""
	}
	switch c.Kind {
	case ChildRange:
		return fmt.Sprintf("%d%s-%d%s", c.Index, h(c.Hardened), c.High, h(c.Hardened))
	case ChildWildcard:
		return "*" + h(c.Hardened)
	case ChildPair:
		return fmt.Sprintf("<%d%s;%d%s>", c.Index, h(c.Hardened), c.High, h(c.HighHardened))
	}
	return fmt.Sprintf("%d%s", c.Index, h(c.Hardened))
}

// HDKey is a BIP 32 key with its metadata (crypto-hdkey, BCR-2020-007), or,
// with EC set, a bare elliptic-curve key (crypto-eckey, BCR-2020-008) as
// plain descriptors such as pkh(02c6...) carry.
type HDKey struct {
	Master  bool // a master key: private, with a chain code and nothing else
	Private bool // KeyData is 0x00 || a private key, not a compressed public key
	EC      bool // a crypto-eckey: only Private and KeyData apply

	KeyData   []byte // 33 bytes
	ChainCode []byte // 32 bytes, or nil when no children may be derived

	UseInfo  *CoinInfo // nil: bitcoin mainnet
	Origin   *Keypath  // how the key was derived, from SourceFingerprint
	Children *Keypath  // what to derive from it, e.g. <0;1>/*

	ParentFingerprint uint32 // 0 when absent
	Name, Note        string
}

// UR returns k as a crypto-hdkey UR.
func (k HDKey) UR() (UR, error) {
	if k.EC {
		return UR{}, errors.New("ur: a bare EC key has no crypto-hdkey form")
	}
	var w cborWriter
	if err := writeHDKey(&w, k); err != nil {
		return UR{}, err
	}
	return UR{Type: TypeHDKey, CBOR: w.b}, nil
}

// DecodeHDKey reads a crypto-hdkey or (version 2) hdkey UR.
func DecodeHDKey(u UR) (HDKey, error) {
	if u.Type != TypeHDKey && u.Type != "hdkey" {
		return HDKey{}, fmt.Errorf("ur:%s is not an HD key: expected ur:crypto-hdkey or ur:hdkey", u.Type)
	}
	r := cborReader{b: u.CBOR}
	if _, err := r.optionalTag(tagHDKey, tagV2+tagHDKey); err != nil {
		return HDKey{}, fmt.Errorf("ur:%s: %v", u.Type, err)
	}
	k, err := readHDKey(&r)
	if err == nil {
		err = r.done()
	}
	if err != nil {
		return HDKey{}, fmt.Errorf("ur:%s: %v", u.Type, err)
	}
	return k, nil
}

// Script names the script functions of an output descriptor, outermost
// first, as descriptors write them; the key or keys go inside.
type Script string

// Scripts airsign uses. Any nesting of sh and wsh around pk, pkh, wpkh,
// combo, tr, cosigner, multi or sortedmulti is accepted, e.g. "sh(wsh(multi))".
const (
	ScriptPKH              Script = "pkh"
	ScriptWPKH             Script = "wpkh"
	ScriptSHWPKH           Script = "sh(wpkh)"
	ScriptTR               Script = "tr"
	ScriptWSHSortedMulti   Script = "wsh(sortedmulti)"
	ScriptSHWSHSortedMulti Script = "sh(wsh(sortedmulti))"
	ScriptSHSortedMulti    Script = "sh(sortedmulti)"
	// ScriptWSHCosigner and its kin carry one cosigner's key of a multisig
	// wallet, as crypto-account exports do (BCR-2020-015).
	ScriptWSHCosigner   Script = "wsh(cosigner)"
	ScriptSHWSHCosigner Script = "sh(wsh(cosigner))"
	ScriptSHCosigner    Script = "sh(cosigner)"
)

var scriptTags = map[string]uint64{
	"sh": tagSH, "wsh": tagWSH, "pk": tagPK, "pkh": tagPKH, "wpkh": tagWPKH, "combo": tagCombo,
	"multi": tagMulti, "sortedmulti": tagSortMulti, "tr": tagTR, "cosigner": tagCosigner,
}

func scriptName(tag uint64) string {
	for name, t := range scriptTags {
		if t == tag {
			return name
		}
	}
	return ""
}

// Output is a Bitcoin output descriptor (crypto-output, BCR-2020-010): a
// single-key script with one key, or a multisig script with a threshold and
// its keys.
type Output struct {
	Script    Script
	Threshold int // multi and sortedmulti only
	Keys      []HDKey
}

// split returns the wrapping functions, outermost first, and the innermost.
func (s Script) split() (wrappers []string, leaf string) {
	funcs := strings.Split(strings.TrimRight(string(s), ")"), "(")
	return funcs[:len(funcs)-1], funcs[len(funcs)-1]
}

// Text writes the script around its arguments, as descriptor text does:
// Script("sh(wpkh)").Text("@0") is "sh(wpkh(@0))".
func (s Script) Text(args string) string {
	wrappers, leaf := s.split()
	text := leaf + "(" + args + ")"
	for i := len(wrappers) - 1; i >= 0; i-- {
		text = wrappers[i] + "(" + text + ")"
	}
	return text
}

// UR returns o as a crypto-output UR.
func (o Output) UR() (UR, error) {
	var w cborWriter
	if err := writeOutput(&w, o); err != nil {
		return UR{}, err
	}
	return UR{Type: TypeOutput, CBOR: w.b}, nil
}

// DecodeOutput reads a crypto-output UR.
func DecodeOutput(u UR) (Output, error) {
	if u.Type != TypeOutput {
		if u.Type == TypeOutputDescriptor {
			return Output{}, errors.New("ur:output-descriptor is the text-based version 3 of BCR-2023-010: read it with DecodeOutputDescriptor")
		}
		return Output{}, fmt.Errorf("ur:%s is not an output descriptor: expected ur:crypto-output", u.Type)
	}
	r := cborReader{b: u.CBOR}
	if _, err := r.optionalTag(tagOutput); err != nil {
		return Output{}, fmt.Errorf("ur:%s: %v", u.Type, err)
	}
	o, err := readOutput(&r)
	if err == nil {
		err = r.done()
	}
	if err != nil {
		return Output{}, fmt.Errorf("ur:%s: %v", u.Type, err)
	}
	return o, nil
}

// Account is one account of a wallet, as a set of output descriptors sharing
// a master fingerprint (crypto-account, BCR-2020-015).
type Account struct {
	MasterFingerprint uint32
	Outputs           []Output
}

// UR returns a as a crypto-account UR.
func (a Account) UR() (UR, error) {
	if len(a.Outputs) == 0 {
		return UR{}, errors.New("ur: a crypto-account needs at least one output descriptor")
	}
	var w cborWriter
	w.mapHead(2)
	w.uint(1)
	w.uint(uint64(a.MasterFingerprint))
	w.uint(2)
	w.array(len(a.Outputs))
	for i, o := range a.Outputs {
		w.tag(tagOutput)
		if err := writeOutput(&w, o); err != nil {
			return UR{}, fmt.Errorf("output %d: %w", i+1, err)
		}
	}
	return UR{Type: TypeAccount, CBOR: w.b}, nil
}

// DecodeAccount reads a crypto-account UR.
func DecodeAccount(u UR) (Account, error) {
	if u.Type != TypeAccount {
		if u.Type == TypeAccountDescriptor {
			return Account{}, errors.New("ur:account-descriptor is BCR-2023-019, of text-based version 3 descriptors: read it with DecodeAccountDescriptor")
		}
		return Account{}, fmt.Errorf("ur:%s is not an account: expected ur:crypto-account", u.Type)
	}
	r := cborReader{b: u.CBOR}
	a, err := readAccount(&r)
	if err == nil {
		err = r.done()
	}
	if err != nil {
		return Account{}, fmt.Errorf("ur:%s: %v", u.Type, err)
	}
	return a, nil
}

func readAccount(r *cborReader) (Account, error) {
	var a Account
	if _, err := r.optionalTag(tagAccount, tagV2+tagAccount); err != nil {
		return a, err
	}
	fp, err := readAccountMap(r, tagOutput, "crypto-output", func() error {
		o, err := readOutput(r)
		a.Outputs = append(a.Outputs, o)
		return err
	})
	a.MasterFingerprint = fp
	return a, err
}

// maxAccountOutputs bounds the outputs an account lists: BCR-2020-015 and
// BCR-2023-019 name seven script types.
const maxAccountOutputs = 16

// readAccountMap reads the map both account types share: a master
// fingerprint (1) and an array (2) of outputs, each tagged outputTag and
// read by readOne.
func readAccountMap(r *cborReader, outputTag uint64, outputType string, readOne func() error) (uint32, error) {
	var fp uint32
	n, err := r.mapHead()
	if err != nil {
		return fp, err
	}
	var seen [3]bool
	outputs := 0
	for range n {
		key, err := r.uint()
		if err != nil {
			return fp, fmt.Errorf("account key: %w", err)
		}
		if key < 3 {
			if seen[key] {
				return fp, fmt.Errorf("account field %d appears twice", key)
			}
			seen[key] = true
		}
		switch key {
		case 1:
			if fp, err = r.uint32(); err != nil {
				return fp, fmt.Errorf("master fingerprint: %w", err)
			}
		case 2:
			if outputs, err = r.array(); err != nil {
				return fp, fmt.Errorf("output descriptors: %w", err)
			}
			if outputs > maxAccountOutputs {
				return fp, fmt.Errorf("%d output descriptors are more than the %d an account may list", outputs, maxAccountOutputs)
			}
			for i := range outputs {
				if t, err := r.optionalTag(outputTag); err != nil || t == 0 {
					return fp, fmt.Errorf("output %d: expected tag %d (%s)", i+1, outputTag, outputType)
				}
				if err := readOne(); err != nil {
					return fp, fmt.Errorf("output %d: %w", i+1, err)
				}
			}
		default:
			if err := r.skip(1); err != nil {
				return fp, err
			}
		}
	}
	if !seen[1] || !seen[2] {
		return fp, errors.New("an account needs a master fingerprint (1) and output descriptors (2)")
	}
	if outputs == 0 {
		return fp, errors.New("the account lists no output descriptors")
	}
	return fp, nil
}
