package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"

	_ "modernc.org/sqlite" // registers the pure Go "sqlite" driver
)

// Store is the coordinator's database. It is safe for concurrent use, and
// on PostgreSQL by several processes at once: every write transaction is
// serializable (SQLite serialises writers; readers see the last committed
// block in WAL mode, PostgreSQL's by MVCC).
type Store struct {
	db *sqlDB
	// name is where the database is, for messages: a file's path, a
	// PostgreSQL URL without its password.
	name string

	// hook, when set by a test, runs at named points inside ApplyBlock's
	// transaction so a test can fail it part way.
	hook func(stage string)
}

// dsnParams are applied by the driver to every pooled connection.
// synchronous=FULL because a lost commit here is a lost deposit record;
// _txlock=immediate takes the write lock at BEGIN so two writers wait on
// busy_timeout instead of failing to upgrade a read lock.
const dsnParams = "_pragma=busy_timeout(10000)" +
	"&_pragma=foreign_keys(1)" +
	"&_pragma=journal_mode(WAL)" +
	"&_pragma=synchronous(FULL)" +
	"&_txlock=immediate"

// Open opens the store at where and migrates it to the current schema: a
// PostgreSQL database when where is a postgres:// or postgresql:// URL,
// else a SQLite file at that path, created if needed. It refuses a
// database whose schema is newer than this program knows, leaving it
// untouched.
func Open(where string) (*Store, error) {
	if IsPostgresURL(where) {
		return openPostgres(where)
	}
	path := where
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("store: open %q: path must be non-empty and contain no '?' or '#'", path)
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?"+dsnParams)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db := newSQLDB(raw, dialectSQLite)
	if err := migrate(context.Background(), db); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return &Store{db: db, name: path}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// String is where the database is, as it may be shown: a SQLite file's
// path, or a PostgreSQL URL without its password.
func (s *Store) String() string { return s.name }

// SchemaVersion is the schema version this program writes.
func SchemaVersion() int { return len(migrations) }

func migrate(ctx context.Context, db *sqlDB) error {
	for {
		done, err := migrateStep(ctx, db)
		if err != nil || done {
			return err
		}
	}
}

// migrateStep runs the next migration, if any, in one transaction. It reads
// the version inside that transaction, after the dialect's migration lock,
// so two processes opening the same new database cannot both run a step.
func migrateStep(ctx context.Context, db *sqlDB) (done bool, err error) {
	tx, err := db.beginLocked(ctx, migrationLock, 0)
	if err != nil {
		return false, fmt.Errorf("lock for migration: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx,
		`CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return false, fmt.Errorf("create schema_version: %w", err)
	}

	var version int
	err = tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&version)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
			return false, err
		}
	case err != nil:
		return false, fmt.Errorf("read schema version: %w", err)
	}
	if version > len(migrations) {
		return false, fmt.Errorf("%w: schema version %d, this program knows up to %d; upgrade airsign or restore a backup",
			ErrSchemaTooNew, version, len(migrations))
	}
	if version == len(migrations) {
		return true, tx.Commit()
	}
	if _, err := tx.ExecContext(ctx, db.dialect.schema(migrations[version])); err != nil {
		return false, fmt.Errorf("migration %d to %d: %w", version, version+1, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, version+1); err != nil {
		return false, err
	}
	return false, tx.Commit()
}

// beginLocked begins a transaction that holds the lock key until it ends,
// for work that must not run in two processes at once: on PostgreSQL a
// transaction-scoped advisory lock, waited for at most wait (0: as long
// as it takes), taken first in a read-committed transaction, so that what
// the transaction reads is as of after the lock was had, not a snapshot
// from before; on SQLite the write lock every immediate transaction takes
// at BEGIN (busy_timeout bounds the wait).
func (db *sqlDB) beginLocked(ctx context.Context, key int64, wait time.Duration) (*sqlTx, error) {
	lock := db.dialect.xactLock(key)
	var opts *sql.TxOptions
	if lock != "" {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	if lock != "" && wait > 0 {
		_, err = tx.ExecContext(ctx, fmt.Sprintf(`SET LOCAL lock_timeout = %d`, max(wait.Milliseconds(), 1)))
	}
	if lock != "" && err == nil {
		_, err = tx.ExecContext(ctx, lock)
	}
	if err != nil {
		tx.Rollback()
		return nil, err
	}
	return tx, nil
}

// AddWallet registers a watch-only wallet. w.Created is stored as given:
// the caller owns the clock.
func (s *Store) AddWallet(ctx context.Context, w Wallet) error {
	if w.Name == "" || w.Network == "" || w.Descriptor == "" {
		return fmt.Errorf("store: add wallet %q: name, network and descriptor are required", w.Name)
	}
	if w.Birthday < 0 || w.Created.IsZero() {
		return fmt.Errorf("store: add wallet %q: birthday %d must be >= 0 and created must be set", w.Name, w.Birthday)
	}
	return s.inTx(ctx, func(tx *sqlTx) error {
		var identity sql.NullString
		if w.Identity != "" {
			identity = sql.NullString{String: w.Identity, Valid: true}
		}
		res, err := tx.ExecContext(ctx,
			`INSERT INTO wallets (name, network, descriptor, birthday, created, identity, policy) VALUES (?, ?, ?, ?, ?, ?, ?)
		 ON CONFLICT (name) DO NOTHING`,
			w.Name, w.Network, w.Descriptor, w.Birthday, w.Created.UnixNano(), identity, w.Policy)
		if err != nil && s.db.dialect.isDuplicate(err) {
			return fmt.Errorf("store: add wallet %q: %w: a wallet that pays to the same addresses is registered", w.Name, ErrExists)
		}
		if err != nil {
			return fmt.Errorf("store: add wallet %q: %w", w.Name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: add wallet %q: %w", w.Name, ErrExists)
		}
		return nil
	})
}

// Wallet returns the wallet registered under name, or ErrNotFound.
func (s *Store) Wallet(ctx context.Context, name string) (Wallet, error) {
	w, err := scanWallet(s.db.QueryRowContext(ctx,
		`SELECT `+walletColumns+` FROM wallets WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return Wallet{}, fmt.Errorf("store: wallet %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return Wallet{}, fmt.Errorf("store: wallet %q: %w", name, err)
	}
	return w, nil
}

// Wallets returns every registered wallet, ordered by name.
func (s *Store) Wallets(ctx context.Context) ([]Wallet, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT `+walletColumns+` FROM wallets ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: wallets: %w", err)
	}
	defer rows.Close()
	var ws []Wallet
	for rows.Next() {
		w, err := scanWallet(rows)
		if err != nil {
			return nil, fmt.Errorf("store: wallets: %w", err)
		}
		ws = append(ws, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: wallets: %w", err)
	}
	return ws, nil
}

type scanner interface{ Scan(dest ...any) error }

const walletColumns = `name, network, descriptor, birthday, created, suspended, recovery, coalesce(identity, ''), policy`

func scanWallet(r scanner) (Wallet, error) {
	var w Wallet
	var created int64
	if err := r.Scan(&w.Name, &w.Network, &w.Descriptor, &w.Birthday, &created, &w.Suspended, &w.Recovery, &w.Identity, &w.Policy); err != nil {
		return Wallet{}, err
	}
	w.Created = time.Unix(0, created).UTC()
	return w, nil
}

// AddAddresses records derived addresses to watch, in one transaction.
// Adding an address that is already stored with the same script is a no-op.
func (s *Store) AddAddresses(ctx context.Context, as []Address) error {
	return s.inTx(ctx, func(tx *sqlTx) error {
		for _, a := range as {
			// No conflict target: two processes adding the same address
			// at once collide on (wallet, script) as well as on the
			// primary key, and PostgreSQL only waits out a race on the
			// keys the clause names; on any other it fails.
			_, err := tx.ExecContext(ctx,
				`INSERT INTO addresses (wallet, branch, idx, script, used) VALUES (?, ?, ?, ?, ?)
			 ON CONFLICT DO NOTHING`,
				a.Wallet, a.Branch, a.Index, a.Script, a.Used)
			if err != nil {
				return fmt.Errorf("store: add address %s/%d/%d: %w", a.Wallet, a.Branch, a.Index, err)
			}
			var got []byte
			err = tx.QueryRowContext(ctx,
				`SELECT script FROM addresses WHERE wallet = ? AND branch = ? AND idx = ?`,
				a.Wallet, a.Branch, a.Index).Scan(&got)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("store: add address %s/%d/%d: script %x is stored at another index: %w",
					a.Wallet, a.Branch, a.Index, a.Script, ErrConflict)
			}
			if err != nil {
				return fmt.Errorf("store: add address %s/%d/%d: %w", a.Wallet, a.Branch, a.Index, err)
			}
			if string(got) != string(a.Script) {
				return fmt.Errorf("store: add address %s/%d/%d: script %x differs from stored %x: %w",
					a.Wallet, a.Branch, a.Index, a.Script, got, ErrConflict)
			}
		}
		return nil
	})
}

// Addresses returns the wallet's addresses ordered by branch and index.
func (s *Store) Addresses(ctx context.Context, wallet string) ([]Address, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT wallet, branch, idx, script, used, issued FROM addresses WHERE wallet = ? ORDER BY branch, idx`, wallet)
	if err != nil {
		return nil, fmt.Errorf("store: addresses of %q: %w", wallet, err)
	}
	defer rows.Close()
	var as []Address
	for rows.Next() {
		var a Address
		if err := rows.Scan(&a.Wallet, &a.Branch, &a.Index, &a.Script, &a.Used, &a.Issued); err != nil {
			return nil, fmt.Errorf("store: addresses of %q: %w", wallet, err)
		}
		as = append(as, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: addresses of %q: %w", wallet, err)
	}
	return as, nil
}

// Tip returns the last applied block; ok is false when none has been applied.
func (s *Store) Tip(ctx context.Context) (height int32, hash chainhash.Hash, ok bool, err error) {
	height, hash, ok, err = tip(ctx, s.db)
	if err != nil {
		err = fmt.Errorf("store: tip: %w", err)
	}
	return height, hash, ok, err
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func tip(ctx context.Context, q querier) (int32, chainhash.Hash, bool, error) {
	var h int32
	var b []byte
	err := q.QueryRowContext(ctx, `SELECT height, hash FROM blocks ORDER BY height DESC LIMIT 1`).Scan(&h, &b)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, chainhash.Hash{}, false, nil
	}
	if err != nil {
		return 0, chainhash.Hash{}, false, err
	}
	hash, err := chainhash.NewHash(b)
	if err != nil {
		return 0, chainhash.Hash{}, false, err
	}
	return h, *hash, true, nil
}

// ApplyBlock stores one block's changes and makes it the tip, all in one
// transaction. The first block applied to an empty store is taken as the
// starting point; after that u must extend the tip (Prev equal to the tip's
// hash, Height one more) or ErrNotConnected is returned and nothing changes.
// Applying a block that is already stored is a no-op, so a watcher that
// retries after an unknown outcome cannot credit twice.
//
// Credits for outpoints held as mempool entries are confirmed at u.Height.
// Spends of outpoints the store does not hold are ignored: the watcher may
// report a spend whose output it never told us about.
func (s *Store) ApplyBlock(ctx context.Context, u Update) error {
	if err := s.applyBlock(ctx, u); err != nil {
		return fmt.Errorf("store: apply block %d %s: %w", u.Height, u.Hash, err)
	}
	return nil
}

func (s *Store) applyBlock(ctx context.Context, u Update) error {
	if u.Height <= 0 {
		return fmt.Errorf("height %d must be positive (0 means mempool)", u.Height)
	}
	return s.inTx(ctx, func(tx *sqlTx) error {
		var have int32
		err := tx.QueryRowContext(ctx, `SELECT height FROM blocks WHERE hash = ?`, u.Hash[:]).Scan(&have)
		switch {
		case err == nil && have == u.Height:
			return nil // already applied
		case err == nil:
			return fmt.Errorf("%w: hash already stored at height %d", ErrConflict, have)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}

		th, thash, ok, err := tip(ctx, tx)
		if err != nil {
			return err
		}
		if ok && (u.Prev != thash || u.Height != th+1) {
			return fmt.Errorf("%w: prev %s, tip is %d %s", ErrNotConnected, u.Prev, th, thash)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO blocks (height, hash, prev) VALUES (?, ?, ?)`,
			u.Height, u.Hash[:], u.Prev[:]); err != nil {
			return err
		}
		s.at("block")

		if err := credit(ctx, tx, u.Credits, u.Height); err != nil {
			return err
		}
		s.at("credits")
		for _, sp := range u.Spends {
			res, err := tx.ExecContext(ctx,
				`UPDATE utxos SET mempool_spent_by = spent_by, spent_by = ?, spent_height = ?
			 WHERE txid = ? AND vout = ? AND spent_height IS NULL`,
				sp.Tx[:], u.Height, sp.OutPoint.Hash[:], sp.OutPoint.Index)
			if err != nil {
				return fmt.Errorf("spend %s: %w", sp.OutPoint, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				var by []byte
				err := tx.QueryRowContext(ctx, `SELECT spent_by FROM utxos WHERE txid = ? AND vout = ?`,
					sp.OutPoint.Hash[:], sp.OutPoint.Index).Scan(&by)
				if err == nil {
					return fmt.Errorf("%w: %s already spent in a block by %x", ErrConflict, sp.OutPoint, by)
				}
				if !errors.Is(err, sql.ErrNoRows) {
					return err
				}
			}
		}
		s.at("spends")
		return nil
	})
}

// credit inserts outputs at height (0 for mempool) and marks their
// addresses used. A block credit confirms a matching mempool entry; any
// other duplicate is a conflict unless it is a repeated mempool credit.
func credit(ctx context.Context, tx *sqlTx, us []UTXO, height int32) error {
	for _, c := range us {
		if c.Value < 0 {
			return fmt.Errorf("credit %s: negative value %d", c.OutPoint, c.Value)
		}
		res, err := tx.ExecContext(ctx,
			`INSERT INTO utxos (txid, vout, wallet, value, script, branch, idx, height, seen_unconfirmed, coinbase)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, CASE WHEN ? = 0 THEN 1 ELSE 0 END, ?)
			 ON CONFLICT (txid, vout) DO UPDATE SET height = excluded.height
			 WHERE utxos.height = 0 AND utxos.wallet = excluded.wallet AND utxos.value = excluded.value`,
			c.OutPoint.Hash[:], c.OutPoint.Index, c.Wallet, int64(c.Value), c.Script, c.Branch, c.Index, height, height, c.Coinbase)
		if err != nil {
			return fmt.Errorf("credit %s to %q: %w", c.OutPoint, c.Wallet, err)
		}
		if n, _ := res.RowsAffected(); n == 0 && height != 0 {
			return fmt.Errorf("%w: credit %s is already stored", ErrConflict, c.OutPoint)
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE addresses SET used = 1 WHERE wallet = ? AND script = ?`, c.Wallet, c.Script); err != nil {
			return fmt.Errorf("credit %s: mark address used: %w", c.OutPoint, err)
		}
	}
	return nil
}

// AddUnconfirmed records mempool activity in one transaction: credits at
// height 0 and unconfirmed spends. Repeating it is harmless. A later block
// that confirms these is applied with ApplyBlock as usual.
func (s *Store) AddUnconfirmed(ctx context.Context, credits []UTXO, spends []Spend) error {
	return s.inTx(ctx, func(tx *sqlTx) error {
		if err := credit(ctx, tx, credits, 0); err != nil {
			return fmt.Errorf("store: add unconfirmed: %w", err)
		}
		for _, sp := range spends {
			if _, err := tx.ExecContext(ctx,
				`UPDATE utxos SET spent_by = ? WHERE txid = ? AND vout = ? AND spent_by IS NULL`,
				sp.Tx[:], sp.OutPoint.Hash[:], sp.OutPoint.Index); err != nil {
				return fmt.Errorf("store: add unconfirmed: spend %s: %w", sp.OutPoint, err)
			}
		}
		return nil
	})
}

// DisconnectTip undoes the tip block in one transaction and returns the
// height and hash of the block it removed: outputs it created are deleted
// (with any record of their spending), outputs it spent are unspent again,
// and its parent becomes the tip. Outputs and spends the store knew from the
// mempool before the block confirmed them go back to being unconfirmed, so
// the state is exactly the one before ApplyBlock. A reorg is a loop of
// DisconnectTip until the tip is on the new best chain, then ApplyBlock
// forwards.
func (s *Store) DisconnectTip(ctx context.Context) (height int32, hash chainhash.Hash, err error) {
	height, hash, err = s.disconnectTip(ctx)
	if err != nil {
		return 0, chainhash.Hash{}, fmt.Errorf("store: disconnect tip: %w", err)
	}
	return height, hash, nil
}

func (s *Store) disconnectTip(ctx context.Context) (h int32, hash chainhash.Hash, err error) {
	err = s.inTx(ctx, func(tx *sqlTx) error {
		var ok bool
		if h, hash, ok, err = tip(ctx, tx); err != nil {
			return err
		}
		if !ok {
			return ErrNoTip
		}
		for _, q := range []string{
			`UPDATE utxos SET spent_by = mempool_spent_by, mempool_spent_by = NULL, spent_height = NULL
		 WHERE spent_height = ?`,
			`UPDATE utxos SET height = 0 WHERE height = ? AND seen_unconfirmed = 1`,
			`DELETE FROM utxos WHERE height = ?`,
			`DELETE FROM blocks WHERE height = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, h); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, chainhash.Hash{}, err
	}
	return h, hash, nil
}

// UTXOs returns the wallet's unspent outputs, confirmed and mempool, ordered
// by height (mempool first), txid and index. Outputs with an unconfirmed
// spend are left out: they are not ours to spend again.
func (s *Store) UTXOs(ctx context.Context, wallet string) ([]UTXO, error) {
	us, err := s.utxos(ctx, `WHERE wallet = ? AND spent_by IS NULL`, wallet)
	if err != nil {
		return nil, fmt.Errorf("store: utxos of %q: %w", wallet, err)
	}
	return us, nil
}

func (s *Store) utxos(ctx context.Context, where string, args ...any) ([]UTXO, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT txid, vout, wallet, value, script, branch, idx, height, coinbase, spent_by, spent_height
		 FROM utxos `+where+` ORDER BY height, txid, vout`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var us []UTXO
	for rows.Next() {
		var u UTXO
		var txid, spentBy []byte
		var spentHeight sql.NullInt32
		var value int64
		if err := rows.Scan(&txid, &u.OutPoint.Index, &u.Wallet, &value, &u.Script,
			&u.Branch, &u.Index, &u.Height, &u.Coinbase, &spentBy, &spentHeight); err != nil {
			return nil, err
		}
		u.Value = btcutil.Amount(value)
		h, err := chainhash.NewHash(txid)
		if err != nil {
			return nil, err
		}
		u.OutPoint.Hash = *h
		if spentBy != nil {
			if u.SpentBy, err = chainhash.NewHash(spentBy); err != nil {
				return nil, err
			}
		}
		u.SpentHeight = spentHeight.Int32
		us = append(us, u)
	}
	return us, rows.Err()
}

// Balance returns the sum of the wallet's unspent outputs, split into
// confirmed (in a block) and unconfirmed (mempool). Outputs with an
// unconfirmed spend count in neither.
func (s *Store) Balance(ctx context.Context, wallet string) (confirmed, unconfirmed btcutil.Amount, err error) {
	var c, u int64
	err = s.db.QueryRowContext(ctx,
		`SELECT CAST(coalesce(sum(CASE WHEN height > 0 THEN value END), 0) AS BIGINT),
		        CAST(coalesce(sum(CASE WHEN height = 0 THEN value END), 0) AS BIGINT)
		 FROM utxos WHERE wallet = ? AND spent_by IS NULL`, wallet).Scan(&c, &u)
	if err != nil {
		return 0, 0, fmt.Errorf("store: balance of %q: %w", wallet, err)
	}
	return btcutil.Amount(c), btcutil.Amount(u), nil
}

func (s *Store) at(stage string) {
	if s.hook != nil {
		s.hook(stage)
	}
}

// SetSuspended suspends a wallet, naming the recovery address its sweep
// must pay, or lifts the suspension (recovery empty).
func (s *Store) SetSuspended(ctx context.Context, wallet string, suspended bool, recovery string) error {
	if suspended == (recovery == "") {
		return fmt.Errorf("store: suspend %q: a suspension names a recovery address, lifting it names none", wallet)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE wallets SET suspended = ?, recovery = ? WHERE name = ?`, suspended, recovery, wallet)
	if err != nil {
		return fmt.Errorf("store: suspend %q: %w", wallet, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: wallet %q: %w", wallet, ErrNotFound)
	}
	return nil
}

// RemoveWallet deletes a wallet that has never had a withdrawal request,
// with its watched addresses, credited outputs, kept kiosk checkpoints and
// labels.
// A wallet with requests is refused (ErrState): their history stays, and
// such a wallet is suspended instead. What it held goes back to whichever
// wallet derives the same scripts at the next rescan.
func (s *Store) RemoveWallet(ctx context.Context, name string) error {
	return s.inTx(ctx, func(tx *sqlTx) error { return removeWallet(ctx, tx, name) })
}

func removeWallet(ctx context.Context, tx *sqlTx, name string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM withdrawals WHERE wallet = ?`, name).Scan(&n); err != nil {
		return fmt.Errorf("store: remove wallet %q: %w", name, err)
	}
	if n > 0 {
		return fmt.Errorf("store: remove wallet %q: %w: it has %d withdrawal request(s), whose history stays; suspend it instead", name, ErrState, n)
	}
	for _, q := range []string{
		`DELETE FROM kiosk_checkpoints WHERE wallet = ?`,
		`DELETE FROM wallet_quorums WHERE wallet = ?`,
		`DELETE FROM labels WHERE wallet = ?`,
		`DELETE FROM utxos WHERE wallet = ?`,
		`DELETE FROM addresses WHERE wallet = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, name); err != nil {
			return fmt.Errorf("store: remove wallet %q: %w", name, err)
		}
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM wallets WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("store: remove wallet %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: remove wallet %q: %w", name, ErrNotFound)
	}
	return nil
}
