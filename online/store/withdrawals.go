package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// Status is where a withdrawal request stands. Confirmation is not a stored
// status: it is read from the chain state (TxHeight), so a reorg that
// unconfirms a withdrawal needs no bookkeeping.
type Status string

const (
	// StatusPending: built, waiting for signatures; its inputs are reserved.
	StatusPending Status = "pending"
	// StatusBroadcast: finalized and handed to the node.
	StatusBroadcast Status = "broadcast"
	// StatusCancelled: given up before broadcast; its inputs are free again.
	StatusCancelled Status = "cancelled"
	// StatusReplaced: superseded by a fee bump (the request in ReplacedBy).
	StatusReplaced Status = "replaced"
)

// Withdrawal is a request to pay out of a wallet and the unsigned
// transaction built for it.
type Withdrawal struct {
	ID          string
	Wallet      string
	Status      Status
	Requester   string
	Created     time.Time
	Destination string // address as the requester gave it
	Amount      btcutil.Amount
	Fee         btcutil.Amount
	FeeRate     int64 // sat/kvB
	HasChange   bool
	ChangeIndex uint32 // on branch 1, when HasChange
	PSBT        []byte // unsigned, as built
	// UnsignedTxID is the txid of the PSBT's unsigned transaction. For
	// segwit inputs it is also the final txid.
	UnsignedTxID chainhash.Hash
	Inputs       []wire.OutPoint
	FinalTx      []byte          // set when broadcast
	TxID         *chainhash.Hash // txid of FinalTx
	Replaces     string          // the request this one bumps, if any
	ReplacedBy   string          // filled in when reading
	// BumpedBy is who made this replacement (BumpFee); its Requester is
	// the original request's.
	BumpedBy string
	// PaidTxID is set on a cancelled request whose transaction spent its
	// coins anyway: a signed copy was broadcast from elsewhere.
	PaidTxID *chainhash.Hash
	// Revokes marks a revocation: the replacement that pays the replaced
	// request's coins back to the wallet.
	Revokes bool
	// ConflictTxID is set on a pending or broadcast request when another
	// transaction spent one of its coins in a block: it can never confirm.
	ConflictTxID *chainhash.Hash
	// Memo is the requester's note on the request. A fee bump keeps the
	// memo of the request it replaces unless it gives its own.
	Memo string
	// FeePreset is how FeeRate was chosen: economy, normal, priority or
	// custom; empty for a fee bump and for requests made before presets.
	FeePreset string
}

// CreateWithdrawal records a new pending request and reserves its inputs,
// in one transaction. Every input must be an unspent output of the wallet
// that no other live request holds; otherwise nothing is written and the
// error wraps ErrReserved and names the holder.
func (s *Store) CreateWithdrawal(ctx context.Context, w Withdrawal) error {
	if err := s.insertWithdrawal(ctx, w, ""); err != nil {
		return fmt.Errorf("store: create withdrawal %s: %w", w.ID, err)
	}
	return nil
}

// ReplaceWithdrawal records w as the fee bump of request old: old becomes
// replaced, its reservations pass to w, and any further inputs w spends are
// reserved for it. old must be pending or broadcast.
func (s *Store) ReplaceWithdrawal(ctx context.Context, old string, w Withdrawal) error {
	w.Replaces = old
	if err := s.insertWithdrawal(ctx, w, old); err != nil {
		return fmt.Errorf("store: replace withdrawal %s with %s: %w", old, w.ID, err)
	}
	return nil
}

func (s *Store) insertWithdrawal(ctx context.Context, w Withdrawal, old string) error {
	if w.ID == "" || w.Wallet == "" || len(w.Inputs) == 0 || len(w.PSBT) == 0 || w.Amount <= 0 || w.FeeRate <= 0 {
		return errors.New("id, wallet, inputs, psbt, a positive amount and fee rate are required")
	}
	return s.inTx(ctx, func(tx *sqlTx) error {
		if old != "" {
			st, err := withdrawalStatus(ctx, tx, old)
			if err != nil {
				return err
			}
			if st != StatusPending && st != StatusBroadcast {
				return fmt.Errorf("%w: %s is %s", ErrState, old, st)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE withdrawals SET status = 'replaced' WHERE id = ?`, old); err != nil {
				return err
			}
		}
		var change sql.NullInt64
		if w.HasChange {
			change = sql.NullInt64{Int64: int64(w.ChangeIndex), Valid: true}
		}
		var replaces sql.NullString
		if old != "" {
			replaces = sql.NullString{String: old, Valid: true}
			// A bump pays the same thing: its memo stays. A revocation pays
			// the coins back, which the memo does not describe.
			if w.Memo == "" && !w.Revokes {
				if err := tx.QueryRowContext(ctx, `SELECT memo FROM withdrawals WHERE id = ?`, old).Scan(&w.Memo); err != nil {
					return err
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `
		INSERT INTO withdrawals (id, wallet, status, requester, created, destination, amount, fee, feerate,
			change_index, psbt, unsigned_txid, replaces, bumped_by, revokes, memo, fee_preset)
		VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			w.ID, w.Wallet, w.Requester, w.Created.UnixNano(), w.Destination, int64(w.Amount), int64(w.Fee), w.FeeRate,
			change, w.PSBT, w.UnsignedTxID[:], replaces, w.BumpedBy, w.Revokes, w.Memo, w.FeePreset); err != nil {
			if tx.dialect.isDuplicate(err) {
				return fmt.Errorf("%w: a withdrawal with id %s", ErrExists, w.ID)
			}
			return err
		}
		for _, in := range w.Inputs {
			var wallet string
			var spent []byte
			var spentHeight sql.NullInt32
			err := tx.QueryRowContext(ctx, `SELECT wallet, spent_by, spent_height FROM utxos WHERE txid = ? AND vout = ?`,
				in.Hash[:], in.Index).Scan(&wallet, &spent, &spentHeight)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("%w: %s is not an output of wallet %q", ErrNotFound, in, w.Wallet)
			case err != nil:
				return err
			case wallet != w.Wallet:
				return fmt.Errorf("%w: %s belongs to wallet %q, not %q", ErrConflict, in, wallet, w.Wallet)
			case spentHeight.Valid:
				return fmt.Errorf("%w: %s is spent in block %d by %x", ErrReserved, in, spentHeight.Int32, reverse(spent))
			case spent != nil && old == "":
				// A bump may spend what the transaction it replaces spends
				// in the mempool; a new request may not.
				return fmt.Errorf("%w: %s is already spent by %x (unconfirmed)", ErrReserved, in, reverse(spent))
			}
			var holder string
			err = tx.QueryRowContext(ctx, `SELECT withdrawal FROM reservations WHERE txid = ? AND vout = ?`,
				in.Hash[:], in.Index).Scan(&holder)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				if _, err := tx.ExecContext(ctx, `INSERT INTO reservations (txid, vout, withdrawal) VALUES (?, ?, ?)`,
					in.Hash[:], in.Index, w.ID); err != nil {
					return err
				}
			case err != nil:
				return err
			case old != "" && holder == old:
				if _, err := tx.ExecContext(ctx, `UPDATE reservations SET withdrawal = ? WHERE txid = ? AND vout = ?`,
					w.ID, in.Hash[:], in.Index); err != nil {
					return err
				}
			default:
				return fmt.Errorf("%w: %s is reserved by withdrawal %s", ErrReserved, in, holder)
			}
		}
		// Inputs of the old transaction that the bump no longer spends stay
		// reserved by the old request: it may still confirm.
		return nil
	})
}

func reverse(b []byte) []byte {
	r := make([]byte, len(b))
	for i := range b {
		r[len(b)-1-i] = b[i]
	}
	return r
}

func withdrawalStatus(ctx context.Context, q querier, id string) (Status, error) {
	var st string
	err := q.QueryRowContext(ctx, `SELECT status FROM withdrawals WHERE id = ?`, id).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("%w: withdrawal %s", ErrNotFound, id)
	}
	return Status(st), err
}

// CancelWithdrawal gives up a pending request and releases its inputs.
func (s *Store) CancelWithdrawal(ctx context.Context, id string) error {
	return s.inTx(ctx, func(tx *sqlTx) error {
		st, err := withdrawalStatus(ctx, tx, id)
		if err != nil {
			return fmt.Errorf("store: cancel withdrawal %s: %w", id, err)
		}
		var conflicted bool
		if err := tx.QueryRowContext(ctx, `SELECT conflict_txid IS NOT NULL FROM withdrawals WHERE id = ?`, id).Scan(&conflicted); err != nil {
			return fmt.Errorf("store: cancel withdrawal %s: %w", id, err)
		}
		// A conflicted request can never confirm, broadcast or not: closing it
		// is all that is left.
		if st != StatusPending && !(st == StatusBroadcast && conflicted) {
			return fmt.Errorf("store: cancel withdrawal %s: %w: it is %s; only a pending request can be cancelled (a broadcast one can only be replaced)", id, ErrState, st)
		}
		// A broadcast transaction that conflicts is gone from the chain; its
		// txid stays (and the audit log has the broadcast), its bytes go, as
		// the table keeps final transactions for broadcast requests only.
		for _, q := range []string{
			`UPDATE withdrawals SET status = 'cancelled', final_tx = NULL WHERE id = ?`,
			`DELETE FROM reservations WHERE withdrawal = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return fmt.Errorf("store: cancel withdrawal %s: %w", id, err)
			}
		}
		return nil
	})
}

// KeepSignatures stores psbt, the request's PSBT with the signatures of
// some of its cosigners added, so that they are not lost while the others
// sign. prev is the PSBT they were added to: when the stored one changed
// meanwhile (an approval, another cosigner) nothing is written and the
// error wraps ErrConflict. The request must be pending (else ErrState).
func (s *Store) KeepSignatures(ctx context.Context, id string, prev, psbt []byte) error {
	if len(psbt) == 0 {
		return fmt.Errorf("store: keep signatures of %s: no PSBT", id)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE withdrawals SET psbt = ? WHERE id = ? AND status = 'pending' AND psbt = ?`, psbt, id, prev)
	if err != nil {
		return fmt.Errorf("store: keep signatures of %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	st, err := withdrawalStatus(ctx, s.db, id)
	switch {
	case err != nil:
		return fmt.Errorf("store: keep signatures of %s: %w", id, err)
	case st != StatusPending:
		return fmt.Errorf("store: keep signatures of %s: %w: it is %s", id, ErrState, st)
	}
	return fmt.Errorf("store: keep signatures of %s: %w: its PSBT changed meanwhile", id, ErrConflict)
}

// MarkBroadcast records the final transaction of a pending request. Doing
// it again with the same transaction is a no-op.
func (s *Store) MarkBroadcast(ctx context.Context, id string, final *wire.MsgTx) error {
	var buf bytes.Buffer
	if err := final.Serialize(&buf); err != nil {
		return fmt.Errorf("store: mark %s broadcast: %w", id, err)
	}
	txid := final.TxHash()
	res, err := s.db.ExecContext(ctx,
		`UPDATE withdrawals SET status = 'broadcast', final_tx = ?, txid = ?
		 WHERE id = ? AND (status = 'pending' OR (status = 'broadcast' AND txid = ?))`,
		buf.Bytes(), txid[:], id, txid[:])
	if err != nil {
		return fmt.Errorf("store: mark %s broadcast: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		st, err := withdrawalStatus(ctx, s.db, id)
		if err != nil {
			return fmt.Errorf("store: mark %s broadcast: %w", id, err)
		}
		return fmt.Errorf("store: mark %s broadcast: %w: it is %s", id, ErrState, st)
	}
	return nil
}

const withdrawalColumns = `id, wallet, status, requester, created, destination, amount, fee, feerate,
	change_index, psbt, unsigned_txid, final_tx, txid, coalesce(replaces, ''),
	coalesce((SELECT r.id FROM withdrawals r WHERE r.replaces = withdrawals.id), ''), bumped_by, paid_txid, conflict_txid, revokes,
	memo, fee_preset`

// Withdrawal returns one request with its inputs.
func (s *Store) Withdrawal(ctx context.Context, id string) (Withdrawal, error) {
	ws, err := s.withdrawals(ctx, `WHERE id = ?`, id)
	if err != nil {
		return Withdrawal{}, fmt.Errorf("store: withdrawal %s: %w", id, err)
	}
	if len(ws) == 0 {
		return Withdrawal{}, fmt.Errorf("store: withdrawal %s: %w", id, ErrNotFound)
	}
	return ws[0], nil
}

// WithdrawalByUnsignedTx returns the newest request whose unsigned
// transaction is txid: what a signed transaction that came back without
// its request (a raw transaction, a PSBT given alone) belongs to. A
// cancelled request and a later one may build the same transaction; the
// later is the one still wanted.
func (s *Store) WithdrawalByUnsignedTx(ctx context.Context, txid chainhash.Hash) (Withdrawal, error) {
	ws, err := s.withdrawals(ctx, `WHERE unsigned_txid = ?`, txid[:])
	if err != nil {
		return Withdrawal{}, fmt.Errorf("store: withdrawal of transaction %s: %w", txid, err)
	}
	if len(ws) == 0 {
		return Withdrawal{}, fmt.Errorf("store: withdrawal of transaction %s: %w", txid, ErrNotFound)
	}
	return ws[len(ws)-1], nil
}

// Withdrawals returns the wallet's requests, oldest first; an empty wallet
// name means every wallet.
func (s *Store) Withdrawals(ctx context.Context, wallet string) ([]Withdrawal, error) {
	ws, err := s.withdrawals(ctx, `WHERE ?1 = '' OR wallet = ?1`, wallet)
	if err != nil {
		return nil, fmt.Errorf("store: withdrawals of %q: %w", wallet, err)
	}
	return ws, nil
}

func (s *Store) withdrawals(ctx context.Context, where string, args ...any) ([]Withdrawal, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+withdrawalColumns+` FROM withdrawals `+where+` ORDER BY created, id`, args...)
	if err != nil {
		return nil, err
	}
	var ws []Withdrawal
	for rows.Next() {
		var w Withdrawal
		var created, amount, fee int64
		var change sql.NullInt64
		var unsigned, txid, paid, conflict []byte
		var st string
		if err := rows.Scan(&w.ID, &w.Wallet, &st, &w.Requester, &created, &w.Destination, &amount, &fee, &w.FeeRate,
			&change, &w.PSBT, &unsigned, &w.FinalTx, &txid, &w.Replaces, &w.ReplacedBy, &w.BumpedBy, &paid, &conflict, &w.Revokes,
			&w.Memo, &w.FeePreset); err != nil {
			rows.Close()
			return nil, err
		}
		w.Status, w.Created = Status(st), time.Unix(0, created).UTC()
		w.Amount, w.Fee = btcutil.Amount(amount), btcutil.Amount(fee)
		w.HasChange, w.ChangeIndex = change.Valid, uint32(change.Int64)
		copy(w.UnsignedTxID[:], unsigned)
		if txid != nil {
			h, err := chainhash.NewHash(txid)
			if err != nil {
				rows.Close()
				return nil, err
			}
			w.TxID = h
		}
		for _, f := range []struct {
			raw []byte
			to  **chainhash.Hash
		}{{paid, &w.PaidTxID}, {conflict, &w.ConflictTxID}} {
			if f.raw == nil {
				continue
			}
			h, err := chainhash.NewHash(f.raw)
			if err != nil {
				rows.Close()
				return nil, err
			}
			*f.to = h
		}
		ws = append(ws, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Inputs: every outpoint the request reserves now, plus, for a request
	// that was replaced, those its PSBT spent (the caller can decode them);
	// the reservation table only knows the live holder.
	for i := range ws {
		ins, err := s.reservedBy(ctx, ws[i].ID)
		if err != nil {
			return nil, err
		}
		ws[i].Inputs = ins
	}
	return ws, nil
}

func (s *Store) reservedBy(ctx context.Context, id string) ([]wire.OutPoint, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT txid, vout FROM reservations WHERE withdrawal = ? ORDER BY txid, vout`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ops []wire.OutPoint
	for rows.Next() {
		var b []byte
		var op wire.OutPoint
		if err := rows.Scan(&b, &op.Index); err != nil {
			return nil, err
		}
		copy(op.Hash[:], b)
		ops = append(ops, op)
	}
	return ops, rows.Err()
}

// Spendable returns the wallet's unspent outputs that no live request has
// reserved and that are not immature coinbases: what coin selection may use.
func (s *Store) Spendable(ctx context.Context, wallet string) ([]UTXO, error) {
	us, err := s.utxos(ctx, `WHERE wallet = ? AND spent_by IS NULL
		AND (coinbase = 0 OR height + ? <= (SELECT coalesce(max(height), 0) FROM blocks) + 1)
		AND NOT EXISTS (
		SELECT 1 FROM reservations r JOIN withdrawals w ON w.id = r.withdrawal
		WHERE r.txid = utxos.txid AND r.vout = utxos.vout AND w.status IN ('pending', 'broadcast', 'replaced'))`, wallet, CoinbaseMaturity)
	if err != nil {
		return nil, fmt.Errorf("store: spendable outputs of %q: %w", wallet, err)
	}
	return us, nil
}

// Reserved returns the value of the wallet's unspent outputs held by live
// requests.
func (s *Store) Reserved(ctx context.Context, wallet string) (btcutil.Amount, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, `SELECT CAST(coalesce(sum(u.value), 0) AS BIGINT) FROM utxos u
		JOIN reservations r ON r.txid = u.txid AND r.vout = u.vout
		WHERE u.wallet = ? AND u.spent_by IS NULL`, wallet).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("store: reserved value of %q: %w", wallet, err)
	}
	return btcutil.Amount(v), nil
}

// PaidAfterCancel finds cancelled requests whose transaction nevertheless
// spent one of the wallet's coins (its txid, which for segwit inputs is the
// unsigned transaction's), marks each with it and returns them. Each is
// returned once: the first call after the spend is seen.
func (s *Store) PaidAfterCancel(ctx context.Context) ([]Withdrawal, error) {
	ws, err := s.withdrawals(ctx, `WHERE status = 'cancelled' AND paid_txid IS NULL
		AND EXISTS (SELECT 1 FROM utxos u WHERE u.spent_by = withdrawals.unsigned_txid AND u.spent_height IS NOT NULL)`)
	if err != nil {
		return nil, fmt.Errorf("store: cancelled requests paid anyway: %w", err)
	}
	var out []Withdrawal
	for _, w := range ws {
		res, err := s.db.ExecContext(ctx, `UPDATE withdrawals SET paid_txid = unsigned_txid WHERE id = ? AND paid_txid IS NULL`, w.ID)
		if err != nil {
			return nil, fmt.Errorf("store: cancelled request %s paid anyway: %w", w.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 1 { // not another process's find
			paid := w.UnsignedTxID
			w.PaidTxID = &paid
			out = append(out, w)
		}
	}
	return out, nil
}

// Conflicted finds pending and broadcast requests one of whose coins
// another transaction spent in a block, marks each with that transaction
// and returns them, each once.
func (s *Store) Conflicted(ctx context.Context) ([]Withdrawal, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT w.id, u.spent_by FROM withdrawals w
JOIN reservations r ON r.withdrawal = w.id
JOIN utxos u ON u.txid = r.txid AND u.vout = r.vout
WHERE w.status IN ('pending', 'broadcast') AND w.conflict_txid IS NULL
  AND u.spent_height IS NOT NULL AND u.spent_by != w.unsigned_txid
  AND (w.txid IS NULL OR u.spent_by != w.txid)`)
	if err != nil {
		return nil, fmt.Errorf("store: conflicted requests: %w", err)
	}
	found := map[string][]byte{}
	var order []string
	for rows.Next() {
		var id string
		var by []byte
		if err := rows.Scan(&id, &by); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: conflicted requests: %w", err)
		}
		if _, ok := found[id]; !ok {
			order = append(order, id)
		}
		found[id] = by
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: conflicted requests: %w", err)
	}
	var out []Withdrawal
	for _, id := range order {
		res, err := s.db.ExecContext(ctx, `UPDATE withdrawals SET conflict_txid = ? WHERE id = ? AND conflict_txid IS NULL`, found[id], id)
		if err != nil {
			return nil, fmt.Errorf("store: conflicted request %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			continue
		}
		w, err := s.Withdrawal(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}
