package kioskapp

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	core "airsign/offline/kiosk"
	"airsign/psbt"
	"airsign/psbt/amount"
)

// address shows an address in blocks of four, large and monospaced.
func address(addr string) *widget.Label {
	l := widget.NewLabel(core.GroupAddress(addr))
	l.TextStyle = fyne.TextStyle{Monospace: true}
	l.SizeName = "subHeadingText"
	l.Wrapping = fyne.TextWrapWord
	return l
}

func bold(text string) *widget.Label {
	l := wrapped(text)
	l.TextStyle.Bold = true
	return l
}

// reviewScreen shows what the PSBT does, as the core proved it, before
// any share is asked for.
func (a *App) reviewScreen(r core.Review) fyne.CanvasObject {
	l := r.Loaded
	s := l.Summary
	body := container.NewVBox()
	if !r.Signable() {
		body.Add(banner(red, "REFUSED: this PSBT will not be signed."))
		for _, f := range r.Refusals {
			body.Add(problem("• " + f))
		}
	}
	body.Add(bold(fmt.Sprintf("Network %s · wallet %q (%s, fingerprint %s)", r.Network, l.Wallet.Name, l.Wallet.Script, l.Wallet.Fingerprint)))
	if s.Recovery {
		body.Add(banner(red, "RECOVERY PATH: "+s.Path))
	} else if s.Path != "" {
		body.Add(bold("Spending path: " + s.Path))
	}
	request := "Request: the PSBT names no withdrawal request"
	if r.Request != "" {
		request = "Request " + r.Request + ": check it is the one you were asked to sign"
	}
	body.Add(wrapped(request))
	body.Add(wrapped(fmt.Sprintf("Transaction %s · from %s", s.TxID, l.Source)))
	body.Add(widget.NewSeparator())
	body.Add(widget.NewLabelWithStyle(fmt.Sprintf("Outputs (%d): check every address against the request", len(s.Outputs)), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	for _, out := range s.Outputs {
		switch out.Kind {
		case psbt.Change:
			h := bold(fmt.Sprintf("#%d  %s  CHANGE back to this wallet", out.Index, amount.Format(out.Amount, amount.WithSats)))
			h.Importance = widget.SuccessImportance
			body.Add(h)
			body.Add(wrapped(fmt.Sprintf("verified: address %d/%d re-derived from the wallet's own key and matched", out.Branch, out.AddrIndex)))
			body.Add(address(out.Address))
		case psbt.OpReturn:
			body.Add(bold(fmt.Sprintf("#%d  %s  OP_RETURN data %x", out.Index, amount.Format(out.Amount, amount.WithSats), out.Data)))
		default:
			body.Add(bold(fmt.Sprintf("#%d  %s  PAYMENT to", out.Index, amount.Format(out.Amount, amount.WithSats))))
			if out.Address == "" {
				body.Add(wrapped(fmt.Sprintf("script %x (no address)", out.Script)))
			} else {
				body.Add(address(out.Address))
			}
		}
	}
	body.Add(widget.NewSeparator())
	if s.FeeKnown {
		body.Add(bold("Leaves the wallet: " + amount.Format(s.Spent, amount.WithSats)))
		body.Add(bold(fmt.Sprintf("Fee: %s, %.1f sat/vB for about %d vB", amount.Format(s.Fee, amount.WithSats), s.FeeRate, s.VSize)))
	} else {
		body.Add(problem("Fee: cannot be proven (see the refusals)"))
	}
	ours, other := 0, 0
	for _, in := range s.Inputs {
		switch {
		case in.Ours:
			ours++
		case in.OtherPath:
			other++
		}
	}
	inputs := fmt.Sprintf("Inputs: %d, of which %d this wallet's, %s in total", len(s.Inputs), ours+other, amount.Format(s.TotalIn, amount.WithSats))
	if other > 0 {
		inputs += fmt.Sprintf("; %d of them by a path this kiosk does not sign now", other)
	}
	body.Add(wrapped(inputs))
	body.Add(wrapped(core.TimingLine(s)))
	if d := r.Derivations(); d != "" {
		body.Add(wrapped(d))
	}
	for _, w := range r.Warnings {
		l := wrapped("Warning: " + w)
		l.Importance = widget.WarningImportance
		body.Add(l)
	}
	body.Add(widget.NewSeparator())
	body.Add(approvalsList(r.Approvals))
	body.Add(widget.NewSeparator())
	body.Add(widget.NewLabelWithStyle("The wallet's policy", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	if !r.PolicySet {
		l := wrapped("No policy set for this wallet: no limit, allow-list or approval is checked. Sign only what the request says.")
		l.Importance = widget.WarningImportance
		body.Add(l)
	}
	for _, rule := range r.Policy.Rules {
		l := wrapped("PASS  " + rule.Name + ": " + rule.Detail)
		l.Importance = widget.SuccessImportance
		if !rule.OK {
			l.SetText("FAIL  " + rule.Name + ": " + rule.Detail)
			l.Importance = widget.DangerImportance
		}
		body.Add(l)
	}
	body.Add(problem(r.Problem))

	// Sign opens once the operator has had every output on the screen
	// (the end of the review, which comes after the outputs) and, for a
	// transaction signed here before, ticked that they checked why.
	sign := primaryButton("Sign: ask for the shares", func() { a.Send(core.Confirm{}) })
	seen, ticked := false, len(r.SignedBefore) == 0
	hint := wrapped("Scroll to the end of the review: Sign opens once every output has been on the screen.")
	hint.Importance = widget.WarningImportance
	update := func() {
		hint.Hidden = seen || !r.Signable()
		hint.Refresh()
		if r.Signable() && seen && ticked {
			sign.Enable()
		} else {
			sign.Disable()
		}
	}
	if len(r.SignedBefore) > 0 && r.Signable() {
		// Signed here before: say when, and sign again only once the
		// operator ticks that they checked why.
		body.Add(widget.NewSeparator())
		for _, b := range r.SignedBefore {
			l := wrapped("Signed here before: " + b)
			l.Importance = widget.WarningImportance
			body.Add(l)
		}
		sign.SetText("Sign again: ask for the shares")
		sign.OnTapped = func() { a.Send(core.ConfirmAgain{}) }
		body.Add(widget.NewCheck("I checked with the coordinator why it comes again: sign it again", func(on bool) {
			ticked = on
			update()
		}))
	}
	update()
	middle := readToEnd(body, func() {
		seen = true
		update()
	})
	bottom := container.NewVBox(hint, buttons(a.backButton(), a.cancelButton(), sign))
	return screenWith("Review the withdrawal", middle, bottom)
}

// approvalsList shows the approvals the PSBT carries: who, with which kind
// of key, until when, and whether each counts for the wallet's policy.
func approvalsList(as []core.CarriedApproval) fyne.CanvasObject {
	box := container.NewVBox(widget.NewLabelWithStyle(fmt.Sprintf("Approvals carried (%d)", len(as)), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	if len(as) == 0 {
		box.Add(wrapped("The PSBT carries no approvals."))
	}
	for _, ap := range as {
		until := "valid until " + ap.Expires.UTC().Format("2006-01-02 15:04 UTC")
		l := wrapped(fmt.Sprintf("signed as %q, %s, %s: not checked, the wallet's policy needs no approvals", ap.SignedAs, ap.Key, until))
		switch {
		case ap.Checked && ap.Approver != "":
			l.SetText(fmt.Sprintf("COUNTS  %s, %s, %s", ap.Approver, ap.Key, until))
			l.Importance = widget.SuccessImportance
		case ap.Checked:
			l.SetText(fmt.Sprintf("DOES NOT COUNT  signed as %q, %s, %s: the policy's approvals rule says why", ap.SignedAs, ap.Key, until))
			l.Importance = widget.WarningImportance
		}
		box.Add(l)
	}
	return box
}
