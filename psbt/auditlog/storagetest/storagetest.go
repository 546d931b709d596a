// Package storagetest checks an auditlog.Storage: the same tests for the
// log in files (psbt/auditlog's own tests) and for the log in a database
// (online/store's), through auditlog's API only, so that a log behaves
// the same, and exports the same bytes, wherever it is kept.
package storagetest

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"airsign/psbt/auditlog"
)

// Harness makes storages of one kind for Run.
type Harness struct {
	// New returns a storage holding no log.
	New func(t *testing.T) auditlog.Storage
	// Again returns another handle on what s holds, as another process
	// opens it (another open of the files, another connection pool).
	Again func(t *testing.T, s auditlog.Storage) auditlog.Storage
	// Rewrite replaces what s holds with these records and checkpoints
	// (one more checkpoint than records, the first of size 0), bypassing
	// the log, as someone with write access to the storage could.
	Rewrite func(t *testing.T, s auditlog.Storage, records, checkpoints [][]byte)
}

// key is a fixed device key, so checkpoints are reproducible.
type key struct{ priv ed25519.PrivateKey }

func (k key) Sign(msg []byte) []byte       { return ed25519.Sign(k.priv, msg) }
func (k key) PublicKey() ed25519.PublicKey { return k.priv.Public().(ed25519.PublicKey) }

func keyFromSeed(b byte) key {
	return key{ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))}
}

var (
	devKey   = keyFromSeed(1)
	otherKey = keyFromSeed(2)
	t0       = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
)

const origin = "airsign coordinator storagetest"

// Run runs every test on storages h makes.
func Run(t *testing.T, h Harness) {
	t.Run("CreateAppendReopen", func(t *testing.T) { testCreateAppendReopen(t, h) })
	t.Run("NothingStored", func(t *testing.T) { testNothingStored(t, h) })
	t.Run("ExportAsFromFiles", func(t *testing.T) { testExportAsFromFiles(t, h) })
	t.Run("HandlesTakeTurns", func(t *testing.T) { testHandlesTakeTurns(t, h) })
	t.Run("ConcurrentHandles", func(t *testing.T) { testConcurrentHandles(t, h) })
	t.Run("Tampering", func(t *testing.T) { testTampering(t, h) })
	t.Run("AnotherKey", func(t *testing.T) { testAnotherKey(t, h) })
	t.Run("MoveFromFiles", func(t *testing.T) { testMoveFromFiles(t, h) })
	t.Run("ReadCost", func(t *testing.T) { testReadCost(t, h) })
	t.Run("ReadsSeeTampering", func(t *testing.T) { testReadsSeeTampering(t, h) })
	t.Run("CutBackWhileOpen", func(t *testing.T) { testCutBackWhileOpen(t, h) })
}

func appendN(t testing.TB, l *auditlog.Log, n, off int) {
	t.Helper()
	for i := range n {
		if err := l.Append("event", map[string]int{"i": i + off}, t0.Add(time.Duration(i+off)*time.Second)); err != nil {
			t.Fatalf("append %d: %v", i+off, err)
		}
	}
}

// newLog creates a log in s with n entries.
func newLog(t testing.TB, s auditlog.Storage, n int) *auditlog.Log {
	t.Helper()
	l, err := auditlog.CreateStorage(s, origin, devKey)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, n, 0)
	return l
}

// stored reads what s holds, as the storage returns it.
func stored(t testing.TB, s auditlog.Storage) (records, checkpoints [][]byte) {
	t.Helper()
	lk, err := s.Lock(false)
	if err != nil {
		t.Fatal(err)
	}
	defer lk.Unlock()
	c, err := lk.Read(0, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c.Records, c.Checkpoints
}

// verified checks l as an auditor would: the records' prev chain with
// auditlog.Verify, and the export with VerifyExport. It returns the
// entries' kinds and data.
func verified(t testing.TB, l *auditlog.Log, s auditlog.Storage) []auditlog.Entry {
	t.Helper()
	records, _ := stored(t, s)
	var all []byte
	for _, r := range records {
		all = append(append(all, r...), '\n')
	}
	chain, err := auditlog.Verify(bytes.NewReader(all))
	if err != nil {
		t.Fatalf("the stored records' chain: %v", err)
	}
	ex, err := l.Export(0)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := auditlog.VerifyExport(ex, l.VerifierKey(), nil)
	if err != nil {
		t.Fatalf("the export: %v", err)
	}
	if len(rep.Entries) != len(chain) || rep.Size != int64(len(chain)) {
		t.Fatalf("the export holds %d entries (size %d), the storage %d", len(rep.Entries), rep.Size, len(chain))
	}
	return rep.Entries
}

func testCreateAppendReopen(t *testing.T, h Harness) {
	s := h.New(t)
	l := newLog(t, s, 3)
	if _, err := auditlog.CreateStorage(s, origin, devKey); !errors.Is(err, fs.ErrExist) {
		t.Errorf("creating a log where one is: %v, want fs.ErrExist", err)
	}
	l2, err := auditlog.OpenStorage(h.Again(t, s), origin, devKey)
	if err != nil {
		t.Fatal(err)
	}
	if l2.Len() != 3 || l2.Head() != l.Head() || l2.Root() != l.Root() {
		t.Fatalf("reopened: %d entries, head %s root %x; want 3, %s, %x", l2.Len(), l2.Head(), l2.Root(), l.Head(), l.Root())
	}
	appendN(t, l2, 2, 3)
	entries, err := l2.Entries()
	if err != nil || len(entries) != 5 || entries[4].Seq != 4 || string(entries[4].Data) != `{"i":4}` {
		t.Fatalf("entries after reopening and appending: %v, %v", entries, err)
	}
	cp, err := l2.Checkpoint()
	if err != nil || cp.Size != 5 || cp.Root != l2.Root() || cp.Origin != origin {
		t.Fatalf("checkpoint %+v, %v; want size 5 and the log's root", cp, err)
	}
	verified(t, l2, s)
}

func testNothingStored(t *testing.T, h Harness) {
	s := h.New(t)
	if _, err := auditlog.OpenStorage(s, origin, devKey); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("opening an empty storage: %v, want fs.ErrNotExist", err)
	}
	if _, _, err := auditlog.StartedBy(s); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("StartedBy on an empty storage: %v, want fs.ErrNotExist", err)
	}
}

// The same appends make the same log, byte for byte, in files and in the
// storage: an auditor cannot tell them apart, and airsign-audit verifies
// both.
func testExportAsFromFiles(t *testing.T, h Harness) {
	s := h.New(t)
	l := newLog(t, s, 7)
	f := newLog(t, auditlog.Files(filepath.Join(t.TempDir(), "audit.log")), 7)
	for _, since := range []int64{0, 3, 7} {
		a, err := l.Export(since)
		if err != nil {
			t.Fatal(err)
		}
		b, err := f.Export(since)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("export from %d differs from the same log's in files:\n%s\nfiles:\n%s", since, a, b)
		}
	}
}

// Two processes append in turn: each goes on after the other's entries.
func testHandlesTakeTurns(t *testing.T, h Harness) {
	s := h.New(t)
	l1 := newLog(t, s, 2)
	l2, err := auditlog.OpenStorage(h.Again(t, s), origin, devKey)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := l1.Append("one", map[string]int{"i": i}, t0); err != nil {
			t.Fatalf("first process, round %d: %v", i, err)
		}
		if err := l2.Append("two", map[string]int{"i": i}, t0); err != nil {
			t.Fatalf("second process, round %d: %v", i, err)
		}
	}
	var kinds []string
	for _, e := range verified(t, l2, s) {
		kinds = append(kinds, e.Kind)
	}
	if got, want := strings.Join(kinds, ","), "event,event,one,two,one,two,one,two"; got != want {
		t.Errorf("kinds %s, want %s", got, want)
	}
	if l1.Len() != 7 || l2.Len() != 8 {
		t.Errorf("Len %d and %d, want 7 (before the last append of the other) and 8", l1.Len(), l2.Len())
	}
}

// Two processes append 50 entries each at once: one log of 100 entries,
// each once, in an order both agree on.
func testConcurrentHandles(t *testing.T, h Harness) {
	const each = 50
	s := h.New(t)
	newLog(t, s, 0)
	var logs []*auditlog.Log
	for range 2 {
		l, err := auditlog.OpenStorage(h.Again(t, s), origin, devKey)
		if err != nil {
			t.Fatal(err)
		}
		logs = append(logs, l)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*each)
	for p, l := range logs {
		wg.Go(func() {
			for i := range each {
				errs <- l.Append("concurrent", map[string]int{"process": p, "i": i}, t0)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	entries := verified(t, logs[0], s)
	if len(entries) != 2*each {
		t.Fatalf("%d entries, want %d", len(entries), 2*each)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if seen[string(e.Data)] {
			t.Errorf("entry %s twice", e.Data)
		}
		seen[string(e.Data)] = true
	}
	for p, l := range logs {
		es, err := l.Entries()
		if err != nil || len(es) != 2*each {
			t.Errorf("process %d reads %d entries, %v", p, len(es), err)
		}
	}
	// Each process's handle goes on from there.
	if err := logs[0].Append("after", nil, t0); err != nil {
		t.Fatal(err)
	}
	if err := logs[1].Append("after", nil, t0); err != nil {
		t.Fatal(err)
	}
	if n := len(verified(t, logs[1], s)); n != 2*each+2 {
		t.Errorf("%d entries, want %d", n, 2*each+2)
	}
}

// Changes made to the storage behind the log: a new process does not open
// it, or a process that has it open does not append to it.
func testTampering(t *testing.T, h Harness) {
	const n = 6
	// Another log of the same key with other entries, for a rewrite.
	forked := newLog(t, auditlog.Files(filepath.Join(t.TempDir(), "audit.log")), 0)
	appendN(t, forked, n, 100)
	forkRecords, forkCPs := stored(t, forked.Storage())

	cut := func(rs, cs [][]byte, i int) ([][]byte, [][]byte) {
		return append(clone(rs[:i]), rs[i+1:]...), append(clone(cs[:i+1]), cs[i+2:]...)
	}
	for _, c := range []struct {
		name string
		edit func(rs, cs [][]byte) ([][]byte, [][]byte)
		// open: a new process refuses to open it; appendRefused: one
		// that has it open refuses to append.
		open, appendRefused bool
	}{
		{"a record edited", func(rs, cs [][]byte) ([][]byte, [][]byte) {
			rs[2] = bytes.Replace(rs[2], []byte(`"i":2`), []byte(`"i":7`), 1)
			return rs, cs
		}, true, false},
		{"two records swapped", func(rs, cs [][]byte) ([][]byte, [][]byte) {
			rs[1], rs[2] = rs[2], rs[1]
			return rs, cs
		}, true, false},
		{"a record removed with its checkpoint", func(rs, cs [][]byte) ([][]byte, [][]byte) {
			return cut(rs, cs, 3)
		}, true, true},
		{"a forged record added with a copy of the last checkpoint", func(rs, cs [][]byte) ([][]byte, [][]byte) {
			forged := fmt.Appendf(nil, `{"seq":%d,"time":"2026-11-25T12:00:00Z","kind":"event","prev":"00"}`, n)
			return append(rs, forged), append(cs, cs[n])
		}, true, true},
		{"a checkpoint of another log put in", func(rs, cs [][]byte) ([][]byte, [][]byte) {
			cs[4] = forkCPs[4]
			return rs, cs
		}, true, false},
		{"the last record cut, with its checkpoint", func(rs, cs [][]byte) ([][]byte, [][]byte) {
			return rs[:n-1], cs[:n]
		}, false, true},
		{"rewritten by the key's holder", func(rs, cs [][]byte) ([][]byte, [][]byte) {
			return clone(forkRecords), clone(forkCPs)
		}, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := h.New(t)
			l := newLog(t, s, n)
			rs, cs := stored(t, s)
			rs, cs = c.edit(clone(rs), clone(cs))
			h.Rewrite(t, s, rs, cs)
			_, err := auditlog.OpenStorage(h.Again(t, s), origin, devKey)
			if c.open && err == nil {
				t.Error("a new process opened it")
			}
			if !c.open && err != nil {
				t.Errorf("a new process did not open it, which verifies (only a witnessed checkpoint tells): %v", err)
			}
			err = l.Append("after", nil, t0)
			if c.appendRefused && err == nil {
				t.Error("the process that had it open appended to it")
			}
			if err == nil {
				// Whatever it appended to is refused as a whole.
				if _, err := auditlog.OpenStorage(h.Again(t, s), origin, devKey); c.open && err == nil {
					t.Error("a new process opened it after another append")
				}
			}
		})
	}
}

func clone(bs [][]byte) [][]byte { return append([][]byte(nil), bs...) }

// A log signed by another key does not open, and StartedBy names that key.
func testAnotherKey(t *testing.T, h Harness) {
	s := h.New(t)
	l, err := auditlog.CreateStorage(s, origin, otherKey)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 2, 0)
	if _, err := auditlog.OpenStorage(h.Again(t, s), origin, devKey); err == nil || !strings.Contains(err.Error(), "not signed by key") {
		t.Errorf("opened with another key: %v", err)
	}
	keys, o, err := auditlog.StartedBy(s)
	if err != nil || len(keys) != 1 || keys[0] != auditlog.KeyName(otherKey.PublicKey()) || o != origin {
		t.Errorf("StartedBy = %v, %q, %v; want [%s], %q", keys, o, err, auditlog.KeyName(otherKey.PublicKey()), origin)
	}
}

// A log in files moves into the storage: the same log, which an auditor's
// checkpoint from before still verifies, goes on there, and the files take
// no more entries.
func testMoveFromFiles(t *testing.T, h Harness) {
	path := filepath.Join(t.TempDir(), "audit.log")
	f := newLog(t, auditlog.Files(path), 4)
	before, err := f.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	s := h.New(t)
	l, err := f.MoveTo(s, t0)
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != 5 || f.Len() != 5 || l.Root() != f.Root() {
		t.Fatalf("moved: %d entries here, %d in files; want 5 in both, one log", l.Len(), f.Len())
	}
	if to, ok := f.Moved(); !ok || to != s.String() {
		t.Errorf("Moved = %q, %v; want %q", to, ok, s.String())
	}
	appendN(t, l, 2, 10)
	ex, err := l.Export(0)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := auditlog.VerifyExport(ex, l.VerifierKey(), before.Note)
	if err != nil {
		t.Fatalf("the moved log against the auditor's checkpoint from before the move: %v", err)
	}
	var moved struct {
		To   string `json:"to"`
		Size int64  `json:"size"`
	}
	if e := rep.Entries[4]; e.Kind != auditlog.KindMoved || json.Unmarshal(e.Data, &moved) != nil || moved.To != s.String() || moved.Size != 5 {
		t.Errorf("entry 5 is %s %s, want %s to %s, size 5", e.Kind, e.Data, auditlog.KindMoved, s)
	}
	// The files stay readable, and refuse appends, also after a restart.
	again, err := auditlog.Open(path, origin, devKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, fl := range []*auditlog.Log{f, again} {
		if err := fl.Append("late", nil, t0); err == nil || !strings.Contains(err.Error(), "was moved to") {
			t.Errorf("appending to the files after the move: %v", err)
		}
	}
	// A storage that holds a log already is not written.
	f2 := newLog(t, auditlog.Files(filepath.Join(t.TempDir(), "audit.log")), 1)
	if _, err := f2.MoveTo(s, t0); !errors.Is(err, fs.ErrExist) {
		t.Errorf("moving into a storage that holds a log: %v, want fs.ErrExist", err)
	}
	if _, ok := f2.Moved(); ok || f2.Len() != 1 {
		t.Errorf("the files of a move refused changed: %d entries", f2.Len())
	}
}

// A process verifies each checkpoint once: reads after another process
// appended verify what it added, not the whole log again. (Each PSBT a
// coordinator hands out carries its checkpoint; re-verifying every
// signature for each made withdrawals slower as the log grew.)
func testReadCost(t *testing.T, h Harness) {
	s := h.New(t)
	l1 := newLog(t, s, 20)
	l2, err := auditlog.OpenStorage(h.Again(t, s), origin, devKey)
	if err != nil {
		t.Fatal(err)
	}
	cost := func(what string, want uint64) {
		t.Helper()
		if got := l2.VerifiedCheckpoints(); got != want {
			t.Errorf("after %s: %d checkpoint signatures verified, want %d", what, got, want)
		}
	}
	cost("opening a log of 20 entries", 21)
	appendN(t, l1, 5, 20)
	cp, err := l2.Checkpoint()
	if err != nil || cp.Size != 25 {
		t.Fatalf("checkpoint of size %d, %v; want 25", cp.Size, err)
	}
	cost("reading the checkpoint after 5 appends by another process", 26)
	if es, err := l2.Entries(); err != nil || len(es) != 25 {
		t.Fatalf("%d entries, %v; want 25", len(es), err)
	}
	if _, err := l2.Export(0); err != nil {
		t.Fatal(err)
	}
	cost("reading the whole log again, unchanged", 26)
	for i := range 10 {
		appendN(t, l1, 1, 25+i)
		if cp, err := l2.Checkpoint(); err != nil || cp.Size != int64(26+i) {
			t.Fatalf("round %d: checkpoint of size %d, %v", i, cp.Size, err)
		}
	}
	cost("ten rounds of one append and one read", 36)
	if err := l2.Append("mine", nil, t0); err != nil {
		t.Fatal(err)
	}
	if cp, err := l2.Checkpoint(); err != nil || cp.Size != 36 {
		t.Fatalf("checkpoint of size %d, %v; want 36", cp.Size, err)
	}
	// Its own append's checkpoint, and a storage that answers an append
	// with the records after those the appender had (a table) has those
	// verified there too: at most 15 more, never the whole log.
	if got := l2.VerifiedCheckpoints(); got < 37 || got > 37+15 {
		t.Errorf("after its own append: %d checkpoint signatures verified, want 37 to 52", got)
	}
	verified(t, l2, s)
}

// A process that has read the log and then finds it changed behind it:
// every read of the whole log (Entries, Export) refuses what a new
// process would refuse to open, though it verifies less; a read of the
// latest checkpoint refuses a forged record after the ones it verified.
func testReadsSeeTampering(t *testing.T, h Harness) {
	const n = 6
	for _, c := range []struct {
		name string
		edit func(rs, cs [][]byte) ([][]byte, [][]byte)
		// latest: Checkpoint refuses it too.
		latest bool
	}{
		{"a record edited", func(rs, cs [][]byte) ([][]byte, [][]byte) {
			rs[2] = bytes.Replace(rs[2], []byte(`"i":2`), []byte(`"i":7`), 1)
			return rs, cs
		}, false},
		{"a checkpoint edited", func(rs, cs [][]byte) ([][]byte, [][]byte) {
			cs[3] = bytes.Replace(cs[3], []byte("\n3\n"), []byte("\n4\n"), 1)
			return rs, cs
		}, false},
		{"a forged record added with a copy of the last checkpoint", func(rs, cs [][]byte) ([][]byte, [][]byte) {
			forged := fmt.Appendf(nil, `{"seq":%d,"time":"2026-11-25T12:00:00Z","kind":"event","prev":"00"}`, n)
			return append(rs, forged), append(cs, cs[n])
		}, true},
		{"a record added with the checkpoint of another key", func(rs, cs [][]byte) ([][]byte, [][]byte) {
			other, err := auditlog.CreateStorage(auditlog.Files(filepath.Join(t.TempDir(), "audit.log")), origin, otherKey)
			if err != nil {
				t.Fatal(err)
			}
			appendN(t, other, n+1, 0)
			ors, ocs := stored(t, other.Storage())
			return append(rs, ors[n]), append(cs, ocs[n+1])
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := h.New(t)
			l := newLog(t, s, n)
			if _, err := l.Checkpoint(); err != nil {
				t.Fatal(err)
			}
			rs, cs := stored(t, s)
			rs, cs = c.edit(clone(rs), clone(cs))
			h.Rewrite(t, s, rs, cs)
			if _, err := auditlog.OpenStorage(h.Again(t, s), origin, devKey); err == nil {
				t.Fatal("a new process opened it: not a tampering case")
			}
			if _, err := l.Entries(); err == nil {
				t.Error("Entries read it")
			}
			if _, err := l.Export(0); err == nil {
				t.Error("Export exported it")
			}
			if _, err := l.Checkpoint(); c.latest && err == nil {
				t.Error("Checkpoint read it")
			}
			// Having seen it, the process stops: no entry, no checkpoint
			// to hand out, until it opens the log again.
			if err := l.Append("after", nil, t0); !errors.Is(err, auditlog.ErrChanged) {
				t.Errorf("append after a read found the log changed: %v, want ErrChanged", err)
			}
			if _, err := l.Checkpoint(); !errors.Is(err, auditlog.ErrChanged) {
				t.Errorf("checkpoint after a read found the log changed: %v, want ErrChanged", err)
			}
		})
	}
}

// The log cut back behind a process that read more of it than it wrote:
// the last rows removed with their checkpoints, so what is left verifies
// by itself. The process must not take the shorter log: it would hand
// out its smaller checkpoint and then sign new entries over the cut, two
// roots of one size under its key (a fork). Its reads and appends refuse
// (ErrChanged), whichever comes first.
func testCutBackWhileOpen(t *testing.T, h Harness) {
	const n, k = 4, 3
	for _, first := range []string{"Checkpoint", "Entries", "Append"} {
		t.Run(first, func(t *testing.T) {
			s := h.New(t)
			a := newLog(t, s, n)
			b, err := auditlog.OpenStorage(h.Again(t, s), origin, devKey)
			if err != nil {
				t.Fatal(err)
			}
			appendN(t, b, k, 100)
			seen, err := a.Checkpoint()
			if err != nil || seen.Size != n+k {
				t.Fatalf("checkpoint of size %d, %v; want %d", seen.Size, err, n+k)
			}
			rs, cs := stored(t, s)
			h.Rewrite(t, s, clone(rs[:n+1]), clone(cs[:n+2]))
			switch first {
			case "Checkpoint":
				_, err = a.Checkpoint()
			case "Entries":
				_, err = a.Entries()
			case "Append":
				err = a.Append("after", nil, t0)
			}
			if !errors.Is(err, auditlog.ErrChanged) || !strings.Contains(err.Error(), "cut back") {
				t.Fatalf("%s after the cut: %v; want ErrChanged saying it was cut back", first, err)
			}
			if err := a.Append("after", nil, t0); !errors.Is(err, auditlog.ErrChanged) {
				t.Errorf("append after: %v, want ErrChanged", err)
			}
			if got, _ := stored(t, s); len(got) != n+1 {
				t.Errorf("the storage holds %d records, want the %d left by the cut: something was appended", len(got), n+1)
			}
		})
	}
}
