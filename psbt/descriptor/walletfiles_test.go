package descriptor

import (
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
)

// satoshisStash is the 2-of-3 of BCR-2023-010's example.
const satoshisStash = "wsh(sortedmulti(2,[dc567276/48'/0'/0'/2']xpub6DiYrfRwNnjeX4vHsWMajJVFKrbEEnu8gAW9vDuQzgTWEsEHE16sGWeXXUV1LBWQE1yCTmeprSNcqZ3W74hqVdgDbtYHUv3eM4W2TEUhpan/<0;1>/*,[f245ae38/48'/0'/0'/2']xpub6DnT4E1fT8VxuAZW29avMjr5i99aYTHBp9d7fiLnpL5t4JEprQqPMbTw7k7rh5tZZ2F5g8PJpssqrZoebzBChaiJrmEvWwUTEMAbHsY39Ge/<0;1>/*,[c5d87297/48'/0'/0'/2']xpub6DjrnfAyuonMaboEb3ZQZzhQ2ZEgaKV2r64BFmqymZqJqviLTe1JzMr2X2RfQF892RH7MyYUbcy77R7pPu1P71xoj8cDUMNhAMGYzKR4noZ/<0;1>/*))"

// TestElectrumWallet reads each keystore of the file back (its SLIP-132
// key, root fingerprint and derivation) into the descriptor it came from.
func TestElectrumWallet(t *testing.T) {
	for _, text := range []string{
		"wpkh([73c5da0a/84'/0'/0']xpub6CatWdiZiodmUeTDp8LT5or8nmbKNcuyvz7WyksVFkKB4RHwCD3XyuvPEbvqAQY3rAPshWcMLoP2fMFMKHPJ4ZeZXYVUhLv1VMrjPC7PW6V/<0;1>/*)",
		"sh(wpkh([" + abandonFP + "/49'/1'/0']upub5EFU65HtV5TeiSHmZZm7FUffBGy8UKeqp7vw43jYbvZPpoVsgU93oac7Wk3u6moKegAEWtGNF8DehrnHtv21XXEMYRUocHqguyjknFHYfgY/<0;1>/*))",
		satoshisStash,
		strings.Replace(satoshisStash, "wsh(", "sh(wsh(", 1) + ")",
	} {
		d, err := Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(d.Script.String(), func(t *testing.T) {
			out, err := d.ElectrumWallet()
			if err != nil {
				t.Fatal(err)
			}
			var file map[string]json.RawMessage
			if err := json.Unmarshal(out, &file); err != nil {
				t.Fatal(err)
			}
			if got := string(file["seed_version"]); got != "50" {
				t.Errorf("seed_version = %s, want 50 (Electrum 4.3)", got)
			}
			names := []string{"keystore"}
			wantType := `"standard"`
			if d.Script.Multisig() {
				names = []string{"x1/", "x2/", "x3/"}
				wantType = `"2of3"`
			}
			if got := string(file["wallet_type"]); got != wantType {
				t.Errorf("wallet_type = %s, want %s", got, wantType)
			}
			back := &Descriptor{Script: d.Script, Network: d.Network, Threshold: d.Threshold}
			for _, name := range names {
				var ks electrumKeystore
				if err := json.Unmarshal(file[name], &ks); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				key, err := ParseExtendedKey(ks.XPub, d.Network)
				if err != nil {
					t.Fatal(err)
				}
				origin, err := parseOrigin(ks.RootFingerprint + strings.TrimPrefix(ks.Derivation, "m"))
				if err != nil {
					t.Fatal(err)
				}
				if d.Script.Multisig() {
					back.Keys = append(back.Keys, Key{Origin: origin, Key: key})
				} else {
					back.Origin, back.Key = origin, key
				}
				if prefix, _ := ks.XPub[:4], 0; d.Script == P2WPKH && prefix != "zpub" || d.Script == P2WSHMulti && prefix != "Zpub" {
					t.Errorf("%s key %s..., want the SLIP-132 prefix Electrum reads the script from", name, prefix)
				}
			}
			if back.String() != d.String() {
				t.Errorf("read back %s\nwant %s", back, d)
			}
		})
	}
	tr, err := Parse("tr([73c5da0a/86'/0'/0']xpub6CatWdiZiodmUeTDp8LT5or8nmbKNcuyvz7WyksVFkKB4RHwCD3XyuvPEbvqAQY3rAPshWcMLoP2fMFMKHPJ4ZeZXYVUhLv1VMrjPC7PW6V/<0;1>/*)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.ElectrumWallet(); err == nil || !strings.Contains(err.Error(), "taproot") {
		t.Errorf("taproot: %v, want a refusal naming taproot", err)
	}
}

func TestColdcardMultisig(t *testing.T) {
	d, err := Parse(satoshisStash)
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.ColdcardMultisig("Satoshi's Stash \x00of coins, long name")
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	want.WriteString("# Coldcard Multisig setup file (exported by airsign)\n#\nName: Satoshi's Stash of c\nPolicy: 2 of 3\nFormat: P2WSH\n\nDerivation: m/48'/0'/0'/2'\n\n")
	for _, k := range d.Keys {
		want.WriteString(strings.ToUpper(hex.EncodeToString(k.Origin.Fingerprint[:])) + ": " + k.Key.String() + "\n")
	}
	if string(got) != want.String() {
		t.Errorf("got\n%s\nwant\n%s", got, want.String())
	}
	// Cosigners at different paths each get their Derivation: line.
	mixed, err := Parse(strings.Replace(strings.Replace(satoshisStash, "f245ae38/48'/0'/0'/2'", "f245ae38/48'/0'/1'/2'", 1), "wsh(", "sh(wsh(", 1) + ")")
	if err != nil {
		t.Fatal(err)
	}
	got, err = mixed.ColdcardMultisig("")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"Name: airsign\n", "Format: P2SH-P2WSH\n", "Derivation: m/48'/0'/1'/2'\n\nF245AE38: ", "Derivation: m/48'/0'/0'/2'\n\nC5D87297: "} {
		if !strings.Contains(string(got), line) {
			t.Errorf("file lacks %q:\n%s", line, got)
		}
	}
	single, _ := Parse("wpkh([73c5da0a/84'/0'/0']xpub6CatWdiZiodmUeTDp8LT5or8nmbKNcuyvz7WyksVFkKB4RHwCD3XyuvPEbvqAQY3rAPshWcMLoP2fMFMKHPJ4ZeZXYVUhLv1VMrjPC7PW6V/<0;1>/*)")
	if _, err := single.ColdcardMultisig("x"); err == nil {
		t.Error("a single-sig wallet got a Coldcard multisig file")
	}
}
