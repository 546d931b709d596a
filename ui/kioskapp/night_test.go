package kioskapp

import (
	"image/color"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	core "airsign/offline/kiosk"
	"airsign/ui/qr"
)

// Esc is Back where the screen has one: from the focused scan entry, and
// from a review, where nothing has the focus. On the start screen it does
// nothing.
func TestEscGoesBack(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	esc := &fyne.KeyEvent{Name: fyne.KeyEscape}
	w.Canvas().OnTypedKey()(esc)
	wantScreen[core.Start](t, a)
	tap(t, w, "Sign a withdrawal")
	a.Send(core.PSBTScanned{Data: s.withdrawal(t, 150_000), Source: "test"})
	wantScreen[core.Review](t, a)
	if w.Canvas().Focused() != nil {
		t.Fatalf("%T has the focus on the review", w.Canvas().Focused())
	}
	w.Canvas().OnTypedKey()(esc)
	wantScreen[core.Scan](t, a)
	w.Canvas().Focused().TypedKey(esc)
	wantScreen[core.Start](t, a)
}

// The focused control is marked in a strong colour, not the default's
// faint tint.
func TestFocusRingVisible(t *testing.T) {
	c := color.NRGBAModel.Convert(NewTheme(1).Color(theme.ColorNameFocus, theme.VariantDark)).(color.NRGBA)
	if c.A < 0x80 || c.R < 0xc0 {
		t.Fatalf("focus colour %v: too faint to see", c)
	}
}

// In the last half minute before the idle lock a warning counts down;
// "I am here" restarts the count and keeps the screen as it was.
func TestIdleWarning(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	s.signToShares(t, a, w)
	a.Tick(s.now.Add(core.DefaultIdleAfter - DefaultIdleWarning - time.Second))
	if a.idle.Visible() {
		t.Fatal("the idle warning shows long before the lock")
	}
	a.Tick(s.now.Add(core.DefaultIdleAfter - 20*time.Second))
	if !a.idle.Visible() || !contains(w.Content(), "in 20 seconds the station locks") {
		t.Fatalf("no idle warning 20 s before the lock: %q", texts(w.Content()))
	}
	s.now = s.now.Add(core.DefaultIdleAfter - 10*time.Second)
	tap(t, w, "I am here")
	if a.idle.Visible() {
		t.Fatal("the warning stayed after I am here")
	}
	a.Tick(s.now.Add(core.DefaultIdleAfter - time.Second))
	wantScreen[core.Shares](t, a)
	a.Tick(s.now.Add(core.DefaultIdleAfter))
	wantScreen[core.Start](t, a)
}

// The scan counter counts different codes: a frame shown twice is one. A
// code of another transfer is refused in plain words, and Start over
// begins again.
func TestScanCountsDistinctParts(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	tap(t, w, "Sign a withdrawal")
	parts, err := qr.EncodePSBT(s.withdrawal(t, 150_000), qr.EncodeOptions{Format: qr.FormatUR, MaxFragment: 100})
	if err != nil {
		t.Fatal(err)
	}
	other, err := qr.EncodePSBT(s.withdrawal(t, 120_000), qr.EncodeOptions{Format: qr.FormatUR, MaxFragment: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) < 3 {
		t.Fatalf("%d parts, want several", len(parts))
	}
	scan(t, w, parts[0])
	scan(t, w, parts[0])
	scan(t, w, parts[0])
	if !contains(w.Content(), "that code was read already: 1 different codes so far") {
		t.Fatalf("a repeated frame: %q", texts(w.Content()))
	}
	scan(t, w, parts[1])
	if !contains(w.Content(), "2 different codes read") {
		t.Fatalf("two frames: %q", texts(w.Content()))
	}
	// The bar and the line under it say the same percentage.
	bar := find(w.Content(), func(*widget.ProgressBar) bool { return true })
	if bar == nil || bar.TextFormatter == nil || !contains(w.Content(), "about "+bar.TextFormatter()+" of the transfer") {
		t.Fatalf("the progress bar's text is not the status line's percentage: %q", texts(w.Content()))
	}
	scan(t, w, other[0])
	if !contains(w.Content(), "this code belongs to another transfer; finish the first one or press Start over") {
		t.Fatalf("a frame of another transfer: %q", texts(w.Content()))
	}
	tap(t, w, "Start over")
	for _, p := range other {
		if _, ok := a.k.Screen().(core.Scan); !ok {
			break
		}
		scan(t, w, p)
	}
	r := wantScreen[core.Review](t, a)
	if r.Loaded.Summary.Outputs[0].Amount != 120_000 {
		t.Fatalf("after Start over the review shows %v, want the other transfer", r.Loaded.Summary.Outputs[0].Amount)
	}
}
