package kioskapp

import (
	"fmt"
	"image"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// ScanEntry takes what a keyboard-wedge scanner types: the payload, then
// Enter. A plain multi-line Entry would insert a newline on Enter, so
// Return and keypad Enter hand the text to OnScan and clear the entry.
type ScanEntry struct {
	widget.Entry
	OnScan func(string)
	// OnSubmit, when set, may refuse a submission: the text then stays.
	OnSubmit func(string) bool
	// OnEscape is called on Esc (the screen's Back), nil: Esc is ignored.
	OnEscape func()
}

// NewScanEntry returns a wrapping entry that calls onScan on Enter.
func NewScanEntry(placeholder string, onScan func(string)) *ScanEntry {
	e := &ScanEntry{OnScan: onScan}
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapBreak
	e.SetMinRowsVisible(2)
	e.PlaceHolder = placeholder
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey submits on Return or Enter and calls OnEscape on Esc; other
// keys edit as usual.
func (e *ScanEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter {
		e.Submit()
		return
	}
	if k.Name == fyne.KeyEscape && e.OnEscape != nil {
		e.OnEscape()
		return
	}
	e.Entry.TypedKey(k)
}

// Submit hands the text to OnScan and clears the entry first, so the
// entry never keeps what was scanned or typed.
func (e *ScanEntry) Submit() {
	text := strings.TrimSpace(e.Text)
	if text != "" && e.OnSubmit != nil && !e.OnSubmit(text) {
		return
	}
	e.SetText("")
	if text != "" && e.OnScan != nil {
		e.OnScan(text)
	}
}

// WordEntry is a ScanEntry for share words with BIP39 completion: the
// last, partly typed word is matched against the word list and the
// matches are offered as buttons; tapping one completes the word. Enter
// submits the whole share (typed, or scanned as QR text).
type WordEntry struct {
	Entry       *ScanEntry
	Suggestions *fyne.Container
	Count       *widget.Label
	words       []string
	max         int
}

// NewWordEntry returns a share entry completing from words (the BIP39
// English list; nil disables completion and the word check). A typed word
// that is not on the list is not submitted: the count line names it, and
// the text stays in the box to be corrected rather than typed again.
func NewWordEntry(words []string, onShare func(string)) *WordEntry {
	w := &WordEntry{words: words, max: 8}
	w.Entry = NewScanEntry("type the share's words, or scan its QR code", onShare)
	w.Entry.OnSubmit = w.check
	w.Entry.SetMinRowsVisible(3)
	w.Suggestions = container.NewGridWithColumns(4)
	w.Count = widget.NewLabel("")
	w.Entry.OnChanged = w.changed
	return w
}

// check says whether text may be submitted: QR text, or words that are
// all on the list (whole, or at least their first four letters, as a
// steel plate carries them). On the first word that is not, it marks that
// word on the count line and keeps the text.
func (w *WordEntry) check(text string) bool {
	if len(w.words) == 0 || strings.HasPrefix(strings.ToUpper(text), "AIRSIGN-SHARE:") || strings.HasPrefix(strings.ToLower(text), "ur:") {
		return true
	}
	n := 0
	for _, f := range strings.Fields(text) {
		if strings.Trim(f, "0123456789.:") == "" {
			continue // a row number, as the file form prints them
		}
		n++
		word := strings.ToLower(f)
		if !isLetters(word) || knownWord(w.words, word) {
			continue
		}
		w.Count.SetText(fmt.Sprintf("word %d, %q, is not a BIP39 word: correct it, then press Enter", n, f))
		w.Count.Importance = widget.DangerImportance
		w.Count.Refresh()
		return false
	}
	return true
}

func isLetters(s string) bool {
	for _, r := range s {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

// knownWord says whether word is on the list, or the start (four letters
// or more) of exactly the list word that starts with its first four.
func knownWord(words []string, word string) bool {
	if slices.Contains(words, word) {
		return true
	}
	if len(word) < 4 {
		return false
	}
	for _, l := range words {
		if strings.HasPrefix(l, word[:4]) {
			return strings.HasPrefix(l, word)
		}
	}
	return false
}

// Matches are the list words starting with prefix, at most max.
func Matches(words []string, prefix string, max int) []string {
	var out []string
	if prefix == "" {
		return nil
	}
	for _, word := range words {
		if strings.HasPrefix(word, prefix) {
			out = append(out, word)
			if len(out) == max {
				break
			}
		}
	}
	return out
}

func (w *WordEntry) changed(text string) {
	w.Suggestions.RemoveAll()
	w.Count.Importance = widget.MediumImportance
	fields := strings.Fields(text)
	switch n := len(fields); {
	case n == 0:
		w.Count.SetText("")
	case n == 1:
		w.Count.SetText("1 word")
	default:
		w.Count.SetText(strconv.Itoa(n) + " words")
	}
	if text == "" || strings.HasSuffix(text, " ") || strings.HasPrefix(text, "ur:") || len(fields) == 0 {
		w.Suggestions.Refresh()
		return
	}
	last := strings.ToLower(fields[len(fields)-1])
	matches := Matches(w.words, last, w.max)
	if len(matches) == 1 && matches[0] == last {
		matches = nil
	}
	for _, m := range matches {
		w.Suggestions.Add(widget.NewButton(m, func() { w.complete(m) }))
	}
	w.Suggestions.Refresh()
}

// complete replaces the partly typed last word with word.
func (w *WordEntry) complete(word string) {
	text := w.Entry.Text
	i := strings.LastIndexAny(text, " \n\t")
	w.Entry.SetText(text[:i+1] + word + " ")
	w.Entry.CursorColumn = len(w.Entry.Text)
	w.Entry.Refresh()
	// Tapping the suggestion took the focus: give it back, so typing
	// goes on in the entry.
	if c := fyne.CurrentApp().Driver().CanvasForObject(w.Entry); c != nil {
		c.Focus(w.Entry)
	}
}

// Object lays out the entry, the word count and the suggestions.
func (w *WordEntry) Object() fyne.CanvasObject {
	return container.NewVBox(w.Entry, w.Count, w.Suggestions)
}

// Clear empties the entry and the suggestions.
func (w *WordEntry) Clear() {
	w.Entry.SetText("")
	w.Suggestions.RemoveAll()
	w.Count.SetText("")
}

// QRAnimator shows QR frames one after another: an animated transfer for
// the other side's camera.
type QRAnimator struct {
	Image  *canvas.Image
	frames []image.Image
	next   int

	steps ticker
}

// ticker calls a function on the fyne thread at an interval, from a
// goroutine that stop ends and waits for.
type ticker struct {
	mu   sync.Mutex
	stop chan struct{}
	done chan struct{}
}

// start calls f every interval until stop; it does nothing while already
// running.
func (k *ticker) start(interval time.Duration, f func()) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stop != nil {
		return
	}
	stop, done := make(chan struct{}), make(chan struct{})
	k.stop, k.done = stop, done
	t := time.NewTicker(interval)
	go func() {
		defer close(done)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				fyne.Do(f)
			}
		}
	}()
}

// halt ends the goroutine, if one runs, and waits for it.
func (k *ticker) halt() {
	k.mu.Lock()
	stop, done := k.stop, k.done
	k.stop, k.done = nil, nil
	k.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
}

// NewQRAnimator shows frames (at least one) on a square of side points.
func NewQRAnimator(frames []image.Image, side float32) *QRAnimator {
	im := canvas.NewImageFromImage(frames[0])
	im.FillMode = canvas.ImageFillContain
	im.ScaleMode = canvas.ImageScalePixels
	im.SetMinSize(fyne.NewSquareSize(side))
	return &QRAnimator{Image: im, frames: frames, next: 1 % len(frames)}
}

// Frames is how many frames the animation has.
func (a *QRAnimator) Frames() int { return len(a.frames) }

// Step shows the next frame; on the fyne thread.
func (a *QRAnimator) Step() {
	if a.frames == nil {
		return
	}
	a.Image.Image = a.frames[a.next]
	a.next = (a.next + 1) % len(a.frames)
	a.Image.Refresh()
}

// Start steps at fps frames a second from a goroutine, through fyne.Do.
func (a *QRAnimator) Start(fps int) {
	if len(a.frames) < 2 || fps <= 0 {
		return
	}
	a.steps.start(time.Second/time.Duration(fps), a.Step)
}

// Stop ends the animation and waits for its goroutine.
func (a *QRAnimator) Stop() { a.steps.halt() }

// Clear stops the animation and drops the frames.
func (a *QRAnimator) Clear() {
	a.Stop()
	a.frames = nil
	a.Image.Image = nil
	a.Image.Refresh()
}
