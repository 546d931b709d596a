package main

import (
	"airsign/ui/qr/camera"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"github.com/tyler-smith/go-bip39/wordlists"

	"airsign/offline/home"
	"airsign/offline/kiosk"
	uikiosk "airsign/ui/kiosk"
)

// appFlags are the global flags of the GUI (airsign-kiosk with no command,
// or airsign-kiosk app).
type appFlags struct {
	kiosk        *bool
	allowNetwork *bool
	idle         *time.Duration
	export       *string
	scale        *float64
	camera       *string
}

func addAppFlags(fs *flag.FlagSet) appFlags {
	return appFlags{
		kiosk:        fs.Bool("kiosk", false, "app: full screen, the window cannot be closed"),
		allowNetwork: fs.Bool("allow-network", false, "app: let keys be activated with a network interface up (logged)"),
		idle:         fs.Duration("idle", kiosk.DefaultIdleAfter, "app: lock and wipe the session after this long without input"),
		export:       fs.String("export", "/media", "app: the removable medium's folder, where file dialogs open"),
		scale:        fs.Float64("scale", 1.3, "app: text and control size"),
		camera:       fs.String("camera-device", "/dev/video0", "app: the V4L2 camera to scan with (none: no camera button)"),
	}
}

// hasDisplay says whether a GUI can open a window here.
func hasDisplay() bool { return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != "" }

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
	h, err := home.Open(c.home)
	if err != nil {
		return err
	}
	k, err := kiosk.New(kiosk.Config{
		Home: h, AllowNetwork: *f.allowNetwork, IdleAfter: *f.idle,
		Imager: qrImager{}, Extra: urExport,
		Software: fmt.Sprintf("airsign-kiosk %s (%s)", version, runtime.Version()),
	})
	if err != nil {
		return err
	}
	a := app.NewWithID("org.airsign.kiosk")
	a.Settings().SetTheme(uikiosk.NewTheme(float32(*f.scale)))
	w := a.NewWindow("airsign")
	w.SetMaster()
	if *f.kiosk {
		w.SetFullScreen(true)
		w.SetCloseIntercept(func() {}) // only a power-off ends a kiosk session
	} else {
		w.Resize(fyne.NewSize(1280, 800))
	}
	opt := uikiosk.Options{Words: wordlists.English, ExportDir: *f.export, Animate: true}
	if dev := *f.camera; dev != "" && dev != "none" {
		if _, err := os.Stat(dev); err == nil {
			opt.Camera = func() (camera.Source, error) { return camera.OpenV4L2(dev, 0, 0) }
		}
	}
	gui := uikiosk.New(w, k, opt)
	gui.StartTicker(time.Second)
	w.ShowAndRun()
	gui.Close()
	return nil
}
