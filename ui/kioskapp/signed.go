package kioskapp

import (
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	core "airsign/offline/kiosk"
	"airsign/psbt/fileio"
	"airsign/ui/qr"
	"airsign/ui/qr/ur"
)

// densities are the signed screen's density choices: the largest QR
// version (error correction L) a frame may need, for UR and for BBQr. The
// emitter sizes UR fragments and BBQr parts to fit it. Simpler codes suit
// weak cameras; denser ones need fewer frames. High, the default, is what
// each reader is measured to read: version 17 for airsign's coordinator
// (BBQr, qr.AirsignVersion), 15 for other wallets (UR, qr.DefaultVersion),
// as on the coordinator's page (docs/BENCHMARKS.md has the transfer times).
var densities = []struct {
	name     string
	ur, bbqr int
}{
	{"low (QR version 8)", 8, 8},
	{"medium (QR version 11)", 11, 11},
	{"high (QR version 17; 15 for another wallet)", qr.DefaultVersion, qr.AirsignVersion},
}

// versionFor is density d's QR version in format f.
func versionFor(d int, f qr.Format) int {
	if f == qr.FormatBBQr {
		return densities[d].bbqr
	}
	return densities[d].ur
}

// qrFormats are the signed screen's format choices, named for who reads
// them: airsign's coordinator reads BBQr, whose compressed parts need the
// fewest frames; other wallets read UR.
var qrFormats = []struct {
	name   string
	format qr.Format
}{
	{"For airsign coordinator (BBQr)", qr.FormatBBQr},
	{"For another wallet (UR)", qr.FormatUR},
}

var speeds = []int{2, 4, 8}

// qrSide is the animated QR's size on screen, in points.
const qrSide = 420

// signedQR is the signed PSBT as animated QR frames.
type signedQR struct {
	parts  []string // the frames of the loop shown
	files  []string // the frames saved: each part once for a fixed series
	images []image.Image
}

// encodeSigned draws the signed PSBT's frames in format f, each within QR
// version version.
func encodeSigned(psbt []byte, f qr.Format, version int) (signedQR, error) {
	opt := qr.EncodeOptions{Format: f, BBQrMaxVersion: version}
	if f == qr.FormatUR {
		opt.MaxFragment = qr.URFragmentFor(ur.TypePSBT, len(ur.PSBT(psbt).CBOR), version)
	}
	// The emitter's loop (for UR fresh fountain parts, three times the
	// fragments) is what the web page and the GIFs show too; a camera
	// missing frames completes before it comes round.
	e, err := qr.NewEmitter(psbt, opt)
	if err != nil {
		return signedQR{}, err
	}
	parts := e.Loop()
	s := signedQR{parts: parts, files: e.Files()}
	for _, p := range parts {
		img, err := qr.Image([]byte(p), qr.ImageOptions{Level: qr.Low, ModulePixels: 4})
		if err != nil {
			return signedQR{}, err
		}
		s.images = append(s.images, img)
	}
	return s, nil
}

// signedScreen shows the signed PSBT as an animated QR code for the
// coordinator's camera, and saves it to removable media.
func (a *App) signedScreen(s core.Signed) fyne.CanvasObject {
	status := wrapped("")
	// The defaults, the first format and the densest version, are for
	// airsign's coordinator.
	format, dens, fps := qrFormats[0].format, len(densities)-1, 4
	enc, err := encodeSigned(s.PSBT, format, versionFor(dens, format))
	if err != nil {
		status.SetText("the QR codes could not be drawn: " + err.Error() + "; save the PSBT to removable media instead")
	}
	holder := container.NewCenter()
	var anim *QRAnimator
	frameInfo := widget.NewLabel("")
	show := func() {
		if anim != nil {
			anim.Stop()
		}
		holder.RemoveAll()
		if len(enc.images) == 0 {
			return
		}
		anim = NewQRAnimator(enc.images, qrSide)
		a.anim = anim
		holder.Add(anim.Image)
		frameInfo.SetText(fmt.Sprintf("%d frames of QR version %d at most, %d a second", len(enc.files), versionFor(dens, format), fps))
		if a.opt.Animate {
			anim.Start(fps)
		}
	}
	show()
	a.onLeave(func() {
		if anim != nil {
			anim.Clear()
		}
	})
	redraw := func() {
		e, err := encodeSigned(s.PSBT, format, versionFor(dens, format))
		if err != nil {
			status.SetText(err.Error())
			return
		}
		enc = e
		show()
	}
	formatChoice := widget.NewSelect(nil, nil)
	for _, f := range qrFormats {
		formatChoice.Options = append(formatChoice.Options, f.name)
	}
	formatChoice.SetSelectedIndex(0)
	formatChoice.OnChanged = func(string) {
		format = qrFormats[formatChoice.SelectedIndex()].format
		redraw()
	}
	density := widget.NewSelect(nil, nil)
	for _, d := range densities {
		density.Options = append(density.Options, d.name)
	}
	density.SetSelectedIndex(len(densities) - 1)
	density.OnChanged = func(string) {
		dens = density.SelectedIndex()
		redraw()
	}
	speed := widget.NewSelect(nil, nil)
	for _, f := range speeds {
		speed.Options = append(speed.Options, strconv.Itoa(f)+" frames a second")
	}
	speed.SetSelectedIndex(1)
	speed.OnChanged = func(string) {
		fps = speeds[speed.SelectedIndex()]
		show()
	}
	save := widget.NewButton("Save to removable media…", func() {
		a.saveTo("Save the signed PSBT and its QR frames", signedName(s), func(dir, name string) {
			files, err := saveSignedAs(dir, name, s, enc.files)
			if err != nil {
				status.SetText("not saved: " + err.Error())
				return
			}
			status.SetText(fmt.Sprintf("saved %s and %d QR frames in %s", filepath.Base(files[0]), len(files)-1, dir))
		})
	})
	info := container.NewVBox(
		bold(fmt.Sprintf("Signed %d inputs of wallet %q", s.Inputs, s.Wallet)),
		wrapped("Transaction "+s.TxID),
		wrapped(sharesUsed(s.Shares)),
		bold("The seed was wiped from memory."),
		wrapped("Show this code to the coordinator's camera (or the other wallet's) until it has read every frame."),
		widget.NewForm(widget.NewFormItem("Format", formatChoice), widget.NewFormItem("Density", density), widget.NewFormItem("Speed", speed)),
		frameInfo,
		save,
		status,
	)
	done := widget.NewButton("Done", func() { a.Send(core.Confirm{}) })
	done.Importance = widget.HighImportance
	body := container.NewBorder(nil, nil, nil, holder, info)
	return screen("Signed: carry it back", body, buttons(done))
}

func sharesUsed(ss []core.ShareInfo) string {
	text := "Shares used:"
	for _, s := range ss {
		text += fmt.Sprintf(" %d of %d (set %s);", s.Index, s.Total, s.Set)
	}
	return text[:len(text)-1]
}

// signedName is the name the signed PSBT's files are proposed under.
func signedName(s core.Signed) string {
	id := s.TxID
	if len(id) > 16 {
		id = id[:16]
	}
	return "signed-" + id
}

// saveSigned writes the signed PSBT and its QR frames as new files in dir,
// under their proposed name.
func saveSigned(dir string, s core.Signed, parts []string) ([]string, error) {
	return saveSignedAs(dir, signedName(s), s, parts)
}

// saveSignedAs writes the signed PSBT as name.psbt and its QR frames as
// name-frame-NN.png, as new files in dir.
func saveSignedAs(dir, name string, s core.Signed, parts []string) ([]string, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%s is not a folder: insert the removable medium", dir)
	}
	base := filepath.Join(dir, strings.TrimSuffix(name, ".psbt"))
	var files []string
	write := func(path string, data []byte) error {
		if err := fileio.WriteNew(path, data, 0o644); err != nil {
			return err
		}
		files = append(files, path)
		return nil
	}
	if err := write(base+".psbt", s.PSBT); err != nil {
		return files, err
	}
	pngs, err := qr.FramePNGs(parts, qr.ImageOptions{Level: qr.Low, ModulePixels: 8})
	if err != nil {
		return files, err
	}
	for i, p := range pngs {
		if err := write(fmt.Sprintf("%s-frame-%02d.png", base, i+1), p); err != nil {
			return files, err
		}
	}
	return files, nil
}
