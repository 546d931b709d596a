package psbt

import (
	"bytes"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/txscript"

	"airsign/offline/hd"
	"airsign/psbt/descriptor"
)

func TestSignFinalizeEveryScriptType(t *testing.T) {
	for _, st := range allScripts {
		t.Run(st.String(), func(t *testing.T) {
			m, d := testWallet(t, st, descriptor.Regtest)
			defer m.Wipe()
			p := buildPSBT(t, d, []spend{{branch: 0, index: 3, amount: 60_000}, {branch: 1, index: 0, amount: 50_000}}, []pay{{amount: 70_000, script: foreignScript(t, 9)}, {amount: 38_000, branch: 1, index: 1}})
			s, err := Sign(p, d, DefaultPolicy, m)
			if err != nil {
				t.Fatal(err)
			}
			tx, err := Finalize(p)
			if err != nil {
				t.Fatal(err)
			}
			// the estimate is an upper bound that is close
			weight := int64(tx.SerializeSizeStripped()*3 + tx.SerializeSize())
			vsize := (weight + 3) / 4
			if vsize > s.VSize || s.VSize-vsize > 2 {
				t.Errorf("signed vsize %d, estimated %d: want the estimate at most 2 vbytes above", vsize, s.VSize)
			}
		})
	}
}

// Deterministic nonces: signing the same PSBT twice gives the same bytes.
func TestSignDeterministic(t *testing.T) {
	for _, st := range allScripts {
		m, d := testWallet(t, st, descriptor.Regtest)
		build := func() []byte {
			p := buildPSBT(t, d, []spend{{branch: 0, index: 0, amount: 60_000}}, []pay{{amount: 50_000, script: foreignScript(t, 9)}})
			if _, err := Sign(p, d, DefaultPolicy, m); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := p.Serialize(&buf); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes()
		}
		if a, b := build(), build(); !bytes.Equal(a, b) {
			t.Errorf("%s: two signatures of one PSBT differ", st)
		}
		m.Wipe()
	}
}

func TestSignRefuses(t *testing.T) {
	m, d := testWallet(t, descriptor.P2WPKH, descriptor.Regtest)
	defer m.Wipe()
	p := buildPSBT(t, d, []spend{{branch: 0, index: 0, amount: 60_000}}, []pay{{amount: 50_000, script: foreignScript(t, 9)}})
	p.Inputs[0].SighashType = txscript.SigHashNone
	if _, err := Sign(p, d, DefaultPolicy, m); !errors.Is(err, ErrNotSignable) {
		t.Errorf("got %v, want ErrNotSignable", err)
	}
	if len(p.Inputs[0].PartialSigs) != 0 {
		t.Error("a refused PSBT got a signature")
	}

	// keys of another seed than the descriptor's
	other, err := hd.MasterFromEntropy(bytes.Repeat([]byte{7}, 16), descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Wipe()
	p = buildPSBT(t, d, []spend{{branch: 0, index: 0, amount: 60_000}}, []pay{{amount: 50_000, script: foreignScript(t, 9)}})
	if _, err := Sign(p, d, DefaultPolicy, other); err == nil {
		t.Error("signed with another wallet's keys")
	}

	// a wiped session signs nothing
	m.Wipe()
	p = buildPSBT(t, d, []spend{{branch: 0, index: 0, amount: 60_000}}, []pay{{amount: 50_000, script: foreignScript(t, 9)}})
	if _, err := Sign(p, d, DefaultPolicy, m); !errors.Is(err, hd.ErrWiped) {
		t.Errorf("after Wipe: got %v, want ErrWiped", err)
	}
}

// countingKeys counts derivations, to prove each input derives its key
// once and nothing re-derives per input from the master more than needed.
type countingKeys struct {
	KeyRing
	n int
}

func (c *countingKeys) DerivePrivate(path []uint32) (*btcec.PrivateKey, error) {
	c.n++
	return c.KeyRing.DerivePrivate(path)
}

func TestSignDerivesOncePerInput(t *testing.T) {
	m, d := testWallet(t, descriptor.P2WPKH, descriptor.Regtest)
	defer m.Wipe()
	var ins []spend
	for i := uint32(0); i < 10; i++ {
		ins = append(ins, spend{branch: 0, index: i, amount: 10_000})
	}
	p := buildPSBT(t, d, ins, []pay{{amount: 90_000, script: foreignScript(t, 9)}})
	keys := &countingKeys{KeyRing: m}
	if _, err := Sign(p, d, DefaultPolicy, keys); err != nil {
		t.Fatal(err)
	}
	if keys.n != 10 {
		t.Errorf("derived %d keys for 10 inputs, want 10", keys.n)
	}
}

// BIP174 lets a segwit input carry only its previous transaction, which is
// what proves its amount. btcd's finalizer chooses between witness and
// legacy spends by the witness UTXO alone and would build a legacy
// scriptSig; Finalize adds the witness UTXO first.
func TestFinalizeWithoutWitnessUTXO(t *testing.T) {
	type wallet struct {
		d       *descriptor.Descriptor
		signers []*hd.Master
	}
	var wallets []wallet
	for _, st := range allScripts {
		m, d := testWallet(t, st, descriptor.Regtest)
		wallets = append(wallets, wallet{d, []*hd.Master{m}})
	}
	for _, st := range multisigScripts {
		masters, d := multisigWallet(t, st, 2)
		wallets = append(wallets, wallet{d, masters[:2]})
	}
	for _, w := range wallets {
		t.Run(w.d.Script.String(), func(t *testing.T) {
			p := buildPSBT(t, w.d, []spend{{branch: 0, index: 3, amount: 60_000}}, []pay{{amount: 50_000, script: foreignScript(t, 9)}})
			p.Inputs[0].WitnessUtxo = nil
			combined, err := Combine(signedCopies(t, p, w.d, w.signers...)...)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Finalize(combined); err != nil {
				t.Error(err)
			}
		})
	}
}
