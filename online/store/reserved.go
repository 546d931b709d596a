package store

import (
	"context"
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
)

// Reservation is what one request holds of a wallet: its unspent
// reserved outputs, their count and value.
type Reservation struct {
	Withdrawal string
	Coins      int
	Value      btcutil.Amount
}

// ReservedBy breaks Reserved down by the request that holds the coins,
// in request id order.
func (s *Store) ReservedBy(ctx context.Context, wallet string) ([]Reservation, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT r.withdrawal, count(*), CAST(sum(u.value) AS BIGINT) FROM utxos u
		JOIN reservations r ON r.txid = u.txid AND r.vout = u.vout
		WHERE u.wallet = ? AND u.spent_by IS NULL GROUP BY r.withdrawal ORDER BY r.withdrawal`, wallet)
	if err != nil {
		return nil, fmt.Errorf("store: reservations of %q: %w", wallet, err)
	}
	defer rows.Close()
	var out []Reservation
	for rows.Next() {
		var r Reservation
		var v int64
		if err := rows.Scan(&r.Withdrawal, &r.Coins, &v); err != nil {
			return nil, fmt.Errorf("store: reservations of %q: %w", wallet, err)
		}
		r.Value = btcutil.Amount(v)
		out = append(out, r)
	}
	return out, rows.Err()
}
