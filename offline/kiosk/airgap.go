package kiosk

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"airsign/offline/home"
)

// sysClassNet is where Linux lists network interfaces; a variable so a test
// can point it at a fixture.
var sysClassNet = "/sys/class/net"

// InterfacesUp lists the network interfaces other than loopback whose
// operational state is up (or unknown, as some drivers report while
// carrying traffic), from /sys/class/net: read as files, so the kiosk
// opens no socket to find out whether it is connected.
func InterfacesUp() ([]string, error) {
	return interfacesUp(sysClassNet)
}

func interfacesUp(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var up []string
	for _, e := range ents {
		name := e.Name()
		if name == "lo" {
			continue
		}
		state, err := os.ReadFile(filepath.Join(dir, name, "operstate"))
		if err != nil {
			// An interface we cannot read counts as up: the
			// station must not assume it is offline.
			up = append(up, name)
			continue
		}
		switch strings.TrimSpace(string(state)) {
		case "down", "notpresent", "lowerlayerdown":
		default:
			up = append(up, name)
		}
	}
	sort.Strings(up)
	return up, nil
}

// ErrConnected means a key was to be made or used while a network
// interface is up, without the override.
var ErrConnected = errors.New("the station is connected")

// CheckAirGap is what every command that makes or uses a key runs first,
// from the command line as in the app: with an interface other than
// loopback up (or the interfaces unreadable), it refuses unless allow (the
// --allow-network override) is set. A refusal and every override are
// written to the audit log with the command and the interfaces; an offline
// station logs nothing here.
func CheckAirGap(h *home.Home, interfaces func() ([]string, error), allow bool, command string, now time.Time) error {
	if interfaces == nil {
		interfaces = InterfacesUp
	}
	up, err := interfaces()
	g := AirGap{Up: up, Allowed: allow}
	if err != nil {
		g.Err = err.Error()
	}
	if g.Offline() {
		return nil
	}
	entry := map[string]any{"command": command, "interfaces_up": g.Up, "allow_network": allow}
	if g.Err != "" {
		entry["error"] = g.Err
	}
	if !allow {
		entry["result"] = "refused"
		return errors.Join(fmt.Errorf("%w: %s", ErrConnected, refuseNetwork(g)), h.Log().Append("airgap", entry, now))
	}
	entry["result"] = "overridden"
	return h.Log().Append("airgap", entry, now)
}
