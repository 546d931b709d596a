package kioskapp

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	core "airsign/offline/kiosk"
	"airsign/shamir"
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
	// words is the share entry this entry types for, if any: Enter
	// submits its words and Backspace in the empty entry takes its last
	// word back.
	words *WordEntry
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
		if e.words != nil {
			e.words.Submit()
			return
		}
		e.Submit()
		return
	}
	if k.Name == fyne.KeyBackspace && e.Text == "" && e.words != nil {
		e.words.back()
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

// WordEntry takes a share word by word into numbered boxes, as SeedSigner
// and Coldcard do: the word being typed is completed from the BIP39 list
// (buttons for the matches; Space or a tap moves on to the next box), the
// line above the boxes counts "word 7 of 22", and a word that is not on
// the list marks its own box and keeps every other word. A whole share
// still goes in one go: its QR text, typed by a keyboard-wedge scanner
// into the same entry, or the words pasted, which fill the boxes.
type WordEntry struct {
	// Entry is the word being typed, or a share's QR text.
	Entry       *ScanEntry
	Suggestions *fyne.Container
	// Status counts the words ("word 7 of 22") or says what to correct.
	Status *widget.Label
	// Checksum makes Submit check the share's checksum first and mark the
	// one word that breaks it, where the core does not compare the words
	// with a share it knows (the ceremony's copy check does).
	Checksum bool
	// Reveal, when set, scrolls a marked box into view: with 34 words the
	// box may be below the fold.
	Reveal func(box fyne.CanvasObject)

	list    []string
	target  int // words a share has; 0: not known yet
	boxes   []*widget.Entry
	marks   []error // each box's mark, as its entry shows it
	grid    *fyne.Container
	onShare func(string)
	filling bool // the entry's text is being set, not typed
}

// maxSuggestions is how many completions are offered at once.
const maxSuggestions = 8

// entryColumns is how many columns of words the share screens show: the
// layout of the share shown in the ceremony, which the custodian copies.
const entryColumns = 4

var (
	errNotWord = errors.New("not a BIP39 word")
	errDiffers = errors.New("differs from the share")
)

// NewWordEntry returns a share entry completing from list (the BIP39
// English list; nil disables completion and the word check) that counts
// to words (0: not known yet, the boxes grow as words come) and hands the
// share to onShare.
func NewWordEntry(list []string, words int, onShare func(string)) *WordEntry {
	w := &WordEntry{list: list, target: words, onShare: onShare}
	w.Entry = NewScanEntry("type word 1, or scan the share's QR code", nil)
	w.Entry.MultiLine = false
	w.Entry.Wrapping = fyne.TextWrapOff
	w.Entry.words = w
	w.Entry.OnChanged = w.changed
	w.Suggestions = container.NewGridWithColumns(4)
	w.Status = widget.NewLabel("")
	w.Status.TextStyle.Bold = true
	w.grid = container.New(&wordGrid{cols: entryColumns})
	w.grow(0)
	w.status()
	return w
}

// Object lays out the count, the entry, the suggestions and the boxes.
func (w *WordEntry) Object() fyne.CanvasObject {
	return container.NewVBox(w.Status, w.Entry, w.Suggestions, w.grid)
}

// grow makes the boxes at least n, and as many as the share has (or,
// not known, as the shortest share has, and one empty box to go on).
func (w *WordEntry) grow(n int) {
	want := max(n, w.target)
	if w.target == 0 {
		want = min(max(n+1, core.ShareWordCount(12)), core.ShareWordCount(24))
	}
	if want == len(w.boxes) {
		return
	}
	for len(w.boxes) < want {
		b := widget.NewEntry()
		b.Validator = w.validWord
		b.AlwaysShowValidationError = true
		b.OnChanged = func(string) { w.status() }
		b.OnSubmitted = func(string) { w.Submit() }
		i := len(w.boxes)
		b.SetOnValidationChanged(func(err error) { w.marks[i] = err })
		w.boxes = append(w.boxes, b)
		w.marks = append(w.marks, nil)
	}
	w.grid.Objects = numbered(len(w.boxes), entryColumns, func(i int) fyne.CanvasObject {
		num := widget.NewLabelWithStyle(fmt.Sprintf("%2d.", i+1), fyne.TextAlignTrailing, fyne.TextStyle{Monospace: true})
		return container.NewBorder(nil, nil, num, nil, w.boxes[i])
	})
	w.grid.Refresh()
}

// wordGrid lays out its cells row by row in cols columns of equal width,
// every row as high as the tallest cell's MinSize. fyne's grid layout
// splits its height among the rows in float32, and rows far down come out
// a few millionths of a point short of an entry's MinSize: the entry then
// scrolls its one line of text and draws its scroll bar in the box.
type wordGrid struct{ cols int }

func (g *wordGrid) cell(objs []fyne.CanvasObject) fyne.Size {
	var m fyne.Size
	for _, o := range objs {
		m = m.Max(o.MinSize())
	}
	return m
}

func (g *wordGrid) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	width := (size.Width - pad*float32(g.cols-1)) / float32(g.cols)
	height := g.cell(objs).Height
	for i, o := range objs {
		row, col := i/g.cols, i%g.cols
		o.Move(fyne.NewPos(float32(col)*(width+pad), float32(row)*(height+pad)))
		o.Resize(fyne.NewSize(width, height))
	}
}

func (g *wordGrid) MinSize(objs []fyne.CanvasObject) fyne.Size {
	if len(objs) == 0 {
		return fyne.Size{}
	}
	pad := theme.Padding()
	rows := (len(objs) + g.cols - 1) / g.cols
	c := g.cell(objs)
	return fyne.NewSize(c.Width*float32(g.cols)+pad*float32(g.cols-1), c.Height*float32(rows)+pad*float32(rows-1))
}

// numbered lays out n cells (cell(i) is the i-th, numbered i+1) column by column (1..rows down the
// first column), as a share card is written.
func numbered(n, cols int, cell func(i int) fyne.CanvasObject) []fyne.CanvasObject {
	rows := (n + cols - 1) / cols
	var out []fyne.CanvasObject
	for r := range rows {
		for c := range cols {
			i := c*rows + r
			if i >= n {
				out = append(out, layout.NewSpacer())
				continue
			}
			out = append(out, cell(i))
		}
	}
	return out
}

// validWord is a box's check: empty, a list word, or its first four
// letters or more.
func (w *WordEntry) validWord(s string) error {
	if s == "" || len(w.list) == 0 || knownWord(w.list, strings.ToLower(s)) {
		return nil
	}
	return errNotWord
}

// isShareText says whether text is a whole share's QR text (or a UR)
// rather than words.
func isShareText(text string) bool {
	t := strings.ToUpper(strings.TrimSpace(text))
	return strings.HasPrefix(t, "AIRSIGN-SHARE:") || strings.HasPrefix(t, "UR:")
}

// changed takes what was typed or pasted: each word ended by a space goes
// into the next empty box, the rest stays to be completed.
func (w *WordEntry) changed(text string) {
	if w.filling {
		return
	}
	w.Suggestions.RemoveAll()
	defer w.Suggestions.Refresh()
	if isShareText(text) {
		w.Status.SetText("a whole share: press Enter")
		return
	}
	fields := strings.Fields(text)
	rest := ""
	if len(fields) > 0 && !strings.HasSuffix(text, " ") && !strings.HasSuffix(text, "\t") {
		rest, fields = fields[len(fields)-1], fields[:len(fields)-1]
	}
	if len(fields) > 0 || rest != text {
		for _, f := range fields {
			w.put(f)
		}
		w.setEntry(rest)
	}
	w.status()
	if rest == "" {
		return
	}
	last := strings.ToLower(rest)
	matches := Matches(w.list, last, maxSuggestions)
	if len(matches) == 1 && matches[0] == last {
		matches = nil
	}
	for _, m := range matches {
		w.Suggestions.Add(widget.NewButton(m, func() { w.complete(m) }))
	}
}

// put writes one word into the first empty box: its number ("7." or
// "7.word", as a card may carry it) dropped, a four-letter start written
// out. A word not on the list goes in as typed, marked.
func (w *WordEntry) put(f string) {
	if i := strings.Index(f, "."); i > 0 && strings.Trim(f[:i], "0123456789") == "" {
		f = f[i+1:]
	}
	if f == "" {
		return
	}
	word := strings.ToLower(f)
	if full := fullWord(w.list, word); full != "" {
		word = full
	}
	i := w.next()
	if i == len(w.boxes) {
		w.grow(i + 1)
	}
	w.boxes[i].SetText(word)
}

// fullWord is the list word that word is, or is the start of (four
// letters or more); "" if none.
func fullWord(list []string, word string) string {
	for _, l := range list {
		if l == word || len(word) >= 4 && strings.HasPrefix(l, word) {
			return l
		}
	}
	return ""
}

// next is the first empty box, len(boxes) if none.
func (w *WordEntry) next() int {
	for i, b := range w.boxes {
		if b.Text == "" {
			return i
		}
	}
	return len(w.boxes)
}

func (w *WordEntry) setEntry(text string) {
	w.filling = true
	w.Entry.SetText(text)
	w.Entry.CursorColumn = len([]rune(text))
	w.Entry.Refresh()
	w.filling = false
}

// status counts the words, or names the first box to correct.
func (w *WordEntry) status() {
	w.Status.Importance = widget.MediumImportance
	defer w.Status.Refresh()
	for i, b := range w.boxes {
		if w.validWord(b.Text) != nil {
			w.Status.Importance = widget.DangerImportance
			w.Status.Text = fmt.Sprintf("word %d is not a BIP39 word: tap its box and correct it (the other words are kept)", i+1)
			return
		}
	}
	if m := w.Marked(); len(m) > 0 {
		w.Status.Importance = widget.DangerImportance
		w.Status.Text = fmt.Sprintf("word %d is marked: tap its box, correct it, then press Enter", m[0])
		return
	}
	n := w.next() + 1
	w.Entry.PlaceHolder = fmt.Sprintf("type word %d, or scan the share's QR code", n)
	defer w.Entry.Refresh()
	switch {
	case w.target > 0 && n > w.target:
		w.Entry.PlaceHolder = "press Enter to submit the share, or tap a box to correct it"
		w.Status.Text = fmt.Sprintf("all %d words entered: press Enter", w.target)
	case w.target > 0:
		w.Status.Text = fmt.Sprintf("word %d of %d", n, w.target)
	default:
		w.Status.Text = fmt.Sprintf("word %d (a share has %s)", n, core.ShareWordCounts())
	}
}

// Mark marks the boxes at positions (1-based) as differing from the share
// shown, until they are edited, and reveals the first.
func (w *WordEntry) Mark(positions []int) {
	var first fyne.CanvasObject
	for _, p := range positions {
		if p >= 1 && p <= len(w.boxes) {
			w.boxes[p-1].SetValidationError(errDiffers)
			if first == nil {
				first = w.boxes[p-1]
			}
		}
	}
	w.status()
	if first != nil && w.Reveal != nil {
		w.Reveal(first)
	}
}

// Marked are the positions (1-based) of the boxes marked as wrong.
func (w *WordEntry) Marked() []int {
	var ps []int
	for i, err := range w.marks {
		if err != nil {
			ps = append(ps, i+1)
		}
	}
	return ps
}

// Words are the words in the boxes, in order, up to the first empty box.
func (w *WordEntry) Words() []string {
	var ws []string
	for _, b := range w.boxes[:w.next()] {
		ws = append(ws, b.Text)
	}
	return ws
}

// Restore puts words back into the boxes, after the core refused them, so
// that only the marked words need correcting.
func (w *WordEntry) Restore(words []string) {
	for _, word := range words {
		w.put(word)
	}
	w.status()
}

// complete replaces the partly typed word with word and moves on.
func (w *WordEntry) complete(word string) {
	w.put(word)
	w.setEntry("")
	w.Suggestions.RemoveAll()
	w.status()
	// Tapping the suggestion took the focus: give it back, so typing
	// goes on in the entry.
	if c := fyne.CurrentApp().Driver().CanvasForObject(w.Entry); c != nil {
		c.Focus(w.Entry)
	}
}

// back takes the last word out of its box into the entry, to correct it
// (Backspace in the empty entry).
func (w *WordEntry) back() {
	i := w.next() - 1
	if i < 0 {
		return
	}
	word := w.boxes[i].Text
	w.boxes[i].SetText("")
	w.setEntry(word)
	w.status()
}

// Submit hands the share on: the QR text in the entry, or the words in the
// boxes (with the word being typed). It refuses, keeping every word, while
// a box is marked, a box before the last word is empty, the count is not
// the share's, or (Checksum) one word breaks the checksum.
func (w *WordEntry) Submit() {
	text := strings.TrimSpace(w.Entry.Text)
	if isShareText(text) {
		w.Clear()
		w.onShare(text)
		return
	}
	if text != "" {
		w.put(text)
		w.setEntry("")
	}
	w.status()
	if w.Status.Importance == widget.DangerImportance {
		return
	}
	words := w.Words()
	if len(words) == 0 {
		return
	}
	switch {
	case w.target > 0 && len(words) < w.target:
		w.refuse(fmt.Sprintf("%d of %d words entered: enter word %d", len(words), w.target, len(words)+1))
		return
	case w.target > 0 && len(words) > w.target:
		w.refuse(fmt.Sprintf("%d words entered, but this share has %d: a word is doubled or extra", len(words), w.target))
		return
	}
	for i := len(words); i < len(w.boxes); i++ {
		if w.boxes[i].Text != "" {
			w.refuse(fmt.Sprintf("word %d is empty: fill it in, or the words after it are in the wrong boxes", len(words)+1))
			return
		}
	}
	share := strings.Join(words, " ")
	if w.Checksum {
		if p := wrongWord(share); p > 0 {
			w.Mark([]int{p})
			w.refuse(fmt.Sprintf("word %d looks wrong (the share's checksum fails): compare it with the card", p))
			return
		}
	}
	w.Clear()
	w.onShare(share)
}

// wrongWord is the position of the one word whose replacement would make
// the share's checksum right (shamir names it), 0 if none can.
func wrongWord(share string) int {
	s, err := shamir.Parse([]byte(share))
	if err == nil {
		s.Wipe()
		return 0
	}
	var ce *shamir.ChecksumError
	if errors.As(err, &ce) {
		return ce.Word
	}
	return 0
}

func (w *WordEntry) refuse(msg string) {
	w.Status.Importance = widget.DangerImportance
	w.Status.SetText(msg)
}

// Clear empties the entry, the boxes and the suggestions.
func (w *WordEntry) Clear() {
	w.setEntry("")
	for _, b := range w.boxes {
		b.SetText("")
		b.SetValidationError(nil)
	}
	w.Suggestions.RemoveAll()
	w.status()
}

// knownWord says whether word is on the list, or the start (four letters
// or more) of exactly the list word that starts with its first four.
func knownWord(words []string, word string) bool {
	return fullWord(words, word) != ""
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
