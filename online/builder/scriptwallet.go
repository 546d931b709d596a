package builder

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/psbt/descriptor"
	"airsign/psbt/miniscript"
)

// deriveScript is derive for a wallet with spending paths: the witness
// script and a BIP-32 derivation of every key (wsh), or the internal key,
// merkle root, every leaf with its control block, and a BIP-371 derivation
// of every key naming the leaves it appears in (taproot). Every key's
// derivation is given, not only the path's, so that each kiosk finds its
// own keys whichever path it signs for.
func deriveScript(w *descriptor.ScriptWallet, branch, index uint32) (*derived, error) {
	d, err := w.Derive(branch, index)
	if err != nil {
		return nil, err
	}
	r := &derived{pkScript: d.PkScript, witness: d.WitnessScript}
	names := make([]string, 0, len(d.Keys))
	for name := range d.Keys {
		names = append(names, name)
	}
	slices.Sort(names)
	if d.OutputKey == nil {
		for _, name := range names {
			k := d.Keys[name]
			r.ders = append(r.ders, &btcpsbt.Bip32Derivation{PubKey: k.Pub.SerializeCompressed(),
				MasterKeyFingerprint: keyFingerprint(w, k.Index), Bip32Path: k.Path})
		}
		slices.SortFunc(r.ders, func(a, b *btcpsbt.Bip32Derivation) int { return bytes.Compare(a.PubKey, b.PubKey) })
		return r, nil
	}
	r.tapKey = schnorr.SerializePubKey(d.InternalKey)
	r.tapRoot = bytes.Clone(d.MerkleRoot[:])
	for _, l := range d.Leaves {
		r.tapLeaves = append(r.tapLeaves, &btcpsbt.TaprootTapLeafScript{
			ControlBlock: l.ControlBlock, Script: l.Script, LeafVersion: txscript.BaseLeafVersion})
		// BIP-371's tap tree: depth, leaf version, script, leaves in
		// tree order; a leaf's depth is its control block's proof length.
		depth := (len(l.ControlBlock) - 33) / 32
		r.tapTree = append(r.tapTree, byte(depth), byte(txscript.BaseLeafVersion))
		var b bytes.Buffer
		if err := wire.WriteVarBytes(&b, 0, l.Script); err != nil {
			return nil, err
		}
		r.tapTree = append(r.tapTree, b.Bytes()...)
	}
	for _, name := range names {
		k := d.Keys[name]
		x := schnorr.SerializePubKey(k.Pub)
		var hashes [][]byte
		for _, l := range d.Leaves {
			if slices.Contains(l.Node.Keys(), name) {
				hashes = append(hashes, bytes.Clone(l.Hash[:]))
			}
		}
		r.tapDers = append(r.tapDers, &btcpsbt.TaprootBip32Derivation{XOnlyPubKey: x, LeafHashes: hashes,
			MasterKeyFingerprint: keyFingerprint(w, k.Index), Bip32Path: k.Path})
	}
	slices.SortFunc(r.tapDers, func(a, b *btcpsbt.TaprootBip32Derivation) int { return bytes.Compare(a.XOnlyPubKey, b.XOnlyPubKey) })
	return r, nil
}

// keyFingerprint is key i's master fingerprint as btcd stores it.
func keyFingerprint(w *descriptor.ScriptWallet, i int) uint32 {
	return binary.LittleEndian.Uint32(w.Keys[i].Origin.Fingerprint[:])
}

// ScriptInputWeight is the weight one input of a wallet with spending
// paths adds to a signed transaction, at the costliest satisfaction of
// any path (miniscript's maximum witness size), so that a fee estimated
// from it is never short whichever path signs.
func ScriptInputWeight(w *descriptor.ScriptWallet) (int, error) {
	if w == nil {
		return 0, fmt.Errorf("%w: no wallet", ErrRequest)
	}
	d, err := w.Derive(0, 0)
	if err != nil {
		return 0, err
	}
	witness := 0
	if d.OutputKey == nil {
		n := w.Scripts()[0]
		witness = satisfactionWeight(n) + wire.VarIntSerializeSize(uint64(len(d.WitnessScript))) + len(d.WitnessScript)
	} else {
		for i, n := range w.Scripts() {
			l := d.Leaves[i]
			leaf := satisfactionWeight(n) + wire.VarIntSerializeSize(uint64(len(l.Script))) + len(l.Script) +
				wire.VarIntSerializeSize(uint64(len(l.ControlBlock))) + len(l.ControlBlock)
			witness = max(witness, leaf)
		}
	}
	return 4*(32+4+1+4) + witness, nil
}

// satisfactionWeight is the largest witness a satisfaction of n takes,
// with the count of items (its elements and the script, and in taproot the
// control block, at most two more).
func satisfactionWeight(n *miniscript.Node) int {
	size, _ := n.MaxWitnessSize()
	items, _ := n.StackSize()
	return wire.VarIntSerializeSize(uint64(items+2)) + size
}

// ScriptWeight is Weight for a wallet with spending paths: n inputs, the
// payments and, with change, a change output (34 bytes of script, P2WSH
// or P2TR).
func ScriptWeight(w *descriptor.ScriptWallet, n int, payments [][]byte, change bool) (int, error) {
	in, err := ScriptInputWeight(w)
	if err != nil {
		return 0, err
	}
	weight := baseWeight(nil, n, payments, change) + n*in
	if change {
		weight += ChangeWeight(nil)
	}
	return weight, nil
}
