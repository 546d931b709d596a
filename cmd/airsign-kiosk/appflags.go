package main

import (
	"flag"
	"os"
	"time"

	"airsign/offline/kiosk"
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
		allowNetwork: fs.Bool("allow-network", false, "let keys be made and used with a network interface up (logged)"),
		idle:         fs.Duration("idle", kiosk.DefaultIdleAfter, "app: lock and wipe the session after this long without input"),
		export:       fs.String("export", "/media", "app: the removable medium's folder, where file dialogs open"),
		scale:        fs.Float64("scale", 1.3, "app: text and control size"),
		camera:       fs.String("camera-device", "/dev/video0", "app: the V4L2 camera to scan with (none: no camera button)"),
	}
}

// hasDisplay says whether a GUI can open a window here.
func hasDisplay() bool { return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != "" }
