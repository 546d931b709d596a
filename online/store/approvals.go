package store

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// User returns the user called name, disabled or not, or ErrNotFound.
func (s *Store) User(ctx context.Context, name string) (User, error) {
	var u User
	var created int64
	err := s.db.QueryRowContext(ctx, `SELECT name, role, created, disabled FROM users WHERE name = ?`, name).
		Scan(&u.Name, &u.Role, &created, &u.Disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("store: user %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("store: user %q: %w", name, err)
	}
	u.Created = time.Unix(0, created).UTC()
	return u, nil
}

// SetApprovalKey stores the user's approval public key and its sealed
// private half, replacing any key the user had and clearing the count of
// wrong passwords. The store keeps sealed as it is: sealing is the
// caller's.
func (s *Store) SetApprovalKey(ctx context.Context, user string, pub ed25519.PublicKey, sealed []byte) error {
	if len(pub) != ed25519.PublicKeySize || len(sealed) == 0 {
		return fmt.Errorf("store: approval key of %q: a %d-byte public key and the sealed key are required", user, ed25519.PublicKeySize)
	}
	if _, err := s.User(ctx, user); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO approval_keys (user_name, public_key, sealed, failures) VALUES (?, ?, ?, 0)
		ON CONFLICT (user_name) DO UPDATE SET public_key = excluded.public_key, sealed = excluded.sealed, failures = 0`,
		user, []byte(pub), sealed)
	if err != nil {
		return fmt.Errorf("store: approval key of %q: %w", user, err)
	}
	return nil
}

// ApprovalKey returns the user's approval public key and sealed private
// key, or ErrNotFound when the user has none.
func (s *Store) ApprovalKey(ctx context.Context, user string) (ed25519.PublicKey, []byte, error) {
	var pub, sealed []byte
	err := s.db.QueryRowContext(ctx, `SELECT public_key, sealed FROM approval_keys WHERE user_name = ?`, user).Scan(&pub, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("store: approval key of %q: %w", user, ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("store: approval key of %q: %w", user, err)
	}
	return ed25519.PublicKey(pub), sealed, nil
}

// ApprovalKeyFailures returns how many wrong passwords were given for the
// user's approval key since it last opened or was set.
func (s *Store) ApprovalKeyFailures(ctx context.Context, user string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT failures FROM approval_keys WHERE user_name = ?`, user).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("store: approval key of %q: %w", user, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("store: approval key of %q: %w", user, err)
	}
	return n, nil
}

// ApprovalKeyFailed counts one more wrong password for the user's approval
// key and returns the count.
func (s *Store) ApprovalKeyFailed(ctx context.Context, user string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx,
		`UPDATE approval_keys SET failures = failures + 1 WHERE user_name = ? RETURNING failures`, user).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("store: approval key of %q: %w", user, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("store: approval key of %q: %w", user, err)
	}
	return n, nil
}

// Approval is one approver's approval of a withdrawal request. The
// signature itself travels in the request's PSBT; this is the record of it.
type Approval struct {
	Request  string
	Approver string
	// PublicKey is the ed25519 key that signed, or a WebAuthn key's ID:
	// what the approval's PSBT field is keyed by.
	PublicKey ed25519.PublicKey
	// Kind is where the key is kept: coordinator-sealed, station or
	// webauthn (package approval's Kind).
	Kind    string
	Expires time.Time // stored to the second, as the signed message has it
	Created time.Time
}

// RecordApproval records a and stores psbt, the request's PSBT with a's
// signature attached, in one transaction. It replaces an earlier approval
// by the same approver and clears the approver's count of wrong passwords.
//
// prev is the PSBT the caller attached the approval to: when the stored one
// is no longer prev (another approval landed in between) nothing is written
// and the error wraps ErrConflict, so the caller attaches again to the new
// one instead of dropping the other approval. The request must be pending
// (else ErrState).
func (s *Store) RecordApproval(ctx context.Context, a Approval, prev, psbt []byte) error {
	if a.Request == "" || a.Approver == "" || len(a.PublicKey) != ed25519.PublicKeySize || len(psbt) == 0 || a.Created.IsZero() {
		return fmt.Errorf("store: record approval of %s: request, approver, public key, PSBT and creation time are required", a.Request)
	}
	kind := a.Kind
	if kind == "" {
		kind = "coordinator-sealed"
	}
	err := s.inTx(ctx, func(tx *sqlTx) error { return recordApproval(ctx, tx, a, kind, prev, psbt) })
	if err != nil {
		return fmt.Errorf("store: record approval of %s: %w", a.Request, err)
	}
	return nil
}

func recordApproval(ctx context.Context, tx *sqlTx, a Approval, kind string, prev, psbt []byte) error {
	var st string
	var stored []byte
	err := tx.QueryRowContext(ctx, `SELECT status, psbt FROM withdrawals WHERE id = ?`, a.Request).Scan(&st, &stored)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: withdrawal %s", ErrNotFound, a.Request)
	}
	if err != nil {
		return err
	}
	if Status(st) != StatusPending {
		return fmt.Errorf("%w: it is %s; only a pending request can be approved", ErrState, st)
	}
	if !bytes.Equal(stored, prev) {
		return fmt.Errorf("%w: its PSBT changed meanwhile (another approval?); approve again", ErrConflict)
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`UPDATE withdrawals SET psbt = ? WHERE id = ?`, []any{psbt, a.Request}},
		{`INSERT INTO approvals (withdrawal, approver, public_key, kind, expires, created) VALUES (?, ?, ?, ?, ?, ?)
		  ON CONFLICT (withdrawal, approver) DO UPDATE SET public_key = excluded.public_key, kind = excluded.kind,
		  expires = excluded.expires, created = excluded.created`,
			[]any{a.Request, a.Approver, []byte(a.PublicKey), kind, a.Expires.Unix(), a.Created.UnixNano()}},
		{`UPDATE approval_keys SET failures = 0 WHERE user_name = ?`, []any{a.Approver}},
	} {
		if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
			return err
		}
	}
	return nil
}

// Approvals returns the approvals recorded for a request, ordered by
// approver. A request nobody approved has none; an unknown one too.
func (s *Store) Approvals(ctx context.Context, request string) ([]Approval, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT approver, public_key, kind, expires, created FROM approvals WHERE withdrawal = ? ORDER BY approver`, request)
	if err != nil {
		return nil, fmt.Errorf("store: approvals of %s: %w", request, err)
	}
	defer rows.Close()
	var out []Approval
	for rows.Next() {
		a := Approval{Request: request}
		var pub []byte
		var expires, created int64
		if err := rows.Scan(&a.Approver, &pub, &a.Kind, &expires, &created); err != nil {
			return nil, fmt.Errorf("store: approvals of %s: %w", request, err)
		}
		a.PublicKey = ed25519.PublicKey(pub)
		a.Expires, a.Created = time.Unix(expires, 0).UTC(), time.Unix(0, created).UTC()
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: approvals of %s: %w", request, err)
	}
	return out, nil
}
