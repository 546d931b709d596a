package hd

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/tyler-smith/go-bip39"

	"airsign/psbt/descriptor"
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

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withVersion re-encodes an extended key with other version bytes, for
// comparing with vectors written as zprv, uprv and the like.
func withVersion(t testing.TB, k *hdkeychain.ExtendedKey, version string) string {
	t.Helper()
	c, err := k.CloneWithVersion(unhex(t, version))
	if err != nil {
		t.Fatal(err)
	}
	return c.String()
}

const abandon = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

func TestWordList(t *testing.T) {
	if len(englishWords) != 2048 || englishWords[0] != "abandon" || englishWords[2047] != "zoo" {
		t.Fatalf("word list has %d words from %q to %q; want the 2048 English words", len(englishWords), englishWords[0], englishWords[len(englishWords)-1])
	}
	for _, w := range englishWords {
		if len(w) > maxWordLen {
			t.Errorf("word %q is longer than maxWordLen %d", w, maxWordLen)
		}
	}
}

func TestBIP39Vectors(t *testing.T) {
	var v struct {
		Passphrase string
		English    [][4]string
	}
	readJSON(t, "bip39-vectors.json", &v)
	if len(v.English) != 24 {
		t.Fatalf("got %d vectors; want 24", len(v.English))
	}
	for _, c := range v.English {
		entropyHex, mnemonic, seedHex, xprv := c[0], c[1], c[2], c[3]
		entropy := unhex(t, entropyHex)
		m, err := NewMnemonic(entropy)
		if err != nil || string(m) != mnemonic {
			t.Errorf("NewMnemonic(%s) = %q, %v; want %q", entropyHex, m, err, mnemonic)
		}
		if want, _ := bip39.NewMnemonic(entropy); string(m) != want {
			t.Errorf("NewMnemonic(%s) = %q; go-bip39 says %q", entropyHex, m, want)
		}
		e, err := MnemonicToEntropy([]byte(mnemonic))
		if err != nil || !bytes.Equal(e, entropy) {
			t.Errorf("MnemonicToEntropy(%q) = %x, %v; want %s", mnemonic, e, err, entropyHex)
		}
		s := SeedFromMnemonic([]byte(mnemonic), []byte(v.Passphrase))
		if got := hex.EncodeToString(s); got != seedHex {
			t.Errorf("SeedFromMnemonic(%q) = %s; want %s", mnemonic, got, seedHex)
		}
		if want := bip39.NewSeed(mnemonic, v.Passphrase); !bytes.Equal(s, want) {
			t.Errorf("SeedFromMnemonic(%q) differs from go-bip39's", mnemonic)
		}
		master, err := NewMaster(s, descriptor.Mainnet)
		if err != nil {
			t.Fatal(err)
		}
		if got := master.key.String(); got != xprv {
			t.Errorf("master key of %q = %s; want %s", mnemonic, got, xprv)
		}
	}
}

func TestMnemonicTolerance(t *testing.T) {
	entropy := make([]byte, 16)
	inputs := []string{
		abandon,
		strings.ToUpper(abandon),
		"  " + strings.ReplaceAll(abandon, " ", "\n") + "\n",
		strings.ReplaceAll(abandon, " ", " \t\r\n  "),
		"Abandon ABANDON abandon abandon abandon abandon\nabandon abandon abandon abandon abandon About",
	}
	for _, in := range inputs {
		e, err := MnemonicToEntropy([]byte(in))
		if err != nil || !bytes.Equal(e, entropy) {
			t.Errorf("MnemonicToEntropy(%q) = %x, %v; want %x", in, e, err, entropy)
		}
		c, err := CanonicalMnemonic([]byte(in))
		if err != nil || string(c) != abandon {
			t.Errorf("CanonicalMnemonic(%q) = %q, %v; want %q", in, c, err, abandon)
		}
	}
}

func TestMnemonicErrors(t *testing.T) {
	words := strings.Fields("legal winner thank year wave sausage worth useful legal winner thank yellow")
	replace := func(i int, w string) string {
		c := append([]string(nil), words...)
		c[i] = w
		return strings.Join(c, " ")
	}
	tests := []struct {
		name, mnemonic string
		want           string
		secret         string // must not appear in the error
	}{
		{"misspelled word 7", replace(6, "wurth"), "word 7 is not in the BIP39 English list", "wurth"},
		{"long word 1", replace(0, "legallegallegal"), "word 1 is not in the BIP39 English list", "legallegal"},
		{"non-ASCII word 12", replace(11, "yéllow"), "word 12 is not in the BIP39 English list", "llow"},
		{"abbreviation", replace(2, "than"), "word 3 is not in the BIP39 English list", "than"},
		{"swapped words", replace(0, "winner"), "checksum does not match", "winner"},
		{"11 words", strings.Join(words[:11], " "), "has 11 words", "legal"},
		{"13 words", strings.Join(append(words, "legal"), " "), "has 13 words", "legal"},
		{"empty", "", "has 0 words", ""},
	}
	for _, tt := range tests {
		e, err := MnemonicToEntropy([]byte(tt.mnemonic))
		if err == nil {
			t.Errorf("%s: MnemonicToEntropy = %x, nil; want an error", tt.name, e)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %q; want it to say %q", tt.name, err, tt.want)
		}
		if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
			t.Errorf("%s: error %q reveals a word of the mnemonic", tt.name, err)
		}
	}
	_, err := MnemonicToEntropy([]byte(replace(6, "wurth")))
	var we *WordError
	if !errors.As(err, &we) || we.Position != 7 {
		t.Errorf("error = %v; want a *WordError at position 7", err)
	}
	if _, err := MnemonicToEntropy([]byte(replace(0, "winner"))); !errors.Is(err, ErrChecksum) {
		t.Errorf("error = %v; want ErrChecksum", err)
	}
	for _, n := range []int{0, 15, 17, 33, 64} {
		if _, err := NewMnemonic(make([]byte, n)); err == nil {
			t.Errorf("NewMnemonic of %d bytes succeeded; want an error", n)
		}
	}
}

func TestNewSeed(t *testing.T) {
	want := SeedFromMnemonic([]byte(abandon), []byte("TREZOR"))
	got, err := NewSeed([]byte(strings.ToUpper(abandon)+"\n"), []byte("TREZOR"))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("NewSeed(upper case) = %x, %v; want %x", got, err, want)
	}
	if _, err := NewSeed([]byte(abandon), []byte("pässword")); !errors.Is(err, ErrNonASCIIPassphrase) {
		t.Errorf("NewSeed(non-ASCII passphrase) error = %v; want ErrNonASCIIPassphrase", err)
	}
	if _, err := NewSeed([]byte("abandon about"), nil); err == nil {
		t.Error("NewSeed accepted an invalid mnemonic")
	}
}

// parsePath reads the "m/0H/1" paths of the BIP32 vectors.
func parsePath(t *testing.T, s string) []uint32 {
	t.Helper()
	var path []uint32
	for _, step := range strings.Split(s, "/")[1:] {
		h := uint32(0)
		if strings.HasSuffix(step, "H") {
			step, h = strings.TrimSuffix(step, "H"), descriptor.Hardened
		}
		n, err := strconv.ParseUint(step, 10, 32)
		if err != nil {
			t.Fatal(err)
		}
		path = append(path, uint32(n)+h)
	}
	return path
}

func TestBIP32Vectors(t *testing.T) {
	var v struct {
		Valid []struct {
			Name   string
			Seed   string
			Chains []struct{ Path, Xpub, Xprv string }
		}
	}
	readJSON(t, "bip32-vectors.json", &v)
	for _, vec := range v.Valid {
		m, err := NewMaster(unhex(t, vec.Seed), descriptor.Mainnet)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range vec.Chains {
			k, err := m.derive(parsePath(t, c.Path))
			if err != nil {
				t.Fatalf("%s %s: %v", vec.Name, c.Path, err)
			}
			if got := k.String(); got != c.Xprv {
				t.Errorf("%s %s: xprv = %s; want %s", vec.Name, c.Path, got, c.Xprv)
			}
			pub, err := publicCopy(k, descriptor.Mainnet)
			if err != nil {
				t.Fatal(err)
			}
			k.Zero()
			if got := pub.String(); got != c.Xpub {
				t.Errorf("%s %s: xpub = %s; want %s (after zeroing the private key)", vec.Name, c.Path, got, c.Xpub)
			}
		}
		m.Wipe()
	}
}

func abandonMaster(t testing.TB, net descriptor.Network) *Master {
	t.Helper()
	m, err := MasterFromEntropy(make([]byte, 16), net)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

type addrVector struct {
	Branch, Index uint32
	Pubkey        string
	Address       string
}

func TestBIP84(t *testing.T) {
	var v struct {
		RootPriv    string
		AccountPriv string
		Addresses   []addrVector
	}
	readJSON(t, "bip84-vectors.json", &v)
	m := abandonMaster(t, descriptor.Mainnet)
	defer m.Wipe()
	if got := withVersion(t, m.key, "04b2430c"); got != v.RootPriv {
		t.Errorf("root = %s; want %s", got, v.RootPriv)
	}
	d, err := m.Account(descriptor.P2WPKH, 0)
	if err != nil {
		t.Fatal(err)
	}
	acct, err := m.derive(d.Origin.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer acct.Zero()
	if got := withVersion(t, acct, "04b2430c"); got != v.AccountPriv {
		t.Errorf("account zprv = %s; want %s", got, v.AccountPriv)
	}
	want, err := hdkeychain.NewKeyFromString(v.AccountPriv)
	if err != nil {
		t.Fatal(err)
	}
	want, _ = want.CloneWithVersion(chaincfg.MainNetParams.HDPrivateKeyID[:])
	if want, err = want.Neuter(); err != nil {
		t.Fatal(err)
	}
	if d.Key.String() != want.String() {
		t.Errorf("account xpub = %s; want %s", d.Key, want)
	}
	if got := d.Origin.String(); got != "73c5da0a/84'/0'/0'" {
		t.Errorf("origin = %s; want 73c5da0a/84'/0'/0'", got)
	}
	for _, a := range v.Addresses {
		addr, err := d.Address(a.Branch, a.Index)
		if err != nil || addr.EncodeAddress() != a.Address {
			t.Errorf("Address(%d, %d) = %v, %v; want %s", a.Branch, a.Index, addr, err, a.Address)
		}
	}
}

func TestBIP86(t *testing.T) {
	var v struct {
		RootPriv, RootPub, AccountPriv, AccountPub string
		Addresses                                  []addrVector
	}
	readJSON(t, "bip86-vectors.json", &v)
	m := abandonMaster(t, descriptor.Mainnet)
	defer m.Wipe()
	if got := m.key.String(); got != v.RootPriv {
		t.Errorf("root = %s; want %s", got, v.RootPriv)
	}
	d, err := m.Account(descriptor.P2TR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Key.String(); got != v.AccountPub {
		t.Errorf("account xpub = %s; want %s", got, v.AccountPub)
	}
	for _, a := range v.Addresses {
		addr, err := d.Address(a.Branch, a.Index)
		if err != nil || addr.EncodeAddress() != a.Address {
			t.Errorf("Address(%d, %d) = %v, %v; want %s", a.Branch, a.Index, addr, err, a.Address)
		}
	}
}

func TestBIP49Testnet(t *testing.T) {
	const (
		rootPriv    = "uprv8tXDerPXZ1QsVNjUJWTurs9kA1KGfKUAts74GCkcXtU8GwnH33GDRbNJpEqTvipfCyycARtQJhmdfWf8oKt41X9LL1zeD2pLsWmxEk3VAwd"
		accountPub  = "upub5EFU65HtV5TeiSHmZZm7FUffBGy8UKeqp7vw43jYbvZPpoVsgU93oac7Wk3u6moKegAEWtGNF8DehrnHtv21XXEMYRUocHqguyjknFHYfgY"
		firstRecv   = "2Mww8dCYPUpKHofjgcXcBCEGmniw9CoaiD2"
		firstRecvSK = "cULrpoZGXiuC19Uhvykx7NugygA3k86b3hmdCeyvHYQZSxojGyXJ"
	)
	m := abandonMaster(t, descriptor.Testnet)
	defer m.Wipe()
	if got := withVersion(t, m.key, "044a4e28"); got != rootPriv {
		t.Errorf("root = %s; want %s", got, rootPriv)
	}
	d, err := m.Account(descriptor.P2SHP2WPKH, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := descriptor.SLIP132(d.Key, d.Script, d.Network); got != accountPub {
		t.Errorf("SLIP132 = %s, %v; want %s", got, err, accountPub)
	}
	if addr, err := d.Address(0, 0); err != nil || addr.EncodeAddress() != firstRecv {
		t.Errorf("Address(0, 0) = %v, %v; want %s", addr, err, firstRecv)
	}
	priv, err := m.DerivePrivate(d.Path(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer priv.Zero()
	wif, err := btcutil.NewWIF(priv, &chaincfg.TestNet3Params, true)
	if err != nil || wif.String() != firstRecvSK {
		t.Errorf("DerivePrivate(m/49'/1'/0'/0/0) = %v, %v; want %s", wif, err, firstRecvSK)
	}
}

func TestRegtest(t *testing.T) {
	m := abandonMaster(t, descriptor.Regtest)
	defer m.Wipe()
	tests := []struct {
		script       descriptor.ScriptType
		slip132, hrp string
	}{
		{descriptor.P2WPKH, "vpub", "bcrt1q"},
		{descriptor.P2TR, "tpub", "bcrt1p"},
		{descriptor.P2SHP2WPKH, "upub", "2"},
		{descriptor.P2PKH, "tpub", "m"},
	}
	for _, tt := range tests {
		d, err := m.Account(tt.script, 3)
		if err != nil {
			t.Fatal(err)
		}
		wantOrigin := "73c5da0a/" + strconv.Itoa(int(tt.script.Purpose())) + "'/1'/3'"
		if got := d.Origin.String(); got != wantOrigin {
			t.Errorf("%v: origin = %s; want %s", tt.script, got, wantOrigin)
		}
		if got := d.Key.String(); !strings.HasPrefix(got, "tpub") {
			t.Errorf("%v: key = %s; want a tpub", tt.script, got)
		}
		if got, err := descriptor.SLIP132(d.Key, tt.script, d.Network); err != nil || !strings.HasPrefix(got, tt.slip132) {
			t.Errorf("%v: SLIP132 = %s, %v; want prefix %s", tt.script, got, err, tt.slip132)
		}
		addr, err := d.Address(1, 0)
		if err != nil || !strings.HasPrefix(addr.EncodeAddress(), tt.hrp) {
			t.Errorf("%v: Address(1, 0) = %v, %v; want prefix %s", tt.script, addr, err, tt.hrp)
		}
		back, err := descriptor.ParseForNetwork(d.String(), descriptor.Regtest)
		if err != nil || back.String() != d.String() {
			t.Errorf("%v: ParseForNetwork(String()) = %v, %v; want %s", tt.script, back, err, d)
		}
		if a, _ := back.Address(1, 0); a == nil || a.EncodeAddress() != addr.EncodeAddress() {
			t.Errorf("%v: parsed descriptor's Address(1, 0) = %v; want %v", tt.script, a, addr)
		}
	}
}

func TestDerivePrivateMatchesAccount(t *testing.T) {
	var v struct{ Addresses []addrVector }
	readJSON(t, "bip84-vectors.json", &v)
	m := abandonMaster(t, descriptor.Mainnet)
	defer m.Wipe()
	d, err := m.Account(descriptor.P2WPKH, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range v.Addresses {
		priv, err := m.DerivePrivate(d.Path(a.Branch, a.Index))
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(priv.PubKey().SerializeCompressed()); got != a.Pubkey {
			t.Errorf("DerivePrivate(%s) public key = %s; want %s", descriptor.FormatPath(d.Path(a.Branch, a.Index)), got, a.Pubkey)
		}
		priv.Zero()
	}
	if _, err := m.DerivePrivate(nil); err == nil {
		t.Error("DerivePrivate(m) handed out the master private key")
	}
}

func TestCosignerKey(t *testing.T) {
	m := abandonMaster(t, descriptor.Testnet)
	defer m.Wipe()
	origin, key, err := m.CosignerKey(0)
	if err != nil {
		t.Fatal(err)
	}
	if got := origin.String(); got != "73c5da0a/48'/1'/0'/2'" {
		t.Errorf("origin = %s; want 73c5da0a/48'/1'/0'/2'", got)
	}
	if key.IsPrivate() || key.Depth() != 4 || key.ChildIndex() != 2+descriptor.Hardened {
		t.Errorf("key: private %v, depth %d, child %x; want a public key at depth 4, child 2'", key.IsPrivate(), key.Depth(), key.ChildIndex())
	}
	priv, err := m.DerivePrivate(origin.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer priv.Zero()
	pub, _ := key.ECPubKey()
	if !pub.IsEqual(priv.PubKey()) {
		t.Error("CosignerKey's public key is not DerivePrivate's at the same path")
	}
	if _, err := descriptor.ParseExtendedKey(key.String(), descriptor.Testnet); err != nil {
		t.Errorf("ParseExtendedKey(CosignerKey): %v", err)
	}
}

func TestAccountErrors(t *testing.T) {
	m := abandonMaster(t, descriptor.Mainnet)
	defer m.Wipe()
	if _, err := m.Account(descriptor.P2WPKH, descriptor.Hardened); err == nil {
		t.Error("Account(2^31) succeeded; want an error")
	}
	if _, err := m.Account(0, 0); err == nil {
		t.Error("Account(ScriptType(0)) succeeded; want an error")
	}
	if _, err := NewMaster(make([]byte, 15), descriptor.Mainnet); err == nil {
		t.Error("NewMaster(15-byte seed) succeeded; want an error")
	}
	if _, err := NewMaster(make([]byte, 32), 0); err == nil {
		t.Error("NewMaster(Network(0)) succeeded; want an error")
	}
}

func TestWipe(t *testing.T) {
	b := []byte("secret")
	Wipe(b)
	if !bytes.Equal(b, make([]byte, 6)) {
		t.Errorf("Wipe left %q", b)
	}
	m := abandonMaster(t, descriptor.Mainnet)
	fp := m.Fingerprint()
	key := m.key
	m.Wipe()
	if got := key.String(); got != "zeroed extended key" {
		t.Errorf("master key after Wipe = %q; want it zeroed", got)
	}
	if _, err := m.Account(descriptor.P2WPKH, 0); !errors.Is(err, ErrWiped) {
		t.Errorf("Account after Wipe: error = %v; want ErrWiped", err)
	}
	if _, err := m.DerivePrivate([]uint32{0}); !errors.Is(err, ErrWiped) {
		t.Errorf("DerivePrivate after Wipe: error = %v; want ErrWiped", err)
	}
	if _, _, err := m.CosignerKey(0); !errors.Is(err, ErrWiped) {
		t.Errorf("CosignerKey after Wipe: error = %v; want ErrWiped", err)
	}
	if m.Fingerprint() != fp {
		t.Error("Fingerprint changed after Wipe; it is public and names the session")
	}
	m.Wipe() // twice is harmless
}

func TestEntropyFingerprint(t *testing.T) {
	fp, err := EntropyFingerprint(make([]byte, 16))
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(fp[:]); got != "73c5da0a" {
		t.Errorf("EntropyFingerprint(abandon…about) = %s; want 73c5da0a", got)
	}
	m := abandonMaster(t, descriptor.Regtest)
	defer m.Wipe()
	if m.Fingerprint() != fp {
		t.Errorf("Regtest master fingerprint %x differs from EntropyFingerprint %x", m.Fingerprint(), fp)
	}
	if _, err := EntropyFingerprint(make([]byte, 10)); err == nil {
		t.Error("EntropyFingerprint(10 bytes) succeeded; want an error")
	}
}

func BenchmarkEntropyFingerprint(b *testing.B) {
	entropy := make([]byte, 32)
	for b.Loop() {
		if _, err := EntropyFingerprint(entropy); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzMnemonicToEntropy(f *testing.F) {
	f.Add([]byte(abandon))
	f.Add([]byte("zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo vote"))
	f.Add([]byte("LEGAL winner\tthank year\nwave sausage worth useful legal winner thank yellow"))
	f.Add([]byte("abandon abandon"))
	f.Add([]byte{0xff, ' ', 0x00})
	f.Fuzz(func(t *testing.T, m []byte) {
		e, err := MnemonicToEntropy(m)
		if err != nil {
			if we := (*WordError)(nil); errors.As(err, &we) && bytes.Contains([]byte(err.Error()), bytes.TrimSpace(m)) && len(bytes.TrimSpace(m)) > 0 {
				t.Fatalf("error %q quotes the input", err)
			}
			return
		}
		c, err := NewMnemonic(e)
		if err != nil {
			t.Fatalf("NewMnemonic of decoded entropy %x: %v", e, err)
		}
		if !bytes.Equal(c, bytes.ToLower(bytes.Join(bytes.Fields(m), []byte(" ")))) {
			t.Fatalf("round trip of %q gave %q", m, c)
		}
		e2, err := MnemonicToEntropy(c)
		if err != nil || !bytes.Equal(e2, e) {
			t.Fatalf("MnemonicToEntropy(%q) = %x, %v; want %x", c, e2, err, e)
		}
		if want, err := bip39.EntropyFromMnemonic(string(c)); err != nil || !bytes.Equal(want, e) {
			t.Fatalf("go-bip39 decodes %q to %x, %v; want %x", c, want, err, e)
		}
	})
}

func TestTestnetFirstAddress(t *testing.T) {
	// The first receive address of "abandon … about" on testnet, as
	// Electrum, Sparrow and Bitcoin Core show it: the same witness program
	// as the regtest address of the package example.
	m := abandonMaster(t, descriptor.Testnet)
	defer m.Wipe()
	d, err := m.Account(descriptor.P2WPKH, 0)
	if err != nil {
		t.Fatal(err)
	}
	const want = "tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl"
	if addr, err := d.Address(0, 0); err != nil || addr.EncodeAddress() != want {
		t.Errorf("Address(0, 0) = %v, %v; want %s", addr, err, want)
	}
}

// Keys derived through the parent cache equal keys walked from the master,
// and Wipe zeroes the cache with the master.
func TestDerivePrivateCache(t *testing.T) {
	entropy := make([]byte, 16)
	cached, err := MasterFromEntropy(entropy, descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	paths := [][]uint32{}
	for _, branch := range []uint32{0, 1} {
		for i := uint32(0); i < 5; i++ {
			paths = append(paths, []uint32{84 + descriptor.Hardened, 1 + descriptor.Hardened, descriptor.Hardened, branch, i})
		}
	}
	paths = append(paths, []uint32{86 + descriptor.Hardened, 1 + descriptor.Hardened, descriptor.Hardened, 0, 0}, []uint32{7})
	for _, p := range paths {
		fresh, err := MasterFromEntropy(entropy, descriptor.Regtest)
		if err != nil {
			t.Fatal(err)
		}
		want, err := fresh.walk(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := cached.DerivePrivate(p)
		if err != nil {
			t.Fatal(err)
		}
		wantKey, _ := want.ECPrivKey()
		if !got.Key.Equals(&wantKey.Key) {
			t.Errorf("%s: cached derivation differs from a walk from the master", descriptor.FormatPath(p))
		}
		fresh.Wipe()
	}
	if len(cached.parents) == 0 {
		t.Fatal("nothing was cached")
	}
	var parents []*parentKey
	for _, p := range cached.parents {
		parents = append(parents, p)
	}
	cached.Wipe()
	if len(cached.parents) != 0 {
		t.Errorf("%d cached parents survive Wipe", len(cached.parents))
	}
	for _, p := range parents {
		if p.ext.IsPrivate() { // hdkeychain's Zero clears the key and this flag
			t.Error("a cached parent's extended key was not zeroed")
		}
		if !p.priv.Key.IsZero() {
			t.Error("a cached parent's private key was not zeroed")
		}
	}
	if _, err := cached.DerivePrivate(paths[0]); !errors.Is(err, ErrWiped) {
		t.Errorf("after Wipe: got %v, want ErrWiped", err)
	}
}
