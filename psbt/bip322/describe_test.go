package bip322

import (
	"bytes"
	"testing"
)

func TestDescribe(t *testing.T) {
	f := newReserveFixture(t)
	p, err := ReservesPSBT(challenge, f.coins[0].Script, f.coins)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Describe(p, challenge)
	if err != nil {
		t.Fatal(err)
	}
	if r.Amount != f.total || len(r.Coins) != len(f.coins) || !bytes.Equal(r.Commitment, f.coins[0].Script.PkScript) || !bytes.Equal(r.Message, challenge) {
		t.Errorf("Describe = %+v, want %v in %d coins committed by %x", r, f.total, len(f.coins), f.coins[0].Script.PkScript)
	}
	if _, err := Describe(p, append(bytes.Clone(challenge), '\n')); err == nil {
		t.Error("Describe accepted a message that is not the one signed")
	}
	one, err := ToSignPSBT([]byte("deposit address 7"), f.coins[1].Script)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := Describe(one, []byte("deposit address 7")); err != nil || r.Amount != 0 || len(r.Coins) != 0 {
		t.Errorf("Describe of one address = %+v, %v; want no coins", r, err)
	}
	one.Inputs[0].NonWitnessUtxo = f.coins[0].PrevTx
	if _, err := Describe(one, []byte("deposit address 7")); err == nil {
		t.Error("Describe accepted a PSBT whose input 0 carries no to_spend")
	}
}
