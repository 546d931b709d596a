package kiosk

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/offline/ceremony"
	"airsign/psbt"
	"airsign/psbt/descriptor"
)

// These tests build PSBTs the way other wallets write them, from the
// wallet's exported account key alone, and check the kiosk signs what it
// should, refuses what it should, and answers in a form those wallets read.

// origin says how a foreign wallet writes a derivation of the key at
// branch/index: a fingerprint and a path.
type origin func(branch, index uint32) (fp uint32, path []uint32)

// masterRooted is how airsign's coordinator (and wallets that know the key
// origin) write derivations: the master fingerprint and the full path.
func masterRooted(d *descriptor.Descriptor) origin {
	fp := d.MasterFingerprint()
	return func(branch, index uint32) (uint32, []uint32) {
		return binary.LittleEndian.Uint32(fp[:]), d.Path(branch, index)
	}
}

// accountRooted is how Electrum 4.3 writes them after importing only the
// exported zpub/vpub: the account key's own fingerprint (HASH160 of its
// public key) and the path below it. It starts from the account xpub as the
// export gives it, not from airsign's descriptor types.
func accountRooted(t testing.TB, xpub string) origin {
	t.Helper()
	key, err := hdkeychain.NewKeyFromString(xpub)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := key.ECPubKey()
	if err != nil {
		t.Fatal(err)
	}
	fp := binary.LittleEndian.Uint32(btcutil.Hash160(pub.SerializeCompressed())[:4])
	return func(branch, index uint32) (uint32, []uint32) { return fp, []uint32{branch, index} }
}

// foreignPSBT spends the wallet's receive coins 0 and 1 (100,000 sat each)
// to a foreign address with change at 1/0, with derivations written by o
// and every input asking for sighash (0: none given).
func foreignPSBT(t testing.TB, d *descriptor.Descriptor, o origin, sighash txscript.SigHashType) *btcpsbt.Packet {
	return paymentPSBT(t, d, o, sighash, 150_000, 1, 0)
}

// paymentPSBT spends the wallet's receive coins 0 and 1 (100,000 sat each):
// pay to a foreign address, the rest but a fee of 1,000 sat as change at
// branch/index.
func paymentPSBT(t testing.TB, d *descriptor.Descriptor, o origin, sighash txscript.SigHashType, pay btcutil.Amount, branch, index uint32) *btcpsbt.Packet {
	t.Helper()
	tx := wire.NewMsgTx(2)
	var prevs []*wire.MsgTx
	for i := range 2 {
		script, err := d.PkScript(0, uint32(i))
		if err != nil {
			t.Fatal(err)
		}
		prev := wire.NewMsgTx(2)
		prev.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{byte(i + 1)}}, nil, nil))
		prev.AddTxOut(wire.NewTxOut(100_000, script))
		prevs = append(prevs, prev)
		h := prev.TxHash()
		tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: h}, nil, nil))
	}
	change, err := d.PkScript(branch, index)
	if err != nil {
		t.Fatal(err)
	}
	tx.AddTxOut(wire.NewTxOut(int64(pay), append([]byte{0x00, 0x14}, bytes.Repeat([]byte{7}, 20)...)))
	tx.AddTxOut(wire.NewTxOut(200_000-int64(pay)-1_000, change))
	p, err := btcpsbt.NewFromUnsignedTx(tx)
	if err != nil {
		t.Fatal(err)
	}
	derive := func(branch, index uint32, ds *[]*btcpsbt.Bip32Derivation, tds *[]*btcpsbt.TaprootBip32Derivation, internal *[]byte) {
		pub, err := d.PublicKey(branch, index)
		if err != nil {
			t.Fatal(err)
		}
		fp, path := o(branch, index)
		if d.Script == descriptor.P2TR {
			x := schnorr.SerializePubKey(pub)
			*tds = append(*tds, &btcpsbt.TaprootBip32Derivation{XOnlyPubKey: x, MasterKeyFingerprint: fp, Bip32Path: path})
			*internal = x
			return
		}
		*ds = append(*ds, &btcpsbt.Bip32Derivation{PubKey: pub.SerializeCompressed(), MasterKeyFingerprint: fp, Bip32Path: path})
	}
	for i, prev := range prevs {
		in := &p.Inputs[i]
		in.NonWitnessUtxo, in.WitnessUtxo, in.SighashType = prev, prev.TxOut[0], sighash
		derive(0, uint32(i), &in.Bip32Derivation, &in.TaprootBip32Derivation, &in.TaprootInternalKey)
	}
	out := &p.Outputs[1]
	derive(branch, index, &out.Bip32Derivation, &out.TaprootBip32Derivation, &out.TaprootInternalKey)
	return p
}

func encodePSBT(t testing.TB, p *btcpsbt.Packet) PSBTScanned {
	t.Helper()
	raw, err := psbt.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	return PSBTScanned{Data: raw, Source: "test"}
}

// signThrough walks the kiosk's signing flow with shares 1 and 2 and
// returns the signed PSBT, failing unless each step gives the screen want.
func signThrough(t *testing.T, s *station, pay PSBTScanned) (Review, Signed) {
	t.Helper()
	k := s.kiosk(t, false)
	var review Review
	for _, ev := range []Event{Begin{Flow: FlowSign}, pay} {
		scr, err := k.Handle(ev)
		if err != nil {
			t.Fatal(err)
		}
		review, _ = scr.(Review)
	}
	if !review.Signable() {
		t.Fatalf("review refused: %v", review.Refusals)
	}
	var last Screen
	for _, ev := range []Event{Confirm{}, s.share(1), s.share(2)} {
		var err error
		if last, err = k.Handle(ev); err != nil {
			t.Fatal(err)
		}
	}
	signed, ok := last.(Signed)
	if !ok {
		t.Fatalf("got %s, want Signed", describe(last))
	}
	return review, signed
}

// An Electrum wallet made from the exported zpub sends PSBTs whose
// derivations are rooted at the account key: the kiosk signs them, says so
// in the review, and the signatures finalize. It used to refuse them with
// "no input spends a coin of wallet …".
func TestElectrumAccountRootedPSBT(t *testing.T) {
	s := newStation(t)
	pay := encodePSBT(t, foreignPSBT(t, s.desc, accountRooted(t, s.desc.Key.String()), 0))
	review, signed := signThrough(t, s, pay)
	if got, want := review.Derivations(), "Derivations rooted at the account key (as Electrum writes them)"; got != want {
		t.Errorf("review line %q, want %q", got, want)
	}
	if signed.Inputs != 2 {
		t.Errorf("signed %d inputs, want 2", signed.Inputs)
	}
	p, err := psbt.Decode(signed.PSBT)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := psbt.Finalize(p); err != nil {
		t.Fatalf("Finalize: %v", err)
	}

	// the coordinator's own PSBTs get no such line
	l, err := LoadPSBT(s.h, s.withdrawal(t, 150_000).Data, "w.psbt", "", s.now)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := ReviewPSBT(s.h, l, s.now); err != nil || r.Derivations() != "" {
		t.Errorf("master-rooted review line %q (%v), want none", r.Derivations(), err)
	}
}

// A PSBT of no registered wallet is refused with the keys it names and the
// wallets the kiosk has; no wallet is guessed (the kiosk used to review it
// against the first wallet and refuse about that wallet's account).
func TestNoWalletMatches(t *testing.T) {
	s := newStation(t)
	stranger := func(branch, index uint32) (uint32, []uint32) {
		return 0xefbeadde, []uint32{84 | descriptor.Hardened, 1 | descriptor.Hardened, 5 | descriptor.Hardened, branch, index}
	}
	for _, tt := range []struct {
		name string
		p    *btcpsbt.Packet
		want []string
	}{
		{"another seed's derivations", foreignPSBT(t, s.desc, stranger, 0), []string{
			"no input is a coin of a wallet registered on this kiosk",
			"input 0: fingerprint deadbeef m/84'/1'/5'/0/0", "output 1: fingerprint deadbeef m/84'/1'/5'/1/0",
			`"vault" (master fingerprint ` + s.wallet.Fingerprint + ", account m/84'/1'/0', account key fingerprint ",
			"have its wallet add the key origins",
		}},
		{"no derivations", func() *btcpsbt.Packet {
			p := foreignPSBT(t, s.desc, masterRooted(s.desc), 0)
			for i := range p.Inputs {
				p.Inputs[i].Bip32Derivation = nil
			}
			p.Outputs[1].Bip32Derivation = nil
			return p
		}(), []string{"It carries no BIP32 derivation", `"vault" (master fingerprint`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l, err := LoadPSBT(s.h, encodePSBT(t, tt.p).Data, "w.psbt", "", s.now)
			if err == nil {
				t.Fatalf("LoadPSBT reviewed it against wallet %q; want a refusal", l.Wallet.Name)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("refusal %q\nlacks %q", err, w)
				}
			}
			// named by the operator, it is reviewed against that wallet
			l, err = LoadPSBT(s.h, encodePSBT(t, tt.p).Data, "w.psbt", s.wallet.Name, s.now)
			if err != nil || l.Summary.Signable() {
				t.Errorf("LoadPSBT(%s) = %v; want a review that refuses", s.wallet.Name, err)
			}
		})
	}
}

// taprootStation is newStation with a taproot (BIP86) wallet.
func taprootStation(t *testing.T) *station {
	t.Helper()
	s := newStation(t)
	res, err := ceremony.Run(ceremony.Params{Network: descriptor.Regtest, Script: descriptor.P2TR,
		Threshold: 2, Total: 3, Words: 12, Name: "taproot", InUse: []uint16{}}, rand.Reader, t0, s.h)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Wipe()
	if err := s.h.AddWallet(res.Wallet()); err != nil {
		t.Fatal(err)
	}
	s.wallet, s.desc, s.shares = res.Wallet(), res.Descriptor, nil
	for _, sh := range res.Shares {
		s.shares = append(s.shares, sh.Words())
	}
	return s
}

// A taproot input that asks for SIGHASH_ALL gets a 65-byte signature ending
// in 0x01, over ALL's digest, which btcd's script engine accepts; none given
// gives 64 bytes. The kiosk used to sign ALL as DEFAULT.
func TestTaprootSighashThroughKiosk(t *testing.T) {
	for _, tt := range []struct {
		sighash txscript.SigHashType
		wantLen int
	}{{txscript.SigHashDefault, 64}, {txscript.SigHashAll, 65}} {
		s := taprootStation(t) // a coin signed once is "signed before"
		p := foreignPSBT(t, s.desc, masterRooted(s.desc), tt.sighash)
		_, signed := signThrough(t, s, encodePSBT(t, p))
		q, err := psbt.Decode(signed.PSBT)
		if err != nil {
			t.Fatal(err)
		}
		fetcher := txscript.NewMultiPrevOutFetcher(nil)
		for i, in := range q.UnsignedTx.TxIn {
			fetcher.AddPrevOut(in.PreviousOutPoint, q.Inputs[i].WitnessUtxo)
		}
		tx := q.UnsignedTx.Copy()
		for i := range tx.TxIn {
			sig := q.Inputs[i].TaprootKeySpendSig
			if len(sig) != tt.wantLen || (tt.wantLen == 65 && sig[64] != 0x01) {
				t.Fatalf("sighash %#x: input %d signature %x, want %d bytes (ending in 01 if 65)", uint32(tt.sighash), i, sig, tt.wantLen)
			}
			tx.TxIn[i].Witness = wire.TxWitness{sig}
		}
		hashes := txscript.NewTxSigHashes(tx, fetcher)
		for i := range tx.TxIn {
			spent := q.Inputs[i].WitnessUtxo
			vm, err := txscript.NewEngine(spent.PkScript, tx, i, txscript.StandardVerifyFlags, nil, hashes, spent.Value, fetcher)
			if err != nil {
				t.Fatal(err)
			}
			if err := vm.Execute(); err != nil {
				t.Errorf("sighash %#x: input %d fails btcd's script engine: %v", uint32(tt.sighash), i, err)
			}
		}
	}
}

// A requested type the kiosk does not sign with is refused in a sentence at
// the review; no share is asked for and nothing is signed.
func TestSighashNoneRefused(t *testing.T) {
	s := taprootStation(t)
	k := s.kiosk(t, false)
	run(t, k, []step{
		{Begin{Flow: FlowSign}, `Scan sign problem=""`},
		{encodePSBT(t, foreignPSBT(t, s.desc, masterRooted(s.desc), txscript.SigHashNone)), `Review signable=false problem=""`},
		{Confirm{}, `Review signable=false problem="this PSBT is refused; nothing can be signed: sighash-not-all: input 0: asks for sighash type NONE (0x2); this kiosk signs only with ALL…`},
	})
}

// globalRecords reads the global map of a binary PSBT with a parser of its
// own, not the psbt package's: key (hex) to value (hex).
func globalRecords(t *testing.T, b []byte) map[string]string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("psbt\xff")) {
		t.Fatalf("not a binary PSBT: %x", b[:min(len(b), 8)])
	}
	r := bytes.NewReader(b[5:])
	recs := map[string]string{}
	for {
		key, err := wire.ReadVarBytes(r, 0, psbt.MaxPSBTBytes, "key")
		if err != nil {
			t.Fatal(err)
		}
		if len(key) == 0 {
			return recs
		}
		value, err := wire.ReadVarBytes(r, 0, psbt.MaxPSBTBytes, "value")
		if err != nil {
			t.Fatal(err)
		}
		recs[hex.EncodeToString(key)] = hex.EncodeToString(value)
	}
}

// The kiosk answers in the version it was given: BIP370 in, BIP370 out,
// signed; BIP174 in, BIP174 out. It used to answer version 0 to both.
func TestKioskAnswersInVersionReceived(t *testing.T) {
	for _, tt := range []struct {
		version uint32
		want    map[string]string // global records that must be there, "" for must not
	}{
		{0, map[string]string{"fb": "", "02": ""}},
		{2, map[string]string{"fb": "02000000", "02": "02000000", "04": "02", "05": "02", "00": ""}},
	} {
		t.Run(fmt.Sprintf("version %d", tt.version), func(t *testing.T) {
			s := newStation(t)
			raw, err := psbt.EncodeForm(foreignPSBT(t, s.desc, masterRooted(s.desc), 0), psbt.Form{Version: tt.version})
			if err != nil {
				t.Fatal(err)
			}
			_, signed := signThrough(t, s, PSBTScanned{Data: raw, Source: "test"})
			recs := globalRecords(t, signed.PSBT)
			for key, want := range tt.want {
				if got, ok := recs[key]; (want == "") == ok || got != want {
					t.Errorf("global record %s = %q (present %v), want %q", key, got, ok, want)
				}
			}
			if _, ok := recs["00"]; ok != (tt.version == 0) {
				t.Errorf("PSBT_GLOBAL_UNSIGNED_TX present %v in a version %d answer", ok, tt.version)
			}
			p, form, err := psbt.DecodeForm(signed.PSBT)
			if err != nil {
				t.Fatal(err)
			}
			if form.Version != tt.version {
				t.Errorf("answer of version %d, want %d", form.Version, tt.version)
			}
			if n, err := psbt.VerifySignatures(p); err != nil || n != 2 {
				t.Errorf("VerifySignatures = %d, %v; want 2 good signatures", n, err)
			}
		})
	}
}
