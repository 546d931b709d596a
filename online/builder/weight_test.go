package builder_test

import (
	"errors"
	"testing"

	"airsign/online/builder"
	"airsign/psbt/descriptor"
)

// TestWeights pins the estimates to the sizes wallets publish: 148 vbytes
// per P2PKH input, 91 per P2SH-P2WPKH, 68 per P2WPKH, 57.5 per P2TR, and a
// 2-of-3's two signatures and 105-byte witness script.
func TestWeights(t *testing.T) {
	for _, c := range []struct {
		w             wallet
		input, change int
		base          int // with one P2WPKH payment
	}{
		{singleWallet(t, descriptor.P2PKH), 148 * 4, 34 * 4, 4*(4+4+1+1) + 31*4},
		{singleWallet(t, descriptor.P2SHP2WPKH), 64*4 + 108, 32 * 4, 4*(4+4+1+1) + 2 + 31*4},
		{singleWallet(t, descriptor.P2WPKH), 41*4 + 108, 31 * 4, 4*(4+4+1+1) + 2 + 31*4},
		{singleWallet(t, descriptor.P2TR), 41*4 + 66, 43 * 4, 4*(4+4+1+1) + 2 + 31*4},
		{multisigWallet(t, descriptor.P2WSHMulti), 41*4 + 1 + 1 + 2*73 + 1 + 105, 43 * 4, 4*(4+4+1+1) + 2 + 31*4},
		{multisigWallet(t, descriptor.P2SHP2WSHMulti), 76*4 + 1 + 1 + 2*73 + 1 + 105, 32 * 4, 4*(4+4+1+1) + 2 + 31*4},
	} {
		d := c.w.d
		in, err := builder.InputWeight(d)
		if err != nil || in != c.input {
			t.Errorf("%s: InputWeight = %d, %v; want %d", c.w.name, in, err, c.input)
		}
		if got := builder.ChangeWeight(d); got != c.change {
			t.Errorf("%s: ChangeWeight = %d, want %d", c.w.name, got, c.change)
		}
		change, _ := d.PkScript(1, 0)
		if got := builder.OutputWeight(change); got != c.change {
			t.Errorf("%s: OutputWeight(change) = %d, want %d", c.w.name, got, c.change)
		}
		pay := [][]byte{foreignP2WPKH(1)}
		if got := builder.BaseWeight(d, pay); got != c.base {
			t.Errorf("%s: BaseWeight = %d, want %d", c.w.name, got, c.base)
		}
		// 253 inputs take a 3-byte count: Weight counts it, BaseWeight
		// (sized for 252) does not
		if got, _ := builder.Weight(d, 253, pay, false); got != c.base+8+253*c.input {
			t.Errorf("%s: Weight of 253 inputs = %d, want %d", c.w.name, got, c.base+8+253*c.input)
		}
	}

	if _, err := builder.InputWeight(nil); !errors.Is(err, builder.ErrRequest) {
		t.Errorf("InputWeight(nil): got %v, want ErrRequest", err)
	}
	bad := &descriptor.Descriptor{Script: descriptor.P2WSHMulti, Threshold: 3, Keys: make([]descriptor.Key, 2)}
	if _, err := builder.InputWeight(bad); !errors.Is(err, builder.ErrRequest) {
		t.Errorf("InputWeight(3-of-2): got %v, want ErrRequest", err)
	}
	if got := builder.ChangeWeight(nil); got != 43*4 {
		t.Errorf("ChangeWeight(nil) = %d, want the largest standard output's, %d", got, 43*4)
	}
}
