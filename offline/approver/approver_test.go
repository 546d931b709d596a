package approver

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"airsign/offline/hd"
	"airsign/offline/kiosk"
	"airsign/psbt"
	"airsign/psbt/approval"
	"airsign/psbt/descriptor"
)

var t0 = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// testKDF is argon2id at its cheapest, so that the tests run fast.
var testKDF = KDFParams{Time: 1, Memory: 64, Threads: 1}

var passphrase = []byte("correct horse battery")

// seeded returns a deterministic random reader.
func seeded(n byte) io.Reader {
	var seed [32]byte
	seed[0] = n
	return rand.NewChaCha8(seed)
}

// account returns the watch-only P2WPKH descriptor of the regtest seed
// whose entropy is 16 bytes n.
func account(t testing.TB, n byte) *descriptor.Descriptor {
	t.Helper()
	m, err := hd.MasterFromEntropy(bytes.Repeat([]byte{n}, 16), descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Wipe()
	d, err := m.Account(descriptor.P2WPKH, 0)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// newStation makes a station for bob watching the wallet "treasury" of
// seed 1, and returns it with that wallet's descriptor.
func newStation(t testing.TB) (*Station, *descriptor.Descriptor) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "station")
	if _, err := Init(dir, "bob", passphrase, seeded(1), testKDF); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return t0 }
	d := account(t, 1)
	if _, err := s.AddWallet("treasury", d.String(), descriptor.Regtest); err != nil {
		t.Fatal(err)
	}
	return s, d
}

// coin is a previous transaction paying value to d's receive address i.
func coin(t testing.TB, d *descriptor.Descriptor, i uint32, value int64) *wire.MsgTx {
	t.Helper()
	script, err := d.PkScript(0, i)
	if err != nil {
		t.Fatal(err)
	}
	prev := wire.NewMsgTx(2)
	prev.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{byte(i + 1), script[5]}}, nil, nil))
	prev.AddTxOut(wire.NewTxOut(value, script))
	return prev
}

func derivation(t testing.TB, d *descriptor.Descriptor, branch, index uint32) []*btcpsbt.Bip32Derivation {
	t.Helper()
	pub, err := d.PublicKey(branch, index)
	if err != nil {
		t.Fatal(err)
	}
	fp := d.MasterFingerprint()
	return []*btcpsbt.Bip32Derivation{{PubKey: pub.SerializeCompressed(),
		MasterKeyFingerprint: binary.LittleEndian.Uint32(fp[:]), Bip32Path: d.Path(branch, index)}}
}

var payee = append([]byte{0x00, 0x14}, bytes.Repeat([]byte{7}, 20)...)

// withdrawal is a PSBT spending two coins of each of ds (100,000 sat each)
// to a foreign address (pay) with change to ds[0]'s change address 0 and a
// fee of 1,000 sat, built the way the coordinator builds it; it names
// request, unless that is empty. edit changes it before it is encoded.
func withdrawal(t testing.TB, request string, pay int64, edit func(*btcpsbt.Packet), ds ...*descriptor.Descriptor) []byte {
	t.Helper()
	tx := wire.NewMsgTx(2)
	var prevs []*wire.MsgTx
	var owners []*descriptor.Descriptor
	for _, d := range ds {
		for i := range uint32(2) {
			prev := coin(t, d, i, 100_000)
			prevs, owners = append(prevs, prev), append(owners, d)
			tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: prev.TxHash()}, nil, nil))
		}
	}
	change, err := ds[0].PkScript(1, 0)
	if err != nil {
		t.Fatal(err)
	}
	tx.AddTxOut(wire.NewTxOut(pay, payee))
	tx.AddTxOut(wire.NewTxOut(int64(len(prevs))*100_000-pay-1_000, change))
	p, err := btcpsbt.NewFromUnsignedTx(tx)
	if err != nil {
		t.Fatal(err)
	}
	for i, prev := range prevs {
		p.Inputs[i].NonWitnessUtxo = prev
		p.Inputs[i].WitnessUtxo = prev.TxOut[0]
		p.Inputs[i].Bip32Derivation = derivation(t, owners[i], 0, uint32(i%2))
	}
	p.Outputs[1].Bip32Derivation = derivation(t, ds[0], 1, 0)
	if request != "" {
		if err := approval.SetRequest(p, request); err != nil {
			t.Fatal(err)
		}
	}
	if edit != nil {
		edit(p)
	}
	raw, err := psbt.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// counted is what the kiosk counts of the approvals attached to the PSBT:
// bob's station key enrolled as a station key, for wallet d.
func counted(t *testing.T, raw []byte, d *descriptor.Descriptor, bob approval.Key, as ...approval.Approval) ([]approval.Counted, []string) {
	t.Helper()
	p, err := psbt.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if err := approval.Attach(p, a); err != nil {
			t.Fatal(err)
		}
	}
	s, err := psbt.Analyze(p, d, psbt.DefaultPolicy)
	if err != nil {
		t.Fatal(err)
	}
	enrolled := []approval.Enrolled{{Name: "bob", Key: bob}}
	c, problems, err := approval.CheckWith(p, kiosk.WalletID(d), s.Fee, t0.Add(time.Minute), enrolled,
		approval.Rules{Need: 1, Kinds: []approval.Kind{approval.KindStation}})
	if err != nil {
		t.Fatal(err)
	}
	return c, problems
}

func TestApprovalCounts(t *testing.T) {
	s, d := newStation(t)
	if k := s.Key(); k.Kind != approval.KindStation || len(k.Ed25519) != ed25519.PublicKeySize {
		t.Fatalf("Key() = %v, want a station ed25519 key", k)
	}
	raw := withdrawal(t, "wd-7", 150_000, nil, d)
	r, err := s.Review(raw, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Problem(); err != nil {
		t.Fatalf("Problem() = %v, want none", err)
	}
	if r.Wallet.Name != "treasury" || r.Request != "wd-7" || r.Fee != 1_000 || r.WalletID != kiosk.WalletID(d) {
		t.Errorf("review: wallet %q request %q fee %d id %q; want treasury, wd-7, 1000, %q", r.Wallet.Name, r.Request, r.Fee, r.WalletID, kiosk.WalletID(d))
	}
	var kinds []string
	for _, o := range r.Summary.Outputs {
		kinds = append(kinds, fmt.Sprintf("%s %d", o.Kind, o.Amount))
	}
	if got, want := strings.Join(kinds, ", "), "payment 150000, change 49000"; got != want {
		t.Errorf("outputs: %s, want %s", got, want)
	}
	if m := r.Message(); m.TxID != r.TxID || m.Wallet != r.WalletID || m.Fee != 1_000 || len(m.Outputs) != 2 {
		t.Errorf("Message() = %+v, not the reviewed transaction", m)
	}

	a, err := s.Approve(r, passphrase, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(DefaultExpiry); !a.Message.Expires.Equal(want) {
		t.Errorf("expires %s, want the default %s", a.Message.Expires, want)
	}
	if a.Approver != "bob" || !a.PublicKey.Equal(s.Key().Ed25519) {
		t.Errorf("approval by %q with key %x, want bob's station key", a.Approver, a.PublicKey)
	}
	c, problems := counted(t, raw, d, s.Key(), a)
	if len(c) != 1 || c[0] != (approval.Counted{Name: "bob", Kind: approval.KindStation}) || len(problems) != 0 {
		t.Errorf("kiosk counted %v, problems %q; want bob's station approval alone", c, problems)
	}

	// What crosses the gap is the text form: it parses back to the same
	// approval, which counts the same.
	back, err := approval.ParseTransfer(approval.MarshalTransfer(a))
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := counted(t, raw, d, s.Key(), back); len(c) != 1 {
		t.Errorf("the approval read back from its text does not count")
	}

	// Logged, with the approval itself.
	recs, err := s.Approvals()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 {
		t.Fatalf("%d log records, want 1", len(recs))
	}
	rec := recs[0]
	if rec.TxID != r.TxID.String() || rec.Request != "wd-7" || rec.Wallet != "treasury" || len(rec.Outputs) != 2 ||
		rec.Outputs[1].Kind != "change" || rec.Approval != approval.MarshalTransfer(a) || !rec.Time.Equal(t0) {
		t.Errorf("log record %+v does not say what was approved", rec)
	}
}

func TestOtherWalletRefused(t *testing.T) {
	s, d := newStation(t)
	other := account(t, 2)
	_, err := s.Review(withdrawal(t, "wd-8", 150_000, nil, other), "")
	if err == nil || !strings.Contains(err.Error(), `spends no coin of the wallets this station watches ("treasury")`) {
		t.Errorf("PSBT of another wallet: err = %v", err)
	}

	// Coins of a watched wallet and of another: the other input is
	// refused, and nothing is approved.
	r, err := s.Review(withdrawal(t, "wd-8", 150_000, nil, d, other), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Problem(); err == nil || !strings.Contains(err.Error(), "foreign-input") {
		t.Errorf("PSBT with a foreign input: Problem() = %v", err)
	}
	if _, err := s.Approve(r, passphrase, time.Time{}); err == nil {
		t.Error("a PSBT with a foreign input was approved")
	}

	// Coins of two watched wallets: refused, since an approval is for one.
	if _, err := s.AddWallet("ops", other.String(), descriptor.Regtest); err != nil {
		t.Fatal(err)
	}
	_, err = s.Review(withdrawal(t, "wd-8", 150_000, nil, d, other), "")
	if err == nil || !strings.Contains(err.Error(), `more than one wallet this station watches ("treasury", "ops")`) {
		t.Errorf("PSBT of two wallets: err = %v", err)
	}
	// And the station's own other wallet is reviewed as such.
	r, err = s.Review(withdrawal(t, "wd-9", 150_000, nil, other), "")
	if err != nil || r.Wallet.Name != "ops" || r.WalletID != kiosk.WalletID(other) {
		t.Errorf("PSBT of ops: review %+v, err %v", r, err)
	}
}

func TestWrongPassphrase(t *testing.T) {
	s, d := newStation(t)
	r, err := s.Review(withdrawal(t, "wd-7", 150_000, nil, d), "")
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Approve(r, []byte("not the passphrase"), time.Time{})
	if !errors.Is(err, ErrPassphrase) || err.Error() != "the passphrase does not open the station's key" {
		t.Errorf("wrong passphrase: err = %v", err)
	}
	if a.Signature != nil || a.PublicKey != nil {
		t.Errorf("wrong passphrase gave an approval: %+v", a)
	}
	if recs, err := s.Approvals(); err != nil || len(recs) != 0 {
		t.Errorf("log after a refusal: %v, %v; want nothing", recs, err)
	}
}

func TestChange(t *testing.T) {
	s, d := newStation(t)
	elsewhere := append([]byte{0x00, 0x14}, bytes.Repeat([]byte{0x66}, 20)...)

	// The change output claims the wallet's change path but pays
	// elsewhere: shown as a payment, and refused.
	raw := withdrawal(t, "wd-7", 150_000, func(p *btcpsbt.Packet) { p.UnsignedTx.TxOut[1].PkScript = elsewhere }, d)
	r, err := s.Review(raw, "")
	if err != nil {
		t.Fatal(err)
	}
	if k := r.Summary.Outputs[1].Kind; k != psbt.Payment {
		t.Errorf("change to a wrong derivation shown as %s, want payment", k)
	}
	if err := r.Problem(); err == nil || !strings.Contains(err.Error(), "change-pays-elsewhere") {
		t.Errorf("Problem() = %v, want change-pays-elsewhere", err)
	}
	if _, err := s.Approve(r, passphrase, time.Time{}); err == nil {
		t.Error("approved a PSBT whose change pays elsewhere")
	}

	// Change to the wallet without a derivation is not proven: a payment,
	// approvable as such, and it counts in what leaves the wallet.
	raw = withdrawal(t, "wd-7", 150_000, func(p *btcpsbt.Packet) { p.Outputs[1].Bip32Derivation = nil }, d)
	if r, err = s.Review(raw, ""); err != nil {
		t.Fatal(err)
	}
	if k := r.Summary.Outputs[1].Kind; k != psbt.Payment || r.Problem() != nil || r.Summary.Spent != 200_000 {
		t.Errorf("unproven change: kind %s, problem %v, spent %d; want payment, none, 200000", k, r.Problem(), r.Summary.Spent)
	}
}

func TestRequest(t *testing.T) {
	s, d := newStation(t)
	raw := withdrawal(t, "", 150_000, nil, d)
	r, err := s.Review(raw, "")
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(r.Problem(), ErrNoRequest) {
		t.Errorf("no request: Problem() = %v", r.Problem())
	}
	if _, err := s.Approve(r, passphrase, time.Time{}); !errors.Is(err, ErrNoRequest) {
		t.Errorf("no request: Approve err = %v", err)
	}
	if r, err = s.Review(raw, "wd-11"); err != nil || r.Problem() != nil || r.Request != "wd-11" {
		t.Fatalf("request given: %v, %v", err, r.Problem())
	}
	a, err := s.Approve(r, passphrase, time.Time{})
	if err != nil || a.Message.Request != "wd-11" {
		t.Errorf("request given: approval for %q, err %v", a.Message.Request, err)
	}
	if _, err := s.Review(withdrawal(t, "wd-7", 150_000, nil, d), "wd-11"); err == nil || !strings.Contains(err.Error(), `is for withdrawal request "wd-7", not "wd-11"`) {
		t.Errorf("request disagreeing with the PSBT's: err = %v", err)
	}
}

func TestExpiry(t *testing.T) {
	s, d := newStation(t)
	r, err := s.Review(withdrawal(t, "wd-7", 150_000, nil, d), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		expires time.Time
		want    string
	}{
		{t0, "which is not after now"},
		{t0.Add(-time.Hour), "which is not after now"},
		{t0.Add(MaxExpiry + time.Second), "more than 7 days ahead"},
		{t0.Add(MaxExpiry), ""},
		{t0.Add(90*time.Minute + 500*time.Millisecond), ""},
	} {
		a, err := s.Approve(r, passphrase, tc.expires)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("expires %s: %v", tc.expires, err)
		case tc.want == "" && !a.Message.Expires.Equal(tc.expires.Truncate(time.Second)):
			t.Errorf("expires %s: approval expires %s", tc.expires, a.Message.Expires)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("expires %s: err = %v, want %q", tc.expires, err, tc.want)
		}
	}
}

func TestReviewOfAnotherStation(t *testing.T) {
	s, d := newStation(t)
	s2, err := Open(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	r, err := s2.Review(withdrawal(t, "wd-7", 150_000, nil, d), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Approve(r, passphrase, time.Time{}); err == nil {
		t.Error("approved another station's review")
	}
	if _, err := s.Approve(&Review{}, passphrase, time.Time{}); err == nil {
		t.Error("approved a review made up by the caller")
	}
}

func TestKeyIsSealed(t *testing.T) {
	dir := t.TempDir()
	key, err := Init(dir, "bob", passphrase, seeded(1), testKDF)
	if err != nil {
		t.Fatal(err)
	}
	// Init's first 32 random bytes are the key's seed.
	seed := make([]byte, ed25519.SeedSize)
	io.ReadFull(seeded(1), seed)
	priv := ed25519.NewKeyFromSeed(seed)
	if !key.Ed25519.Equal(priv.Public()) {
		t.Fatal("the test does not know the station's seed")
	}
	forms := [][]byte{seed, []byte(hex.EncodeToString(seed)), []byte(base64.StdEncoding.EncodeToString(seed)),
		[]byte(base64.RawURLEncoding.EncodeToString(seed)), []byte(passphrase)}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range forms {
			if bytes.Contains(bytes.ToLower(data), bytes.ToLower(f)) {
				t.Errorf("%s holds the private key or the passphrase in plain", e.Name())
			}
		}
	}
	st, err := os.Stat(filepath.Join(dir, keyFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", keyFile, st.Mode().Perm())
	}
	data, _ := os.ReadFile(filepath.Join(dir, keyFile))
	if !bytes.HasPrefix(data, []byte("-----BEGIN "+keyBlockType+"-----")) || !bytes.Contains(data, []byte("KDF: argon2id")) {
		t.Errorf("%s is not a sealed key:\n%s", keyFile, data)
	}
}

func TestInit(t *testing.T) {
	dir := t.TempDir()
	if _, err := Init(dir, "bob", []byte("short"), seeded(1), testKDF); err == nil || !strings.Contains(err.Error(), "too short") {
		t.Errorf("short passphrase: err = %v", err)
	}
	if _, err := Init(dir, "bob\u202e", passphrase, seeded(1), testKDF); err == nil || !strings.Contains(err.Error(), "U+202E") {
		t.Errorf("name with a format character: err = %v", err)
	}
	if _, err := Init(dir, strings.Repeat("b", 65), passphrase, seeded(1), testKDF); err == nil {
		t.Error("a 65-character name was accepted")
	}
	if _, err := Open(dir); !errors.Is(err, ErrNotInitialized) {
		t.Errorf("Open before Init: err = %v", err)
	}
	key, err := Init(dir, "bob", passphrase, seeded(1), testKDF)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key.String(), "station:ed25519:") {
		t.Errorf("key text %q", key)
	}
	if _, err := Init(dir, "eve", passphrase, seeded(2), testKDF); err == nil || !strings.Contains(err.Error(), "already holds an approver station") {
		t.Errorf("second Init: err = %v", err)
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != "bob" || !s.Key().Ed25519.Equal(key.Ed25519) {
		t.Errorf("Open: %q %v, want bob %v", s.Name(), s.Key(), key)
	}

	// A key file of another station is noticed at Open.
	other := t.TempDir()
	if _, err := Init(other, "eve", passphrase, seeded(2), testKDF); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(other, keyFile))
	if err := os.WriteFile(filepath.Join(dir, keyFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "changed or mixed up") {
		t.Errorf("Open with another station's key file: err = %v", err)
	}
}

func TestAddWallet(t *testing.T) {
	s, d := newStation(t)
	if _, err := s.AddWallet("treasury", account(t, 2).String(), descriptor.Regtest); err == nil || !strings.Contains(err.Error(), `already has a wallet "treasury"`) {
		t.Errorf("same name: err = %v", err)
	}
	// The same wallet spelled another way: one branch, no checksum.
	text, err := descriptor.StripChecksum(d.String())
	if err != nil {
		t.Fatal(err)
	}
	text = strings.Replace(text, "/<0;1>/*", "/0/*", 1)
	if _, err := s.AddWallet("again", text, descriptor.Regtest); err == nil || !strings.Contains(err.Error(), `already watches this wallet, as "treasury"`) {
		t.Errorf("same descriptor: err = %v", err)
	}
	if _, err := s.AddWallet("main", d.String(), descriptor.Mainnet); err == nil {
		t.Error("a tpub descriptor was accepted for mainnet")
	}
	if _, err := s.AddWallet("bad name", account(t, 3).String(), descriptor.Regtest); err == nil {
		t.Error("a wallet name with a space was accepted")
	}
	ws, err := s.Wallets()
	if err != nil || len(ws) != 1 || ws[0].Descriptor != d.String() || ws[0].Network != "regtest" {
		t.Errorf("Wallets() = %+v, %v", ws, err)
	}
}

// A multisig's change is change only where every cosigner's kiosk proves
// it: a PSBT that gives one cosigner's derivation alone shows a payment.
func TestMultisig(t *testing.T) {
	var keys []string
	for _, n := range []byte{1, 2} {
		m, err := hd.MasterFromEntropy(bytes.Repeat([]byte{n}, 16), descriptor.Regtest)
		if err != nil {
			t.Fatal(err)
		}
		origin, k, err := m.CosignerKey(0)
		m.Wipe()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, fmt.Sprintf("[%s]%s/<0;1>/*", origin, k))
	}
	d, err := descriptor.ParseForNetwork("wsh(sortedmulti(2,"+strings.Join(keys, ",")+"))", descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newStation(t)
	if _, err := s.AddWallet("vault", d.String(), descriptor.Regtest); err != nil {
		t.Fatal(err)
	}
	derive := func(branch, index uint32, cosigners int) []*btcpsbt.Bip32Derivation {
		var ds []*btcpsbt.Bip32Derivation
		for _, k := range d.Keys[:cosigners] {
			pub, err := k.PublicKey(branch, index)
			if err != nil {
				t.Fatal(err)
			}
			ds = append(ds, &btcpsbt.Bip32Derivation{PubKey: pub.SerializeCompressed(),
				MasterKeyFingerprint: binary.LittleEndian.Uint32(k.Origin.Fingerprint[:]), Bip32Path: k.Path(branch, index)})
		}
		return ds
	}
	build := func(changeCosigners int) []byte {
		prev := coin(t, d, 0, 100_000)
		change, err := d.PkScript(1, 0)
		if err != nil {
			t.Fatal(err)
		}
		tx := wire.NewMsgTx(2)
		tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: prev.TxHash()}, nil, nil))
		tx.AddTxOut(wire.NewTxOut(50_000, payee))
		tx.AddTxOut(wire.NewTxOut(49_000, change))
		p, err := btcpsbt.NewFromUnsignedTx(tx)
		if err != nil {
			t.Fatal(err)
		}
		p.Inputs[0].NonWitnessUtxo, p.Inputs[0].WitnessUtxo = prev, prev.TxOut[0]
		p.Inputs[0].Bip32Derivation = derive(0, 0, 2)
		if p.Inputs[0].WitnessScript, err = d.WitnessScript(0, 0); err != nil {
			t.Fatal(err)
		}
		p.Outputs[1].Bip32Derivation = derive(1, 0, changeCosigners)
		if err := approval.SetRequest(p, "wd-12"); err != nil {
			t.Fatal(err)
		}
		raw, err := psbt.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	r, err := s.Review(build(2), "")
	if err != nil {
		t.Fatal(err)
	}
	if r.Wallet.Name != "vault" || r.Summary.Outputs[1].Kind != psbt.Change || r.Problem() != nil || r.Summary.Spent != 51_000 {
		t.Errorf("multisig: wallet %q, output 1 %s, problem %v, spent %d; want vault, change, none, 51000",
			r.Wallet.Name, r.Summary.Outputs[1].Kind, r.Problem(), r.Summary.Spent)
	}
	if r, err = s.Review(build(1), ""); err != nil {
		t.Fatal(err)
	}
	if r.Summary.Outputs[1].Kind != psbt.Payment || r.Summary.Spent != btcutil.Amount(100_000) {
		t.Errorf("change derived for one cosigner only: output 1 %s, spent %d; want payment, 100000", r.Summary.Outputs[1].Kind, r.Summary.Spent)
	}
}
