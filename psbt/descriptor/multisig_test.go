package descriptor

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBIP67(t *testing.T) {
	var v struct {
		Vectors []struct {
			Name            string
			List, Sorted    []string
			Script, Address string
		}
	}
	readJSON(t, "multisig-bip67-vectors.json", &v)
	if len(v.Vectors) != 4 {
		t.Fatalf("got %d BIP67 vectors; want 4", len(v.Vectors))
	}
	for _, vec := range v.Vectors {
		var keys [][]byte
		for _, k := range vec.List {
			keys = append(keys, mustHex(t, k))
		}
		sorted := sortKeys(keys)
		for i, k := range sorted {
			if got := hex.EncodeToString(k); got != vec.Sorted[i] {
				t.Errorf("%s: sorted key %d = %s; want %s", vec.Name, i, got, vec.Sorted[i])
			}
		}
		script, err := multisigScript(2, sorted)
		if err != nil || hex.EncodeToString(script) != vec.Script {
			t.Errorf("%s: script = %x, %v; want %s", vec.Name, script, err, vec.Script)
		}
		addr, err := btcutil.NewAddressScriptHash(script, &chaincfg.MainNetParams)
		if err != nil || addr.EncodeAddress() != vec.Address {
			t.Errorf("%s: address = %v, %v; want %s", vec.Name, addr, err, vec.Address)
		}
	}
}

// bip383Key evaluates one key expression of BIP383's test vectors (WIF, hex,
// xpub or xprv with a path and wildcard, origin ignored) at index i. The
// package's own parser reads only account keys with origins and /<0;1>/*, so
// the vectors' other key forms are evaluated here to check the script
// construction the parser shares.
func bip383Key(t *testing.T, s string, i uint32) []byte {
	t.Helper()
	if j := strings.IndexByte(s, ']'); j >= 0 {
		s = s[j+1:]
	}
	if isHex(s) {
		return mustHex(t, s)
	}
	if wif, err := btcutil.DecodeWIF(s); err == nil {
		return wif.SerializePubKey()
	}
	parts := strings.Split(s, "/")
	k, err := hdkeychain.NewKeyFromString(parts[0])
	if err != nil {
		t.Fatalf("key %s: %v", s, err)
	}
	for _, p := range parts[1:] {
		var step uint32
		switch {
		case p == "*":
			step = i
		case p == "*'":
			step = i + Hardened
		default:
			if step, err = parseStep(p); err != nil {
				t.Fatalf("key %s: %v", s, err)
			}
		}
		if k, err = k.Derive(step); err != nil {
			t.Fatalf("key %s: %v", s, err)
		}
	}
	pub, err := k.ECPubKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub.SerializeCompressed()
}

func TestBIP383(t *testing.T) {
	var v struct {
		Valid []struct {
			Descriptor string
			Scripts    []string
		}
		Invalid []struct{ Name, Descriptor string }
	}
	readJSON(t, "bip383-vectors.json", &v)
	for _, vec := range v.Valid {
		names, args, err := peel(vec.Descriptor)
		if err != nil {
			t.Fatalf("peel(%s): %v", vec.Descriptor, err)
		}
		k, err := strconv.Atoi(args[0])
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range vec.Scripts {
			var keys [][]byte
			for _, a := range args[1:] {
				keys = append(keys, bip383Key(t, a, uint32(i)))
			}
			if names[len(names)-1] == "sortedmulti" {
				keys = sortKeys(keys)
			}
			script, err := multisigScript(k, keys)
			if err != nil {
				t.Fatal(err)
			}
			for j := len(names) - 2; j >= 0; j-- {
				switch names[j] {
				case "wsh":
					script = p2wshProgram(script)
				case "sh":
					script = append(append([]byte{0xa9, 0x14}, btcutil.Hash160(script)...), 0x87)
				}
			}
			if got := hex.EncodeToString(script); got != want {
				t.Errorf("%.60s…: script %d = %s; want %s", vec.Descriptor, i, got, want)
			}
		}
		// None of these is an airsign wallet (no origins, no
		// /<0;1>/*, unsorted or bare multi), so Parse refuses each.
		if d, err := Parse(vec.Descriptor); err == nil {
			t.Errorf("Parse(%.60s…) = %v, nil; want a refusal", vec.Descriptor, d)
		}
	}
	for _, vec := range v.Invalid {
		if d, err := Parse(vec.Descriptor); err == nil {
			t.Errorf("%s: Parse = %v, nil; want an error", vec.Name, d)
		}
	}
}

// cosigner returns the key expression of the BIP48 key m/48'/coin'/0'/2' of
// a test seed made of byte seed, and that key's master fingerprint.
func cosigner(t testing.TB, seed byte, net Network) (string, [4]byte) {
	t.Helper()
	master, err := hdkeychain.NewMaster(bytes.Repeat([]byte{seed}, 32), net.Params())
	if err != nil {
		t.Fatal(err)
	}
	fp, err := keyFingerprint(master)
	if err != nil {
		t.Fatal(err)
	}
	path := []uint32{48 + Hardened, net.CoinType() + Hardened, Hardened, 2 + Hardened}
	k := master
	for _, p := range path {
		if k, err = k.Derive(p); err != nil {
			t.Fatal(err)
		}
	}
	if k, err = k.Neuter(); err != nil {
		t.Fatal(err)
	}
	o := KeyOrigin{Fingerprint: fp, Path: path}
	return "[" + o.String() + "]" + k.String(), fp
}

func multiDesc(t testing.TB, k, n int, net Network) string {
	t.Helper()
	parts := []string{strconv.Itoa(k)}
	for i := range n {
		key, _ := cosigner(t, byte(i+1), net)
		parts = append(parts, key+"/<0;1>/*")
	}
	return "wsh(sortedmulti(" + strings.Join(parts, ",") + "))"
}

// bip129Keys are the account keys of BIP129's NO_ENCRYPTION test vector.
const (
	bip129Key1 = "[1cf0bf7e/48'/0'/0'/2']xpub6FL8FhxNNUVnG64YurPd16AfGyvFLhh7S2uSsDqR3Qfcm6o9jtcMYwh6DvmcBF9qozxNQmTCVvWtxLpKTnhVLN3Pgnu2D3pAoXYFgVyd8Yz"
	bip129Key2 = "[4fc1dd4a/48'/0'/0'/2']xpub6EebMbEps7ZcV3FYEnddRsvrFWDrt2tiPmCeM7pPXQEmphvq9ZfJ1LWFUDjf3vxCeBuPrfyGrMazWUsYsetrnHatQZVLJH7LsgCjtMqdzgj"
	bip129Addr = "bc1qrgc6p3kylfztu06ysl752gwwuekhvtfh9vr7zg43jvu60mutamcsv948ej"
)

func TestMultisigParse(t *testing.T) {
	tests := []struct {
		desc      string
		script    ScriptType
		threshold int
		branch    uint32
		address   string
	}{
		{"wsh(sortedmulti(2," + bip129Key1 + "/<0;1>/*," + bip129Key2 + "/<0;1>/*))", P2WSHMulti, 2, 0, bip129Addr},
		{"wsh(sortedmulti(2," + bip129Key1 + "/0/*," + bip129Key2 + "/0/*))", P2WSHMulti, 2, 0, bip129Addr},
		// Sorting makes the key order irrelevant to addresses.
		{"wsh(sortedmulti(2," + bip129Key2 + "/<0;1>/*," + bip129Key1 + "/<0;1>/*))", P2WSHMulti, 2, 0, bip129Addr},
		{strings.ReplaceAll("wsh(sortedmulti(2,"+bip129Key1+"/1/*,"+bip129Key2+"/1/*))", "'", "h"), P2WSHMulti, 2, 0, bip129Addr},
	}
	for _, tt := range tests {
		d, err := Parse(tt.desc)
		if err != nil {
			t.Errorf("Parse(%s): %v", tt.desc, err)
			continue
		}
		if d.Script != tt.script || d.Threshold != tt.threshold || len(d.Keys) != 2 || d.Network != Mainnet {
			t.Errorf("Parse(%s) = %v %d-of-%d on %v; want %v %d-of-2 on mainnet", tt.desc, d.Script, d.Threshold, len(d.Keys), d.Network, tt.script, tt.threshold)
		}
		addr, err := d.Address(tt.branch, 0)
		if err != nil || addr.EncodeAddress() != tt.address {
			t.Errorf("Parse(%s).Address(%d, 0) = %v, %v; want %s", tt.desc, tt.branch, addr, err, tt.address)
		}
	}
}

// TestBIP129NestedUnsorted checks the sh(wsh()) construction on BIP129's
// EXTENDED vector, a sh(wsh(multi(...))) (unsorted) wallet airsign refuses
// to register, whose first address is published.
func TestBIP129NestedUnsorted(t *testing.T) {
	keys := []string{
		"xpub6ErVmcYYHmavsMgxEcTZyzN5sqth1ZyRpFNJC26ij1wYGC2SBKYrgt9yariSbn7HLRoZUvhUhmPfsRTPrdhhGFscpPZzmch6UTdmRP1aZUj",
		"xpub6Du5Jn6eYZE96ccmAc1ZTFPzdnzrvqfG4mpamDun2qZYKywoiQJMCbS3kWWMr6U3XW6s125RLsaPABWgv2yA749ieaMe67FxkTjMsbcxCch",
		"xpub6Ex81KopPkEt9hJiWHabYy8LNsSR4A7sUQoFBk9dR8XxHrr4p9HrYWN3NCf5uwfopHnQkCG7FYnZMztKbtRtbh6tzZC4xtHPbmVVxRSN7ic",
	}
	var pubs [][]byte
	for _, k := range keys {
		pubs = append(pubs, bip383Key(t, k+"/0/*", 0))
	}
	ws, err := multisigScript(2, pubs)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := btcutil.NewAddressScriptHash(p2wshProgram(ws), &chaincfg.MainNetParams)
	if want := "3GzMtFXahiu4TpGNGFc4bHMvAcvz5vVQrT"; err != nil || addr.EncodeAddress() != want {
		t.Errorf("sh(wsh(multi(2,...))) first address = %v, %v; want %s", addr, err, want)
	}
}

func TestMultisigAPI(t *testing.T) {
	d, err := Parse("sh(wsh(sortedmulti(2," + bip129Key1 + "/<0;1>/*," + bip129Key2 + "/<0;1>/*)))")
	if err != nil {
		t.Fatal(err)
	}
	if d.Script != P2SHP2WSHMulti {
		t.Fatalf("Script = %v; want p2sh-p2wsh-sortedmulti", d.Script)
	}
	for _, tt := range []struct {
		fp   string
		want int
		ok   bool
	}{{"1cf0bf7e", 0, true}, {"4fc1dd4a", 1, true}, {"73c5da0a", 0, false}} {
		var fp [4]byte
		copy(fp[:], mustHex(t, tt.fp))
		if got, ok := d.KeyFor(fp); got != tt.want || ok != tt.ok {
			t.Errorf("KeyFor(%s) = %d, %v; want %d, %v", tt.fp, got, ok, tt.want, tt.ok)
		}
	}
	if got := FormatPath(d.Keys[1].Path(1, 7)); got != "m/48'/0'/0'/2'/1/7" {
		t.Errorf("Keys[1].Path(1, 7) = %s; want m/48'/0'/0'/2'/1/7", got)
	}
	if d.Path(0, 0) != nil || d.MasterFingerprint() != [4]byte{} {
		t.Errorf("Path and MasterFingerprint of a multisig = %v, %x; want nil and zero", d.Path(0, 0), d.MasterFingerprint())
	}
	if _, err := d.PublicKey(0, 0); err == nil {
		t.Error("PublicKey of a multisig succeeded; want an error naming PublicKeys")
	}
	for _, bi := range []struct{ branch, index uint32 }{{0, 0}, {1, 3}} {
		pubs, err := d.PublicKeys(bi.branch, bi.index)
		if err != nil {
			t.Fatal(err)
		}
		for i, k := range d.Keys {
			pub, err := k.PublicKey(bi.branch, bi.index)
			if err != nil || !pub.IsEqual(pubs[i]) {
				t.Errorf("Keys[%d].PublicKey(%d, %d) = %v, %v; want PublicKeys' key", i, bi.branch, bi.index, pub, err)
			}
		}
		ws, err := d.WitnessScript(bi.branch, bi.index)
		if err != nil {
			t.Fatal(err)
		}
		a, b := pubs[0].SerializeCompressed(), pubs[1].SerializeCompressed()
		if bytes.Compare(a, b) > 0 {
			a, b = b, a
		}
		want := fmt.Sprintf("5221%x21%x52ae", a, b)
		if got := hex.EncodeToString(ws); got != want {
			t.Errorf("WitnessScript(%d, %d) = %s; want %s", bi.branch, bi.index, got, want)
		}
		hash := sha256.Sum256(ws)
		redeem, err := d.RedeemScript(bi.branch, bi.index)
		if want := "0020" + hex.EncodeToString(hash[:]); err != nil || hex.EncodeToString(redeem) != want {
			t.Errorf("RedeemScript(%d, %d) = %x, %v; want %s", bi.branch, bi.index, redeem, err, want)
		}
		pk, err := d.PkScript(bi.branch, bi.index)
		if want := "a914" + hex.EncodeToString(btcutil.Hash160(redeem)) + "87"; err != nil || hex.EncodeToString(pk) != want {
			t.Errorf("PkScript(%d, %d) = %x, %v; want %s", bi.branch, bi.index, pk, err, want)
		}
	}
	// The native variant of the same keys has no redeem script, and its
	// output pays to the witness script's hash directly.
	w, err := Parse("wsh(sortedmulti(2," + bip129Key1 + "/<0;1>/*," + bip129Key2 + "/<0;1>/*))")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.RedeemScript(0, 0); err == nil {
		t.Error("RedeemScript of a P2WSH multisig succeeded; want an error")
	}
	// Single-sig: RedeemScript of sh(wpkh) is the P2WPKH program, and
	// WitnessScript is refused.
	s := bip86Account(t)
	if _, err := s.WitnessScript(0, 0); err == nil {
		t.Error("WitnessScript of a single-sig descriptor succeeded; want an error")
	}
	const upub = "upub5EFU65HtV5TeiSHmZZm7FUffBGy8UKeqp7vw43jYbvZPpoVsgU93oac7Wk3u6moKegAEWtGNF8DehrnHtv21XXEMYRUocHqguyjknFHYfgY"
	n, err := Parse("sh(wpkh([" + abandonFP + "/49'/1'/0']" + upub + "/<0;1>/*))")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := n.PublicKey(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	redeem, err := n.RedeemScript(0, 0)
	if want := "0014" + hex.EncodeToString(btcutil.Hash160(pub.SerializeCompressed())); err != nil || hex.EncodeToString(redeem) != want {
		t.Errorf("sh(wpkh) RedeemScript(0, 0) = %x, %v; want %s", redeem, err, want)
	}
}

func TestMultisigRoundTrip(t *testing.T) {
	descs := []string{
		"wsh(sortedmulti(2," + bip129Key1 + "/<0;1>/*," + bip129Key2 + "/<0;1>/*))",
		"sh(wsh(sortedmulti(1," + bip129Key2 + "/<0;1>/*," + bip129Key1 + "/<0;1>/*)))",
		multiDesc(t, 3, 5, Testnet),
		multiDesc(t, MaxMultisigKeys, MaxMultisigKeys, Mainnet),
	}
	for _, desc := range descs {
		d, err := Parse(desc)
		if err != nil {
			t.Errorf("Parse(%.60s…): %v", desc, err)
			continue
		}
		s := d.String()
		if body, _, _ := strings.Cut(s, "#"); body != desc {
			t.Errorf("String() = %s; want %s with a checksum", s, desc)
		}
		for _, in := range []string{s, d.Branch(0), d.Branch(1), strings.ReplaceAll(desc, "'", "h")} {
			got, err := Parse(in)
			if err != nil {
				t.Errorf("Parse(%.60s…): %v", in, err)
				continue
			}
			if got.String() != s {
				t.Errorf("Parse(%.60s…).String() = %s; want %s", in, got, s)
			}
		}
		for branch, form := range map[uint32]string{0: "/0/*", 1: "/1/*"} {
			b := d.Branch(branch)
			if strings.Count(b, form) != len(d.Keys) || strings.Contains(b, multipath) {
				t.Errorf("Branch(%d) = %s; want every key followed by %s", branch, b, form)
			}
			if _, err := StripChecksum(b); err != nil || !strings.Contains(b, "#") {
				t.Errorf("Branch(%d) = %s: want a valid checksum (%v)", branch, b, err)
			}
		}
	}
}

func TestMultisigNetworks(t *testing.T) {
	desc := multiDesc(t, 2, 3, Testnet)
	for _, tt := range []struct {
		net    Network
		prefix string
	}{{Testnet, "tb1q"}, {Signet, "tb1q"}, {Regtest, "bcrt1q"}} {
		d, err := ParseForNetwork(desc, tt.net)
		if err != nil {
			t.Errorf("ParseForNetwork(%v): %v", tt.net, err)
			continue
		}
		addr, err := d.Address(0, 0)
		if err != nil || !strings.HasPrefix(addr.EncodeAddress(), tt.prefix) {
			t.Errorf("%v: Address(0, 0) = %v, %v; want prefix %s", tt.net, addr, err, tt.prefix)
		}
	}
	if _, err := ParseForNetwork(desc, Mainnet); !errors.Is(err, ErrWrongNetwork) {
		t.Errorf("ParseForNetwork(tpub multisig, Mainnet) error = %v; want ErrWrongNetwork", err)
	}
}

func TestMultisigParseErrors(t *testing.T) {
	const (
		xprv = "xprv9xgqHN7yz9MwCkxsBPN5qetuNdQSUttZNKw1dcYTV4mkaAFiBVGQziHs3NRSWMkCzvgjEe3n9xV8oYywvM8at9yRqyaZVz6TYYhX98VjsUk"
		k1   = bip129Key1 + "/<0;1>/*"
		k2   = bip129Key2 + "/<0;1>/*"
	)
	tpubKey, _ := cosigner(t, 9, Testnet)
	k1Xpub := strings.TrimPrefix(bip129Key1, "[1cf0bf7e/48'/0'/0'/2']")
	// bip129Key1 with its xpub swapped for abandon's BIP86 account xprv.
	prvKey := "[" + abandonFP + "/86'/0'/0']" + xprv + "/<0;1>/*"
	// Another key of the same seed as bip129Key1: its origin names the
	// same master fingerprint.
	sameSeed, _ := cosigner(t, 1, Mainnet)
	sameSeed = "[1cf0bf7e" + sameSeed[9:] + "/<0;1>/*"
	tests := []struct {
		name, desc string
		is         error
		want       string
	}{
		{"threshold above keys", "wsh(sortedmulti(3," + k1 + "," + k2 + "))", nil, "threshold 3 is more than its 2 keys"},
		{"threshold 0", "wsh(sortedmulti(0," + k1 + "," + k2 + "))", nil, "threshold is 0"},
		{"threshold not a number", "wsh(sortedmulti(a," + k1 + "," + k2 + "))", nil, "not a number"},
		{"threshold with leading zero", "wsh(sortedmulti(02," + k1 + "," + k2 + "))", nil, "not a number"},
		{"threshold with sign", "wsh(sortedmulti(+2," + k1 + "," + k2 + "))", nil, "not a number"},
		{"no keys", "wsh(sortedmulti(1))", nil, "at least one key"},
		{"duplicate keys", "wsh(sortedmulti(1," + k1 + "," + k2 + "," + k1 + "))", nil, "keys 1 and 3 of the multisig are the same key"},
		{"duplicate keys, other derivation form", "wsh(sortedmulti(1," + k1 + "," + strings.ReplaceAll(k1, "'", "h") + "))", nil, "same key"},
		{"two keys of one seed", "wsh(sortedmulti(1," + k1 + "," + sameSeed + "))", nil, "both come from master fingerprint 1cf0bf7e"},
		{"mixed networks", "wsh(sortedmulti(1," + k1 + "," + tpubKey + "/<0;1>/*))", ErrWrongNetwork, "key 2 of 2"},
		{"missing origin", "wsh(sortedmulti(1," + k1 + "," + k1Xpub + "/<0;1>/*))", ErrMissingOrigin, "key 2 of 2"},
		{"private key", "wsh(sortedmulti(1," + k1 + "," + prvKey + "))", ErrPrivateKey, "key 2 of 2"},
		{"unsorted multi", "wsh(multi(1," + k1 + "," + k2 + "))", nil, "unsorted multi(...) is not supported"},
		{"unsorted nested multi", "sh(wsh(multi(1," + k1 + "," + k2 + ")))", nil, "only sortedmulti"},
		{"legacy p2sh multisig", "sh(sortedmulti(1," + k1 + "," + k2 + "))", nil, "legacy P2SH"},
		{"bare multisig", "sortedmulti(1," + k1 + "," + k2 + ")", nil, "bare sortedmulti"},
		{"16 keys", multiDesc(t, 2, 16, Mainnet), nil, "16 keys, more than the 15"},
		{"mixed derivations", "wsh(sortedmulti(1," + k1 + "," + bip129Key2 + "/0/*))", nil, "key 2 of 2 is followed by /0/*"},
		{"bad checksum", strings.Replace(withChecksum("wsh(sortedmulti(1,"+k1+","+k2+"))"), "sortedmulti(1", "sortedmulti(2", 1), ErrChecksum, ""},
		{"single public key", "wsh(sortedmulti(1," + k1 + ",[b7044ca6/48'/0'/0'/2']030baf0497ab406ff50cb48b4013abac8a0338758d2fd54cd934927afa57cc2062))", nil, "single public key"},
		{"origin of another key", "wsh(sortedmulti(1," + k1 + ",[4fc1dd4a/48'/0'/0'/1']" + strings.TrimPrefix(k2, "[4fc1dd4a/48'/0'/0'/2']") + "))", nil, "key 2 of 2: the key origin [4fc1dd4a/48'/0'/0'/1'] ends in 1'"},
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
		if strings.Contains(err.Error(), xprv[4:30]) {
			t.Errorf("%s: error %q quotes a private key", tt.name, err)
		}
	}
}

func TestMultisigValidate(t *testing.T) {
	good, err := Parse(multiDesc(t, 2, 3, Mainnet))
	if err != nil {
		t.Fatal(err)
	}
	prv, err := hdkeychain.NewMaster(bytes.Repeat([]byte{7}, 32), &chaincfg.MainNetParams)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(d *Descriptor)
		is   error
	}{
		{"threshold 0", func(d *Descriptor) { d.Threshold = 0 }, nil},
		{"threshold above keys", func(d *Descriptor) { d.Threshold = 4 }, nil},
		{"no keys", func(d *Descriptor) { d.Keys = nil }, nil},
		{"single-sig key set", func(d *Descriptor) { d.Key = d.Keys[0].Key }, nil},
		{"nil cosigner key", func(d *Descriptor) { d.Keys[1].Key = nil }, nil},
		{"private cosigner key", func(d *Descriptor) { d.Keys[1] = Key{Origin: KeyOrigin{Fingerprint: [4]byte{1}}, Key: prv} }, ErrPrivateKey},
		{"duplicate key", func(d *Descriptor) { d.Keys[2] = d.Keys[0] }, nil},
		{"wrong network", func(d *Descriptor) { d.Network = Regtest }, ErrWrongNetwork},
		{"multisig fields on single-sig", func(d *Descriptor) { d.Script = P2WPKH }, nil},
		{"16 keys", func(d *Descriptor) {
			for len(d.Keys) <= MaxMultisigKeys {
				d.Keys = append(d.Keys, d.Keys[0])
			}
		}, nil},
	}
	for _, tt := range tests {
		d := *good
		d.Keys = append([]Key(nil), good.Keys...)
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
	// A single-sig account key with a multisig script type, as
	// hd.Master.Account(P2WSHMulti, 0) would build it, is refused.
	single := bip86Account(t)
	single.Script = P2WSHMulti
	if err := single.Validate(); err == nil {
		t.Error("Validate accepted a multisig script type with a single-sig key")
	}
}

func TestMultisigScriptTypes(t *testing.T) {
	tests := []struct {
		s        ScriptType
		name     string
		purpose  uint32
		bip48    uint32
		multisig bool
		slip132  string
	}{
		{P2WPKH, "p2wpkh", 84, 0, false, "zpub"},
		{P2WSHMulti, "p2wsh-sortedmulti", 48, 2, true, "Zpub"},
		{P2SHP2WSHMulti, "p2sh-p2wsh-sortedmulti", 48, 1, true, "Ypub"},
	}
	d, err := Parse("wsh(sortedmulti(2," + bip129Key1 + "/<0;1>/*," + bip129Key2 + "/<0;1>/*))")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		if got, err := ParseScriptType(tt.name); err != nil || got != tt.s || got.String() != tt.name {
			t.Errorf("ParseScriptType(%q) = %v, %v; want %v", tt.name, got, err, tt.s)
		}
		if tt.s.Purpose() != tt.purpose || tt.s.BIP48Type() != tt.bip48 || tt.s.Multisig() != tt.multisig {
			t.Errorf("%v: Purpose, BIP48Type, Multisig = %d, %d, %v; want %d, %d, %v", tt.s, tt.s.Purpose(), tt.s.BIP48Type(), tt.s.Multisig(), tt.purpose, tt.bip48, tt.multisig)
		}
		if got, err := SLIP132(d.Keys[0].Key, tt.s, Mainnet); err != nil || !strings.HasPrefix(got, tt.slip132) {
			t.Errorf("SLIP132(%v) = %q, %v; want prefix %s", tt.s, got, err, tt.slip132)
		}
	}
}

// TestMultisigKeyDerivation checks Key.PublicKey against derivation by hand.
func TestMultisigKeyDerivation(t *testing.T) {
	d, err := Parse("wsh(sortedmulti(1," + bip129Key1 + "/<0;1>/*))")
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.Keys[0].PublicKey(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	want, err := btcec.ParsePubKey(bip383Key(t, strings.TrimPrefix(bip129Key1, "[1cf0bf7e/48'/0'/0'/2']")+"/0/*", 0))
	if err != nil || !got.IsEqual(want) {
		t.Errorf("Keys[0].PublicKey(0, 0) = %x; want %x (%v)", got.SerializeCompressed(), want.SerializeCompressed(), err)
	}
	if _, err := (Key{}).PublicKey(0, 0); err == nil {
		t.Error("PublicKey of an empty Key succeeded; want an error")
	}
}
