// Package locale gives the GUI toolkit a language tag it can parse. Import
// it for its side effect, before anything that links fyne.
//
// fyne reads the locale from the environment in a package init and logs an
// error for the C and POSIX locales, which Debian services, CI runners and
// kiosk sessions often have; airsign-kiosk links fyne, so every one of its
// command-line commands would print that error. Go initialises packages in
// import-path order among those whose imports are ready, and this package
// needs only os, so its init runs before fyne's and names English instead.
// The kiosk's text is English either way; nothing else reads these
// variables (Go does not use the C library's locale).
package locale

import (
	"os"
	"strings"
)

func init() {
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := os.Getenv(name)
		if v == "" {
			continue
		}
		if v == "C" || v == "POSIX" || strings.HasPrefix(v, "C.") {
			os.Setenv(name, "en_US.UTF-8")
		}
		return
	}
	os.Setenv("LANG", "en_US.UTF-8")
}
