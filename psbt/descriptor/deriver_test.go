package descriptor

import "testing"

// The Deriver's own CKDpub must equal hdkeychain's on every index it is
// asked for; the BIP32/84/86 vector tests check it on published values, this
// on many more.
func TestDeriverMatchesHDKeychain(t *testing.T) {
	d, err := Parse("wpkh([73c5da0a/84'/0'/0']xpub6CatWdiZiodmUeTDp8LT5or8nmbKNcuyvz7WyksVFkKB4RHwCD3XyuvPEbvqAQY3rAPshWcMLoP2fMFMKHPJ4ZeZXYVUhLv1VMrjPC7PW6V/<0;1>/*)")
	if err != nil {
		t.Fatal(err)
	}
	for branch := uint32(0); branch < 2; branch++ {
		b, err := d.Deriver(branch)
		if err != nil {
			t.Fatal(err)
		}
		for _, index := range []uint32{0, 1, 2, 19, 20, 255, 256, 1000, 65535, 1<<31 - 1} {
			got, err := b.PublicKey(index)
			if err != nil {
				t.Fatal(err)
			}
			want, err := derivePublic(d.Key, branch, index)
			if err != nil {
				t.Fatal(err)
			}
			if !got.IsEqual(want) {
				t.Errorf("%d/%d: Deriver %x, hdkeychain %x", branch, index, got.SerializeCompressed(), want.SerializeCompressed())
			}
		}
		if _, err := b.PublicKey(1 << 31); err == nil {
			t.Error("derived a hardened index from an xpub")
		}
	}
}

func BenchmarkDeriverPublicKey(b *testing.B) {
	d, err := Parse("wpkh([73c5da0a/84'/0'/0']xpub6CatWdiZiodmUeTDp8LT5or8nmbKNcuyvz7WyksVFkKB4RHwCD3XyuvPEbvqAQY3rAPshWcMLoP2fMFMKHPJ4ZeZXYVUhLv1VMrjPC7PW6V/<0;1>/*)")
	if err != nil {
		b.Fatal(err)
	}
	der, err := d.Deriver(0)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if _, err := der.PublicKey(uint32(i % 1000)); err != nil {
			b.Fatal(err)
		}
	}
}
