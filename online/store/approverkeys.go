package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ApproverKey is an approver's key that the coordinator holds only the
// public half of: a WebAuthn credential or an approver station's key.
type ApproverKey struct {
	// KeyID is what approvals name the key by: the ed25519 key, or the
	// SHA-256 of a WebAuthn credential's canonical COSE_Key.
	KeyID []byte
	User  string
	Kind  string // "webauthn" or "station"
	// PublicKey is the canonical COSE_Key or the ed25519 public key.
	PublicKey []byte
	// RPID and CredentialID are a WebAuthn credential's relying-party id
	// and id, which the browser needs to find it.
	RPID         string
	CredentialID []byte
	Label        string
	Created      time.Time
	Disabled     bool
}

// AddApproverKey stores k. A key is registered once, to one user: a
// second registration of the same key is refused (ErrExists).
func (s *Store) AddApproverKey(ctx context.Context, k ApproverKey) error {
	if len(k.KeyID) != 32 || len(k.PublicKey) == 0 || (k.Kind != "webauthn" && k.Kind != "station") || k.Created.IsZero() {
		return fmt.Errorf("store: approver key of %q: a 32-byte key id, a public key, a kind (webauthn or station) and a time are required", k.User)
	}
	if _, err := s.User(ctx, k.User); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO approver_keys (key_id, user_name, kind, public_key, rp_id, credential_id, label, created)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, k.KeyID, k.User, k.Kind, k.PublicKey, k.RPID, k.CredentialID, k.Label, k.Created.UnixNano())
	if err != nil {
		if s.db.dialect.isDuplicate(err) {
			return fmt.Errorf("store: approver key %x…: %w: it is already registered", k.KeyID[:8], ErrExists)
		}
		return fmt.Errorf("store: approver key of %q: %w", k.User, err)
	}
	return nil
}

// ApproverKeys returns the user's approver keys, disabled ones included,
// oldest first.
func (s *Store) ApproverKeys(ctx context.Context, user string) ([]ApproverKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key_id, user_name, kind, public_key, rp_id, credential_id, label, created, disabled
		FROM approver_keys WHERE user_name = ? ORDER BY created, key_id`, user)
	if err != nil {
		return nil, fmt.Errorf("store: approver keys of %q: %w", user, err)
	}
	defer rows.Close()
	var out []ApproverKey
	for rows.Next() {
		k, err := scanApproverKey(rows)
		if err != nil {
			return nil, fmt.Errorf("store: approver keys of %q: %w", user, err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: approver keys of %q: %w", user, err)
	}
	return out, nil
}

// ApproverKeyByID returns the key with id, or ErrNotFound.
func (s *Store) ApproverKeyByID(ctx context.Context, id []byte) (ApproverKey, error) {
	row := s.db.QueryRowContext(ctx, `SELECT key_id, user_name, kind, public_key, rp_id, credential_id, label, created, disabled
		FROM approver_keys WHERE key_id = ?`, id)
	k, err := scanApproverKey(row)
	if errors.Is(err, sql.ErrNoRows) {
		return ApproverKey{}, fmt.Errorf("store: approver key %x: %w", id, ErrNotFound)
	}
	if err != nil {
		return ApproverKey{}, fmt.Errorf("store: approver key %x: %w", id, err)
	}
	return k, nil
}

// DisableApproverKey stops the key from approving here. The kiosk, which
// enrolled it with a quorum, must remove it too for its approvals to stop
// counting there.
func (s *Store) DisableApproverKey(ctx context.Context, user string, id []byte) error {
	res, err := s.db.ExecContext(ctx, `UPDATE approver_keys SET disabled = 1 WHERE key_id = ? AND user_name = ?`, id, user)
	if err != nil {
		return fmt.Errorf("store: approver key %x: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: approver key %x of %q: %w", id, user, ErrNotFound)
	}
	return nil
}

func scanApproverKey(r interface{ Scan(...any) error }) (ApproverKey, error) {
	var k ApproverKey
	var created int64
	if err := r.Scan(&k.KeyID, &k.User, &k.Kind, &k.PublicKey, &k.RPID, &k.CredentialID, &k.Label, &created, &k.Disabled); err != nil {
		return ApproverKey{}, err
	}
	k.Created = time.Unix(0, created).UTC()
	return k, nil
}
