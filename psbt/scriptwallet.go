package psbt

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/psbt/descriptor"
	"airsign/psbt/miniscript"
)

// CodeRecoveryLocked refuses an input whose every spending path through
// this kiosk's keys waits for a lock the transaction does not meet yet.
const CodeRecoveryLocked Code = "recovery-path-locked"

// keyPathLeaf marks the taproot key path among an input's spending paths.
const keyPathLeaf = -1

// scriptWallet is what an analysis of a wsh(miniscript) or tr(KEY,TREE)
// wallet needs besides the generic checks.
type scriptWallet struct {
	w    *descriptor.ScriptWallet
	ours map[int]bool // indices in w.Keys of this kiosk's keys
	// steps maps a key index and the step after its account key to the
	// branch (0 receive, 1 change) that step derives.
	steps map[[2]uint32]uint32
	cache map[[2]uint32]*descriptor.Derived
}

// scriptInput is what Analyze proved about an input of a script wallet,
// and what Sign is to sign in it.
type scriptInput struct {
	d *descriptor.Derived
	// wshKeys are the placeholders whose signatures Sign makes (wsh).
	wshKeys []string
	// leafKeys are, per leaf index, the placeholders Sign signs that leaf
	// with (tr); keyPath says it signs the key path.
	leafKeys map[int][]string
	keyPath  bool
	// locked is an open path with a lock through the kiosk's keys, which
	// its signature serves too (nil if none).
	locked *spendPath
}

// spendPath is one way to spend an input: a leaf (or the wsh script, leaf
// 0, or the key path) and what it needs.
type spendPath struct {
	leaf int
	p    miniscript.Path
}

// AnalyzeScriptWallet is Analyze for a wallet with spending paths: a
// wsh(miniscript) or tr(KEY,TREE) wallet registered as a BIP-388 policy.
// pol.Cosigner names this kiosk's seed; every key of the policy with that
// master fingerprint is the kiosk's, in whatever positions it holds.
//
// An input is the wallet's when a BIP-32 derivation of one of the kiosk's
// keys locates it and the whole policy re-derived there reproduces the
// script it spends; its witness script, tap leaves, internal key and merkle
// root, when the PSBT gives them, must be exactly the wallet's. The input's
// spending path is the one the kiosk's signature serves given the
// transaction's nLockTime and the input's nSequence: a path with no lock if
// one is open, else a recovery path. When every path through the kiosk's
// keys waits for a lock the transaction does not meet, the input is
// refused (CodeRecoveryLocked). Summary.Path and Summary.Recovery say which
// path the transaction takes.
func AnalyzeScriptWallet(p *btcpsbt.Packet, w *descriptor.ScriptWallet, pol Policy) (*Summary, error) {
	if p == nil || p.UnsignedTx == nil {
		return nil, errors.New("no PSBT to analyze")
	}
	if w == nil || len(w.Keys) == 0 {
		return nil, errors.New("no wallet to analyze the PSBT against")
	}
	if pol.Cosigner == ([4]byte{}) {
		return nil, errors.New("set Policy.Cosigner to the master fingerprint of this kiosk's seed, so that its keys in the wallet are known")
	}
	sw, err := newScriptWallet(w, func(k descriptor.Key) bool { return k.Origin.Fingerprint == pol.Cosigner })
	if err != nil {
		return nil, err
	}
	if len(sw.ours) == 0 {
		return nil, fmt.Errorf("the wallet has no key of master fingerprint %x: this kiosk's seed is not one of its signers", pol.Cosigner)
	}
	var origin descriptor.KeyOrigin
	for i := range sw.ours {
		origin = w.Keys[i].Origin
	}
	tx := p.UnsignedTx
	if len(p.Inputs) != len(tx.TxIn) || len(p.Outputs) != len(tx.TxOut) {
		return nil, fmt.Errorf("the PSBT has %d input and %d output maps for a transaction of %d inputs and %d outputs", len(p.Inputs), len(p.Outputs), len(tx.TxIn), len(tx.TxOut))
	}
	if pol.MaxIndex == 0 {
		pol.MaxIndex = DefaultMaxIndex
	}
	a := &analysis{p: p, net: w.Network, sw: sw, pol: pol, origin: origin, fp: fingerprintUint32(pol.Cosigner),
		s: &Summary{Network: w.Network, TxID: tx.TxHash(), Version: tx.Version, LockTime: tx.LockTime}}
	a.timing()
	a.inputs()
	a.outputs()
	a.fee()
	a.summarizePaths()
	return a.s, nil
}

// newScriptWallet prepares w's analysis: the keys ours selects, and which
// branch each key's steps derive.
func newScriptWallet(w *descriptor.ScriptWallet, ours func(descriptor.Key) bool) (*scriptWallet, error) {
	sw := &scriptWallet{w: w, ours: map[int]bool{}, steps: map[[2]uint32]uint32{}, cache: map[[2]uint32]*descriptor.Derived{}}
	for i, k := range w.Keys {
		if ours(k) {
			sw.ours[i] = true
		}
	}
	for branch := range uint32(2) {
		d, err := sw.derive(branch, 0)
		if err != nil {
			return nil, err
		}
		for _, k := range d.Keys {
			sw.steps[[2]uint32{uint32(k.Index), k.Path[len(k.Path)-2]}] = branch
		}
	}
	return sw, nil
}

func (sw *scriptWallet) derive(branch, index uint32) (*descriptor.Derived, error) {
	at := [2]uint32{branch, index}
	if d, ok := sw.cache[at]; ok {
		return d, nil
	}
	d, err := sw.w.Derive(branch, index)
	if err != nil {
		return nil, err
	}
	if len(sw.cache) < 2*DefaultMaxIndex {
		sw.cache[at] = d
	}
	return d, nil
}

// scriptClaimedPath is claimedPath for a script wallet: a derivation of one
// of the kiosk's keys, at its origin, then one of its steps, then an index.
func (a *analysis) scriptClaimedPath(in, out int, ds []*btcpsbt.Bip32Derivation, tds []*btcpsbt.TaprootBip32Derivation) (branch, index uint32, claimed bool) {
	finding := pathFinding(in, out)
	for _, c := range collectClaims(ds, tds, true) {
		if c.fp != a.fp {
			continue // another signer's key
		}
		a.s.NamesKey = true
		b, idx, ok := a.sw.locate(c.path)
		switch {
		case !ok:
			a.refuse(finding("claims path %s, which is none of this kiosk's keys in the wallet followed by one of their receive or change steps", descriptor.FormatPath(c.path)))
			return 0, 0, false
		case idx >= descriptor.Hardened:
			a.refuse(finding("claims path %s, whose address index is hardened; this wallet's addresses are not", descriptor.FormatPath(c.path)))
			return 0, 0, false
		case idx > a.pol.MaxIndex:
			a.refuse(finding("claims address index %d, beyond the %d this kiosk accepts: no coordinator watches that far", idx, a.pol.MaxIndex))
			return 0, 0, false
		case claimed && (b != branch || idx != index):
			a.refuse(finding("claims two different paths of this wallet"))
			return 0, 0, false
		}
		branch, index, claimed = b, idx, true
	}
	return branch, index, claimed
}

// locate finds the branch and index of a full path of one of the kiosk's
// keys.
func (sw *scriptWallet) locate(path []uint32) (branch, index uint32, ok bool) {
	for i := range sw.ours {
		o := sw.w.Keys[i].Origin.Path
		if len(path) != len(o)+2 || !equalPath(path[:len(o)], o) {
			continue
		}
		if b, ok := sw.steps[[2]uint32{uint32(i), path[len(o)]}]; ok {
			return b, path[len(o)+1], true
		}
	}
	return 0, 0, false
}

// ourScriptInput proves input i of the wallet at branch/index, and finds
// the path the kiosk's signature serves.
func (a *analysis) ourScriptInput(i int, pin *btcpsbt.PInput, in *Input, branch, index uint32) {
	d, err := a.sw.derive(branch, index)
	if err != nil {
		a.refuse(inputFinding(CodeInputNotOurs, i, "claims this wallet's key at branch %d, index %d, which cannot be derived: %v", branch, index, err))
		return
	}
	if !bytes.Equal(d.PkScript, in.pkScript) {
		a.refuse(inputFinding(CodeInputNotOurs, i, "claims this wallet's key at branch %d, index %d, but the script it spends is not the wallet's there", branch, index))
		return
	}
	if msg := checkScriptFields(pin.WitnessScript, pin.TaprootLeafScript, pin.TaprootInternalKey, pin.TaprootMerkleRoot, d); msg != "" {
		a.refuse(inputFinding(CodeWitnessScriptMismatch, i, "%s", msg))
		return
	}
	sp := miniscript.Spend{TxVersion: a.p.UnsignedTx.Version, LockTime: a.p.UnsignedTx.LockTime, Sequence: in.Sequence}
	chosen, plan, f := a.sw.plan(d, sp)
	if f != "" {
		in.OtherPath, in.Branch, in.AddrIndex = true, branch, index
		a.refuse(inputFinding(CodeRecoveryLocked, i, "%s", f))
		return
	}
	in.Ours, in.Branch, in.AddrIndex = true, branch, index
	in.witness = d.WitnessScript
	in.script = plan
	in.Path, in.Recovery = a.sw.describe(chosen), chosen.p.Older != 0 || chosen.p.After != 0
	if !in.Recovery && plan.locked != nil {
		// The signature also serves a timelocked path the transaction
		// opens (a decaying wallet's k-1 of n): the spend may be a
		// recovery spend, so it is named and judged as one.
		in.Path += "; " + a.sw.describe(*plan.locked)
		in.Recovery = true
	}
}

// checkScriptFields compares the scripts a PSBT gives for an input or
// output with the wallet's; it returns what differs, or "".
func checkScriptFields(ws []byte, leaves []*btcpsbt.TaprootTapLeafScript, internal, root []byte, d *descriptor.Derived) string {
	if ws != nil && !bytes.Equal(ws, d.WitnessScript) {
		return "its witness script is not the wallet's at that path: other signers and the finalizer would use a script this wallet never registered"
	}
	if d.OutputKey == nil {
		if len(leaves) > 0 || internal != nil || root != nil {
			return "carries taproot fields, but the wallet is wsh"
		}
		return ""
	}
	if internal != nil && !bytes.Equal(internal, schnorr.SerializePubKey(d.InternalKey)) {
		return "its taproot internal key is not the wallet's at that path"
	}
	if root != nil && !bytes.Equal(root, d.MerkleRoot[:]) {
		return "its taproot merkle root is not the wallet's script tree at that path"
	}
	for _, l := range leaves {
		if !hasLeaf(d, l.Script, l.ControlBlock) {
			return fmt.Sprintf("its tap leaf script %s is not one of the wallet's leaves at that path", truncateHex(l.Script))
		}
	}
	return ""
}

func hasLeaf(d *descriptor.Derived, script, cb []byte) bool {
	for _, l := range d.Leaves {
		if bytes.Equal(l.Script, script) && bytes.Equal(l.ControlBlock, cb) {
			return true
		}
	}
	return false
}

func truncateHex(b []byte) string {
	if len(b) > 16 {
		return hex.EncodeToString(b[:16]) + "..."
	}
	return hex.EncodeToString(b)
}

// paths lists every way to spend at d: the wsh script's paths, or each
// leaf's, and the key path when the internal key is a wallet key.
func (sw *scriptWallet) paths(d *descriptor.Derived) ([]spendPath, error) {
	var out []spendPath
	if ik := sw.w.InternalKey(); ik != "" {
		out = append(out, spendPath{leaf: keyPathLeaf, p: miniscript.Path{Signers: []miniscript.Signers{{K: 1, Keys: []string{ik}}}}})
	}
	for leaf, n := range sw.w.Scripts() {
		ps, err := n.Paths()
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			out = append(out, spendPath{leaf: leaf, p: p})
		}
	}
	return out, nil
}

// ourKeysIn lists the kiosk's placeholders among a path's signers.
func (sw *scriptWallet) ourKeysIn(d *descriptor.Derived, p miniscript.Path) []string {
	var out []string
	for _, g := range p.Signers {
		for _, name := range g.Keys {
			if k, ok := d.Keys[name]; ok && sw.ours[k.Index] {
				out = append(out, name)
			}
		}
	}
	return out
}

// plan chooses the path the kiosk's signature serves and what to sign:
// among the paths through the kiosk's keys that the transaction's locks
// open, one without locks if there is one; the kiosk signs every open path
// through its keys (in wsh one signature serves them all). When no path
// through its keys is open, f says which locks are missing.
func (sw *scriptWallet) plan(d *descriptor.Derived, sp miniscript.Spend) (chosen spendPath, plan *scriptInput, f string) {
	all, err := sw.paths(d)
	if err != nil {
		return spendPath{}, nil, err.Error()
	}
	plan = &scriptInput{d: d, leafKeys: map[int][]string{}}
	found, waiting := false, []string{}
	seen := map[string]bool{}
	for _, c := range all {
		keys := sw.ourKeysIn(d, c.p)
		if len(keys) == 0 {
			continue
		}
		if !c.p.Open(sp) {
			waiting = append(waiting, sw.describe(c))
			continue
		}
		if !found || (chosen.p.Older != 0 || chosen.p.After != 0) && c.p.Older == 0 && c.p.After == 0 {
			chosen, found = c, true
		}
		if plan.locked == nil && (c.p.Older != 0 || c.p.After != 0) {
			plan.locked = &c
		}
		for _, k := range keys {
			switch {
			case c.leaf == keyPathLeaf:
				plan.keyPath = true
			case d.OutputKey == nil:
				if !seen[k] {
					plan.wshKeys = append(plan.wshKeys, k)
				}
			case !seen[fmt.Sprint(c.leaf, k)]:
				plan.leafKeys[c.leaf] = append(plan.leafKeys[c.leaf], k)
			}
			seen[k], seen[fmt.Sprint(c.leaf, k)] = true, true
		}
	}
	if !found {
		return spendPath{}, nil, fmt.Sprintf("no spending path through this kiosk's key is open yet: %s; the transaction has lock time %d and input sequence %#x (version %d), so the lock has not matured: ask again after it, with nSequence/nLockTime set to meet it", strings.Join(waiting, "; "), sp.LockTime, sp.Sequence, sp.TxVersion)
	}
	return chosen, plan, ""
}

// describe says a path in plain words, naming keys by their master
// fingerprints: "primary: 2 of 73c5da0a, 4ba43603, 8dfc9b34" or
// "RECOVERY: 8dfc9b34, 52560 blocks (about 365 days) after the coin
// confirms".
func (sw *scriptWallet) describe(c spendPath) string {
	p := c.p
	named := miniscript.Path{Older: p.Older, After: p.After, Hashes: p.Hashes}
	for _, g := range p.Signers {
		ng := miniscript.Signers{K: g.K}
		for _, name := range g.Keys {
			ng.Keys = append(ng.Keys, sw.keyName(name))
		}
		named.Signers = append(named.Signers, ng)
	}
	kind := "primary: "
	if p.Older != 0 || p.After != 0 {
		kind = "RECOVERY: "
	}
	return kind + named.String()
}

// keyName names a placeholder's key by its master fingerprint.
func (sw *scriptWallet) keyName(placeholder string) string {
	var i int
	if _, err := fmt.Sscanf(placeholder, "@%d/", &i); err != nil || i < 0 || i >= len(sw.w.Keys) {
		return placeholder
	}
	return hex.EncodeToString(sw.w.Keys[i].Origin.Fingerprint[:])
}

// ourScriptChange proves output o change of the wallet at branch/index.
func (a *analysis) ourScriptChange(o int, pout *btcpsbt.POutput, script []byte, addr string, branch, index uint32) bool {
	d, err := a.sw.derive(branch, index)
	if err != nil {
		a.refuse(outputFinding(CodeChangeMismatch, o, "claims to be change at branch %d, index %d, which cannot be derived: %v", branch, index, err))
		return false
	}
	if !bytes.Equal(d.PkScript, script) {
		a.refuse(outputFinding(CodeChangeMismatch, o, "claims to be change at branch %d, index %d but pays %s, which is not the wallet's script there", branch, index, orHex(addr, script)))
		return false
	}
	var leaves []*btcpsbt.TaprootTapLeafScript
	if msg := checkScriptFields(pout.WitnessScript, leaves, pout.TaprootInternalKey, nil, d); msg != "" {
		a.refuse(outputFinding(CodeWitnessScriptMismatch, o, "%s", msg))
		return false
	}
	return true
}

// summarizePaths sets the Summary's path from its inputs'.
func (a *analysis) summarizePaths() {
	var paths []string
	for _, in := range a.s.Inputs {
		if in.Path == "" {
			continue
		}
		a.s.Recovery = a.s.Recovery || in.Recovery
		if !contains(paths, in.Path) {
			paths = append(paths, in.Path)
		}
	}
	a.s.Path = strings.Join(paths, "; ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// SignScriptWallet is Sign for a wallet with spending paths (see
// AnalyzeScriptWallet). It signs, with every key of the kiosk's that an
// open path uses: in wsh an ECDSA partial signature over the witness
// script; in a taproot leaf a BIP-342 script-path signature committing to
// the leaf's hash; on the key path, when the internal key is the kiosk's,
// a key-path signature tweaked with the tree's merkle root. It sets the
// input's witness script, or internal key, merkle root and tap leaves, from
// the wallet.
func SignScriptWallet(p *btcpsbt.Packet, w *descriptor.ScriptWallet, pol Policy, keys KeyRing) (*Summary, error) {
	s, err := AnalyzeScriptWallet(p, w, pol)
	if err != nil {
		return nil, err
	}
	fetcher, hashes, err := signingSetup(p, s)
	if err != nil {
		return s, err
	}
	for _, in := range s.Inputs {
		if !in.Ours || in.script == nil {
			continue
		}
		if err := signScriptInput(p, hashes, fetcher, in, keys); err != nil {
			return s, fmt.Errorf("input %d: %w", in.Index, err)
		}
	}
	return s, nil
}

func signScriptInput(p *btcpsbt.Packet, hashes *txscript.TxSigHashes, fetcher txscript.PrevOutputFetcher, in Input, keys KeyRing) error {
	tx, pin, plan := p.UnsignedTx, &p.Inputs[in.Index], in.script
	d := plan.d
	if d.OutputKey == nil {
		pin.WitnessScript = d.WitnessScript
		hash, err := txscript.CalcWitnessSigHash(d.WitnessScript, hashes, txscript.SigHashAll, tx, in.Index, int64(in.Amount))
		if err != nil {
			return err
		}
		for _, name := range plan.wshKeys {
			dk := d.Keys[name]
			key, err := keys.DerivePrivate(dk.Path)
			if err != nil {
				return err
			}
			sig := ecdsa.Sign(key, hash)
			key.Zero()
			if !sig.Verify(hash, dk.Pub) {
				return fmt.Errorf("the signature for key %s does not verify with the wallet's key: the activated seed is not this wallet's", descriptor.FormatPath(dk.Path))
			}
			addPartialSig(pin, &btcpsbt.PartialSig{PubKey: dk.Pub.SerializeCompressed(), Signature: append(sig.Serialize(), byte(txscript.SigHashAll))})
		}
		return nil
	}
	pin.TaprootInternalKey = schnorr.SerializePubKey(d.InternalKey)
	pin.TaprootMerkleRoot = append([]byte(nil), d.MerkleRoot[:]...)
	if plan.keyPath {
		hash, err := txscript.CalcTaprootSignatureHash(hashes, in.sighash, tx, in.Index, fetcher)
		if err != nil {
			return err
		}
		dk := d.Keys[plan.internalName()]
		key, err := keys.DerivePrivate(dk.Path)
		if err != nil {
			return err
		}
		sig, err := signTaproot(key, dk.Pub, d.MerkleRoot[:], hash, [32]byte{})
		key.Zero()
		if err != nil {
			return err
		}
		if !sig.Verify(hash, d.OutputKey) {
			return errors.New("the key-path signature does not verify with the output key: the activated seed is not this wallet's")
		}
		pin.TaprootKeySpendSig = withSighashByte(sig.Serialize(), in.sighash)
	}
	for leaf, names := range plan.leafKeys {
		l := d.Leaves[leaf]
		if !hasLeafScript(pin, l.Script) {
			pin.TaprootLeafScript = append(pin.TaprootLeafScript, &btcpsbt.TaprootTapLeafScript{ControlBlock: l.ControlBlock, Script: l.Script, LeafVersion: txscript.BaseLeafVersion})
		}
		hash, err := txscript.CalcTapscriptSignaturehash(hashes, in.sighash, tx, in.Index, fetcher, txscript.NewBaseTapLeaf(l.Script))
		if err != nil {
			return err
		}
		for _, name := range names {
			dk := d.Keys[name]
			key, err := keys.DerivePrivate(dk.Path)
			if err != nil {
				return err
			}
			sig, err := schnorr.Sign(key, hash, schnorr.CustomNonce([32]byte{}))
			key.Zero()
			if err != nil {
				return err
			}
			if !sig.Verify(hash, dk.Pub) {
				return fmt.Errorf("the signature for key %s does not verify with the wallet's key: the activated seed is not this wallet's", descriptor.FormatPath(dk.Path))
			}
			addScriptSpendSig(pin, &btcpsbt.TaprootScriptSpendSig{XOnlyPubKey: schnorr.SerializePubKey(dk.Pub), LeafHash: append([]byte(nil), l.Hash[:]...), Signature: sig.Serialize(), SigHash: in.sighash})
		}
	}
	return nil
}

// internalName is the internal key's placeholder: the one key of the key
// path (paths puts it there).
func (s *scriptInput) internalName() string {
	for name, k := range s.d.Keys {
		if s.d.InternalKey != nil && k.Pub.IsEqual(s.d.InternalKey) {
			return name
		}
	}
	return ""
}

func withSighashByte(sig []byte, sh txscript.SigHashType) []byte {
	if sh != txscript.SigHashDefault {
		// BIP341: a type other than DEFAULT is named by a 65th byte.
		sig = append(sig, byte(sh))
	}
	return sig
}

func hasLeafScript(pin *btcpsbt.PInput, script []byte) bool {
	for _, l := range pin.TaprootLeafScript {
		if bytes.Equal(l.Script, script) {
			return true
		}
	}
	return false
}

// addScriptSpendSig adds sig, replacing one for the same key and leaf.
func addScriptSpendSig(pin *btcpsbt.PInput, sig *btcpsbt.TaprootScriptSpendSig) {
	for i, old := range pin.TaprootScriptSpendSig {
		if bytes.Equal(old.XOnlyPubKey, sig.XOnlyPubKey) && bytes.Equal(old.LeafHash, sig.LeafHash) {
			pin.TaprootScriptSpendSig[i] = sig
			return
		}
	}
	pin.TaprootScriptSpendSig = append(pin.TaprootScriptSpendSig, sig)
}

// FinalizeScriptWallet is Finalize for a wallet with spending paths: each
// input of w (located by any of its keys' BIP-32 derivations and
// re-derived) gets the witness miniscript's satisfier builds from the
// signatures the PSBT holds, for the path the transaction's locks open (in
// taproot, the leaf or key path with the smallest witness). Then Finalize
// finishes the other inputs and runs every input through the script engine.
func FinalizeScriptWallet(p *btcpsbt.Packet, w *descriptor.ScriptWallet) (*wire.MsgTx, error) {
	if p == nil || p.UnsignedTx == nil || len(p.Inputs) != len(p.UnsignedTx.TxIn) {
		return nil, errors.New("cannot finalize: no PSBT, or one whose input maps do not match its transaction")
	}
	sw, err := newScriptWallet(w, func(descriptor.Key) bool { return true })
	if err != nil {
		return nil, err
	}
	for i := range p.Inputs {
		pin := &p.Inputs[i]
		if pin.FinalScriptSig != nil || pin.FinalScriptWitness != nil {
			continue
		}
		d, ok := sw.inputAt(pin)
		if !ok {
			continue // not this wallet's: Finalize's business
		}
		out, err := spentOutput(p, i)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(out.PkScript, d.PkScript) {
			return nil, fmt.Errorf("input %d: its derivations name the wallet, but the script it spends is not the wallet's there", i)
		}
		sp := miniscript.Spend{TxVersion: p.UnsignedTx.Version, LockTime: p.UnsignedTx.LockTime, Sequence: p.UnsignedTx.TxIn[i].Sequence}
		witness, err := sw.satisfy(pin, d, sp)
		if err != nil {
			return nil, fmt.Errorf("input %d: %w", i, err)
		}
		var buf bytes.Buffer
		if err := btcpsbt.WriteTxWitness(&buf, witness); err != nil {
			return nil, err
		}
		if pin.WitnessUtxo == nil {
			pin.WitnessUtxo = wire.NewTxOut(out.Value, out.PkScript)
		}
		*pin = btcpsbt.PInput{
			NonWitnessUtxo:     pin.NonWitnessUtxo,
			WitnessUtxo:        pin.WitnessUtxo,
			FinalScriptWitness: buf.Bytes(),
			Unknowns:           pin.Unknowns,
		}
	}
	return Finalize(p)
}

// inputAt re-derives the wallet at the first derivation of an input that
// names one of its keys.
func (sw *scriptWallet) inputAt(pin *btcpsbt.PInput) (*descriptor.Derived, bool) {
	for _, c := range collectClaims(pin.Bip32Derivation, pin.TaprootBip32Derivation, true) {
		for i, k := range sw.w.Keys {
			o := k.Origin.Path
			if fingerprintUint32(k.Origin.Fingerprint) != c.fp || len(c.path) != len(o)+2 || !equalPath(c.path[:len(o)], o) {
				continue
			}
			b, ok := sw.steps[[2]uint32{uint32(i), c.path[len(o)]}]
			if !ok || c.path[len(o)+1] >= descriptor.Hardened {
				continue
			}
			d, err := sw.derive(b, c.path[len(o)+1])
			if err == nil {
				return d, true
			}
		}
	}
	return nil, false
}

// satisfy builds an input's witness from its signatures.
func (sw *scriptWallet) satisfy(pin *btcpsbt.PInput, d *descriptor.Derived, sp miniscript.Spend) (wire.TxWitness, error) {
	if d.OutputKey == nil {
		sigs := map[string][]byte{}
		for _, ps := range pin.PartialSigs {
			sigs[string(ps.PubKey)] = ps.Signature
		}
		sp.Signature = func(name string) ([]byte, bool) {
			k, ok := d.Keys[name]
			if !ok {
				return nil, false
			}
			sig, ok := sigs[string(k.Pub.SerializeCompressed())]
			return sig, ok
		}
		sat, err := sw.w.Scripts()[0].Satisfy(d.KeyFunc(miniscript.Wsh), sp)
		if err != nil {
			return nil, err
		}
		return append(sat.Witness, d.WitnessScript), nil
	}
	if len(pin.TaprootKeySpendSig) > 0 {
		return wire.TxWitness{pin.TaprootKeySpendSig}, nil
	}
	var best wire.TxWitness
	var firstErr error
	for leaf, n := range sw.w.Scripts() {
		l := d.Leaves[leaf]
		sp.Signature = func(name string) ([]byte, bool) {
			k, ok := d.Keys[name]
			if !ok {
				return nil, false
			}
			x := schnorr.SerializePubKey(k.Pub)
			for _, s := range pin.TaprootScriptSpendSig {
				if bytes.Equal(s.XOnlyPubKey, x) && bytes.Equal(s.LeafHash, l.Hash[:]) {
					return withSighashByte(s.Signature, s.SigHash), true
				}
			}
			return nil, false
		}
		sat, err := n.Satisfy(d.KeyFunc(miniscript.Tapscript), sp)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("leaf %d: %w", leaf, err)
			}
			continue
		}
		w := wire.TxWitness(append(sat.Witness, l.Script, l.ControlBlock))
		if best == nil || w.SerializeSize() < best.SerializeSize() {
			best = w
		}
	}
	if best == nil {
		return nil, firstErr
	}
	return best, nil
}
