package kioskapp

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/tyler-smith/go-bip39/wordlists"

	"airsign/offline/ceremony"
	"airsign/offline/home"
	core "airsign/offline/kiosk"
	"airsign/psbt"
	"airsign/psbt/descriptor"
	"airsign/ui/qr"
	"airsign/ui/qr/camera"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.xml golden files")

var t0 = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)

// assertMarkup compares the window with testdata/name, or rewrites it
// with -update (fyne itself writes testdata/failed/name on a mismatch).
func assertMarkup(t *testing.T, name string, c fyne.Canvas) {
	t.Helper()
	if *update {
		if err := os.WriteFile(filepath.Join("testdata", name), []byte(test.RenderToMarkup(c)), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	test.AssertRendersToMarkup(t, name, c)
}

// station is a kiosk home with one registered 2-of-3 P2WPKH wallet from a
// real ceremony, made from a seeded random source so that addresses,
// keys and goldens are the same on every run.
type station struct {
	h      *home.Home
	wallet home.Wallet
	desc   *descriptor.Descriptor
	shares [][]byte // share i+1's words
	others []home.Wallet
	now    time.Time
	up     []string
}

func newStation(t *testing.T) *station {
	t.Helper()
	rnd := rand.NewChaCha8([32]byte{'a', 'i', 'r', 's', 'i', 'g', 'n'})
	h, err := home.Init(t.TempDir(), rnd, t0)
	if err != nil {
		t.Fatal(err)
	}
	s := &station{h: h, now: t0}
	for i, name := range []string{"vault", "spare", "third"} {
		res, err := ceremony.Run(ceremony.Params{Network: descriptor.Regtest, Script: descriptor.P2WPKH,
			Threshold: 2, Total: 3, Words: 12, Name: name}, rnd, t0, h)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			for _, sh := range res.Shares {
				s.shares = append(s.shares, sh.Words())
			}
			s.wallet, s.desc = res.Wallet(), res.Descriptor
			if err := h.AddWallet(res.Wallet()); err != nil {
				t.Fatal(err)
			}
		} else {
			s.others = append(s.others, res.Wallet())
		}
		res.Wipe()
	}
	return s
}

func (s *station) kiosk(t *testing.T) *core.Kiosk {
	t.Helper()
	k, err := core.New(core.Config{Home: s.h, Now: func() time.Time { return s.now },
		Interfaces: func() ([]string, error) { return s.up, nil }, Imager: qrImager{}, Software: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type qrImager struct{}

func (qrImager) PNG(c []byte) ([]byte, error)     { return qr.PNG(c, qr.ImageOptions{Level: qr.Medium}) }
func (qrImager) ReadPNG(d []byte) ([]byte, error) { return qr.DecodeFile(d) }

// gui opens the station's window under the test driver.
func (s *station) gui(t *testing.T) (*App, fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(1280, 800))
	a := New(w, s.kiosk(t), Options{Words: wordlists.English, ExportDir: t.TempDir(), Now: func() time.Time { return s.now }})
	t.Cleanup(a.Close)
	return a, w
}

// withdrawal is a PSBT spending two coins of the wallet to a foreign
// address with change (offline/kiosk's test helper).
func (s *station) withdrawal(t *testing.T, pay btcutil.Amount) []byte {
	t.Helper()
	return s.withdrawalTo(t, pay, 1)
}

// withdrawalTo is withdrawal paying pay in n outputs to n addresses.
func (s *station) withdrawalTo(t *testing.T, pay btcutil.Amount, n int) []byte {
	t.Helper()
	d := s.desc
	fp := d.MasterFingerprint()
	var prevs []*wire.MsgTx
	for i := range 2 {
		script, err := d.PkScript(0, uint32(i))
		if err != nil {
			t.Fatal(err)
		}
		prev := wire.NewMsgTx(2)
		prev.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{byte(i + 1)}}, nil, nil))
		prev.AddTxOut(wire.NewTxOut(100_000, script))
		prevs = append(prevs, prev)
	}
	change, err := d.PkScript(1, 0)
	if err != nil {
		t.Fatal(err)
	}
	tx := wire.NewMsgTx(2)
	for _, prev := range prevs {
		h := prev.TxHash()
		tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: h, Index: 0}, nil, nil))
	}
	for i := range n {
		foreign, err := btcutil.NewAddressWitnessPubKeyHash(bytes.Repeat([]byte{byte(7 + i)}, 20), descriptor.Regtest.Params())
		if err != nil {
			t.Fatal(err)
		}
		tx.AddTxOut(wire.NewTxOut(int64(pay)/int64(n), append([]byte{0x00, 0x14}, foreign.ScriptAddress()...)))
	}
	tx.AddTxOut(wire.NewTxOut(200_000-int64(pay)/int64(n)*int64(n)-1_000, change))
	p, err := btcpsbt.NewFromUnsignedTx(tx)
	if err != nil {
		t.Fatal(err)
	}
	fpInt := uint32(fp[0]) | uint32(fp[1])<<8 | uint32(fp[2])<<16 | uint32(fp[3])<<24
	for i, prev := range prevs {
		pub, err := d.PublicKey(0, uint32(i))
		if err != nil {
			t.Fatal(err)
		}
		p.Inputs[i].NonWitnessUtxo = prev
		p.Inputs[i].WitnessUtxo = prev.TxOut[0]
		p.Inputs[i].Bip32Derivation = []*btcpsbt.Bip32Derivation{{PubKey: pub.SerializeCompressed(),
			MasterKeyFingerprint: fpInt, Bip32Path: d.Path(0, uint32(i))}}
	}
	pub, err := d.PublicKey(1, 0)
	if err != nil {
		t.Fatal(err)
	}
	p.Outputs[n].Bip32Derivation = []*btcpsbt.Bip32Derivation{{PubKey: pub.SerializeCompressed(),
		MasterKeyFingerprint: fpInt, Bip32Path: d.Path(1, 0)}}
	raw, err := psbt.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// walk visits o and everything inside it: containers' objects and
// widgets' rendered objects.
func walk(o fyne.CanvasObject, visit func(fyne.CanvasObject)) {
	if o == nil {
		return
	}
	visit(o)
	switch o := o.(type) {
	case *fyne.Container:
		for _, c := range o.Objects {
			walk(c, visit)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(o).Objects() {
			walk(c, visit)
		}
	}
}

// texts is every text the objects under o show or hold.
func texts(o fyne.CanvasObject) []string {
	var out []string
	walk(o, func(o fyne.CanvasObject) {
		switch o := o.(type) {
		case *widget.Label:
			out = append(out, o.Text)
		case *widget.Entry:
			out = append(out, o.Text)
		case *ScanEntry:
			out = append(out, o.Text)
		case *widget.RichText:
			out = append(out, o.String())
		case *widget.Button:
			out = append(out, o.Text)
		case *canvas.Text:
			out = append(out, o.Text)
		}
	})
	return out
}

func button(t *testing.T, w fyne.Window, text string) *widget.Button {
	t.Helper()
	var found *widget.Button
	walk(w.Content(), func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == text && found == nil {
			found = b
		}
	})
	if found == nil {
		t.Fatalf("no button %q on %T: %q", text, screenOf(w), texts(w.Content()))
	}
	return found
}

var currentApp *App

func screenOf(fyne.Window) core.Screen {
	if currentApp == nil {
		return nil
	}
	return currentApp.k.Screen()
}

func tap(t *testing.T, w fyne.Window, text string) {
	t.Helper()
	b := button(t, w, text)
	if b.Disabled() {
		t.Fatalf("button %q is disabled", text)
	}
	test.Tap(b)
}

// scan types text into the focused entry as a keyboard-wedge scanner
// does, then Enter.
func scan(t *testing.T, w fyne.Window, text string) {
	t.Helper()
	f, ok := w.Canvas().Focused().(*ScanEntry)
	if !ok {
		t.Fatalf("focused %T, want the scan entry", w.Canvas().Focused())
	}
	test.Type(f, text)
	w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

func contains(o fyne.CanvasObject, s string) bool {
	for _, t := range texts(o) {
		if strings.Contains(t, s) {
			return true
		}
	}
	return false
}

func wantScreen[S core.Screen](t *testing.T, a *App) S {
	t.Helper()
	s, ok := a.k.Screen().(S)
	if !ok {
		var want S
		t.Fatalf("screen %T, want %T (error %q)", a.k.Screen(), want, a.errText.Text)
	}
	return s
}

// signToShares taps through to the shares screen of a signing.
func (s *station) signToShares(t *testing.T, a *App, w fyne.Window) {
	t.Helper()
	tap(t, w, "Sign a withdrawal")
	wantScreen[core.Scan](t, a)
	parts, err := qr.EncodePSBT(s.withdrawal(t, 150_000), qr.EncodeOptions{Format: qr.FormatUR, MaxFragment: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		if _, ok := a.k.Screen().(core.Scan); !ok {
			break // complete before the extra fountain parts
		}
		scan(t, w, p)
	}
	wantScreen[core.Review](t, a)
	readReview(t, w)
	tap(t, w, "Sign: ask for the shares")
	wantScreen[core.Shares](t, a)
}

func TestSignThroughTheWindow(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	s.signToShares(t, a, w)
	scan(t, w, string(s.shares[0]))
	sh := wantScreen[core.Shares](t, a)
	if len(sh.Accepted) != 1 || !contains(w.Content(), "share 1 of 3") {
		t.Fatalf("after share 1: accepted %v, screen %q", sh.Accepted, texts(w.Content()))
	}
	if e := w.Canvas().Focused().(*ScanEntry); e.Text != "" {
		t.Fatalf("share entry holds %q after submit", e.Text)
	}
	scan(t, w, string(s.shares[2]))
	signed := wantScreen[core.Signed](t, a)
	if !contains(w.Content(), "The seed was wiped from memory.") {
		t.Error("the signed screen does not say the seed was wiped")
	}

	// Read the animated QR code off the screen, frame by frame, as the
	// coordinator's camera would.
	p := readShownQR(t, a)
	if !bytes.Equal(p.Data, signed.PSBT) {
		t.Fatal("the QR frames carry another PSBT than the one signed")
	}
	pkt, err := psbt.Decode(p.Data)
	if err != nil {
		t.Fatal(err)
	}
	n, err := psbt.VerifySignatures(pkt)
	if err != nil || n != 2 {
		t.Fatalf("VerifySignatures = %d, %v; want 2 valid signatures", n, err)
	}

	// Save to removable media: the PSBT and the frames as new files.
	dir := t.TempDir()
	files, err := saveSigned(dir, signed, mustParts(t, signed.PSBT))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(files[0]); !bytes.Equal(got, signed.PSBT) || len(files) < 2 {
		t.Fatalf("saved %v", files)
	}
	if _, err := saveSigned(dir, signed, nil); err == nil {
		t.Error("saving twice overwrote the first files")
	}

	tap(t, w, "Done")
	wantScreen[core.Start](t, a)
	if a.anim != nil {
		t.Error("the animation outlived its screen")
	}
}

func mustParts(t *testing.T, p []byte) []string {
	t.Helper()
	parts, err := qr.EncodePSBT(p, qr.EncodeOptions{Format: qr.FormatUR})
	if err != nil {
		t.Fatal(err)
	}
	return parts
}

func TestHealthCheckThroughTheWindow(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	tap(t, w, "Share health check")
	wantScreen[core.Shares](t, a)
	scan(t, w, "abandon abandon abandon")
	if sh := wantScreen[core.Shares](t, a); sh.Problem == "" || !contains(w.Content(), sh.Problem) {
		t.Fatalf("a garbled share: problem %q not shown", sh.Problem)
	}
	scan(t, w, string(s.shares[1]))
	scan(t, w, string(s.shares[2]))
	d := wantScreen[core.Done](t, a)
	if !d.OK || !contains(w.Content(), "The shares are healthy") {
		t.Fatalf("done %+v", d)
	}
	tap(t, w, "Done")
	wantScreen[core.Start](t, a)
}

func findButton(w fyne.Window, text string) *widget.Button {
	var found *widget.Button
	walk(w.Content(), func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == text && found == nil {
			found = b
		}
	})
	return found
}

func TestCancelAndBackAtEachStep(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	for _, step := range []struct {
		name string
		to   func()
	}{
		{"scan", func() { tap(t, w, "Sign a withdrawal") }},
		{"review", func() {
			tap(t, w, "Sign a withdrawal")
			a.Send(core.PSBTScanned{Data: s.withdrawal(t, 150_000), Source: "test"})
			wantScreen[core.Review](t, a)
		}},
		{"shares", func() { s.signToShares(t, a, w); scan(t, w, string(s.shares[0])) }},
		{"health", func() { tap(t, w, "Share health check"); scan(t, w, string(s.shares[0])) }},
		{"register", func() { tap(t, w, "Register wallet") }},
		{"ceremony", func() { tap(t, w, "Seed ceremony") }},
	} {
		step.to()
		tap(t, w, "Cancel")
		wantScreen[core.Start](t, a)
		if a.k.HoldsSecrets() || !contains(w.Content(), "cancelled; nothing was kept") {
			t.Fatalf("%s: after Cancel: secrets %v, screen %q", step.name, a.k.HoldsSecrets(), texts(w.Content()))
		}
	}
	// Back goes one step back.
	s.signToShares(t, a, w)
	scan(t, w, string(s.shares[0]))
	tap(t, w, "Back")
	wantScreen[core.Review](t, a)
	if a.k.HoldsSecrets() {
		t.Fatal("Back from the shares kept a share")
	}
	tap(t, w, "Back")
	wantScreen[core.Scan](t, a)
	tap(t, w, "Back")
	wantScreen[core.Start](t, a)
}

func TestRefusedPSBTDisablesSign(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	tap(t, w, "Sign a withdrawal")
	// Outputs worth more than the inputs: the fee cannot be proven.
	raw := s.withdrawal(t, 150_000)
	pkt, err := psbt.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	pkt.UnsignedTx.TxOut[0].Value = 300_000
	raw, err = psbt.Encode(pkt)
	if err != nil {
		t.Fatal(err)
	}
	a.Send(core.PSBTScanned{Data: raw, Source: "test"})
	r := wantScreen[core.Review](t, a)
	if r.Signable() {
		t.Fatal("the core signs a PSBT paying out more than it spends")
	}
	if b := button(t, w, "Sign: ask for the shares"); !b.Disabled() {
		t.Error("Sign is enabled on a refused PSBT")
	}
	if !contains(w.Content(), "REFUSED") || !contains(w.Content(), r.Refusals[0]) {
		t.Errorf("refusal not shown: %q", texts(w.Content()))
	}
}

func TestRedBannerWhenConnected(t *testing.T) {
	s := newStation(t)
	s.up = []string{"eth0"}
	a, w := s.gui(t)
	if !contains(w.Content(), "NETWORK INTERFACE eth0 IS UP") {
		t.Fatalf("no red banner: %q", texts(w.Content()))
	}
	var redRect bool
	walk(w.Content(), func(o fyne.CanvasObject) {
		if r, ok := o.(*canvas.Rectangle); ok && r.FillColor == red {
			redRect = true
		}
	})
	if !redRect {
		t.Error("the banner is not red")
	}
	tap(t, w, "Share health check")
	if st := wantScreen[core.Start](t, a); !strings.Contains(st.Notice, "eth0 is up") || !contains(w.Content(), st.Notice) {
		t.Errorf("health check with eth0 up: notice %q", st.Notice)
	}
	assertMarkup(t, "start_connected.xml", w.Canvas())
}

func TestIdleLock(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	s.signToShares(t, a, w)
	scan(t, w, string(s.shares[0]))
	if !a.k.HoldsSecrets() {
		t.Fatal("no share held after one was accepted")
	}
	a.Tick(s.now.Add(core.DefaultIdleAfter - time.Second))
	wantScreen[core.Shares](t, a)
	a.Tick(s.now.Add(core.DefaultIdleAfter))
	wantScreen[core.Start](t, a)
	if a.k.HoldsSecrets() || !contains(w.Content(), "locked after 5m0s without input") {
		t.Fatalf("after the idle lock: secrets %v, screen %q", a.k.HoldsSecrets(), texts(w.Content()))
	}
	// The ticker ticks, and its goroutine is stoppable (its ticks go
	// through fyne.Do, which the test driver runs at once; only a Start
	// screen is on). The clock tells the test when a tick has come.
	ticked := make(chan struct{}, 1)
	clock := a.opt.Now
	a.opt.Now = func() time.Time {
		select {
		case ticked <- struct{}{}:
		default:
		}
		return clock()
	}
	a.StartTicker(time.Millisecond)
	select {
	case <-ticked:
	case <-time.After(time.Minute):
		t.Fatal("the ticker did not tick within a minute")
	}
	a.StopTicker() // returns only once the goroutine has ended
	a.StopTicker() // and a second stop is harmless
}

// No widget keeps a share's words once the screens showing them are gone,
// and Lock leaves no share in the core.
func TestSecretHygiene(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	currentApp = a
	defer func() { currentApp = nil }()

	// A ceremony through the window.
	tap(t, w, "Seed ceremony")
	wantScreen[core.CeremonySetup](t, a)
	var custodians *widget.Entry
	walk(w.Content(), func(o fyne.CanvasObject) {
		if e, ok := o.(*widget.Entry); ok && e.PlaceHolder == "Alice, Bob, Carol (one per share, or none)" {
			custodians = e
		}
	})
	test.Type(custodians, "Alice, Bob, Carol")
	tap(t, w, "Start the ceremony")
	var shown [][]string
	for i := 0; ; i++ {
		show, ok := a.k.Screen().(core.ShowShare)
		if !ok {
			break
		}
		words := strings.Fields(string(show.Words))
		shown = append(shown, words)
		if !contains(w.Content(), fmt.Sprintf("%2d. %s", 1, words[0])) {
			t.Fatalf("share %d: the first word is not shown", i+1)
		}
		// What goes on the card: set, share i of n, threshold, wallet
		// fingerprint, custodian.
		for _, want := range []string{show.Set, fmt.Sprintf("%d of 3", i+1), "any 2", show.Fingerprint, []string{"Alice", "Bob", "Carol"}[i]} {
			if !contains(w.Content(), want) {
				t.Fatalf("share %d: the card does not say %q: %q", i+1, want, texts(w.Content()))
			}
		}
		old := w.Content()
		tap(t, w, "Continue")
		wantScreen[core.EnterShare](t, a)
		if leak := holdsWords(old, shown); leak != "" {
			t.Fatalf("the replaced ShowShare screen still holds %q", leak)
		}
		scan(t, w, strings.Join(words, " "))
	}
	done := wantScreen[core.CeremonyDone](t, a)
	if len(shown) != 3 || done.Wallet.Threshold != 2 {
		t.Fatalf("ceremony showed %d shares, done %+v", len(shown), done.Wallet)
	}
	if leak := holdsWords(w.Content(), shown); leak != "" {
		t.Fatalf("the ceremony's end screen holds %q", leak)
	}
	tap(t, w, "Done")

	// A signing through the window, with the station's own shares.
	s.signToShares(t, a, w)
	scan(t, w, string(s.shares[0]))
	old := w.Content()
	scan(t, w, string(s.shares[1]))
	wantScreen[core.Signed](t, a)
	signing := [][]string{strings.Fields(string(s.shares[0])), strings.Fields(string(s.shares[1]))}
	for _, o := range []fyne.CanvasObject{old, w.Content()} {
		if leak := holdsWords(o, signing); leak != "" {
			t.Fatalf("a share's words remain: %q", leak)
		}
	}

	// A half-finished health check, then Lock.
	tap(t, w, "Done")
	a.Send(core.Begin{Flow: core.FlowHealth, Wallet: "vault"})
	scan(t, w, string(s.shares[2]))
	if !a.k.HoldsSecrets() {
		t.Fatal("no share held")
	}
	e := w.Canvas().Focused().(*ScanEntry)
	test.Type(e, strings.Join(signing[0][:4], " ")) // typed, not submitted
	old = w.Content()
	tap(t, w, "Lock")
	wantScreen[core.Start](t, a)
	if a.k.HoldsSecrets() {
		t.Fatal("the core holds shares after Lock")
	}
	for _, o := range []fyne.CanvasObject{old, w.Content()} {
		if leak := holdsWords(o, append(signing, strings.Fields(string(s.shares[2])))); leak != "" {
			t.Fatalf("after Lock a widget holds %q", leak)
		}
	}
}

// holdsWords returns a run of three consecutive words of one of the
// shares found in any text under o, or "".
func holdsWords(o fyne.CanvasObject, shares [][]string) string {
	all := strings.Join(texts(o), "\n")
	// Numbered columns ("1. word") would hide a run; look for each
	// share's words as they are shown, too.
	for _, words := range shares {
		for i := 0; i+3 <= len(words); i++ {
			run := strings.Join(words[i:i+3], " ")
			if strings.Contains(all, run) {
				return run
			}
		}
		for i, word := range words {
			if strings.Contains(all, fmt.Sprintf("%2d. %s", i+1, word)) {
				return fmt.Sprintf("%2d. %s", i+1, word)
			}
		}
	}
	return ""
}

func TestGoldens(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	assertMarkup(t, "start.xml", w.Canvas())
	tap(t, w, "Sign a withdrawal")
	assertMarkup(t, "scan.xml", w.Canvas())
	raw := s.withdrawal(t, 150_000)
	a.Send(core.PSBTScanned{Data: raw, Source: "test"})
	assertMarkup(t, "review.xml", w.Canvas())
	// internal/shots (make screenshots) rebuilds this station from the
	// same seed and reviews this PSBT.
	if *update {
		if err := os.WriteFile(filepath.Join("testdata", "withdrawal.psbt"), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	} else if want, err := os.ReadFile(filepath.Join("testdata", "withdrawal.psbt")); err != nil || !bytes.Equal(raw, want) {
		t.Errorf("testdata/withdrawal.psbt is not this station's withdrawal (%v): go test -update", err)
	}
	readReview(t, w)
	tap(t, w, "Sign: ask for the shares")
	scan(t, w, string(s.shares[0]))
	assertMarkup(t, "shares.xml", w.Canvas())
	scan(t, w, string(s.shares[2]))
	wantScreen[core.Signed](t, a)
	assertMarkup(t, "signed.xml", w.Canvas())
	tap(t, w, "Done")
	tap(t, w, "Audit log")
	wantScreen[core.AuditView](t, a)
	dir := t.TempDir()
	a.Send(core.ExportAudit{Dir: dir})
	if v := wantScreen[core.AuditView](t, a); v.Exported == "" || !contains(w.Content(), "Exported to "+v.Exported) {
		t.Fatalf("audit export: %+v", v.Problem)
	}
	tap(t, w, "Done")
	wantScreen[core.Start](t, a)
}

func TestRegisterMultisig(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	var keys []string
	for _, wl := range append([]home.Wallet{s.wallet}, s.others...) {
		keys = append(keys, wl.Cosigner+"/<0;1>/*")
	}
	desc := fmt.Sprintf("wsh(sortedmulti(2,%s))", strings.Join(keys, ","))
	sum, err := descriptor.Checksum(desc)
	if err != nil {
		t.Fatal(err)
	}
	before, err := s.h.Wallets()
	if err != nil {
		t.Fatal(err)
	}
	tap(t, w, "Register wallet")
	scan(t, w, desc+"#"+sum) // a descriptor QR code: one plain part
	r := wantScreen[core.RegisterReview](t, a)
	if !contains(w.Content(), "THIS KIOSK") || !contains(w.Content(), core.GroupAddress(r.Registration.FirstAddress)) {
		t.Fatalf("register review: %q", texts(w.Content()))
	}
	// Registering needs the quorum of this station's key in the wallet,
	// as a signing does.
	tap(t, w, "Register with shares…")
	if sh := wantScreen[core.Shares](t, a); sh.Flow != core.FlowRegister || sh.Need != 2 || !contains(w.Content(), "shares of this station's key") {
		t.Fatalf("register shares screen %+v: %q", sh, texts(w.Content()))
	}
	if ws, _ := s.h.Wallets(); len(ws) != len(before) {
		t.Fatalf("registered before the shares: %d wallets, want %d", len(ws), len(before))
	}
	scan(t, w, string(s.shares[0]))
	scan(t, w, string(s.shares[1]))
	if d := wantScreen[core.Done](t, a); !d.OK {
		t.Fatalf("done %+v", d)
	}
	entries, err := s.h.Log().Entries()
	if err != nil {
		t.Fatal(err)
	}
	last := entries[len(entries)-1]
	if got := string(last.Data); last.Kind != "wallet-add" || !strings.Contains(got, `"result":"registered"`) || !strings.Contains(got, `"via":"app"`) || !strings.Contains(got, `"shares":["share 1 of set`) {
		t.Fatalf("last entry %s %s, want wallet-add registered via app with the shares", last.Kind, got)
	}
	tap(t, w, "Done")

	// Item 9 of issue 16 through the app: a hostile coordinator hands out
	// the same wallet with its keys in another order. The scan is refused,
	// naming the registered wallet; nothing is registered.
	slices.Reverse(keys)
	reordered := fmt.Sprintf("wsh(sortedmulti(2,%s))", strings.Join(keys, ","))
	if sum, err = descriptor.Checksum(reordered); err != nil {
		t.Fatal(err)
	}
	tap(t, w, "Register wallet")
	scan(t, w, reordered+"#"+sum)
	if sc := wantScreen[core.Scan](t, a); !strings.Contains(sc.Problem, "this wallet is already registered as") {
		t.Fatalf("the same wallet in another key order: problem %q", sc.Problem)
	}
	if ws, _ := s.h.Wallets(); len(ws) != len(before)+1 {
		t.Fatalf("%d wallets after the copy was scanned, want %d", len(ws), len(before)+1)
	}
}

// An encrypted BSMS record (the coordinator's default) is refused with a
// sentence until the operator types the session's TOKEN; then it opens and
// is reviewed like any other.
func TestRegisterEncryptedBSMS(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	var keys []string
	for _, wl := range append([]home.Wallet{s.wallet}, s.others...) {
		keys = append(keys, wl.Cosigner+"/<0;1>/*")
	}
	d, err := descriptor.ParseForNetwork(fmt.Sprintf("wsh(sortedmulti(2,%s))", strings.Join(keys, ",")), descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	record, err := d.BSMS()
	if err != nil {
		t.Fatal(err)
	}
	token := []byte{0x80, 0xfc, 0x01, 0x85, 0x75, 0xeb, 0x66, 0x07}
	enc, err := descriptor.EncryptBSMS(token, record)
	if err != nil {
		t.Fatal(err)
	}
	tap(t, w, "Register wallet")
	scan(t, w, string(enc))
	if sc := wantScreen[core.Scan](t, a); !strings.Contains(sc.Problem, "encrypted: give the session's TOKEN") {
		t.Fatalf("an encrypted record without a TOKEN: problem %q", sc.Problem)
	}
	tokenBox := func() *widget.Entry {
		var box *widget.Entry
		walk(w.Content(), func(o fyne.CanvasObject) {
			if e, ok := o.(*widget.Entry); ok && strings.HasPrefix(e.PlaceHolder, "BSMS TOKEN") {
				box = e
			}
		})
		if box == nil {
			t.Fatal("no BSMS TOKEN box on the register scan screen")
		}
		return box
	}
	test.Type(tokenBox(), "0011223344556677")
	scan(t, w, string(enc))
	if sc := wantScreen[core.Scan](t, a); !strings.Contains(sc.Problem, "MAC does not match") {
		t.Fatalf("a wrong TOKEN: problem %q", sc.Problem)
	}
	test.Type(tokenBox(), "80fc018575eb6607")
	scan(t, w, string(enc))
	r := wantScreen[core.RegisterReview](t, a)
	if got, want := r.Registration.Desc.String(), d.String(); got != want || !contains(w.Content(), "THIS KIOSK") {
		t.Fatalf("register review of %s; want %s", got, want)
	}
}

// The camera path: the station's camera (here recorded frames: the PSBT's
// UR codes drawn as images, one unreadable in between) reads the transfer
// in the background, and the review follows.
func TestScanWithCamera(t *testing.T) {
	s := newStation(t)
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(1280, 800))
	parts, err := qr.EncodePSBT(s.withdrawal(t, 150_000), qr.EncodeOptions{Format: qr.FormatUR, MaxFragment: 200})
	if err != nil {
		t.Fatal(err)
	}
	var frames []image.Image
	for i, p := range parts {
		img, err := qr.Image([]byte(p), qr.ImageOptions{Level: qr.Low, ModulePixels: 4})
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, img)
		if i == 0 {
			frames = append(frames, image.NewGray(image.Rect(0, 0, 320, 240))) // a blank frame
		}
	}
	done := make(chan error, 1)
	a := New(w, s.kiosk(t), Options{Words: wordlists.English, ExportDir: t.TempDir(), Now: func() time.Time { return s.now },
		Camera: func() (camera.Source, error) { return camera.Frames(frames...), nil }})
	a.camDone = done
	t.Cleanup(a.Close)
	tap(t, w, "Sign a withdrawal")
	wantScreen[core.Scan](t, a)
	tap(t, w, "Scan with the camera")
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("camera scan: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the camera scan did not end")
	}
	wantScreen[core.Review](t, a)
}

// The audit log leaves the station as QR codes too: the frames shown
// reassemble to the log file exactly.
func TestAuditLogAsQR(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	tap(t, w, "Audit log")
	v := wantScreen[core.AuditView](t, a)
	tap(t, w, "Show as QR codes")
	p := readShownQR(t, a)
	if !bytes.Equal(p.Data, v.Raw) {
		t.Fatalf("the QR codes carry %d bytes, the log has %d", len(p.Data), len(v.Raw))
	}
}

// readShownQR reads the animated QR code on the screen frame by frame, as a
// camera would, until the transfer is complete.
func readShownQR(t *testing.T, a *App) qr.Payload {
	t.Helper()
	if a.anim == nil {
		t.Fatal("no animated QR code on the screen")
	}
	dec := qr.NewDecoder()
	done := false
	for range a.anim.Frames() {
		text, err := qr.DecodeImage(a.anim.Image.Image)
		if err != nil {
			t.Fatal(err)
		}
		if done, err = dec.Add(string(text)); err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
		a.anim.Step()
	}
	if !done {
		t.Fatal("the QR frames shown do not complete the transfer")
	}
	p, err := dec.Result()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A transaction signed here before comes back: the review says when, and
// Sign stays disabled until the operator ticks that they checked why; then
// it asks for the shares.
func TestSignAgainNeedsTheOperatorsTick(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	currentApp = a
	defer func() { currentApp = nil }()
	s.signToShares(t, a, w)
	scan(t, w, string(s.shares[0]))
	scan(t, w, string(s.shares[2]))
	wantScreen[core.Signed](t, a)
	tap(t, w, "Done")

	tap(t, w, "Sign a withdrawal")
	parts, err := qr.EncodePSBT(s.withdrawal(t, 150_000), qr.EncodeOptions{Format: qr.FormatUR, MaxFragment: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		if _, ok := a.k.Screen().(core.Scan); !ok {
			break
		}
		scan(t, w, p)
	}
	r := wantScreen[core.Review](t, a)
	if len(r.SignedBefore) != 1 || !contains(w.Content(), "Signed here before: this transaction was already signed here at") {
		t.Fatalf("signed before %q, screen %q", r.SignedBefore, texts(w.Content()))
	}
	sign := button(t, w, "Sign again: ask for the shares")
	if !sign.Disabled() {
		t.Fatal("Sign again is enabled before the operator ticked")
	}
	var check *widget.Check
	walk(w.Content(), func(o fyne.CanvasObject) {
		if c, ok := o.(*widget.Check); ok && strings.HasPrefix(c.Text, "I checked with the coordinator") {
			check = c
		}
	})
	if check == nil {
		t.Fatalf("no confirmation tick on %q", texts(w.Content()))
	}
	test.Tap(check)
	if !sign.Disabled() {
		t.Fatal("Sign again is enabled before the operator scrolled to the end")
	}
	readReview(t, w)
	tap(t, w, "Sign again: ask for the shares")
	wantScreen[core.Shares](t, a)
}
