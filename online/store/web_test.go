package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

func TestWebAccountLockout(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		if _, err := s.AddUser(ctx, "alice", RoleRequester, t0); err != nil {
			t.Fatal(err)
		}
		a, err := s.WebAccount(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if a.PasswordHash != nil || a.Failures != 0 || !a.LockedUntil.IsZero() || a.Role != RoleRequester {
			t.Fatalf("fresh account = %+v, want no password, no failures, not locked", a)
		}
		if err := s.SetWebPassword(ctx, "alice", []byte("argon2id$hash")); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 4; i++ {
			n, until, err := s.RecordWebFailure(ctx, "alice", t0, 5, 15*time.Minute)
			if err != nil || n != i || !until.IsZero() {
				t.Fatalf("failure %d: got %d, %v, %v; want %d, not locked", i, n, until, err, i)
			}
		}
		n, until, err := s.RecordWebFailure(ctx, "alice", t0, 5, 15*time.Minute)
		if err != nil || n != 5 || !until.Equal(t0.Add(15*time.Minute)) {
			t.Fatalf("5th failure: got %d, %v, %v; want 5, locked until %v", n, until, err, t0.Add(15*time.Minute))
		}
		a, _ = s.WebAccount(ctx, "alice")
		if !a.LockedUntil.Equal(t0.Add(15*time.Minute)) || a.Failures != 0 {
			t.Fatalf("after lockout: %+v", a)
		}
		// A failure while locked keeps the lock (and may extend it).
		if _, until, _ := s.RecordWebFailure(ctx, "alice", t0.Add(time.Minute), 5, 15*time.Minute); until.IsZero() {
			t.Fatal("a failure during the lock reported no lock")
		}
		if err := s.ClearWebFailures(ctx, "alice", ""); err != nil {
			t.Fatal(err)
		}
		if a, _ = s.WebAccount(ctx, "alice"); a.Failures != 0 || !a.LockedUntil.IsZero() || string(a.PasswordHash) != "argon2id$hash" {
			t.Fatalf("after clear: %+v", a)
		}
		if _, err := s.WebAccount(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("WebAccount(nobody): %v, want ErrNotFound", err)
		}
		if err := s.SetWebPassword(ctx, "nobody", []byte("x")); !errors.Is(err, ErrNotFound) {
			t.Fatalf("SetWebPassword(nobody): %v, want ErrNotFound", err)
		}
		if _, _, err := s.RecordWebFailure(ctx, "nobody", t0, 5, time.Minute); !errors.Is(err, ErrNotFound) {
			t.Fatalf("RecordWebFailure(nobody): %v, want ErrNotFound", err)
		}
	})
}

func TestSessions(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		for _, u := range []string{"alice", "bob"} {
			if _, err := s.AddUser(ctx, u, RoleApprover, t0); err != nil {
				t.Fatal(err)
			}
		}
		id := func(b byte) []byte { h := sha256.Sum256([]byte{b}); return h[:] }
		const idle = 30 * time.Minute
		if err := s.CreateSession(ctx, id(1), "alice", t0, t0.Add(8*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateSession(ctx, id(2), "bob", t0, t0.Add(8*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateSession(ctx, id(3), "nobody", t0, t0.Add(time.Hour)); err == nil {
			t.Fatal("a session for an unknown user was created")
		}
		if err := s.CreateSession(ctx, []byte("short"), "alice", t0, t0.Add(time.Hour)); err == nil {
			t.Fatal("a session with a 5-byte id hash was created")
		}
		// Activity keeps a session alive past the idle limit from its start…
		now := t0
		for i := 0; i < 4; i++ {
			now = now.Add(20 * time.Minute)
			ss, err := s.Session(ctx, id(1), now, idle, true)
			if err != nil || ss.User.Name != "alice" || !ss.LastSeen.Equal(now) {
				t.Fatalf("Session at %v: %+v, %v", now, ss, err)
			}
		}
		// …but bob, idle for 80 minutes, is gone, and stays gone.
		if _, err := s.Session(ctx, id(2), now, idle, true); !errors.Is(err, ErrNotFound) {
			t.Fatalf("idle session: %v, want ErrNotFound", err)
		}
		if _, err := s.Session(ctx, id(2), t0, idle, true); !errors.Is(err, ErrNotFound) {
			t.Fatalf("idle session was not deleted: %v", err)
		}
		// The absolute end holds whatever the activity.
		for now.Before(t0.Add(8*time.Hour - 20*time.Minute)) {
			now = now.Add(20 * time.Minute)
			if _, err := s.Session(ctx, id(1), now, idle, true); err != nil {
				t.Fatalf("Session at %v: %v", now, err)
			}
		}
		if _, err := s.Session(ctx, id(1), t0.Add(8*time.Hour), idle, true); !errors.Is(err, ErrNotFound) {
			t.Fatalf("session past its absolute end: %v, want ErrNotFound", err)
		}

		// A new password ends the user's sessions; disabling makes them fail.
		if err := s.CreateSession(ctx, id(4), "alice", t0, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.SetWebPassword(ctx, "alice", []byte("h")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, id(4), t0, idle, true); !errors.Is(err, ErrNotFound) {
			t.Fatalf("session after a password change: %v, want ErrNotFound", err)
		}
		if err := s.CreateSession(ctx, id(5), "bob", t0, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.DisableUser(ctx, "bob"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, id(5), t0, idle, true); !errors.Is(err, ErrDisabled) {
			t.Fatalf("session of a disabled user: %v, want ErrDisabled", err)
		}

		// Sign-out and pruning.
		if err := s.CreateSession(ctx, id(6), "alice", t0, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateSession(ctx, id(7), "alice", t0, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteSession(ctx, id(6)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, id(6), t0, idle, true); !errors.Is(err, ErrNotFound) {
			t.Fatalf("signed-out session: %v", err)
		}
		if n, err := s.PruneSessions(ctx, t0.Add(2*time.Hour), idle); err != nil || n != 1 {
			t.Fatalf("PruneSessions = %d, %v; want 1", n, err)
		}
	})
}

// TestMigrateFrom5 opens a database left at schema 5 with a user in it and
// checks that version 6 keeps the user and adds web sign-in to it.
func TestMigrateFrom5(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		where := newWhere(t)
		db := openRaw(t, where)
		if _, err := db.ExecContext(ctx, `CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (0)`); err != nil {
			t.Fatal(err)
		}
		for i, m := range migrations[:5] {
			if _, err := db.ExecContext(ctx, db.dialect.schema(m)); err != nil {
				t.Fatalf("migration %d: %v", i+1, err)
			}
		}
		hash := sha256.Sum256([]byte("airsign_old"))
		if _, err := db.ExecContext(ctx, `UPDATE schema_version SET version = 5`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO users (name, role, token_hash, created) VALUES ('carol', 'approver', ?, 1)`, hash[:]); err != nil {
			t.Fatal(err)
		}
		db.Close()

		s, err := Open(where)
		if err != nil {
			t.Fatalf("Open of a version 5 database: %v", err)
		}
		defer s.Close()
		a, err := s.WebAccount(ctx, "carol")
		if err != nil || a.Role != RoleApprover || a.PasswordHash != nil || a.Failures != 0 {
			t.Fatalf("carol after migration: %+v, %v", a, err)
		}
		if err := s.SetWebPassword(ctx, "carol", []byte("h")); err != nil {
			t.Fatal(err)
		}
		var stored []byte
		if err := s.db.raw.QueryRow(`SELECT token_hash FROM users WHERE name = 'carol'`).Scan(&stored); err != nil || !bytes.Equal(stored, hash[:]) {
			t.Fatalf("carol's token hash changed in the migration: %x, %v", stored, err)
		}
	})
}
