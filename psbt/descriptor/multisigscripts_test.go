package descriptor_test

import (
	"bytes"
	"testing"

	"airsign/offline/hd"
	"airsign/psbt/descriptor"
)

// MultisigScripts gives what the separate methods give, for both multisig
// types.
func TestMultisigScriptsMatchMethods(t *testing.T) {
	for _, st := range []descriptor.ScriptType{descriptor.P2WSHMulti, descriptor.P2SHP2WSHMulti} {
		d := &descriptor.Descriptor{Script: st, Network: descriptor.Regtest, Threshold: 2}
		for i := byte(1); i <= 3; i++ {
			m, err := hd.MasterFromEntropy(bytes.Repeat([]byte{i}, 16), descriptor.Regtest)
			if err != nil {
				t.Fatal(err)
			}
			origin, key, err := m.CosignerKey(0)
			if err != nil {
				t.Fatal(err)
			}
			m.Wipe()
			d.Keys = append(d.Keys, descriptor.Key{Origin: origin, Key: key})
		}
		b, err := d.Deriver(1)
		if err != nil {
			t.Fatal(err)
		}
		keys, witness, redeem, pk, err := b.MultisigScripts(7)
		if err != nil {
			t.Fatal(err)
		}
		wantKeys, _ := d.PublicKeys(1, 7)
		wantWitness, _ := d.WitnessScript(1, 7)
		wantPK, _ := d.PkScript(1, 7)
		for i := range wantKeys {
			if !keys[i].IsEqual(wantKeys[i]) {
				t.Errorf("%s: key %d differs", st, i)
			}
		}
		if !bytes.Equal(witness, wantWitness) || !bytes.Equal(pk, wantPK) {
			t.Errorf("%s: scripts differ", st)
		}
		wantRedeem, err := d.RedeemScript(1, 7)
		switch {
		case st == descriptor.P2SHP2WSHMulti && (err != nil || !bytes.Equal(redeem, wantRedeem)):
			t.Errorf("%s: redeem script %x, want %x (%v)", st, redeem, wantRedeem, err)
		case st == descriptor.P2WSHMulti && redeem != nil:
			t.Errorf("%s: a redeem script for P2WSH", st)
		}
	}
}
