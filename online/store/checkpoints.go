package store

import (
	"context"
	"fmt"
	"time"
)

// KioskCheckpoint is the latest audit-log checkpoint a kiosk handed out
// with a signature for a wallet: the carried PSBT field's value
// (auditlog.Carry), which the coordinator hands back in the wallet's next
// PSBTs.
type KioskCheckpoint struct {
	Wallet  string
	KeyName string
	Size    int64
	Value   []byte
	Seen    time.Time
}

// KeepKioskCheckpoint stores a kiosk's checkpoint for a wallet when it is
// larger than the one kept: a kiosk's log only grows, so the largest is
// the one a cut-back log fails against. The caller has verified it.
func (s *Store) KeepKioskCheckpoint(ctx context.Context, c KioskCheckpoint) error {
	_, err := s.db.ExecContext(ctx, `
INSERT INTO kiosk_checkpoints (wallet, key_name, size, value, seen) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (wallet, key_name) DO UPDATE SET size = excluded.size, value = excluded.value, seen = excluded.seen
WHERE excluded.size > kiosk_checkpoints.size`,
		c.Wallet, c.KeyName, c.Size, c.Value, c.Seen.UnixNano())
	if err != nil {
		return fmt.Errorf("store: keep the checkpoint of kiosk %s for wallet %q: %w", c.KeyName, c.Wallet, err)
	}
	return nil
}

// KioskCheckpoints lists the checkpoints kept for a wallet, by key name.
func (s *Store) KioskCheckpoints(ctx context.Context, wallet string) ([]KioskCheckpoint, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key_name, size, value, seen FROM kiosk_checkpoints WHERE wallet = ? ORDER BY key_name`, wallet)
	if err != nil {
		return nil, fmt.Errorf("store: kiosk checkpoints of %q: %w", wallet, err)
	}
	defer rows.Close()
	var out []KioskCheckpoint
	for rows.Next() {
		c := KioskCheckpoint{Wallet: wallet}
		var seen int64
		if err := rows.Scan(&c.KeyName, &c.Size, &c.Value, &seen); err != nil {
			return nil, fmt.Errorf("store: kiosk checkpoints of %q: %w", wallet, err)
		}
		c.Seen = time.Unix(0, seen).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}
