// Package kiosk is the signing station's window: one constructor per
// screen of airsign/offline/kiosk, and a thin App that renders the core's
// current screen and turns the operator's taps, typing and scans into the
// core's events. The core decides every step; this package draws it.
//
// Secrets (share words, a share's QR text) appear only on the screens that
// need them; every screen is built fresh, and what a screen showed is
// cleared when it is replaced.
package kioskapp

import (
	"errors"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	core "airsign/offline/kiosk"
	"airsign/ui/qr/camera"
)

// Options wire an App.
type Options struct {
	// Words is the BIP39 English word list that completes share words as
	// they are typed (the command passes go-bip39's; nil: no completion).
	Words []string
	// ExportDir is where the file dialogs open and where a ceremony's
	// export folder is proposed: the removable medium's mount point.
	ExportDir string
	// MediaRoots are the other folders the file dialogs may browse (where
	// removable media are mounted: /media, /mnt). The dialogs show
	// nothing outside them and ExportDir.
	MediaRoots []string
	// Now is the clock for Tick events; nil is time.Now.
	Now func() time.Time
	// Camera opens the station's camera for scanning; nil hides the
	// button. The command opens /dev/video0; tests give recorded frames.
	Camera func() (camera.Source, error)
	// Animate runs the animated QR codes. Tests leave it off: the test
	// driver runs fyne.Do on the calling goroutine, so a ticker would race
	// with the test; they step the animation by hand.
	Animate bool
	// IdleWarning is how long before the idle lock the station warns
	// that it is about to lock; 0 is DefaultIdleWarning.
	IdleWarning time.Duration
}

// DefaultIdleWarning is how long before the idle lock the warning shows.
const DefaultIdleWarning = 30 * time.Second

// App shows a kiosk core in a window.
type App struct {
	k   *core.Kiosk
	w   fyne.Window
	opt Options

	errText *widget.Label
	idle    *fyne.Container // the idle lock's warning
	idleMsg *widget.Label
	back    bool     // the current screen has a Back button (Esc presses it)
	leave   []func() // clears the current screen's widgets
	focus   fyne.Focusable
	anim    *QRAnimator // the signed screen's animation, for tests
	camDone chan error  // tests: told when a camera scan ends

	ticks ticker
}

// New shows k's current screen in w.
func New(w fyne.Window, k *core.Kiosk, opt Options) *App {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	a := &App{k: k, w: w, opt: opt}
	a.errText = widget.NewLabel("")
	a.errText.Importance = widget.DangerImportance
	a.errText.Wrapping = fyne.TextWrapWord
	a.errText.TextStyle.Bold = true
	a.errText.Hide()
	a.idleMsg = widget.NewLabel("")
	a.idleMsg.Importance = widget.WarningImportance
	a.idleMsg.TextStyle.Bold = true
	a.idleMsg.Wrapping = fyne.TextWrapWord
	a.idle = container.NewBorder(nil, nil, nil, widget.NewButton("I am here", a.stay), a.idleMsg)
	a.idle.Hide()
	w.Canvas().SetOnTypedKey(a.typedKey)
	a.render(k.Screen())
	return a
}

// typedKey takes the keys no widget took: Esc goes back.
func (a *App) typedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape {
		a.escape()
	}
}

// escape is Back, on a screen that has one.
func (a *App) escape() {
	if a.back {
		a.Send(core.Back{})
	}
}

// stay answers the idle warning: the operator is here, the count starts
// again, and the screen stays as it is (what is typed, where it is
// scrolled).
func (a *App) stay() {
	if _, err := a.k.Handle(core.Active{}); err != nil {
		a.showError(err)
	}
	a.idle.Hide()
}

// Kiosk is the core the App shows.
func (a *App) Kiosk() *core.Kiosk { return a.k }

// Send hands ev to the core and shows the screen it returns. An error is
// shown above the screen: an event the screen did not take leaves the
// screen as it was; a station failure has already taken the core back to
// the start screen.
func (a *App) Send(ev core.Event) {
	s, err := a.k.Handle(ev)
	if err != nil && errors.Is(err, core.ErrUnexpected) {
		a.showError(err)
		return
	}
	a.render(s)
	if err != nil {
		a.showError(err)
	}
}

// Tick feeds the clock to the core; the screen changes only when the core
// locked the station for idleness. In the last IdleWarning before the
// lock, a warning counts down above the screen.
func (a *App) Tick(now time.Time) {
	before := a.k.Flow()
	s, err := a.k.Handle(core.Tick{Now: now})
	if before != core.FlowNone && a.k.Flow() == core.FlowNone {
		a.render(s)
	}
	if err != nil {
		a.showError(err)
	}
	warn := a.opt.IdleWarning
	if warn <= 0 {
		warn = DefaultIdleWarning
	}
	if left, ok := a.k.LocksIn(now); ok && left <= warn {
		a.idleMsg.SetText(fmt.Sprintf("No input for a while: in %d seconds the station locks and wipes what it holds in memory (shares, dice rolls, the PSBT). Press \"I am here\" to go on.", int(left.Round(time.Second).Seconds())))
		a.idle.Show()
	} else {
		a.idle.Hide()
	}
}

// StartTicker sends Tick every interval from a goroutine, through fyne.Do.
func (a *App) StartTicker(interval time.Duration) {
	a.ticks.start(interval, func() { a.Tick(a.opt.Now()) })
}

// StopTicker stops the ticker and waits for its goroutine.
func (a *App) StopTicker() { a.ticks.halt() }

// Close clears the screen's widgets (and the secrets they may show).
func (a *App) Close() {
	a.StopTicker()
	a.clearScreen()
}

func (a *App) showError(err error) {
	a.errText.SetText(err.Error())
	a.errText.Show()
}

func (a *App) clearScreen() {
	for i := len(a.leave) - 1; i >= 0; i-- {
		a.leave[i]()
	}
	a.leave, a.focus, a.anim, a.back = nil, nil, nil, false
}

// onLeave registers what clears the screen being built when it goes.
func (a *App) onLeave(f func()) { a.leave = append(a.leave, f) }

// render replaces the window's content with a fresh screen for s.
func (a *App) render(s core.Screen) {
	a.clearScreen()
	a.errText.SetText("")
	a.errText.Hide()
	a.idle.Hide()
	var body fyne.CanvasObject
	switch s := s.(type) {
	case core.Start:
		body = a.startScreen(s)
	case core.Scan:
		body = a.scanScreen(s)
	case core.Review:
		body = a.reviewScreen(s)
	case core.Shares:
		body = a.sharesScreen(s)
	case core.Signed:
		body = a.signedScreen(s)
	case core.Done:
		body = a.doneScreen(s)
	case core.RegisterReview:
		body = a.registerScreen(s)
	case core.AuditView:
		body = a.auditScreen(s)
	case core.CeremonySetup:
		body = a.setupScreen(s)
	case core.DiceEntry:
		body = a.diceScreen(s)
	case core.ShowShare:
		body = a.showShareScreen(s)
	case core.EnterShare:
		body = a.enterShareScreen(s)
	case core.CeremonyDone:
		body = a.ceremonyDoneScreen(s)
	default:
		body = widget.NewLabel(fmt.Sprintf("no view for %T", s))
	}
	a.w.SetContent(container.NewBorder(container.NewVBox(a.header(), a.idle, a.errText), nil, nil, nil, body))
	if e, ok := a.focus.(*ScanEntry); ok {
		e.OnEscape = a.escape
	}
	if a.focus != nil {
		a.w.Canvas().Focus(a.focus)
	}
}

// header is the bar on every screen: what the station is doing, and Lock.
func (a *App) header() fyne.CanvasObject {
	title := widget.NewLabelWithStyle("airsign signing station", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	if f := a.k.Flow(); f != core.FlowNone {
		title.SetText("airsign · " + f.String())
	}
	secrets := widget.NewLabel("")
	if a.k.HoldsSecrets() {
		secrets.SetText("shares in memory")
		secrets.Importance = widget.WarningImportance
	}
	lock := widget.NewButton("Lock", func() { a.Send(core.Lock{Reason: "locked by the operator"}) })
	return container.NewBorder(nil, widget.NewSeparator(), nil, container.NewHBox(secrets, lock), title)
}

// buttons is the row of a flow's actions at the bottom of a screen.
func buttons(bs ...fyne.CanvasObject) fyne.CanvasObject {
	return container.NewVBox(widget.NewSeparator(), container.NewHBox(append([]fyne.CanvasObject{}, bs...)...))
}

// primaryButton is a screen's main action, drawn as such.
func primaryButton(text string, tapped func()) *widget.Button {
	b := widget.NewButton(text, tapped)
	b.Importance = widget.HighImportance
	return b
}

// backButton is Back; Esc presses it too.
func (a *App) backButton() *widget.Button {
	a.back = true
	return widget.NewButton("Back", func() { a.Send(core.Back{}) })
}

func (a *App) cancelButton() *widget.Button {
	return widget.NewButton("Cancel", func() { a.Send(core.Cancel{}) })
}

// screen lays out a flow screen: a title, the scrolled body, the buttons.
func screen(title string, body fyne.CanvasObject, bottom fyne.CanvasObject) fyne.CanvasObject {
	return screenWith(title, container.NewVScroll(body), bottom)
}

func screenWith(title string, middle, bottom fyne.CanvasObject) fyne.CanvasObject {
	t := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	t.SizeName = "headingText"
	t.Wrapping = fyne.TextWrapWord
	return container.NewBorder(t, bottom, nil, nil, middle)
}

// readToEnd scrolls body and calls seen once the end of it has been on
// the screen: scrolled to, or there from the start because it fits (after
// any resize too).
func readToEnd(body fyne.CanvasObject, seen func()) fyne.CanvasObject {
	s := container.NewVScroll(body)
	done := false
	check := func() {
		if done || s.Size().Height == 0 {
			return
		}
		if s.Offset.Y+s.Size().Height >= body.MinSize().Height-1 {
			done = true
			seen()
		}
	}
	s.OnScrolled = func(fyne.Position) { check() }
	return container.New(&resized{then: check}, s)
}

// reveal scrolls the screen's scrolled body so that o is in view, by as
// little as it takes: what is above o (the line that says what to correct)
// stays on the screen where it can, and the rest of the body stays a
// scroll away.
func (a *App) reveal(o fyne.CanvasObject) {
	s, at := scrollHolding(a.w.Content(), o, nil, fyne.Position{})
	if s == nil || s.Size().Height == 0 {
		return
	}
	pad := theme.Padding()
	top := at.Y - pad
	bottom := at.Y + o.Size().Height + pad
	switch {
	case top < s.Offset.Y:
		s.ScrollToOffset(fyne.NewPos(s.Offset.X, top))
	case bottom > s.Offset.Y+s.Size().Height:
		s.ScrollToOffset(fyne.NewPos(s.Offset.X, bottom-s.Size().Height))
	}
}

// scrollHolding is the innermost scroll under root whose content holds o
// (in, if none is inside it; nil if o is not under root), and where o is
// in that content; at is where root is in in's content. It goes through
// containers and scrolls, what the screens are built of, and adds up
// their positions: the driver's absolute positions are not known for a
// screen not drawn yet, as one marked the moment it is built.
func scrollHolding(root, o fyne.CanvasObject, in *container.Scroll, at fyne.Position) (*container.Scroll, fyne.Position) {
	if root == o {
		return in, at
	}
	switch r := root.(type) {
	case *fyne.Container:
		for _, c := range r.Objects {
			if s, p := scrollHolding(c, o, in, at.Add(c.Position())); s != nil {
				return s, p
			}
		}
	case *container.Scroll:
		return scrollHolding(r.Content, o, r, fyne.Position{})
	}
	return nil, fyne.Position{}
}

// resized is a one-object layout that tells then after every layout.
type resized struct{ then func() }

func (r *resized) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
	r.then()
}

func (r *resized) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var m fyne.Size
	for _, o := range objs {
		m = m.Max(o.MinSize())
	}
	return m
}

func wrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

func problem(text string) *widget.Label {
	l := wrapped(text)
	l.Importance = widget.DangerImportance
	l.TextStyle.Bold = true
	if text == "" {
		l.Hide()
	}
	return l
}

// isImage says whether data is a PNG, JPEG or GIF file.
func isImage(data []byte) bool {
	for _, magic := range []string{"\x89PNG\r\n\x1a\n", "\xff\xd8\xff", "GIF87a", "GIF89a"} {
		if len(data) >= len(magic) && string(data[:len(magic)]) == magic {
			return true
		}
	}
	return false
}
