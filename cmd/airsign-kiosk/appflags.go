package main

import (
	"flag"
	"os"
	"strings"
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
	media        *string
}

func addAppFlags(fs *flag.FlagSet) appFlags {
	return appFlags{
		kiosk:        fs.Bool("kiosk", false, "app: full screen, the window cannot be closed"),
		allowNetwork: fs.Bool("allow-network", false, "let keys be made and used with a network interface up (logged)"),
		idle:         fs.Duration("idle", kiosk.DefaultIdleAfter, "app: lock and wipe the session after this long without input"),
		export:       fs.String("export", "/media", "app: the removable medium's folder, where file dialogs open"),
		scale:        fs.Float64("scale", 1.3, "app: text and control size"),
		camera:       fs.String("camera-device", "/dev/video0", "app: the V4L2 camera to scan with (none: no camera button)"),
		media:        fs.String("media", defaultMedia, "app: comma-separated folders where removable media are mounted; the file dialogs browse only these and --export"),
	}
}

// defaultMedia is where desktop Linux mounts removable media: udisks under
// /media or /run/media/$USER, by hand under /mnt.
const defaultMedia = "/media,/run/media/$USER,/mnt"

// mediaRoots is --media as folders, with environment variables expanded;
// a folder naming an unset variable is left out.
func (f appFlags) mediaRoots() []string {
	var roots []string
	for _, r := range strings.Split(*f.media, ",") {
		r = strings.TrimSpace(r)
		unset := false
		r = os.Expand(r, func(v string) string {
			val, ok := os.LookupEnv(v)
			unset = unset || !ok || val == ""
			return val
		})
		if r != "" && !unset {
			roots = append(roots, r)
		}
	}
	return roots
}

// hasDisplay says whether a GUI can open a window here.
func hasDisplay() bool { return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != "" }
