package auditlog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"airsign/psbt/fileio"
)

// files keeps a log in the two files the package comment describes. An
// append is two synced writes, the line and then its checkpoint, under
// LockPath's OS lock; a read takes that lock too, so it never sees the
// line without the checkpoint.
type files struct {
	path, cpPath string
}

func (f *files) String() string { return f.path }

// Create writes the checkpoints file and then the log, each only if it
// does not exist yet; the checkpoints go again when the log cannot be
// written.
func (f *files) Create(records, checkpoints [][]byte) error {
	if len(checkpoints) != len(records)+1 {
		return fmt.Errorf("a new log of %d records needs %d checkpoints, not %d", len(records), len(records)+1, len(checkpoints))
	}
	var logData, cpData []byte
	for _, r := range records {
		logData = append(append(logData, r...), '\n')
	}
	for _, c := range checkpoints {
		cpData = append(append(cpData, c...), '\n')
	}
	if err := fileio.WriteNew(f.cpPath, cpData, 0o600); err != nil {
		return err
	}
	if err := fileio.WriteNew(f.path, logData, 0o600); err != nil {
		os.Remove(f.cpPath)
		return err
	}
	return nil
}

// Lock takes LockPath's lock. Where a read cannot take it at all (a
// read-only copy of the files), it reads without it.
func (f *files) Lock(write bool) (Locked, error) {
	unlock, err := lockFile(LockPath(f.path), lockWait)
	switch {
	case err == nil:
	case write || errors.Is(err, ErrLocked):
		return nil, err
	default:
		unlock = func() {}
	}
	return &filesLocked{f: f, unlock: unlock}, nil
}

// filesKey is what a re-read would have to differ in: the sizes and
// modification times of the log and its checkpoints.
type filesKey struct {
	logSize, cpSize int64
	logMod, cpMod   time.Time
}

func (f *files) key() (filesKey, error) {
	a, err := os.Stat(f.path)
	if err != nil {
		return filesKey{}, err
	}
	b, err := os.Stat(f.cpPath)
	if err != nil {
		return filesKey{}, err
	}
	return filesKey{a.Size(), b.Size(), a.ModTime(), b.ModTime()}, nil
}

type filesLocked struct {
	f      *files
	unlock func()
	// read says a Read ran, which found the files of these sizes: an
	// Append writes after exactly those bytes.
	read            bool
	logSize, cpSize int64
}

// Read returns the whole log whenever the files changed: the Log verifies
// it in full.
func (k *filesLocked) Read(from int64, known Version) (Contents, error) {
	// Taken before the read: a file changed while it is read gets another
	// key next time, and is read again.
	key, kerr := k.f.key()
	if kerr == nil && known != nil && known == Version(key) {
		k.read, k.logSize, k.cpSize = true, key.logSize, key.cpSize
		return Contents{Unchanged: true, Version: key}, nil
	}
	data, err := os.ReadFile(k.f.path)
	if err != nil {
		return Contents{}, err
	}
	cpData, err := os.ReadFile(k.f.cpPath)
	if errors.Is(err, fs.ErrNotExist) {
		return Contents{}, fmt.Errorf("its signed checkpoints (%s) are missing, so nothing proves the log is the kiosk's", k.f.cpPath)
	}
	if err != nil {
		return Contents{}, fmt.Errorf("opening audit log checkpoints: %w", err)
	}
	lines, err := splitLines(data)
	if err != nil {
		return Contents{}, err
	}
	notes, err := splitNotes(cpData)
	if err != nil {
		return Contents{}, fmt.Errorf("checkpoints file: %w", err)
	}
	c := Contents{Records: lines, Checkpoints: notes}
	if kerr == nil {
		c.Version = key
	}
	k.read, k.logSize, k.cpSize = true, int64(len(data)), int64(len(cpData))
	return c, nil
}

// Append writes the line and then the checkpoint, each with one write
// call, synced, after making sure the files are as Read found them.
func (k *filesLocked) Append(record, checkpoint []byte) (Version, error) {
	if !k.read {
		return nil, errors.New("the audit log was not read before an append")
	}
	for _, f := range []struct {
		path string
		size int64
	}{{k.f.path, k.logSize}, {k.f.cpPath, k.cpSize}} {
		st, err := os.Stat(f.path)
		if err != nil {
			return nil, err
		}
		if st.Size() != f.size {
			return nil, fmt.Errorf("%s is %d bytes, not the %d this kiosk last wrote: it changed since the log was verified (another process, or a failed write); open it again", f.path, st.Size(), f.size)
		}
	}
	line := append(record[:len(record):len(record)], '\n')
	if err := appendSynced(k.f.path, line); err != nil {
		return nil, err
	}
	k.logSize += int64(len(line))
	cp := append(checkpoint[:len(checkpoint):len(checkpoint)], '\n')
	if err := appendSynced(k.f.cpPath, cp); err != nil {
		return nil, fmt.Errorf("writing the signed checkpoint of the audit log (the log now has a record no checkpoint covers): %w", err)
	}
	k.cpSize += int64(len(cp))
	key, err := k.f.key()
	if err != nil {
		return nil, nil // unknown: the next append reads the files again
	}
	return key, nil
}

func (k *filesLocked) Unlock() error {
	if k.unlock != nil {
		k.unlock()
		k.unlock = nil
	}
	return nil
}

func appendSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	return errors.Join(werr, f.Sync(), f.Close())
}
