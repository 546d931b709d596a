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
// Those files are one Storage (Files). A log may live in another, which
// keeps the same records and the same checkpoint notes (storage.go):
// coordinators sharing a PostgreSQL database keep their one log in a table
// of it (online/store), and its export is the same as from files.
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
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
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
	mu       sync.Mutex
	store    Storage
	path     string // the log file, for a log in files; "" in another storage
	origin   string
	vkey     string
	key      Signer
	signer   note.Signer
	verifier note.Verifier
	next     uint64
	head     string      // hash of the last line (the prev chain)
	hashes   []tlog.Hash // tlog stored hashes of all records
	root     tlog.Hash
	latest   []byte // the latest checkpoint's note, as stored
	// version is the storage as this Log last read or wrote it; an Append
	// to a storage that changed since catches up first.
	version Version
	// moved says the last entry is KindMoved, to movedTo.
	moved   bool
	movedTo string
	// cache is the last state read and verified in full, for the storage
	// at cacheVersion: a kiosk's review reads the log several times, and
	// verifying every checkpoint each time grew with the log.
	cache        *state
	cacheVersion Version
	// verified counts the checkpoint signatures this Log has verified.
	verified uint64
	// broken is why a read found the stored log changed behind this Log
	// (ErrChanged): nothing more is appended or handed out until the
	// process opens the log again, which verifies it whole.
	broken error
	// floorSize and floorRoot are the largest checkpoint this Log has
	// verified or signed: every log it reads or appends to later must
	// begin with it. A log cut back (rows deleted with their checkpoints)
	// or rewritten still verifies by itself; without the floor this
	// process would take it, hand out its smaller checkpoint and sign new
	// entries over the cut: a fork under its own key.
	floorSize int64
	floorRoot tlog.Hash
}

// ErrChanged means a read found the stored log no longer verifying: a
// record or checkpoint was edited, removed or added behind the Log. The
// Log then refuses every append and read (so the coordinator stops
// acting, as its actions are logged first) until it is opened again.
var ErrChanged = errors.New("the audit log changed behind this process and does not verify")

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
	return CreateStorage(Files(path), origin, s)
}

func newLog(st Storage, origin string, s Signer) (*Log, error) {
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
	l := &Log{store: st, origin: origin, vkey: vkey, key: s, signer: ns, verifier: v, head: genesis}
	if f, ok := st.(*files); ok {
		l.path = f.path
	}
	l.root, _ = tlog.TreeHash(0, nil)
	l.floorRoot = l.root
	return l, nil
}

// Open verifies the whole log at path, and its checkpoints, with s's public
// key and origin, and returns it ready for appends. A log that fails
// verification is not opened: the kiosk must not add to a record that
// someone has changed. The error names the line or checkpoint at fault. A
// log file that does not exist is an error matching fs.ErrNotExist.
func Open(path, origin string, s Signer) (*Log, error) {
	return OpenStorage(Files(path), origin, s)
}

// adopt takes a state read and verified in full as the one to append to.
// Its hashes are copied: a state's slices grow by appends, and another
// state made from the same one must not write where this Log reads.
func (l *Log) adopt(v *state) {
	l.next = uint64(len(v.lines))
	l.head = v.head
	l.hashes = slices.Clone(v.hashes)
	l.root = v.latest.Root
	l.latest = v.latest.Note
	l.version = v.version
	l.moved = false
	if len(v.entries) > 0 {
		l.setMoved(v.entries[len(v.entries)-1])
	}
}

// setMoved notes whether e, the last entry, moved the log.
func (l *Log) setMoved(e Entry) {
	l.moved, l.movedTo = e.Kind == KindMoved, ""
	if l.moved {
		l.movedTo = movedTo(e)
	}
}

// keeps checks that a verified log of size records with these stored
// hashes begins with the floor: the largest checkpoint this Log verified
// or signed before.
func (l *Log) keeps(hashes []tlog.Hash, size int64) error {
	if size < l.floorSize {
		return fmt.Errorf("it holds %d records, fewer than the %d this process saw: it was cut back (rows or lines removed with their checkpoints, or a backup restored)", size, l.floorSize)
	}
	root, err := tlog.TreeHash(l.floorSize, hashSlice(hashes))
	if err != nil || root != l.floorRoot {
		return fmt.Errorf("its first %d records are not the ones this process saw: it was rewritten", l.floorSize)
	}
	return nil
}

// raise makes a checkpoint this Log verified or signed its floor, when it
// is larger.
func (l *Log) raise(size int64, root tlog.Hash) {
	if size > l.floorSize {
		l.floorSize, l.floorRoot = size, root
	}
}

// changed records that this Log found its storage changed behind it
// (ErrChanged) and returns that error: it refuses everything after.
func (l *Log) changed(err error) error {
	l.cache = nil
	l.broken = fmt.Errorf("%w: audit log %s: %v; nothing more is written until an auditor looks (then restart: opening the log verifies it whole)", ErrChanged, l.store, err)
	return l.broken
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

// VerifiedCheckpoints is how many checkpoint signatures this Log has
// verified since it was opened: what its reads have cost. Open verifies
// every one; later reads only those added since (lockedLoad).
func (l *Log) VerifiedCheckpoints() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.verified
}

// Origin is the log's name in its checkpoints.
func (l *Log) Origin() string { return l.origin }

// VerifierKey is the note verifier key that checks this log's checkpoints.
func (l *Log) VerifierKey() string { return l.vkey }

// Storage is where the log is kept.
func (l *Log) Storage() Storage { return l.store }

// Append adds one entry and signs a checkpoint of the new size. data is
// marshalled as JSON and must not hold a secret. In files, the line and
// then the checkpoint are each written with one write call and synced
// before Append returns. If the kiosk stops between the two, the next Open
// reports the last line as not covered by a checkpoint: an auditor must
// look. A storage with transactions stores both at once.
//
// Another process may have appended since this Log read the storage:
// under the storage's lock, Append then verifies what it holds again and
// goes on after their entries, provided it still holds every entry this
// Log saw.
func (l *Log) Append(kind string, data any, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if kind == "" {
		return errors.New("audit entry needs a kind")
	}
	if l.broken != nil {
		return fmt.Errorf("appending to audit log: %w", l.broken)
	}
	lk, err := l.store.Lock(true)
	if err != nil {
		return fmt.Errorf("appending to audit log: %w", err)
	}
	defer lk.Unlock()
	if err := l.catchUp(lk); err != nil {
		return err
	}
	if l.moved && l.path != "" && l.movedTo != l.path {
		return fmt.Errorf("appending to audit log: %s was moved to %s, where the log goes on (its last entry, %d, says so); this process must use that", l.store, l.movedTo, l.next)
	}
	p, err := l.prepare(kind, data, now)
	if err != nil {
		return err
	}
	ver, err := lk.Append(p.line, p.cp)
	if err != nil {
		return fmt.Errorf("appending to audit log: %w", err)
	}
	if err := lk.Unlock(); err != nil {
		return fmt.Errorf("appending to audit log: %w", err)
	}
	l.appended(p, ver)
	return nil
}

// pending is the next entry, made and not yet stored: its line, the
// checkpoint of the log with it, and the tree's stored hashes and root
// then.
type pending struct {
	line, cp []byte
	hashes   []tlog.Hash
	root     tlog.Hash
}

// prepare makes the next entry.
func (l *Log) prepare(kind string, data any, now time.Time) (pending, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return pending{}, fmt.Errorf("audit entry %q: %w", kind, err)
	}
	e := Entry{Seq: l.next, Time: now.UTC(), Kind: kind, Prev: l.head}
	if string(raw) != "null" {
		e.Data = raw
	}
	var p pending
	p.line, err = json.Marshal(e)
	if err != nil {
		return pending{}, fmt.Errorf("audit entry %q: %w", kind, err)
	}
	if len(p.line) >= MaxLineBytes {
		return pending{}, fmt.Errorf("audit entry %q is %d bytes, more than the %d a line may have", kind, len(p.line), MaxLineBytes)
	}
	n := int64(l.next)
	stored, err := tlog.StoredHashes(n, p.line, l.reader())
	if err != nil {
		return pending{}, fmt.Errorf("audit entry %q: %w", kind, err)
	}
	p.hashes = append(l.hashes[:len(l.hashes):len(l.hashes)], stored...)
	p.root, err = tlog.TreeHash(n+1, hashSlice(p.hashes))
	if err != nil {
		return pending{}, fmt.Errorf("audit entry %q: %w", kind, err)
	}
	p.cp, err = signCheckpoint(l.signer, l.origin, n+1, p.root)
	if err != nil {
		return pending{}, fmt.Errorf("signing the audit checkpoint: %w", err)
	}
	return p, nil
}

// appended takes in the entry p, now stored, which left the storage at
// version ver.
func (l *Log) appended(p pending, ver Version) {
	sum := sha256.Sum256(p.line)
	l.head = hex.EncodeToString(sum[:])
	l.hashes = p.hashes
	l.root = p.root
	l.latest = p.cp
	l.version = ver
	l.next++
	l.raise(int64(l.next), p.root)
}

// catchUp takes in what other processes appended since this Log last read
// or wrote the storage. A storage that answers with the whole log has it
// verified again, in full, and accepted only if the log still begins with
// every entry this Log saw (appended to, not rewritten or cut); one that
// answers with what follows them has that verified (extend).
func (l *Log) catchUp(lk Locked) error {
	c, err := lk.Read(int64(l.next), l.version)
	if err != nil {
		return fmt.Errorf("appending to audit log: reading it again: audit log %s: %w", l.store, err)
	}
	switch {
	case c.Unchanged:
		return nil
	case c.From == int64(l.next) && l.next > 0:
		if err := l.extend(c); err != nil {
			return l.changed(err)
		}
		if err := l.keeps(l.hashes, int64(l.next)); err != nil {
			return l.changed(err)
		}
		l.raise(int64(l.next), l.root)
		return nil
	case c.From != 0:
		return fmt.Errorf("appending to audit log: %s answered with records from %d, not %d", l.store, c.From, l.next)
	}
	// A whole log: what a read of this Log verified already and the
	// storage repeats byte for byte is not verified again.
	v, ok, err := l.verifyMore(l.cache, c)
	if err == nil && !ok {
		v, err = l.verify(c)
	}
	if err == nil && (len(v.lines) < int(l.next) || len(v.hashes) < len(l.hashes) || !slices.Equal(v.hashes[:len(l.hashes)], l.hashes)) {
		err = fmt.Errorf("it no longer begins with the %d entries this process saw: it was rewritten or cut (tampering, or a restore from a backup)", l.next)
	}
	if err == nil {
		err = l.keeps(v.hashes, int64(len(v.lines)))
	}
	if err != nil {
		return l.changed(err)
	}
	l.adopt(v)
	if v.version != nil {
		// The next read goes on from here, not from the state before.
		l.cache, l.cacheVersion = v, v.version
	}
	l.raise(v.latest.Size, v.latest.Root)
	return nil
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

// Entries reads the whole log from its storage again, checks it as Open
// does, and returns its entries. What this Log verified before and the
// storage still holds byte for byte is not verified again (fullRead).
func (l *Log) Entries() ([]Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st, err := l.lockedLoad(fullRead)
	if err != nil {
		return nil, err
	}
	return slices.Clone(st.entries), nil
}

// Checkpoint is the latest signed checkpoint, read from the storage with
// what was appended since this Log last read it verified (tailRead).
func (l *Log) Checkpoint() (Checkpoint, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st, err := l.lockedLoad(tailRead)
	if err != nil {
		return Checkpoint{}, err
	}
	return st.latest, nil
}

// readKind says how much of the storage a read asks for again.
type readKind int

const (
	// tailRead asks only for what follows the records this Log has
	// verified, where the storage can answer so (a table): each PSBT the
	// coordinator hands out carries its checkpoint, and verifying the
	// whole log, every checkpoint's signature, for each one made the
	// cost of a withdrawal grow with the log. The records before are
	// verified once, when the Log opens, and by every fullRead.
	tailRead readKind = iota
	// fullRead reads every record and checkpoint again: what an auditor
	// or an export is given. Records and checkpoints equal, byte for
	// byte, to ones this Log verified are not verified again; any other
	// difference is verified in full, which names what changed.
	fullRead
)

// lockedLoad reads the log under the storage's read lock, so that it
// never sees another process's entry before that entry's checkpoint
// (which would look like an entry nobody signed), and returns it
// verified. The first read verifies everything (Open); later ones verify
// what was added since the last (verifyMore), and a storage that still
// holds what the last read found is not read again.
func (l *Log) lockedLoad(kind readKind) (*state, error) {
	if l.broken != nil {
		return nil, l.broken
	}
	lk, err := l.store.Lock(false)
	if err != nil {
		return nil, fmt.Errorf("reading audit log: %w", err)
	}
	defer lk.Unlock()
	base := l.cache
	var from int64
	var known Version
	if base != nil && kind == tailRead {
		from, known = int64(len(base.lines)), l.cacheVersion
	}
	c, err := lk.Read(from, known)
	if err != nil {
		l.cache = nil
		return nil, fmt.Errorf("audit log %s: %w", l.store, err)
	}
	if c.Unchanged && base != nil {
		return base, nil
	}
	st, ok, err := l.verifyMore(base, c)
	if err == nil && !ok {
		// What the storage answered does not go on from what was
		// verified: read and verify all of it, for the error that
		// names what changed; a log that verifies by itself must
		// still begin with what this Log saw (keeps).
		if c, err = lk.Read(0, nil); err != nil {
			l.cache = nil
			return nil, fmt.Errorf("audit log %s: %w", l.store, err)
		}
		st, err = l.verify(c)
	}
	if err == nil {
		err = l.keeps(st.hashes, int64(len(st.lines)))
	}
	if err != nil {
		return nil, l.changed(err)
	}
	l.raise(st.latest.Size, st.latest.Root)
	l.cache, l.cacheVersion = st, st.version
	if st.version == nil {
		l.cache = nil
	}
	return st, nil
}

// state is a verified log as read from its storage. A state grows into
// the next by appending to its slices, so a state is never changed after
// another was made from it, except beyond its own lengths.
type state struct {
	lines       [][]byte
	entries     []Entry
	head        string
	hashes      []tlog.Hash
	checkpoints []Checkpoint
	latest      Checkpoint
	version     Version
}

// verify verifies a whole log as a storage returned it.
func (l *Log) verify(c Contents) (*state, error) {
	if c.From != 0 || c.Unchanged {
		return nil, fmt.Errorf("asked for the whole log, the storage answered from record %d", c.From)
	}
	st, err := verifyFrom(&state{head: genesis}, c.Records, c.Checkpoints, l.origin, l.verifier)
	if err != nil {
		return nil, err
	}
	l.verified += uint64(len(c.Checkpoints))
	st.version = c.Version
	return st, nil
}

// verifyMore verifies c, read after base was verified, as the log that
// base goes on to: the records and checkpoints base holds are not
// verified again when c repeats them byte for byte (a whole log) or
// begins with base's latest checkpoint (the records after base's). ok is
// false when c does not go on from base: it must be verified whole.
func (l *Log) verifyMore(base *state, c Contents) (st *state, ok bool, err error) {
	if base == nil {
		if c.From != 0 {
			return nil, false, nil
		}
		st, err = l.verify(c)
		return st, err == nil, err
	}
	n := int64(len(base.lines))
	var lines, notes [][]byte
	switch {
	case c.Unchanged:
		return nil, false, nil
	case c.From == 0:
		if len(c.Records) < len(base.lines) || len(c.Checkpoints) < len(base.checkpoints) {
			return nil, false, nil
		}
		for i, line := range base.lines {
			if !bytes.Equal(line, c.Records[i]) {
				return nil, false, nil
			}
		}
		for i, cp := range base.checkpoints {
			if !bytes.Equal(cp.Note, c.Checkpoints[i]) {
				return nil, false, nil
			}
		}
		lines, notes = c.Records, c.Checkpoints
	case c.From == n:
		if len(c.Checkpoints) == 0 || !bytes.Equal(c.Checkpoints[0], base.latest.Note) {
			return nil, false, nil
		}
		lines = append(base.lines, c.Records...)
		notes = make([][]byte, len(base.checkpoints), len(base.checkpoints)+len(c.Checkpoints)-1)
		for i, cp := range base.checkpoints {
			notes[i] = cp.Note
		}
		notes = append(notes, c.Checkpoints[1:]...)
	default:
		return nil, false, nil
	}
	st, err = verifyFrom(base, lines, notes, l.origin, l.verifier)
	if err != nil {
		return nil, false, err
	}
	l.verified += uint64(len(notes) - len(base.checkpoints))
	st.version = c.Version
	return st, true, nil
}

// verifyFrom verifies a log's records and checkpoints completely, given
// base, a verified state whose records and checkpoints lines and notes
// begin with: only the rest is verified (all of it from an empty base).
func verifyFrom(base *state, lines, notes [][]byte, origin string, v note.Verifier) (*state, error) {
	nb := len(base.lines)
	if err := checkRecords(lines[nb:], int64(nb)); err != nil {
		return nil, err
	}
	st := &state{lines: lines, hashes: base.hashes, checkpoints: base.checkpoints}
	for i := nb; i < len(lines); i++ {
		h, err := tlog.StoredHashes(int64(i), lines[i], hashSlice(st.hashes))
		if err != nil {
			return nil, err
		}
		st.hashes = append(st.hashes, h...)
	}
	if len(notes) == 0 {
		return nil, errors.New("checkpoints file is empty: no signed checkpoint covers the log")
	}
	matched := int64(-1) // largest size known to match the log
	if len(base.checkpoints) > 0 {
		matched = base.latest.Size
	}
	for i := len(base.checkpoints); i < len(notes); i++ {
		c, err := OpenCheckpoint(notes[i], v)
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
	more, head, err := checkEntries(lines[nb:], int64(nb), base.head)
	if err != nil {
		return nil, err
	}
	st.entries, st.head = append(base.entries, more...), head
	return st, nil
}

// checkRecords checks that records first.. are each one line of a log:
// no newline, shorter than MaxLineBytes, and not too many.
func checkRecords(records [][]byte, first int64) error {
	if first+int64(len(records)) > MaxSize {
		return errors.New("the log has too many lines")
	}
	for i, r := range records {
		if len(r) >= MaxLineBytes {
			return fmt.Errorf("line %d is longer than %d bytes", first+int64(i)+1, MaxLineBytes)
		}
		if bytes.IndexByte(r, '\n') >= 0 {
			return fmt.Errorf("line %d holds a newline: it is not one record", first+int64(i)+1)
		}
	}
	return nil
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
