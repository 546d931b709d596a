package kioskapp

import (
	"crypto/rand"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/tyler-smith/go-bip39/wordlists"

	"airsign/offline/home"
	core "airsign/offline/kiosk"
)

// A new station starts on the setup screen: passphrases that differ or
// are too short are asked again, a good one seals the new device key, the
// verifier key is shown until the operator ticks that they wrote it down,
// and the station then shows its start screen on the new home, whose log
// opens with the core's init entry.
func TestFirstStart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "home")
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(1280, 800))
	var gui *App
	Setup(w, func(p []byte) (*home.Home, error) {
		return core.InitHome(dir, p, rand.Reader, t0, home.KDFParams{Time: 1, Memory: 64, Threads: 1})
	}, func(h *home.Home) {
		k, err := core.New(core.Config{Home: h, Now: func() time.Time { return t0 },
			Interfaces: func() ([]string, error) { return nil, nil }, Software: "test"})
		if err != nil {
			t.Fatal(err)
		}
		gui = New(w, k, Options{Words: wordlists.English})
		t.Cleanup(gui.Close)
	})
	var boxes []*widget.Entry
	walk(w.Content(), func(o fyne.CanvasObject) {
		if e, ok := o.(*widget.Entry); ok && e.Password {
			boxes = append(boxes, e)
		}
	})
	if len(boxes) != 2 {
		t.Fatalf("%d passphrase boxes, want 2: %q", len(boxes), texts(w.Content()))
	}
	enter := func(a, b string) {
		test.Type(boxes[0], a)
		test.Type(boxes[1], b)
		tap(t, w, "Create the device key")
	}
	enter("correct horse battery staple", "correct horse battery stable")
	if !contains(w.Content(), "are not the same") {
		t.Fatalf("different passphrases: %q", texts(w.Content()))
	}
	if boxes[0].Text != "" || boxes[1].Text != "" {
		t.Fatal("the passphrases stayed in the boxes")
	}
	enter("short", "short")
	if !contains(w.Content(), "use at least 12") {
		t.Fatalf("a short passphrase: %q", texts(w.Content()))
	}
	if _, err := home.Open(dir); err == nil {
		t.Fatal("the home exists before a good passphrase")
	}
	pass := "correct horse battery staple"
	enter(pass, pass)
	if !contains(w.Content(), "Write down the audit verifier key") {
		t.Fatalf("after the key is made: %q", texts(w.Content()))
	}
	h, err := home.OpenWith(dir, home.Options{Passphrase: []byte(pass)})
	if err != nil {
		t.Fatal(err)
	}
	if !contains(w.Content(), h.VerifierKey()) {
		t.Fatalf("the verifier key %s is not shown: %q", h.VerifierKey(), texts(w.Content()))
	}
	if !button(t, w, "Continue to the station").Disabled() {
		t.Fatal("Continue is enabled before the operator ticked that they wrote the key down")
	}
	var wrote *widget.Check
	walk(w.Content(), func(o fyne.CanvasObject) {
		if c, ok := o.(*widget.Check); ok {
			wrote = c
		}
	})
	test.Tap(wrote)
	tap(t, w, "Continue to the station")
	if gui == nil {
		t.Fatal("the station did not start")
	}
	wantScreen[core.Start](t, gui)
	if !contains(w.Content(), "Device key "+h.KeyID()) {
		t.Fatalf("start screen: %q", texts(w.Content()))
	}
	es, err := h.Log().Entries()
	if err != nil {
		t.Fatal(err)
	}
	if len(es) < 1 || es[0].Kind != "init" {
		t.Fatalf("log %v, want it to open with init", es)
	}
}
