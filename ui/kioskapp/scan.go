package kioskapp

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	core "airsign/offline/kiosk"
	"airsign/ui/qr"
	"airsign/ui/qr/bbqr"
	"airsign/ui/qr/camera"
	"airsign/ui/qr/ur"
	"airsign/ui/urwallet"
)

// scanner reassembles one transfer for a scan screen: from QR parts typed
// by a keyboard-wedge scanner, or from QR images or a file.
type scanner struct {
	a      *App
	flow   core.Flow
	dec    *qr.Decoder
	parts  int             // distinct parts taken
	seen   map[string]bool // the parts taken, to count a code shown twice once
	bar    *widget.ProgressBar
	status *widget.Label
	// token is the BSMS session TOKEN box of the register screen, nil on
	// the sign screen.
	token *widget.Entry
}

// wallet hands a scanned wallet to register (a multisig or a wallet with
// spending paths) to the core, with the TOKEN typed.
func (s *scanner) wallet(data []byte) {
	ev := core.WalletScanned{Data: data}
	if s.token != nil {
		ev.Token = s.token.Text
	}
	s.a.Send(ev)
}

// errOtherTransfer is what the operator reads when a code of another
// transfer comes in the middle of one.
var errOtherTransfer = errors.New("this code belongs to another transfer; finish the first one or press Start over")

// take feeds one part to the decoder unless it was taken already (an
// animated code shows each frame many times): fresh says it was new.
func (s *scanner) take(part string) (done, fresh bool, err error) {
	part = strings.TrimSpace(part)
	f := qr.DetectFormat(part)
	if s.dec.Format() != 0 && f != s.dec.Format() {
		return false, false, errOtherTransfer
	}
	key := part
	if f == qr.FormatUR {
		key = strings.ToLower(part) // UR text is case-insensitive
	}
	if s.seen[key] {
		return false, false, nil
	}
	done, err = s.dec.Add(part)
	if err != nil {
		if errors.Is(err, ur.ErrOtherMessage) || errors.Is(err, bbqr.ErrOtherSeries) {
			err = errOtherTransfer
		}
		return done, false, err
	}
	if s.seen == nil {
		s.seen = make(map[string]bool)
	}
	s.seen[key] = true
	s.parts++
	return done, true, nil
}

// add feeds one scanned part (one line of the wedge entry).
func (s *scanner) add(part string) {
	done, fresh, err := s.take(part)
	switch {
	case errors.Is(err, errOtherTransfer):
		s.status.SetText(err.Error())
		return
	case err != nil:
		s.status.SetText("that code was not taken: " + err.Error())
		return
	case !fresh:
		s.status.SetText(fmt.Sprintf("that code was read already: %d different codes so far, about %.0f%% of the transfer; show the next one", s.parts, 100*s.dec.Progress()))
		return
	}
	s.bar.SetValue(s.dec.Progress())
	s.status.SetText(fmt.Sprintf("%d different codes read (%s), about %.0f%% of the transfer", s.parts, s.dec.Format(), 100*s.dec.Progress()))
	if done {
		s.finish(fmt.Sprintf("%d QR codes, %s", s.parts, s.dec.Format()))
	}
}

// finish turns the reassembled payload into the core's event.
func (s *scanner) finish(source string) {
	p, err := s.dec.Result()
	if err != nil {
		s.restart("the transfer could not be read: " + err.Error() + "; scan it again")
		return
	}
	s.deliver(p, source)
}

// deliver hands a whole transfer to the core.
func (s *scanner) deliver(p qr.Payload, source string) {
	switch {
	case p.Kind == qr.KindPSBT:
		s.a.Send(core.PSBTScanned{Data: p.Data, Source: source})
	case p.Kind == qr.KindText:
		s.wallet(p.Data)
	case urwallet.Reads(p.Kind):
		// The UR's keys say mainnet or "a test network"; the core reads
		// the descriptor again for the network of this kiosk's key.
		d, err := urwallet.FromUR(ur.UR{Type: p.Kind, CBOR: p.Data}, 0, 0)
		if err != nil {
			s.restart("the wallet in these codes could not be read: " + err.Error())
			return
		}
		s.wallet([]byte(d.String()))
	default:
		s.restart(fmt.Sprintf("these codes carry %s, not a PSBT or a wallet (UR crypto-output, output-descriptor, crypto-account, account-descriptor or crypto-hdkey; a descriptor or BSMS record)", p.Kind))
	}
}

func (s *scanner) restart(msg string) {
	s.dec, s.parts, s.seen = qr.NewDecoder(), 0, nil
	s.bar.SetValue(0)
	s.status.SetText(msg)
}

// openFiles reads the files the operator chose, one at a time: QR images
// (PNG or JPEG frames, animated GIFs) go through the decoder until the
// transfer is whole; a file that is not an image is the PSBT, or the
// wallet's descriptor or BSMS record, as it is, and is opened alone.
func (s *scanner) openFiles(files []mediaFile) {
	var images, frames, unread int
	for _, f := range files {
		name := filepath.Base(f.name)
		data, err := f.read()
		if err != nil {
			s.status.SetText(err.Error())
			return
		}
		if !isImage(data) {
			if len(files) > 1 {
				s.status.SetText(name + " is not a QR image: open a PSBT or wallet file on its own")
				return
			}
			if s.flow == core.FlowSign {
				s.a.Send(core.PSBTScanned{Data: data, Source: "file " + name})
			} else {
				s.wallet(data)
			}
			return
		}
		got, err := qr.DecodeFrames(data)
		if err != nil {
			s.status.SetText(name + ": " + err.Error())
			return
		}
		images++
		for _, fr := range got {
			if fr.Err != nil {
				unread++
				continue
			}
			frames++
			done, _, err := s.take(string(fr.Text))
			if err != nil {
				s.status.SetText(fmt.Sprintf("%s frame %d: %v", name, fr.Index, err))
				return
			}
			if done {
				s.finish(fmt.Sprintf("%s, %d QR frames, %s", filesSource(files[:images]), frames, s.dec.Format()))
				return
			}
		}
	}
	s.bar.SetValue(s.dec.Progress())
	msg := fmt.Sprintf("%s: %d QR frames read", filesSource(files), frames)
	if unread > 0 {
		msg += fmt.Sprintf(", %d without a readable code", unread)
	}
	s.status.SetText(msg + fmt.Sprintf("; the transfer is about %.0f%% complete: open or scan the rest", 100*s.dec.Progress()))
}

// filesSource names the files a transfer was read from.
func filesSource(files []mediaFile) string {
	if len(files) == 1 {
		return "file " + filepath.Base(files[0].name)
	}
	return fmt.Sprintf("%d files in %s", len(files), filepath.Dir(files[0].name))
}

// scanScreen asks for the PSBT (or the wallet to register) by scanner or file.
func (a *App) scanScreen(s core.Scan) fyne.CanvasObject {
	sc := &scanner{a: a, flow: s.Flow, dec: qr.NewDecoder(), bar: widget.NewProgressBar(), status: wrapped("")}
	sc.bar.Min, sc.bar.Max = 0, 1
	// Rounded as the status line under it rounds ("about 67%"); fyne's
	// own text cuts the fraction off (66%).
	sc.bar.TextFormatter = func() string { return fmt.Sprintf("%.0f%%", 100*sc.bar.Value) }
	title, what := "Scan the withdrawal", "Scan the withdrawal's QR codes from the coordinator's screen with the hand scanner, or open the PSBT file (or its QR images) from the removable medium."
	if s.Flow == core.FlowRegister {
		title, what = "Scan the wallet to register", "Scan the wallet's QR code, or open its file: a multisig (UR crypto-output or output-descriptor, a descriptor or BSMS record) or a wallet with spending paths (a BIP-388 policy or a wsh/tr descriptor)."
	}
	entry := NewScanEntry("scanner input: one QR code per line", sc.add)
	a.focus = entry
	a.onLeave(func() { entry.SetText("") })
	open := widget.NewButton("Open files…", func() { a.openFiles(sc.openFiles) })
	over := widget.NewButton("Start over", func() {
		sc.restart("Started over: scan the codes of one transfer.")
		a.w.Canvas().Focus(entry) // the hand scanner types into the entry
	})
	tools := container.NewHBox(open, over)
	if a.opt.Camera != nil {
		var cam *widget.Button
		cam = widget.NewButton("Scan with the camera", func() {
			cam.Disable()
			sc.camera(cam)
		})
		tools.Add(cam)
	}
	objs := []fyne.CanvasObject{wrapped(what), problem(s.Problem)}
	if s.Flow == core.FlowRegister {
		// BIP129: the TOKEN travels apart from the records, read out by
		// the coordinator's operator; it opens an encrypted record.
		sc.token = widget.NewEntry()
		sc.token.SetPlaceHolder("BSMS TOKEN, if the coordinator gave one (16 or 32 hex digits)")
		objs = append(objs, sc.token)
	}
	body := container.NewVBox(append(objs, entry, sc.bar, sc.status, tools)...)
	return screen(title, body, buttons(a.backButton(), a.cancelButton()))
}

// camera reads the transfer from the station's camera in the background,
// showing progress, until it is complete, the operator leaves the screen,
// or two minutes pass.
func (s *scanner) camera(button *widget.Button) {
	src, err := s.a.opt.Camera()
	if err != nil {
		s.status.SetText("the camera cannot be opened: " + err.Error())
		button.Enable()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	s.a.onLeave(cancel)
	s.status.SetText("hold the QR codes in front of the camera")
	go func() {
		defer src.Close()
		defer cancel()
		p, err := camera.Scan(ctx, src, func(pr camera.Progress) {
			fyne.Do(func() {
				s.bar.SetValue(pr.Fraction)
				s.status.SetText(fmt.Sprintf("camera: %d frames, %d with a code", pr.Frames, pr.Decoded))
			})
		})
		fyne.Do(func() {
			switch {
			case ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled):
				// The operator left the screen.
			case err != nil:
				s.status.SetText("the camera did not read a whole transfer: " + err.Error() + "; hold the codes steady and try again")
				button.Enable()
			default:
				s.deliver(p, "camera, "+p.Format.String())
			}
		})
		if s.a.camDone != nil {
			s.a.camDone <- err
		}
	}()
}
