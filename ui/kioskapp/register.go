package kioskapp

import (
	"airsign/ui/qr"
	"airsign/ui/qr/bbqr"
	"fmt"
	"image"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	core "airsign/offline/kiosk"
)

// registerScreen shows a multisig wallet before it is registered: every
// cosigner's key, which one is this kiosk's (THIS KIOSK, as the command
// line and the paths of a script wallet mark it), and the first address to
// compare on every cosigner.
func (a *App) registerScreen(s core.RegisterReview) fyne.CanvasObject {
	r := s.Registration
	if r.Script != nil {
		return a.registerScriptScreen(s)
	}
	d, w := r.Desc, r.Wallet
	body := container.NewVBox(bold(fmt.Sprintf("Multisig wallet %q: %d of %d, %s on %s", w.Name, d.Threshold, len(d.Keys), d.Script, w.Network)))
	for i, k := range d.Keys {
		who := "another station's key"
		if i == r.KeyIndex {
			who = fmt.Sprintf("THIS KIOSK: wallet %q, share set %s; %s", r.Own.Name, r.Own.ShareSet, r.Proof)
		}
		head := bold(fmt.Sprintf("Key %d: fingerprint %x  %s", i+1, k.Origin.Fingerprint, who))
		if i == r.KeyIndex {
			head.Importance = widget.SuccessImportance
		}
		xpub := wrapped(fmt.Sprintf("[%s]%s", k.Origin, k.Key))
		xpub.TextStyle.Monospace = true
		body.Add(head)
		body.Add(xpub)
	}
	body.Add(widget.NewSeparator())
	body.Add(bold("First receive address: compare it on every cosigner"))
	body.Add(address(r.FirstAddress))
	body.Add(problem(s.Problem))
	return screen("Register a multisig wallet", body, a.registerButtons())
}

// registerScriptScreen shows a wallet with spending paths before it is
// registered: each path in plain words (a recovery path in red, with when
// its lock opens), every key and which are this kiosk's, the policy hash
// and the first address that every signer compares.
func (a *App) registerScriptScreen(s core.RegisterReview) fyne.CanvasObject {
	r := s.Registration
	sw, w := r.Script, r.Wallet
	body := container.NewVBox(bold(fmt.Sprintf("Wallet %q with spending paths (%s) on %s", w.Name, w.Script, w.Network)))
	if r.Template != "" {
		body.Add(wrapped("Template " + r.Template))
	}
	body.Add(bold("Who can spend, and when:"))
	for _, p := range r.Paths {
		if strings.HasPrefix(p, "RECOVERY") {
			body.Add(banner(red, p))
			continue
		}
		body.Add(wrapped(p))
	}
	for _, l := range r.Locks {
		body.Add(wrapped("The recovery path opens once a coin has not moved for " + l + ". Coins that move start the wait again."))
	}
	body.Add(widget.NewSeparator())
	for i := range sw.Keys {
		who := "another station's key"
		ours := slices.Contains(w.Policy.Ours, i)
		if ours {
			who = fmt.Sprintf("THIS KIOSK: wallet %q, share set %s", r.Own.Name, r.Own.ShareSet)
		}
		head := bold(fmt.Sprintf("Key %d: fingerprint %x  %s", i+1, sw.Keys[i].Origin.Fingerprint, who))
		if ours {
			head.Importance = widget.SuccessImportance
		}
		key := wrapped(sw.KeyText(i))
		key.TextStyle.Monospace = true
		body.Add(head)
		body.Add(key)
	}
	body.Add(wrapped(r.Proof))
	body.Add(widget.NewSeparator())
	body.Add(bold("Policy hash: compare it on every signer"))
	hash := wrapped(w.Policy.Hash)
	hash.TextStyle.Monospace = true
	body.Add(hash)
	body.Add(bold("First receive address: compare it on every signer"))
	body.Add(address(r.FirstAddress))
	body.Add(problem(s.Problem))
	return screen("Register a wallet with spending paths", body, a.registerButtons())
}

// registerButtons are a registration review's: back, cancel, and on to the
// shares.
func (a *App) registerButtons() fyne.CanvasObject {
	ok := widget.NewButton("Register with shares…", func() { a.Send(core.Confirm{}) })
	ok.Importance = widget.HighImportance
	return buttons(a.backButton(), a.cancelButton(), ok)
}

// auditScreen lists the audit log and exports it.
func (a *App) auditScreen(s core.AuditView) fyne.CanvasObject {
	entries := s.Entries
	list := widget.NewList(
		func() int { return len(entries) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			e := entries[len(entries)-1-i] // newest first
			o.(*widget.Label).SetText(fmt.Sprintf("%d  %s  %s  %s", e.Seq, e.Time.UTC().Format("2006-01-02 15:04:05Z"), e.Kind, e.Data))
		},
	)
	top := container.NewVBox(
		wrapped(fmt.Sprintf("%d entries, newest first. Head %s", len(entries), s.Head)),
		problem(s.Problem),
	)
	if s.Exported != "" {
		ok := bold("Exported to " + s.Exported)
		ok.Importance = widget.SuccessImportance
		top.Add(ok)
	}
	export := widget.NewButton("Export to folder…", func() {
		a.saveTo("Save the audit log to removable media", "", func(dir, _ string) { a.Send(core.ExportAudit{Dir: dir}) })
	})
	done := widget.NewButton("Done", func() { a.Send(core.Confirm{}) })
	t := widget.NewLabelWithStyle("Audit log", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	t.SizeName = "headingText"
	// The whole log as BBQr text codes (compressed), for an auditor's phone
	// or the coordinator's camera.
	holder := container.NewCenter()
	var anim *QRAnimator
	a.onLeave(func() {
		if anim != nil {
			anim.Clear()
		}
	})
	asQR := widget.NewButton("Show as QR codes", nil)
	asQR.OnTapped = func() {
		images, n, err := auditQR(s.Raw)
		if err != nil {
			top.Add(problem("the log could not be drawn as QR codes: " + err.Error() + "; export it to a folder instead"))
			return
		}
		anim = NewQRAnimator(images, qrSide)
		a.anim = anim
		holder.Add(anim.Image)
		top.Add(wrapped(fmt.Sprintf("%d BBQr codes (text, compressed): scan them all", n)))
		if a.opt.Animate {
			anim.Start(4)
		}
		asQR.Disable()
	}
	return container.NewBorder(container.NewVBox(t, top, holder), buttons(a.backButton(), export, asQR, done), nil, nil, list)
}

// auditQR draws the log as BBQr text parts.
func auditQR(raw []byte) ([]image.Image, int, error) {
	parts, err := bbqr.Split(raw, bbqr.Text, bbqr.Options{MaxVersion: 25})
	if err != nil {
		return nil, 0, err
	}
	var images []image.Image
	for _, p := range parts {
		img, err := qr.Image([]byte(p), qr.ImageOptions{Level: qr.Low, ModulePixels: 4})
		if err != nil {
			return nil, 0, err
		}
		images = append(images, img)
	}
	return images, len(parts), nil
}
