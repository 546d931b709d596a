package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"airsign/online/regtest"
	"airsign/online/store"
	"airsign/online/store/pgtest"
	"airsign/psbt/auditlog"
)

// startPostgres starts a PostgreSQL server for the test, or skips it
// where there is none (unless AIRSIGN_REQUIRE_TOOLS is set).
func startPostgres(tb testing.TB) *pgtest.Server {
	tb.Helper()
	srv, err := pgtest.Start()
	if errors.Is(err, pgtest.ErrUnavailable) {
		pgtest.Unavailable(tb, err) // skips, unless AIRSIGN_REQUIRE_TOOLS is set
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Stop() })
	return srv
}

// TestStoreCopyScript runs testdata/storecopy.txtar, which moves a SQLite
// coordinator to PostgreSQL: the scripts of TestScripts have no database
// server, so this one starts its own and hands the script an empty
// database's URL as $PGURL, and the same with a password in it (which
// the server, trusting its socket, does not ask for) as $PGURL_PW.
func TestStoreCopyScript(t *testing.T) {
	if testing.Short() {
		t.Skip("starts btcd and PostgreSQL")
	}
	srv := startPostgres(t)
	btcd, err := regtest.BtcdPath()
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Files: []string{"testdata/storecopy.txtar"},
		Setup: func(env *testscript.Env) error {
			env.Setenv("USER", "alice")
			env.Setenv("AIRSIGN_BTCD", btcd)
			db := srv.NewDatabase(t, "")
			u, err := url.Parse(db)
			if err != nil {
				return err
			}
			env.Setenv("PGURL", db)
			u.User = url.UserPassword(u.User.Username(), "s3cret")
			env.Setenv("PGURL_PW", u.String())
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitnode":   waitnode,
			"servedport": servedport,
			"api":        apiCall,
			"jsonenv":    jsonenv,
			"waitlease":  waitlease,
		},
	})
}

// waitlease FILE waits until a lease in the SQLite store FILE is held:
// a serve started in the background has taken its watcher lease.
func waitlease(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitlease FILE")
	}
	db, err := sql.Open("sqlite", "file:"+ts.MkAbs(args[0])+"?mode=ro")
	ts.Check(err)
	defer db.Close()
	for deadline := time.Now().Add(time.Minute); ; {
		var holder string
		err := db.QueryRow(`SELECT holder FROM leases WHERE expires > CAST((julianday('now') - 2440587.5) * 86400000000000 AS INTEGER)`).Scan(&holder)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("no lease held in %s after a minute (%v): serve did not start its watcher", args[0], err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestStoreCopyAuditRows: a SQLite store whose audit_log table holds a
// log (the coordinator keeps its log beside a SQLite store in files, so
// something else wrote it) is refused beside DATADIR/audit.log, as the two
// logs would meet in the database at the first serve; without the file it
// is copied, and the copy is recorded in it, in the database.
func TestStoreCopyAuditRows(t *testing.T) {
	srv := startPostgres(t)
	ctx := context.Background()
	dir := t.TempDir()
	id, err := loadIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	origin := auditlog.CoordinatorOrigin + id.keyID()
	st, err := store.Open(filepath.Join(dir, storeFile))
	if err != nil {
		t.Fatal(err)
	}
	inTable, err := auditlog.CreateStorage(st.AuditLog(), origin, id)
	if err == nil {
		err = inTable.Append("wallet-add", map[string]any{"name": "w"}, time.Now())
	}
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	copyTo := func(to string) (int, string) {
		var out, errOut bytes.Buffer
		code := run(ctx, []string{"--datadir", dir, "--as-admin", "store", "copy", "--to", to}, &out, &errOut)
		return code, out.String() + errOut.String()
	}

	logPath := filepath.Join(dir, "audit.log")
	if _, err := auditlog.Create(logPath, origin, id); err != nil {
		t.Fatal(err)
	}
	to := srv.NewDatabase(t, "")
	if code, out := copyTo(to); code != exitError || !strings.Contains(out, "audit_log table holds 2 rows, and this coordinator's log is") {
		t.Fatalf("copy beside a log in files: exit %d, %s; want it refused", code, out)
	}
	for _, p := range []string{logPath, auditlog.CheckpointsPath(logPath)} {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	// Rows another key signed are refused before anything is copied.
	idPath := filepath.Join(dir, "identity.key")
	ownKey, err := os.ReadFile(idPath)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(idPath)
	if _, err := loadIdentity(dir); err != nil { // a new key
		t.Fatal(err)
	}
	if code, out := copyTo(to); code != exitError || !strings.Contains(out, "audit_log table does not verify as this coordinator's log") {
		t.Fatalf("copy of rows another key signed: exit %d, %s; want it refused", code, out)
	}
	if err := store.CheckEmpty(ctx, to); err != nil {
		t.Fatalf("the refused copy left rows: %v", err)
	}
	if err := os.WriteFile(idPath, ownKey, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := copyTo(to); code != exitOK || !strings.Contains(out, "the audit log went with the copy") {
		t.Fatalf("copy: exit %d, %s", code, out)
	}
	if _, err := os.Stat(logPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the copy made %s (%v): the log is in the database", logPath, err)
	}
	dst, err := store.Open(to)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	l, err := openAudit(dir, dst)
	if err != nil {
		t.Fatal(err)
	}
	es, err := l.Entries()
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range es {
		kinds = append(kinds, e.Kind)
	}
	if got, want := strings.Join(kinds, " "), "wallet-add store-copied"; got != want {
		t.Errorf("the database's log: %s; want %s", got, want)
	}
}
