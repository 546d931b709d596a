package builder_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"airsign/offline/hd"
	"airsign/online/builder"
	"airsign/psbt"
	"airsign/psbt/descriptor"
)

// templateWallet is a template's wallet of four test seeds (entropy
// 0x01… to 0x04…): three primary keys, the fourth for recovery.
func templateWallet(t testing.TB, kind descriptor.TemplateKind, after uint32) ([]*hd.Master, *descriptor.ScriptWallet) {
	t.Helper()
	var masters []*hd.Master
	var keys []string
	for i := range 4 {
		m, err := hd.MasterFromEntropy(bytes.Repeat([]byte{byte(i + 1)}, 16), descriptor.Regtest)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.Wipe)
		origin, key, err := m.CosignerKey(0)
		if err != nil {
			t.Fatal(err)
		}
		masters = append(masters, m)
		keys = append(keys, "["+origin.String()+"]"+key.String())
	}
	tmpl := descriptor.Template{Kind: kind, Threshold: 2, Keys: keys[:3], Recovery: keys[3:], After: after}
	switch kind {
	case descriptor.TemplateDecaying:
		tmpl.Recovery = nil
	case descriptor.TemplateTaproot:
		tmpl.Recovery, tmpl.After = nil, 0
	}
	w, err := tmpl.Policy(descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	return masters, w
}

// scriptCoin is a coin of w at branch/index in a fabricated funding
// transaction.
func scriptCoin(t testing.TB, w *descriptor.ScriptWallet, branch, index uint32, value btcutil.Amount, n int) builder.Input {
	t.Helper()
	d, err := w.Derive(branch, index)
	if err != nil {
		t.Fatal(err)
	}
	prev := wire.NewMsgTx(2)
	prev.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{byte(n), 0xaa}, Index: uint32(n)}, nil, nil))
	prev.AddTxOut(wire.NewTxOut(int64(value), d.PkScript))
	return builder.Input{OutPoint: wire.OutPoint{Hash: prev.TxHash()}, Value: value, PkScript: d.PkScript, Branch: branch, Index: index, PrevTx: prev}
}

// A script wallet's PSBT, as built, is one each kiosk signs for the path
// its nSequence opens, and the satisfier finalizes into a transaction the
// script engine accepts and whose weight the estimate covers.
func TestBuildScriptWallet(t *testing.T) {
	const lock = 144
	tests := []struct {
		name     string
		kind     descriptor.TemplateKind
		sequence uint32
		signers  []int
		refused  bool // by the kiosk
		unfinal  bool // signed, but the signatures and locks meet no path
	}{
		{"wsh primary", descriptor.TemplateRecovery, 0, []int{0, 2}, false, false},
		{"wsh recovery", descriptor.TemplateRecovery, lock, []int{3}, false, false},
		{"wsh recovery early", descriptor.TemplateRecovery, lock - 1, []int{3}, true, false},
		{"wsh recovery key on the primary path", descriptor.TemplateRecovery, 0, []int{3}, true, false},
		{"tr primary", descriptor.TemplateTaprootRecovery, 0, []int{1, 2}, false, false},
		{"tr recovery", descriptor.TemplateTaprootRecovery, lock, []int{3}, false, false},
		{"tr recovery early", descriptor.TemplateTaprootRecovery, lock - 1, []int{3}, true, false},
		{"decaying 2 of 3", descriptor.TemplateDecaying, 0, []int{0, 1}, false, false},
		{"decaying 1 of 3 after the lock", descriptor.TemplateDecaying, lock, []int{2}, false, false},
		{"tr 2 of 3", descriptor.TemplateTaproot, 0, []int{0, 2}, false, false},
		{"decaying 1 of 3 before the lock", descriptor.TemplateDecaying, lock - 1, []int{2}, false, true},
		{"tr 1 of 3", descriptor.TemplateTaproot, 0, []int{1}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			masters, w := templateWallet(t, tt.kind, lock)
			ins := []builder.Input{scriptCoin(t, w, 0, 3, 150_000, 1), scriptCoin(t, w, 1, 0, 70_000, 2)}
			pay := [][]byte{foreignP2WPKH(5)}
			p, err := builder.Build(builder.Request{Script: w, Inputs: ins, Sequence: tt.sequence, LockTime: 200,
				Payments: []builder.Payment{{PkScript: pay[0], Value: 100_000}}, Change: &builder.Change{Index: 4, Value: 110_000}})
			if err != nil {
				t.Fatal(err)
			}
			p, _ = roundTrip(t, p)
			for _, who := range tt.signers {
				s, err := psbt.SignScriptWallet(p, w, policy(masters[who]), masters[who])
				if tt.refused {
					if !errors.Is(err, psbt.ErrNotSignable) || s == nil || len(s.Refusals) == 0 || s.Refusals[0].Code != psbt.CodeRecoveryLocked {
						t.Fatalf("signer %d: %v, %+v; want %s", who, err, s, psbt.CodeRecoveryLocked)
					}
					return
				}
				if err != nil {
					t.Fatalf("signer %d: %v (%+v)", who, err, s.Refusals)
				}
				if got := s.Outputs[1].Kind; got != psbt.Change && s.Outputs[0].Kind != psbt.Change {
					t.Errorf("the kiosk sees no change output")
				}
			}
			tx, err := psbt.FinalizeScriptWallet(p, w)
			if tt.unfinal {
				if err == nil {
					t.Fatal("finalized without a path's signatures and locks")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			est, err := builder.ScriptWeight(w, 2, pay, true)
			if err != nil {
				t.Fatal(err)
			}
			// The estimate covers the costliest path; the primary
			// and recovery paths are within 40 vbytes an input of it.
			if got := txWeight(tx); got > est || est-got > 2*4*40 {
				t.Errorf("weight %d; estimated %d", got, est)
			}
		})
	}
}

func TestBuildScriptWalletRefuses(t *testing.T) {
	_, w := templateWallet(t, descriptor.TemplateRecovery, 10)
	coin := scriptCoin(t, w, 0, 1, 50_000, 1)
	pay := []builder.Payment{{PkScript: foreignP2WPKH(5), Value: 40_000}}
	tests := []struct {
		name string
		req  builder.Request
		want error
	}{
		{"two wallets", builder.Request{Script: w, Wallet: singleWallet(t, descriptor.P2WPKH).d, Inputs: []builder.Input{coin}, Payments: pay}, builder.ErrRequest},
		{"another index", builder.Request{Script: w, Inputs: []builder.Input{func() builder.Input { c := coin; c.Index = 2; return c }()}, Payments: pay}, builder.ErrNotWallet},
		{"no previous transaction", builder.Request{Script: w, Inputs: []builder.Input{func() builder.Input { c := coin; c.PrevTx = nil; return c }()}, Payments: pay}, builder.ErrPrevTx},
	}
	for _, tt := range tests {
		if _, err := builder.Build(tt.req); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v; want %v", tt.name, err, tt.want)
		}
	}
}
