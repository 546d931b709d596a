package kioskapp

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"airsign/offline/home"
	core "airsign/offline/kiosk"
)

// Setup is the first screen of a station that has no device identity yet
// (a new kiosk home). The operator chooses whether to seal the device key
// under a passphrase, typed twice; create makes the key and the audit log
// (kiosk.InitHome, which writes the log's first entry), with the
// passphrase or with none; the passphrase is wiped after the call. Then the
// station shows the audit verifier key, which the operator writes down for
// the auditor and confirms, and done starts the station with the new home.
func Setup(w fyne.Window, create func(passphrase []byte) (*home.Home, error), done func(*home.Home)) {
	first := widget.NewPasswordEntry()
	first.SetPlaceHolder(fmt.Sprintf("passphrase, at least %d characters", home.MinPassphrase))
	second := widget.NewPasswordEntry()
	second.SetPlaceHolder("the same passphrase again")
	entries := container.NewVBox(first, second)
	seal := widget.NewCheck("Seal the device key under a passphrase (recommended: a copy of the disk then cannot rewrite the audit log)", func(on bool) {
		if on {
			entries.Show()
			w.Canvas().Focus(first)
		} else {
			entries.Hide()
		}
	})
	seal.SetChecked(true)
	msg := problem("")
	say := func(text string, focus *widget.Entry) {
		msg.SetText(text)
		msg.Show()
		if focus != nil {
			w.Canvas().Focus(focus)
		}
	}
	try := func() {
		var p []byte
		if seal.Checked {
			a, b := first.Text, second.Text
			first.SetText("")
			second.SetText("")
			switch {
			case a == "":
				say("Type the passphrase in both boxes, or untick sealing to keep the key unsealed.", first)
				return
			case a != b:
				say("The two passphrases are not the same. Type it again in both boxes.", first)
				return
			case len(a) < home.MinPassphrase:
				say(fmt.Sprintf("That passphrase has %d characters; use at least %d. Type a longer one in both boxes.", len(a), home.MinPassphrase), first)
				return
			}
			p = []byte(a)
		}
		h, err := create(p)
		clear(p)
		if err != nil {
			say("The device key could not be made: "+err.Error(), nil)
			return
		}
		showVerifier(w, h, done)
	}
	second.OnSubmitted = func(string) { try() }
	first.OnSubmitted = func(string) { w.Canvas().Focus(second) }
	makeKey := primaryButton("Create the device key", try)
	body := container.NewVBox(
		wrapped("This station has no device key yet. The device key signs the station's audit log, so that an auditor can prove later that nothing in it was changed. It is made once, here, and never replaced."),
		seal,
		entries,
		msg,
	)
	w.SetContent(screen("Set up this station", body, buttons(makeKey)))
	w.Canvas().Focus(first)
}

// showVerifier shows the new device key's verifier key, large and in
// groups of four, until the operator confirms they wrote it down.
func showVerifier(w fyne.Window, h *home.Home, done func(*home.Home)) {
	vkey := h.VerifierKey()
	big := widget.NewLabel(groupKey(vkey))
	big.TextStyle = fyne.TextStyle{Monospace: true}
	big.SizeName = "headingText"
	big.Wrapping = fyne.TextWrapWord
	exact := wrapped(vkey)
	exact.TextStyle = fyne.TextStyle{Monospace: true} // l and I, 0 and O apart
	sealed := "It is not sealed: anyone with the disk can use it (the seal command seals it later)."
	if h.Sealed() {
		sealed = "It is sealed under the passphrase: the station asks for it at every start."
	}
	next := primaryButton("Continue to the station", func() { done(h) })
	next.Disable()
	wrote := widget.NewCheck("I wrote it down and checked it group by group", func(on bool) {
		if on {
			next.Enable()
		} else {
			next.Disable()
		}
	})
	body := container.NewVBox(
		wrapped(fmt.Sprintf("Device key %s is made. %s", h.KeyID(), sealed)),
		wrapped("Write down the audit verifier key below and give it to the auditor: it is how the auditor checks this station's audit log, and the station cannot prove its log without it. The spaces are only for reading; the key is written without them:"),
		big,
		exact,
		wrote,
	)
	w.SetContent(screen("Write down the audit verifier key", body, buttons(next)))
}

// groupKey splits a verifier key (name+tag+key) into its three parts, one
// per line, the key in groups of four.
func groupKey(vkey string) string {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return core.GroupAddress(vkey)
	}
	return parts[0] + "\n+ " + parts[1] + "\n+ " + core.GroupAddress(parts[2])
}
