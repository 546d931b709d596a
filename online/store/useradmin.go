package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// UserAccount is a user as the admins' page lists it: who, what role,
// whether they can sign in, and when they last did.
type UserAccount struct {
	User
	HasPassword bool
	// LockedUntil is the end of the latest lock on the user's sign-in,
	// from everywhere or from one client address (too many wrong
	// passwords); zero when none was ever set.
	LockedUntil time.Time
	// LastSignIn is the last good web sign-in; zero: never (or before
	// it was recorded).
	LastSignIn time.Time
	// TemporaryUntil is the end of an admin-set temporary password, which
	// must be replaced at sign-in; zero when the password is the user's own.
	TemporaryUntil time.Time
}

// State is the account's state in one word: disabled, locked or active.
func (a UserAccount) State(now time.Time) string {
	switch {
	case a.Disabled:
		return "disabled"
	case a.LockedUntil.After(now):
		return "locked"
	}
	return "active"
}

func unixTime(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// UserAccounts returns every user with their sign-in state, by name.
func (s *Store) UserAccounts(ctx context.Context) ([]UserAccount, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT name, role, created, disabled, web_password IS NOT NULL,
	web_locked_until, coalesce((SELECT max(f.locked_until) FROM web_failures f WHERE f.user_name = users.name), 0),
	web_last_signin, web_password_until
FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: user accounts: %w", err)
	}
	defer rows.Close()
	var out []UserAccount
	for rows.Next() {
		var a UserAccount
		var created, locked, lockedFrom, last, until int64
		if err := rows.Scan(&a.Name, &a.Role, &created, &a.Disabled, &a.HasPassword, &locked, &lockedFrom, &last, &until); err != nil {
			return nil, fmt.Errorf("store: user accounts: %w", err)
		}
		a.Created, a.LockedUntil, a.LastSignIn, a.TemporaryUntil = unixTime(created), unixTime(max(locked, lockedFrom)), unixTime(last), unixTime(until)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: user accounts: %w", err)
	}
	return out, nil
}

// execer is the part of a transaction a change of a user's row needs.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// adminChange runs change on name's row in one transaction, refusing it
// when it would leave no enabled admin, or when by (an admin) would take
// their own admin role or access away: another admin must do that, so no
// one locks the treasury out by a slip. change reports whether the row
// stays an enabled admin. The user's web sessions end in the same
// transaction, so a demoted or disabled user cannot act on an open page.
func (s *Store) adminChange(ctx context.Context, name, by, what string, change func(tx execer, u User) (stillAdmin bool, err error)) error {
	return s.inTx(ctx, func(tx *sqlTx) error {
		var u User
		var created int64
		err := tx.QueryRowContext(ctx, `SELECT name, role, created, disabled FROM users WHERE name = ?`, name).
			Scan(&u.Name, &u.Role, &created, &u.Disabled)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: %s %q: %w", what, name, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: %s %q: %w", what, name, err)
		}
		wasAdmin := u.Role == RoleAdmin && !u.Disabled
		still, err := change(tx, u)
		if err != nil {
			return fmt.Errorf("store: %s %q: %w", what, name, err)
		}
		if wasAdmin && !still {
			if by == name {
				return fmt.Errorf("store: %s %q: %w: you cannot take your own admin role or access away; another admin must", what, name, ErrConflict)
			}
			var admins int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0`).Scan(&admins); err != nil {
				return fmt.Errorf("store: %s %q: %w", what, name, err)
			}
			if admins == 0 {
				return fmt.Errorf("store: %s %q: %w: %s is the last enabled admin; make another user admin first", what, name, ErrConflict, name)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE user_name = ?`, name); err != nil {
			return fmt.Errorf("store: %s %q: %w", what, name, err)
		}
		return nil
	})
}

// SetRole gives name the role, as the admin by, and ends name's web
// sessions. It refuses to leave no enabled admin, and an admin's demotion
// of themselves.
func (s *Store) SetRole(ctx context.Context, name string, role Role, by string) error {
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	return s.adminChange(ctx, name, by, "set role of", func(tx execer, u User) (bool, error) {
		_, err := tx.ExecContext(ctx, `UPDATE users SET role = ? WHERE name = ?`, string(role), name)
		return role == RoleAdmin && !u.Disabled, err
	})
}

// SetDisabled disables or enables name, as the admin by. Disabling ends
// the user's web sessions, and with them their token, approvals and
// approver keys stop being accepted (the coordinator checks the user on
// each). It refuses to disable the last enabled admin, or by themselves.
func (s *Store) SetDisabled(ctx context.Context, name string, disabled bool, by string) error {
	what := "enable"
	if disabled {
		what = "disable"
	}
	return s.adminChange(ctx, name, by, what, func(tx execer, u User) (bool, error) {
		_, err := tx.ExecContext(ctx, `UPDATE users SET disabled = ? WHERE name = ?`, disabled, name)
		return u.Role == RoleAdmin && !disabled, err
	})
}

// SetWebPasswordUntil stores the user's encoded password hash as
// SetWebPassword does (lockouts cleared, sessions ended). A non-zero until
// makes it temporary: it signs in only before until, and then only to
// set a password of the user's own. A zero until makes it the user's own.
func (s *Store) SetWebPasswordUntil(ctx context.Context, name string, hash []byte, until time.Time) error {
	if len(hash) == 0 || len(hash) > 1024 {
		return fmt.Errorf("store: web password of %q: the hash is %d bytes; want 1 to 1024", name, len(hash))
	}
	var untilNS int64
	if !until.IsZero() {
		untilNS = until.UnixNano()
	}
	return s.inTx(ctx, func(tx *sqlTx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE users SET web_password = ?, web_password_until = ?, web_failures = 0, web_locked_until = 0 WHERE name = ?`, hash, untilNS, name)
		if err != nil {
			return fmt.Errorf("store: web password of %q: %w", name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: web password of %q: %w", name, ErrNotFound)
		}
		for _, q := range []string{`DELETE FROM web_sessions WHERE user_name = ?`, `DELETE FROM web_failures WHERE user_name = ?`} {
			if _, err := tx.ExecContext(ctx, q, name); err != nil {
				return fmt.Errorf("store: web password of %q: %w", name, err)
			}
		}
		return nil
	})
}

// TemporaryPasswordUntil is the end of the user's temporary web password,
// or zero when their password is their own (or they have none).
func (s *Store) TemporaryPasswordUntil(ctx context.Context, name string) (time.Time, error) {
	var until int64
	err := s.db.QueryRowContext(ctx, `SELECT web_password_until FROM users WHERE name = ?`, name).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("store: user %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("store: user %q: %w", name, err)
	}
	return unixTime(until), nil
}

// RecordSignIn notes a good web sign-in of the user at now.
func (s *Store) RecordSignIn(ctx context.Context, name string, now time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE users SET web_last_signin = ? WHERE name = ?`, now.UnixNano(), name); err != nil {
		return fmt.Errorf("store: sign-in of %q: %w", name, err)
	}
	return nil
}
