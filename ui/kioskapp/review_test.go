package kioskapp

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

	core "airsign/offline/kiosk"
)

// A withdrawal with more outputs than the screen holds: Sign stays shut
// until the review has been scrolled to its end, past the last output;
// half way is not enough.
func TestSignOpensAfterEveryOutput(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	tap(t, w, "Sign a withdrawal")
	a.Send(core.PSBTScanned{Data: s.withdrawalTo(t, 150_000, 30), Source: "test"})
	r := wantScreen[core.Review](t, a)
	if !r.Signable() || len(r.Loaded.Summary.Outputs) != 31 {
		t.Fatalf("review signable %v with %d outputs (refusals %q), want a signable one with 31", r.Signable(), len(r.Loaded.Summary.Outputs), r.Refusals)
	}
	sign := button(t, w, "Sign: ask for the shares")
	if !sign.Disabled() {
		t.Fatal("Sign is enabled before the outputs were scrolled through")
	}
	if !contains(w.Content(), "Scroll to the end of the review") {
		t.Fatalf("no hint why Sign is shut: %q", texts(w.Content()))
	}
	scroll := reviewScroll(t, w)
	scroll.ScrollToOffset(fyne.NewPos(0, scroll.Content.MinSize().Height/2))
	scroll.Scrolled(&fyne.ScrollEvent{Scrolled: fyne.NewDelta(0, -1)})
	if !sign.Disabled() {
		t.Fatal("Sign is enabled half way through the outputs")
	}
	readReview(t, w)
	if sign.Disabled() {
		t.Fatal("Sign is still disabled at the end of the review")
	}
	tap(t, w, "Sign: ask for the shares")
	wantScreen[core.Shares](t, a)
}

// The review says where the PSBT belongs: the network, the request it
// names (or that it names none), the approvals it carries, and "no policy
// set" for a wallet without one.
func TestReviewShowsItsContext(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	tap(t, w, "Sign a withdrawal")
	a.Send(core.PSBTScanned{Data: s.withdrawal(t, 150_000), Source: "test"})
	wantScreen[core.Review](t, a)
	readReview(t, w)
	for _, want := range []string{"Network regtest", "names no withdrawal request", "The PSBT carries no approvals", "No policy set for this wallet", "lock time"} {
		if !contains(w.Content(), want) {
			t.Errorf("review does not say %q: %q", want, texts(w.Content()))
		}
	}
	if button(t, w, "Sign: ask for the shares").Disabled() {
		t.Error("Sign is disabled at the end of the review")
	}
}

func reviewScroll(t *testing.T, w fyne.Window) *container.Scroll {
	t.Helper()
	var scroll *container.Scroll
	walk(w.Content(), func(o fyne.CanvasObject) {
		if sc, ok := o.(*container.Scroll); ok && scroll == nil {
			scroll = sc
		}
	})
	if scroll == nil {
		t.Fatal("no scrolled review")
	}
	return scroll
}

// readReview scrolls the review to its end, as the operator does before
// Sign opens.
func readReview(t *testing.T, w fyne.Window) {
	t.Helper()
	reviewScroll(t, w).ScrollToBottom()
}
