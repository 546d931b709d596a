package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Quorum is what the treasury recorded on the coordinator of a wallet's
// kiosk policy on approvals: how many distinct approvers, with which
// kinds of key. It only informs the pages; the kiosk checks its own
// policy.
type Quorum struct {
	Wallet string
	Need   int
	// Kinds are the approval kinds counted; empty means the kiosk's
	// default.
	Kinds   []string
	SetBy   string
	Updated time.Time
}

// SetQuorum records q for its wallet, replacing the one recorded.
func (s *Store) SetQuorum(ctx context.Context, q Quorum) error {
	_, err := s.db.ExecContext(ctx, `
INSERT INTO wallet_quorums (wallet, need, kinds, set_by, updated) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (wallet) DO UPDATE SET need = excluded.need, kinds = excluded.kinds, set_by = excluded.set_by, updated = excluded.updated`,
		q.Wallet, q.Need, strings.Join(q.Kinds, ","), q.SetBy, q.Updated.UnixNano())
	if err != nil {
		return fmt.Errorf("store: record the approvals %q needs: %w", q.Wallet, err)
	}
	return nil
}

// ClearQuorum forgets what was recorded for wallet.
func (s *Store) ClearQuorum(ctx context.Context, wallet string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM wallet_quorums WHERE wallet = ?`, wallet); err != nil {
		return fmt.Errorf("store: forget the approvals %q needs: %w", wallet, err)
	}
	return nil
}

// Quorum returns what was recorded for wallet, or ErrNotFound.
func (s *Store) Quorum(ctx context.Context, wallet string) (Quorum, error) {
	q := Quorum{Wallet: wallet}
	var kinds string
	var updated int64
	err := s.db.QueryRowContext(ctx, `SELECT need, kinds, set_by, updated FROM wallet_quorums WHERE wallet = ?`, wallet).
		Scan(&q.Need, &kinds, &q.SetBy, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Quorum{}, fmt.Errorf("store: approvals %q needs: %w", wallet, ErrNotFound)
	}
	if err != nil {
		return Quorum{}, fmt.Errorf("store: approvals %q needs: %w", wallet, err)
	}
	if kinds != "" {
		q.Kinds = strings.Split(kinds, ",")
	}
	q.Updated = time.Unix(0, updated).UTC()
	return q, nil
}
