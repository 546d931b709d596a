package psbt

import (
	"errors"
	"testing"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"

	"airsign/psbt/descriptor"
)

// signedPSBTs are PSBTs signed by Sign for every wallet type, each with the
// number of signatures it carries.
func signedPSBTs(t *testing.T) map[string]struct {
	p    *btcpsbt.Packet
	sigs int
} {
	out := map[string]struct {
		p    *btcpsbt.Packet
		sigs int
	}{}
	for _, st := range allScripts {
		m, d := testWallet(t, st, descriptor.Regtest)
		p := buildPSBT(t, d, []spend{{branch: 0, index: 3, amount: 60_000}, {branch: 1, index: 0, amount: 50_000}}, []pay{{amount: 70_000, script: foreignScript(t, 9)}, {amount: 38_000, branch: 1, index: 1}})
		if _, err := Sign(p, d, DefaultPolicy, m); err != nil {
			t.Fatal(err)
		}
		m.Wipe()
		out[st.String()] = struct {
			p    *btcpsbt.Packet
			sigs int
		}{p, 2}
	}
	for _, st := range []descriptor.ScriptType{descriptor.P2WSHMulti, descriptor.P2SHP2WSHMulti} {
		masters, d := multisigWallet(t, st, 2)
		copies := signedCopies(t, honestMultisig(t, d), d, masters[0], masters[2])
		p, err := Combine(copies...)
		if err != nil {
			t.Fatal(err)
		}
		out[st.String()] = struct {
			p    *btcpsbt.Packet
			sigs int
		}{p, 4}
	}
	return out
}

func TestVerifySignatures(t *testing.T) {
	for name, c := range signedPSBTs(t) {
		t.Run(name, func(t *testing.T) {
			n, err := VerifySignatures(c.p)
			if err != nil {
				t.Fatal(err)
			}
			if n != c.sigs {
				t.Errorf("checked %d signatures, want %d", n, c.sigs)
			}
			// a flipped bit in any signature is caught
			q := clonePacket(t, c.p).Packet
			if sig := q.Inputs[1].TaprootKeySpendSig; len(sig) > 0 {
				sig[10] ^= 1
			} else {
				q.Inputs[1].PartialSigs[0].Signature[10] ^= 1
			}
			if _, err := VerifySignatures(q); !errors.Is(err, ErrBadSignature) {
				t.Errorf("tampered signature: got %v, want ErrBadSignature", err)
			}
			// a signature moved to another transaction is caught: pay less
			q = clonePacket(t, c.p).Packet
			q.UnsignedTx.TxOut[0].Value -= 1_000
			if _, err := VerifySignatures(q); !errors.Is(err, ErrBadSignature) {
				t.Errorf("changed output: got %v, want ErrBadSignature", err)
			}
			// finalized inputs are checked by their final scripts
			f := clonePacket(t, c.p).Packet
			if _, err := Finalize(f); err != nil {
				t.Fatal(err)
			}
			if n, err := VerifySignatures(f); err != nil || n != 2 {
				t.Errorf("finalized: checked %d, err %v; want 2 inputs, nil", n, err)
			}
		})
	}
}

func TestVerifySignaturesRefusals(t *testing.T) {
	c := signedPSBTs(t)["p2wpkh"]
	tests := []struct {
		name   string
		mutate func(p *btcpsbt.Packet)
	}{
		{"signature by another key", func(p *btcpsbt.Packet) {
			p.Inputs[0].PartialSigs[0].PubKey = p.Inputs[1].PartialSigs[0].PubKey
		}},
		{"not DER", func(p *btcpsbt.Packet) { p.Inputs[0].PartialSigs[0].Signature = []byte{1, 2, 3, 1} }},
		{"empty", func(p *btcpsbt.Packet) { p.Inputs[0].PartialSigs[0].Signature = nil }},
		{"other sighash byte", func(p *btcpsbt.Packet) {
			s := p.Inputs[0].PartialSigs[0].Signature
			s[len(s)-1] = 0x02
		}},
		{"spent amount changed", func(p *btcpsbt.Packet) { setPrevValue(p, 0, 61_000) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := clonePacket(t, c.p).Packet
			tt.mutate(q)
			if _, err := VerifySignatures(q); err == nil {
				t.Error("verified")
			}
		})
	}
}
