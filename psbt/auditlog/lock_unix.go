//go:build unix

package auditlog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// lockFile takes an exclusive lock (flock) on path, creating it, and writes
// who holds it into it, so that a process that waits too long can say. The
// lock is the OS's: it goes when the holder exits, however it ends.
func lockFile(path string, wait time.Duration) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	fd := int(f.Fd())
	for deadline := time.Now().Add(wait); ; time.Sleep(20 * time.Millisecond) {
		err = syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			holder, _ := os.ReadFile(path)
			f.Close()
			return nil, fmt.Errorf("%w: %s has been held for over %s by %s; let it finish (or end it), then try again",
				ErrLocked, path, wait, strings.TrimSpace(string(holder)))
		}
	}
	f.Truncate(0)
	f.WriteAt([]byte(fmt.Sprintf("process %d (%s)\n", os.Getpid(), filepath.Base(os.Args[0]))), 0)
	return func() {
		f.Truncate(0)
		syscall.Flock(fd, syscall.LOCK_UN)
		f.Close()
	}, nil
}
