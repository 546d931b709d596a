package main

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"airsign/online/store"
	"airsign/psbt/auditlog"
)

// TestSharedAuditLog walks the coordinators' one log on PostgreSQL
// through openAudit: the first coordinator moves its DATADIR/audit.log
// into the empty database, and the file takes no more; another machine
// signs the same log only with the same identity key (none of its own is
// made; another is refused); each machine's last view pins the log
// against the database being cut back; a log of a coordinator from
// before it joined is not passed over silently.
func TestSharedAuditLog(t *testing.T) {
	srv := startPostgres(t)
	url := srv.NewDatabase(t, "")
	open := func(where string) *store.Store {
		t.Helper()
		st, err := store.Open(where)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	mustAudit := func(dir string, st *store.Store) *auditlog.Log {
		t.Helper()
		l, err := openAudit(dir, st)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	refused := func(dir string, st *store.Store, want string) {
		t.Helper()
		if _, err := openAudit(dir, st); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("openAudit(%s): %v; want an error containing %q", filepath.Base(dir), err, want)
		}
	}

	// Coordinator 1 ran on SQLite, with its log in files.
	dir1 := filepath.Join(t.TempDir(), "one")
	if err := os.MkdirAll(dir1, 0o700); err != nil {
		t.Fatal(err)
	}
	lite := open(filepath.Join(dir1, "coordinator.db"))
	own := mustAudit(dir1, lite)
	for _, kind := range []string{"wallet-add", "withdraw"} {
		if err := own.Append(kind, nil, now); err != nil {
			t.Fatal(err)
		}
	}
	before, err := own.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}

	// On PostgreSQL its log moves into the database and goes on there.
	pg1 := open(url)
	l1 := mustAudit(dir1, pg1)
	if l1.Len() != 3 || l1.VerifierKey() != own.VerifierKey() {
		t.Fatalf("moved log: %d entries, key %s; want 3, %s", l1.Len(), l1.VerifierKey(), own.VerifierKey())
	}
	if err := l1.Append("withdraw", nil, now); err != nil {
		t.Fatal(err)
	}
	ex, err := l1.Export(0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auditlog.VerifyExport(ex, l1.VerifierKey(), before.Note); err != nil {
		t.Errorf("the moved log against the auditor's checkpoint from before: %v", err)
	}
	refused(dir1, lite, "was moved into the audit_log table of")
	mustAudit(dir1, pg1) // again: the moved files are the database log's start

	// Coordinator 2 on another machine: no identity of its own is made.
	dir2 := t.TempDir()
	pg2 := open(url)
	refused(dir2, pg2, "identity.key is missing")
	if _, err := os.Stat(filepath.Join(dir2, "identity.key")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("an identity key was made for the second coordinator: %v", err)
	}
	// One of its own (made before) is refused.
	dir3 := t.TempDir()
	if _, err := loadIdentity(dir3); err != nil {
		t.Fatal(err)
	}
	refused(dir3, pg2, "all of them sign the one log with one key")
	// With coordinator 1's key copied, it signs the one log.
	key, err := os.ReadFile(filepath.Join(dir1, "identity.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir2, "identity.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	l2 := mustAudit(dir2, pg2)
	if err := l2.Append("approve", nil, now); err != nil {
		t.Fatal(err)
	}
	if err := l1.Append("broadcast", nil, now); err != nil {
		t.Fatal(err)
	}
	if es, err := mustAudit(dir2, pg2).Entries(); err != nil || len(es) != 6 || es[4].Kind != "approve" || es[5].Kind != "broadcast" {
		t.Errorf("the one log: %v, %v", es, err)
	}

	// The database cut back behind what the machines saw: both refuse.
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), `DELETE FROM audit_log WHERE size >= 4`); err != nil {
		t.Fatal(err)
	}
	refused(dir1, pg1, "does not hold what this machine saw of it")
	refused(dir2, pg2, "does not hold what this machine saw of it")
	if _, err := db.ExecContext(context.Background(), `DELETE FROM audit_log`); err != nil {
		t.Fatal(err)
	}
	refused(dir2, pg2, "holds no audit log, but this machine saw one there")

	// A coordinator that kept a log of its own with the deployment's key
	// before it joined: that log is not passed over.
	url2 := srv.NewDatabase(t, "")
	dir4, dir5 := t.TempDir(), t.TempDir()
	for _, dir := range []string{dir4, dir5} {
		if err := os.WriteFile(filepath.Join(dir, "identity.key"), key, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	mustAudit(dir4, open(url2)) // starts the database's log
	mustAudit(dir5, open(filepath.Join(dir5, "coordinator.db")))
	refused(dir5, open(url2), "is not the log the database's goes on from")
}
