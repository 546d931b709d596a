package psbt

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"

	"airsign/psbt/descriptor"
)

// derived is what the wallet holds at one branch and index: the proof an
// input or change output is checked against.
type derived struct {
	path     []uint32         // full derivation path of our key
	pub      *btcec.PublicKey // our key
	output   *btcec.PublicKey // P2TR only: the BIP86 output key the script pays to
	pkScript []byte
	redeem   []byte             // P2SH-wrapped types only
	witness  []byte             // multisig only
	keys     []*btcec.PublicKey // multisig only: every cosigner's key, in the order of Keys
}

// deriveAt derives the wallet's scripts at branch and index. For a
// multisig they are the whole multisig's, all cosigners at the same branch
// and index: our key matching is not enough, the others and the threshold
// must be the registered wallet's too.
func (a *analysis) deriveAt(branch, index uint32) (*derived, error) {
	d, err := deriverFor(a.w, &a.derivers, branch)
	if err != nil {
		return nil, err
	}
	if a.w.Script == descriptor.P2TR {
		pub, output, script, err := d.TaprootKeyScript(index)
		if err != nil {
			return nil, err
		}
		return &derived{path: a.w.Path(branch, index), pub: pub, output: output, pkScript: script}, nil
	}
	if !a.w.Script.Multisig() {
		pub, script, err := d.KeyScript(index)
		if err != nil {
			return nil, err
		}
		r := &derived{path: a.w.Path(branch, index), pub: pub, pkScript: script}
		if a.w.Script == descriptor.P2SHP2WPKH {
			if r.redeem, err = p2wpkhRedeem(pub); err != nil {
				return nil, err
			}
		}
		return r, nil
	}
	r := &derived{path: a.w.Keys[a.us].Path(branch, index)}
	if r.keys, r.witness, r.redeem, r.pkScript, err = d.MultisigScripts(index); err != nil {
		return nil, err
	}
	r.pub = r.keys[a.us]
	return r, nil
}

// scriptName names the wallet's script at a path in refusals.
func (a *analysis) scriptName() string {
	if a.w.Script.Multisig() {
		return fmt.Sprintf("this wallet's %d-of-%d multisig there", a.w.Threshold, len(a.w.Keys))
	}
	return "that key's"
}

// ourInput proves input i, which claims our key at branch/index, to be
// the wallet's, or refuses it.
func (a *analysis) ourInput(i int, pin *btcpsbt.PInput, in *Input, branch, index uint32) {
	if a.sw != nil {
		a.ourScriptInput(i, pin, in, branch, index)
		return
	}
	d, err := a.deriveAt(branch, index)
	if err != nil {
		a.refuse(inputFinding(CodeInputNotOurs, i, "claims this wallet's key at branch %d, index %d, which cannot be derived: %v", branch, index, err))
		return
	}
	where := descriptor.FormatPath(d.path)
	if !bytes.Equal(d.pkScript, in.pkScript) {
		a.refuse(inputFinding(CodeInputNotOurs, i, "claims this wallet's key at %s, but the script it spends is not %s", where, a.scriptName()))
		return
	}
	if f, bad := a.checkScripts(pin.RedeemScript, pin.WitnessScript, d, func(code Code, format string, args ...any) Finding {
		return inputFinding(code, i, format, args...)
	}); bad {
		a.refuse(f)
		return
	}
	in.Ours, in.Branch, in.AddrIndex = true, branch, index
	in.pub, in.output, in.path, in.redeemScript, in.witness = d.pub, d.output, d.path, d.redeem, d.witness
}

// ourChange reports whether output o, which claims our key at
// branch/index, is proven change, and refuses it otherwise.
func (a *analysis) ourChange(o int, pout *btcpsbt.POutput, script []byte, addr string, branch, index uint32) bool {
	if a.sw != nil {
		return a.ourScriptChange(o, pout, script, addr, branch, index)
	}
	finding := func(code Code, format string, args ...any) Finding {
		return outputFinding(code, o, format, args...)
	}
	d, err := a.deriveAt(branch, index)
	if err != nil {
		a.refuse(finding(CodeChangeMismatch, "claims to be change at branch %d, index %d, which cannot be derived: %v", branch, index, err))
		return false
	}
	where := descriptor.FormatPath(d.path)
	if d.witness != nil && pout.WitnessScript != nil && !bytes.Equal(pout.WitnessScript, d.witness) {
		// Checked before the address: this is the multisig another
		// cosigner's device would show and accept as change.
		a.refuse(finding(CodeChangeMultisigMismatch, "claims to be change at %s, but its witness script is %s", where, a.describeMultisig(pout.WitnessScript, d)))
		return false
	}
	if !bytes.Equal(d.pkScript, script) {
		a.refuse(finding(CodeChangeMismatch, "claims to be change at %s but pays %s, which is not %s", where, orHex(addr, script), a.scriptName()))
		return false
	}
	if f, bad := a.checkScripts(pout.RedeemScript, pout.WitnessScript, d, finding); bad {
		a.refuse(f)
		return false
	}
	return true
}

// checkScripts compares the redeem and witness scripts a PSBT gives for an
// input or output with the wallet's. They must be equal when present:
// other signers and the finalizer use them.
func (a *analysis) checkScripts(redeem, witness []byte, d *derived, finding func(Code, string, ...any) Finding) (Finding, bool) {
	where := descriptor.FormatPath(d.path)
	switch {
	case witness != nil && d.witness == nil:
		return finding(CodeWitnessScriptMismatch, "carries a witness script, but this wallet's %v scripts have none", a.w.Script), true
	case witness != nil && !bytes.Equal(witness, d.witness):
		return finding(CodeWitnessScriptMismatch, "its witness script is not this wallet's at %s: it is %s", where, a.describeMultisig(witness, d)), true
	case redeem != nil && d.redeem == nil:
		return finding(CodeRedeemScriptMismatch, "carries a redeem script, but this wallet's %v scripts have none", a.w.Script), true
	case redeem != nil && !bytes.Equal(redeem, d.redeem):
		return finding(CodeRedeemScriptMismatch, "its redeem script %x is not this wallet's %x at %s", redeem, d.redeem, where), true
	}
	return Finding{}, false
}

// describeMultisig says how script differs from the wallet's multisig d,
// for people: threshold, number of keys, keys that are not the cosigners'.
func (a *analysis) describeMultisig(script []byte, d *derived) string {
	k, keys, ok := parseMultisig(script)
	if !ok {
		return "not a multisig script"
	}
	desc := fmt.Sprintf("a %d-of-%d multisig", k, len(keys))
	if d.witness == nil {
		return desc
	}
	ours := map[string]bool{}
	for _, pub := range d.keys {
		ours[string(pub.SerializeCompressed())] = true
	}
	foreign := 0
	for _, key := range keys {
		if !ours[string(key)] {
			foreign++
		}
	}
	var diffs []string
	if k != a.w.Threshold || len(keys) != len(a.w.Keys) {
		diffs = append(diffs, fmt.Sprintf("this wallet is %d-of-%d", a.w.Threshold, len(a.w.Keys)))
	}
	switch {
	case foreign == 1:
		diffs = append(diffs, fmt.Sprintf("1 of its %d keys is not a key of this wallet's cosigners at that path", len(keys)))
	case foreign > 1:
		diffs = append(diffs, fmt.Sprintf("%d of its %d keys are not keys of this wallet's cosigners at that path", foreign, len(keys)))
	}
	if !bytes.Contains(script, d.pub.SerializeCompressed()) {
		diffs = append(diffs, "this kiosk's key is not in it")
	}
	if len(diffs) == 0 {
		diffs = append(diffs, "its keys are not in sortedmulti order")
	}
	return desc + ": " + strings.Join(diffs, ", ")
}

// parseMultisig reads a bare CHECKMULTISIG script: the threshold and the
// keys in script order.
func parseMultisig(script []byte) (k int, keys [][]byte, ok bool) {
	if txscript.GetScriptClass(script) != txscript.MultiSigTy {
		return 0, nil, false
	}
	n, k, err := txscript.CalcMultiSigStats(script)
	if err != nil {
		return 0, nil, false
	}
	keys, err = txscript.PushedData(script)
	if err != nil || len(keys) != n {
		return 0, nil, false
	}
	return k, keys, true
}
