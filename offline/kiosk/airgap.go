package kiosk

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
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
