package main

import (
	"airsign/cmd/internal/qrfiles"
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/rogpeppe/go-internal/testscript"

	"airsign/offline/home"
	"airsign/offline/kiosk"
	"airsign/psbt"
	"airsign/psbt/approval"
	"airsign/psbt/descriptor"
	"airsign/shamir"
	"airsign/ui/qr"
	"airsign/ui/qr/ur"
	"airsign/ui/urwallet"
)

// The script tests drive airsign-kiosk as an operator would, in the style of
// age's cmd/age/testdata: testdata/script/*.txtar.
//
// The machine that runs them is connected; the scripts play an offline
// station, unless one says which interfaces are up with
// AIRSIGN_TEST_INTERFACES=eth0,... (airgap.txtar). Only this test binary
// reads that variable: the real airsign-kiosk reads /sys/class/net.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"airsign-kiosk": func() {
			c := &cli{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, now: time.Now, interfaces: testInterfaces}
			os.Exit(runWith(c, os.Args[1:]))
		},
	})
}

func testInterfaces() ([]string, error) {
	v := os.Getenv("AIRSIGN_TEST_INTERFACES")
	if v == "" {
		return nil, nil
	}
	return strings.Split(v, ","), nil
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"misread":   misread,
			"swapwords": swapwords,
			"mkpsbt":    mkpsbt,
			"mkproof":   mkproof,
			"finalizes": finalizes,
			"mkmulti":   mkmulti,
			// for scriptwallet.txtar (scriptwallet_test.go)
			"mkpolicy":        mkpolicy,
			"mkscriptpsbt":    mkscriptpsbt,
			"finalizesscript": finalizesscript,
			"textqr":          textqr,
			"spoofpolicy":     spoofpolicy,
			"spoof":           spoof,
			"combine":         combine,
			"qrframes":        qrframes,
			"descqr":          descqr,
			// coordapprove is for approver-station.txtar
			"coordapprove": coordapprove,
		},
	})
}

// misread SHARE N OUT writes SHARE's words to OUT with word N replaced by
// another BIP39 word, as a custodian misreading a steel plate would.
func misread(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: misread SHARE N OUT")
	}
	words := shareWords(ts, args[0])
	n := atoi(ts, args[1])
	if words[n-1] == "zoo" {
		words[n-1] = "abandon"
	} else {
		words[n-1] = "zoo"
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(strings.Join(words, " ")+"\n"), 0o600))
}

// swapwords SHARE I J OUT writes SHARE's words to OUT with words I and J
// swapped. A share's words come from crypto/rand, so the two may be the
// same word (1 time in 2048), and swapping them would change nothing: then
// it swaps the next pair along (I+1 and J+1, and so on) that differ, and
// logs which.
func swapwords(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: swapwords SHARE I J OUT")
	}
	words := shareWords(ts, args[0])
	i, j := atoi(ts, args[1])-1, atoi(ts, args[2])-1
	for j < len(words) && words[i] == words[j] {
		i, j = i+1, j+1
	}
	if j >= len(words) {
		ts.Fatalf("no pair of different words from %s, %s on", args[1], args[2])
	}
	ts.Logf("swapping words %d and %d", i+1, j+1)
	words[i], words[j] = words[j], words[i]
	ts.Check(os.WriteFile(ts.MkAbs(args[3]), []byte(strings.Join(words, " ")+"\n"), 0o600))
}

func shareWords(ts *testscript.TestScript, path string) []string {
	s, err := shamir.Parse([]byte(ts.ReadFile(path)))
	ts.Check(err)
	return strings.Fields(string(bytes.Clone(s.Words())))
}

func atoi(ts *testscript.TestScript, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		ts.Fatalf("%s: %v", s, fmt.Errorf("want a word number from 1"))
	}
	return n
}

// mkpsbt HOME WALLET OUT [VARIANT] writes a base64 PSBT that spends two
// coins of a wallet registered in the kiosk home HOME and pays 0.0007 BTC
// away, with change, as an honest coordinator would build it; VARIANT makes
// it dishonest in one way: sighash-single, fee-attack (witness UTXOs only,
// on a segwit v0 wallet), change-elsewhere, foreign (no input of ours),
// high-fee.
func mkpsbt(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 || len(args) > 4 {
		ts.Fatalf("usage: mkpsbt HOME WALLET OUT [VARIANT]")
	}
	h, err := home.Open(ts.MkAbs(args[0]))
	ts.Check(err)
	w, err := h.Wallet(args[1])
	ts.Check(err)
	d, err := w.Parsed()
	ts.Check(err)
	variant := ""
	if len(args) == 4 {
		variant = args[3]
	}
	payee := append([]byte{txscript.OP_0, 20}, bytes.Repeat([]byte{0x5a}, 20)...)
	coin, fee := int64(60_000), int64(2_000)
	if variant == "high-fee" {
		coin, fee = 6_000_000, 1_100_000 // above DefaultPolicy's 0.01 BTC cap
	}
	tx := wire.NewMsgTx(2)
	var prevs []*wire.MsgTx
	for i, index := range []uint32{0, 1} {
		script, err := d.PkScript(0, index)
		ts.Check(err)
		prev := wire.NewMsgTx(2)
		prev.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{byte(i + 1)}}, nil, nil))
		prev.AddTxOut(wire.NewTxOut(coin, script))
		prevs = append(prevs, prev)
		tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: prev.TxHash(), Index: 0}, nil, nil))
	}
	changeIndex := uint32(0)
	if variant == "far-change" {
		changeIndex = 50 // far past any change this kiosk signed for
	}
	change, err := d.PkScript(1, changeIndex)
	ts.Check(err)
	tx.AddTxOut(wire.NewTxOut(70_000, payee))
	tx.AddTxOut(wire.NewTxOut(2*coin-70_000-fee, change))
	var madeUp *wire.MsgTx
	if variant == "fake-input" {
		// A hostile coordinator's trick: a made-up foreign coin of 100 BTC
		// (its previous transaction exists nowhere) returned as "change",
		// so that "our inputs minus change" is far below zero.
		const hundred = 100 * btcutil.SatoshiPerBitcoin
		madeUp = wire.NewMsgTx(2)
		madeUp.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{0xfa, 0x4e}}, nil, nil))
		madeUp.AddTxOut(wire.NewTxOut(hundred, append([]byte{txscript.OP_0, 20}, bytes.Repeat([]byte{0x77}, 20)...)))
		tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: madeUp.TxHash(), Index: 0}, nil, nil))
		tx.TxOut[1].Value += hundred
	}
	p, err := btcpsbt.NewFromUnsignedTx(tx)
	ts.Check(err)
	fp := binary.LittleEndian.Uint32(d.Origin.Fingerprint[:]) // single-sig
	if variant == "foreign" {
		fp ^= 1
	}
	derive := func(branch, index uint32) ([]*btcpsbt.Bip32Derivation, []*btcpsbt.TaprootBip32Derivation) {
		if d.Script.Multisig() {
			var ds []*btcpsbt.Bip32Derivation
			for _, k := range d.Keys {
				pub, err := k.PublicKey(branch, index)
				ts.Check(err)
				kfp := binary.LittleEndian.Uint32(k.Origin.Fingerprint[:])
				if variant == "foreign" {
					kfp ^= 1
				}
				ds = append(ds, &btcpsbt.Bip32Derivation{PubKey: pub.SerializeCompressed(), MasterKeyFingerprint: kfp, Bip32Path: k.Path(branch, index)})
			}
			return ds, nil
		}
		pub, err := d.PublicKey(branch, index)
		ts.Check(err)
		if d.Script == descriptor.P2TR {
			return nil, []*btcpsbt.TaprootBip32Derivation{{XOnlyPubKey: schnorr.SerializePubKey(pub), MasterKeyFingerprint: fp, Bip32Path: d.Path(branch, index)}}
		}
		return []*btcpsbt.Bip32Derivation{{PubKey: pub.SerializeCompressed(), MasterKeyFingerprint: fp, Bip32Path: d.Path(branch, index)}}, nil
	}
	scripts := func(branch, index uint32) (witness, redeem []byte) {
		if d.Script.Multisig() {
			witness, err = d.WitnessScript(branch, index)
			ts.Check(err)
		}
		if d.Script == descriptor.P2SHP2WSHMulti || d.Script == descriptor.P2SHP2WPKH {
			redeem, err = d.RedeemScript(branch, index)
			ts.Check(err)
		}
		return witness, redeem
	}
	for i := range prevs {
		in := &p.Inputs[i]
		in.NonWitnessUtxo = prevs[i]
		if d.Script != descriptor.P2PKH {
			in.WitnessUtxo = prevs[i].TxOut[0]
		}
		in.Bip32Derivation, in.TaprootBip32Derivation = derive(0, uint32(i))
		in.WitnessScript, in.RedeemScript = scripts(0, uint32(i))
	}
	if madeUp != nil {
		p.Inputs[2].NonWitnessUtxo, p.Inputs[2].WitnessUtxo = madeUp, madeUp.TxOut[0]
	}
	p.Outputs[1].Bip32Derivation, p.Outputs[1].TaprootBip32Derivation = derive(1, changeIndex)
	p.Outputs[1].WitnessScript, p.Outputs[1].RedeemScript = scripts(1, changeIndex)
	switch variant {
	case "", "foreign", "high-fee", "fake-input", "far-change":
	case "sighash-single":
		p.Inputs[1].SighashType = txscript.SigHashSingle
	case "fee-attack":
		for i := range p.Inputs {
			p.Inputs[i].NonWitnessUtxo = nil
		}
	case "change-elsewhere":
		p.UnsignedTx.TxOut[1].PkScript = append([]byte{txscript.OP_0, 20}, bytes.Repeat([]byte{0x66}, 20)...)
	default:
		ts.Fatalf("unknown variant %q", variant)
	}
	var buf bytes.Buffer
	ts.Check(p.Serialize(&buf))
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(base64.StdEncoding.EncodeToString(buf.Bytes())+"\n"), 0o644))
}

// finalizes FILE checks that a signed PSBT finalizes into a transaction
// whose every input passes btcd's script engine.
func finalizes(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: finalizes FILE")
	}
	p, err := psbt.Decode([]byte(ts.ReadFile(args[0])))
	ts.Check(err)
	_, err = psbt.Finalize(p)
	if neg && err == nil {
		ts.Fatalf("%s finalizes", args[0])
	}
	if !neg && err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
}

// mkmulti VAR SCRIPT K WATCHONLY... sets VAR to a sorted multisig
// descriptor (SCRIPT wsh or sh-wsh) of the BIP48 cosigner keys in the
// kiosks' watch-only exports, as a coordinator assembling a multisig would.
func mkmulti(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 4 {
		ts.Fatalf("usage: mkmulti VAR wsh|sh-wsh K WATCHONLY...")
	}
	var keys []string
	for _, f := range args[3:] {
		for _, line := range strings.Split(ts.ReadFile(f), "\n") {
			if k, ok := strings.CutPrefix(line, "bip48-cosigner: "); ok {
				if args[1] == "sh-wsh" { // the P2SH-P2WSH BIP48 type is 1'
					k = strings.Replace(k, "/2']", "/1']", 1)
				}
				keys = append(keys, k+"/<0;1>/*")
			}
		}
	}
	desc := fmt.Sprintf("wsh(sortedmulti(%s,%s))", args[2], strings.Join(keys, ","))
	if args[1] == "sh-wsh" {
		desc = "sh(" + desc + ")"
	}
	sum, err := descriptor.Checksum(desc)
	ts.Check(err)
	ts.Setenv(args[0], desc+"#"+sum)
}

// spoof VAR FROM TO rewrites the descriptor in VAR so that the key of the
// watch-only export TO carries the fingerprint of the export FROM: a
// coordinator claiming a kiosk's fingerprint for a key that is not its.
func spoof(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: spoof VAR FROM TO")
	}
	desc, err := descriptor.StripChecksum(ts.Getenv(args[0]))
	ts.Check(err)
	desc = strings.Replace(desc, "["+cosignerFingerprint(ts, args[2]), "["+cosignerFingerprint(ts, args[1]), 1)
	sum, err := descriptor.Checksum(desc)
	ts.Check(err)
	ts.Setenv(args[0], desc+"#"+sum)
}

// cosignerFingerprint is the master fingerprint of the BIP48 cosigner key
// in a watch-only export.
func cosignerFingerprint(ts *testscript.TestScript, file string) string {
	for _, line := range strings.Split(ts.ReadFile(file), "\n") {
		if k, ok := strings.CutPrefix(line, "bip48-cosigner: ["); ok {
			return k[:8]
		}
	}
	ts.Fatalf("%s has no cosigner key", file)
	return ""
}

// combine OUT IN... combines signed PSBTs (BIP174 Combiner), as the
// coordinator does with its cosigners' signatures.
func combine(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: combine OUT IN...")
	}
	var packets []*btcpsbt.Packet
	for _, f := range args[1:] {
		p, err := psbt.Decode([]byte(ts.ReadFile(f)))
		ts.Check(err)
		packets = append(packets, p)
	}
	p, err := psbt.Combine(packets...)
	ts.Check(err)
	data, err := psbt.EncodeBase64(p)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(data+"\n"), 0o644))
}

// qrframes IN DIR FORMAT [MAXFRAGMENT] draws the PSBT in file IN as QR
// frames (DIR/frame-NNN.png and DIR/animated.gif), as the coordinator shows
// it, and sets $FRAMES to the number of frames.
func qrframes(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 || len(args) > 4 {
		ts.Fatalf("usage: qrframes IN DIR FORMAT [MAXFRAGMENT]")
	}
	p, err := psbt.Decode([]byte(ts.ReadFile(args[0])))
	ts.Check(err)
	data, err := psbt.Encode(p)
	ts.Check(err)
	max := 0
	if len(args) == 4 {
		max = atoi(ts, args[3])
	}
	n, err := qrfiles.WritePSBT(ts.MkAbs(args[1]), data, qrfiles.QROptions{Format: args[2], MaxFragment: max, FPS: 5})
	ts.Check(err)
	ts.Setenv("FRAMES", strconv.Itoa(n))
}

// descqr OUT.png VAR ur|text draws the descriptor in $VAR as one QR code:
// a UR crypto-output, as Sparrow shows a multisig setup, or its text.
func descqr(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: descqr OUT.png VAR ur|text")
	}
	text := ts.Getenv(args[1])
	if args[2] == "ur" {
		d, err := descriptor.ParseForNetwork(text, descriptor.Regtest)
		ts.Check(err)
		o, err := urwallet.Output(d)
		ts.Check(err)
		u, err := o.UR()
		ts.Check(err)
		text = ur.Encode(u)
	}
	png, err := qr.PNG([]byte(text), qr.ImageOptions{Level: qr.Low, ModulePixels: 4})
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), png, 0o644))
}

// coordapprove SEED NAME HOME WALLET IN OUT approves the PSBT in file IN as
// the coordinator does with an approver's coordinator-sealed key: the
// ed25519 key whose seed is 32 bytes of the hex byte SEED signs, as NAME,
// the message for wallet WALLET of the kiosk home HOME (named by its
// descriptor's checksum, kiosk.WalletID), request wd-1, the fee from the
// PSBT, valid for an hour; OUT is IN with the approval attached and the
// request named, as the coordinator hands the PSBT over.
func coordapprove(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 6 {
		ts.Fatalf("usage: coordapprove SEED NAME HOME WALLET IN OUT")
	}
	seed, err := strconv.ParseUint(args[0], 16, 8)
	ts.Check(err)
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{byte(seed)}, ed25519.SeedSize))
	h, err := home.Open(ts.MkAbs(args[2]))
	ts.Check(err)
	w, err := h.Wallet(args[3])
	ts.Check(err)
	d, err := w.Parsed()
	ts.Check(err)
	p, err := psbt.Decode([]byte(ts.ReadFile(args[4])))
	ts.Check(err)
	fee, err := approval.FeeOf(p)
	ts.Check(err)
	m, err := approval.MessageFor(p, kiosk.WalletID(d), "wd-1", fee, time.Now().Add(time.Hour))
	ts.Check(err)
	ts.Check(approval.SetRequest(p, "wd-1"))
	ts.Check(approval.Attach(p, approval.Sign(m, args[1], key)))
	data, err := psbt.EncodeBase64(p)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[5]), []byte(data+"\n"), 0o644))
}
