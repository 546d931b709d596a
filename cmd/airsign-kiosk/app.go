//go:build !nogui

package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"github.com/tyler-smith/go-bip39/wordlists"

	"airsign/offline/home"
	"airsign/offline/kiosk"
	"airsign/ui/kioskapp"
	"airsign/ui/qr/camera"
)

// app runs the signing station's window until it is closed.
func (c *cli) app(f appFlags, args []string) error {
	if len(args) != 0 {
		return usageError(fmt.Sprintf("app takes no arguments, got %q", args))
	}
	if !hasDisplay() {
		return errors.New("no display (DISPLAY is not set): start the app in the station's X session")
	}
	if *f.idle <= 0 {
		return usageError("--idle must be a positive duration, e.g. 5m")
	}
	a := app.NewWithID("org.airsign.kiosk")
	a.Settings().SetTheme(kioskapp.NewTheme(float32(*f.scale)))
	w := a.NewWindow("airsign")
	w.SetMaster()
	if *f.kiosk {
		w.SetFullScreen(true)
		w.SetCloseIntercept(func() {}) // only a power-off ends a kiosk session
	} else {
		w.Resize(fyne.NewSize(1280, 800))
	}
	var gui *kioskapp.App
	start := func(h *home.Home) error {
		k, err := kiosk.New(kiosk.Config{
			Home: h, AllowNetwork: *f.allowNetwork, IdleAfter: *f.idle,
			Imager: qrImager{}, Extra: urExport,
			Software: fmt.Sprintf("airsign-kiosk %s (%s)", version, runtime.Version()),
		})
		if err != nil {
			return err
		}
		opt := kioskapp.Options{Words: wordlists.English, ExportDir: *f.export, MediaRoots: f.mediaRoots(), Animate: true}
		if dev := *f.camera; dev != "" && dev != "none" {
			if _, err := os.Stat(dev); err == nil {
				opt.Camera = func() (camera.Source, error) { return camera.OpenV4L2(dev, 0, 0) }
			}
		}
		gui = kioskapp.New(w, k, opt)
		gui.StartTicker(time.Second)
		return nil
	}
	h, err := c.openHome()
	switch {
	case errors.Is(err, home.ErrSealed):
		// No --passphrase-file: the station asks on its own screen.
		var opened *home.Home
		kioskapp.Unlock(w, func(p []byte) error {
			var err error
			opened, err = home.OpenWith(c.home, home.Options{Passphrase: p})
			return err
		}, func() {
			if err := start(opened); err != nil {
				fmt.Fprintf(c.stderr, "airsign-kiosk: %v\n", err)
				a.Quit()
			}
		})
	case errors.Is(err, home.ErrNotInitialized):
		// A new station: it makes its device key on its own screen,
		// through the core's InitHome like init does.
		kioskapp.Setup(w, func(p []byte) (*home.Home, error) {
			return kiosk.InitHome(c.home, p, rand.Reader, c.now(), home.KDFParams{})
		}, func(made *home.Home) {
			if err := start(made); err != nil {
				fmt.Fprintf(c.stderr, "airsign-kiosk: %v\n", err)
				a.Quit()
			}
		})
	case err != nil:
		return err
	default:
		if err := start(h); err != nil {
			return err
		}
	}
	w.ShowAndRun()
	if gui != nil {
		gui.Close()
	}
	return nil
}
