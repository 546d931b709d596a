package descriptor

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil/hdkeychain"
)

func readJSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile("../../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// abandonFP is the master fingerprint of "abandon ×11 about".
const abandonFP = "73c5da0a"

func TestScriptTypeNames(t *testing.T) {
	tests := []struct {
		s       ScriptType
		name    string
		purpose uint32
	}{
		{P2PKH, "p2pkh", 44},
		{P2SHP2WPKH, "p2sh-p2wpkh", 49},
		{P2WPKH, "p2wpkh", 84},
		{P2TR, "p2tr", 86},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.name {
			t.Errorf("String() = %q; want %q", got, tt.name)
		}
		if got, err := ParseScriptType(tt.name); err != nil || got != tt.s {
			t.Errorf("ParseScriptType(%q) = %v, %v; want %v", tt.name, got, err, tt.s)
		}
		if got := tt.s.Purpose(); got != tt.purpose {
			t.Errorf("%v.Purpose() = %d; want %d", tt.s, got, tt.purpose)
		}
	}
	if _, err := ParseScriptType("p2wsh"); err == nil {
		t.Error("ParseScriptType(p2wsh) succeeded; want an error")
	}
}

func TestChecksumBIP380(t *testing.T) {
	type tc struct{ Name, Desc, Body string }
	var v struct {
		Checksum struct{ Valid, Invalid []tc }
	}
	readJSON(t, "bip380-vectors.json", &v)
	for _, c := range v.Checksum.Valid {
		got, err := StripChecksum(c.Desc)
		if err != nil || got != c.Body {
			t.Errorf("%s: StripChecksum(%q) = %q, %v; want %q, nil", c.Name, c.Desc, got, err, c.Body)
		}
	}
	for _, c := range v.Checksum.Invalid {
		if got, err := StripChecksum(c.Desc); err == nil {
			t.Errorf("%s: StripChecksum(%q) = %q, nil; want an error", c.Name, c.Desc, got)
		}
	}
	if got, err := Checksum("raw(deadbeef)"); err != nil || got != "89f8spxm" {
		t.Errorf("Checksum(raw(deadbeef)) = %q, %v; want 89f8spxm", got, err)
	}
	if _, err := StripChecksum("raw(deedbeef)#89f8spxm"); !errors.Is(err, ErrChecksum) {
		t.Errorf("error in payload: got %v; want ErrChecksum", err)
	}
}

func TestParseOriginBIP380(t *testing.T) {
	type tc struct{ Name, Origin, Want string }
	var v struct {
		Origin struct{ Valid, Invalid []tc }
	}
	readJSON(t, "bip380-vectors.json", &v)
	inner := func(s string) string { return strings.TrimSuffix(strings.TrimPrefix(s, "["), "]") }
	for _, c := range v.Origin.Valid {
		o, err := parseOrigin(inner(c.Origin))
		if err != nil || o.String() != c.Want {
			t.Errorf("%s: parseOrigin(%q) = %q, %v; want %q", c.Name, c.Origin, o, err, c.Want)
		}
	}
	for _, c := range v.Origin.Invalid {
		if o, err := parseOrigin(inner(c.Origin)); err == nil {
			t.Errorf("%s: parseOrigin(%q) = %q, nil; want an error", c.Name, c.Origin, o)
		}
	}
}

type bip32Vectors struct {
	Valid []struct {
		Name   string
		Seed   string
		Chains []struct{ Path, Xpub, Xprv string }
	}
	Invalid []struct{ Key, Reason, Want string }
}

func TestParseExtendedKeyBIP32Valid(t *testing.T) {
	var v bip32Vectors
	readJSON(t, "bip32-vectors.json", &v)
	for _, vec := range v.Valid {
		for _, c := range vec.Chains {
			k, err := ParseExtendedKey(c.Xpub, Mainnet)
			if err != nil {
				t.Errorf("%s %s: ParseExtendedKey(xpub): %v", vec.Name, c.Path, err)
				continue
			}
			if got := k.String(); got != c.Xpub {
				t.Errorf("%s %s: got %s; want %s", vec.Name, c.Path, got, c.Xpub)
			}
			if _, err := ParseExtendedKey(c.Xpub, Regtest); !errors.Is(err, ErrWrongNetwork) {
				t.Errorf("%s %s: ParseExtendedKey(xpub, Regtest) error = %v; want ErrWrongNetwork", vec.Name, c.Path, err)
			}
			_, err = ParseExtendedKey(c.Xprv, Mainnet)
			if !errors.Is(err, ErrPrivateKey) {
				t.Errorf("%s %s: ParseExtendedKey(xprv) error = %v; want ErrPrivateKey", vec.Name, c.Path, err)
			}
		}
	}
}

func TestParseExtendedKeyBIP32Invalid(t *testing.T) {
	var v bip32Vectors
	readJSON(t, "bip32-vectors.json", &v)
	if len(v.Invalid) != 16 {
		t.Fatalf("got %d invalid keys in test vector 5; want 16", len(v.Invalid))
	}
	for _, c := range v.Invalid {
		for _, net := range []Network{Mainnet, Testnet} {
			k, err := ParseExtendedKey(c.Key, net)
			if err == nil {
				t.Errorf("%s: ParseExtendedKey on %v = %v, nil; want an error", c.Reason, net, k)
				continue
			}
			if !errors.Is(err, ErrInvalidExtendedKey) || !strings.Contains(err.Error(), c.Want) {
				t.Errorf("%s: error = %q; want ErrInvalidExtendedKey saying %q", c.Reason, err, c.Want)
			}
			if strings.Contains(err.Error(), c.Key[4:20]) {
				t.Errorf("%s: error %q quotes the key", c.Reason, err)
			}
		}
	}
}

func TestParseExtendedKeySLIP132(t *testing.T) {
	// BIP49's test vector: the account key of "abandon ×11 about" at
	// m/49'/1'/0', as upub.
	const upub = "upub5EFU65HtV5TeiSHmZZm7FUffBGy8UKeqp7vw43jYbvZPpoVsgU93oac7Wk3u6moKegAEWtGNF8DehrnHtv21XXEMYRUocHqguyjknFHYfgY"
	k, err := ParseExtendedKey(upub, Testnet)
	if err != nil {
		t.Fatal(err)
	}
	if got := k.String(); !strings.HasPrefix(got, "tpub") {
		t.Errorf("parsed upub encodes as %s; want the standard tpub version", got)
	}
	for _, tt := range []struct {
		script ScriptType
		prefix string
	}{{P2PKH, "tpub"}, {P2SHP2WPKH, "upub"}, {P2WPKH, "vpub"}, {P2TR, "tpub"}} {
		got, err := SLIP132(k, tt.script, Regtest)
		if err != nil || !strings.HasPrefix(got, tt.prefix) {
			t.Errorf("SLIP132(%v) = %q, %v; want prefix %s", tt.script, got, err, tt.prefix)
		}
		back, err := ParseExtendedKey(got, Regtest)
		if err != nil || back.String() != k.String() {
			t.Errorf("ParseExtendedKey(SLIP132(%v)) = %v, %v; want %s", tt.script, back, err, k)
		}
	}
	if got, err := SLIP132(k, P2SHP2WPKH, Testnet); got != upub {
		t.Errorf("SLIP132(P2SHP2WPKH, Testnet) = %q, %v; want %s", got, err, upub)
	}
	if _, err := SLIP132(k, P2WPKH, Mainnet); !errors.Is(err, ErrWrongNetwork) {
		t.Errorf("SLIP132 of a tpub for Mainnet: error = %v; want ErrWrongNetwork", err)
	}
}

// accountXpub turns a BIP vector's account private key into its public key
// string, as the test vectors of BIP49 and BIP84 give only the private one.
func accountXpub(t *testing.T, prv string, mainnet bool) string {
	t.Helper()
	k, err := hdkeychain.NewKeyFromString(prv)
	if err != nil {
		t.Fatal(err)
	}
	std := findVersion(mainnet, true, kindStandard)
	if k, err = k.CloneWithVersion(std.id[:]); err != nil {
		t.Fatal(err)
	}
	if k, err = k.Neuter(); err != nil {
		t.Fatal(err)
	}
	return k.String()
}

type addrVector struct {
	Branch, Index uint32
	Pubkey        string
	Address       string
	ScriptPubkey  string `json:"script_pubkey"`
	OutputKey     string `json:"output_key"`
}

func TestBIP84(t *testing.T) {
	var v struct {
		AccountPriv string
		Addresses   []addrVector
	}
	readJSON(t, "bip84-vectors.json", &v)
	xpub := accountXpub(t, v.AccountPriv, true)
	d, err := Parse("wpkh([" + abandonFP + "/84h/0h/0h]" + xpub + "/<0;1>/*)")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range v.Addresses {
		pub, err := d.PublicKey(a.Branch, a.Index)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(pub.SerializeCompressed()); got != a.Pubkey {
			t.Errorf("PublicKey(%d, %d) = %s; want %s", a.Branch, a.Index, got, a.Pubkey)
		}
		addr, err := d.Address(a.Branch, a.Index)
		if err != nil || addr.EncodeAddress() != a.Address {
			t.Errorf("Address(%d, %d) = %v, %v; want %s", a.Branch, a.Index, addr, err, a.Address)
		}
	}
	// The zpub of BIP84's account, as wallets show it.
	const zpub = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs"
	if got, err := SLIP132(d.Key, P2WPKH, Mainnet); got != zpub {
		t.Errorf("SLIP132 = %q, %v; want %s", got, err, zpub)
	}
}

func TestBIP86(t *testing.T) {
	var v struct {
		AccountPub string
		Addresses  []addrVector
	}
	readJSON(t, "bip86-vectors.json", &v)
	d, err := Parse("tr([" + abandonFP + "/86'/0'/0']" + v.AccountPub + "/<0;1>/*)")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range v.Addresses {
		addr, err := d.Address(a.Branch, a.Index)
		if err != nil || addr.EncodeAddress() != a.Address {
			t.Errorf("Address(%d, %d) = %v, %v; want %s", a.Branch, a.Index, addr, err, a.Address)
		}
		script, err := d.PkScript(a.Branch, a.Index)
		if err != nil || hex.EncodeToString(script) != a.ScriptPubkey {
			t.Errorf("PkScript(%d, %d) = %x, %v; want %s", a.Branch, a.Index, script, err, a.ScriptPubkey)
		}
	}
}

func TestBIP49Testnet(t *testing.T) {
	const upub = "upub5EFU65HtV5TeiSHmZZm7FUffBGy8UKeqp7vw43jYbvZPpoVsgU93oac7Wk3u6moKegAEWtGNF8DehrnHtv21XXEMYRUocHqguyjknFHYfgY"
	d, err := Parse("sh(wpkh([" + abandonFP + "/49'/1'/0']" + upub + "/<0;1>/*))")
	if err != nil {
		t.Fatal(err)
	}
	if d.Network != Testnet {
		t.Errorf("Network = %v; want testnet (tpub descriptors default to it)", d.Network)
	}
	addr, err := d.Address(0, 0)
	if want := "2Mww8dCYPUpKHofjgcXcBCEGmniw9CoaiD2"; err != nil || addr.EncodeAddress() != want {
		t.Errorf("Address(0, 0) = %v, %v; want %s", addr, err, want)
	}
}

// bip86Account is BIP86's account descriptor in this package's form.
func bip86Account(t testing.TB) *Descriptor {
	t.Helper()
	var v struct{ AccountPub string }
	readJSON(t, "bip86-vectors.json", &v)
	d, err := Parse("tr([" + abandonFP + "/86'/0'/0']" + v.AccountPub + "/<0;1>/*)")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestStringParse(t *testing.T) {
	d := bip86Account(t)
	s := d.String()
	if !strings.HasPrefix(s, "tr([73c5da0a/86'/0'/0']xpub6BgBgsespWvERF3LHQu6CnqdvfEvtMcQjYrcRzx53QJjSxarj2afYWcLteoGVky7D3UKDP9QyrLprQ3VCECoY49yfdDEHGCtMMj92pReUsQ/<0;1>/*)#") {
		t.Errorf("String() = %s", s)
	}
	body, err := StripChecksum(s)
	if err != nil || body == s {
		t.Fatalf("StripChecksum(String()) = %q, %v; want a verified checksum", body, err)
	}
	inputs := []string{
		s,
		body,
		strings.ReplaceAll(body, "'", "h"),
		"  " + s + "\n",
		d.Branch(0),
		d.Branch(1),
	}
	for _, in := range inputs {
		got, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if got.String() != s {
			t.Errorf("Parse(%q).String() = %s; want %s", in, got, s)
		}
	}
	if b := d.Branch(0); !strings.Contains(b, "/0/*)#") {
		t.Errorf("Branch(0) = %s; want a /0/* descriptor with checksum", b)
	}
}

func TestNetworks(t *testing.T) {
	// An account-level (depth 3, child 0') tpub.
	const tpub = "tpubDC8msFGeGuwnKG9Upg7DM2b4DaRqg3CUZa5g8v2SRQ6K4NSkxUgd7HsL2XVWbVm39yBA4LAxysQAm397zwQSQoQgewGiYZqrA9DsP4zbQ1M"
	tests := []struct {
		script ScriptType
		net    Network
		prefix string
	}{
		{P2WPKH, Regtest, "bcrt1q"},
		{P2TR, Regtest, "bcrt1p"},
		{P2WPKH, Signet, "tb1q"},
		{P2WPKH, Testnet, "tb1q"},
		{P2PKH, Regtest, "m"},
		{P2SHP2WPKH, Regtest, "2"},
	}
	for _, tt := range tests {
		shape := shapes[tt.script]
		desc := "[" + abandonFP + "/" + formatIndex(tt.script.Purpose()+Hardened) + "/1'/0']" + tpub + "/<0;1>/*"
		for i := len(shape) - 1; i >= 0; i-- {
			desc = shape[i] + "(" + desc + ")"
		}
		d, err := ParseForNetwork(desc, tt.net)
		if err != nil {
			t.Errorf("ParseForNetwork(%s, %v): %v", desc, tt.net, err)
			continue
		}
		addr, err := d.Address(1, 7)
		if err != nil || !strings.HasPrefix(addr.EncodeAddress(), tt.prefix) {
			t.Errorf("%v on %v: Address(1, 7) = %v, %v; want prefix %s", tt.script, tt.net, addr, err, tt.prefix)
		}
		if _, err := ParseForNetwork(desc, Mainnet); !errors.Is(err, ErrWrongNetwork) {
			t.Errorf("ParseForNetwork(tpub descriptor, Mainnet) error = %v; want ErrWrongNetwork", err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	const (
		xpub = "xpub6BgBgsespWvERF3LHQu6CnqdvfEvtMcQjYrcRzx53QJjSxarj2afYWcLteoGVky7D3UKDP9QyrLprQ3VCECoY49yfdDEHGCtMMj92pReUsQ"
		xprv = "xprv9xgqHN7yz9MwCkxsBPN5qetuNdQSUttZNKw1dcYTV4mkaAFiBVGQziHs3NRSWMkCzvgjEe3n9xV8oYywvM8at9yRqyaZVz6TYYhX98VjsUk"
		// An account-level (depth 3) tprv.
		tprv   = "tprv8gRrNu65W2Msef2BdBSUgFdRTGzC8EwVXnV7UGS3faeXtuMVtGfEdidVeGbThs4ELEoayCAzZQ4uUji9DUiAs7erdVskqju7hrBcDvDsdbY"
		origin = "[" + abandonFP + "/86'/0'/0']"
		pubkey = "0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600"
	)
	tests := []struct {
		name, desc string
		is         error
		want       string
	}{
		{"empty", "", nil, "empty"},
		{"private key", "tr(" + origin + xprv + "/<0;1>/*)", ErrPrivateKey, "public keys only"},
		{"private key with checksum", withChecksum("tr(" + origin + xprv + "/<0;1>/*)"), ErrPrivateKey, ""},
		{"test private key", withChecksum("wpkh([deadbeef/84'/1'/0']" + tprv + "/<0;1>/*)"), ErrPrivateKey, ""},
		{"missing origin", "tr(" + xpub + "/<0;1>/*)", ErrMissingOrigin, ""},
		{"missing origin start", "tr(" + abandonFP + "/86'/0'/0']" + xpub + "/<0;1>/*)", nil, "no opening '['"},
		{"multiple origins", "tr(" + origin + origin + xpub + "/<0;1>/*)", nil, "more than one origin"},
		{"origin without key", "tr([deadbeef])", nil, "not followed by a key"},
		{"bad checksum", strings.Replace(withChecksum("tr("+origin+xpub+"/<0;1>/*)"), "86'", "84'", 1), ErrChecksum, ""},
		{"origin too short", "tr([" + abandonFP + "/86'/0']" + xpub + "/<0;1>/*)", nil, "has 2 steps, but the key is at depth 3"},
		{"origin wrong child", "tr([" + abandonFP + "/86'/0'/1']" + xpub + "/<0;1>/*)", nil, "ends in 1'"},
		{"coin type of another network", "tr([" + abandonFP + "/86'/1'/0']" + xpub + "/<0;1>/*)", nil, "coin type 1'"},
		{"no derivation", "tr(" + origin + xpub + ")", nil, "not followed by /<0;1>/*"},
		{"other derivation", "tr(" + origin + xpub + "/2/*)", nil, "unsupported derivation /2/*"},
		{"hardened wildcard", "tr(" + origin + xpub + "/0/*h)", nil, "hardened wildcards"},
		{"single public key", "wpkh(" + origin + pubkey + ")", nil, "single public key"},
		{"script tree", "tr(" + origin + xpub + "/<0;1>/*,{pk(" + pubkey + "),pk(" + pubkey + ")})", nil, "script trees"},
		{"multisig with one key twice", "wsh(sortedmulti(2," + origin + xpub + "/<0;1>/*," + origin + xpub + "/<0;1>/*))", nil, "keys 1 and 2 of the multisig are the same key"},
		{"unknown script", "combo(" + origin + xpub + "/<0;1>/*)", nil, "unsupported script expression combo"},
		{"unclosed", "wpkh(" + origin + xpub + "/<0;1>/*", nil, "not closed"},
		{"two keys", "wpkh(" + origin + xpub + "/<0;1>/*," + origin + xpub + "/<0;1>/*)", nil, "takes one key"},
		{"no script", origin + xpub + "/<0;1>/*", nil, "no script expression"},
		{"bad key", "tr(" + origin + xpub[:len(xpub)-1] + "x/<0;1>/*)", ErrInvalidExtendedKey, "checksum"},
	}
	for _, tt := range tests {
		d, err := Parse(tt.desc)
		if err == nil {
			t.Errorf("%s: Parse = %v, nil; want an error", tt.name, d)
			continue
		}
		if tt.is != nil && !errors.Is(err, tt.is) {
			t.Errorf("%s: error = %q; want %q", tt.name, err, tt.is)
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %q; want it to say %q", tt.name, err, tt.want)
		}
		for _, secret := range []string{xprv[4:30], tprv[4:30]} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: error %q quotes a private key", tt.name, err)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	good := bip86Account(t)
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	var v bip32Vectors
	readJSON(t, "bip32-vectors.json", &v)
	prv, err := hdkeychain.NewKeyFromString(v.Valid[0].Chains[0].Xprv)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(d *Descriptor)
		is   error
	}{
		{"zero script", func(d *Descriptor) { d.Script = 0 }, nil},
		{"zero network", func(d *Descriptor) { d.Network = 0 }, nil},
		{"no key", func(d *Descriptor) { d.Key = nil }, nil},
		{"private key", func(d *Descriptor) { d.Key = prv; d.Origin.Path = nil }, ErrPrivateKey},
		{"wrong network", func(d *Descriptor) { d.Network = Regtest }, ErrWrongNetwork},
		{"wrong fingerprint at depth 0", func(d *Descriptor) {
			k, _ := prv.Neuter()
			d.Key, d.Origin.Path = k, nil
		}, nil},
	}
	for _, tt := range tests {
		d := *good
		tt.edit(&d)
		err := d.Validate()
		if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) {
			t.Errorf("%s: Validate() = %v; want an error (%v)", tt.name, err, tt.is)
		}
		if _, err := d.Address(0, 0); err == nil {
			t.Errorf("%s: Address succeeded on an invalid descriptor", tt.name)
		}
		if s := d.String(); !strings.HasPrefix(s, "invalid descriptor") {
			t.Errorf("%s: String() = %q; want it to say the descriptor is invalid", tt.name, s)
		}
	}
	for _, tt := range []struct{ branch, index uint32 }{{2, 0}, {0, Hardened}} {
		if _, err := good.Address(tt.branch, tt.index); err == nil {
			t.Errorf("Address(%d, %d) succeeded; want an error", tt.branch, tt.index)
		}
	}
}

func TestMasterLevelKey(t *testing.T) {
	// A key at depth 0 has an empty origin path, and the origin's
	// fingerprint must be its own.
	const xpub = "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8"
	d, err := Parse("pkh([3442193e]" + xpub + "/<0;1>/*)")
	if err != nil {
		t.Fatal(err)
	}
	if got := d.MasterFingerprint(); hex.EncodeToString(got[:]) != "3442193e" {
		t.Errorf("MasterFingerprint() = %x; want 3442193e", got)
	}
	if _, err := Parse("pkh([deadbeef]" + xpub + "/<0;1>/*)"); err == nil {
		t.Error("Parse accepted a master key whose origin fingerprint is not its own")
	}
	if got := FormatPath(d.Path(1, 5)); got != "m/1/5" {
		t.Errorf("FormatPath(Path(1, 5)) = %s; want m/1/5", got)
	}
}

func FuzzParse(f *testing.F) {
	d := bip86Account(f)
	f.Add(d.String())
	f.Add(d.Branch(1))
	f.Add(strings.Replace(d.String(), "tr(", "wpkh(", 1))
	f.Add("sh(wpkh([73c5da0a/49'/1'/0']upub5EFU65HtV5TeiSHmZZm7FUffBGy8UKeqp7vw43jYbvZPpoVsgU93oac7Wk3u6moKegAEWtGNF8DehrnHtv21XXEMYRUocHqguyjknFHYfgY/<0;1>/*))")
	f.Add("raw(deadbeef)#89f8spxm")
	// Multisig: native and nested, every derivation form, and the
	// largest wallet airsign registers.
	f.Add("wsh(sortedmulti(2," + bip129Key1 + "/<0;1>/*," + bip129Key2 + "/<0;1>/*))")
	f.Add("sh(wsh(sortedmulti(1," + bip129Key2 + "/0/*," + bip129Key1 + "/0/*)))")
	f.Add(strings.ReplaceAll("wsh(sortedmulti(1,"+bip129Key1+"/1/*,"+bip129Key2+"/1/*))", "'", "h"))
	f.Add(withChecksum(multiDesc(f, 3, 5, Testnet)))
	f.Add(multiDesc(f, MaxMultisigKeys, MaxMultisigKeys, Mainnet))
	f.Add("wsh(multi(2," + bip129Key1 + "/<0;1>/*," + bip129Key2 + "/<0;1>/*))")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			return
		}
		out := d.String()
		d2, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(%q) failed on the output of String for %q: %v", out, s, err)
		}
		if out2 := d2.String(); out2 != out {
			t.Fatalf("String not stable: %q then %q", out, out2)
		}
		if _, err := d.Address(0, 0); err != nil {
			t.Fatalf("Address(0, 0) of parsed %q: %v", s, err)
		}
	})
}
