package auditlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Storage keeps a log's records and signed checkpoints, in order. A Log
// verifies everything it reads from one, so a storage is trusted with
// nothing but keeping bytes and letting one process append at a time.
// Files keeps them in two files (the kiosk; a coordinator on SQLite);
// online/store keeps them in a table of the database several coordinators
// share. A Storage value serves one Log.
type Storage interface {
	// Create stores a new log: its records and the signed checkpoints of
	// sizes 0 to len(records), one each, as one step where the storage
	// can. It never replaces a log: when one is stored already it fails
	// with an error matching fs.ErrExist.
	Create(records, checkpoints [][]byte) error
	// Lock takes the storage for an append (write), which it holds
	// exclusively, so processes append one at a time, each after the
	// others' records; or for a read, which must not see a record
	// without its checkpoint (a storage that stores both at once may
	// take no lock). A holder that keeps it too long is ErrLocked.
	Lock(write bool) (Locked, error)
	// String names the storage in messages: a path, a table.
	String() string
}

// Locked is a storage under its lock.
type Locked interface {
	// Read returns the stored log from record from on (see Contents). When
	// known is the Version of an earlier Read and the storage still holds
	// what it held then, it may answer Unchanged instead. With no log
	// stored the error matches fs.ErrNotExist.
	Read(from int64, known Version) (Contents, error)
	// Append stores a record after those the storage held at the last
	// Read of this lock, together with the checkpoint of the log it ends,
	// and returns the storage's Version with them.
	Append(record, checkpoint []byte) (Version, error)
	// Unlock releases the storage. A storage that keeps an append in a
	// transaction commits it here: the append is stored when Unlock
	// returns nil. Unlock after Unlock does nothing.
	Unlock() error
}

// Version is what a storage held when it was read or appended to, as the
// storage tells it (sizes and times of files, the last row of a table):
// a comparable value, or nil when it cannot say.
type Version any

// Contents is a stored log, or its end.
//
// Read(from) answers with Records from..n-1 and the checkpoints of sizes
// from..n (From = from, one checkpoint each); a storage may answer with
// the whole log instead (From = 0, every checkpoint as stored), which the
// Log then verifies in full. Unchanged says the storage holds what it held
// at the known version: nothing else but Version is set.
type Contents struct {
	Unchanged   bool
	Version     Version
	From        int64
	Records     [][]byte
	Checkpoints [][]byte
}

// Files is the storage of the log at path, as Create and Open keep it:
// the log file, CheckpointsPath's checkpoints file and LockPath's lock.
func Files(path string) Storage { return &files{path: path, cpPath: CheckpointsPath(path)} }

// CreateStorage makes a new, empty log in st, as Create does in files.
func CreateStorage(st Storage, origin string, s Signer) (*Log, error) {
	l, err := newLog(st, origin, s)
	if err != nil {
		return nil, fmt.Errorf("creating audit log: %w", err)
	}
	cp, err := signCheckpoint(l.signer, origin, 0, l.root)
	if err != nil {
		return nil, fmt.Errorf("creating audit log: %w", err)
	}
	if err := st.Create(nil, [][]byte{cp}); err != nil {
		return nil, fmt.Errorf("creating audit log: %w", err)
	}
	l.latest = cp
	return l, nil
}

// OpenStorage verifies the whole log in st, as Open does in files, and
// returns it ready for appends.
func OpenStorage(st Storage, origin string, s Signer) (*Log, error) {
	l, err := newLog(st, origin, s)
	if err != nil {
		return nil, fmt.Errorf("audit log %s: %w", st, err)
	}
	v, err := l.lockedLoad(fullRead)
	if err != nil {
		return nil, err
	}
	l.adopt(v)
	// An auditor's witnessed checkpoints pin what the log held.
	if err := l.checkWitnesses(); err != nil {
		return nil, fmt.Errorf("audit log %s: %w", st, err)
	}
	return l, nil
}

// StartedBy says who started the log st holds, as its first checkpoint
// claims, unverified: the names of the keys that signed it and its
// origin. It is for messages, when a log does not open with the key a
// caller has. With no log stored the error matches fs.ErrNotExist.
func StartedBy(st Storage) (keys []string, origin string, err error) {
	lk, err := st.Lock(false)
	if err != nil {
		return nil, "", err
	}
	defer lk.Unlock()
	c, err := lk.Read(0, nil)
	if err != nil {
		return nil, "", err
	}
	if len(c.Checkpoints) == 0 {
		return nil, "", fmt.Errorf("audit log %s has no checkpoint", st)
	}
	_, err = note.Open(c.Checkpoints[0], nil)
	var ue *note.UnverifiedNoteError
	if !errors.As(err, &ue) {
		return nil, "", fmt.Errorf("audit log %s: its first checkpoint is not a signed note", st)
	}
	for _, s := range ue.Note.UnverifiedSigs {
		keys = append(keys, s.Name)
	}
	origin, _, _ = strings.Cut(ue.Note.Text, "\n")
	return keys, origin, nil
}

// KindMoved is the kind of the last entry a log in files takes: MoveTo
// wrote it when it moved the log into another storage, where the log goes
// on. Its data says where to ({"to", "size"}). (The files a log moved
// into, by the same path, go on.)
const KindMoved = "audit-log-moved"

// Moved says where the log went when its last entry is KindMoved, as the
// Log last read it: a log in files with such an entry takes no more.
func (l *Log) Moved() (to string, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.movedTo, l.moved
}

// MoveTo moves a log in files into dst, which must hold no log, and
// returns it opened there: dst gets every record and checkpoint of this
// log, byte for byte, and one more entry, KindMoved, which is then also
// appended here. Both are the same log (the same origin, key and
// checkpoints), so what an auditor trusted of it still holds; it goes on
// in dst, and a log in files whose last entry is KindMoved refuses
// appends, so no process can go on with it here and fork it.
//
// dst is written first: if it fails, nothing changed; if writing the
// entry here fails after, dst has the log and this one lacks its last
// entry, which the error says.
func (l *Log) MoveTo(dst Storage, now time.Time) (*Log, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.path == "" {
		return nil, fmt.Errorf("moving audit log %s: only a log in files is moved", l.store)
	}
	lk, err := l.store.Lock(true)
	if err != nil {
		return nil, fmt.Errorf("moving audit log: %w", err)
	}
	defer lk.Unlock()
	if err := l.catchUp(lk); err != nil {
		return nil, err
	}
	if l.moved {
		return nil, fmt.Errorf("moving audit log: %s was moved to %s already", l.store, l.movedTo)
	}
	// The log as stored, verified (catchUp left it so, and the lock keeps
	// it): Read again for its records and checkpoints.
	c, err := lk.Read(0, nil)
	if err != nil {
		return nil, fmt.Errorf("moving audit log: %w", err)
	}
	v, err := l.verify(c)
	if err != nil {
		return nil, fmt.Errorf("moving audit log %s: %w", l.store, err)
	}
	if int64(len(v.lines)) != int64(l.next) || v.latest.Root != l.root {
		return nil, fmt.Errorf("moving audit log %s: it changed while it was moved", l.store)
	}
	notes := make([][]byte, len(v.checkpoints))
	for i, cp := range v.checkpoints {
		if cp.Size != int64(i) {
			return nil, fmt.Errorf("moving audit log %s: its checkpoint %d signs %d records, not %d: only a log with one checkpoint a record is moved", l.store, i+1, cp.Size, i)
		}
		notes[i] = cp.Note
	}
	p, err := l.prepare(KindMoved, map[string]any{"to": dst.String(), "size": l.next + 1}, now)
	if err != nil {
		return nil, err
	}
	if err := dst.Create(append(v.lines, p.line), append(notes, p.cp)); err != nil {
		return nil, fmt.Errorf("moving audit log to %s: %w", dst, err)
	}
	ver, err := lk.Append(p.line, p.cp)
	if err == nil {
		err = lk.Unlock()
	}
	if err != nil {
		return nil, fmt.Errorf("audit log moved to %s, but its last entry (%s) could not be written to %s, which an older process could now go on with: move the files aside: %w", dst, KindMoved, l.store, err)
	}
	l.appended(p, ver)
	l.moved, l.movedTo = true, dst.String()
	return OpenStorage(dst, l.origin, l.key)
}

// movedTo reads where a KindMoved entry says the log went.
func movedTo(e Entry) string {
	var d struct {
		To string `json:"to"`
	}
	json.Unmarshal(e.Data, &d)
	return d.To
}

// extend verifies what a storage holds after the records this Log has
// verified (c, read from l.next on) and takes it in: the checkpoint of
// l.next records must still be the one this Log has, and each record
// after must come with a checkpoint of its size, signed, whose root is the
// tree with it. The records before are not read again: Open and every
// whole read verify them.
func (l *Log) extend(c Contents) error {
	n := int64(l.next)
	if len(c.Checkpoints) == 0 || !bytes.Equal(c.Checkpoints[0], l.latest) {
		return fmt.Errorf("appending to audit log: %s no longer holds the checkpoint of the %d entries this process saw: it was rewritten or cut (tampering, or a restore from a backup); nothing more is written until an auditor looks", l.store, n)
	}
	if len(c.Checkpoints) != len(c.Records)+1 {
		return fmt.Errorf("appending to audit log: %s holds %d records after the %d this process saw, and %d checkpoints for them: it was edited", l.store, len(c.Records), n, len(c.Checkpoints)-1)
	}
	if len(c.Records) == 0 {
		l.version = c.Version
		return nil
	}
	if err := checkRecords(c.Records, n); err != nil {
		return fmt.Errorf("appending to audit log %s: %w", l.store, err)
	}
	hashes := l.hashes[:len(l.hashes):len(l.hashes)]
	for i, rec := range c.Records {
		h, err := tlog.StoredHashes(n+int64(i), rec, hashSlice(hashes))
		if err != nil {
			return err
		}
		hashes = append(hashes, h...)
	}
	var latest Checkpoint
	for j, msg := range c.Checkpoints[1:] {
		size := n + int64(j) + 1
		cp, err := OpenCheckpoint(msg, l.verifier)
		if err != nil {
			return fmt.Errorf("appending to audit log %s: the checkpoint of %d records: %w", l.store, size, err)
		}
		if cp.Origin != l.origin || cp.Size != size {
			return fmt.Errorf("appending to audit log %s: the checkpoint stored for %d records signs %d records of log %q: it was edited", l.store, size, cp.Size, cp.Origin)
		}
		root, err := tlog.TreeHash(size, hashSlice(hashes))
		if err != nil {
			return err
		}
		if root != cp.Root {
			return fmt.Errorf("appending to audit log %s: line %d was changed, removed or inserted: the lines no longer hash to the root signed for %d records", l.store, size, size)
		}
		latest = cp
	}
	entries, head, err := checkEntries(c.Records, n, l.head)
	if err != nil {
		return fmt.Errorf("appending to audit log %s: %w", l.store, err)
	}
	l.verified += uint64(len(c.Records))
	l.next += uint64(len(c.Records))
	l.head, l.hashes, l.root, l.latest, l.version = head, hashes, latest.Root, latest.Note, c.Version
	l.setMoved(entries[len(entries)-1])
	return nil
}
