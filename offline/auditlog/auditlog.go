// Package auditlog keeps the kiosk's append-only, hash-chained record of
// every state change, so that a later reader can tell whether a line was
// edited, removed or inserted.
//
// The log is one JSON object a line. Each line names the SHA-256 of the
// exact bytes of the line before it, so the chain can be checked with
// nothing but sha256sum. Entries never hold a secret.
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
	"os"
	"time"
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

// Log is an open audit log file.
type Log struct {
	path string
	next uint64
	head string // hash of the last line
}

// Create makes a new, empty log at path and refuses to replace one.
func Create(path string) (*Log, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating audit log: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("creating audit log: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("creating audit log: %w", err)
	}
	return &Log{path: path, head: genesis}, nil
}

// Open verifies the whole log at path and returns it ready for appends. A log
// that fails verification is not opened: the kiosk must not add to a record
// that someone has changed.
func Open(path string) (*Log, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening audit log: %w", err)
	}
	defer f.Close()
	entries, head, err := verify(f)
	if err != nil {
		return nil, fmt.Errorf("audit log %s: %w", path, err)
	}
	return &Log{path: path, next: uint64(len(entries)), head: head}, nil
}

// Len is the number of entries.
func (l *Log) Len() uint64 { return l.next }

// Head is the hex SHA-256 of the last line, which commits to the whole log.
func (l *Log) Head() string { return l.head }

// Append adds one entry. data is marshalled as JSON and must not hold a
// secret. The line is written with one write call and synced before Append
// returns.
func (l *Log) Append(kind string, data any, now time.Time) error {
	if kind == "" {
		return errors.New("audit entry needs a kind")
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
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("appending to audit log: %w", err)
	}
	_, werr := f.Write(append(line, '\n'))
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("appending to audit log: %w", err)
	}
	sum := sha256.Sum256(line)
	l.head = hex.EncodeToString(sum[:])
	l.next++
	return nil
}

// Verify reads a whole log and checks its chain. It returns the entries in
// order, or an error naming the first line that does not fit.
func Verify(r io.Reader) ([]Entry, error) {
	entries, _, err := verify(r)
	return entries, err
}

func verify(r io.Reader) ([]Entry, string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLineBytes)
	head := genesis
	var entries []Entry
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		var e Entry
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, "", fmt.Errorf("line %d is not an audit entry: %v", n, err)
		}
		if e.Seq != uint64(n-1) {
			return nil, "", fmt.Errorf("line %d has sequence number %d, want %d: an entry was removed or inserted", n, e.Seq, n-1)
		}
		if e.Prev != head {
			return nil, "", fmt.Errorf("line %d does not follow line %d (its prev hash differs): the log was edited", n, n-1)
		}
		sum := sha256.Sum256(line)
		head = hex.EncodeToString(sum[:])
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, "", fmt.Errorf("line %d is longer than %d bytes", len(entries)+1, MaxLineBytes)
		}
		return nil, "", err
	}
	return entries, head, nil
}
