package builder_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/online/builder"
	"airsign/psbt"
	"airsign/psbt/descriptor"
)

// withdrawal is an honest request of two coins (receive 3, change 0), a
// payment and change at 1/1, which the refusal cases then break.
func withdrawal(t testing.TB, d *descriptor.Descriptor) builder.Request {
	return builder.Request{
		Wallet:   d,
		Inputs:   []builder.Input{fakeCoin(t, d, 0, 3, 60_000, 1), fakeCoin(t, d, 1, 0, 50_000, 2)},
		Payments: []builder.Payment{{PkScript: foreignP2WPKH(9), Value: 70_000}},
		Change:   &builder.Change{Index: 1, Value: 38_000},
		LockTime: 500,
	}
}

func fingerprint(fp [4]byte) uint32 { return binary.LittleEndian.Uint32(fp[:]) }

// TestBuildFields checks every field the package documentation promises,
// for every wallet type, and that the kiosk decodes the PSBT and writes it
// back byte for byte.
func TestBuildFields(t *testing.T) {
	for _, w := range allWallets(t) {
		t.Run(w.name, func(t *testing.T) {
			d := w.d
			req := withdrawal(t, d)
			p, err := builder.Build(req)
			if err != nil {
				t.Fatal(err)
			}
			q, raw := roundTrip(t, p)
			again, err := psbt.Encode(q)
			if err != nil || !bytes.Equal(again, raw) {
				t.Errorf("decoding and encoding the PSBT changes it (%v)", err)
			}
			if p.UnsignedTx.Version != 2 || p.UnsignedTx.LockTime != 500 {
				t.Errorf("version %d, lock time %d; want 2, 500", p.UnsignedTx.Version, p.UnsignedTx.LockTime)
			}
			taproot, segwit := d.Script == descriptor.P2TR, d.Script != descriptor.P2PKH
			for i, txIn := range p.UnsignedTx.TxIn {
				pin := p.Inputs[i]
				var in builder.Input
				for _, c := range req.Inputs {
					if c.OutPoint == txIn.PreviousOutPoint {
						in = c
					}
				}
				if txIn.Sequence != 0xfffffffd || len(txIn.SignatureScript) != 0 || txIn.Witness != nil {
					t.Errorf("input %d: sequence %#x, scriptSig %x, witness %x", i, txIn.Sequence, txIn.SignatureScript, txIn.Witness)
				}
				if pin.SighashType != 0 || pin.PartialSigs != nil || pin.FinalScriptSig != nil || pin.FinalScriptWitness != nil {
					t.Errorf("input %d has a sighash type or signatures", i)
				}
				if (pin.NonWitnessUtxo != nil) == taproot || (pin.NonWitnessUtxo != nil && pin.NonWitnessUtxo.TxHash() != in.OutPoint.Hash) {
					t.Errorf("input %d: non_witness_utxo %v, want it for non-taproot inputs only", i, pin.NonWitnessUtxo != nil)
				}
				if (pin.WitnessUtxo != nil) != segwit || (segwit && (pin.WitnessUtxo.Value != int64(in.Value) || !bytes.Equal(pin.WitnessUtxo.PkScript, in.PkScript))) {
					t.Errorf("input %d: witness_utxo %v, want the coin for segwit inputs only", i, pin.WitnessUtxo)
				}
				checkWallet(t, "input", i, d, in.Branch, in.Index, pin.Bip32Derivation, pin.TaprootBip32Derivation, pin.TaprootInternalKey, pin.RedeemScript, pin.WitnessScript)
			}
			changes := 0
			for o, out := range p.UnsignedTx.TxOut {
				pout := p.Outputs[o]
				if out.Value != 38_000 {
					if pout.Bip32Derivation != nil || pout.TaprootBip32Derivation != nil || pout.RedeemScript != nil || pout.WitnessScript != nil || pout.TaprootInternalKey != nil {
						t.Errorf("payment output %d carries wallet fields", o)
					}
					continue
				}
				changes++
				want, _ := d.PkScript(1, 1)
				if !bytes.Equal(out.PkScript, want) {
					t.Errorf("change pays %x, want %x", out.PkScript, want)
				}
				checkWallet(t, "output", o, d, 1, 1, pout.Bip32Derivation, pout.TaprootBip32Derivation, pout.TaprootInternalKey, pout.RedeemScript, pout.WitnessScript)
			}
			if changes != 1 {
				t.Errorf("%d change outputs, want 1", changes)
			}
			if len(p.Unknowns) != len(d.Keys) { // no Keys for single-sig
				t.Errorf("%d global entries, want an xpub per cosigner of a multisig and none for single-sig", len(p.Unknowns))
			}
			for i, u := range p.Unknowns {
				if u.Key[0] != 0x01 || len(u.Key) != 79 {
					t.Errorf("global entry %d is not an xpub: key %x", i, u.Key)
				}
			}
		})
	}
}

// checkWallet checks the derivations and scripts of an input or change
// output of d at branch/index.
func checkWallet(t *testing.T, what string, i int, d *descriptor.Descriptor, branch, index uint32, ders []*btcpsbt.Bip32Derivation, tap []*btcpsbt.TaprootBip32Derivation, internal, redeem, witness []byte) {
	t.Helper()
	switch {
	case d.Script == descriptor.P2TR:
		pub, _ := d.PublicKey(branch, index)
		x := pub.SerializeCompressed()[1:]
		if len(ders) != 0 || len(tap) != 1 || !bytes.Equal(internal, x) || !bytes.Equal(tap[0].XOnlyPubKey, x) ||
			tap[0].MasterKeyFingerprint != fingerprint(d.Origin.Fingerprint) || !slices.Equal(tap[0].Bip32Path, d.Path(branch, index)) || len(tap[0].LeafHashes) != 0 {
			t.Errorf("%s %d: taproot derivations %+v, internal key %x", what, i, tap, internal)
		}
	case d.Script.Multisig():
		pubs, _ := d.PublicKeys(branch, index)
		if len(ders) != len(d.Keys) || len(tap) != 0 || internal != nil {
			t.Fatalf("%s %d: %d derivations, want %d", what, i, len(ders), len(d.Keys))
		}
		for k := range d.Keys {
			j := slices.IndexFunc(ders, func(der *btcpsbt.Bip32Derivation) bool { return bytes.Equal(der.PubKey, pubs[k].SerializeCompressed()) })
			if j < 0 {
				t.Errorf("%s %d: no derivation of cosigner %d's key", what, i, k)
				continue
			}
			if der := ders[j]; der.MasterKeyFingerprint != fingerprint(d.Keys[k].Origin.Fingerprint) || !slices.Equal(der.Bip32Path, d.Keys[k].Path(branch, index)) {
				t.Errorf("%s %d: derivation %d is %x %x %v", what, i, k, der.PubKey, der.MasterKeyFingerprint, der.Bip32Path)
			}
		}
		if !slices.IsSortedFunc(ders, func(a, b *btcpsbt.Bip32Derivation) int { return bytes.Compare(a.PubKey, b.PubKey) }) {
			t.Errorf("%s %d: the derivations are not in key order", what, i)
		}
	default:
		pub, _ := d.PublicKey(branch, index)
		if len(ders) != 1 || len(tap) != 0 || internal != nil || !bytes.Equal(ders[0].PubKey, pub.SerializeCompressed()) ||
			ders[0].MasterKeyFingerprint != fingerprint(d.Origin.Fingerprint) || !slices.Equal(ders[0].Bip32Path, d.Path(branch, index)) {
			t.Errorf("%s %d: derivations %+v", what, i, ders)
		}
	}
	wantWitness, _ := d.WitnessScript(branch, index)
	wantRedeem, _ := d.RedeemScript(branch, index)
	if !d.Script.Multisig() {
		wantWitness = nil
	}
	if !bytes.Equal(witness, wantWitness) || !bytes.Equal(redeem, wantRedeem) {
		t.Errorf("%s %d: witness script %x, redeem script %x; want %x, %x", what, i, witness, redeem, wantWitness, wantRedeem)
	}
}

// TestBuildRefusals breaks an honest request in every way Build must
// refuse, each with its error and a message naming what was wrong.
func TestBuildRefusals(t *testing.T) {
	wpkh := singleWallet(t, descriptor.P2WPKH).d
	tr := singleWallet(t, descriptor.P2TR).d
	ms := multisigWallet(t, descriptor.P2WSHMulti).d
	other := multisigWallet(t, descriptor.P2SHP2WSHMulti).d
	for _, c := range []struct {
		name   string
		wallet *descriptor.Descriptor
		edit   func(r *builder.Request)
		err    error
		msg    string
	}{
		{"no wallet", wpkh, func(r *builder.Request) { r.Wallet = nil }, builder.ErrRequest, "no wallet"},
		{"invalid wallet", wpkh, func(r *builder.Request) { r.Wallet = &descriptor.Descriptor{Script: descriptor.P2WPKH} }, builder.ErrRequest, "descriptor"},
		{"no inputs", wpkh, func(r *builder.Request) { r.Inputs = nil }, builder.ErrRequest, "no inputs"},
		{"no payments", wpkh, func(r *builder.Request) { r.Payments = nil }, builder.ErrRequest, "no payments"},
		{"zero payment", wpkh, func(r *builder.Request) { r.Payments[0].Value = 0 }, builder.ErrAmount, "payment 0 is 0 satoshis"},
		{"negative payment", wpkh, func(r *builder.Request) { r.Payments[0].Value = -1 }, builder.ErrAmount, "payment 0"},
		{"payment above 21M", wpkh, func(r *builder.Request) { r.Payments[0].Value = btcutil.MaxSatoshi + 1 }, builder.ErrAmount, "payment 0"},
		{"payments overflow", wpkh, func(r *builder.Request) {
			r.Payments = []builder.Payment{{foreignP2WPKH(1), btcutil.MaxSatoshi}, {foreignP2WPKH(2), btcutil.MaxSatoshi}}
		}, builder.ErrAmount, "payments add up"},
		{"change overflows", wpkh, func(r *builder.Request) {
			r.Payments[0].Value = btcutil.MaxSatoshi
		}, builder.ErrAmount, "payments and change add up"},
		{"dust payment", wpkh, func(r *builder.Request) { r.Payments[0].Value = 293 }, builder.ErrDust, "below the dust limit of 294"},
		{"dust P2PKH payment", wpkh, func(r *builder.Request) { r.Payments[0] = builder.Payment{foreignP2PKH(1), 545} }, builder.ErrDust, "546"},
		{"nonstandard payment", wpkh, func(r *builder.Request) { r.Payments[0].PkScript = []byte{txscript.OP_TRUE} }, builder.ErrRequest, "no standard address type"},
		{"empty payment script", wpkh, func(r *builder.Request) { r.Payments[0].PkScript = nil }, builder.ErrRequest, "an empty script, which is no standard address type"},
		{"OP_RETURN with value", wpkh, func(r *builder.Request) {
			r.Payments = append(r.Payments, builder.Payment{[]byte{txscript.OP_RETURN, 1, 7}, 1})
		}, builder.ErrAmount, "OP_RETURN carrying 1 satoshis"},
		{"outputs exceed inputs", wpkh, func(r *builder.Request) { r.Change.Value = 41_000 }, builder.ErrAmount, "worth more than the inputs"},
		{"dust change", wpkh, func(r *builder.Request) { r.Change.Value = 293 }, builder.ErrDust, "the change is 293 satoshis, below the dust limit of 294"},
		{"dust taproot change", tr, func(r *builder.Request) { r.Change.Value = 329 }, builder.ErrDust, "330"},
		{"dust multisig change", ms, func(r *builder.Request) { r.Change.Value = 329 }, builder.ErrDust, "330"},
		{"zero change", wpkh, func(r *builder.Request) { r.Change.Value = 0 }, builder.ErrAmount, "Change nil"},
		{"hardened change index", wpkh, func(r *builder.Request) { r.Change.Index = descriptor.Hardened }, builder.ErrRequest, "hardened"},
		{"foreign input", wpkh, func(r *builder.Request) {
			c := fakeCoin(t, singleWallet(t, descriptor.P2SHP2WPKH).d, 0, 3, 60_000, 1)
			r.Inputs[0] = c
		}, builder.ErrNotWallet, "input 0"},
		{"input at the wrong index", wpkh, func(r *builder.Request) { r.Inputs[1].Index = 1 }, builder.ErrNotWallet, "branch 1, index 1"},
		{"input at the wrong branch", wpkh, func(r *builder.Request) { r.Inputs[1].Branch = 0 }, builder.ErrNotWallet, "branch 0, index 0"},
		{"input on branch 2", wpkh, func(r *builder.Request) { r.Inputs[1].Branch = 2 }, builder.ErrNotWallet, "receive (0) and change (1) only"},
		{"input at a hardened index", wpkh, func(r *builder.Request) { r.Inputs[0].Index |= descriptor.Hardened }, builder.ErrNotWallet, "hardened"},
		{"another multisig's coin", ms, func(r *builder.Request) {
			r.Inputs[0] = fakeCoin(t, other, 0, 3, 60_000, 1)
		}, builder.ErrNotWallet, "input 0"},
		{"missing previous transaction", wpkh, func(r *builder.Request) { r.Inputs[1].PrevTx = nil }, builder.ErrPrevTx, "getrawtransaction"},
		{"missing multisig previous transaction", ms, func(r *builder.Request) { r.Inputs[0].PrevTx = nil }, builder.ErrPrevTx, "input 0"},
		{"previous transaction of another coin", wpkh, func(r *builder.Request) { r.Inputs[0].PrevTx = r.Inputs[1].PrevTx }, builder.ErrPrevTx, "the previous transaction given is"},
		{"previous transaction too short", wpkh, func(r *builder.Request) { r.Inputs[0].OutPoint.Index = 2 }, builder.ErrPrevTx, "no output 2"},
		{"previous output of another value", wpkh, func(r *builder.Request) { r.Inputs[0].Value = 61_000 }, builder.ErrPrevTx, "worth 60000 satoshis in its transaction, not 61000"},
		{"previous output of another script", wpkh, func(r *builder.Request) { r.Inputs[0].OutPoint.Index = 0; r.Inputs[0].Value = 1000 }, builder.ErrPrevTx, "pays bcrt1q"},
		{"taproot previous transaction mismatch", tr, func(r *builder.Request) { r.Inputs[0].Value = 61_000 }, builder.ErrPrevTx, "not 61000"},
		{"zero input", wpkh, func(r *builder.Request) { r.Inputs[0].Value = 0 }, builder.ErrAmount, "input 0"},
		{"input above 21M", wpkh, func(r *builder.Request) { r.Inputs[0].Value = btcutil.MaxSatoshi + 1 }, builder.ErrAmount, "input 0"},
		{"inputs overflow", wpkh, func(r *builder.Request) {
			r.Inputs = []builder.Input{fakeCoin(t, wpkh, 0, 1, btcutil.MaxSatoshi, 1), fakeCoin(t, wpkh, 0, 2, 1, 2)}
		}, builder.ErrAmount, "inputs add up"},
		{"duplicate input", wpkh, func(r *builder.Request) { r.Inputs = append(r.Inputs, r.Inputs[0]) }, builder.ErrDuplicateInput, "inputs 0 and 2"},
		{"too many inputs", wpkh, func(r *builder.Request) {
			r.Inputs = nil
			for i := range psbt.MaxInputs + 1 {
				r.Inputs = append(r.Inputs, builder.Input{OutPoint: wire.OutPoint{Index: uint32(i)}})
			}
		}, builder.ErrTooLarge, "1001 inputs"},
		{"too many outputs", wpkh, func(r *builder.Request) {
			for range psbt.MaxOutputs {
				r.Payments = append(r.Payments, builder.Payment{foreignP2WPKH(1), 1000})
			}
		}, builder.ErrTooLarge, "1002 outputs"},
		{"too large for the kiosk", wpkh, func(r *builder.Request) {
			// 40 coins of one transaction of 1,000 outputs: 1.3 MB of
			// non_witness_utxo
			prev := wire.NewMsgTx(2)
			prev.AddTxIn(wire.NewTxIn(&wire.OutPoint{}, nil, nil))
			script, _ := wpkh.PkScript(0, 0)
			for range 1000 {
				prev.AddTxOut(wire.NewTxOut(10_000, script))
			}
			r.Inputs = nil
			for i := range 40 {
				r.Inputs = append(r.Inputs, builder.Input{OutPoint: wire.OutPoint{Hash: prev.TxHash(), Index: uint32(i)}, Value: 10_000, PkScript: script, PrevTx: prev})
			}
			r.Change = nil
		}, builder.ErrTooLarge, "previous transactions of inputs 0 to 25 alone"},
		{"too large in base64", wpkh, func(r *builder.Request) {
			// 25 coins of one transaction of 1,000 outputs, 776 kB of
			// non_witness_utxo, and 1,000 outputs
			prev := wire.NewMsgTx(2)
			prev.AddTxIn(wire.NewTxIn(&wire.OutPoint{}, nil, nil))
			script, _ := wpkh.PkScript(0, 0)
			for range 1000 {
				prev.AddTxOut(wire.NewTxOut(100_000, script))
			}
			r.Inputs = nil
			for i := range 25 {
				r.Inputs = append(r.Inputs, builder.Input{OutPoint: wire.OutPoint{Hash: prev.TxHash(), Index: uint32(i)}, Value: 100_000, PkScript: script, PrevTx: prev})
			}
			r.Change = nil
			for range psbt.MaxOutputs - 1 {
				r.Payments = append(r.Payments, builder.Payment{foreignP2WPKH(1), 1000})
			}
		}, builder.ErrTooLarge, "in base64, more than the kiosk's 1048576"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := withdrawal(t, c.wallet)
			c.edit(&req)
			p, err := builder.Build(req)
			if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("got %v, want %v saying %q", err, c.err, c.msg)
			}
			if p != nil {
				t.Error("a PSBT came with the error")
			}
		})
	}
}

// TestBuildEdges are requests at the limits that Build accepts.
func TestBuildEdges(t *testing.T) {
	w := singleWallet(t, descriptor.P2WPKH).d
	tr := singleWallet(t, descriptor.P2TR).d
	for _, c := range []struct {
		name   string
		wallet *descriptor.Descriptor
		edit   func(r *builder.Request)
	}{
		{"no change", w, func(r *builder.Request) { r.Change = nil }},
		{"change at the dust limit", w, func(r *builder.Request) { r.Change.Value = 294 }},
		{"payment at the dust limit", w, func(r *builder.Request) { r.Payments[0].Value = 294 }},
		{"zero fee", w, func(r *builder.Request) { r.Change.Value = 40_000 }},
		{"OP_RETURN of zero value", w, func(r *builder.Request) {
			r.Payments = append(r.Payments, builder.Payment{[]byte{txscript.OP_RETURN, 1, 7}, 0})
		}},
		{"taproot without previous transactions", tr, func(r *builder.Request) { r.Inputs[0].PrevTx, r.Inputs[1].PrevTx = nil, nil }},
		{"two coins of one transaction", w, func(r *builder.Request) {
			prev := r.Inputs[0].PrevTx.Copy()
			second, _ := w.PkScript(0, 4)
			prev.TxOut[0] = wire.NewTxOut(50_000, second)
			r.Inputs[0].PrevTx = prev
			r.Inputs[0].OutPoint.Hash = prev.TxHash()
			r.Inputs[1] = builder.Input{OutPoint: wire.OutPoint{Hash: prev.TxHash(), Index: 0}, Value: 50_000, PkScript: second, Index: 4, PrevTx: prev}
		}},
		{"explicit sequence, final", w, func(r *builder.Request) { r.Sequence = wire.MaxTxInSequenceNum }},
		{"1000 outputs", w, func(r *builder.Request) {
			r.Inputs[0] = fakeCoin(t, w, 0, 3, 400_000, 1)
			for range psbt.MaxOutputs - 2 {
				r.Payments = append(r.Payments, builder.Payment{foreignP2WPKH(1), 300})
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := withdrawal(t, c.wallet)
			c.edit(&req)
			p, err := builder.Build(req)
			if err != nil {
				t.Fatal(err)
			}
			q, _ := roundTrip(t, p)
			s, err := psbt.Analyze(q, c.wallet, psbt.DefaultPolicy)
			if err != nil {
				t.Fatal(err)
			}
			if !s.Signable() {
				t.Errorf("the kiosk refuses it: %v", s.Refusals)
			}
			if req.Sequence != 0 && p.UnsignedTx.TxIn[0].Sequence != req.Sequence {
				t.Errorf("sequence %#x, want %#x", p.UnsignedTx.TxIn[0].Sequence, req.Sequence)
			}
		})
	}
}

// TestBuildOrder checks BIP69 order without a seed, and a shuffle with one
// that depends only on the seed and the sets of coins and outputs; each
// input's PSBT fields stay with its coin.
func TestBuildOrder(t *testing.T) {
	d := singleWallet(t, descriptor.P2WPKH).d
	var ins []builder.Input
	for i := range 12 {
		ins = append(ins, fakeCoin(t, d, uint32(i%2), uint32(i), btcutil.Amount(10_000+i), i+1))
	}
	// two outputs of one value, so that the script breaks the tie
	pays := []builder.Payment{{foreignP2WPKH(3), 5_000}, {foreignP2TR(1), 7_000}, {foreignP2WPKH(2), 5_000}, {foreignP2PKH(1), 9_000}, {foreignP2WPKH(1), 20_000}}
	req := builder.Request{Wallet: d, Inputs: ins, Payments: pays, Change: &builder.Change{Index: 9, Value: 50_000}}
	build := func(req builder.Request) *btcpsbt.Packet {
		t.Helper()
		p, err := builder.Build(req)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	encode := func(p *btcpsbt.Packet) []byte {
		raw, err := psbt.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	reversed := req
	reversed.Inputs, reversed.Payments = slices.Clone(ins), slices.Clone(pays)
	slices.Reverse(reversed.Inputs)
	slices.Reverse(reversed.Payments)

	before := slices.Clone(ins)
	p := build(req)
	if !slices.EqualFunc(before, ins, func(a, b builder.Input) bool { return a.OutPoint == b.OutPoint }) {
		t.Error("Build reorders the request's inputs")
	}
	tx := p.UnsignedTx
	for i := 1; i < len(tx.TxIn); i++ {
		a, b := tx.TxIn[i-1].PreviousOutPoint.Hash.String(), tx.TxIn[i].PreviousOutPoint.Hash.String()
		if a > b {
			t.Errorf("inputs %d and %d are not in BIP69 order: %s, %s", i-1, i, a, b)
		}
	}
	for i := 1; i < len(tx.TxOut); i++ {
		a, b := tx.TxOut[i-1], tx.TxOut[i]
		if a.Value > b.Value || (a.Value == b.Value && bytes.Compare(a.PkScript, b.PkScript) > 0) {
			t.Errorf("outputs %d and %d are not in BIP69 order", i-1, i)
		}
	}
	if !bytes.Equal(encode(p), encode(build(reversed))) {
		t.Error("BIP69: the order of the request changes the PSBT")
	}
	checkAligned(t, p, ins)

	seeded := req
	seeded.ShuffleSeed = []byte("seed one")
	s1 := build(seeded)
	reversed.ShuffleSeed = seeded.ShuffleSeed
	if !bytes.Equal(encode(s1), encode(build(reversed))) {
		t.Error("shuffled: the order of the request changes the PSBT")
	}
	if !bytes.Equal(encode(s1), encode(build(seeded))) {
		t.Error("shuffled: the same seed gives another PSBT")
	}
	checkAligned(t, s1, ins)
	// The shuffle is defined by this package, not by math/rand: pinned.
	var values []int64
	for _, out := range s1.UnsignedTx.TxOut {
		values = append(values, out.Value)
	}
	if want := []int64{5000, 50000, 20000, 7000, 9000, 5000}; !slices.Equal(values, want) {
		t.Errorf("seed %q orders the outputs %v, want %v", seeded.ShuffleSeed, values, want)
	}
	if s1.UnsignedTx.TxHash() == p.UnsignedTx.TxHash() {
		t.Error("the shuffled transaction is in BIP69 order")
	}
	seeded.ShuffleSeed = []byte("seed two")
	if s2 := build(seeded); s2.UnsignedTx.TxHash() == s1.UnsignedTx.TxHash() {
		t.Error("two seeds give one order")
	}
	// where the change lands over 64 seeds: every position, roughly evenly
	where := make([]int, len(pays)+1)
	for i := range 64 {
		seeded.ShuffleSeed = []byte{byte(i)}
		for o, out := range build(seeded).UnsignedTx.TxOut {
			if out.Value == 50_000 {
				where[o]++
			}
		}
	}
	for o, n := range where {
		if n == 0 {
			t.Errorf("over 64 seeds the change never lands at output %d: %v", o, where)
		}
	}
}

// checkAligned checks every input's PSBT fields are its own coin's.
func checkAligned(t *testing.T, p *btcpsbt.Packet, ins []builder.Input) {
	t.Helper()
	for i, txIn := range p.UnsignedTx.TxIn {
		for _, in := range ins {
			if in.OutPoint != txIn.PreviousOutPoint {
				continue
			}
			if p.Inputs[i].NonWitnessUtxo != in.PrevTx || p.Inputs[i].WitnessUtxo.Value != int64(in.Value) || p.Inputs[i].Bip32Derivation[0].Bip32Path[4] != in.Index {
				t.Errorf("input %d carries another coin's fields", i)
			}
		}
	}
	for o, out := range p.UnsignedTx.TxOut {
		if (out.Value == 50_000) != (p.Outputs[o].Bip32Derivation != nil) {
			t.Errorf("output %d: derivations on the wrong output", o)
		}
	}
}
