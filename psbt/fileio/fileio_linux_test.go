package fileio

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A write that fails leaves no file. The failure is real, not a fake: the
// process's file size limit (RLIMIT_FSIZE) is lowered below the data's
// size, so the kernel refuses the write with EFBIG after the file was
// created (Go ignores the SIGXFSZ that comes with it). The limit is the
// whole process's, so this test does not run in parallel with others.
func TestWriteNewRemovesPartialFile(t *testing.T) {
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	const limit = 4096
	if old.Cur < 2*limit { // RLIM_INFINITY is the largest value
		t.Skipf("the file size limit is already %d bytes", old.Cur)
	}
	low := old
	low.Cur = limit
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &low); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "big")
	err := WriteNew(path, make([]byte, 2*limit), 0o644)
	if rerr := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); rerr != nil {
		t.Fatal(rerr)
	}
	if !errors.Is(err, syscall.EFBIG) {
		t.Fatalf("WriteNew beyond the file size limit: got %v, want EFBIG", err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the partial file was left: Lstat = %v", err)
	}
}
