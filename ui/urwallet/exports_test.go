package urwallet

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"airsign/psbt/descriptor"
	"airsign/ui/qr/ur"
)

// sameAddresses fails unless got derives the addresses of want at 0/0..0/4
// and 1/0: what a watch-only wallet shows first.
func sameAddresses(t *testing.T, got, want *descriptor.Descriptor) {
	t.Helper()
	for _, p := range [][2]uint32{{0, 0}, {0, 1}, {0, 2}, {0, 3}, {0, 4}, {1, 0}} {
		a, err := got.Address(p[0], p[1])
		if err != nil {
			t.Fatal(err)
		}
		b, err := want.Address(p[0], p[1])
		if err != nil {
			t.Fatal(err)
		}
		if a.String() != b.String() {
			t.Errorf("address %d/%d = %s, want %s", p[0], p[1], a, b)
		}
	}
}

// TestExportsImport writes every UR export of every wallet type as a UR
// string, reads it back with FromUR, and compares descriptor and addresses.
func TestExportsImport(t *testing.T) {
	type export struct {
		name string
		make func(*descriptor.Descriptor) (ur.UR, error)
	}
	exports := []export{
		{"crypto-output", func(d *descriptor.Descriptor) (ur.UR, error) { return must(Output(d)) }},
		{"crypto-output receive", func(d *descriptor.Descriptor) (ur.UR, error) { return must(OutputBranch(d, 0)) }},
		{"crypto-output change", func(d *descriptor.Descriptor) (ur.UR, error) { return must(OutputBranch(d, 1)) }},
		{"output-descriptor", func(d *descriptor.Descriptor) (ur.UR, error) { return must(OutputDescriptor(d, "vault")) }},
		{"crypto-account", func(d *descriptor.Descriptor) (ur.UR, error) { return must(Account(d)) }},
		{"account-descriptor", func(d *descriptor.Descriptor) (ur.UR, error) { return must(AccountDescriptor(d)) }},
	}
	for _, d := range testDescriptors(t) {
		for _, e := range exports {
			t.Run(d.Network.String()+"/"+d.Script.String()+"/"+e.name, func(t *testing.T) {
				u, err := e.make(d)
				if d.Script.Multisig() && strings.Contains(e.name, "account") {
					if err == nil {
						t.Fatal("a multisig wallet was exported as an account")
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				back, err := ur.Decode(ur.Encode(u))
				if err != nil {
					t.Fatal(err)
				}
				got, err := FromUR(back, d.Network, 0)
				if err != nil {
					t.Fatal(err)
				}
				if got.String() != d.String() {
					t.Errorf("got  %s\nwant %s", got, d)
				}
				sameAddresses(t, got, d)
				// As marked: the kiosk does not know the network yet.
				marked, err := FromUR(back, 0, 0)
				if err != nil {
					t.Fatal(err)
				}
				if want := d.Network == descriptor.Mainnet; (marked.Network == descriptor.Mainnet) != want {
					t.Errorf("marked network %s, want the family of %s", marked.Network, d.Network)
				}
			})
		}
	}
}

type urer interface{ UR() (ur.UR, error) }

func must[T urer](v T, err error) (ur.UR, error) {
	if err != nil {
		return ur.UR{}, err
	}
	return v.UR()
}

// The account of BCR-2020-015 and BCR-2023-019, whose papers print each
// output as descriptor text: what FromUR must read from either UR.
var bcrAccountText = map[descriptor.ScriptType]string{
	descriptor.P2PKH:      "pkh([37b5eed4/44'/0'/0']xpub6CnQkivUEH9bSbWVWfDLCtigKKgnSWGaVSRyCbN2QNBJzuvHT1vUQpgSpY1NiVvoeNEuVwk748Cn9G3NtbQB1aGGsEL7aYEnjVWgjj9tefu/<0;1>/*)",
	descriptor.P2SHP2WPKH: "sh(wpkh([37b5eed4/49'/0'/0']xpub6CtR1iF4dZPkEyXDwVf3HE74tSwXNMcHtBzX4gwz2UnPhJ54Jz5unHx2syYCCDkvVUmsmoYTmcaHXe1wJppvct4GMMaN5XAbRk7yGScRSte/<0;1>/*))",
	descriptor.P2WPKH:     "wpkh([37b5eed4/84'/0'/0']xpub6BkU445MSEBXbPjD3g2c2ch6mn8yy1SXXQUM7EwjgYiq6Wt1NDwDZ45npqWcV8uQC5oi2gHuVukoCoZZyT4HKq8EpotPMqGqxdZRuapCQ23/<0;1>/*)",
	descriptor.P2TR:       "tr([37b5eed4/86'/0'/0']xpub6DAvL2L5bgGSpDygSQUDpjwE47saoMk2rSRtYhN7Dma7HvnFLTXNrcSC1AmEN8G2SCD958bUwgc6Bew4sAFa2kqYynF8Rmu6P5jMt2FDPtm/<0;1>/*)",
}

// TestImportBCRExamples reads the papers' own examples: both account
// versions (each script type), the 2-of-3 of BCR-2023-010 and a lone key.
func TestImportBCRExamples(t *testing.T) {
	accounts := map[string]string{
		"crypto-account":     bcr2020015UR,
		"account-descriptor": bcr2023019UR,
	}
	for name, text := range accounts {
		u, err := ur.Decode(text)
		if err != nil {
			t.Fatal(err)
		}
		for st, want := range bcrAccountText {
			got, err := FromUR(u, descriptor.Mainnet, st)
			if err != nil {
				t.Errorf("%s %v: %v", name, st, err)
				continue
			}
			w, err := descriptor.Parse(want)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != w.String() {
				t.Errorf("%s %v = %s, want %s", name, st, got, w)
			}
		}
		if _, err := FromUR(u, descriptor.Mainnet, 0); err == nil || !strings.Contains(err.Error(), "pkh, sh(wpkh), wpkh, tr") {
			t.Errorf("%s without a script type: %v, want the types it offers", name, err)
		}
		if _, err := FromUR(u, descriptor.Mainnet, descriptor.P2WSHMulti); err == nil {
			t.Errorf("%s as wsh(sortedmulti) did not fail", name)
		}
	}
	// BCR-2023-010's 2-of-3 "Satoshi's Stash".
	got, err := FromUR(ur.UR{Type: ur.TypeOutputDescriptor, CBOR: mustHex(bcr2023010Multisig)}, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	want, err := descriptor.Parse("wsh(sortedmulti(2,[dc567276/48'/0'/0'/2']xpub6DiYrfRwNnjeX4vHsWMajJVFKrbEEnu8gAW9vDuQzgTWEsEHE16sGWeXXUV1LBWQE1yCTmeprSNcqZ3W74hqVdgDbtYHUv3eM4W2TEUhpan/<0;1>/*,[f245ae38/48'/0'/0'/2']xpub6DnT4E1fT8VxuAZW29avMjr5i99aYTHBp9d7fiLnpL5t4JEprQqPMbTw7k7rh5tZZ2F5g8PJpssqrZoebzBChaiJrmEvWwUTEMAbHsY39Ge/<0;1>/*,[c5d87297/48'/0'/0'/2']xpub6DjrnfAyuonMaboEb3ZQZzhQ2ZEgaKV2r64BFmqymZqJqviLTe1JzMr2X2RfQF892RH7MyYUbcy77R7pPu1P71xoj8cDUMNhAMGYzKR4noZ/<0;1>/*))")
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("BCR-2023-010 vector 4 = %s\nwant %s", got, want)
	}
	// The wpkh key of the account, alone: its purpose 84' says wpkh.
	a, _ := ur.Decode(bcr2020015UR)
	acct, err := ur.DecodeAccount(a)
	if err != nil {
		t.Fatal(err)
	}
	k, err := acct.Outputs[2].Keys[0].UR()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := FromUR(k, 0, 0); err != nil || got.String() != mustParse(t, bcrAccountText[descriptor.P2WPKH]).String() {
		t.Errorf("lone wpkh key = %v, %v, want %s", got, err, bcrAccountText[descriptor.P2WPKH])
	}
	cos, _ := acct.Outputs[5].Keys[0].UR() // 48'/0'/0'/2': a cosigner key
	if _, err := FromUR(cos, 0, 0); err == nil || !strings.Contains(err.Error(), "--script") {
		t.Errorf("lone cosigner key: %v, want a refusal asking for the script type", err)
	}
	if _, err := FromUR(ur.UR{Type: "bytes", CBOR: []byte{0x40}}, 0, 0); err == nil {
		t.Error("ur:bytes read as a wallet")
	}
}

func mustParse(t *testing.T, s string) *descriptor.Descriptor {
	t.Helper()
	d, err := descriptor.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The papers' examples, kept in testdata/bcr.
var (
	bcr2020015UR       = readVector("bcr-2020-015-account.ur")
	bcr2023019UR       = readVector("bcr-2023-019-account-descriptor.ur")
	bcr2023010Multisig = readVector("bcr-2023-010-vector-4.hex")
)

func readVector(name string) string {
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "bcr", name))
	if err != nil {
		panic(err)
	}
	return strings.TrimSpace(string(b))
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}
