package kiosk

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"airsign/offline/home"
)

var cheapKDF = home.KDFParams{Time: 1, Memory: 64, Threads: 1}

// A short passphrase is refused before the home is touched; a good one
// seals the key, and the audit log opens with the init entry.
func TestInitHome(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "home")
	if _, err := InitHome(dir, []byte("short"), rand.Reader, t0, cheapKDF); err == nil || !strings.Contains(err.Error(), "too short") {
		t.Fatalf("short passphrase: got %v, want too short", err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Fatal("a refused passphrase created the home")
	}
	pass := []byte("correct horse battery staple")
	h, err := InitHome(dir, pass, rand.Reader, t0, cheapKDF)
	if err != nil {
		t.Fatal(err)
	}
	if !h.Sealed() {
		t.Fatal("the key is not sealed")
	}
	if _, err := home.OpenWith(dir, home.Options{Passphrase: pass}); err != nil {
		t.Fatalf("opening the new home: %v", err)
	}
	es, err := h.Log().Entries()
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Kind != "init" {
		t.Fatalf("entries %v, want one init", es)
	}
	if _, err := InitHome(dir, nil, rand.Reader, t0, cheapKDF); err == nil {
		t.Fatal("a second init replaced the device key")
	}
}
