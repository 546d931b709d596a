//go:build !unix

package daemon

import "os"

// lockDir only creates the lock file outside Unix: nothing stops two
// daemons from sharing a Dir there.
func lockDir(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}
