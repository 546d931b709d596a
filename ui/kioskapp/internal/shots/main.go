// Command shots opens the kiosk app full screen on a demonstration
// station, walks it through its main screens and captures each one with
// ImageMagick's import (fyne's Canvas().Capture() reads back blank under
// Xvfb). Run it under Xvfb: make screenshots.
//
// The station is rebuilt from the seed ui/kioskapp's tests use, so the PSBT
// they keep in testdata/withdrawal.psbt is its own.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"airsign/offline/ceremony"
	"airsign/offline/home"
	core "airsign/offline/kiosk"
	"airsign/psbt/descriptor"
	"airsign/ui/kioskapp"
	"airsign/ui/qr"
)

var t0 = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)

type imager struct{}

func (imager) PNG(c []byte) ([]byte, error)     { return qr.PNG(c, qr.ImageOptions{Level: qr.Medium}) }
func (imager) ReadPNG(d []byte) ([]byte, error) { return qr.DecodeFile(d) }

func main() {
	out := flag.String("out", "docs/screenshots", "folder for the PNGs")
	psbtFile := flag.String("psbt", "ui/kioskapp/testdata/withdrawal.psbt", "the demo station's withdrawal")
	settle := flag.Duration("settle", 1200*time.Millisecond, "wait before each capture")
	scale := flag.Float64("scale", 1.3, "theme scale")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("shots: ")

	raw, err := os.ReadFile(*psbtFile)
	if err != nil {
		log.Fatal(err)
	}
	// A fixed folder, not MkdirTemp's: its path shows in the file dialog
	// and the ceremony's end, and the same screenshot comes out each run.
	tmp := filepath.Join(os.TempDir(), "airsign-shots")
	if err := os.RemoveAll(tmp); err != nil {
		log.Fatal(err)
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)

	// The same station as ui/kioskapp's tests: one seed, three ceremonies.
	rnd := rand.NewChaCha8([32]byte{'a', 'i', 'r', 's', 'i', 'g', 'n'})
	h, err := home.Init(filepath.Join(tmp, "home"), rnd, t0)
	if err != nil {
		log.Fatal(err)
	}
	var shares [][]byte
	for i, name := range []string{"vault", "spare", "third"} {
		res, err := ceremony.Run(ceremony.Params{Network: descriptor.Regtest, Script: descriptor.P2WPKH,
			Threshold: 2, Total: 3, Words: 12, Name: name}, rnd, t0, h)
		if err != nil {
			log.Fatal(err)
		}
		if i == 0 {
			for _, s := range res.Shares {
				shares = append(shares, s.Words())
			}
			if err := h.AddWallet(res.Wallet()); err != nil {
				log.Fatal(err)
			}
		}
		res.Wipe()
	}
	var up []string
	now := t0.Add(time.Minute)
	k, err := core.New(core.Config{Home: h, Now: func() time.Time { return now },
		Interfaces: func() ([]string, error) { return up, nil }, Imager: imager{}, Software: "shots"})
	if err != nil {
		log.Fatal(err)
	}
	media := filepath.Join(tmp, "media")
	stick := filepath.Join(media, "usb")
	if err := os.MkdirAll(filepath.Join(stick, "older requests"), 0o755); err != nil {
		log.Fatal(err)
	}

	a := app.NewWithID("org.airsign.kiosk.shots")
	a.Settings().SetTheme(kioskapp.NewTheme(float32(*scale)))
	w := a.NewWindow("airsign")
	w.SetFullScreen(true)
	var gui *kioskapp.App
	words := core.ShareWordList()
	// First start: a new station's setup screen, then its verifier key.
	fresh := filepath.Join(tmp, "fresh")
	kioskapp.Setup(w, func(p []byte) (*home.Home, error) {
		return core.InitHome(fresh, p, rnd, t0, home.KDFParams{Time: 1, Memory: 64, Threads: 1})
	}, func(*home.Home) {
		gui = kioskapp.New(w, k, kioskapp.Options{Words: words, ExportDir: "/media/usb", MediaRoots: []string{stick},
			Now: func() time.Time { return now }, Animate: true})
	})

	shoot := func(name string, step func()) {
		fyne.DoAndWait(step)
		time.Sleep(*settle)
		path := filepath.Join(*out, name+".png")
		if b, err := exec.Command("import", "-window", "root", path).CombinedOutput(); err != nil {
			log.Fatalf("import %s: %v\n%s", path, err, b)
		}
		log.Printf("wrote %s", path)
	}
	parts, err := qr.EncodePSBT(raw, qr.EncodeOptions{Format: qr.FormatUR, MaxFragment: 200})
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		defer fyne.Do(a.Quit)
		time.Sleep(2 * time.Second) // the window comes up
		shoot("setup", func() {
			for _, e := range find[*widget.Entry](w.Content()) {
				e.SetText("correct horse battery staple")
			}
		})
		shoot("setup-verifier", func() {
			find[*widget.Button](w.Content())[0].OnTapped()
		})
		shoot("start", func() {
			find[*widget.Check](w.Content())[0].SetChecked(true)
			for _, b := range find[*widget.Button](w.Content()) {
				if b.Text == "Continue to the station" {
					b.OnTapped()
				}
			}
		})
		shoot("scan", func() {
			gui.Send(core.Begin{Flow: core.FlowSign})
			for _, p := range parts[:2] {
				typeScan(w, p)
			}
		})
		// The coordinator's frames saved on the stick under long names:
		// the dialog shows them whole, and opens them all at once.
		shoot("open-files", func() {
			pngs, err := qr.FramePNGs(parts, qr.ImageOptions{Level: qr.Low, ModulePixels: 4})
			if err != nil {
				log.Fatal(err)
			}
			for i, p := range pngs {
				name := fmt.Sprintf("withdrawal-request-42-treasury-payroll-frame-%02d-of-%02d.png", i+1, len(pngs))
				if err := os.WriteFile(filepath.Join(stick, name), p, 0o644); err != nil {
					log.Fatal(err)
				}
			}
			for _, b := range find[*widget.Button](w.Content()) {
				if b.Text == "Open files…" {
					b.OnTapped()
				}
			}
		})
		// Sending the PSBT renders the review, which closes the dialog.
		shoot("review", func() { gui.Send(core.PSBTScanned{Data: raw, Source: "4 QR codes, UR"}) })
		shoot("review-end", func() {
			for _, sc := range find[*container.Scroll](w.Content()) {
				sc.ScrollToBottom()
			}
		})
		// The second custodian's words, six typed and the seventh being
		// typed: "word 7 of 22" and the completion show.
		second := strings.Fields(string(shares[2]))
		typed := strings.Join(second[:6], " ") + " " + second[6][:2]
		shoot("shares", func() {
			gui.Send(core.Confirm{})
			typeScan(w, string(shares[0]))
			typeText(w, typed)
		})
		shoot("idle-warning", func() { gui.Tick(now.Add(core.DefaultIdleAfter - 20*time.Second)) })
		shoot("signed", func() {
			typeScan(w, strings.TrimPrefix(strings.Join(second, " "), typed))
		})
		shoot("audit", func() {
			gui.Send(core.Confirm{})
			gui.Send(core.Begin{Flow: core.FlowAudit})
		})
		shoot("ceremony-setup", func() {
			gui.Send(core.Confirm{})
			gui.Send(core.Begin{Flow: core.FlowCeremony})
		})
		shoot("show-share", func() {
			gui.Send(core.SetupCeremony{Params: core.CeremonyParams{Network: "regtest", Script: "p2wpkh", Threshold: 2, Total: 3,
				Words: 24, Custodians: []string{"Alice", "Bob", "Carol"}, Name: "cold", ExportDir: filepath.Join(media, "ceremony")}})
		})
		var words []byte
		var copied []string
		shoot("enter-share", func() {
			words = bytes.Clone(k.Screen().(core.ShowShare).Words)
			gui.Send(core.Confirm{})
			// Alice's copy, with word 9 miscopied: three words typed,
			// the fourth being typed.
			copied = strings.Fields(string(words))
			copied[8] = copied[9]
			typeText(w, strings.Join(copied[:3], " ")+" "+copied[3][:2])
		})
		shoot("copy-check", func() {
			typeScan(w, copied[3][2:]+" "+strings.Join(copied[4:], " "))
		})
		shoot("ceremony-done", func() {
			// Each custodian enters the share just shown; the next follows.
			for {
				gui.Send(core.ShareScanned{Data: bytes.Clone(words)})
				ss, ok := k.Screen().(core.ShowShare)
				if !ok {
					break
				}
				words = bytes.Clone(ss.Words)
				gui.Send(core.Confirm{})
			}
		})
		shoot("start-connected", func() {
			gui.Send(core.Cancel{})
			up = []string{"eth0"}
			gui.Send(core.Lock{Reason: "locked by the operator"})
		})
	}()
	w.ShowAndRun()
	gui.Close()
}

// typeScan types text into the focused entry as a wedge scanner does.
func typeScan(w fyne.Window, text string) {
	f := w.Canvas().Focused()
	if f == nil {
		log.Fatalf("nothing focused")
	}
	if e, ok := f.(*kioskapp.ScanEntry); ok && text == "" {
		e.SetText("")
		return
	}
	typeText(w, text)
	f.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

// typeText types text into the focused entry, without Enter.
func typeText(w fyne.Window, text string) {
	f := w.Canvas().Focused()
	if f == nil {
		log.Fatalf("nothing focused")
	}
	for _, r := range text {
		f.TypedRune(r)
	}
}

// find returns the objects of type T under o, in order: through
// containers and scrolls (what the screens are built of), not into
// widgets' renderers.
func find[T fyne.CanvasObject](o fyne.CanvasObject) []T {
	var out []T
	if t, ok := o.(T); ok {
		out = append(out, t)
	}
	switch o := o.(type) {
	case *fyne.Container:
		for _, c := range o.Objects {
			out = append(out, find[T](c)...)
		}
	case *container.Scroll:
		out = append(out, find[T](o.Content)...)
	}
	return out
}
