// Package auditlog keeps an append-only, tamper-evident record of
// every state change: a transparency log in the style of RFC 6962 and the Go
// checksum database (golang.org/x/mod/sumdb/tlog), with signed checkpoints
// (golang.org/x/mod/sumdb/note) by the device's ed25519 identity key. The
// kiosk and the coordinator both keep one; it lives under psbt/ because
// DESIGN.md puts what both sides share there (offline/ and online/ may not
// import each other).
//
// Two files, both append-only:
//
//	LOG          one JSON entry a line ({"seq","time","kind","data","prev"});
//	             record i of the tree is line i+1 without its newline, and its
//	             leaf hash is tlog.RecordHash(line). Each line also names the
//	             SHA-256 of the line before it ("prev", 64 zeros for the
//	             first), a second, independent chain that needs nothing but
//	             sha256sum to check.
//	CHECKPOINTS  (CheckpointsPath(LOG)) one signed note per state of the log,
//	             each followed by a blank line: the note text is
//	             "<origin>\n<size>\n<base64 tree hash>\n" and the signature
//	             line "— airsign-<key id> <base64 key hash+signature>". Create
//	             writes the checkpoint of size 0; every Append writes one more.
//
// Beside them, two more: LockPath's lock file, held while an Append writes,
// and WitnessPath's checkpoints an auditor cosigned (witness.go), which
// Open checks the log still contains.
//
// Open verifies everything before it returns a log to append to: every
// checkpoint's signature and origin, that sizes never go backwards, that each
// checkpoint's root is the tree hash of that many records of the log (so two
// checkpoints of one size with different roots, a fork, cannot both hold),
// that the latest checkpoint covers exactly the records in the log (fewer
// records is a truncation, more are records nobody signed), and each line's
// form, sequence number and prev hash.
//
// Export and VerifyExport carry the log to an auditor, who needs only the
// export file and the device's verifier key (VerifierKey). Entries never hold
// a secret.
package auditlog

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"airsign/psbt/fileio"
)

// MaxLineBytes bounds one entry, so that reading a damaged or hostile log
// cannot make us allocate without limit.
const MaxLineBytes = 1 << 20

// genesis is the prev value of the first entry.
var genesis = hex.EncodeToString(make([]byte, sha256.Size))

// Entry is one event in the log.
type Entry struct {
	Seq  uint64          `json:"seq"`
	Time time.Time       `json:"time"`
	Kind string          `json:"kind"`
	Data json.RawMessage `json:"data,omitempty"`
	// Prev is the hex SHA-256 of the previous line's bytes (without its
	// newline), or 64 zeros for the first entry.
	Prev string `json:"prev"`
}

// Log is an open, verified audit log.
type Log struct {
	// mu serialises every use: the coordinator's requests append at once,
	// and a reader must not see a line before its checkpoint.
	mu                   sync.Mutex
	path, cpPath, origin string
	vkey                 string
	signer               note.Signer
	verifier             note.Verifier
	next                 uint64
	head                 string      // hash of the last line (the prev chain)
	hashes               []tlog.Hash // tlog stored hashes of all records
	root                 tlog.Hash
	// logBytes and cpBytes are the files' sizes as this Log left them; an
	// Append to files that changed since is refused.
	logBytes, cpBytes int64
	// cache is the last state read and verified in full, for the files as
	// cacheKey describes them: a kiosk's review reads the log several
	// times, and verifying every checkpoint each time grew with the log.
	cache    *state
	cacheKey filesKey
}

// filesKey is what a re-read would have to differ in: the sizes and
// modification times of the log and its checkpoints.
type filesKey struct {
	logSize, cpSize int64
	logMod, cpMod   time.Time
}

func (l *Log) filesKey() (filesKey, error) {
	a, err := os.Stat(l.path)
	if err != nil {
		return filesKey{}, err
	}
	b, err := os.Stat(l.cpPath)
	if err != nil {
		return filesKey{}, err
	}
	return filesKey{a.Size(), b.Size(), a.ModTime(), b.ModTime()}, nil
}

// ErrLocked means another process held the log's lock for too long.
var ErrLocked = errors.New("the audit log is busy")

// lockWait is how long an Append waits for another process's append.
const lockWait = 10 * time.Second

// LockPath is the lock file beside the log at path, which every Append
// holds (an OS lock) while it writes: several processes on one log (the
// kiosk's app and its command line, the coordinator's server and CLI)
// append one at a time, each after the others' entries.
func LockPath(path string) string {
	return strings.TrimSuffix(path, ".log") + ".lock"
}

// CheckpointsPath is where the signed checkpoints of the log at path live:
// the path with ".log" replaced by ".checkpoints" (or ".checkpoints" added).
func CheckpointsPath(path string) string {
	return strings.TrimSuffix(path, ".log") + ".checkpoints"
}

// Create makes a new, empty log at path, signs its checkpoint of size 0 as
// origin with s, and refuses to replace an existing log or checkpoints file.
// origin names the log in every checkpoint, e.g. "airsign kiosk <key id>".
func Create(path, origin string, s Signer) (*Log, error) {
	l, err := newLog(path, origin, s)
	if err != nil {
		return nil, fmt.Errorf("creating audit log: %w", err)
	}
	cp, err := signCheckpoint(l.signer, origin, 0, l.root)
	if err != nil {
		return nil, fmt.Errorf("creating audit log: %w", err)
	}
	l.cpBytes = int64(len(cp)) + 1
	if err := fileio.WriteNew(l.cpPath, append(cp, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("creating audit log: %w", err)
	}
	if err := fileio.WriteNew(path, nil, 0o600); err != nil {
		os.Remove(l.cpPath)
		return nil, fmt.Errorf("creating audit log: %w", err)
	}
	return l, nil
}

func newLog(path, origin string, s Signer) (*Log, error) {
	if err := checkOrigin(origin); err != nil {
		return nil, err
	}
	ns, v, err := NoteSigner(s)
	if err != nil {
		return nil, err
	}
	vkey, err := VerifierKey(s.PublicKey())
	if err != nil {
		return nil, err
	}
	l := &Log{path: path, cpPath: CheckpointsPath(path), origin: origin, vkey: vkey, signer: ns, verifier: v, head: genesis}
	l.root, _ = tlog.TreeHash(0, nil)
	return l, nil
}

// Open verifies the whole log at path, and its checkpoints, with s's public
// key and origin, and returns it ready for appends. A log that fails
// verification is not opened: the kiosk must not add to a record that
// someone has changed. The error names the line or checkpoint at fault. A
// log file that does not exist is an error matching fs.ErrNotExist.
func Open(path, origin string, s Signer) (*Log, error) {
	l, err := newLog(path, origin, s)
	if err != nil {
		return nil, fmt.Errorf("audit log %s: %w", path, err)
	}
	st, err := l.lockedLoad()
	if err != nil {
		return nil, err
	}
	l.next = uint64(len(st.lines))
	l.logBytes, l.cpBytes = st.logBytes, st.cpBytes
	l.head = st.head
	l.hashes = st.hashes
	l.root = st.latest.Root
	// An auditor's witnessed checkpoints pin what the log held.
	if err := l.checkWitnesses(); err != nil {
		return nil, fmt.Errorf("audit log %s: %w", path, err)
	}
	return l, nil
}

// Len is the number of entries.
func (l *Log) Len() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.next
}

// Head is the hex SHA-256 of the last line, which commits to the whole log
// through the prev chain.
func (l *Log) Head() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.head
}

// Root is the tree hash the latest checkpoint signs.
func (l *Log) Root() tlog.Hash {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.root
}

// Origin is the log's name in its checkpoints.
func (l *Log) Origin() string { return l.origin }

// VerifierKey is the note verifier key that checks this log's checkpoints.
func (l *Log) VerifierKey() string { return l.vkey }

// Append adds one entry and signs a checkpoint of the new size. data is
// marshalled as JSON and must not hold a secret. The line and then the
// checkpoint are each written with one write call and synced before Append
// returns. If the kiosk stops between the two, the next Open reports the
// last line as not covered by a checkpoint: an auditor must look.
//
// Another process may have appended since this Log was opened: under the
// lock, Append then verifies the files again and goes on after their
// entries, provided the log still holds every entry this Log saw.
func (l *Log) Append(kind string, data any, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if kind == "" {
		return errors.New("audit entry needs a kind")
	}
	unlock, err := lockFile(LockPath(l.path), lockWait)
	if err != nil {
		return fmt.Errorf("appending to audit log: %w", err)
	}
	defer unlock()
	if err := l.catchUp(); err != nil {
		return err
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("audit entry %q: %w", kind, err)
	}
	e := Entry{Seq: l.next, Time: now.UTC(), Kind: kind, Prev: l.head}
	if string(raw) != "null" {
		e.Data = raw
	}
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit entry %q: %w", kind, err)
	}
	if len(line) >= MaxLineBytes {
		return fmt.Errorf("audit entry %q is %d bytes, more than the %d a line may have", kind, len(line), MaxLineBytes)
	}
	n := int64(l.next)
	stored, err := tlog.StoredHashes(n, line, l.reader())
	if err != nil {
		return fmt.Errorf("audit entry %q: %w", kind, err)
	}
	hashes := append(l.hashes[:len(l.hashes):len(l.hashes)], stored...)
	root, err := tlog.TreeHash(n+1, hashSlice(hashes))
	if err != nil {
		return fmt.Errorf("audit entry %q: %w", kind, err)
	}
	cp, err := signCheckpoint(l.signer, l.origin, n+1, root)
	if err != nil {
		return fmt.Errorf("signing the audit checkpoint: %w", err)
	}
	if err := l.unchanged(); err != nil {
		return err
	}
	if err := appendSynced(l.path, append(line, '\n')); err != nil {
		return fmt.Errorf("appending to audit log: %w", err)
	}
	if err := appendSynced(l.cpPath, append(cp, '\n')); err != nil {
		return fmt.Errorf("appending the signed checkpoint of the audit log (the log now has a record no checkpoint covers): %w", err)
	}
	l.cache = nil
	sum := sha256.Sum256(line)
	l.head = hex.EncodeToString(sum[:])
	l.hashes = hashes
	l.root = root
	l.next++
	l.logBytes += int64(len(line)) + 1
	l.cpBytes += int64(len(cp)) + 1
	return nil
}

// catchUp takes in what other processes appended since this Log last read
// or wrote the files: it verifies them again, in full, and accepts them only
// if the log still begins with every entry this Log saw (appended to, not
// rewritten or cut).
func (l *Log) catchUp() error {
	if l.unchanged() == nil {
		return nil
	}
	st, err := l.load()
	if err != nil {
		return fmt.Errorf("appending to audit log: it changed since this process read it, and does not verify now: %w", err)
	}
	if len(st.lines) < int(l.next) || len(st.hashes) < len(l.hashes) || !slices.Equal(st.hashes[:len(l.hashes)], l.hashes) {
		return fmt.Errorf("appending to audit log: %s no longer begins with the %d entries this process saw: it was rewritten or cut (tampering, or a restore from a backup); nothing more is written until an auditor looks", l.path, l.next)
	}
	l.next = uint64(len(st.lines))
	l.logBytes, l.cpBytes = st.logBytes, st.cpBytes
	l.head = st.head
	l.hashes = st.hashes
	l.root = st.latest.Root
	return nil
}

// unchanged says whether the files are as this Log left them.
func (l *Log) unchanged() error {
	for _, f := range []struct {
		path string
		size int64
	}{{l.path, l.logBytes}, {l.cpPath, l.cpBytes}} {
		st, err := os.Stat(f.path)
		if err != nil {
			return fmt.Errorf("appending to audit log: %w", err)
		}
		if st.Size() != f.size {
			return fmt.Errorf("appending to audit log: %s is %d bytes, not the %d this kiosk last wrote: it changed since the log was verified (another process, or a failed write); open it again", f.path, st.Size(), f.size)
		}
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

func (l *Log) reader() tlog.HashReader { return hashSlice(l.hashes) }

// hashSlice serves stored hashes kept in order of their index.
type hashSlice []tlog.Hash

func (h hashSlice) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(h)) {
			return nil, fmt.Errorf("tree hash %d is not stored", x)
		}
		out[i] = h[x]
	}
	return out, nil
}

// Entries reads the log from disk again, verifies it as Open does, and
// returns its entries.
func (l *Log) Entries() ([]Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st, err := l.lockedLoad()
	if err != nil {
		return nil, err
	}
	return slices.Clone(st.entries), nil
}

// Checkpoint is the latest signed checkpoint, read and verified from disk.
func (l *Log) Checkpoint() (Checkpoint, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st, err := l.lockedLoad()
	if err != nil {
		return Checkpoint{}, err
	}
	return st.latest, nil
}

// lockedLoad reads and verifies the files under the log's lock, so that it
// never sees another process's entry before that entry's checkpoint (which
// would look like an entry nobody signed). Where the lock cannot be taken
// at all (a read-only copy of the files), it reads without it.
func (l *Log) lockedLoad() (*state, error) {
	unlock, err := lockFile(LockPath(l.path), lockWait)
	switch {
	case errors.Is(err, ErrLocked):
		return nil, fmt.Errorf("reading audit log: %w", err)
	case err == nil:
		defer unlock()
	}
	// Taken before the read: a file changed while it is read gets another
	// key next time, and is read again.
	key, kerr := l.filesKey()
	if kerr == nil && l.cache != nil && key == l.cacheKey {
		return l.cache, nil
	}
	st, err := l.load()
	if err != nil {
		l.cache = nil
		return nil, err
	}
	if kerr == nil {
		l.cache, l.cacheKey = st, key
	}
	return st, nil
}

// state is a verified log as read from disk.
type state struct {
	lines       [][]byte
	entries     []Entry
	head        string
	hashes      []tlog.Hash
	checkpoints []Checkpoint
	latest      Checkpoint
	logBytes    int64
	cpBytes     int64
}

func (l *Log) load() (*state, error) {
	data, err := os.ReadFile(l.path)
	if err != nil {
		return nil, fmt.Errorf("opening audit log: %w", err)
	}
	cpData, err := os.ReadFile(l.cpPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("audit log %s: its signed checkpoints (%s) are missing, so nothing proves the log is the kiosk's", l.path, l.cpPath)
	}
	if err != nil {
		return nil, fmt.Errorf("opening audit log checkpoints: %w", err)
	}
	st, err := verifyFiles(data, cpData, l.origin, l.verifier)
	if err != nil {
		return nil, fmt.Errorf("audit log %s: %w", l.path, err)
	}
	st.logBytes, st.cpBytes = int64(len(data)), int64(len(cpData))
	return st, nil
}

// verifyFiles verifies a log and its checkpoints file completely.
func verifyFiles(logData, cpData []byte, origin string, v note.Verifier) (*state, error) {
	lines, err := splitLines(logData)
	if err != nil {
		return nil, err
	}
	st := &state{lines: lines}
	for i, line := range lines {
		h, err := tlog.StoredHashes(int64(i), line, hashSlice(st.hashes))
		if err != nil {
			return nil, err
		}
		st.hashes = append(st.hashes, h...)
	}
	notes, err := splitNotes(cpData)
	if err != nil {
		return nil, fmt.Errorf("checkpoints file: %w", err)
	}
	if len(notes) == 0 {
		return nil, errors.New("checkpoints file is empty: no signed checkpoint covers the log")
	}
	matched := int64(-1) // largest size known to match the log
	for i, msg := range notes {
		c, err := OpenCheckpoint(msg, v)
		if err != nil {
			return nil, fmt.Errorf("checkpoint %d: %w", i+1, err)
		}
		if c.Origin != origin {
			return nil, fmt.Errorf("checkpoint %d is for log %q, not %q", i+1, c.Origin, origin)
		}
		if i > 0 {
			prev := st.checkpoints[i-1]
			if c.Size < prev.Size {
				return nil, fmt.Errorf("checkpoint %d has size %d, less than checkpoint %d's %d: the checkpoints go backwards (an older checkpoint was replayed)", i+1, c.Size, i, prev.Size)
			}
			if c.Size == prev.Size && c.Root != prev.Root {
				return nil, fmt.Errorf("checkpoints %d and %d both sign size %d with different roots: the log was forked", i, i+1, c.Size)
			}
		}
		if c.Size > int64(len(lines)) {
			return nil, fmt.Errorf("checkpoint %d signs %d records but the log has %d: the log was truncated (lines %d to %d are missing)", i+1, c.Size, len(lines), len(lines)+1, c.Size)
		}
		root, err := tlog.TreeHash(c.Size, hashSlice(st.hashes))
		if err != nil {
			return nil, err
		}
		if root != c.Root {
			if matched+1 == c.Size {
				return nil, fmt.Errorf("line %d was changed, removed or inserted: the first %d lines no longer hash to the root signed in checkpoint %d", c.Size, c.Size, i+1)
			}
			return nil, fmt.Errorf("one of lines %d to %d was changed, removed or inserted: the first %d lines no longer hash to the root signed in checkpoint %d", matched+2, c.Size, c.Size, i+1)
		}
		matched = c.Size
		st.checkpoints = append(st.checkpoints, c)
	}
	st.latest = st.checkpoints[len(st.checkpoints)-1]
	if n := int64(len(lines)); n > st.latest.Size {
		return nil, fmt.Errorf("lines %d to %d are not covered by any signed checkpoint (the latest signs %d records): they were added by something other than the kiosk, or it stopped between writing a record and signing it", st.latest.Size+1, n, st.latest.Size)
	}
	st.entries, st.head, err = checkEntries(lines, 0, genesis)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// splitLines splits a log into its lines, each without its newline.
func splitLines(data []byte) ([][]byte, error) {
	var lines [][]byte
	for n := 1; len(data) > 0; n++ {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			if len(data) >= MaxLineBytes {
				return nil, fmt.Errorf("line %d is longer than %d bytes", n, MaxLineBytes)
			}
			return nil, fmt.Errorf("line %d has no newline: a write was cut short or the log was edited", n)
		}
		if i >= MaxLineBytes {
			return nil, fmt.Errorf("line %d is longer than %d bytes", n, MaxLineBytes)
		}
		lines = append(lines, data[:i])
		data = data[i+1:]
	}
	if int64(len(lines)) > MaxSize {
		return nil, errors.New("the log has too many lines")
	}
	return lines, nil
}

// checkEntries parses lines as entries first..first+len(lines)-1 whose first
// prev hash is prev ("" to skip that check), and checks sequence numbers and
// the prev chain.
func checkEntries(lines [][]byte, first int64, prev string) ([]Entry, string, error) {
	head := prev
	var entries []Entry
	for i, line := range lines {
		n := first + int64(i) + 1 // line number
		var e Entry
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, "", fmt.Errorf("line %d is not an audit entry: %v", n, err)
		}
		if dec.More() {
			return nil, "", fmt.Errorf("line %d is not an audit entry: it has data after the entry", n)
		}
		if e.Seq != uint64(n-1) {
			return nil, "", fmt.Errorf("line %d has sequence number %d, want %d: an entry was removed or inserted", n, e.Seq, n-1)
		}
		if head != "" && e.Prev != head {
			return nil, "", fmt.Errorf("line %d does not follow line %d (its prev hash differs): the log was edited", n, n-1)
		}
		if e.Kind == "" {
			return nil, "", fmt.Errorf("line %d has no kind", n)
		}
		sum := sha256.Sum256(line)
		head = hex.EncodeToString(sum[:])
		entries = append(entries, e)
	}
	return entries, head, nil
}

// Verify reads a whole log and checks its form and prev chain only, not its
// checkpoints: use Open or Log.Entries for a log on disk and VerifyExport
// for an export. It returns the entries in order, or an error naming the
// first line that does not fit.
func Verify(r io.Reader) ([]Entry, error) {
	data, err := io.ReadAll(bufio.NewReader(r))
	if err != nil {
		return nil, err
	}
	lines, err := splitLines(data)
	if err != nil {
		return nil, err
	}
	entries, _, err := checkEntries(lines, 0, genesis)
	return entries, err
}
