package home

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"airsign/offline/hd"
	"airsign/psbt/auditlog"
	"airsign/psbt/descriptor"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestInitOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kiosk")
	h, err := Init(dir, rand.Reader, t0)
	if err != nil {
		t.Fatal(err)
	}
	sig := h.Sign([]byte("msg"))
	h2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !ed25519.Verify(h2.PublicKey(), []byte("msg"), sig) {
		t.Error("reopened home's key does not verify the first key's signature")
	}
	if got, want := h2.Log().Len(), uint64(1); got != want {
		t.Errorf("audit log has %d entries after init, want %d", got, want)
	}
	pub, _ := os.ReadFile(filepath.Join(dir, "identity.pub"))
	if !strings.Contains(string(pub), h.KeyID()) {
		t.Errorf("identity.pub = %q, want it to name key id %s", pub, h.KeyID())
	}
	st, _ := os.Stat(filepath.Join(dir, "identity.key"))
	if st.Mode().Perm() != 0o600 {
		t.Errorf("identity.key mode = %v, want 0600", st.Mode().Perm())
	}
	if _, err := Init(dir, rand.Reader, t0); err == nil || !strings.Contains(err.Error(), "already initialized") {
		t.Errorf("second Init: got %v, want already initialized", err)
	}
	if _, err := Open(t.TempDir()); !errors.Is(err, ErrNotInitialized) {
		t.Errorf("Open(empty) = %v, want ErrNotInitialized", err)
	}
}

func TestOpenRefusesTamperedLog(t *testing.T) {
	dir := t.TempDir()
	if _, err := Init(dir, rand.Reader, t0); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "audit.log")
	data, _ := os.ReadFile(p)
	// A line appended by hand without the right prev hash breaks the chain.
	os.WriteFile(p, append(data, []byte(`{"seq":1,"time":"2026-01-01T00:00:00Z","kind":"x","prev":"00"}`+"\n")...), 0o600)
	_, err := Open(dir)
	if !errors.Is(err, ErrLogDoesNotVerify) || !strings.Contains(err.Error(), "the audit log does not verify: ") ||
		!strings.Contains(err.Error(), "lines 2 to 2 are not covered by any signed checkpoint") ||
		!strings.HasSuffix(err.Error(), "; the kiosk will not sign until an auditor has looked at it") {
		t.Errorf("Open with a forged line: got %v, want an unsigned-line error", err)
	}
	// Truncating the log to nothing is caught too.
	os.WriteFile(p, nil, 0o600)
	if _, err := Open(dir); !errors.Is(err, ErrLogDoesNotVerify) || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("Open with an emptied log: got %v, want a truncation error", err)
	}
}

func TestAuditCheckpointsSignedByDeviceKey(t *testing.T) {
	dir := t.TempDir()
	h, err := Init(dir, rand.Reader, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Log().Append("x", nil, t0); err != nil {
		t.Fatal(err)
	}
	if got, want := h.Log().Origin(), "airsign kiosk "+h.KeyID(); got != want {
		t.Errorf("origin %q, want %q", got, want)
	}
	vk := h.VerifierKey()
	if !strings.HasPrefix(vk, "airsign-"+h.KeyID()+"+") {
		t.Errorf("verifier key %q does not name key %s", vk, h.KeyID())
	}
	data, err := h.Log().Export(0)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := auditlog.VerifyExport(data, vk, nil)
	if err != nil || rep.Size != 2 || rep.Entries[0].Kind != "init" {
		t.Fatalf("VerifyExport: %+v, %v", rep, err)
	}
	cps, _ := os.ReadFile(filepath.Join(dir, "audit.checkpoints"))
	if !strings.HasPrefix(string(cps), "airsign kiosk "+h.KeyID()+"\n0\n") {
		t.Errorf("checkpoints file starts %q", cps)
	}
}

// account is the descriptor of a regtest wallet made from seed.
func account(t *testing.T, script descriptor.ScriptType, seed byte) string {
	t.Helper()
	m, err := hd.MasterFromEntropy(bytes.Repeat([]byte{seed}, 16), descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	d, err := m.Account(script, 0)
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func TestWallets(t *testing.T) {
	h, err := Init(t.TempDir(), rand.Reader, t0)
	if err != nil {
		t.Fatal(err)
	}
	a := Wallet{Name: "treasury", Network: "regtest", Descriptor: account(t, descriptor.P2WPKH, 1), Created: t0}
	b := Wallet{Name: "cold-2", Network: "regtest", Descriptor: account(t, descriptor.P2TR, 2), Created: t0}
	// treasury's descriptor spelled otherwise: without its checksum
	respelled := a.Descriptor[:strings.LastIndexByte(a.Descriptor, '#')]
	for _, w := range []Wallet{a, b} {
		if err := h.AddWallet(w); err != nil {
			t.Fatal(err)
		}
	}
	ws, err := h.Wallets()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, w := range ws {
		names = append(names, w.Name)
	}
	if got, want := strings.Join(names, ","), "cold-2,treasury"; got != want {
		t.Errorf("wallets = %s, want %s", got, want)
	}
	got, err := h.Wallet("treasury")
	if err != nil || got.Descriptor != a.Descriptor {
		t.Errorf("Wallet(treasury) = %+v, %v; want descriptor %s", got, err, a.Descriptor)
	}

	refusals := []struct {
		w    Wallet
		want string
	}{
		{Wallet{Name: "treasury", Network: "regtest", Descriptor: account(t, descriptor.P2WPKH, 3)}, `a wallet named "treasury" is already registered: choose another name`},
		// a copy is named as a copy, whatever it is called
		{Wallet{Name: "treasury", Network: "regtest", Descriptor: respelled}, `already registered as "treasury": the same keys`},
		{Wallet{Name: "copy", Network: "regtest", Descriptor: a.Descriptor}, `already registered as "treasury"`},
		{Wallet{Name: "copy", Network: "regtest", Descriptor: respelled}, `already registered as "treasury": the same keys`},
		{Wallet{Name: "broken", Network: "regtest", Descriptor: "wpkh(A)"}, `wallet "broken"`},
		{Wallet{Name: "../escape", Descriptor: "y"}, "is not allowed"},
		{Wallet{Name: "", Descriptor: "y"}, "is not allowed"},
		{Wallet{Name: ".hidden", Descriptor: "y"}, "is not allowed"},
	}
	for _, r := range refusals {
		if err := h.AddWallet(r.w); err == nil || !strings.Contains(err.Error(), r.want) {
			t.Errorf("AddWallet(%q): got %v, want error containing %q", r.w.Name, err, r.want)
		}
	}
	if _, err := h.Wallet("nope"); err == nil || !strings.Contains(err.Error(), "no wallet named") {
		t.Errorf("Wallet(nope): got %v", err)
	}
}

// A loaded wallet's descriptor is parsed once, when it is loaded; a wallet
// whose network or descriptor is bad loads, and says so where it is used.
func TestWalletParsed(t *testing.T) {
	dir := t.TempDir()
	h, err := Init(dir, rand.Reader, t0)
	if err != nil {
		t.Fatal(err)
	}
	desc := account(t, descriptor.P2WPKH, 1)
	if err := h.AddWallet(Wallet{Name: "treasury", Network: "regtest", Descriptor: desc, Created: t0}); err != nil {
		t.Fatal(err)
	}
	w, err := h.Wallet("treasury")
	if err != nil {
		t.Fatal(err)
	}
	first, err := w.Parsed()
	if err != nil || first.String() != desc || first.Network != descriptor.Regtest {
		t.Fatalf("Parsed() = %v, %v; want %s on regtest", first, err, desc)
	}
	if again, _ := w.Parsed(); again != first {
		t.Error("Parsed() parsed a loaded wallet again")
	}
	if net, err := w.Net(); net != descriptor.Regtest || err != nil {
		t.Errorf("Net() = %v, %v; want regtest", net, err)
	}
	ws, err := h.Wallets()
	if err != nil {
		t.Fatal(err)
	}
	copied := ws[0]
	if a, _ := ws[0].Parsed(); a == nil {
		t.Fatal("Wallets()[0].Parsed() = nil")
	} else if b, _ := copied.Parsed(); b != a {
		t.Error("a copy of a loaded wallet parsed it again")
	}

	// Changed after loading: read again, not answered from the old parse.
	w.Network = "mainnet"
	if _, err := w.Parsed(); err == nil {
		t.Error("Parsed() of a tpub wallet changed to mainnet: got no error")
	}
	if net, err := w.Net(); net != descriptor.Mainnet || err != nil {
		t.Errorf("Net() after the change = %v, %v; want mainnet", net, err)
	}

	// A wallet made in memory is parsed when asked.
	mem := Wallet{Name: "x", Network: "regtest", Descriptor: desc}
	if got, err := mem.Parsed(); err != nil || got.String() != desc {
		t.Errorf("Parsed() of an unloaded wallet = %v, %v; want %s", got, err, desc)
	}

	// A wallet file edited to an unknown network still loads; the error
	// comes where the wallet is used, with ParseNetwork's words.
	p := filepath.Join(dir, "wallets", "treasury.json")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, bytes.Replace(data, []byte(`"regtest"`), []byte(`"moon"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err = h.Wallet("treasury")
	if err != nil {
		t.Fatalf("Wallet(treasury) with an unknown network: %v", err)
	}
	_, want := descriptor.ParseNetwork("moon")
	if _, err := w.Net(); err == nil || err.Error() != want.Error() {
		t.Errorf("Net() = %v, want %v", err, want)
	}
	if _, err := w.Parsed(); err == nil || err.Error() != want.Error() {
		t.Errorf("Parsed() = %v, want %v", err, want)
	}
}

// cosignerKey is seed's BIP48 P2WSH key as a descriptor key with origin.
func cosignerKey(t *testing.T, seed byte) string {
	t.Helper()
	m, err := hd.MasterFromEntropy(bytes.Repeat([]byte{seed}, 16), descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	o, k, err := m.CosignerKey(0)
	if err != nil {
		t.Fatal(err)
	}
	return "[" + o.String() + "]" + k.String()
}

// A wallet with spending paths is stored with its policy, loads as a
// ScriptWallet (not as a plain descriptor), is refused as a copy however it
// is named, and its registration entry records the policy hash.
func TestScriptWallet(t *testing.T) {
	h, err := Init(t.TempDir(), rand.Reader, t0)
	if err != nil {
		t.Fatal(err)
	}
	var k [4]string
	for i := range k {
		k[i] = cosignerKey(t, byte(i+1)) + "/<0;1>/*"
	}
	sw, err := descriptor.ParseScriptWallet("wsh(or_d(multi(2,"+k[0]+","+k[1]+","+k[2]+"),and_v(v:pkh("+k[3]+"),older(52560))))", descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	hash := sw.PolicyHash()
	w := Wallet{Name: "vault", Network: "regtest", Script: "wsh", Descriptor: sw.String(), Created: t0,
		Policy: &ScriptPolicy{WalletPolicy: sw.Policy(), Hash: hex.EncodeToString(hash[:]), Ours: []int{0}}}
	if err := h.AddWallet(w); err != nil {
		t.Fatal(err)
	}
	got, err := h.Wallet("vault")
	if err != nil {
		t.Fatal(err)
	}
	if !got.IsScriptWallet() || got.Policy.Hash != w.Policy.Hash || got.Policy.Template != sw.Template() {
		t.Errorf("loaded policy = %+v, want %+v", got.Policy, w.Policy)
	}
	loaded, err := got.ScriptWallet()
	if err != nil || loaded.String() != sw.String() {
		t.Errorf("ScriptWallet() = %v, %v; want %s", loaded, err, sw)
	}
	if again, _ := got.ScriptWallet(); again != loaded {
		t.Error("ScriptWallet() parsed a loaded wallet again")
	}
	if _, err := got.Parsed(); !errors.Is(err, ErrScriptWallet) {
		t.Errorf("Parsed() of a script wallet: got %v, want ErrScriptWallet", err)
	}
	copied := w
	copied.Name = "copy"
	if err := h.AddWallet(copied); err == nil || !strings.Contains(err.Error(), `already registered as "vault"`) {
		t.Errorf("AddWallet(copy) = %v, want already registered", err)
	}
	// the same keys, one of them under another claimed origin: another
	// descriptor, the same addresses
	spoofed := "[00000000" + k[1][len("[12345678"):]
	sw2, err := descriptor.ParseScriptWallet("wsh(or_d(multi(2,"+k[0]+","+spoofed+","+k[2]+"),and_v(v:pkh("+k[3]+"),older(52560))))", descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	disguised := Wallet{Name: "disguised", Network: "regtest", Script: "wsh", Descriptor: sw2.String(), Created: t0,
		Policy: &ScriptPolicy{WalletPolicy: sw2.Policy(), Hash: "other", Ours: []int{0}}}
	if err := h.AddWallet(disguised); err == nil || !strings.Contains(err.Error(), `already registered as "vault"`) {
		t.Errorf("AddWallet(another origin) = %v, want already registered", err)
	}
	entries, err := h.Log().Entries()
	if err != nil {
		t.Fatal(err)
	}
	last := entries[len(entries)-1]
	var fields map[string]any
	if err := json.Unmarshal(last.Data, &fields); err != nil {
		t.Fatal(err)
	}
	if last.Kind != "wallet-registered" || fields["policy_hash"] != w.Policy.Hash {
		t.Errorf("last entry %s %v, want wallet-registered with policy_hash %s", last.Kind, fields, w.Policy.Hash)
	}
}
