package urwallet

import (
	"bytes"
	"strings"
	"testing"

	"airsign/offline/hd"
	"airsign/psbt/descriptor"
	"airsign/ui/qr/ur"
)

// testDescriptors are wallets of every type airsign registers, on mainnet
// and regtest: the four single-sig accounts and a 2-of-3 wsh(sortedmulti).
func testDescriptors(t *testing.T) []*descriptor.Descriptor {
	t.Helper()
	var descs []*descriptor.Descriptor
	for _, net := range []descriptor.Network{descriptor.Mainnet, descriptor.Regtest} {
		m, err := hd.MasterFromEntropy(make([]byte, 16), net)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range []descriptor.ScriptType{descriptor.P2PKH, descriptor.P2SHP2WPKH, descriptor.P2WPKH, descriptor.P2TR} {
			d, err := m.Account(st, 0)
			if err != nil {
				t.Fatal(err)
			}
			descs = append(descs, d)
		}
		multi := &descriptor.Descriptor{Script: descriptor.P2WSHMulti, Network: net, Threshold: 2}
		for i := byte(1); i <= 3; i++ {
			c, err := hd.MasterFromEntropy(bytes.Repeat([]byte{i}, 16), net)
			if err != nil {
				t.Fatal(err)
			}
			origin, key, err := c.CosignerKey(0)
			if err != nil {
				t.Fatal(err)
			}
			multi.Keys = append(multi.Keys, descriptor.Key{Origin: origin, Key: key})
			c.Wipe()
		}
		descs = append(descs, multi)
		m.Wipe()
	}
	return descs
}

func TestRoundTrip(t *testing.T) {
	descs := testDescriptors(t)
	for _, d := range descs {
		t.Run(d.Network.String()+"/"+d.Script.String(), func(t *testing.T) {
			o, err := Output(d)
			if err != nil {
				t.Fatal(err)
			}
			u, err := o.UR()
			if err != nil {
				t.Fatal(err)
			}
			text := ur.Encode(u)
			back, err := ur.Decode(text)
			if err != nil {
				t.Fatal(err)
			}
			o2, err := ur.DecodeOutput(back)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Descriptor(o2, d.Network)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != d.String() {
				t.Errorf("got  %s\nwant %s", got, d)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	m, _ := hd.MasterFromEntropy(make([]byte, 16), descriptor.Mainnet)
	defer m.Wipe()
	d, _ := m.Account(descriptor.P2WPKH, 0)
	o, _ := Output(d)
	tests := []struct {
		name string
		edit func(o *ur.Output)
		net  descriptor.Network
		want string
	}{
		{"mainnet key on regtest", func(o *ur.Output) {}, descriptor.Regtest, "not bitcoin regtest"},
		{"private", func(o *ur.Output) { o.Keys[0].Private = true }, descriptor.Mainnet, "public keys only"},
		{"no origin", func(o *ur.Output) { o.Keys[0].Origin = nil }, descriptor.Mainnet, "origin"},
		{"other script", func(o *ur.Output) { o.Script = "sh(sortedmulti)" }, descriptor.Mainnet, "not a wallet type airsign registers"},
		{"other children", func(o *ur.Output) {
			o.Keys[0].Children = &ur.Keypath{Components: []ur.PathComponent{{Kind: ur.ChildIndex, Index: 5}, {Kind: ur.ChildWildcard}}}
		}, descriptor.Mainnet, "derives 5/*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := o
			c.Keys = append([]ur.HDKey(nil), o.Keys...)
			tt.edit(&c)
			_, err := Descriptor(c, tt.net)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}
