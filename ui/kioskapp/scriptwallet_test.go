package kioskapp

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"airsign/offline/hd"
	core "airsign/offline/kiosk"
	"airsign/psbt"
	"airsign/psbt/descriptor"
	"airsign/ui/qr"
)

// recoveryTemplate is 2 of three other stations, or this station's key
// alone once a coin has not moved for 52560 blocks.
const recoveryTemplate = "wsh(or_d(multi(2,@0/**,@1/**,@2/**),and_v(v:pkh(@3/**),older(52560))))"

// A wallet with spending paths is registered from a scanned BIP-388 policy:
// its paths in plain words, the recovery path on a red bar with its lock in
// blocks and an approximate date, this station's key, the policy hash. A
// withdrawal by the recovery path is refused before its lock, saying so,
// and reviewed at it under the red RECOVERY PATH banner, the verdict's
// first rule naming the path.
func TestScriptWalletThroughTheWindow(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	keys := []string{s.others[0].Cosigner, s.others[1].Cosigner, outsideCosigner(t), s.wallet.Cosigner}
	pol, err := json.Marshal(descriptor.WalletPolicy{Name: "vault", Template: recoveryTemplate, Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	tap(t, w, "Register wallet")
	scan(t, w, string(pol)) // the policy's QR code: one plain part
	r := wantScreen[core.RegisterReview](t, a).Registration
	date := descriptor.ApproxDate(52560, s.now).Format("2006-01-02")
	for _, want := range []string{
		"Register a wallet with spending paths",
		"Template recovery: 2 of ",
		"primary: 2 of key 1 (", "key 4 (" + s.wallet.Fingerprint + ") [THIS KIOSK], 52560 blocks (about 365 days)",
		"52560 blocks (about 365 days at 10 minutes a block; for a coin received now, about " + date + ")",
		"THIS KIOSK: wallet \"vault\"",
		r.Wallet.Policy.Hash,
		core.GroupAddress(r.FirstAddress),
	} {
		if !contains(w.Content(), want) {
			t.Errorf("register review lacks %q: %q", want, texts(w.Content()))
		}
	}
	if !onRed(w.Content(), "RECOVERY: key 4") {
		t.Error("the recovery path is not on a red bar")
	}
	if onRed(w.Content(), "primary: 2 of") {
		t.Error("the primary path is on a red bar")
	}
	assertMarkup(t, "register_script.xml", w.Canvas())
	tap(t, w, "Register with shares…")
	wantScreen[core.Shares](t, a)
	scan(t, w, string(s.shares[0]))
	scan(t, w, string(s.shares[1]))
	if d := wantScreen[core.Done](t, a); !d.OK || !strings.Contains(d.Message, r.Wallet.Policy.Hash) {
		t.Fatalf("done %+v, want OK naming the policy hash", d)
	}
	tap(t, w, "Done")

	// a primary-path spend (no lock set): refused as the other stations'
	// to sign, this station signing by the recovery path only
	tap(t, w, "Sign a withdrawal")
	scanPSBT(t, a, w, s.scriptSpend(t, r.Wallet.Name, 0xfffffffd))
	primary := wantScreen[core.Review](t, a)
	if reason := primary.Reason(); primary.Signable() || !strings.Contains(reason, "spends the coin by the primary path (primary: 2 of key 1 (") ||
		!strings.Contains(reason, "which this kiosk's key is not part of") || !strings.Contains(reason, "This kiosk signs only by the recovery path (RECOVERY: key 4 ("+s.wallet.Fingerprint+") [THIS KIOSK], 52560 blocks") ||
		!contains(w.Content(), reason) {
		t.Fatalf("a primary-path spend: signable %v, reason %q, screen %q", primary.Signable(), reason, texts(w.Content()))
	}
	// Its coins are this wallet's, spent by a path this kiosk does not sign.
	if !contains(w.Content(), "Inputs: 2, of which 2 this wallet's") || !contains(w.Content(), "2 of them by a path this kiosk does not sign now") {
		t.Fatalf("a primary-path spend's inputs line: screen %q", texts(w.Content()))
	}
	tap(t, w, "Cancel")

	// a recovery spend before its lock: refused, saying which lock
	tap(t, w, "Sign a withdrawal")
	scanPSBT(t, a, w, s.scriptSpend(t, r.Wallet.Name, 52559))
	early := wantScreen[core.Review](t, a)
	if reason := early.Reason(); early.Signable() || !strings.Contains(reason, "52560 blocks") || !strings.Contains(reason, "the lock has not matured") || !contains(w.Content(), reason) {
		t.Fatalf("a recovery spend before its lock: signable %v, reason %q, screen %q", early.Signable(), reason, texts(w.Content()))
	}
	tap(t, w, "Cancel")

	// at the lock: the red banner
	tap(t, w, "Sign a withdrawal")
	scanPSBT(t, a, w, s.scriptSpend(t, r.Wallet.Name, 52560))
	rv := wantScreen[core.Review](t, a)
	if !rv.Loaded.Summary.Recovery || !onRed(w.Content(), "RECOVERY PATH: RECOVERY: "+s.wallet.Fingerprint) {
		t.Fatalf("recovery review: summary path %q, screen %q", rv.Loaded.Summary.Path, texts(w.Content()))
	}
	if got := rv.Policy.Rules; len(got) == 0 || got[0].Name != "spending path" || !strings.HasPrefix(got[0].Detail, "RECOVERY path") {
		t.Errorf("verdict rules %+v, want the spending path first", got)
	}
	if !contains(w.Content(), "PASS  spending path: RECOVERY path (RECOVERY: "+s.wallet.Fingerprint) {
		t.Errorf("the review does not show the path's rule: %q", texts(w.Content()))
	}
}

// outsideCosigner is a BIP48 key of a seed no station of the test holds.
func outsideCosigner(t *testing.T) string {
	t.Helper()
	m, err := hd.MasterFromEntropy(bytes.Repeat([]byte{0x42}, 16), descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Wipe()
	o, k, err := m.CosignerKey(0)
	if err != nil {
		t.Fatal(err)
	}
	return "[" + o.String() + "]" + k.String()
}

// onRed says whether a red bar (banner) holds text.
func onRed(o fyne.CanvasObject, text string) bool {
	found := false
	walk(o, func(o fyne.CanvasObject) {
		c, ok := o.(*fyne.Container)
		if !ok || len(c.Objects) != 2 {
			return
		}
		if r, ok := c.Objects[0].(*canvas.Rectangle); ok && r.FillColor == red && contains(c, text) {
			found = true
		}
	})
	return found
}

// scanPSBT scans a PSBT's UR codes until the core leaves the scan screen.
func scanPSBT(t *testing.T, a *App, w fyne.Window, raw []byte) {
	t.Helper()
	parts, err := qr.EncodePSBT(raw, qr.EncodeOptions{Format: qr.FormatUR, MaxFragment: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		if sc, ok := a.k.Screen().(core.Scan); !ok || sc.Problem != "" {
			break
		}
		scan(t, w, p)
	}
}

// scriptSpend is a PSBT that spends two coins of the registered wallet with
// spending paths (receive 0 and 1) with nSequence seq, paying away with
// change, every key's derivation and the witness script given.
func (s *station) scriptSpend(t *testing.T, name string, seq uint32) []byte {
	t.Helper()
	wl, err := s.h.Wallet(name)
	if err != nil {
		t.Fatal(err)
	}
	sw, err := wl.ScriptWallet()
	if err != nil {
		t.Fatal(err)
	}
	derive := func(branch, index uint32) *descriptor.Derived {
		d, err := sw.Derive(branch, index)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	derivations := func(d *descriptor.Derived) []*btcpsbt.Bip32Derivation {
		var out []*btcpsbt.Bip32Derivation
		for _, k := range d.Keys {
			out = append(out, &btcpsbt.Bip32Derivation{PubKey: k.Pub.SerializeCompressed(),
				MasterKeyFingerprint: binary.LittleEndian.Uint32(sw.Keys[k.Index].Origin.Fingerprint[:]), Bip32Path: k.Path})
		}
		return out
	}
	tx := wire.NewMsgTx(2)
	var prevs []*wire.MsgTx
	for i := range uint32(2) {
		prev := wire.NewMsgTx(2)
		prev.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{byte(i + 1)}}, nil, nil))
		prev.AddTxOut(wire.NewTxOut(100_000, derive(0, i).PkScript))
		prevs = append(prevs, prev)
		in := wire.NewTxIn(&wire.OutPoint{Hash: prev.TxHash()}, nil, nil)
		in.Sequence = seq
		tx.AddTxIn(in)
	}
	change := derive(1, 0)
	tx.AddTxOut(wire.NewTxOut(150_000, append([]byte{0x00, 0x14}, bytes.Repeat([]byte{7}, 20)...)))
	tx.AddTxOut(wire.NewTxOut(49_000, change.PkScript))
	p, err := btcpsbt.NewFromUnsignedTx(tx)
	if err != nil {
		t.Fatal(err)
	}
	for i, prev := range prevs {
		d := derive(0, uint32(i))
		p.Inputs[i].NonWitnessUtxo, p.Inputs[i].WitnessUtxo = prev, prev.TxOut[0]
		p.Inputs[i].WitnessScript, p.Inputs[i].Bip32Derivation = d.WitnessScript, derivations(d)
	}
	p.Outputs[1].WitnessScript, p.Outputs[1].Bip32Derivation = change.WitnessScript, derivations(change)
	raw, err := psbt.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
