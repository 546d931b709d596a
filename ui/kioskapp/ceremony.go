package kioskapp

import (
	"fmt"
	"image"
	"path/filepath"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	core "airsign/offline/kiosk"
	"airsign/psbt/descriptor"
	"airsign/ui/qr"
	"airsign/ui/qr/ur"
	"airsign/ui/urwallet"
)

// setupScreen asks for the ceremony's parameters.
func (a *App) setupScreen(s core.CeremonySetup) fyne.CanvasObject {
	p := s.Params
	network := widget.NewSelect([]string{"mainnet", "testnet", "testnet4", "signet", "regtest"}, nil)
	network.SetSelected(p.Network)
	script := widget.NewSelect([]string{"p2wpkh", "p2tr", "p2sh-p2wpkh", "p2pkh"}, nil)
	script.SetSelected(p.Script)
	threshold := widget.NewEntry()
	threshold.SetText(strconv.Itoa(p.Threshold))
	total := widget.NewEntry()
	total.SetText(strconv.Itoa(p.Total))
	words := widget.NewRadioGroup([]string{"12", "24"}, nil)
	words.Horizontal = true
	words.SetSelected(strconv.Itoa(p.Words))
	custodians := widget.NewEntry()
	custodians.PlaceHolder = "Alice, Bob, Carol (one per share, or none)"
	custodians.SetText(strings.Join(p.Custodians, ", "))
	name := widget.NewEntry()
	name.PlaceHolder = "optional"
	name.SetText(p.Name)
	dice := widget.NewCheck("mix in die rolls", nil)
	dice.SetChecked(p.Dice)
	export := widget.NewEntry()
	export.SetText(p.ExportDir)
	if export.Text == "" && a.opt.ExportDir != "" {
		export.SetText(filepath.Join(a.opt.ExportDir, "ceremony-"+a.opt.Now().UTC().Format("20060102-1504")))
	}
	choose := widget.NewButton("Choose medium…", func() {
		a.chooseFolder(func(dir string) {
			export.SetText(filepath.Join(dir, "ceremony-"+a.opt.Now().UTC().Format("20060102-1504")))
		})
	})
	form := widget.NewForm(
		widget.NewFormItem("Network", network),
		widget.NewFormItem("Script", script),
		widget.NewFormItem("Shares needed", threshold),
		widget.NewFormItem("Shares made", total),
		widget.NewFormItem("Seed words", words),
		widget.NewFormItem("Custodians", custodians),
		widget.NewFormItem("Wallet name", name),
		widget.NewFormItem("Dice", dice),
		widget.NewFormItem("Export folder (new)", container.NewBorder(nil, nil, nil, choose, export)),
	)
	start := widget.NewButton("Start the ceremony", func() {
		cp := core.CeremonyParams{Network: network.Selected, Script: script.Selected, Name: strings.TrimSpace(name.Text),
			Dice: dice.Checked, ExportDir: strings.TrimSpace(export.Text)}
		cp.Threshold, _ = strconv.Atoi(strings.TrimSpace(threshold.Text))
		cp.Total, _ = strconv.Atoi(strings.TrimSpace(total.Text))
		cp.Words, _ = strconv.Atoi(words.Selected)
		for _, c := range strings.Split(custodians.Text, ",") {
			if c = strings.TrimSpace(c); c != "" {
				cp.Custodians = append(cp.Custodians, c)
			}
		}
		a.Send(core.SetupCeremony{Params: cp})
	})
	start.Importance = widget.HighImportance
	body := container.NewVBox(problem(s.Problem), form)
	return screen("Seed ceremony: a new wallet", body, buttons(a.backButton(), a.cancelButton(), start))
}

// diceScreen collects die rolls with a live count.
func (a *App) diceScreen(s core.DiceEntry) fyne.CanvasObject {
	bar := widget.NewProgressBar()
	bar.Min, bar.Max = 0, float64(s.Need)
	bar.TextFormatter = func() string { return fmt.Sprintf("%d of %d rolls", s.Rolls, s.Need) }
	bar.SetValue(float64(min(s.Rolls, s.Need)))
	entry := NewScanEntry("rolls, digits 1 to 6, then Enter", func(text string) {
		a.Send(core.DiceRolled{Rolls: []byte(text)})
	})
	a.focus = entry
	a.onLeave(func() { entry.SetText("") })
	add := widget.NewButton("Add rolls", entry.Submit)
	done := widget.NewButton("Use these rolls", func() { a.Send(core.Confirm{}) })
	done.Importance = widget.HighImportance
	if s.Rolls < s.Need {
		done.Disable()
	}
	body := container.NewVBox(
		wrapped("Roll a die and type each result (1 to 6). Spaces are ignored. The rolls are mixed into the machine's randomness."),
		bar, problem(s.Problem), entry, add,
	)
	return screen("Seed ceremony: die rolls", body, buttons(a.backButton(), a.cancelButton(), done))
}

// showShareScreen shows one share to its custodian: the words in numbered
// columns and its QR code. Both are cleared when the screen goes.
func (a *App) showShareScreen(s core.ShowShare) fyne.CanvasObject {
	words := strings.Fields(string(s.Words))
	var labels []*widget.Label
	grid := container.NewGridWithColumns(entryColumns, numbered(len(words), entryColumns, func(i int) fyne.CanvasObject {
		l := widget.NewLabel(fmt.Sprintf("%2d. %s", i+1, words[i]))
		l.TextStyle = fyne.TextStyle{Monospace: true}
		l.SizeName = "subHeadingText"
		labels = append(labels, l)
		return l
	})...)
	clear(words)
	img := canvas.NewImageFromImage(nil)
	if q, err := qr.Image(s.QRText, qr.ImageOptions{Level: qr.Medium, ModulePixels: 4}); err == nil {
		img.Image = q
	}
	img.FillMode = canvas.ImageFillContain
	img.ScaleMode = canvas.ImageScalePixels
	img.SetMinSize(fyne.NewSquareSize(260))
	a.onLeave(func() {
		for _, l := range labels {
			l.SetText("")
		}
		img.Image = nil
		img.Refresh()
	})
	who := "the custodian"
	if s.Custodian != "" {
		who = s.Custodian
	}
	title := fmt.Sprintf("Share %d of %d for %s", s.Index, s.Total, who)
	body := container.NewVBox(
		wrapped(fmt.Sprintf("Any %d of the %d shares rebuild the seed. Only %s may see this screen.", s.Threshold, s.Total, who)),
		shareCard(s, who),
		container.NewBorder(nil, nil, nil, container.NewCenter(img), grid),
		bold("Copy these words, then press Continue. You will enter them again to prove the copy."),
		whyShareWords(s.SeedWords),
	)
	next := primaryButton("Continue", func() { a.Send(core.Confirm{}) })
	return screen(title, body, buttons(a.backButton(), a.cancelButton(), next))
}

// enterShareScreen asks the custodian to enter the share just shown.
func (a *App) enterShareScreen(s core.EnterShare) fyne.CanvasObject {
	who := "Custodian"
	if s.Custodian != "" {
		who = s.Custodian
	}
	_, input := a.shareInput(s.Words, func(data []byte) {
		// The core compares the words with the share shown and names
		// those that differ: the new screen gets the words back, so the
		// custodian corrects those, not all.
		// (The core wipes data.)
		words := strings.Fields(string(data))
		a.Send(core.ShareScanned{Data: data})
		next, ok := a.k.Screen().(core.EnterShare)
		if e, isEntry := a.focus.(*ScanEntry); ok && isEntry && e.words != nil && len(next.Differs) > 0 {
			e.words.Restore(words)
			e.words.Mark(next.Differs)
		}
	})
	body := container.NewVBox(
		wrapped(fmt.Sprintf("%s: enter share %d of %d from your copy, word by word, then Enter.", who, s.Index, s.Total)),
		problem(s.Problem),
		input,
		whyShareWords(s.SeedWords),
	)
	return screen(fmt.Sprintf("Check share %d of %d", s.Index, s.Total), body, buttons(a.backButton(), a.cancelButton()))
}

// ceremonyDoneScreen ends a ceremony: the wallet, where the export went,
// and the watch-only export as a QR code for the coordinator.
func (a *App) ceremonyDoneScreen(s core.CeremonyDone) fyne.CanvasObject {
	w := s.Wallet
	desc := wrapped(s.Descriptor)
	desc.TextStyle.Monospace = true
	info := container.NewVBox(
		wrapped("Ceremony "+s.CeremonyID),
		wrapped("The public export (transcript, watch-only files) is in "+s.ExportDir+". No share was written."),
		bold("Watch-only descriptor:"),
		desc,
	)
	// The QR code beside the text, not under it: the whole screen fits a
	// 1280x800 kiosk without scrolling.
	var code fyne.CanvasObject
	if img, err := watchOnlyQR(s.Desc); err == nil {
		im := canvas.NewImageFromImage(img)
		im.FillMode = canvas.ImageFillContain
		im.ScaleMode = canvas.ImageScalePixels
		im.SetMinSize(fyne.NewSquareSize(300))
		caption := widget.NewLabelWithStyle("Scan into the coordinator\n(UR crypto-output)", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
		code = container.NewVBox(caption, container.NewCenter(im))
	} else {
		info.Add(wrapped("no QR code for this descriptor: " + err.Error()))
	}
	body := container.NewVBox(
		banner(green, fmt.Sprintf("Wallet %q registered: %s %s, fingerprint %s, %d of %d shares", w.Name, w.Network, w.Script, w.Fingerprint, w.Threshold, w.Total)),
		container.NewBorder(nil, nil, nil, code, info),
	)
	ok := primaryButton("Done", func() { a.Send(core.Confirm{}) })
	return screen("Seed ceremony done", body, buttons(ok))
}

// watchOnlyQR draws the descriptor as a UR crypto-output QR code.
func watchOnlyQR(d *descriptor.Descriptor) (image.Image, error) {
	o, err := urwallet.Output(d)
	if err != nil {
		return nil, err
	}
	u, err := o.UR()
	if err != nil {
		return nil, err
	}
	return qr.Image([]byte(strings.ToUpper(ur.Encode(u))), qr.ImageOptions{Level: qr.Medium, ModulePixels: 4})
}

// shareCard is what the custodian writes on the share card above the
// words: none of it is secret, and it tells a wrong or mixed card apart
// before the words are typed.
func shareCard(s core.ShowShare, who string) fyne.CanvasObject {
	line := func(k, v string) fyne.CanvasObject {
		l := widget.NewLabel(v)
		l.TextStyle = fyne.TextStyle{Monospace: true}
		l.SizeName = "subHeadingText"
		return container.NewHBox(widget.NewLabelWithStyle(k, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), l)
	}
	grid := container.NewGridWithColumns(3,
		line("Set", s.Set),
		line("Share", fmt.Sprintf("%d of %d", s.Index, s.Total)),
		line("Threshold", fmt.Sprintf("any %d", s.Threshold)),
		line("Wallet", s.Wallet),
		line("Fingerprint", s.Fingerprint),
		line("Custodian", who),
	)
	return container.NewVBox(bold("Write on the card, above the words:"), grid)
}
