package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
)

func TestUsersLifecycle(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, path := newStore(t)

		token, err := s.AddUser(ctx, "alice", RoleRequester, t0)
		if err != nil {
			t.Fatalf("AddUser: %v", err)
		}
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(token, "airsign_"))
		if !strings.HasPrefix(token, "airsign_") || err != nil || len(raw) != 32 {
			t.Fatalf("token %q: want airsign_ and base64url of 32 bytes (decode error %v, %d bytes)", token, err, len(raw))
		}
		u, err := s.Authenticate(ctx, token)
		if err != nil {
			t.Fatalf("Authenticate: %v", err)
		}
		if want := (User{Name: "alice", Role: RoleRequester, Created: t0}); u != want {
			t.Fatalf("Authenticate = %+v, want %+v", u, want)
		}

		// The database holds the hash, never the token.
		var stored []byte
		if err := s.db.raw.QueryRow(`SELECT token_hash FROM users WHERE name = 'alice'`).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if h := sha256.Sum256([]byte(token)); !bytes.Equal(stored, h[:]) {
			t.Fatalf("stored hash %x, want SHA-256 of the token %x", stored, h)
		}
		s.Close()
		for _, f := range []string{path, path + "-wal"} {
			b, err := os.ReadFile(f)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(token)) || bytes.Contains(b, raw) {
				t.Fatalf("%s contains the clear token", f)
			}
		}
		s, err = Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })

		if _, err := s.AddUser(ctx, "alice", RoleAdmin, t0); !errors.Is(err, ErrExists) {
			t.Fatalf("AddUser of a taken name: got %v, want ErrExists", err)
		}

		fresh, err := s.RotateToken(ctx, "alice")
		if err != nil {
			t.Fatalf("RotateToken: %v", err)
		}
		if fresh == token {
			t.Fatal("RotateToken returned the old token")
		}
		if _, err := s.Authenticate(ctx, token); !errors.Is(err, ErrNotFound) {
			t.Fatalf("old token after rotation: got %v, want ErrNotFound", err)
		}
		if u, err := s.Authenticate(ctx, fresh); err != nil || u.Name != "alice" {
			t.Fatalf("new token: %+v, %v", u, err)
		}

		if err := s.DisableUser(ctx, "alice"); err != nil {
			t.Fatalf("DisableUser: %v", err)
		}
		_, err = s.Authenticate(ctx, fresh)
		if !errors.Is(err, ErrDisabled) {
			t.Fatalf("disabled user: got %v, want ErrDisabled", err)
		}
		if strings.Contains(err.Error(), fresh) {
			t.Fatalf("the error %q contains the token", err)
		}

		if _, err := s.AddUser(ctx, "bob", RoleAdmin, t0); err != nil {
			t.Fatal(err)
		}
		users, err := s.Users(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []User{{Name: "alice", Role: RoleRequester, Created: t0, Disabled: true}, {Name: "bob", Role: RoleAdmin, Created: t0}}
		if len(users) != len(want) || users[0] != want[0] || users[1] != want[1] {
			t.Fatalf("Users = %+v, want %+v", users, want)
		}
	})
}

func TestUsersRefusals(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		for _, tc := range []struct {
			name string
			role Role
		}{
			{"", RoleViewer},
			{"has space", RoleViewer},
			{strings.Repeat("a", 65), RoleViewer},
			{"carol", "root"},
			{"carol", ""},
		} {
			if _, err := s.AddUser(ctx, tc.name, tc.role, t0); err == nil {
				t.Errorf("AddUser(%q, %q) succeeded, want an error", tc.name, tc.role)
			}
		}
		for _, name := range []string{"nobody"} {
			if _, err := s.RotateToken(ctx, name); !errors.Is(err, ErrNotFound) {
				t.Errorf("RotateToken(%q): got %v, want ErrNotFound", name, err)
			}
			if err := s.DisableUser(ctx, name); !errors.Is(err, ErrNotFound) {
				t.Errorf("DisableUser(%q): got %v, want ErrNotFound", name, err)
			}
		}
		for _, token := range []string{"", "airsign_", "Bearer x", "airsign_" + strings.Repeat("A", 43)} {
			if _, err := s.Authenticate(ctx, token); !errors.Is(err, ErrNotFound) {
				t.Errorf("Authenticate(%q): got %v, want ErrNotFound", token, err)
			}
		}
		if users, err := s.Users(ctx); err != nil || len(users) != 0 {
			t.Fatalf("Users after refusals = %v, %v; want none", users, err)
		}
	})
}

func TestRoleOrder(t *testing.T) {
	order := []Role{RoleViewer, RoleRequester, RoleApprover, RoleAdmin}
	for i, r := range order {
		if got, err := ParseRole(string(r)); err != nil || got != r {
			t.Errorf("ParseRole(%q) = %q, %v", r, got, err)
		}
		for j, want := range order {
			if got := r.AtLeast(want); got != (i >= j) {
				t.Errorf("%s.AtLeast(%s) = %v, want %v", r, want, got, i >= j)
			}
		}
	}
	if Role("root").AtLeast(RoleViewer) {
		t.Error("an unknown role allows viewing")
	}
	if _, err := ParseRole("Admin"); err == nil {
		t.Error(`ParseRole("Admin") succeeded; roles are lower case`)
	}
}
