package descriptor

import (
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil/hdkeychain"
)

// A wallet is what it pays to: the same keys in another order, under other
// origins, or serialized with other metadata are the same wallet; another
// threshold, script type or key is another wallet.
func TestIdentity(t *testing.T) {
	xpub1 := bip129Key1[strings.IndexByte(bip129Key1, ']')+1:]
	xpub2 := bip129Key2[strings.IndexByte(bip129Key2, ']')+1:]
	// xpub1 with another parent fingerprint: the same public key and chain
	// code, so the same derived keys.
	k, err := hdkeychain.NewKeyFromString(xpub1)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := k.ECPubKey()
	version := k.Version()
	relabelled := hdkeychain.NewExtendedKey(version, pub.SerializeCompressed(), k.ChainCode(), []byte{0xde, 0xad, 0xbe, 0xef}, k.Depth(), k.ChildIndex(), false).String()
	if relabelled == xpub1 {
		t.Fatal("the relabelled key serializes the same")
	}
	base := "wsh(sortedmulti(2," + bip129Key1 + "/<0;1>/*," + bip129Key2 + "/<0;1>/*))"
	tests := []struct {
		name string
		desc string
		same bool
	}{
		{"keys in the other order", "wsh(sortedmulti(2," + bip129Key2 + "/<0;1>/*," + bip129Key1 + "/<0;1>/*))", true},
		{"other key origins", "wsh(sortedmulti(2,[00000001/48'/0'/9'/2']" + xpub1 + "/<0;1>/*,[00000002/1/2/3/2']" + xpub2 + "/<0;1>/*))", true},
		{"a key with another parent fingerprint", "wsh(sortedmulti(2,[1cf0bf7e/48'/0'/0'/2']" + relabelled + "/<0;1>/*," + bip129Key2 + "/<0;1>/*))", true},
		{"another threshold", "wsh(sortedmulti(1," + bip129Key1 + "/<0;1>/*," + bip129Key2 + "/<0;1>/*))", false},
		{"another script type", "sh(wsh(sortedmulti(2," + bip129Key1 + "/<0;1>/*," + bip129Key2 + "/<0;1>/*)))", false},
		{"one key only", "wpkh(" + bip129Key1 + "/<0;1>/*)", false},
	}
	want := identity(t, base)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := identity(t, tc.desc)
			if (got == want) != tc.same {
				t.Errorf("identity\n  %s\nagainst\n  %s\nsame %v, want %v", got, want, got == want, tc.same)
			}
			if tc.same {
				// and the same identity means the same scripts
				a, _ := Parse(base)
				b, _ := Parse(tc.desc)
				for _, branch := range []uint32{0, 1} {
					for _, i := range []uint32{0, 1, 77} {
						sa, err := a.PkScript(branch, i)
						if err != nil {
							t.Fatal(err)
						}
						sb, err := b.PkScript(branch, i)
						if err != nil {
							t.Fatal(err)
						}
						if len(sa) == 0 || string(sa) != string(sb) {
							t.Fatalf("same identity, different scripts at %d/%d", branch, i)
						}
					}
				}
			}
		})
	}
}

func identity(t *testing.T, desc string) string {
	t.Helper()
	d, err := Parse(desc)
	if err != nil {
		t.Fatalf("Parse(%s): %v", desc, err)
	}
	id, err := d.Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}
