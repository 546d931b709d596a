package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrDisabled means the user exists but has been disabled: its token no
// longer authenticates.
var ErrDisabled = errors.New("user is disabled")

// Role is what an API user may do. Roles are ordered: each allows what the
// ones before it allow.
type Role string

const (
	// RoleViewer reads wallets, balances and requests.
	RoleViewer Role = "viewer"
	// RoleRequester also hands out addresses and asks for withdrawals.
	RoleRequester Role = "requester"
	// RoleApprover also approves requests.
	RoleApprover Role = "approver"
	// RoleAdmin also registers wallets and acts on anyone's requests.
	RoleAdmin Role = "admin"
)

// rank orders the roles; 0 is no role.
func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleRequester:
		return 2
	case RoleApprover:
		return 3
	case RoleAdmin:
		return 4
	}
	return 0
}

// ParseRole returns the role named s.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if r.rank() == 0 {
		return "", fmt.Errorf("store: role %q: use viewer, requester, approver or admin", s)
	}
	return r, nil
}

// AtLeast reports whether r allows everything want allows. An unknown role
// allows nothing.
func (r Role) AtLeast(want Role) bool {
	return r.rank() > 0 && r.rank() >= want.rank()
}

// User is an API user. Its token is not part of it: only its hash is
// stored, and the token itself is shown once, by AddUser or RotateToken.
type User struct {
	Name     string
	Role     Role
	Created  time.Time
	Disabled bool
}

// tokenPrefix marks airsign tokens so that secret scanners and people can
// recognise one.
const tokenPrefix = "airsign_"

// newToken returns a fresh bearer token and the hash to store for it.
func newToken() (token string, hash []byte, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, err
	}
	token = tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, tokenHash(token), nil
}

// tokenHash is what the users table keeps of a token. A plain SHA-256 is
// right here, unlike for passwords: a token is 32 bytes from crypto/rand,
// so there is nothing a salt or a slow hash would protect against guessing,
// and a fast unsalted hash lets Authenticate find the user by an indexed
// lookup instead of comparing against every row.
func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func validUserName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("user name %q: use 1 to 64 characters", name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == '@') {
			return fmt.Errorf("user name %q: use letters, digits, '-', '_', '.' and '@'", name)
		}
	}
	return nil
}

// AddUser creates a user with role and returns its bearer token: "airsign_"
// and the unpadded base64url encoding of 32 random bytes. The token is
// returned only here; the store keeps its SHA-256 hash. now is the creation
// time: the caller owns the clock.
func (s *Store) AddUser(ctx context.Context, name string, role Role, now time.Time) (token string, err error) {
	if err := validUserName(name); err != nil {
		return "", fmt.Errorf("store: add user: %w", err)
	}
	if _, err := ParseRole(string(role)); err != nil {
		return "", fmt.Errorf("store: add user %q: %w", name, err)
	}
	if now.IsZero() {
		return "", fmt.Errorf("store: add user %q: the creation time must be set", name)
	}
	token, hash, err := newToken()
	if err != nil {
		return "", fmt.Errorf("store: add user %q: %w", name, err)
	}
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO users (name, role, token_hash, created) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
		name, string(role), hash, now.UnixNano())
	if err != nil {
		return "", fmt.Errorf("store: add user %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", fmt.Errorf("store: add user %q: %w; rotate its token or pick another name", name, ErrExists)
	}
	return token, nil
}

// RotateToken gives the user a new token and returns it; the old one stops
// working at once. A disabled user stays disabled.
func (s *Store) RotateToken(ctx context.Context, name string) (string, error) {
	token, hash, err := newToken()
	if err != nil {
		return "", fmt.Errorf("store: rotate token of %q: %w", name, err)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE users SET token_hash = ? WHERE name = ?`, hash, name)
	if err != nil {
		return "", fmt.Errorf("store: rotate token of %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", fmt.Errorf("store: rotate token of %q: %w", name, ErrNotFound)
	}
	return token, nil
}

// DisableUser stops the user's token from authenticating. The user stays
// listed, so its name keeps meaning the same person in old requests.
func (s *Store) DisableUser(ctx context.Context, name string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET disabled = 1 WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("store: disable user %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: disable user %q: %w", name, ErrNotFound)
	}
	return nil
}

// Users returns every user, disabled ones included, ordered by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, role, created, disabled FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		var created int64
		if err := rows.Scan(&u.Name, &u.Role, &created, &u.Disabled); err != nil {
			return nil, fmt.Errorf("store: users: %w", err)
		}
		u.Created = time.Unix(0, created).UTC()
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	return out, nil
}

// Authenticate returns the user whose token this is. It fails with
// ErrNotFound for a token no user has and ErrDisabled for a disabled
// user's. The error never contains the token.
//
// The user is found by the token's hash, so the database compares hashes,
// not tokens: timing can at most reveal how much of a hash matched, which
// says nothing about any token. The stored hash is compared once more in
// constant time, so that a lookup that matched on anything but the whole
// hash cannot authenticate.
func (s *Store) Authenticate(ctx context.Context, token string) (User, error) {
	if !strings.HasPrefix(token, tokenPrefix) {
		return User{}, fmt.Errorf("store: authenticate: %w: not an airsign token", ErrNotFound)
	}
	want := tokenHash(token)
	var u User
	var created int64
	var stored []byte
	err := s.db.QueryRowContext(ctx,
		`SELECT name, role, created, disabled, token_hash FROM users WHERE token_hash = ?`, want).
		Scan(&u.Name, &u.Role, &created, &u.Disabled, &stored)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("store: authenticate: %w: no user has this token", ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("store: authenticate: %w", err)
	}
	if subtle.ConstantTimeCompare(stored, want) != 1 {
		return User{}, fmt.Errorf("store: authenticate: %w: no user has this token", ErrNotFound)
	}
	u.Created = time.Unix(0, created).UTC()
	if u.Disabled {
		return User{}, fmt.Errorf("store: authenticate: user %q: %w", u.Name, ErrDisabled)
	}
	return u, nil
}
