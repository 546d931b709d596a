package fileio

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteNew(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "signed.psbt")
	if err := WriteNew(path, []byte("first"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "first" {
		t.Fatalf("read back %q, %v; want %q", got, err, "first")
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm != 0o600 {
		t.Errorf("mode %v, want 0600", perm)
	}

	// An existing file is refused and kept as it was.
	if err := WriteNew(path, []byte("second"), 0o600); !errors.Is(err, fs.ErrExist) {
		t.Errorf("WriteNew over an existing file: got %v, want fs.ErrExist", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "first" {
		t.Errorf("the existing file now holds %q, want %q", got, "first")
	}

	// So is a link planted at the path, even one to nowhere.
	link := filepath.Join(dir, "planted")
	if err := os.Symlink(filepath.Join(dir, "target"), link); err != nil {
		t.Fatal(err)
	}
	if err := WriteNew(link, []byte("x"), 0o644); !errors.Is(err, fs.ErrExist) {
		t.Errorf("WriteNew through a dangling link: got %v, want fs.ErrExist", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "target")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the link's target was created: %v", err)
	}

	// A missing folder: nothing is made.
	if err := WriteNew(filepath.Join(dir, "no", "such"), nil, 0o644); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("WriteNew in a missing folder: got %v, want fs.ErrNotExist", err)
	}

	// An empty file is a file.
	empty := filepath.Join(dir, "empty")
	if err := WriteNew(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(empty); err != nil || !bytes.Equal(got, []byte{}) {
		t.Errorf("empty file reads %q, %v", got, err)
	}
}

func TestSyncDir(t *testing.T) {
	if err := SyncDir(t.TempDir()); err != nil {
		t.Errorf("SyncDir of a folder: %v", err)
	}
	if err := SyncDir(filepath.Join(t.TempDir(), "gone")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("SyncDir of a missing folder: got %v, want fs.ErrNotExist", err)
	}
}
