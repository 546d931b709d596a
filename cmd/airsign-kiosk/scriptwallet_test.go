package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/rogpeppe/go-internal/testscript"

	"airsign/offline/home"
	"airsign/psbt"
	"airsign/psbt/descriptor"
	"airsign/ui/qr"
)

// mkpolicy OUT TEMPLATE WATCHONLY... writes a BIP-388 wallet policy (JSON)
// whose keys_info are the BIP48 cosigner keys of the kiosks' watch-only
// exports, in order, as a coordinator assembling a recovery wallet would.
func mkpolicy(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: mkpolicy OUT TEMPLATE WATCHONLY...")
	}
	p := descriptor.WalletPolicy{Name: "vault", Template: args[1]}
	for _, f := range args[2:] {
		for _, line := range strings.Split(ts.ReadFile(f), "\n") {
			if k, ok := strings.CutPrefix(line, "bip48-cosigner: "); ok {
				p.Keys = append(p.Keys, k)
			}
		}
	}
	data, err := json.MarshalIndent(p, "", "  ")
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), append(data, '\n'), 0o644))
}

// mkscriptpsbt HOME WALLET OUT SEQUENCE [foreignscript] writes a base64
// PSBT that spends two coins of a wallet with spending paths registered in
// HOME (receive addresses 0 and 1), pays 0.0007 BTC away with change at
// 1/0, and sets every input's nSequence to SEQUENCE (a relative lock in
// blocks, or "final" for 0xfffffffd with no lock), with every key's
// derivation and the witness script or tap leaves, as an honest
// coordinator would. With foreignscript, input 0 carries the witness
// script or tap leaves of the wallet's address 0/5 instead of its own.
func mkscriptpsbt(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 4 || len(args) > 5 || len(args) == 5 && args[4] != "foreignscript" {
		ts.Fatalf("usage: mkscriptpsbt HOME WALLET OUT SEQUENCE [foreignscript]")
	}
	sw := scriptWalletOf(ts, args[0], args[1])
	seq := uint32(wire.MaxTxInSequenceNum - 2)
	if args[3] != "final" {
		n, err := strconv.ParseUint(args[3], 10, 16)
		ts.Check(err)
		seq = uint32(n)
	}
	const coin, fee = int64(60_000), int64(2_000)
	tx := wire.NewMsgTx(2)
	var prevs []*wire.MsgTx
	var ins []*descriptor.Derived
	for i := range uint32(2) {
		d, err := sw.Derive(0, i)
		ts.Check(err)
		prev := wire.NewMsgTx(2)
		prev.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{byte(i + 1)}}, nil, nil))
		prev.AddTxOut(wire.NewTxOut(coin, d.PkScript))
		prevs, ins = append(prevs, prev), append(ins, d)
		in := wire.NewTxIn(&wire.OutPoint{Hash: prev.TxHash()}, nil, nil)
		in.Sequence = seq
		tx.AddTxIn(in)
	}
	change, err := sw.Derive(1, 0)
	ts.Check(err)
	tx.AddTxOut(wire.NewTxOut(70_000, append([]byte{txscript.OP_0, 20}, bytes.Repeat([]byte{0x5a}, 20)...)))
	tx.AddTxOut(wire.NewTxOut(2*coin-70_000-fee, change.PkScript))
	p, err := btcpsbt.NewFromUnsignedTx(tx)
	ts.Check(err)
	for i, d := range ins {
		in := &p.Inputs[i]
		in.NonWitnessUtxo, in.WitnessUtxo = prevs[i], prevs[i].TxOut[0]
		in.WitnessScript = d.WitnessScript
		in.Bip32Derivation, in.TaprootBip32Derivation = scriptDerivations(sw, d)
	}
	if len(args) == 5 {
		other, err := sw.Derive(0, 5)
		ts.Check(err)
		in := &p.Inputs[0]
		in.WitnessScript = other.WitnessScript
		for _, l := range other.Leaves {
			in.TaprootLeafScript = append(in.TaprootLeafScript, &btcpsbt.TaprootTapLeafScript{ControlBlock: l.ControlBlock, Script: l.Script, LeafVersion: txscript.BaseLeafVersion})
		}
	}
	p.Outputs[1].WitnessScript = change.WitnessScript
	p.Outputs[1].Bip32Derivation, p.Outputs[1].TaprootBip32Derivation = scriptDerivations(sw, change)
	var buf bytes.Buffer
	ts.Check(p.Serialize(&buf))
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(base64.StdEncoding.EncodeToString(buf.Bytes())+"\n"), 0o644))
}

// scriptDerivations are the BIP-32 (wsh) or BIP-371 (tr, with the leaves
// each key signs in) derivations of every key of d.
func scriptDerivations(sw *descriptor.ScriptWallet, d *descriptor.Derived) ([]*btcpsbt.Bip32Derivation, []*btcpsbt.TaprootBip32Derivation) {
	names := slices.Sorted(maps.Keys(d.Keys))
	var wsh []*btcpsbt.Bip32Derivation
	var tr []*btcpsbt.TaprootBip32Derivation
	for _, name := range names {
		k := d.Keys[name]
		fp := binary.LittleEndian.Uint32(sw.Keys[k.Index].Origin.Fingerprint[:])
		if d.OutputKey == nil {
			wsh = append(wsh, &btcpsbt.Bip32Derivation{PubKey: k.Pub.SerializeCompressed(), MasterKeyFingerprint: fp, Bip32Path: k.Path})
			continue
		}
		var leaves [][]byte
		for _, l := range d.Leaves {
			if slices.Contains(l.Node.Keys(), name) {
				leaves = append(leaves, l.Hash[:])
			}
		}
		tr = append(tr, &btcpsbt.TaprootBip32Derivation{XOnlyPubKey: schnorr.SerializePubKey(k.Pub), LeafHashes: leaves, MasterKeyFingerprint: fp, Bip32Path: k.Path})
	}
	return wsh, tr
}

// finalizesscript HOME WALLET FILE checks that a signed PSBT of a wallet
// with spending paths registered in HOME finalizes with the miniscript
// satisfier, every input passing the script engine.
func finalizesscript(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: finalizesscript HOME WALLET FILE")
	}
	sw := scriptWalletOf(ts, args[0], args[1])
	p, err := psbt.Decode([]byte(ts.ReadFile(args[2])))
	ts.Check(err)
	_, err = psbt.FinalizeScriptWallet(p, sw)
	if neg && err == nil {
		ts.Fatalf("%s finalizes", args[2])
	}
	if !neg && err != nil {
		ts.Fatalf("%s: %v", args[2], err)
	}
}

// textqr OUT.png FILE draws FILE's text (a wallet policy's JSON, a
// descriptor) as one QR code, as a coordinator's screen shows it.
func textqr(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: textqr OUT.png FILE")
	}
	png, err := qr.PNG(bytes.TrimSpace([]byte(ts.ReadFile(args[1]))), qr.ImageOptions{Level: qr.Low, ModulePixels: 4})
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), png, 0o644))
}

// spoofpolicy FILE FROM TO [PATH] rewrites the wallet policy in FILE so
// that the key of the watch-only export TO carries the fingerprint of the
// export FROM (and the origin path PATH, e.g. 48'/1'/1'/2'): a coordinator
// claiming a kiosk's fingerprint for a key that is not its own.
func spoofpolicy(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 || len(args) > 4 {
		ts.Fatalf("usage: spoofpolicy FILE FROM TO [PATH]")
	}
	text := ts.ReadFile(args[0])
	from, to := "["+cosignerFingerprint(ts, args[2]), "["+cosignerFingerprint(ts, args[1])
	if len(args) == 4 {
		i := strings.Index(text, from)
		j := strings.IndexByte(text[max(i, 0):], ']')
		if i < 0 || j < 0 {
			ts.Fatalf("%s has no key of %s", args[0], args[2])
		}
		from, to = text[i:i+j], to+"/"+args[3]
	}
	spoofed := strings.Replace(text, from, to, 1)
	if spoofed == text {
		ts.Fatalf("%s has no key of %s", args[0], args[2])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(spoofed), 0o644))
}

// scriptWalletOf is the wallet with spending paths registered as WALLET in
// the kiosk home HOME.
func scriptWalletOf(ts *testscript.TestScript, homeDir, wallet string) *descriptor.ScriptWallet {
	h, err := home.Open(ts.MkAbs(homeDir))
	ts.Check(err)
	w, err := h.Wallet(wallet)
	ts.Check(err)
	sw, err := w.ScriptWallet()
	ts.Check(err)
	return sw
}
