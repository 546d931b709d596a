package kioskapp

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/tyler-smith/go-bip39/wordlists"

	core "airsign/offline/kiosk"
	"airsign/shamir"
)

// wordEntry is the share entry of the screen shown, through its focused
// entry.
func wordEntry(t *testing.T, w fyne.Window) *WordEntry {
	t.Helper()
	e, ok := w.Canvas().Focused().(*ScanEntry)
	if !ok || e.words == nil {
		t.Fatalf("focused %T, want a share entry", w.Canvas().Focused())
	}
	return e.words
}

// typeWord types the first three letters of word and taps its suggestion
// when offered, else types the rest and a space, as an operator would.
func typeWord(t *testing.T, w fyne.Window, word string) {
	t.Helper()
	we := wordEntry(t, w)
	n := min(3, len(word))
	test.Type(we.Entry, word[:n])
	if b := findButton(w, word); b != nil {
		test.Tap(b)
		return
	}
	test.Type(we.Entry, word[n:]+" ")
}

// boxTexts are the words in the boxes, and which boxes are marked.
func boxTexts(we *WordEntry) (words []string, marked []int) {
	for _, b := range we.boxes {
		words = append(words, b.Text)
	}
	return words, we.Marked()
}

func TestShareWordByWord(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	tap(t, w, "Share health check")
	we := wordEntry(t, w)
	// Which share comes first is not known: the count says what to expect.
	if got, want := we.Status.Text, "word 1 (a share has 22 words for a 12-word seed, 34 for a 24-word seed)"; got != want {
		t.Fatalf("status %q, want %q", got, want)
	}
	words := strings.Fields(string(s.shares[0]))
	for i, word := range words {
		typeWord(t, w, word)
		if got, want := we.Status.Text, fmt.Sprintf("word %d (", i+2); i < len(words)-1 && !strings.HasPrefix(got, want) {
			t.Fatalf("after word %d: status %q, want %q…", i+1, got, want)
		}
	}
	got, marked := boxTexts(we)
	if !slices.Equal(got[:len(words)], words) || len(marked) != 0 {
		t.Fatalf("boxes %q (marked %v), want %q", got, marked, words)
	}
	// Words never split across lines: one word a box, each box one line.
	for i, b := range we.boxes {
		if b.MultiLine || strings.ContainsAny(b.Text, " \n") {
			t.Fatalf("box %d: multi-line %v, text %q", i+1, b.MultiLine, b.Text)
		}
	}
	we.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if sh := wantScreen[core.Shares](t, a); len(sh.Accepted) != 1 {
		t.Fatalf("accepted %v (problem %q)", sh.Accepted, sh.Problem)
	}
	if got, _ := boxTexts(wordEntry(t, w)); strings.Join(got, "") != "" {
		t.Fatalf("the boxes hold %q after the share was accepted", got)
	}

	// Now the set's length is known: "word 7 of 22".
	we = wordEntry(t, w)
	words = strings.Fields(string(s.shares[1]))
	for i, word := range words[:6] {
		typeWord(t, w, word)
		if got, want := we.Status.Text, fmt.Sprintf("word %d of 22", i+2); got != want {
			t.Fatalf("status %q, want %q", got, want)
		}
	}
	if !contains(w.Content(), "word 7 of 22") || !contains(w.Content(), core.WhyShareWords(12)) {
		t.Fatalf("the screen does not count to 22 or explain why: %q", texts(w.Content()))
	}
	// Backspace in the empty entry takes the last word back to correct it.
	we.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyBackspace})
	if we.Entry.Text != words[5] || we.Status.Text != "word 6 of 22" {
		t.Fatalf("after Backspace: entry %q, status %q; want word 6 back", we.Entry.Text, we.Status.Text)
	}
	// Enter before the last word: refused, every word kept.
	we.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if got, want := we.Status.Text, "6 of 22 words entered: enter word 7"; got != want {
		t.Fatalf("status %q, want %q", got, want)
	}
	for _, word := range words[6:] {
		typeWord(t, w, word)
	}
	if we.Status.Text != "all 22 words entered: press Enter" {
		t.Fatalf("status %q after the last word", we.Status.Text)
	}
	tap(t, w, "Submit share")
	if d := wantScreen[core.Done](t, a); !d.OK {
		t.Fatalf("done %+v", d)
	}
	if got := Matches(wordlists.English, "ab", 100); len(got) != 10 || got[0] != "abandon" {
		t.Errorf("Matches(ab) = %q", got)
	}
}

// A typo marks its own box and keeps every word; a word that is on the
// list but wrong is named by the checksum before the share leaves the
// entry. Four-letter starts and numbers, as on a steel plate, are words.
func TestShareTypoMarksTheWord(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	tap(t, w, "Share health check")
	we := wordEntry(t, w)
	words := strings.Fields(string(s.shares[0]))
	typo := slices.Clone(words)
	typo[2] = "zzzq"
	for i := range typo {
		if len(typo[i]) > 4 && i != 2 {
			typo[i] = fmt.Sprintf("%d.%s", i+1, typo[i][:4])
		}
	}
	test.Type(we.Entry, strings.Join(typo, " ")) // pasted or typed in one go
	we.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if sh := wantScreen[core.Shares](t, a); len(sh.Accepted) != 0 || sh.Problem != "" {
		t.Fatalf("a share with a typo went to the core: accepted %v, problem %q", sh.Accepted, sh.Problem)
	}
	want := slices.Clone(words)
	want[2] = "zzzq"
	got, marked := boxTexts(we)
	if !slices.Equal(got[:len(want)], want) || !slices.Equal(marked, []int{3}) {
		t.Fatalf("boxes %q marked %v; want %q marked [3]", got, marked, want)
	}
	if !contains(w.Content(), "word 3 is not a BIP39 word") {
		t.Fatalf("the typo is not named: %q", texts(w.Content()))
	}
	// Another list word in place of word 5: the checksum names it.
	we.boxes[2].SetText(words[2])
	we.boxes[4].SetText(otherWord(words[4]))
	we.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if sh := wantScreen[core.Shares](t, a); len(sh.Accepted) != 0 {
		t.Fatalf("a share with a wrong word went to the core: accepted %v", sh.Accepted)
	}
	if _, marked := boxTexts(we); !slices.Equal(marked, []int{5}) || !strings.HasPrefix(we.Status.Text, "word 5 looks wrong") {
		t.Fatalf("marked %v, status %q; want word 5", marked, we.Status.Text)
	}
	we.boxes[4].SetText(words[4])
	if _, marked := boxTexts(we); len(marked) != 0 {
		t.Fatalf("still marked after the correction: %v", marked)
	}
	we.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if sh := wantScreen[core.Shares](t, a); len(sh.Accepted) != 1 {
		t.Fatalf("the corrected share: accepted %v, problem %q", sh.Accepted, sh.Problem)
	}
	// The next share as QR text, typed by the scanner, in one go.
	sh, err := shamir.Parse(s.shares[2])
	if err != nil {
		t.Fatal(err)
	}
	qrText := string(sh.QRText())
	sh.Wipe()
	scan(t, w, qrText)
	if d := wantScreen[core.Done](t, a); !d.OK {
		t.Fatalf("done %+v", d)
	}
}

// otherWord is a list word that is not word.
func otherWord(word string) string {
	if word == wordlists.English[0] {
		return wordlists.English[1]
	}
	return wordlists.English[0]
}

// toFirstShare starts a ceremony from the window with its defaults.
func toFirstShare(t *testing.T, a *App, w fyne.Window) core.ShowShare {
	t.Helper()
	tap(t, w, "Seed ceremony")
	tap(t, w, "Start the ceremony")
	return wantScreen[core.ShowShare](t, a)
}

// The copy check names the word that differs by its number, marks its
// box, and keeps the others to be corrected, not typed again.
func TestCopyCheckMarksTheWord(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	show := toFirstShare(t, a, w)
	words := strings.Fields(string(show.Words))
	n := len(words)
	if n != core.ShareWordCount(show.SeedWords) || !contains(w.Content(), core.WhyShareWords(show.SeedWords)) {
		t.Fatalf("%d words of a %d-word seed shown; the explanation: %q", n, show.SeedWords, texts(w.Content()))
	}
	tap(t, w, "Continue")
	we := wordEntry(t, w)
	if got, want := we.Status.Text, fmt.Sprintf("word 1 of %d", n); got != want {
		t.Fatalf("status %q, want %q", got, want)
	}
	copied := slices.Clone(words)
	copied[8] = otherWord(words[8])
	for _, word := range copied {
		typeWord(t, w, word)
	}
	we.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	e := wantScreen[core.EnterShare](t, a)
	if !slices.Equal(e.Differs, []int{9}) || !contains(w.Content(), "word 9 differs from the share shown") {
		t.Fatalf("differs %v, screen %q", e.Differs, texts(w.Content()))
	}
	we = wordEntry(t, w)
	got, marked := boxTexts(we)
	if !slices.Equal(got, copied) || !slices.Equal(marked, []int{9}) {
		t.Fatalf("boxes %q marked %v; want the words kept and 9 marked", got, marked)
	}
	// The message's own words include BIP39 words ("word", "again",
	// "correct"…) that a share may hold too (the shares differ per run:
	// the Shamir library draws from crypto/rand); any other is named.
	own := strings.Fields("word differs from the share shown correct it marked and press enter or look at again back")
	for _, tok := range strings.FieldsFunc(strings.ToLower(a.errText.Text+" "+e.Problem), func(r rune) bool { return r < 'a' || r > 'z' }) {
		if slices.Contains(words, tok) && !slices.Contains(own, tok) {
			t.Fatalf("share word %q is in a message: %q", tok, a.errText.Text+" "+e.Problem)
		}
	}
	we.boxes[8].SetText(words[8])
	we.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if next := wantScreen[core.ShowShare](t, a); next.Index != 2 {
		t.Fatalf("after the corrected copy: share %d shown, want 2", next.Index)
	}
}

// The ceremony's end fits the kiosk's 1280x800 screen: Done and the whole
// watch-only QR code are on it without scrolling.
func TestCeremonyDoneFits1280x800(t *testing.T) {
	s := newStation(t)
	a, w := s.gui(t)
	// The station's own theme at the command's default scale, as on the
	// kiosk.
	fyne.CurrentApp().Settings().SetTheme(NewTheme(1.3))
	show := toFirstShare(t, a, w)
	for {
		tap(t, w, "Continue")
		scan(t, w, string(show.Words))
		next, ok := a.k.Screen().(core.ShowShare)
		if !ok {
			break
		}
		show = next
	}
	wantScreen[core.CeremonyDone](t, a)
	if got := w.Canvas().Size(); got != fyne.NewSize(1280, 800) {
		t.Fatalf("canvas %v, want 1280x800", got)
	}
	screen := fyne.NewSize(1280, 800)
	inside := func(o fyne.CanvasObject) bool {
		p := fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
		return o.Visible() && o.Size().Width > 0 && p.X >= 0 && p.Y >= 0 &&
			p.X+o.Size().Width <= screen.Width && p.Y+o.Size().Height <= screen.Height
	}
	if done := button(t, w, "Done"); !inside(done) {
		t.Fatalf("Done at %v size %v: not on the screen", fyne.CurrentApp().Driver().AbsolutePositionForObject(done), done.Size())
	}
	var images, scrolls int
	walk(w.Content(), func(o fyne.CanvasObject) {
		switch o := o.(type) {
		case *canvas.Image:
			images++
			if !inside(o) {
				t.Errorf("the QR code at %v size %v is cut off", fyne.CurrentApp().Driver().AbsolutePositionForObject(o), o.Size())
			}
		case *container.Scroll:
			scrolls++
			if need := o.Content.MinSize().Height; need > o.Size().Height {
				t.Errorf("the screen needs %v points of height, has %v: it scrolls", need, o.Size().Height)
			}
		}
	})
	if images != 1 || scrolls != 1 {
		t.Fatalf("%d images, %d scrolled parts; want the QR code and the body", images, scrolls)
	}
}

// On the kiosk's 1280x800 screen, a 34-word share's boxes go below the
// fold: the copy check scrolls the box it marks into view, wherever it is
// (9 is at the foot of the first column, 30 near the top of the last), and
// the explanation under the boxes is still a scroll away. Every box is as
// high as it needs, or it draws a scroll bar inside (enter-share.png once
// showed one from row 5 down).
func TestCopyCheckShowsTheMarkedBox(t *testing.T) {
	for _, differs := range []int{9, 30} {
		t.Run(fmt.Sprint(differs), func(t *testing.T) {
			s := newStation(t)
			a, w := s.gui(t)
			fyne.CurrentApp().Settings().SetTheme(NewTheme(1.3))
			show := toFirstShare(t, a, w)
			words := strings.Fields(string(show.Words))
			if len(words) != 34 {
				t.Fatalf("%d words shown, want a 24-word seed's 34", len(words))
			}
			tap(t, w, "Continue")
			copied := slices.Clone(words)
			copied[differs-1] = otherWord(words[differs-1])
			scan(t, w, strings.Join(copied, " "))
			if e := wantScreen[core.EnterShare](t, a); !slices.Equal(e.Differs, []int{differs}) {
				t.Fatalf("differs %v, want [%d]", e.Differs, differs)
			}
			we := wordEntry(t, w)
			for i, b := range we.boxes {
				if got, need := b.Size().Height, b.MinSize().Height; got < need {
					t.Errorf("box %d is %v high, needs %v: it scrolls its word", i+1, got, need)
				}
			}
			sc, _ := scrollHolding(w.Content(), we.boxes[0], nil, fyne.Position{})
			if sc == nil {
				t.Fatal("the share entry is not in a scrolled body")
			}
			d := fyne.CurrentApp().Driver()
			visible := func(o fyne.CanvasObject) bool {
				top := d.AbsolutePositionForObject(o).Y - d.AbsolutePositionForObject(sc).Y
				return top >= 0 && top+o.Size().Height <= sc.Size().Height
			}
			if box := we.boxes[differs-1]; !visible(box) {
				t.Fatalf("the marked box %d is at %v in a body %v high scrolled to %v: not in view",
					differs, d.AbsolutePositionForObject(box).Y-d.AbsolutePositionForObject(sc).Y, sc.Size().Height, sc.Offset.Y)
			}
			why := find(sc.Content, func(l *widget.Label) bool { return l.Text == core.WhyShareWords(show.SeedWords) })
			if why == nil {
				t.Fatal("no explanation of the share's word count under the boxes")
			}
			sc.ScrollToBottom()
			if !visible(why) {
				t.Fatal("the explanation under the boxes cannot be scrolled to")
			}
		})
	}
}
