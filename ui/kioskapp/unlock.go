package kioskapp

import (
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"airsign/offline/home"
)

// Unlock is the first screen of a station whose device key is sealed
// (init --seal): the operator types the passphrase, and open tries it. The
// passphrase is handed over as bytes and wiped after the try; the entry is
// cleared at once (fyne keeps its text as a string, which Go cannot wipe:
// the passphrase is not the seed, and the sealed key is what it protects).
// Once open succeeds, opened builds the station's screens in w.
func Unlock(w fyne.Window, open func(passphrase []byte) error, opened func()) {
	entry := widget.NewPasswordEntry()
	entry.SetPlaceHolder("passphrase")
	msg := problem("")
	try := func() {
		if entry.Text == "" {
			return
		}
		p := []byte(entry.Text)
		entry.SetText("")
		err := open(p)
		clear(p)
		switch {
		case errors.Is(err, home.ErrPassphrase):
			msg.SetText("That passphrase does not open the device key. Type it again (each try takes a moment).")
		case err != nil:
			msg.SetText(err.Error())
		default:
			opened()
			return
		}
		msg.Show()
		w.Canvas().Focus(entry)
	}
	entry.OnSubmitted = func(string) { try() }
	unlock := primaryButton("Unlock", try)
	body := container.NewVBox(
		wrapped("This station's device key, which signs its audit log, is sealed under the operators' passphrase, so that a copy of the disk cannot rewrite the log. Type the passphrase to start the station."),
		entry,
		msg,
	)
	w.SetContent(screen("Unlock the station", body, buttons(unlock)))
	w.Canvas().Focus(entry)
}
