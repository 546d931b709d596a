package auditlog

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// An auditor's witness is a checkpoint the kiosk signed and the auditor
// cosigned after verifying an export. Imported back into the kiosk, it pins
// the log: from then on Open refuses a log that no longer contains that
// checkpoint (rolled back to before it, or rewritten since), which the
// kiosk's own signatures alone cannot show, since whoever can rewrite the
// log can also have the kiosk sign the rewrite.

// WitnessPath is where the witnessed checkpoints of the log at path live.
func WitnessPath(path string) string {
	return strings.TrimSuffix(path, ".log") + ".witnessed"
}

// Cosign verifies a checkpoint signed by the kiosk key deviceKey (a note
// verifier key) and adds the auditor's signature to it.
func Cosign(checkpoint []byte, deviceKey string, auditor note.Signer) ([]byte, error) {
	v, err := note.NewVerifier(deviceKey)
	if err != nil {
		return nil, fmt.Errorf("device verifier key: %w", err)
	}
	if _, err := OpenCheckpoint(checkpoint, v); err != nil {
		return nil, fmt.Errorf("the checkpoint: %w", err)
	}
	n, err := note.Open(checkpoint, note.VerifierList(v))
	if err != nil {
		return nil, err
	}
	return note.Sign(n, auditor)
}

// AddWitness imports a checkpoint cosigned by the auditor whose verifier
// key is auditorKey: both signatures must verify, and the checkpoint must
// be one of this log's (its root is this log's tree at its size). It is
// then kept next to the log, and every later Open checks it.
func (l *Log) AddWitness(cosigned []byte, auditorKey string) (Checkpoint, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	av, err := note.NewVerifier(auditorKey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("auditor verifier key: %w", err)
	}
	c, err := OpenCheckpoint(cosigned, l.verifier)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("the witnessed checkpoint: %w", err)
	}
	if _, err := note.Open(cosigned, note.VerifierList(av)); err != nil {
		return Checkpoint{}, fmt.Errorf("the witnessed checkpoint is not cosigned by %s: %v", av.Name(), err)
	}
	if err := l.contains(c); err != nil {
		return Checkpoint{}, err
	}
	if l.path == "" {
		return Checkpoint{}, fmt.Errorf("witnessed checkpoints are kept beside a log in files; this log is in %s", l.store)
	}
	f, err := os.OpenFile(WitnessPath(l.path), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return Checkpoint{}, err
	}
	if _, err := f.Write(append(bytes.TrimRight(cosigned, "\n"), '\n', '\n')); err != nil {
		f.Close()
		return Checkpoint{}, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return Checkpoint{}, err
	}
	return c, f.Close()
}

// contains says whether c is a checkpoint of this log as it is now.
func (l *Log) contains(c Checkpoint) error {
	return containedIn(c, l.origin, int64(l.next), l.reader(), "an auditor's witnessed checkpoint")
}

// containedIn says whether c is a checkpoint of the log named origin with
// size entries and tree hashes r; what names c in the messages.
func containedIn(c Checkpoint, origin string, size int64, r tlog.HashReader, what string) error {
	if c.Origin != origin {
		return fmt.Errorf("%s is of log %q, not %q", what, c.Origin, origin)
	}
	if c.Size > size {
		return fmt.Errorf("rollback: %s covers %d entries; the log now has %d", what, c.Size, size)
	}
	root, err := tlog.TreeHash(c.Size, r)
	if err != nil {
		return err
	}
	if root != c.Root {
		return fmt.Errorf("fork: the first %d entries are not the ones %s covers (root %s, now %s)", c.Size, what, Hex(c.Root), Hex(root))
	}
	return nil
}

// checkWitnesses verifies the witnessed checkpoints against the log.
func (l *Log) checkWitnesses() error {
	if l.path == "" {
		return nil
	}
	data, err := os.ReadFile(WitnessPath(l.path))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	notes, err := splitNotes(data)
	if err != nil {
		return fmt.Errorf("%s: %w", WitnessPath(l.path), err)
	}
	for i, n := range notes {
		c, err := OpenCheckpoint(n, l.verifier)
		if err != nil {
			return fmt.Errorf("%s, witnessed checkpoint %d: %w", WitnessPath(l.path), i+1, err)
		}
		if err := l.contains(c); err != nil {
			return fmt.Errorf("%s, witnessed checkpoint %d: %w", WitnessPath(l.path), i+1, err)
		}
	}
	return nil
}
