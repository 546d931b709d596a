package kioskapp

import (
	"fmt"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	core "airsign/offline/kiosk"
	"airsign/ui/qr"
)

// shareInput is the entry for one share of words words (0: not known
// yet): typed word by word with completion, its QR text from the scanner,
// or its file. Whatever is submitted leaves the entry at once and goes to
// send.
func (a *App) shareInput(words int, send func(data []byte)) (*WordEntry, fyne.CanvasObject) {
	we := NewWordEntry(a.opt.Words, words, func(text string) { send([]byte(text)) })
	we.Reveal = a.reveal
	a.focus = we.Entry
	a.onLeave(we.Clear)
	submit := widget.NewButton("Submit share", we.Submit)
	submit.Importance = widget.HighImportance
	open := widget.NewButton("Open share file…", func() {
		a.openFile(func(name string, data []byte) {
			if isImage(data) {
				text, err := qr.DecodeFile(data)
				clear(data)
				if err != nil {
					a.showError(fmt.Errorf("%s: %w", filepath.Base(name), err))
					return
				}
				data = text
			}
			send(data)
		})
	})
	return we, container.NewVBox(we.Object(), container.NewHBox(submit, open))
}

// sharesScreen collects the custodians' shares for a signing, a health
// check or a registration.
func (a *App) sharesScreen(s core.Shares) fyne.CanvasObject {
	title := fmt.Sprintf("Enter %d shares of wallet %q", s.Need, s.Wallet.Name)
	switch s.Flow {
	case core.FlowHealth:
		title = fmt.Sprintf("Share health check: %d shares of wallet %q", s.Need, s.Wallet.Name)
	case core.FlowRegister:
		title = fmt.Sprintf("Register %q: %d shares of this station's key", s.Wallet.Name, s.Need)
	}
	bar := widget.NewProgressBar()
	bar.Min, bar.Max = 0, float64(s.Need)
	bar.TextFormatter = func() string { return fmt.Sprintf("%d of %d shares accepted", len(s.Accepted), s.Need) }
	bar.SetValue(float64(len(s.Accepted)))
	accepted := container.NewVBox()
	for _, sh := range s.Accepted {
		l := widget.NewLabel(fmt.Sprintf("✓ share %d of %d, set %s", sh.Index, sh.Total, sh.Set))
		l.Importance = widget.SuccessImportance
		accepted.Add(l)
	}
	seed, words := a.k.SeedWords(), 0
	if seed > 0 {
		words = core.ShareWordCount(seed)
	}
	we, input := a.shareInput(words, func(data []byte) { a.Send(core.ShareScanned{Data: data}) })
	// No share compares the words here: the checksum names a
	// mistyped word before the share leaves the entry.
	we.Checksum = true
	body := container.NewVBox(
		bar,
		accepted,
		problem(s.Problem),
		wrapped("Custodian: type your share's words one by one (Space or a suggestion moves to the next box), or scan your share's QR code, then Enter."),
		input,
		whyShareWords(seed),
	)
	return screen(title, body, buttons(a.backButton(), a.cancelButton()))
}

// doneScreen ends a flow.
func (a *App) doneScreen(s core.Done) fyne.CanvasObject {
	head := banner(green, s.Title)
	if !s.OK {
		head = banner(red, s.Title)
	}
	ok := widget.NewButton("Done", func() { a.Send(core.Confirm{}) })
	ok.Importance = widget.HighImportance
	return screen(s.Flow.String(), container.NewVBox(head, wrapped(s.Message)), buttons(ok))
}

// whyShareWords explains why a share has more words than the seed, for a
// seed of seedWords words (0: not known, the 12-word case explains it).
func whyShareWords(seedWords int) fyne.CanvasObject {
	if seedWords == 0 {
		seedWords = 12
	}
	l := wrapped(core.WhyShareWords(seedWords))
	l.Importance = widget.LowImportance
	return l
}
