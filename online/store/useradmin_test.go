package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestAdminChangesKeepAnAdmin(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		for _, u := range []struct {
			name string
			role Role
		}{{"root", RoleAdmin}, {"ops", RoleAdmin}, {"bob", RoleApprover}} {
			if _, err := s.AddUser(ctx, u.name, u.role, t0); err != nil {
				t.Fatal(err)
			}
		}
		// Each step in order, against the state the ones before left.
		steps := []struct {
			what    string
			do      func() error
			wantErr error
		}{
			{"root demotes themselves", func() error { return s.SetRole(ctx, "root", RoleViewer, "root") }, ErrConflict},
			{"root disables themselves", func() error { return s.SetDisabled(ctx, "root", true, "root") }, ErrConflict},
			{"root disables ops", func() error { return s.SetDisabled(ctx, "ops", true, "root") }, nil},
			{"bob (by the CLI's operator) demotes root, the last enabled admin", func() error { return s.SetRole(ctx, "root", RoleApprover, "operator") }, ErrConflict},
			{"someone disables root, the last enabled admin", func() error { return s.SetDisabled(ctx, "root", true, "operator") }, ErrConflict},
			{"a disabled admin's demotion leaves root", func() error { return s.SetRole(ctx, "ops", RoleViewer, "root") }, nil},
			{"root enables ops", func() error { return s.SetDisabled(ctx, "ops", false, "root") }, nil},
			{"root promotes bob", func() error { return s.SetRole(ctx, "bob", RoleAdmin, "root") }, nil},
			{"bob demotes root: another admin is left", func() error { return s.SetRole(ctx, "root", RoleRequester, "bob") }, nil},
			{"no such user", func() error { return s.SetRole(ctx, "nobody", RoleViewer, "bob") }, ErrNotFound},
			{"no such role", func() error { return s.SetRole(ctx, "ops", Role("owner"), "bob") }, errAny},
		}
		for _, st := range steps {
			err := st.do()
			switch {
			case st.wantErr == nil && err != nil:
				t.Fatalf("%s: %v, want success", st.what, err)
			case st.wantErr == errAny && err == nil, st.wantErr != nil && st.wantErr != errAny && !errors.Is(err, st.wantErr):
				t.Fatalf("%s: error %v, want %v", st.what, err, st.wantErr)
			}
		}
		got := map[string]string{}
		accts, err := s.UserAccounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range accts {
			got[a.Name] = string(a.Role) + "/" + a.State(t0)
		}
		want := map[string]string{"root": "requester/active", "ops": "viewer/active", "bob": "admin/active"}
		for n, w := range want {
			if got[n] != w {
				t.Errorf("%s: %s, want %s", n, got[n], w)
			}
		}
	})
}

// errAny stands for any error in a table.
var errAny = errors.New("any error")

func TestAdminChangesEndSessions(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		for _, n := range []string{"root", "alice"} {
			if _, err := s.AddUser(ctx, n, RoleAdmin, t0); err != nil {
				t.Fatal(err)
			}
		}
		for i, change := range []func() error{
			func() error { return s.SetRole(ctx, "alice", RoleRequester, "root") },
			func() error { return s.SetDisabled(ctx, "alice", true, "root") },
		} {
			id := make([]byte, 32)
			id[0] = byte(i + 1)
			if err := s.CreateSession(ctx, id, "alice", t0, t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if err := change(); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Session(ctx, id, t0, time.Hour, false); !errors.Is(err, ErrNotFound) {
				t.Fatalf("change %d: the session after it: %v, want ErrNotFound", i, err)
			}
		}
	})
}

func TestTemporaryPassword(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		if _, err := s.AddUser(ctx, "alice", RoleViewer, t0); err != nil {
			t.Fatal(err)
		}
		id := make([]byte, 32)
		if err := s.CreateSession(ctx, id, "alice", t0, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.RecordWebFailure(ctx, "alice", t0, 1, time.Hour); err != nil {
			t.Fatal(err)
		}
		until := t0.Add(24 * time.Hour)
		if err := s.SetWebPasswordUntil(ctx, "alice", []byte("temp-hash"), until); err != nil {
			t.Fatal(err)
		}
		if got, err := s.TemporaryPasswordUntil(ctx, "alice"); err != nil || !got.Equal(until) {
			t.Fatalf("TemporaryPasswordUntil = %v, %v; want %v", got, err, until)
		}
		if _, err := s.Session(ctx, id, t0, time.Hour, false); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a session after the reset: %v, want ErrNotFound", err)
		}
		a, err := s.WebAccount(ctx, "alice")
		if err != nil || string(a.PasswordHash) != "temp-hash" || !a.LockedUntil.IsZero() {
			t.Fatalf("after the reset: %+v, %v; want the new hash and no lock", a, err)
		}
		if err := s.SetWebPasswordUntil(ctx, "alice", []byte("own-hash"), time.Time{}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.TemporaryPasswordUntil(ctx, "alice"); err != nil || !got.IsZero() {
			t.Fatalf("TemporaryPasswordUntil after setting one's own = %v, %v; want zero", got, err)
		}
		// A lock from one client address shows as the account's.
		if _, _, err := s.RecordWebFailureFrom(ctx, "alice", "203.0.113.7", t0, 1, time.Hour); err != nil {
			t.Fatal(err)
		}
		if accts, err := s.UserAccounts(ctx); err != nil || accts[0].State(t0) != "locked" || !accts[0].LockedUntil.Equal(t0.Add(time.Hour)) {
			t.Fatalf("UserAccounts after a lock from one address = %+v, %v; want locked until t0+1h", accts, err)
		}
		if err := s.RecordSignIn(ctx, "alice", t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		accts, err := s.UserAccounts(ctx)
		if err != nil || len(accts) != 1 || !accts[0].LastSignIn.Equal(t0.Add(time.Minute)) || !accts[0].HasPassword {
			t.Fatalf("UserAccounts = %+v, %v; want alice signed in at t0+1m with a password", accts, err)
		}
		if err := s.SetWebPasswordUntil(ctx, "nobody", []byte("x"), time.Time{}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a password for nobody: %v, want ErrNotFound", err)
		}
	})
}
