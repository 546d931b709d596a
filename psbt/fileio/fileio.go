// Package fileio writes the files both sides keep and hand out. A new file
// is created, never put over another, and is on the disk whole when the
// write returns, or is not there at all: a signed PSBT, an export or a key
// that is half written must not look like one that is whole.
package fileio

import "os"

// WriteNew writes data to a new file at path with mode perm (less the
// umask). It refuses a path that exists, a link planted there included
// (O_EXCL), syncs the file to the disk before closing it, and on any failure
// after the file was created removes it: a partial file is never left. The
// error is the os package's, which names the step and the path; an existing
// path gives one that matches fs.ErrExist.
//
// WriteNew does not sync the folder: a caller whose new name must survive a
// crash right after it returns calls SyncDir.
func WriteNew(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// SyncDir syncs the folder dir, so that the names created, renamed or
// removed in it survive a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
