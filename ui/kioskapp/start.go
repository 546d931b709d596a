package kioskapp

import (
	"fmt"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	core "airsign/offline/kiosk"
)

var (
	red   = color.NRGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff}
	green = color.NRGBA{R: 0x1b, G: 0x5e, B: 0x20, A: 0xff}
)

// banner is a full-width coloured bar with white text.
func banner(bg color.Color, text string) fyne.CanvasObject {
	rect := canvas.NewRectangle(bg)
	t := widget.NewRichText(&widget.TextSegment{Text: text, Style: widget.RichTextStyle{
		ColorName: "foregroundOnPrimary", TextStyle: fyne.TextStyle{Bold: true}, SizeName: "subHeadingText"}})
	t.Wrapping = fyne.TextWrapWord
	return container.NewStack(rect, container.NewPadded(t))
}

// airGapBanner says whether the station is offline; red when it is not.
func airGapBanner(g core.AirGap) fyne.CanvasObject {
	switch {
	case g.Err != "":
		return banner(red, "NETWORK STATE UNKNOWN: the network interfaces cannot be read ("+g.Err+"). No key will be activated. Restart the station offline.")
	case !g.Offline() && g.Allowed:
		return banner(red, fmt.Sprintf("NETWORK INTERFACE %s IS UP. The station was started with --allow-network: keys CAN be activated while connected (this is logged). Unplug the cable unless you were told otherwise.", strings.Join(g.Up, ", ")))
	case !g.Offline():
		return banner(red, fmt.Sprintf("NETWORK INTERFACE %s IS UP. No key will be activated while the station is connected: unplug the network cable, or restart the station offline.", strings.Join(g.Up, ", ")))
	}
	return banner(green, "Offline: no network interface is up.")
}

// startScreen lists the registered wallets and starts the flows.
func (a *App) startScreen(s core.Start) fyne.CanvasObject {
	top := container.NewVBox(airGapBanner(s.AirGap))
	if s.Notice != "" {
		n := wrapped(s.Notice)
		n.Importance = widget.WarningImportance
		n.TextStyle.Bold = true
		top.Add(n)
	}
	top.Add(widget.NewLabel("Device key " + s.DeviceKey))

	wallets := container.NewVBox(widget.NewLabelWithStyle("Registered wallets", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	if len(s.Wallets) == 0 {
		wallets.Add(wrapped("No wallet is registered yet: run a seed ceremony first."))
	}
	for _, w := range s.Wallets {
		kind := fmt.Sprintf("%d of %d shares", w.Threshold, w.Total)
		if w.Multisig != "" {
			kind = fmt.Sprintf("multisig %s; this station's key needs %d of %d shares", w.Multisig, w.Threshold, w.Total)
		}
		name := widget.NewLabelWithStyle(w.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		info := wrapped(fmt.Sprintf("%s · %s · fingerprint %s · %s · share set %s", w.Script, w.Network, w.Fingerprint, kind, w.ShareSet))
		check := widget.NewButton("Share health check", func() { a.Send(core.Begin{Flow: core.FlowHealth, Wallet: w.Name}) })
		wallets.Add(container.NewBorder(nil, nil, nil, check, container.NewVBox(name, info)))
		wallets.Add(widget.NewSeparator())
	}

	sign := widget.NewButton("Sign a withdrawal", func() { a.Send(core.Begin{Flow: core.FlowSign}) })
	sign.Importance = widget.HighImportance
	actions := container.NewGridWithColumns(4,
		sign,
		widget.NewButton("Register wallet", func() { a.Send(core.Begin{Flow: core.FlowRegister}) }),
		widget.NewButton("Seed ceremony", func() { a.Send(core.Begin{Flow: core.FlowCeremony}) }),
		widget.NewButton("Audit log", func() { a.Send(core.Begin{Flow: core.FlowAudit}) }),
	)
	return container.NewBorder(top, actions, nil, nil, container.NewVScroll(wallets))
}
