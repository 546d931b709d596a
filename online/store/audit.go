package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"airsign/psbt/auditlog"
)

// Shared reports whether several coordinator processes may use the
// database at once (PostgreSQL), so that what one process kept in files
// of its own (the audit log) belongs in the database instead.
func (s *Store) Shared() bool { return s.db.dialect == dialectPostgres }

// AuditLog is the audit log kept in this database, as a psbt/auditlog
// Storage: the one log of every coordinator sharing it. Appends run one
// at a time across processes: each holds a transaction-scoped lock
// (PostgreSQL's advisory lock; SQLite's write lock) while it reads what
// the others appended and writes its record together with its checkpoint,
// in one transaction. Reads take no lock: each is one statement, and a
// record is never stored without its checkpoint. The store only keeps the
// bytes; auditlog verifies everything it reads.
//
// Serve one auditlog.Log from each value AuditLog returns.
func (s *Store) AuditLog() auditlog.Storage { return &auditStorage{s: s, wait: auditWait} }

// auditWait bounds how long an append waits for another process's, as
// auditlog does for a log in files.
const auditWait = 10 * time.Second

// auditTimeout bounds one use of the table, the wait for the lock
// included.
const auditTimeout = 30 * time.Second

type auditStorage struct {
	s    *Store
	wait time.Duration // for the lock, on PostgreSQL
}

func (a *auditStorage) String() string { return "the audit_log table of " + a.s.name }

// auditVersion is the last row: the log's size and latest checkpoint.
type auditVersion struct {
	size       int64
	checkpoint string
}

// Create inserts the rows of a new log in one transaction under the
// append lock, if the table holds none.
func (a *auditStorage) Create(records, checkpoints [][]byte) error {
	if len(checkpoints) != len(records)+1 {
		return fmt.Errorf("%s: a new log of %d records needs %d checkpoints, not %d", a, len(records), len(records)+1, len(checkpoints))
	}
	ctx, cancel := context.WithTimeout(context.Background(), auditTimeout)
	defer cancel()
	tx, err := a.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM audit_log`).Scan(&n); err != nil {
		return fmt.Errorf("%s: %w", a, err)
	}
	if n > 0 {
		return fmt.Errorf("%s holds a log already (%d rows): %w", a, n, fs.ErrExist)
	}
	for i, cp := range checkpoints {
		var rec any // NULL for size 0
		if i > 0 {
			rec = records[i-1]
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (size, record, checkpoint) VALUES (?, ?, ?)`, i, rec, cp); err != nil {
			return fmt.Errorf("%s: row %d: %w", a, i, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: %w", a, err)
	}
	return nil
}

// begin begins a transaction holding the append lock.
func (a *auditStorage) begin(ctx context.Context) (*sqlTx, error) {
	tx, err := a.s.db.beginLocked(ctx, auditLock, a.wait)
	if a.s.db.dialect.lockTimedOut(err) {
		return nil, fmt.Errorf("%w: another coordinator has held %s for over %s; let it finish (or end it), then try again", auditlog.ErrLocked, a, a.wait)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: taking its lock: %w", a, err)
	}
	return tx, nil
}

// Lock begins a locked transaction for an append. A read needs none.
func (a *auditStorage) Lock(write bool) (auditlog.Locked, error) {
	ctx, cancel := context.WithTimeout(context.Background(), auditTimeout)
	l := &auditLocked{a: a, ctx: ctx, cancel: cancel, last: -1}
	if !write {
		return l, nil
	}
	tx, err := a.begin(ctx)
	if err != nil {
		cancel()
		return nil, err
	}
	l.tx = tx
	return l, nil
}

type auditLocked struct {
	a      *auditStorage
	ctx    context.Context
	cancel func()
	tx     *sqlTx // nil for a read
	// last is the size of the last row the last Read found, -1 before.
	last     int64
	appended bool
	done     bool
}

func (k *auditLocked) q() rebound {
	if k.tx != nil {
		return k.tx.rebound
	}
	return k.a.s.db.rebound
}

// Read returns the rows from size from on: record from-1 is not returned
// with the first (the caller has it), and no row but size 0 may lack a
// record. Rows must be numbered without a gap.
func (k *auditLocked) Read(from int64, known auditlog.Version) (auditlog.Contents, error) {
	q := k.q()
	if known != nil {
		var v auditVersion
		var cp []byte
		err := q.QueryRowContext(k.ctx, `SELECT size, checkpoint FROM audit_log ORDER BY size DESC LIMIT 1`).Scan(&v.size, &cp)
		switch {
		case errors.Is(err, sql.ErrNoRows) && from == 0:
			return auditlog.Contents{}, fmt.Errorf("%s holds no log: %w", k.a, fs.ErrNotExist)
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return auditlog.Contents{}, fmt.Errorf("%s: %w", k.a, err)
		}
		v.checkpoint = string(cp)
		if err == nil && v == known {
			k.last = v.size
			return auditlog.Contents{Unchanged: true, Version: v}, nil
		}
	}
	rows, err := q.QueryContext(k.ctx, `SELECT size, record, checkpoint FROM audit_log WHERE size >= ? ORDER BY size`, from)
	if err != nil {
		return auditlog.Contents{}, fmt.Errorf("%s: %w", k.a, err)
	}
	defer rows.Close()
	c := auditlog.Contents{From: from}
	last := int64(-1)
	for rows.Next() {
		var size int64
		var rec, cp []byte
		if err := rows.Scan(&size, &rec, &cp); err != nil {
			return auditlog.Contents{}, fmt.Errorf("%s: %w", k.a, err)
		}
		if want := from + int64(len(c.Checkpoints)); size != want {
			return auditlog.Contents{}, fmt.Errorf("%s has no row of size %d (the next is %d): rows were removed or renumbered", k.a, want, size)
		}
		if size > from {
			if rec == nil {
				return auditlog.Contents{}, fmt.Errorf("%s: row %d has no record", k.a, size)
			}
			c.Records = append(c.Records, rec)
		}
		c.Checkpoints = append(c.Checkpoints, cp)
		last = size
	}
	if err := rows.Err(); err != nil {
		return auditlog.Contents{}, fmt.Errorf("%s: %w", k.a, err)
	}
	if last < 0 && from == 0 {
		return auditlog.Contents{}, fmt.Errorf("%s holds no log: %w", k.a, fs.ErrNotExist)
	}
	if last >= 0 {
		c.Version = auditVersion{last, string(c.Checkpoints[len(c.Checkpoints)-1])}
	}
	k.last = last
	return c, nil
}

// Append inserts the row after the last one Read found. The primary key
// refuses a row of that size written meanwhile by something that did not
// take the lock.
func (k *auditLocked) Append(record, checkpoint []byte) (auditlog.Version, error) {
	if k.tx == nil || k.done {
		return nil, fmt.Errorf("%s: an append needs the lock", k.a)
	}
	if k.last < 0 {
		return nil, fmt.Errorf("%s: the log was not read before an append", k.a)
	}
	size := k.last + 1
	_, err := k.tx.ExecContext(k.ctx, `INSERT INTO audit_log (size, record, checkpoint) VALUES (?, ?, ?)`, size, record, checkpoint)
	if k.a.s.db.dialect.isDuplicate(err) {
		return nil, fmt.Errorf("%s has a row of size %d already, written without the lock while this process held it: it was tampered with", k.a, size)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", k.a, err)
	}
	k.last, k.appended = size, true
	return auditVersion{size, string(checkpoint)}, nil
}

// Unlock commits an append, and ends the transaction either way.
func (k *auditLocked) Unlock() error {
	if k.done {
		return nil
	}
	k.done = true
	defer k.cancel()
	if k.tx == nil {
		return nil
	}
	if !k.appended {
		k.tx.Rollback()
		return nil
	}
	if err := k.tx.Commit(); err != nil {
		return fmt.Errorf("%s: committing the append: %w", k.a, err)
	}
	return nil
}
