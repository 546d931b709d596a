package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect is the SQL engine behind a Store. The store's queries are written
// once, in the SQL both engines share; a dialect translates the little that
// differs: placeholders, column types of the schema, and which errors mean
// a duplicate key or a lost race.
type dialect int

const (
	dialectSQLite dialect = iota
	dialectPostgres
)

func (d dialect) String() string {
	if d == dialectPostgres {
		return "postgres"
	}
	return "sqlite"
}

// rebind turns SQLite's placeholders (? and ?N) into PostgreSQL's $N. A
// bare ? takes the number after the largest used before it, as SQLite
// numbers it. Text between single quotes is left alone.
func (d dialect) rebind(query string) string {
	if d != dialectPostgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	largest, quoted := 0, false
	for i := 0; i < len(query); i++ {
		c := query[i]
		if c == '\'' {
			quoted = !quoted
		}
		if c != '?' || quoted {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(query) && query[j] >= '0' && query[j] <= '9' {
			j++
		}
		n := largest + 1
		if j > i+1 {
			n, _ = strconv.Atoi(query[i+1 : j])
		}
		largest = max(largest, n)
		b.WriteString("$" + strconv.Itoa(n))
		i = j - 1
	}
	return b.String()
}

// args stores Go booleans as the 0 and 1 the schema's flag columns hold:
// SQLite does so itself, PostgreSQL refuses a boolean for an integer.
func (d dialect) args(args []any) []any {
	var out []any
	for i, a := range args {
		b, ok := a.(bool)
		if !ok {
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i] = 0
		if b {
			out[i] = 1
		}
	}
	if out == nil {
		return args
	}
	return out
}

// pgTypes rewrite the schema's SQLite column types for PostgreSQL:
// integers are 64-bit (SQLite's INTEGER is; PostgreSQL's is 32), text
// compares byte by byte as SQLite's BINARY collation does, and the
// case-blind payee label uses citext.
var pgTypes = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\bTEXT PRIMARY KEY COLLATE NOCASE\b`), `CITEXT PRIMARY KEY`},
	{regexp.MustCompile(`\bTEXT\b`), `TEXT COLLATE "C"`},
	{regexp.MustCompile(`\bINTEGER\b`), `BIGINT`},
	{regexp.MustCompile(`\bBLOB\b`), `BYTEA`},
	{regexp.MustCompile(`\)\s*STRICT;`), `);`},
}

// schema translates a migration step.
func (d dialect) schema(step string) string {
	if d != dialectPostgres {
		return step
	}
	if strings.Contains(step, "COLLATE NOCASE") {
		// citext is a trusted extension: a database owner may create it.
		step = "CREATE EXTENSION IF NOT EXISTS citext;\n" + step
	}
	for _, t := range pgTypes {
		step = t.re.ReplaceAllString(step, t.with)
	}
	return step
}

// Keys of the transaction-scoped locks (beginLocked): any constants,
// airsign's own.
const (
	// migrationLock makes migration steps of several processes opening
	// one new database run one after the other.
	migrationLock int64 = 7418176315623405311
	// auditLock makes appends to the shared audit log (audit.go) of
	// several coordinators run one after the other.
	auditLock int64 = 7418176315623405312
)

// xactLock is the statement, if any, that takes the lock key until the
// transaction ends. SQLite's immediate transactions take the one write
// lock at BEGIN already.
func (d dialect) xactLock(key int64) string {
	if d == dialectPostgres {
		return fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d)`, key)
	}
	return ""
}

// lockTimedOut reports whether err is a wait for a lock given up:
// PostgreSQL's lock_timeout, SQLite's busy_timeout.
func (d dialect) lockTimedOut(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "55P03" // lock_not_available
	}
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// isDuplicate reports whether err is a violated unique or primary key.
func (d dialect) isDuplicate(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505" // unique_violation
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// retryable reports whether a transaction failed only because it lost a
// race with a concurrent one, so running it again may succeed: PostgreSQL's
// serialization_failure and deadlock_detected. SQLite makes writers wait
// for each other instead (busy_timeout).
func (d dialect) retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// sqlQuerier is what database/sql's DB, Tx and Conn have in common.
type sqlQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// rebound runs every query through its dialect's rebind and args, so the
// store's code is written once for both engines.
type rebound struct {
	q       sqlQuerier
	dialect dialect
}

func (r rebound) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if len(args) == 0 {
		return r.q.ExecContext(ctx, query)
	}
	return r.q.ExecContext(ctx, r.dialect.rebind(query), r.dialect.args(args)...)
}

func (r rebound) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return r.q.QueryContext(ctx, r.dialect.rebind(query), r.dialect.args(args)...)
}

func (r rebound) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return r.q.QueryRowContext(ctx, r.dialect.rebind(query), r.dialect.args(args)...)
}

// sqlDB is the store's connection pool.
type sqlDB struct {
	rebound
	raw *sql.DB
}

// sqlTx is one transaction of the store.
type sqlTx struct {
	rebound
	raw *sql.Tx
}

func newSQLDB(db *sql.DB, d dialect) *sqlDB {
	return &sqlDB{rebound: rebound{q: db, dialect: d}, raw: db}
}

func (db *sqlDB) Close() error { return db.raw.Close() }

// BeginTx starts a transaction. On PostgreSQL a write transaction is
// SERIALIZABLE, so two coordinators' transactions that read and write the
// same rows (two requests taking one coin) cannot both commit; use
// Store.inTx, which runs again the one that lost.
func (db *sqlDB) BeginTx(ctx context.Context, opts *sql.TxOptions) (*sqlTx, error) {
	if db.dialect == dialectPostgres && (opts == nil || opts.Isolation == sql.LevelDefault) {
		o := sql.TxOptions{Isolation: sql.LevelSerializable}
		if opts != nil {
			o.ReadOnly = opts.ReadOnly
		}
		opts = &o
	}
	tx, err := db.raw.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &sqlTx{rebound: rebound{q: tx, dialect: db.dialect}, raw: tx}, nil
}

func (tx *sqlTx) Commit() error   { return tx.raw.Commit() }
func (tx *sqlTx) Rollback() error { return tx.raw.Rollback() }

// maxTxAttempts bounds how often inTx runs a transaction that keeps losing
// races. Each round of conflicting transactions lets at least one commit,
// so this many is more than the coordinators and requests at once.
const maxTxAttempts = 100

// inTx runs fn in one transaction and commits it. When PostgreSQL aborts it
// for losing a race with another transaction, it runs fn again from the
// start on a fresh transaction: fn must only act on tx (and variables it
// sets afresh each run). Every write transaction of the store goes through
// here.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlTx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.tryTx(ctx, fn)
		if err == nil || !s.db.dialect.retryable(err) {
			return err
		}
		if attempt == maxTxAttempts {
			return fmt.Errorf("gave up after %d attempts, the database is too busy: %w", attempt, err)
		}
		// A short pause that grows, so the transactions that collided
		// do not meet again at once.
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(min(attempt, 20)) * time.Millisecond):
		}
	}
}

func (s *Store) tryTx(ctx context.Context, fn func(tx *sqlTx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}
