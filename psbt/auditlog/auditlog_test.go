package auditlog

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// testKey is a fixed device key, so checkpoints are reproducible.
type testKey struct{ priv ed25519.PrivateKey }

func (k testKey) Sign(msg []byte) []byte       { return ed25519.Sign(k.priv, msg) }
func (k testKey) PublicKey() ed25519.PublicKey { return k.priv.Public().(ed25519.PublicKey) }

func keyFromSeed(b byte) testKey {
	return testKey{ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))}
}

var (
	devKey   = keyFromSeed(1)
	otherKey = keyFromSeed(2)
)

const origin = "airsign kiosk test"

func vkey(t testing.TB) string {
	t.Helper()
	k, err := VerifierKey(devKey.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newLogAt creates a log in dir with n entries, the i-th with data {"i":i+off}.
func newLogAt(t testing.TB, dir string, n, off int) (*Log, string) {
	t.Helper()
	path := filepath.Join(dir, "audit.log")
	l, err := Create(path, origin, devKey)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, n, off)
	return l, path
}

func appendN(t testing.TB, l *Log, n, off int) {
	t.Helper()
	start := int(l.Len())
	for i := start; i < start+n; i++ {
		if err := l.Append("event", map[string]int{"i": i + off}, t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
}

func tempLog(t *testing.T, n int) string {
	t.Helper()
	_, path := newLogAt(t, t.TempDir(), n, 0)
	return path
}

func read(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func write(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestAppendAndReopen(t *testing.T) {
	path := tempLog(t, 3)
	l, err := Open(path, origin, devKey)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := l.Len(), uint64(3); got != want {
		t.Fatalf("Len() = %d, want %d", got, want)
	}
	if err := l.Append("more", nil, t0); err != nil {
		t.Fatal(err)
	}
	entries, err := Verify(bytes.NewReader(read(t, path)))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(entries), 4; got != want {
		t.Fatalf("got %d entries, want %d", got, want)
	}
	if got, want := entries[3].Kind, "more"; got != want {
		t.Errorf("entry 3 kind = %q, want %q", got, want)
	}
	if got, want := string(entries[1].Data), `{"i":1}`; got != want {
		t.Errorf("entry 1 data = %s, want %s", got, want)
	}
	l2, err := Open(path, origin, devKey)
	if err != nil {
		t.Fatal(err)
	}
	if l2.Root() != l.Root() || l2.Head() != l.Head() || l2.Len() != 4 {
		t.Errorf("reopened log: root %s head %s len %d, want %s %s 4", l2.Root(), l2.Head(), l2.Len(), l.Root(), l.Head())
	}
	got, err := l2.Entries()
	if err != nil || len(got) != 4 {
		t.Fatalf("Entries() = %d entries, %v", len(got), err)
	}
	cp, err := l2.Checkpoint()
	if err != nil || cp.Size != 4 || cp.Root != l.Root() || cp.Origin != origin {
		t.Fatalf("Checkpoint() = %+v, %v", cp, err)
	}
	if _, err := Create(path, origin, devKey); err == nil {
		t.Error("Create over an existing log succeeded, want an error")
	}
	if _, err := Open(filepath.Join(t.TempDir(), "none.log"), origin, devKey); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open of a missing log = %v, want fs.ErrNotExist", err)
	}
}

// The root each checkpoint signs is the RFC 6962 hash of the lines: check
// against a plain recursive implementation.
func TestRootIsRFC6962(t *testing.T) {
	path := tempLog(t, 7)
	l, err := Open(path, origin, devKey)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(read(t, path)), "\n"), "\n")
	var mth func([]string) tlog.Hash
	mth = func(d []string) tlog.Hash {
		if len(d) == 1 {
			return tlog.RecordHash([]byte(d[0]))
		}
		k := 1
		for k*2 < len(d) {
			k *= 2
		}
		return tlog.NodeHash(mth(d[:k]), mth(d[k:]))
	}
	if got, want := l.Root(), mth(lines); got != want {
		t.Fatalf("root %s, want %s", got, want)
	}
}

func TestGoldenCheckpoint(t *testing.T) {
	l, path := newLogAt(t, t.TempDir(), 3, 0)
	cps := read(t, CheckpointsPath(path))
	notes, err := splitNotes(cps)
	if err != nil || len(notes) != 4 {
		t.Fatalf("checkpoints file has %d notes (%v), want 4 (sizes 0 to 3)", len(notes), err)
	}
	golden := filepath.Join("testdata", "checkpoint-3.golden")
	if *update {
		write(t, golden, notes[3])
	}
	want := read(t, golden)
	if !bytes.Equal(notes[3], want) {
		t.Fatalf("checkpoint of size 3:\n%s\nwant:\n%s", notes[3], want)
	}
	k := strings.TrimPrefix(KeyName(devKey.PublicKey()), "airsign-")
	wantText := origin + "\n3\n" + tlogBase64(l.Root()) + "\n\n— airsign-" + k + " "
	if !strings.HasPrefix(string(want), wantText) {
		t.Errorf("golden checkpoint does not start with %q", wantText)
	}
	if got, want := CheckpointsPath("/x/audit.log"), "/x/audit.checkpoints"; got != want {
		t.Errorf("CheckpointsPath = %q, want %q", got, want)
	}
	vk := vkey(t)
	if !strings.HasPrefix(vk, "airsign-"+k+"+") {
		t.Errorf("verifier key %q does not start with the key name", vk)
	}
	if _, err := OpenCheckpoint(want, mustVerifier(t, vk)); err != nil {
		t.Errorf("golden checkpoint does not verify: %v", err)
	}
}

func signText(s note.Signer, text string) ([]byte, error) {
	return note.Sign(&note.Note{Text: text}, s)
}

func mustVerifier(t testing.TB, vkey string) note.Verifier {
	t.Helper()
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func tlogBase64(h tlog.Hash) string { return encodeHashes([]tlog.Hash{h})[0] }

func TestTamperingDetected(t *testing.T) {
	dir := t.TempDir()
	_, path := newLogAt(t, dir, 4, 0)
	cpPath := CheckpointsPath(path)
	log := read(t, path)
	cps := read(t, cpPath)
	lines := strings.SplitAfter(string(log), "\n")
	lines = lines[:len(lines)-1] // trailing empty piece
	notes, _ := splitNotes(cps)

	// A second log by the same device with different entries, for a fork.
	_, path2 := newLogAt(t, t.TempDir(), 4, 100)
	notes2, _ := splitNotes(read(t, CheckpointsPath(path2)))
	// The same log signed by another key.
	path3 := filepath.Join(t.TempDir(), "audit.log")
	l3, err := Create(path3, origin, otherKey)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l3, 4, 0)

	cat := func(ns [][]byte, extra ...[]byte) []byte {
		var b []byte
		for _, n := range ns {
			b = append(b, n...)
			b = append(b, '\n')
		}
		for _, n := range extra {
			b = append(b, n...)
			b = append(b, '\n')
		}
		return b
	}
	flipped := func(b []byte, i int) []byte {
		c := bytes.Clone(b)
		c[i] ^= 0x01
		return c
	}
	forged := `{"seq":4,"time":"2026-11-25T12:00:04Z","kind":"event","data":{"i":4},"prev":"00"}` + "\n"

	tests := []struct {
		name     string
		log, cps []byte
		want     string
	}{
		{"edited value", []byte(strings.Replace(string(log), `"i":2`, `"i":7`, 1)), cps, "line 3 was changed"},
		{"flipped byte in last line", flipped(log, len(log)-3), cps, "line 4 was changed"},
		{"removed middle line", []byte(lines[0] + lines[2] + lines[3]), cps, "line 2 was changed, removed or inserted"},
		{"swapped lines", []byte(lines[0] + lines[2] + lines[1] + lines[3]), cps, "line 2 was changed"},
		{"truncated by one record", []byte(lines[0] + lines[1] + lines[2]), cps, "the log was truncated (lines 4 to 4 are missing)"},
		{"forged record without checkpoint", append(bytes.Clone(log), forged...), cps, "lines 5 to 5 are not covered by any signed checkpoint"},
		{"garbage line without checkpoint", append(bytes.Clone(log), "{\n"...), cps, "not covered"},
		{"unterminated line", append(bytes.Clone(log), `{"seq":4`...), cps, "line 5 has no newline"},
		{"checkpoint size edited", log, bytes.Replace(cps, []byte("\n4\n"), []byte("\n3\n"), 1), "checkpoint 5: its signature by airsign-"},
		{"flipped byte in checkpoint signature", log, flipped(cps, len(cps)-6), "checkpoint 5:"},
		{"replayed older checkpoint", log, cat(notes, notes[2]), "checkpoint 6 has size 2, less than checkpoint 5's 4: the checkpoints go backwards"},
		{"two checkpoints of one size, different roots", log, cat(notes, notes2[4]), "checkpoints 5 and 6 both sign size 4 with different roots: the log was forked"},
		{"fork in the history", log, cat(append(append([][]byte{}, notes[:3]...), notes2[2], notes[3], notes[4])), "checkpoints 3 and 4 both sign size 2"},
		{"last checkpoint removed", log, cat(notes[:4]), "lines 4 to 4 are not covered"},
		{"checkpoints by another key", read(t, path3), read(t, CheckpointsPath(path3)), "checkpoint 1: it is not signed by key airsign-"},
		{"checkpoints file emptied", log, nil, "checkpoints file is empty"},
		{"checkpoint cut short", log, cps[:len(cps)-10], "checkpoints file: it does not end with a complete checkpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := t.TempDir()
			p := filepath.Join(d, "audit.log")
			write(t, p, tt.log)
			write(t, CheckpointsPath(p), tt.cps)
			_, err := Open(p, origin, devKey)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}

	t.Run("checkpoints file missing", func(t *testing.T) {
		d := t.TempDir()
		p := filepath.Join(d, "audit.log")
		write(t, p, log)
		if _, err := Open(p, origin, devKey); err == nil || !strings.Contains(err.Error(), "signed checkpoints") || errors.Is(err, fs.ErrNotExist) {
			t.Errorf("got %v, want a missing-checkpoints error that is not ErrNotExist", err)
		}
	})
	t.Run("wrong origin", func(t *testing.T) {
		if _, err := Open(path, "airsign kiosk other", devKey); err == nil || !strings.Contains(err.Error(), `is for log "airsign kiosk test"`) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("the genuine files still open", func(t *testing.T) {
		if _, err := Open(path, origin, devKey); err != nil {
			t.Fatal(err)
		}
	})
}

// No single flipped bit in the log or the checkpoints file goes unnoticed.
func TestEveryByteFlipDetected(t *testing.T) {
	_, path := newLogAt(t, t.TempDir(), 3, 0)
	log, cps := read(t, path), read(t, CheckpointsPath(path))
	d := t.TempDir()
	p := filepath.Join(d, "audit.log")
	for _, which := range []string{"log", "checkpoints"} {
		orig := log
		if which == "checkpoints" {
			orig = cps
		}
		for i := range orig {
			for _, bit := range []byte{0x01, 0x80} {
				l, c := log, cps
				b := bytes.Clone(orig)
				b[i] ^= bit
				if which == "log" {
					l = b
				} else {
					c = b
				}
				write(t, p, l)
				write(t, CheckpointsPath(p), c)
				if _, err := Open(p, origin, devKey); err == nil {
					t.Errorf("%s byte %d ^ %#x: Open accepted it", which, i, bit)
				}
			}
		}
	}
}

func TestLineTooLong(t *testing.T) {
	path := tempLog(t, 0)
	l, err := Open(path, origin, devKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append("big", strings.Repeat("x", MaxLineBytes), t0); err == nil {
		t.Error("Append of an oversized entry succeeded")
	}
	if l.Len() != 0 {
		t.Error("a refused entry counted")
	}
	if _, err := Open(path, origin, devKey); err != nil {
		t.Errorf("log after a refused append: %v", err)
	}
	long := strings.Repeat("x", MaxLineBytes+10) + "\n"
	if _, err := Verify(strings.NewReader(long)); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("got %v, want a line-too-long error", err)
	}
}

func TestVerifyChainOnly(t *testing.T) {
	log := read(t, tempLog(t, 4))
	lines := strings.SplitAfter(string(log), "\n")
	tests := []struct{ name, log, want string }{
		{"edited value", strings.Replace(string(log), `"i":2`, `"i":7`, 1), "line 4 does not follow line 3"},
		{"removed middle line", lines[0] + lines[2] + lines[3], "line 2 has sequence number 2, want 1"},
		{"garbage", lines[0] + "{\n", "line 2 is not an audit entry"},
		{"unknown field", lines[0] + `{"seq":1,"evil":true}` + "\n", "line 2 is not an audit entry"},
	}
	for _, tt := range tests {
		if _, err := Verify(strings.NewReader(tt.log)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestCheckpointParsing(t *testing.T) {
	ns, v, err := NoteSigner(devKey)
	if err != nil {
		t.Fatal(err)
	}
	var root tlog.Hash
	for _, tt := range []struct{ text, want string }{
		{origin + "\n3\n" + tlogBase64(root) + "\n", ""},
		{origin + "\n03\n" + tlogBase64(root) + "\n", "size"},
		{origin + "\n-1\n" + tlogBase64(root) + "\n", "size"},
		{origin + "\n3\nAAAA\n", "root"},
		{origin + "\n3\n" + tlogBase64(root) + "\nextra\n", "three lines"},
		{" x\n3\n" + tlogBase64(root) + "\n", "space"},
	} {
		msg, err := signText(ns, tt.text)
		if err != nil {
			t.Fatal(err)
		}
		_, err = OpenCheckpoint(msg, v)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%q: got %v, want %q", tt.text, err, tt.want)
		}
	}
}

func ExampleVerifierKey() {
	k, _ := VerifierKey(keyFromSeed(1).PublicKey())
	fmt.Println(k)
	// Output: airsign-34750f98bd59fcfc+d9dbff83+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c
}

// Two handles on one log: the second to append finds the files changed and
// refuses, rather than write a record out of sequence.
// Two processes on one log (the kiosk's app and its command line) append in
// turn: each goes on after the other's entries, under the OS lock, and the
// log verifies with every entry. A second Log here is a second open file,
// so its lock excludes the first's as another process's would.
func TestAppendAfterAnotherProcess(t *testing.T) {
	l1, path := newLogAt(t, t.TempDir(), 2, 0)
	l2, err := Open(path, origin, devKey)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l1, 1, 0)
	if err := l2.Append("late", nil, t0); err != nil {
		t.Fatalf("append after another process's: %v", err)
	}
	if err := l1.Append("later", nil, t0); err != nil {
		t.Fatalf("append after that: %v", err)
	}
	l, err := Open(path, origin, devKey)
	if err != nil {
		t.Fatalf("log after appends in turn: %v", err)
	}
	entries, _ := l.Entries()
	var kinds []string
	for _, e := range entries {
		kinds = append(kinds, e.Kind)
	}
	if got := strings.Join(kinds[len(kinds)-2:], ","); len(entries) != 5 || got != "late,later" {
		t.Fatalf("%d entries ending %s; want 5 ending late,later", len(entries), got)
	}
}

// A log rewritten or cut behind an open Log (the same device key re-signing
// a shorter history) is not caught up with: the Log refuses to append.
func TestAppendRefusesRewrittenLog(t *testing.T) {
	dir := t.TempDir()
	l1, path := newLogAt(t, dir, 3, 0)
	// Someone with the key makes a log of 2 entries and puts it in place.
	_, otherPath := newLogAt(t, t.TempDir(), 2, 0)
	for _, p := range []string{otherPath, CheckpointsPath(otherPath)} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		dst := path
		if p != otherPath {
			dst = CheckpointsPath(path)
		}
		if err := os.WriteFile(dst, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	err := l1.Append("after", nil, t0)
	if err == nil || !strings.Contains(err.Error(), "no longer begins with the 3 entries this process saw") {
		t.Fatalf("append to a cut log: %v", err)
	}
}

// A process that waits too long for the lock says who holds it.
func TestLockSaysWhoHoldsIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.lock")
	unlock, err := lockFile(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	_, err = lockFile(path, 50*time.Millisecond)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("process %d", os.Getpid())) {
		t.Fatalf("second lock: %v, want ErrLocked naming process %d", err, os.Getpid())
	}
}

// Many goroutines appending and reading at once (the coordinator's web and
// API requests) leave a log that verifies, with every entry in it.
func TestConcurrentAppend(t *testing.T) {
	l, _ := newLogAt(t, t.TempDir(), 0, 0)
	const n = 48
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			errs <- l.Append("concurrent", map[string]int{"i": i}, time.Unix(1_800_000_000, 0))
		}()
		go func() {
			defer wg.Done()
			_, err := l.Entries()
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	entries, err := l.Entries()
	if err != nil {
		t.Fatal(err)
	}
	if got := len(entries); got != n || l.Len() != n {
		t.Fatalf("%d entries (Len %d) after %d concurrent appends", got, l.Len(), n)
	}
}

// A reader in another process (a second Log) never sees an entry before its
// checkpoint: it reads under the same lock the writer appends under. Without
// the lock, a read between the two writes reported an entry nobody signed.
func TestReadWhileAnotherProcessAppends(t *testing.T) {
	l1, path := newLogAt(t, t.TempDir(), 1, 0)
	l2, err := Open(path, origin, devKey)
	if err != nil {
		t.Fatal(err)
	}
	const n = 100
	done := make(chan error, 1)
	go func() {
		for i := range n {
			if err := l1.Append("write", map[string]int{"i": i}, t0); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for reads := 0; ; reads++ {
		if _, err := l2.Entries(); err != nil {
			t.Fatalf("read %d while another process appends: %v", reads, err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			if entries, err := l2.Entries(); err != nil || len(entries) != n+1 {
				t.Fatalf("%d entries, %v; want %d", len(entries), err, n+1)
			}
			return
		default:
		}
	}
}

// BenchmarkEntries reads a 2000-entry log as a kiosk's review does, several
// times over: "verified" reads and verifies every checkpoint each time (as
// before the cache), "cached" finds the files unchanged and reuses the
// last verification. Compare the two within one run.
func BenchmarkEntries(b *testing.B) {
	l, _ := newLogAt(b, b.TempDir(), 2000, 0)
	for _, cached := range []bool{false, true} {
		name := "verified"
		if cached {
			name = "cached"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if !cached {
					l.mu.Lock()
					l.cache = nil
					l.mu.Unlock()
				}
				if es, err := l.Entries(); err != nil || len(es) != 2000 {
					b.Fatal(len(es), err)
				}
			}
		})
	}
}

// The cache of the last verification never hides a change on the disk:
// another process's append is read, and a cut log is refused, by the next
// read.
func TestCacheSeesChanges(t *testing.T) {
	l, path := newLogAt(t, t.TempDir(), 5, 0)
	if es, err := l.Entries(); err != nil || len(es) != 5 {
		t.Fatal(len(es), err)
	}
	other, err := Open(path, origin, devKey)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, other, 2, 50)
	if es, err := l.Entries(); err != nil || len(es) != 7 {
		t.Fatalf("after another process appended: %d entries, %v; want 7", len(es), err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data[:len(data)-10], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Entries(); err == nil {
		t.Fatal("a cut log read without an error")
	}
}

// BenchmarkCheckpointAfterAppend is a coordinator handing out a PSBT
// (which carries its latest checkpoint) after another process appended
// one entry, on logs of 200 and 2000 entries: "whole" drops what the last
// read verified, as every read after an append did before, and verifies
// every checkpoint again; "tail" verifies the one appended. Compare the
// sizes and the two within one run.
func BenchmarkCheckpointAfterAppend(b *testing.B) {
	for _, size := range []int{200, 2000} {
		for _, whole := range []bool{true, false} {
			name := fmt.Sprintf("log=%d/tail", size)
			if whole {
				name = fmt.Sprintf("log=%d/whole", size)
			}
			b.Run(name, func(b *testing.B) {
				l, path := newLogAt(b, b.TempDir(), size, 0)
				other, err := Open(path, origin, devKey)
				if err != nil {
					b.Fatal(err)
				}
				i := size
				for b.Loop() {
					i++
					if err := other.Append("event", map[string]int{"i": i}, t0); err != nil {
						b.Fatal(err)
					}
					if whole {
						l.mu.Lock()
						l.cache = nil
						l.mu.Unlock()
					}
					if cp, err := l.Checkpoint(); err != nil || cp.Size != int64(i) {
						b.Fatal(cp.Size, err)
					}
				}
			})
		}
	}
}

// An append that fails after taking in another process's entries, then
// an entry edited behind the Log and put back (bytes and times): the Log
// must never sign over what the edit made it read. A catch-up that does
// not verify stops the Log, and no state it built shares memory with the
// hashes it appends after (states grow by appending to their slices).
func TestFailedCatchUpSignsNothing(t *testing.T) {
	for n := 1; n <= 12; n++ {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			_, path := newLogAt(t, t.TempDir(), n, 0)
			a, err := Open(path, origin, devKey)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Open(path, origin, devKey)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.Checkpoint(); err != nil {
				t.Fatal(err)
			}
			appendN(t, b, 1, 10)
			// Its entry cannot be made (after the catch-up took in b's).
			if err := a.Append("bad", make(chan int), t0); err == nil {
				t.Fatal("an entry of a channel was appended")
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			orig, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			last := bytes.LastIndex(orig[:len(orig)-1], []byte("\n")) + 1
			edited := append(slices.Clone(orig[:last]), bytes.Replace(orig[last:], []byte(`"kind":"event"`), []byte(`"kind":"evenT"`), 1)...)
			if bytes.Equal(edited, orig) {
				t.Fatal("nothing edited")
			}
			if err := os.WriteFile(path, edited, 0o600); err != nil {
				t.Fatal(err)
			}
			os.Chtimes(path, time.Now(), fi.ModTime().Add(time.Second))
			if err := a.Append("edited", nil, t0); !errors.Is(err, ErrChanged) {
				t.Fatalf("append to the edited log: %v, want ErrChanged", err)
			}
			if err := os.WriteFile(path, orig, 0o600); err != nil {
				t.Fatal(err)
			}
			os.Chtimes(path, time.Now(), fi.ModTime())
			if err := a.Append("restored", nil, t0); !errors.Is(err, ErrChanged) {
				t.Errorf("append after the edit was put back: %v, want ErrChanged (until the log is opened again)", err)
			}
			if _, err := Open(path, origin, devKey); err != nil {
				t.Errorf("the log does not open after: %v; something was signed over the edit", err)
			}
		})
	}
}
