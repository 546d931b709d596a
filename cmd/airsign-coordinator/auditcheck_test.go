package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"airsign/online/store"
	"airsign/psbt/auditlog"
)

// TestAuditCheckFindsOldEdit: coordinators sharing one PostgreSQL log
// verify, between whole reads, only the rows appended since their last
// read, so an older row edited in the database goes unseen by them until
// serve's periodic check reads the whole log: then that process refuses
// every append (so every change it would make), and says so.
func TestAuditCheckFindsOldEdit(t *testing.T) {
	srv := startPostgres(t)
	url := srv.NewDatabase(t, "")
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	var logs [2]*auditlog.Log
	dirs := [2]string{t.TempDir(), t.TempDir()}
	for i, dir := range dirs {
		if i == 1 {
			key, err := os.ReadFile(filepath.Join(dirs[0], "identity.key"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "identity.key"), key, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		st, err := store.Open(url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if logs[i], err = openAudit(dir, st); err != nil {
			t.Fatal(err)
		}
	}
	for _, kind := range []string{"wallet-add", "withdraw", "approve", "broadcast"} {
		if err := logs[0].Append(kind, map[string]string{"request": "r1"}, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := logs[1].Append("approve", map[string]string{"request": "r1"}, now); err != nil {
		t.Fatal(err)
	}

	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.Exec(`UPDATE audit_log SET record = convert_to(replace(convert_from(record, 'UTF8'), '"r1"', '"r9"'), 'UTF8') WHERE size = 2 AND position('"r1"'::bytea in record) > 0`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("edited %d rows, want 1", n)
	}
	// Between whole reads a process verifies what is new: it goes on.
	if err := logs[1].Append("withdraw", nil, now); err != nil {
		t.Fatalf("append before the check: %v", err)
	}

	var said bytes.Buffer
	c := &cli{auditLog: logs[1]}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan struct{})
	go func() {
		c.checkAudit(ctx, 10*time.Millisecond, log.New(&said, "", 0))
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatalf("the check did not find the edited row within a minute; it said: %s", said.String())
	}
	for _, want := range []string{"line 2 was changed", "call the auditor"} {
		if !strings.Contains(said.String(), want) {
			t.Errorf("the check said %q; want it to contain %q", said.String(), want)
		}
	}
	if err := logs[1].Append("withdraw", nil, now); !errors.Is(err, auditlog.ErrChanged) {
		t.Errorf("append after the check: %v, want ErrChanged", err)
	}
	if _, err := logs[1].Checkpoint(); !errors.Is(err, auditlog.ErrChanged) {
		t.Errorf("checkpoint after the check: %v, want ErrChanged", err)
	}
}

// Each passing check keeps the shared log's checkpoint as this machine's
// view of it, so a database put back to a state after this process started
// but before the check is refused at the next start, as one put back to
// before the start already was.
func TestAuditCheckKeepsSeenCheckpoint(t *testing.T) {
	srv := startPostgres(t)
	url := srv.NewDatabase(t, "")
	dir := t.TempDir()
	st, err := store.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	l, err := openAudit(dir, st)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for _, kind := range []string{"withdraw", "approve", "broadcast"} {
		if err := l.Append(kind, nil, now); err != nil {
			t.Fatal(err)
		}
	}
	var said bytes.Buffer
	c := &cli{auditLog: l, st: st, datadir: dir}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	c.checkAudit(ctx, 10*time.Millisecond, log.New(&said, "", 0))
	seen, err := os.ReadFile(filepath.Join(dir, seenFile))
	if err != nil {
		t.Fatal(err)
	}
	cp, err := l.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(seen, cp.Note) {
		t.Fatalf("after the checks %s holds %q; want the log's latest checkpoint (size %d); the check said %s", seenFile, seen, cp.Size, said.String())
	}

	// The last two entries cut from the database, as a restore to a
	// backup taken after the start would: the next start refuses.
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM audit_log WHERE size > 2`); err != nil {
		t.Fatal(err)
	}
	again, err := store.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if _, err := openAudit(dir, again); err == nil || !strings.Contains(err.Error(), "does not hold what this machine saw of it") {
		t.Errorf("a start on the cut database: %v; want it refused", err)
	}
}
