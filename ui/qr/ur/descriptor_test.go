package ur

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The examples of BCR-2023-010 (version 3 output descriptors), as printed
// there: the hex of the CBOR and the value it stands for.
var outputDescriptorCases = []struct {
	name string
	cbor string
	want OutputDescriptor
}{
	{
		name: "bcr-2023-010 vector 1 pk eckey",
		cbor: "d99d74a20166706b284030290281d99d72a103582103e220e776d811c44075a4a260734445c8967865f5357ba98ead3bc6a6552c36f2",
		want: OutputDescriptor{Source: "pk(@0)", Keys: []HDKey{{EC: true, KeyData: mustHex("03e220e776d811c44075a4a260734445c8967865f5357ba98ead3bc6a6552c36f2")}}},
	},
	{
		name: "bcr-2023-010 vector 3 pkh private eckey",
		cbor: "d99d74a20167706b68284030290281d99d72a202f5035820347c4acb73f7bf2268b958230e215986eda87a984959c4ddbd4d62c07de6310e",
		want: OutputDescriptor{Source: "pkh(@0)", Keys: []HDKey{{EC: true, Private: true, KeyData: mustHex("347c4acb73f7bf2268b958230e215986eda87a984959c4ddbd4d62c07de6310e")}}},
	},
	{
		name: "bcr-2023-010 vector 4 wsh sortedmulti 2 of 3",
		cbor: "d99d74a301781c77736828736f727465646d756c746928322c40302c40312c403229290283d99d6fa5035821021c0b479ecf6e67713ddf0c43b634592f51c037b6f951fb1dc6361a98b1e5735e0458206b3a4cfb6a45f6305efe6e0e976b5d26ba27f7c344d7fc7abef7be2d06d52dfd06d99d70a201881830f500f500f502f5021adc56727607d99d70a101838400f401f480f4081a18f8c2e7d99d6fa50358210397fcf2274abd243d42d42d3c248608c6d1935efca46138afef43af08e9712896045820c887c72d9d8ac29cddd5b2b060e8b0239039a149c784abe6079e24445db4aa8a06d99d70a201881830f500f500f502f5021af245ae3807d99d70a101838400f401f480f4081a221eb5a0d99d6fa5035821028342f5f7773f6fab374e1c2d3ccdba26bc0933fc4f63828b662b4357e4cc37910458205afed56d755c088320ec9bc6acd84d33737b580083759e0a0ff8f26e429e0b7706d99d70a201881830f500f500f502f5021ac5d8729707d99d70a101838400f401f480f4081a1c0ae906036f5361746f7368692773205374617368",
		want: OutputDescriptor{Source: "wsh(sortedmulti(2,@0,@1,@2))", Name: "Satoshi's Stash", Keys: []HDKey{
			cosignerKey("021c0b479ecf6e67713ddf0c43b634592f51c037b6f951fb1dc6361a98b1e5735e", "6b3a4cfb6a45f6305efe6e0e976b5d26ba27f7c344d7fc7abef7be2d06d52dfd", 0xdc567276, 418956007),
			cosignerKey("0397fcf2274abd243d42d42d3c248608c6d1935efca46138afef43af08e9712896", "c887c72d9d8ac29cddd5b2b060e8b0239039a149c784abe6079e24445db4aa8a", 0xf245ae38, 572437920),
			cosignerKey("028342f5f7773f6fab374e1c2d3ccdba26bc0933fc4f63828b662b4357e4cc3791", "5afed56d755c088320ec9bc6acd84d33737b580083759e0a0ff8f26e429e0b77", 0xc5d87297, 470477062),
		}},
	},
}

func cosignerKey(key, chain string, fp, parent uint32) HDKey {
	return HDKey{
		KeyData:           mustHex(key),
		ChainCode:         mustHex(chain),
		Origin:            keypath("48'/0'/0'/2'", fp),
		Children:          keypath("<0;1>/*", 0),
		ParentFingerprint: parent,
	}
}

// TestOutputDescriptorVectors decodes each example of BCR-2023-010 to its
// value and encodes the value back to the same bytes.
func TestOutputDescriptorVectors(t *testing.T) {
	for _, tt := range outputDescriptorCases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeOutputDescriptor(UR{Type: TypeOutputDescriptor, CBOR: mustHex(tt.cbor)})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decoded\n%+v\nwant\n%+v", got, tt.want)
			}
			u, err := tt.want.UR()
			if err != nil {
				t.Fatal(err)
			}
			if got, want := hex.EncodeToString(u.CBOR), tt.cbor; got != want {
				t.Errorf("encoded\n%s\nwant\n%s", got, want)
			}
		})
	}
	// Vector 2 is an address, which is not a wallet.
	_, err := DecodeOutputDescriptor(UR{Type: TypeOutputDescriptor, CBOR: mustHex("d99d74a2016861646472284030290281d99d73a301d99d71a10201020203544efd3ded47d967e4122982422c9d84db60503972")})
	if err == nil || !strings.Contains(err.Error(), "address") {
		t.Errorf("vector 2 (addr) = %v, want an error naming the address", err)
	}
}

// bcr2023019UR is the example of BCR-2023-019: the account of BCR-2020-015's
// example as version 3 output descriptors.
var bcr2023019UR = readVector("bcr-2023-019-account-descriptor.ur")

// readVector reads a specification's example kept in testdata/bcr.
func readVector(name string) string {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "bcr", name))
	if err != nil {
		panic(err)
	}
	return strings.TrimSpace(string(b))
}

// TestAccountDescriptorVector reads BCR-2023-019's example, checks it holds
// the same keys as BCR-2020-015's (the papers describe one account), and
// writes it back to the same UR.
func TestAccountDescriptorVector(t *testing.T) {
	u, err := Decode(bcr2023019UR)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeAccountDescriptor(u)
	if err != nil {
		t.Fatal(err)
	}
	v1 := registryCases[len(registryCases)-1].want.(Account)
	want := AccountDescriptor{MasterFingerprint: v1.MasterFingerprint}
	for _, o := range v1.Outputs {
		want.Outputs = append(want.Outputs, OutputDescriptor{Source: o.Script.Text("@0"), Keys: o.Keys})
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded\n%+v\nwant\n%+v", got, want)
	}
	back, err := got.UR()
	if err != nil {
		t.Fatal(err)
	}
	if enc := Encode(back); enc != strings.ToUpper(bcr2023019UR) {
		t.Errorf("re-encoded = %s\nwant %s", enc, strings.ToUpper(bcr2023019UR))
	}
}

func TestOutputDescriptorErrors(t *testing.T) {
	key := cosignerKey("021c0b479ecf6e67713ddf0c43b634592f51c037b6f951fb1dc6361a98b1e5735e", "6b3a4cfb6a45f6305efe6e0e976b5d26ba27f7c344d7fc7abef7be2d06d52dfd", 1, 2)
	encode := func(d OutputDescriptor) []byte {
		w := cborWriter{v2: true}
		w.regTag(tagOutput)
		w.mapHead(2)
		w.uint(1)
		w.text(d.Source)
		w.uint(2)
		w.array(len(d.Keys))
		for _, k := range d.Keys {
			if err := writeKey(&w, k); err != nil {
				t.Fatal(err)
			}
		}
		return w.b
	}
	for _, tt := range []struct {
		name string
		cbor []byte
		want string
	}{
		{"placeholder without key", encode(OutputDescriptor{Source: "wsh(sortedmulti(1,@0,@1))", Keys: []HDKey{key}}), "only 1 key"},
		{"key without placeholder", encode(OutputDescriptor{Source: "wpkh(@0)", Keys: []HDKey{key, key}}), "no @1"},
		{"too many keys", encode(OutputDescriptor{Source: "x", Keys: slices.Repeat([]HDKey{key}, maxDescriptorKeys+1)}), "1 to 20"},
		{"no text", mustHex("d99d74a0"), "no text"},
		{"text too long", encode(OutputDescriptor{Source: strings.Repeat("a", maxSourceLen+1)}), "more than 4096"},
		{"duplicate field", mustHex("d99d74a2016161016162"), "twice"},
		{"wrong tag", mustHex("d90134a1016161"), "expected"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeOutputDescriptor(UR{Type: TypeOutputDescriptor, CBOR: tt.cbor})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := (OutputDescriptor{Source: "wpkh(@1)", Keys: []HDKey{key}}).UR(); err == nil {
		t.Error("UR() wrote a placeholder without its key")
	}
	if _, err := (AccountDescriptor{}).UR(); err == nil {
		t.Error("UR() wrote an account without outputs")
	}
	if _, err := DecodeAccountDescriptor(UR{Type: TypeAccountDescriptor, CBOR: mustHex("a2011a37b5eed40281a1016161")}); err == nil || !strings.Contains(err.Error(), "40308") {
		t.Errorf("untagged output in an account: %v, want an error naming tag 40308", err)
	}
}

// FuzzRegistryTypes decodes hostile CBOR as each wallet export type. What
// a decoder accepts must encode again, and the encoding must decode to the
// same value (decode∘encode is the identity on accepted inputs).
func FuzzRegistryTypes(f *testing.F) {
	for _, c := range outputDescriptorCases {
		f.Add(TypeOutputDescriptor, mustHex(c.cbor))
	}
	for _, c := range registryCases {
		if u, err := Decode(c.ur); err == nil && u.Type != TypePSBT {
			f.Add(u.Type, u.CBOR)
		}
	}
	if u, err := Decode(bcr2023019UR); err == nil {
		f.Add(u.Type, u.CBOR)
	}
	type codec struct {
		decode func(UR) (any, error)
		encode func(any) (UR, error)
	}
	codecs := map[string]codec{
		TypeOutputDescriptor: {
			func(u UR) (any, error) { return DecodeOutputDescriptor(u) },
			func(v any) (UR, error) { return v.(OutputDescriptor).UR() }},
		TypeAccountDescriptor: {
			func(u UR) (any, error) { return DecodeAccountDescriptor(u) },
			func(v any) (UR, error) { return v.(AccountDescriptor).UR() }},
		TypeOutput: {
			func(u UR) (any, error) { return DecodeOutput(u) },
			func(v any) (UR, error) { return v.(Output).UR() }},
		TypeAccount: {
			func(u UR) (any, error) { return DecodeAccount(u) },
			func(v any) (UR, error) { return v.(Account).UR() }},
		TypeHDKey: {
			func(u UR) (any, error) { return DecodeHDKey(u) },
			func(v any) (UR, error) { return v.(HDKey).UR() }},
	}
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		c, ok := codecs[typ]
		if !ok || len(data) > MaxMessageLen {
			return
		}
		v, err := c.decode(UR{Type: typ, CBOR: data})
		if err != nil {
			return
		}
		u, err := c.encode(v)
		if err != nil {
			t.Fatalf("decoded %+v, which does not encode: %v", v, err)
		}
		back, err := c.decode(u)
		if err != nil {
			t.Fatalf("the encoding of %+v does not decode: %v", v, err)
		}
		if !reflect.DeepEqual(back, v) {
			t.Fatalf("decode(encode(v)) = %+v, want %+v", back, v)
		}
	})
}
