package ceremony

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"airsign/offline/hd"
	"airsign/psbt/descriptor"
	"airsign/shamir"
	"airsign/ui/qr"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

type testSigner struct{ key ed25519.PrivateKey }

func newSigner(seed byte) testSigner {
	return testSigner{ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32))}
}
func (s testSigner) Sign(msg []byte) []byte       { return ed25519.Sign(s.key, msg) }
func (s testSigner) PublicKey() ed25519.PublicKey { return s.key.Public().(ed25519.PublicKey) }
func detRand(seed uint64) *rand.ChaCha8           { var s [32]byte; s[0] = byte(seed); return rand.NewChaCha8(s) }
func params() Params {
	return Params{Network: descriptor.Regtest, Script: descriptor.P2WPKH, Threshold: 2, Total: 3, Words: 24,
		Custodians: []string{"Alice", "Bob", "Carol"}, Software: "test"}
}

// pngImager is the real QR path, as the command wires it.
type pngImager struct{}

func (pngImager) PNG(c []byte) ([]byte, error)     { return qr.PNG(c, qr.ImageOptions{Level: qr.Medium}) }
func (pngImager) ReadPNG(d []byte) ([]byte, error) { return qr.DecodeFile(d) }

func TestRunWriteReadBack(t *testing.T) {
	res, err := Run(params(), detRand(1), t0, newSigner(1))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "ceremony")
	if err := res.Write(out, pngImager{}); err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob(filepath.Join(out, "*"))
	for i := range names {
		names[i] = filepath.Base(names[i])
	}
	if got, want := strings.Join(names, " "), "share-1.png share-1.txt share-2.png share-2.txt share-3.png share-3.txt transcript.json watch-only.png watch-only.txt"; got != want {
		t.Errorf("files = %s\nwant %s", got, want)
	}
	data, err := os.ReadFile(filepath.Join(out, "transcript.json"))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := VerifyTranscript(data, newSigner(1).PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tr.Descriptor, res.Descriptor.String(); got != want {
		t.Errorf("transcript descriptor = %s, want %s", got, want)
	}
	if got, want := tr.MasterFingerprint, hex.EncodeToString(res.Shares[0].Fingerprint[:]); got != want {
		t.Errorf("transcript fingerprint = %s, share commitment %s", got, want)
	}
	if got, want := tr.AccountPath, "m/84'/1'/0'"; got != want {
		t.Errorf("account path = %s, want %s", got, want)
	}
	// the transcript names each share by digest and custodian
	for i, rec := range tr.Shares {
		txt, _ := os.ReadFile(filepath.Join(out, "share-"+string(rune('1'+i))+".txt"))
		s, err := shamir.Parse(txt)
		if err != nil {
			t.Fatal(err)
		}
		d := s.Digest()
		if got := hex.EncodeToString(d[:]); got != rec.SHA256 {
			t.Errorf("share %d digest %s, transcript says %s", i+1, got, rec.SHA256)
		}
		if got, want := rec.Custodian, params().Custodians[i]; got != want {
			t.Errorf("share %d custodian %q, want %q", i+1, got, want)
		}
	}
	// no secret in anything public
	entropy, err := shamir.Combine(res.Shares[:2], hd.EntropyFingerprint)
	if err != nil {
		t.Fatal(err)
	}
	mnemonic, _ := hd.NewMnemonic(entropy)
	for _, f := range []string{"transcript.json", "watch-only.txt"} {
		pub, _ := os.ReadFile(filepath.Join(out, f))
		for _, secret := range [][]byte{entropy, []byte(hex.EncodeToString(entropy)), mnemonic, res.Shares[0].Words(), res.Shares[0].QRText()} {
			if bytes.Contains(pub, secret) {
				t.Errorf("%s contains secret material", f)
			}
		}
	}
	if err := res.Write(out, pngImager{}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second Write: got %v, want already exists", err)
	}
}

func TestDeterministicGivenRandomness(t *testing.T) {
	a, err := Run(params(), detRand(7), t0, newSigner(1))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(params(), detRand(7), t0, newSigner(1))
	if err != nil {
		t.Fatal(err)
	}
	// hashicorp's Split draws its own randomness, so shares differ; the
	// wallet must not.
	if a.Transcript.Descriptor != b.Transcript.Descriptor || a.Transcript.CeremonyID != b.Transcript.CeremonyID {
		t.Errorf("same randomness gave %s and %s", a.Transcript.Descriptor, b.Transcript.Descriptor)
	}
	c, _ := Run(params(), detRand(8), t0, newSigner(1))
	if c.Transcript.Descriptor == a.Transcript.Descriptor {
		t.Error("different randomness gave the same wallet")
	}
}

func TestImportedMnemonic(t *testing.T) {
	p := params()
	p.Network = descriptor.Mainnet
	p.Mnemonic = []byte("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about")
	res, err := Run(p, detRand(1), t0, newSigner(1))
	if err != nil {
		t.Fatal(err)
	}
	// BIP84's test vector
	if got, want := res.Transcript.MasterFingerprint, "73c5da0a"; got != want {
		t.Errorf("fingerprint = %s, want %s", got, want)
	}
	if got, want := res.Transcript.AccountSLIP132, "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs"; got != want {
		t.Errorf("zpub = %s, want %s", got, want)
	}
	if got, want := res.Transcript.Kind, "imported"; got != want {
		t.Errorf("kind = %s, want %s", got, want)
	}
	if !bytes.Contains(res.WatchOnly, []byte("first-receive-address: bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu\n")) {
		t.Errorf("watch-only export lacks BIP84's first address:\n%s", res.WatchOnly)
	}
}

func TestRunRefusals(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Params)
		want string
	}{
		{"threshold 1", func(p *Params) { p.Threshold = 1 }, "threshold 1 would let one person"},
		{"threshold above total", func(p *Params) { p.Threshold = 4 }, "threshold 4 is more than the 3 shares"},
		{"too many shares", func(p *Params) { p.Total = 17; p.Custodians = nil }, "17 shares is more than the 16"},
		{"words", func(p *Params) { p.Words = 15 }, "12 or 24 words, not 15"},
		{"custodians", func(p *Params) { p.Custodians = p.Custodians[:2] }, "2 custodian names for 3 shares"},
		{"empty custodian", func(p *Params) { p.Custodians[1] = " " }, "custodian name 2"},
		{"name", func(p *Params) { p.Name = "a/b" }, `wallet name "a/b" is not allowed`},
		{"dice and mnemonic", func(p *Params) { p.Dice = []byte{1}; p.Mnemonic = []byte("x") }, "give one or the other"},
		{"few dice", func(p *Params) { p.Dice = fairRolls(40, 1) }, "40 dice rolls"},
		{"bad mnemonic", func(p *Params) { p.Mnemonic = []byte("abandon abandon") }, "imported mnemonic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := params()
			p.Custodians = append([]string(nil), p.Custodians...)
			tt.edit(&p)
			_, err := Run(p, detRand(1), t0, newSigner(1))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want error containing %q", err, tt.want)
			}
		})
	}
}

// corruptingImager stands in for a disk or printer that damages a QR image
// between writing and reading back: a real filesystem will not do that on
// demand, so this is the one fake here.
type corruptingImager struct{ pngImager }

func (corruptingImager) ReadPNG(d []byte) ([]byte, error) {
	text, err := qr.DecodeFile(d)
	if err == nil && bytes.HasPrefix(text, []byte("AIRSIGN-SHARE:")) {
		text[len(text)-3] ^= 0x01
	}
	return text, err
}

func TestWriteReadBackFailureKeepsNothing(t *testing.T) {
	res, err := Run(params(), detRand(1), t0, newSigner(1))
	if err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	err = res.Write(filepath.Join(parent, "out"), corruptingImager{})
	if err == nil || !strings.Contains(err.Error(), "nothing was kept") {
		t.Fatalf("got %v, want a read-back failure", err)
	}
	left, _ := os.ReadDir(parent)
	if len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

func TestVerifyTranscriptRefusals(t *testing.T) {
	res, err := Run(params(), detRand(1), t0, newSigner(1))
	if err != nil {
		t.Fatal(err)
	}
	good := res.TranscriptFile
	tests := []struct {
		name    string
		data    []byte
		trusted ed25519.PublicKey
		want    string
	}{
		{"edited threshold", bytes.Replace(good, []byte(`"threshold": 2`), []byte(`"threshold": 1`), 1), nil, "signature does not verify"},
		{"edited descriptor", bytes.Replace(good, []byte(`wpkh(`), []byte(`tr(`), 1), nil, "signature does not verify"},
		{"other device", good, newSigner(2).PublicKey(), "not the trusted device"},
		{"not json", []byte("hello"), nil, "not a ceremony transcript"},
		{"too big", make([]byte, MaxTranscriptBytes+1), nil, "more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := VerifyTranscript(tt.data, tt.trusted)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want error containing %q", err, tt.want)
			}
		})
	}
	if _, err := VerifyTranscript(good, nil); err != nil {
		t.Errorf("genuine transcript: %v", err)
	}
}

func TestCheckSharesFindsForeignShare(t *testing.T) {
	a, _ := Run(params(), detRand(1), t0, newSigner(1))
	// The same wallet and set id, another polynomial. hashicorp's shamir
	// draws x coordinates from crypto/rand, so another split can reuse one
	// of a's (CI saw it), which is a duplicate-x case: split again then.
	var b *Result
	for b == nil || b.Shares[2].X == a.Shares[0].X || b.Shares[2].X == a.Shares[1].X {
		b, _ = Run(params(), detRand(1), t0, newSigner(1))
	}
	shares := []*shamir.Share{a.Shares[0], a.Shares[1], b.Shares[2]}
	err := CheckShares(shares)
	if err == nil {
		t.Fatal("a share from another split of the same seed passed")
	}
	var want *shamir.FingerprintError
	if !errors.As(err, &want) && !strings.Contains(err.Error(), "fingerprint") {
		t.Errorf("got %v, want a fingerprint mismatch", err)
	}
}

func BenchmarkCeremony2of3(b *testing.B) {
	for i := 0; i < b.N; i++ {
		res, err := Run(params(), detRand(uint64(i)), t0, newSigner(1))
		if err != nil {
			b.Fatal(err)
		}
		res.Wipe()
	}
}

// BenchmarkCeremonyWrite2of3 is a whole ceremony as the operator waits for
// it: run, write, read every share back from words and QR, recombine.
func BenchmarkCeremonyWrite2of3(b *testing.B) {
	dir := b.TempDir()
	for i := 0; i < b.N; i++ {
		res, err := Run(params(), detRand(uint64(i)), t0, newSigner(1))
		if err != nil {
			b.Fatal(err)
		}
		if err := res.Write(filepath.Join(dir, strconv.Itoa(i)), pngImager{}); err != nil {
			b.Fatal(err)
		}
		res.Wipe()
	}
}

func TestWriteExtraFiles(t *testing.T) {
	res, err := Run(params(), detRand(1), t0, newSigner(1))
	if err != nil {
		t.Fatal(err)
	}
	res.Extra = []ExtraFile{{Name: "share-9.txt", Data: []byte("x")}}
	if err := res.Write(filepath.Join(t.TempDir(), "a"), pngImager{}); err == nil || !strings.Contains(err.Error(), "not a share's") {
		t.Errorf("an extra file named like a share: got %v", err)
	}
	res.Extra = []ExtraFile{{Name: "../escape", Data: []byte("x")}}
	if err := res.Write(filepath.Join(t.TempDir(), "b"), pngImager{}); err == nil {
		t.Error("an extra file outside the folder was written")
	}
	res.Extra = []ExtraFile{{Name: "watch-only-ur.txt", Data: []byte("UR:CRYPTO-OUTPUT/X\n")}}
	out := filepath.Join(t.TempDir(), "c")
	if err := res.Write(out, pngImager{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(out, "watch-only-ur.txt")); string(got) != "UR:CRYPTO-OUTPUT/X\n" {
		t.Errorf("extra file holds %q", got)
	}
}

// WriteExport writes the public files only: never a share, even with the
// shares still in memory.
func TestWriteExport(t *testing.T) {
	res, err := Run(params(), detRand(3), t0, newSigner(1))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Wipe()
	dir := filepath.Join(t.TempDir(), "export")
	if err := res.WriteExport(dir, pngImager{}); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if got, want := strings.Join(names, " "), "transcript.json watch-only.png watch-only.txt"; got != want {
		t.Fatalf("export holds %q, want %q", got, want)
	}
	for _, s := range res.Shares {
		for _, name := range names {
			data, _ := os.ReadFile(filepath.Join(dir, name))
			if bytes.Contains(data, s.Words()) || bytes.Contains(data, s.QRText()) {
				t.Fatalf("%s holds share %d", name, s.Index)
			}
		}
	}
	if err := res.WriteExport(dir, pngImager{}); err == nil {
		t.Fatal("WriteExport over an existing folder succeeded")
	}
	// The read-back catches a bad image here too, and keeps nothing.
	parent := t.TempDir()
	if err := res.WriteExport(filepath.Join(parent, "out"), corruptingAll{}); err == nil {
		t.Fatal("a corrupted watch-only image was not caught")
	}
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

// corruptingAll damages every QR image read back (see corruptingImager).
type corruptingAll struct{ pngImager }

func (corruptingAll) ReadPNG(d []byte) ([]byte, error) {
	text, err := qr.DecodeFile(d)
	if err == nil && len(text) > 3 {
		text[len(text)-3] ^= 0x01
	}
	return text, err
}

// A new set never takes the id of a set already on the kiosk: the random
// source here offers the ids in use first.
func TestSplitAvoidsSetsInUse(t *testing.T) {
	entropy := bytes.Repeat([]byte{7}, 16)
	fp := [4]byte{1, 2, 3, 4}
	tests := []struct {
		name  string
		ids   []uint16 // the set ids the random source offers, in order
		inUse []uint16
		want  uint16
		fail  bool
	}{
		{"free at once", []uint16{0x1234}, nil, 0x1234, false},
		{"first in use", []uint16{0x1234, 0xbeef}, []uint16{0x1234}, 0xbeef, false},
		{"two in use", []uint16{0x1234, 0x5678, 0x0001}, []uint16{0x5678, 0x1234}, 0x0001, false},
		{"always in use", slices.Repeat([]uint16{0x1234}, 64), []uint16{0x1234}, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var src []byte
			for _, id := range tc.ids {
				src = append(src, byte(id>>8), byte(id))
			}
			shares, err := splitAvoiding(entropy, 2, 3, fp, bytes.NewReader(src), tc.inUse)
			if tc.fail {
				if err == nil || !strings.Contains(err.Error(), "random source is broken") {
					t.Fatalf("got %v, want the broken-randomness error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := shares[0].SetID; got != tc.want {
				t.Errorf("set id %04x, want %04x", got, tc.want)
			}
		})
	}
}
