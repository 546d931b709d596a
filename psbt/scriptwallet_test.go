package psbt

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/offline/hd"
	"airsign/psbt/descriptor"
)

// recoveryWallet is a wallet of four test seeds (entropy 0x01… to 0x04…)
// whose template names them @0 to @3: 2 of the first three, or the fourth
// after a relative lock.
func recoveryWallet(t testing.TB, template string) ([]*hd.Master, *descriptor.ScriptWallet) {
	t.Helper()
	var masters []*hd.Master
	pol := descriptor.WalletPolicy{Template: template}
	for i := range 4 {
		m, err := hd.MasterFromEntropy(bytes.Repeat([]byte{byte(i + 1)}, 16), descriptor.Regtest)
		if err != nil {
			t.Fatal(err)
		}
		origin, key, err := m.CosignerKey(0)
		if err != nil {
			t.Fatal(err)
		}
		masters = append(masters, m)
		pol.Keys = append(pol.Keys, "["+origin.String()+"]"+key.String())
	}
	w, err := descriptor.ParseWalletPolicy(pol, descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	return masters, w
}

const (
	wshRecovery = "wsh(or_d(multi(2,@0/**,@1/**,@2/**),and_v(v:pkh(@3/**),older(52560))))"
	trRecovery  = "tr(" + descriptor.NUMS + ",{sortedmulti_a(2,@0/**,@1/**,@2/**),and_v(v:pk(@3/**),older(4320))})"
	// wshDecaying is 3 of the four keys, or 2 of them after the lock.
	wshDecaying = "wsh(thresh(3,pk(@0/**),s:pk(@1/**),s:pk(@2/**),s:pk(@3/**),sln:older(144)))"
)

// scriptPSBT spends the wallet's coin at receive 2 to a foreign script
// with change at 1/0, as a careful coordinator builds it: previous
// transaction, witness UTXO, every key's derivation, and the witness
// script or taproot fields.
func scriptPSBT(t testing.TB, w *descriptor.ScriptWallet, sequence uint32) *btcpsbt.Packet {
	t.Helper()
	in, err := w.Derive(0, 2)
	if err != nil {
		t.Fatal(err)
	}
	change, err := w.Derive(1, 0)
	if err != nil {
		t.Fatal(err)
	}
	prev := wire.NewMsgTx(2)
	prev.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{9}, Index: 1}, nil, nil))
	prev.AddTxOut(wire.NewTxOut(100_000, in.PkScript))
	tx := wire.NewMsgTx(2)
	txIn := wire.NewTxIn(&wire.OutPoint{Hash: prev.TxHash(), Index: 0}, nil, nil)
	txIn.Sequence = sequence
	tx.AddTxIn(txIn)
	tx.AddTxOut(wire.NewTxOut(60_000, foreignScript(t, 9)))
	tx.AddTxOut(wire.NewTxOut(39_000, change.PkScript))
	p, err := btcpsbt.NewFromUnsignedTx(tx)
	if err != nil {
		t.Fatal(err)
	}
	p.Inputs[0].NonWitnessUtxo = prev
	p.Inputs[0].WitnessUtxo = prev.TxOut[0]
	p.Inputs[0].WitnessScript = in.WitnessScript
	scriptDerivations(w, in, &p.Inputs[0].Bip32Derivation, &p.Inputs[0].TaprootBip32Derivation)
	scriptDerivations(w, change, &p.Outputs[1].Bip32Derivation, &p.Outputs[1].TaprootBip32Derivation)
	p.Outputs[1].WitnessScript = change.WitnessScript
	return p
}

func scriptDerivations(w *descriptor.ScriptWallet, d *descriptor.Derived, ds *[]*btcpsbt.Bip32Derivation, tds *[]*btcpsbt.TaprootBip32Derivation) {
	for _, k := range d.Keys {
		fp := fingerprintUint32(w.Keys[k.Index].Origin.Fingerprint)
		if d.OutputKey == nil {
			*ds = append(*ds, &btcpsbt.Bip32Derivation{PubKey: k.Pub.SerializeCompressed(), MasterKeyFingerprint: fp, Bip32Path: k.Path})
			continue
		}
		var leaves [][]byte
		for _, l := range d.Leaves {
			if bytes.Contains(l.Script, schnorr.SerializePubKey(k.Pub)) {
				leaves = append(leaves, l.Hash[:])
			}
		}
		*tds = append(*tds, &btcpsbt.TaprootBip32Derivation{XOnlyPubKey: schnorr.SerializePubKey(k.Pub), LeafHashes: leaves, MasterKeyFingerprint: fp, Bip32Path: k.Path})
	}
}

func TestScriptWalletSpend(t *testing.T) {
	const rbf = wire.MaxTxInSequenceNum - 2
	tests := []struct {
		name     string
		template string
		sequence uint32
		signers  []int
		path     string // the Summary's, for every signer
		refused  bool   // the last signer refuses
	}{
		{"wsh primary", wshRecovery, rbf, []int{0, 2}, "primary: 2 of 397a4a50, c8e3b3d3, 70ecd03a", false},
		{"wsh recovery before maturity", wshRecovery, 52559, []int{3}, "", true},
		{"wsh recovery after maturity", wshRecovery, 52560, []int{3}, "RECOVERY: 63b57ef1, 52560 blocks (about 365 days) after the coin confirms", false},
		{"wsh primary with the lock met", wshRecovery, 52560, []int{1, 2}, "primary: ", false},
		{"tr NUMS sortedmulti_a primary", trRecovery, rbf, []int{1, 2}, "primary: 2 of ", false},
		{"tr recovery leaf before maturity", trRecovery, 4319, []int{3}, "", true},
		{"tr recovery leaf after maturity", trRecovery, 4320, []int{3}, "RECOVERY: ", false},
		{"decaying, 3 of 4", wshDecaying, rbf, []int{0, 1, 2}, "primary: ", false},
		// the lock met: each signature also serves 2 of 4, a recovery spend
		{"decaying, 2 of 4 after the lock", wshDecaying, 144, []int{0, 3}, "RECOVERY: ", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			masters, w := recoveryWallet(t, tt.template)
			p := scriptPSBT(t, w, tt.sequence)
			for _, who := range tt.signers {
				pol := Policy{Cosigner: masters[who].Fingerprint()}
				s, err := SignScriptWallet(p, w, pol, masters[who])
				if tt.refused {
					if !errors.Is(err, ErrNotSignable) || s == nil || len(s.Refusals) == 0 || s.Refusals[0].Code != CodeRecoveryLocked {
						t.Fatalf("signer %d: err %v, summary %+v; want a %s refusal", who, err, s, CodeRecoveryLocked)
					}
					if msg := s.Refusals[0].Message; !strings.Contains(msg, "has not matured") {
						t.Errorf("refusal %q does not say the lock has not matured", msg)
					}
					return
				}
				if err != nil {
					t.Fatalf("signer %d: %v", who, err)
				}
				if !strings.Contains(s.Path, tt.path) || s.Recovery != strings.HasPrefix(tt.path, "RECOVERY") {
					t.Errorf("signer %d: path %q, recovery %v; want %q...", who, s.Path, s.Recovery, tt.path)
				}
				if s.Outputs[1].Kind != Change {
					t.Errorf("output 1 is %v; want change", s.Outputs[1].Kind)
				}
			}
			if _, err := FinalizeScriptWallet(p, w); err != nil {
				t.Fatalf("finalize (the script engine checks it): %v", err)
			}
		})
	}
}

// The kiosk signs only the wallet's own scripts: a witness script or tap
// leaf that differs from the registered policy's is refused.
func TestScriptWalletForeignScripts(t *testing.T) {
	masters, w := recoveryWallet(t, wshRecovery)
	p := scriptPSBT(t, w, wire.MaxTxInSequenceNum-2)
	p.Inputs[0].WitnessScript = append([]byte{txscript.OP_DROP}, p.Inputs[0].WitnessScript...)
	s, err := AnalyzeScriptWallet(p, w, Policy{Cosigner: masters[0].Fingerprint()})
	if err != nil || len(s.Refusals) == 0 || s.Refusals[0].Code != CodeWitnessScriptMismatch {
		t.Errorf("err %v, refusals %v; want %s", err, s.Refusals, CodeWitnessScriptMismatch)
	}

	masters, w = recoveryWallet(t, trRecovery)
	p = scriptPSBT(t, w, wire.MaxTxInSequenceNum-2)
	d, _ := w.Derive(0, 2)
	other := txscript.NewBaseTapLeaf([]byte{txscript.OP_TRUE})
	p.Inputs[0].TaprootLeafScript = []*btcpsbt.TaprootTapLeafScript{{ControlBlock: d.Leaves[0].ControlBlock, Script: other.Script, LeafVersion: txscript.BaseLeafVersion}}
	s, err = AnalyzeScriptWallet(p, w, Policy{Cosigner: masters[0].Fingerprint()})
	if err != nil || len(s.Refusals) == 0 || s.Refusals[0].Code != CodeWitnessScriptMismatch {
		t.Errorf("err %v, refusals %v; want %s", err, s.Refusals, CodeWitnessScriptMismatch)
	}
}
