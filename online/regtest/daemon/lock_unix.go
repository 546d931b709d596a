//go:build unix

package daemon

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockDir takes an exclusive flock on Dir/lock, so that two daemons never
// share a Dir: a second btcd on the same datadir would delete the first
// one's block database (btcd wipes it on every --regtest start). The lock
// lives as long as the returned file (and dies with the process).
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s is locked: another daemon is running on this Dir", path)
		}
		return nil, err
	}
	return f, nil
}
