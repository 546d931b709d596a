package descriptor

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/txscript"
)

// recoveryDesc is the wallet: 2 of keys 1-3, or key 4 after 52560
// blocks, as a descriptor on net.
func recoveryDesc(t testing.TB, net Network) string {
	t.Helper()
	var k [4]string
	for i := range k {
		k[i], _ = cosigner(t, byte(i+1), net)
		k[i] += "/<0;1>/*"
	}
	return "wsh(or_d(multi(2," + k[0] + "," + k[1] + "," + k[2] + "),and_v(v:pkh(" + k[3] + "),older(52560))))"
}

// numsDesc is a taproot 2-of-3 with NUMS internal key and a recovery leaf
// for key 4 (which is also key 1's seed at another step pair).
func numsDesc(t testing.TB, net Network) string {
	t.Helper()
	var k [4]string
	for i := range k {
		k[i], _ = cosigner(t, byte(i+1), net)
	}
	return "tr(" + NUMS + ",{sortedmulti_a(2," + k[0] + "/<0;1>/*," + k[1] + "/<0;1>/*," + k[2] + "/<0;1>/*),and_v(v:pk(" + k[3] + "/<0;1>/*),older(4320))})"
}

func TestScriptWalletTemplates(t *testing.T) {
	tests := []struct {
		name, desc, template string
		keys                 int
	}{
		{"wsh recovery", recoveryDesc(t, Testnet), "wsh(or_d(multi(2,@0/**,@1/**,@2/**),and_v(v:pkh(@3/**),older(52560))))", 4},
		{"tr NUMS", numsDesc(t, Testnet), "tr(" + NUMS + ",{sortedmulti_a(2,@0/**,@1/**,@2/**),and_v(v:pk(@3/**),older(4320))})", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := ParseScriptWallet(tt.desc, Testnet)
			if err != nil {
				t.Fatal(err)
			}
			if got := w.Template(); got != tt.template {
				t.Errorf("template = %s; want %s", got, tt.template)
			}
			if len(w.Keys) != tt.keys {
				t.Errorf("%d keys; want %d", len(w.Keys), tt.keys)
			}
			s := w.String()
			if body, _, _ := strings.Cut(s, "#"); body != tt.desc {
				t.Errorf("String() = %s; want %s#...", s, tt.desc)
			}
			w2, err := ParseScriptWallet(s, Testnet)
			if err != nil || w2.String() != s {
				t.Errorf("round trip: %v, %v", w2, err)
			}
			p, err := ParseWalletPolicy(w.Policy(), Testnet)
			if err != nil {
				t.Fatal(err)
			}
			if p.String() != s || p.PolicyHash() != w.PolicyHash() {
				t.Errorf("policy round trip gives %s", p)
			}
		})
	}
}

// A multi() in wsh miniscript compiles to the script sortedmulti's code
// builds for the same keys in the same order.
func TestScriptWalletMultiMatchesMultisig(t *testing.T) {
	var keys []string
	for i := range 3 {
		k, _ := cosigner(t, byte(i+1), Regtest)
		keys = append(keys, k+"/<0;1>/*")
	}
	w, err := ParseScriptWallet("wsh(multi(2,"+strings.Join(keys, ",")+"))", Regtest)
	if err != nil {
		t.Fatal(err)
	}
	sorted, err := ParseForNetwork("wsh(sortedmulti(2,"+strings.Join(keys, ",")+"))", Regtest)
	if err != nil {
		t.Fatal(err)
	}
	for _, branch := range []uint32{0, 1} {
		for index := range uint32(3) {
			d, err := w.Derive(branch, index)
			if err != nil {
				t.Fatal(err)
			}
			pubs, err := sorted.PublicKeys(branch, index)
			if err != nil {
				t.Fatal(err)
			}
			var ser [][]byte
			for _, p := range pubs {
				ser = append(ser, p.SerializeCompressed())
			}
			want, _ := multisigScript(2, ser)
			if hex.EncodeToString(d.WitnessScript) != hex.EncodeToString(want) {
				t.Errorf("%d/%d: witness script %x; want %x", branch, index, d.WitnessScript, want)
			}
			for i, p := range pubs {
				name := "@" + string(rune('0'+i)) + "/**"
				if got := d.Keys[name]; !got.Pub.IsEqual(p) || FormatPath(got.Path) != FormatPath(sorted.Keys[i].Path(branch, index)) {
					t.Errorf("%d/%d: key %s = %x at %s", branch, index, name, got.Pub.SerializeCompressed(), FormatPath(got.Path))
				}
			}
		}
	}
}

func TestBIP386Trees(t *testing.T) {
	var v struct {
		Valid   []struct{ Desc, Static, Script string }
		Invalid []struct{ Name, Desc string }
	}
	readJSON(t, "bip386-vectors.json", &v)
	for _, vec := range v.Valid {
		w, err := parseScriptWallet(vec.Static, Mainnet, true)
		if err != nil {
			t.Errorf("%s: %v", vec.Static, err)
			continue
		}
		d, err := w.Derive(0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(d.PkScript); got != vec.Script {
			t.Errorf("%s: script %s; want %s", vec.Static, got, vec.Script)
		}
		checkLeaves(t, d)
	}
	for _, vec := range v.Invalid {
		if _, err := parseScriptWallet(vec.Desc, Mainnet, true); err == nil {
			t.Errorf("%s: %s parsed", vec.Name, vec.Desc)
		}
	}
}

// checkLeaves proves every leaf's control block against the output key, as
// consensus does.
func checkLeaves(t *testing.T, d *Derived) {
	t.Helper()
	for i, l := range d.Leaves {
		cb, err := txscript.ParseControlBlock(l.ControlBlock)
		if err != nil {
			t.Fatalf("leaf %d: %v", i, err)
		}
		if err := txscript.VerifyTaprootLeafCommitment(cb, d.PkScript[2:], l.Script); err != nil {
			t.Errorf("leaf %d (%s): %v", i, l.Node, err)
		}
		if l.Hash != txscript.NewBaseTapLeaf(l.Script).TapHash() {
			t.Errorf("leaf %d: hash mismatch", i)
		}
	}
}

func TestScriptWalletTaprootDerive(t *testing.T) {
	w, err := ParseScriptWallet(numsDesc(t, Regtest), Regtest)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, branch := range []uint32{0, 1} {
		for index := range uint32(3) {
			d, err := w.Derive(branch, index)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Leaves) != 2 || hex.EncodeToString(d.InternalKey.SerializeCompressed()[1:]) != NUMS {
				t.Fatalf("%d leaves, internal key %x", len(d.Leaves), d.InternalKey.SerializeCompressed())
			}
			checkLeaves(t, d)
			if seen[string(d.PkScript)] {
				t.Errorf("%d/%d repeats an output script", branch, index)
			}
			seen[string(d.PkScript)] = true
		}
	}
	addr, err := w.Address(0, 0)
	if err != nil || !strings.HasPrefix(addr.EncodeAddress(), "bcrt1p") {
		t.Errorf("address %v, %v", addr, err)
	}
}

func TestScriptWalletErrors(t *testing.T) {
	k1, _ := cosigner(t, 1, Testnet)
	k2, _ := cosigner(t, 2, Testnet)
	bare := k1[strings.IndexByte(k1, ']')+1:]
	tests := []struct{ name, desc, want string }{
		{"same key twice", "wsh(or_d(pk(" + k1 + "/<0;1>/*),pk(" + k1 + "/<0;1>/*)))", "more than once"},
		{"step reused", "wsh(or_d(pk(" + k1 + "/<0;1>/*),and_v(v:pk(" + k1 + "/<1;2>/*),older(10))))", "step 1 in two places"},
		{"no signature", "wsh(older(10))", "property s"},
		{"signature-free path", "wsh(or_d(pk(" + k1 + "/<0;1>/*),older(10)))", "property s"},
		{"two keys", "wsh(or_b(pk(" + k1 + "/<0;1>/*),s:pk(" + k2 + "/<0;1>/*)))#aaaaaaaa", "checksum"},
		{"no origin", "wsh(pk(" + bare + "/<0;1>/*))", "origin"},
		{"one branch", "wsh(pk(" + k1 + "/0/*))", "not one branch"},
		{"same steps", "wsh(pk(" + k1 + "/<0;0>/*))", "same keys"},
		{"hardened step", "wsh(pk(" + k1 + "/<0h;1>/*))", "hardened"},
		{"sh", "sh(wsh(pk(" + k1 + "/<0;1>/*)))", "not supported"},
		{"tr without tree", "tr(" + k1 + "/<0;1>/*)", "single-sig"},
		{"tr static internal", "tr(a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd,pk(" + k1 + "/<0;1>/*))", "neither a wallet key nor NUMS"},
		{"tr bad tree", "tr(" + NUMS + ",{pk(" + k1 + "/<0;1>/*)})", "two parts"},
		{"checksum", "wsh(pk(" + k1 + "/<0;1>/*))#aaaaaaaa", "checksum"},
		{"mainnet key on testnet", "wsh(pk([73c5da0a/48'/0'/0'/2']xpub6DkFAXWQ2dHxq2vatrt9qyA3bXYU4ToWQwCHbf5XB2mSTexcHZCeKS1VZYcPoBd5X8yVcbXFHJR9R8UCVpt82VX1VhR28mCyxUFL4r6KFrf/<0;1>/*))", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseScriptWallet(tt.desc, Testnet)
			if err == nil {
				t.Fatalf("parsed %s", tt.desc)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q; want it to say %q", err, tt.want)
			}
		})
	}
}

func TestWalletPolicyErrors(t *testing.T) {
	w, err := ParseScriptWallet(recoveryDesc(t, Testnet), Testnet)
	if err != nil {
		t.Fatal(err)
	}
	good := w.Policy()
	swapped := good
	swapped.Template = "wsh(or_d(multi(2,@1/**,@0/**,@2/**),and_v(v:pkh(@3/**),older(52560))))"
	extra := good
	extra.Keys = append(append([]string(nil), good.Keys...), good.Keys[0][:len(good.Keys[0])-1]+"x")
	short := good
	short.Keys = good.Keys[:3]
	steps := good
	steps.Keys = append([]string{good.Keys[0] + "/<0;1>/*"}, good.Keys[1:]...)
	tests := []struct {
		name string
		p    WalletPolicy
		want string
	}{
		{"out of order", swapped, "canonical"},
		{"extra key", extra, "key @4"},
		{"missing key", short, "names key 3"},
		{"key with steps", steps, "without steps"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseWalletPolicy(tt.p, Testnet)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v; want it to say %q", err, tt.want)
			}
		})
	}
}

// The policy hash is defined as SHA-256 of the template and keys, each
// followed by a newline: pinned so that a change to it is a decision.
func TestPolicyHashDefinition(t *testing.T) {
	w, err := ParseScriptWallet(recoveryDesc(t, Testnet), Testnet)
	if err != nil {
		t.Fatal(err)
	}
	p := w.Policy()
	text := p.Template + "\n" + strings.Join(p.Keys, "\n") + "\n"
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	w2, _, err := ParseWalletPolicyJSON(b, Testnet)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := w2.PolicyHash(), sha256.Sum256([]byte(text)); got != want {
		t.Errorf("PolicyHash = %x; want sha256(%q) = %x", got, text, want)
	}
}

func FuzzParseScriptWallet(f *testing.F) {
	f.Add(recoveryDesc(f, Testnet))
	f.Add(numsDesc(f, Testnet))
	f.Add("tr(" + NUMS + ",{pk(@0/**),pk(@1/**)})")
	// A name that is no key expression once passed through as a key.
	f.Add("tr(" + NUMS + ",{sortedmulti_a(1,0000),and_v(v:pk([00000000/0/00/00/2']tpubDEeDAFdob3LJDkTRZgpjYWBgUDN5DQTz5VgzrGW2bABWm3cu365PEqTZJfaeTJKvnnWfVqb1j7qcjzXgQ5y54BBcyyZfkTuPNREB3r4UeoD/<0;1>/*),older(10))})")
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseScriptWallet(s, Testnet)
		if err != nil {
			return
		}
		w2, err := ParseScriptWallet(w.String(), Testnet)
		if err != nil {
			t.Fatalf("%s parsed, but its String %s does not: %v", s, w, err)
		}
		if w2.String() != w.String() || w2.PolicyHash() != w.PolicyHash() {
			t.Fatalf("round trip changed %s to %s", w, w2)
		}
		if _, err := w.Derive(1, 7); err != nil {
			t.Fatalf("%s: %v", w, err)
		}
	})
}
