package psbt

// BIP174's workflow vector, role by role: Creator → Updater → Updater
// (SIGHASH_ALL) → two Signers → Combiner → Finalizer → Extractor, each
// compared with the PSBT the BIP says that role must produce. The roles
// airsign implements are airsign's code: the signers use sigHash and
// ecdsa.Sign exactly as signInput does (RFC 6979, which is what Bitcoin
// Core used to make the vector), the combiner is Combine, the finalizer
// is Finalize. The creator and updater are btcd's, as airsign has neither
// role (the coordinator creates and updates), and the extractor is btcd's
// Extract, which Finalize itself calls.
//
// The vector spends a legacy P2SH 2-of-2 multisig, which Finalize hands to
// btcd's finalizer, and a P2SH-P2WSH 2-of-2 multisig, which Finalize
// finalizes itself (finalizeMultisig). Neither is a wallet Sign signs for
// (the keys are at m/0'/0'/n', not under a registered account, and the
// multisigs are unsorted), so the signer step drives the signing
// primitives directly rather than through Sign and Analyze.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/psbt/descriptor"
)

type bip174Workflow struct {
	MasterKey string
	Creator   struct {
		Version  int32
		Locktime uint32
		Inputs   []struct {
			Txid string
			Vout uint32
		}
		Outputs []struct {
			ScriptPubKey string
			Amount       int64
		}
		Expected string
	}
	Updater struct {
		RedeemScripts        []string
		WitnessScripts       []string
		PreviousTransactions []string
		PublicKeys           []struct{ Key, Path string }
		Expected             string
	}
	UpdaterSighash struct {
		SighashType uint32
		Expected    string
	}
	Signers []struct {
		Keys     []struct{ WIF, Path string }
		Expected string
	}
	Combiner         struct{ Expected string }
	Finalizer        struct{ Expected string }
	Extractor        struct{ Expected string }
	CombinerUnknowns struct {
		Inputs   []string
		Expected string
	}
}

// parseBIP32Path reads a path such as m/0'/0'/1'.
func parseBIP32Path(t testing.TB, s string) []uint32 {
	t.Helper()
	parts := strings.Split(s, "/")
	if parts[0] != "m" {
		t.Fatalf("path %q does not start at m", s)
	}
	var path []uint32
	for _, p := range parts[1:] {
		hardened := strings.HasSuffix(p, "'")
		n, err := strconv.ParseUint(strings.TrimSuffix(p, "'"), 10, 31)
		if err != nil {
			t.Fatalf("path %q: %v", s, err)
		}
		if hardened {
			n += hdkeychain.HardenedKeyStart
		}
		path = append(path, uint32(n))
	}
	return path
}

// encodeHex is Encode in hex, failing the test on error.
func encodeHex(t testing.TB, p *btcpsbt.Packet) string {
	t.Helper()
	b, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// step compares a role's result with the BIP's bytes, and checks that
// Decode reads the BIP's bytes and Encode writes them back unchanged.
func step(t *testing.T, role string, p *btcpsbt.Packet, want string) {
	t.Helper()
	if got := encodeHex(t, p); got != want {
		t.Errorf("%s: PSBT\n%s\nwant (BIP174)\n%s", role, got, want)
	}
	q, err := Decode(unhex(t, want))
	if err != nil {
		t.Fatalf("%s: Decode of the BIP's PSBT: %v", role, err)
	}
	if got := encodeHex(t, q); got != want {
		t.Errorf("%s: Decode and Encode of the BIP's PSBT give\n%s", role, got)
	}
}

func TestBIP174Workflow(t *testing.T) {
	var v bip174Workflow
	loadJSON(t, "bip174-workflow.json", &v)
	master, err := hdkeychain.NewKeyFromString(v.MasterKey)
	if err != nil {
		t.Fatal(err)
	}
	masterPub, err := master.ECPubKey()
	if err != nil {
		t.Fatal(err)
	}
	var fp [4]byte
	copy(fp[:], btcutil.Hash160(masterPub.SerializeCompressed()))
	derive := func(path string) *hdkeychain.ExtendedKey {
		k := master
		for _, i := range parseBIP32Path(t, path) {
			if k, err = k.Derive(i); err != nil {
				t.Fatal(err)
			}
		}
		return k
	}

	// Creator (btcd).
	var outpoints []*wire.OutPoint
	var sequences []uint32
	for _, in := range v.Creator.Inputs {
		h, err := chainhash.NewHashFromStr(in.Txid)
		if err != nil {
			t.Fatal(err)
		}
		outpoints = append(outpoints, wire.NewOutPoint(h, in.Vout))
		sequences = append(sequences, wire.MaxTxInSequenceNum)
	}
	var outputs []*wire.TxOut
	for _, out := range v.Creator.Outputs {
		outputs = append(outputs, wire.NewTxOut(out.Amount, unhex(t, out.ScriptPubKey)))
	}
	p, err := btcpsbt.New(outpoints, outputs, v.Creator.Version, v.Creator.Locktime, sequences)
	if err != nil {
		t.Fatal(err)
	}
	step(t, "creator", p, v.Creator.Expected)

	// Updater (btcd): previous transactions, scripts, then the keys of
	// the scripts each input and output pays to. BIP174: a segwit input
	// gets the spent output (witness UTXO), a legacy one the previous
	// transaction.
	u, err := btcpsbt.NewUpdater(p)
	if err != nil {
		t.Fatal(err)
	}
	tx := p.UnsignedTx
	for _, raw := range v.Updater.PreviousTransactions {
		prev := parseTx(t, raw)
		i := slices.IndexFunc(tx.TxIn, func(in *wire.TxIn) bool { return in.PreviousOutPoint.Hash == prev.TxHash() })
		if i < 0 {
			t.Fatalf("previous transaction %s is spent by no input", prev.TxHash())
		}
		spent := prev.TxOut[tx.TxIn[i].PreviousOutPoint.Index]
		var redeem []byte
		for _, r := range v.Updater.RedeemScripts {
			if rs := unhex(t, r); txscript.IsPayToScriptHash(spent.PkScript) && bytes.Equal(spent.PkScript[2:22], btcutil.Hash160(rs)) {
				redeem = rs
			}
		}
		if redeem == nil {
			t.Fatalf("input %d: no redeem script for %x", i, spent.PkScript)
		}
		if txscript.IsWitnessProgram(redeem) {
			if err := u.AddInWitnessUtxo(spent, i); err != nil {
				t.Fatal(err)
			}
		} else if err := u.AddInNonWitnessUtxo(prev, i); err != nil {
			t.Fatal(err)
		}
		if err := u.AddInRedeemScript(redeem, i); err != nil {
			t.Fatal(err)
		}
		for _, w := range v.Updater.WitnessScripts {
			ws := unhex(t, w)
			if h := sha256.Sum256(ws); bytes.Equal(redeem, append([]byte{txscript.OP_0, 32}, h[:]...)) {
				if err := u.AddInWitnessScript(ws, i); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for _, k := range v.Updater.PublicKeys {
		pub := unhex(t, k.Key)
		derived, err := derive(k.Path).ECPubKey()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(derived.SerializeCompressed(), pub) {
			t.Fatalf("key %s is not the master key's %s", k.Key, k.Path)
		}
		path := parseBIP32Path(t, k.Path)
		for i := range p.Inputs {
			script := p.Inputs[i].WitnessScript
			if script == nil {
				script = p.Inputs[i].RedeemScript
			}
			if bytes.Contains(script, pub) {
				if err := u.AddInBip32Derivation(fingerprintUint32(fp), path, pub, i); err != nil {
					t.Fatal(err)
				}
			}
		}
		for o, out := range tx.TxOut {
			if bytes.Equal(out.PkScript, p2wpkhScript(t, pub)) {
				if err := u.AddOutBip32Derivation(fingerprintUint32(fp), path, pub, o); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	step(t, "updater", p, v.Updater.Expected)

	for i := range p.Inputs {
		if err := u.AddInSighashType(txscript.SigHashType(v.UpdaterSighash.SighashType), i); err != nil {
			t.Fatal(err)
		}
	}
	step(t, "updater (sighash)", p, v.UpdaterSighash.Expected)

	// Signers: airsign's digest and RFC 6979 signature, each signer on
	// its own copy.
	var signed []*btcpsbt.Packet
	for n, s := range v.Signers {
		q := clonePacket(t, p).Packet
		fetcher := txscript.NewMultiPrevOutFetcher(nil)
		for i := range q.Inputs {
			out, err := spentOutput(q, i)
			if err != nil {
				t.Fatal(err)
			}
			fetcher.AddPrevOut(q.UnsignedTx.TxIn[i].PreviousOutPoint, out)
		}
		hashes := txscript.NewTxSigHashes(q.UnsignedTx, fetcher)
		for _, k := range s.Keys {
			wif, err := btcutil.DecodeWIF(k.WIF)
			if err != nil {
				t.Fatal(err)
			}
			fromMaster, err := derive(k.Path).ECPrivKey()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(fromMaster.Serialize(), wif.PrivKey.Serialize()) {
				t.Fatalf("signer %d: WIF key %s is not the master key's %s", n+1, k.WIF, k.Path)
			}
			pub := wif.PrivKey.PubKey().SerializeCompressed()
			for i := range q.Inputs {
				pin := &q.Inputs[i]
				var st descriptor.ScriptType
				in := Input{Index: i}
				switch {
				case pin.WitnessScript != nil && bytes.Contains(pin.WitnessScript, pub):
					st, in.Amount, in.witness, in.redeemScript = descriptor.P2SHP2WSHMulti, btcutil.Amount(pin.WitnessUtxo.Value), pin.WitnessScript, pin.RedeemScript
				case pin.WitnessScript == nil && bytes.Contains(pin.RedeemScript, pub):
					// Legacy P2SH: the legacy digest, whose script
					// code is the redeem script (sigHash's P2PKH
					// case with the redeem script as the script).
					st, in.pkScript = descriptor.P2PKH, pin.RedeemScript
				default:
					continue
				}
				hash, err := sigHash(st, q.UnsignedTx, hashes, fetcher, in)
				if err != nil {
					t.Fatal(err)
				}
				sig := ecdsa.Sign(wif.PrivKey, hash)
				addPartialSig(pin, &btcpsbt.PartialSig{PubKey: pub, Signature: append(sig.Serialize(), byte(txscript.SigHashAll))})
			}
		}
		step(t, fmt.Sprintf("signer %d", n+1), q, s.Expected)
		signed = append(signed, q)
	}

	// Combiner: Combine, in either order.
	combined, err := Combine(signed...)
	if err != nil {
		t.Fatal(err)
	}
	reversed, err := Combine(reverse(signed)...)
	if err != nil {
		t.Fatal(err)
	}
	if encodeHex(t, combined) != encodeHex(t, reversed) {
		t.Error("combiner: the result depends on the order of the PSBTs")
	}
	combinerStep(t, combined, v.Combiner.Expected)

	// Finalizer: Finalize. It finalizes the P2SH-P2WSH multisig input
	// itself and hands the legacy P2SH multisig input to btcd's finalizer;
	// then it extracts the transaction and runs both inputs' scripts.
	finalTx, err := Finalize(combined)
	if err != nil {
		t.Fatalf("Finalize: %v", err)
	}
	step(t, "finalizer", combined, v.Finalizer.Expected)

	// Extractor: btcd's Extract, on the BIP's finalized PSBT; Finalize's
	// transaction must be the same.
	fin, err := Decode(unhex(t, v.Finalizer.Expected))
	if err != nil {
		t.Fatal(err)
	}
	extracted, err := btcpsbt.Extract(fin)
	if err != nil {
		t.Fatal(err)
	}
	if got := txHex(t, extracted); got != v.Extractor.Expected {
		t.Errorf("extractor: transaction\n%s\nwant (BIP174)\n%s", got, v.Extractor.Expected)
	}
	if got := txHex(t, finalTx); got != v.Extractor.Expected {
		t.Errorf("Finalize's transaction\n%s\nwant (BIP174)\n%s", got, v.Extractor.Expected)
	}
}

// combinerStep compares Combine's result with the BIP's combined PSBT.
//
// The bytes cannot match exactly: input 1 carries two partial signatures,
// and the BIP lists them as Bitcoin Core wrote them, ordered by the key ID
// (HASH160 of the public key) Core keys its partial signature map with,
// while btcd's serializer, which Encode uses, sorts PSBT_IN_PARTIAL_SIG
// records by public key. BIP174 leaves the order of a map's records open,
// so the test checks instead that (1) every map holds exactly the BIP's
// records, byte for byte, (2) the only difference is the order of those
// two records, and it is Core's key ID order, and (3) Encode of the BIP's
// own PSBT, which puts it in btcd's order, is byte for byte Combine's
// result.
func combinerStep(t *testing.T, combined *btcpsbt.Packet, want string) {
	t.Helper()
	got := encodeHex(t, combined)
	if got == want {
		return // btcd's order and Core's coincide
	}
	gotMaps, wantMaps := psbtMaps(t, unhex(t, got)), psbtMaps(t, unhex(t, want))
	if len(gotMaps) != len(wantMaps) {
		t.Fatalf("combiner: %d maps, want %d", len(gotMaps), len(wantMaps))
	}
	for m := range gotMaps {
		g, w := gotMaps[m], wantMaps[m]
		if !slices.Equal(slices.Sorted(slices.Values(g)), slices.Sorted(slices.Values(w))) {
			t.Errorf("combiner: map %d holds other records than the BIP's:\n got %q\nwant %q", m, g, w)
			continue
		}
		if slices.Equal(g, w) {
			continue
		}
		// Only partial signatures may be ordered differently, and the
		// BIP's order must be by HASH160 of the key.
		var ours, bips [][]byte
		for i := range g {
			if g[i] != w[i] {
				gk, wk := unhex(t, g[i]), unhex(t, w[i])
				if gk[1] != 0x02 || wk[1] != 0x02 {
					t.Errorf("combiner: map %d: record %d is not a partial signature where the order differs: %s vs %s", m, i, g[i], w[i])
				}
				ours, bips = append(ours, gk[2:35]), append(bips, wk[2:35])
			}
		}
		if !slices.IsSortedFunc(ours, bytes.Compare) {
			t.Errorf("combiner: map %d: our partial signatures are not in public key order", m)
		}
		if !slices.IsSortedFunc(bips, func(a, b []byte) int { return bytes.Compare(btcutil.Hash160(a), btcutil.Hash160(b)) }) {
			t.Errorf("combiner: map %d: the BIP's partial signatures are not in key ID order either; the difference is unexplained", m)
		}
		t.Logf("combiner: map %d: %d partial signatures in public key order (btcd), the BIP lists them in key ID order (Bitcoin Core); records identical", m, len(ours))
	}
	bip, err := Decode(unhex(t, want))
	if err != nil {
		t.Fatal(err)
	}
	if canonical := encodeHex(t, bip); canonical != got {
		t.Errorf("combiner: Encode of the BIP's combined PSBT\n%s\ndiffers from Combine's\n%s", canonical, got)
	}
}

// psbtMaps splits a binary PSBT into its maps (global, inputs, outputs),
// each a list of its key-value records in hex (key length, key, value
// length, value), in the order they appear.
func psbtMaps(t testing.TB, b []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("psbt\xff")) {
		t.Fatal("no PSBT magic")
	}
	r := bytes.NewReader(b[5:])
	var maps [][]string
	var cur []string
	for r.Len() > 0 {
		start := len(b) - r.Len()
		keyLen, err := wire.ReadVarInt(r, 0)
		if err != nil {
			t.Fatal(err)
		}
		if keyLen == 0 {
			maps, cur = append(maps, cur), nil
			continue
		}
		if _, err := r.Seek(int64(keyLen), 1); err != nil {
			t.Fatal(err)
		}
		valLen, err := wire.ReadVarInt(r, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Seek(int64(valLen), 1); err != nil {
			t.Fatal(err)
		}
		cur = append(cur, hex.EncodeToString(b[start:len(b)-r.Len()]))
	}
	if cur != nil {
		t.Fatal("the last map has no separator")
	}
	return maps
}

// TestBIP174CombinerUnknowns: BIP174's second combiner vector, two PSBTs
// of unknown key-value pairs that "a combiner which orders keys
// lexicographically must" merge into the published PSBT. Combine keeps
// unknown fields sorted by key, so the bytes must match exactly.
func TestBIP174CombinerUnknowns(t *testing.T) {
	var v bip174Workflow
	loadJSON(t, "bip174-workflow.json", &v)
	var packets []*btcpsbt.Packet
	for _, in := range v.CombinerUnknowns.Inputs {
		p, err := Decode(unhex(t, in))
		if err != nil {
			t.Fatal(err)
		}
		packets = append(packets, p)
	}
	for _, order := range [][]*btcpsbt.Packet{packets, reverse(packets)} {
		combined, err := Combine(order...)
		if err != nil {
			t.Fatal(err)
		}
		if got := encodeHex(t, combined); got != v.CombinerUnknowns.Expected {
			t.Errorf("combined\n%s\nwant (BIP174)\n%s", got, v.CombinerUnknowns.Expected)
		}
	}
}

func reverse[T any](s []T) []T {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}
