package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// SaveTxs stores transactions that paid our outputs, keyed by txid. Storing
// one twice is a no-op. The watcher calls it before applying the block or
// mempool entry that credits them, so every stored output has its funding
// transaction.
func (s *Store) SaveTxs(ctx context.Context, txs []*wire.MsgTx) error {
	if len(txs) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *sqlTx) error {
		var buf bytes.Buffer
		for _, t := range txs {
			buf.Reset()
			if err := t.Serialize(&buf); err != nil {
				return fmt.Errorf("store: save transaction %s: %w", t.TxHash(), err)
			}
			id := t.TxHash()
			if _, err := tx.ExecContext(ctx, `INSERT INTO txs (txid, raw) VALUES (?, ?) ON CONFLICT (txid) DO NOTHING`,
				id[:], buf.Bytes()); err != nil {
				return fmt.Errorf("store: save transaction %s: %w", id, err)
			}
		}
		return nil
	})
}

// Tx returns a stored transaction, or ErrNotFound.
func (s *Store) Tx(ctx context.Context, txid chainhash.Hash) (*wire.MsgTx, error) {
	var raw []byte
	err := s.db.QueryRowContext(ctx, `SELECT raw FROM txs WHERE txid = ?`, txid[:]).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: transaction %s: %w", txid, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: transaction %s: %w", txid, err)
	}
	var t wire.MsgTx
	if err := t.Deserialize(bytes.NewReader(raw)); err != nil {
		return nil, fmt.Errorf("store: transaction %s: stored bytes do not parse: %w", txid, err)
	}
	if t.TxHash() != txid {
		return nil, fmt.Errorf("store: transaction %s: stored bytes hash to %s: %w", txid, t.TxHash(), ErrConflict)
	}
	return &t, nil
}

// IssueAddress hands out the wallet's lowest address on branch that is
// neither used nor issued, and marks it issued so the next caller gets
// another. It returns ErrNoAddress when the watcher has not derived one.
func (s *Store) IssueAddress(ctx context.Context, wallet string, branch uint32) (Address, error) {
	var a Address
	err := s.inTx(ctx, func(tx *sqlTx) error {
		a = Address{Wallet: wallet, Branch: branch}
		err := tx.QueryRowContext(ctx,
			`SELECT idx, script FROM addresses WHERE wallet = ? AND branch = ? AND used = 0 AND issued = 0
			 ORDER BY idx LIMIT 1`, wallet, branch).Scan(&a.Index, &a.Script)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: issue address of %q branch %d: %w", wallet, branch, ErrNoAddress)
		}
		if err != nil {
			return fmt.Errorf("store: issue address of %q: %w", wallet, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE addresses SET issued = 1 WHERE wallet = ? AND branch = ? AND idx = ?`,
			wallet, branch, a.Index); err != nil {
			return fmt.Errorf("store: issue address of %q: %w", wallet, err)
		}
		a.Issued = true
		return nil
	})
	if err != nil {
		return Address{}, err
	}
	return a, nil
}

// UnconfirmedTxids returns the transactions the store knows only from the
// mempool: creators of unconfirmed outputs and spenders not yet in a block.
func (s *Store) UnconfirmedTxids(ctx context.Context) ([]chainhash.Hash, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT txid FROM utxos WHERE height = 0
		 UNION SELECT spent_by FROM utxos WHERE spent_by IS NOT NULL AND spent_height IS NULL`)
	if err != nil {
		return nil, fmt.Errorf("store: unconfirmed txids: %w", err)
	}
	defer rows.Close()
	var ids []chainhash.Hash
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("store: unconfirmed txids: %w", err)
		}
		h, err := chainhash.NewHash(b)
		if err != nil {
			return nil, fmt.Errorf("store: unconfirmed txids: %w", err)
		}
		ids = append(ids, *h)
	}
	return ids, rows.Err()
}

// DropUnconfirmed forgets a transaction that left the mempool without being
// mined (replaced by fee bump, conflicted or evicted): the outputs it created
// that no block holds, and its unconfirmed spends. Outputs of ours it spent
// become spendable again.
func (s *Store) DropUnconfirmed(ctx context.Context, txid chainhash.Hash) error {
	return s.inTx(ctx, func(tx *sqlTx) error {
		for _, q := range []string{
			`UPDATE utxos SET spent_by = NULL WHERE spent_by = ? AND spent_height IS NULL`,
			`UPDATE utxos SET mempool_spent_by = NULL WHERE mempool_spent_by = ?`,
			`DELETE FROM utxos WHERE txid = ? AND height = 0`,
		} {
			if _, err := tx.ExecContext(ctx, q, txid[:]); err != nil {
				return fmt.Errorf("store: drop unconfirmed %s: %w", txid, err)
			}
		}
		return nil
	})
}

// Rewind undoes every applied block at height and above in one transaction,
// exactly as that many DisconnectTip calls would. Rewinding below the first
// applied block empties the applied chain; the watcher then starts again
// from the earliest wallet birthday. It is how a wallet registered with a
// birthday in the past gets its history.
func (s *Store) Rewind(ctx context.Context, height int32) error {
	return s.inTx(ctx, func(tx *sqlTx) error {
		for _, q := range []string{
			`UPDATE utxos SET spent_by = mempool_spent_by, mempool_spent_by = NULL, spent_height = NULL
		 WHERE spent_height >= ?`,
			`UPDATE utxos SET height = 0 WHERE height >= ? AND seen_unconfirmed = 1`,
			`DELETE FROM utxos WHERE height >= ?`,
			`DELETE FROM blocks WHERE height >= ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, height); err != nil {
				return fmt.Errorf("store: rewind to %d: %w", height, err)
			}
		}
		return nil
	})
}

// FirstBlock returns the lowest applied block height; ok is false when none.
func (s *Store) FirstBlock(ctx context.Context) (height int32, ok bool, err error) {
	var h sql.NullInt32
	if err := s.db.QueryRowContext(ctx, `SELECT min(height) FROM blocks`).Scan(&h); err != nil {
		return 0, false, fmt.Errorf("store: first block: %w", err)
	}
	return h.Int32, h.Valid, nil
}

// Movement is what one transaction did to one wallet.
type Movement struct {
	TxID     chainhash.Hash
	Height   int32 // 0 = mempool
	Received btcutil.Amount
	Sent     btcutil.Amount // our outputs it spent
}

// Net is what the transaction added to the wallet (negative for a
// withdrawal, whose fee and payment leave it).
func (m Movement) Net() btcutil.Amount { return m.Received - m.Sent }

// History returns every transaction that paid to or spent from the wallet,
// newest first with mempool transactions on top.
func (s *Store) History(ctx context.Context, wallet string) ([]Movement, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT txid, max(h), CAST(sum(recv) AS BIGINT), CAST(sum(sent) AS BIGINT) FROM (
			SELECT txid, height AS h, value AS recv, 0 AS sent FROM utxos WHERE wallet = ?1
			UNION ALL
			SELECT spent_by, coalesce(spent_height, 0), 0, value FROM utxos
			WHERE wallet = ?1 AND spent_by IS NOT NULL
		) AS moves GROUP BY txid
		ORDER BY max(h) = 0 DESC, max(h) DESC, txid`, wallet)
	if err != nil {
		return nil, fmt.Errorf("store: history of %q: %w", wallet, err)
	}
	defer rows.Close()
	var ms []Movement
	for rows.Next() {
		var m Movement
		var b []byte
		var recv, sent int64
		if err := rows.Scan(&b, &m.Height, &recv, &sent); err != nil {
			return nil, fmt.Errorf("store: history of %q: %w", wallet, err)
		}
		h, err := chainhash.NewHash(b)
		if err != nil {
			return nil, fmt.Errorf("store: history of %q: %w", wallet, err)
		}
		m.TxID, m.Received, m.Sent = *h, btcutil.Amount(recv), btcutil.Amount(sent)
		ms = append(ms, m)
	}
	return ms, rows.Err()
}

// TxHeight says where a transaction touching our wallets stands: in a block
// at height, in the mempool (height 0, known), or unknown to the store.
func (s *Store) TxHeight(ctx context.Context, txid chainhash.Hash) (height int32, known bool, err error) {
	var h sql.NullInt32
	err = s.db.QueryRowContext(ctx, `
		SELECT max(h) FROM (
			SELECT height AS h FROM utxos WHERE txid = ?1
			UNION ALL SELECT coalesce(spent_height, 0) FROM utxos WHERE spent_by = ?1
		) AS heights`, txid[:]).Scan(&h)
	if err != nil {
		return 0, false, fmt.Errorf("store: height of %s: %w", txid, err)
	}
	return h.Int32, h.Valid, nil
}

// Outpoints returns every output of ours not spent in a block: the ones a
// block's inputs can spend. The watcher matches inputs against it.
func (s *Store) Outpoints(ctx context.Context) (map[wire.OutPoint]struct{}, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT txid, vout FROM utxos WHERE spent_height IS NULL`)
	if err != nil {
		return nil, fmt.Errorf("store: outpoints: %w", err)
	}
	defer rows.Close()
	ops := map[wire.OutPoint]struct{}{}
	for rows.Next() {
		var b []byte
		var op wire.OutPoint
		if err := rows.Scan(&b, &op.Index); err != nil {
			return nil, fmt.Errorf("store: outpoints: %w", err)
		}
		copy(op.Hash[:], b)
		ops[op] = struct{}{}
	}
	return ops, rows.Err()
}

// Output returns one of our outputs whatever its state, or ErrNotFound.
func (s *Store) Output(ctx context.Context, op wire.OutPoint) (UTXO, error) {
	us, err := s.utxos(ctx, `WHERE txid = ? AND vout = ?`, op.Hash[:], op.Index)
	if err != nil {
		return UTXO{}, fmt.Errorf("store: output %s: %w", op, err)
	}
	if len(us) == 0 {
		return UTXO{}, fmt.Errorf("store: output %s: %w", op, ErrNotFound)
	}
	return us[0], nil
}

// BlockHash returns the hash of the applied block at height; ok is false
// when no block at that height is applied.
func (s *Store) BlockHash(ctx context.Context, height int32) (hash chainhash.Hash, ok bool, err error) {
	var b []byte
	err = s.db.QueryRowContext(ctx, `SELECT hash FROM blocks WHERE height = ?`, height).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return chainhash.Hash{}, false, nil
	}
	if err != nil {
		return chainhash.Hash{}, false, fmt.Errorf("store: block at %d: %w", height, err)
	}
	copy(hash[:], b)
	return hash, true, nil
}
