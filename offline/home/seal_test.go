package home

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cheapKDF keeps the tests fast; the format and the checks are the same.
var cheapKDF = KDFParams{Time: 1, Memory: 64, Threads: 1}

// A sealed device key: the disk alone does not give it away, the right
// passphrase opens the home, a wrong one or none says so.
func TestSealedDeviceKey(t *testing.T) {
	dir := t.TempDir()
	pass := []byte("correct horse battery staple")
	h, err := InitWith(dir, rand.Reader, t0, Options{Passphrase: pass, KDF: cheapKDF})
	if err != nil {
		t.Fatal(err)
	}
	if !h.Sealed() {
		t.Fatal("not sealed")
	}
	file, err := os.ReadFile(filepath.Join(dir, "identity.key"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(file, []byte("BEGIN PRIVATE KEY")) || bytes.Contains(file, h.key.Seed()) {
		t.Fatal("the key file holds the key in the clear")
	}
	for _, tc := range []struct {
		name string
		pass []byte
		want error
	}{
		{"no passphrase", nil, ErrSealed},
		{"wrong passphrase", []byte("correct horse battery stapler"), ErrPassphrase},
		{"right passphrase", pass, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := OpenWith(dir, Options{Passphrase: tc.pass})
			if !errors.Is(err, tc.want) {
				t.Fatalf("OpenWith: %v, want %v", err, tc.want)
			}
			if err == nil && (o.KeyID() != h.KeyID() || !o.Sealed()) {
				t.Fatalf("opened key %s sealed %v, want %s sealed", o.KeyID(), o.Sealed(), h.KeyID())
			}
		})
	}
	if _, err := InitWith(t.TempDir(), rand.Reader, t0, Options{Passphrase: []byte("short"), KDF: cheapKDF}); err == nil || !strings.Contains(err.Error(), "too short") {
		t.Fatalf("a short passphrase: %v", err)
	}
}

// A plain key sealed in place, and logged; a hostile header cannot make the
// kiosk allocate without bound.
func TestSealInPlace(t *testing.T) {
	dir := t.TempDir()
	h, err := Init(dir, rand.Reader, t0)
	if err != nil {
		t.Fatal(err)
	}
	pass := []byte("a long enough passphrase")
	if err := h.Seal(pass, rand.Reader, t0, cheapKDF); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); !errors.Is(err, ErrSealed) {
		t.Fatalf("Open after Seal: %v, want ErrSealed", err)
	}
	o, err := OpenWith(dir, Options{Passphrase: pass})
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := o.Log().Entries()
	if last := entries[len(entries)-1]; last.Kind != "device-key-sealed" {
		t.Fatalf("last audit entry %s, want device-key-sealed", last.Kind)
	}
	path := filepath.Join(dir, "identity.key")
	file, _ := os.ReadFile(path)
	os.WriteFile(path, bytes.Replace(file, []byte("Memory: 64"), []byte("Memory: 99999999"), 1), 0o600)
	if _, err := OpenWith(dir, Options{Passphrase: pass}); err == nil || !strings.Contains(err.Error(), "Memory") {
		t.Fatalf("a hostile KDF header: %v", err)
	}
}
