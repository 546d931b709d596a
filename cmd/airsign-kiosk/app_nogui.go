//go:build nogui

package main

import "errors"

// app is absent from a build with -tags nogui: the command line without the
// GUI toolkit, which builds in a fraction of the time and needs no X11
// headers (make demo uses it). Everything but the app is the same code.
func (c *cli) app(appFlags, []string) error {
	return errors.New("this airsign-kiosk was built without its app (-tags nogui): build it with make build to run the signing station's window")
}
