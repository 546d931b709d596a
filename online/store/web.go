package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrLocked means a user's web sign-in is locked after too many wrong
// passwords in a row, until the time the error names.
var ErrLocked = errors.New("sign-in locked")

// WebAccount is what web sign-in needs of a user. PasswordHash is the
// encoded argon2id hash online/web wrote (nil: no web password set); the
// store neither makes nor checks it.
type WebAccount struct {
	User
	PasswordHash []byte
	Failures     int
	LockedUntil  time.Time // zero when not locked
}

// WebAccount returns the user's web sign-in state, or ErrNotFound.
func (s *Store) WebAccount(ctx context.Context, name string) (WebAccount, error) {
	var a WebAccount
	var created, locked int64
	err := s.db.QueryRowContext(ctx,
		`SELECT name, role, created, disabled, web_password, web_failures, web_locked_until FROM users WHERE name = ?`, name).
		Scan(&a.Name, &a.Role, &created, &a.Disabled, &a.PasswordHash, &a.Failures, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		return WebAccount{}, fmt.Errorf("store: user %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return WebAccount{}, fmt.Errorf("store: user %q: %w", name, err)
	}
	a.Created = time.Unix(0, created).UTC()
	if locked != 0 {
		a.LockedUntil = time.Unix(0, locked).UTC()
	}
	return a, nil
}

// SetWebPassword stores the user's encoded password hash, clears their
// wrong-password count and lockout, and ends their sessions: a new
// password is what an operator gives after a suspected compromise.
func (s *Store) SetWebPassword(ctx context.Context, name string, hash []byte) error {
	if len(hash) == 0 || len(hash) > 1024 {
		return fmt.Errorf("store: web password of %q: the hash is %d bytes; want 1 to 1024", name, len(hash))
	}
	err := s.inTx(ctx, func(tx *sqlTx) error { return setWebPassword(ctx, tx, name, hash) })
	if err != nil {
		return fmt.Errorf("store: web password of %q: %w", name, err)
	}
	return nil
}

func setWebPassword(ctx context.Context, tx *sqlTx, name string, hash []byte) error {
	res, err := tx.ExecContext(ctx,
		`UPDATE users SET web_password = ?, web_failures = 0, web_locked_until = 0 WHERE name = ?`, hash, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE user_name = ?`, name); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM web_failures WHERE user_name = ?`, name); err != nil {
		return err
	}
	return nil
}

// RecordWebFailure counts a wrong password for the user. The max-th
// failure in a row locks sign-in until now+lockFor and starts the count
// again. It returns the count after this failure and the lock's end (zero
// when not locked).
func (s *Store) RecordWebFailure(ctx context.Context, name string, now time.Time, max int, lockFor time.Duration) (int, time.Time, error) {
	var failures int
	var until int64
	// One statement, so two concurrent failures both count.
	err := s.db.QueryRowContext(ctx, `
UPDATE users SET
	web_failures = CASE WHEN web_failures + 1 >= ? THEN 0 ELSE web_failures + 1 END,
	web_locked_until = CASE WHEN web_failures + 1 >= ? THEN ? ELSE web_locked_until END
WHERE name = ?
RETURNING web_failures, web_locked_until`, max, max, now.Add(lockFor).UnixNano(), name).Scan(&failures, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, fmt.Errorf("store: web failure of %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("store: web failure of %q: %w", name, err)
	}
	if until <= now.UnixNano() {
		return failures, time.Time{}, nil
	}
	if failures == 0 {
		failures = max
	}
	return failures, time.Unix(0, until).UTC(), nil
}

// RecordWebFailureFrom counts a wrong password for the user from one
// client address: the max-th in a row locks sign-in from that address
// until now+lockFor. Rows untouched for a day are dropped.
func (s *Store) RecordWebFailureFrom(ctx context.Context, name, remote string, now time.Time, max int, lockFor time.Duration) (int, time.Time, error) {
	var failures int
	var until int64
	err := s.inTx(ctx, func(tx *sqlTx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM web_failures WHERE updated < ? AND locked_until < ?`,
			now.Add(-24*time.Hour).UnixNano(), now.UnixNano()); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `
INSERT INTO web_failures (user_name, remote, failures, locked_until, updated)
VALUES (?1, ?2, 1, CASE WHEN 1 >= ?3 THEN CAST(?4 AS BIGINT) ELSE 0 END, ?5)
ON CONFLICT (user_name, remote) DO UPDATE SET
	failures = CASE WHEN web_failures.failures + 1 >= ?3 THEN 0 ELSE web_failures.failures + 1 END,
	locked_until = CASE WHEN web_failures.failures + 1 >= ?3 THEN ?4 ELSE web_failures.locked_until END,
	updated = ?5
RETURNING failures, locked_until`, name, remote, max, now.Add(lockFor).UnixNano(), now.UnixNano()).Scan(&failures, &until)
	})
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("store: web failure of %q from %s: %w", name, remote, err)
	}
	if until <= now.UnixNano() {
		return failures, time.Time{}, nil
	}
	if failures == 0 {
		failures = max
	}
	return failures, time.Unix(0, until).UTC(), nil
}

// WebLockFrom is the end of the lock on the user's sign-in from one client
// address (zero when not locked).
func (s *Store) WebLockFrom(ctx context.Context, name, remote string, now time.Time) (time.Time, error) {
	var until int64
	err := s.db.QueryRowContext(ctx, `SELECT locked_until FROM web_failures WHERE user_name = ? AND remote = ?`, name, remote).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && until <= now.UnixNano()) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("store: web lock of %q from %s: %w", name, remote, err)
	}
	return time.Unix(0, until).UTC(), nil
}

// ClearWebFailures resets the user's wrong-password count after a good
// sign-in, and the count from that sign-in's address.
func (s *Store) ClearWebFailures(ctx context.Context, name, remote string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE users SET web_failures = 0, web_locked_until = 0 WHERE name = ?`, name); err != nil {
		return fmt.Errorf("store: web failures of %q: %w", name, err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM web_failures WHERE user_name = ? AND remote = ?`, name, remote); err != nil {
		return fmt.Errorf("store: web failures of %q: %w", name, err)
	}
	return nil
}

// Session is a signed-in browser.
type Session struct {
	User     User
	Created  time.Time
	LastSeen time.Time
	Expires  time.Time // the absolute end, whatever the activity
}

// CreateSession records a session for the user under the SHA-256 hash of
// its id, ending at expires at the latest.
func (s *Store) CreateSession(ctx context.Context, idHash []byte, user string, now, expires time.Time) error {
	if len(idHash) != 32 {
		return fmt.Errorf("store: create session: the id hash is %d bytes, want 32", len(idHash))
	}
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO web_sessions (id_hash, user_name, created, last_seen, expires) VALUES (?, ?, ?, ?, ?)`,
		idHash, user, now.UnixNano(), now.UnixNano(), expires.UnixNano())
	if err != nil {
		return fmt.Errorf("store: create session for %q: %w", user, err)
	}
	return nil
}

// Session returns the live session with this id hash and its user, and,
// with touch, marks it seen at now (a person acted; a page polling by
// itself does not count). A session past its absolute end, idle for
// longer than idle, or of a disabled user is deleted and reported as
// ErrNotFound (or ErrDisabled).
func (s *Store) Session(ctx context.Context, idHash []byte, now time.Time, idle time.Duration, touch bool) (Session, error) {
	var ss Session
	var created, seen, expires, ucreated int64
	err := s.db.QueryRowContext(ctx, `
SELECT s.created, s.last_seen, s.expires, u.name, u.role, u.created, u.disabled
FROM web_sessions s JOIN users u ON u.name = s.user_name WHERE s.id_hash = ?`, idHash).
		Scan(&created, &seen, &expires, &ss.User.Name, &ss.User.Role, &ucreated, &ss.User.Disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, fmt.Errorf("store: session: %w", ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("store: session: %w", err)
	}
	ss.Created, ss.LastSeen, ss.Expires = time.Unix(0, created).UTC(), time.Unix(0, seen).UTC(), time.Unix(0, expires).UTC()
	ss.User.Created = time.Unix(0, ucreated).UTC()
	dead := !now.Before(ss.Expires) || now.Sub(ss.LastSeen) >= idle
	if dead || ss.User.Disabled {
		if err := s.DeleteSession(ctx, idHash); err != nil {
			return Session{}, err
		}
		if ss.User.Disabled {
			return Session{}, fmt.Errorf("store: session of %q: %w", ss.User.Name, ErrDisabled)
		}
		return Session{}, fmt.Errorf("store: session of %q has expired: %w", ss.User.Name, ErrNotFound)
	}
	if !touch {
		return ss, nil
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE web_sessions SET last_seen = ? WHERE id_hash = ?`, now.UnixNano(), idHash); err != nil {
		return Session{}, fmt.Errorf("store: session: %w", err)
	}
	ss.LastSeen = now.UTC()
	return ss, nil
}

// DeleteSession ends one session (sign-out). Ending one that does not
// exist is not an error.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM web_sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// PruneSessions deletes sessions past their absolute end or idle for
// idle, and returns how many.
func (s *Store) PruneSessions(ctx context.Context, now time.Time, idle time.Duration) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM web_sessions WHERE expires <= ? OR last_seen <= ?`,
		now.UnixNano(), now.Add(-idle).UnixNano())
	if err != nil {
		return 0, fmt.Errorf("store: prune sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
