package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Lease is who holds a named lease: the right to run a job that only one
// of the coordinator processes sharing a database may run at a time.
type Lease struct {
	Name   string
	Holder string // the process holding it now, if Held; else the other holder, or "" when none
	Held   bool   // the caller holds it
	// Epoch grows by one each time the lease changes holder: a holder
	// that sees another epoch than the one it took knows it was taken
	// over meanwhile.
	Epoch int64
	// Expires is when the lease ends unless renewed, in the database's
	// clock, which may differ from this machine's.
	Expires time.Time
}

// maxLeaseTTL bounds a lease's length: a dead holder's lease must end
// within minutes, whatever a configuration says.
const maxLeaseTTL = 10 * time.Minute

// nowNanos is the database's clock as unix nanoseconds, in SQL: every
// process sharing the database judges a lease's expiry by the same clock.
func (d dialect) nowNanos() string {
	if d == dialectPostgres {
		return `CAST(extract(epoch FROM clock_timestamp()) * 1000000000 AS BIGINT)`
	}
	return `CAST((julianday('now') - 2440587.5) * 86400000000000 AS INTEGER)`
}

// AcquireLease takes the lease name for holder for ttl from now, or renews
// it when holder already holds it. It is held by another (Held false, and
// Holder says who) while that holder's lease has not expired. A holder
// whose lease expired and was taken by another cannot renew it: it must
// stop the job, and acquire again later like any other process.
//
// On SQLite, where one process owns the file, the lease is always free to
// its one holder.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (Lease, error) {
	if name == "" || holder == "" || ttl <= 0 || ttl > maxLeaseTTL {
		return Lease{}, fmt.Errorf("store: lease %q for %q: a name, a holder and a length from 1 ns to %s are required", name, holder, maxLeaseTTL)
	}
	q := strings.ReplaceAll(`
INSERT INTO leases (name, holder, expires, epoch) VALUES (?1, ?2, NOW + ?3, 1)
ON CONFLICT (name) DO UPDATE SET
	holder = excluded.holder,
	expires = excluded.expires,
	epoch = CASE WHEN leases.holder = excluded.holder THEN leases.epoch ELSE leases.epoch + 1 END
WHERE leases.holder = excluded.holder OR leases.expires <= NOW
RETURNING expires, epoch`, "NOW", s.db.dialect.nowNanos())
	l := Lease{Name: name, Holder: holder, Held: true}
	var expires int64
	// One statement: the check of the holder and expiry and the write
	// happen on the locked row, so two processes cannot both win.
	err := s.db.QueryRowContext(ctx, q, name, holder, ttl.Nanoseconds()).Scan(&expires, &l.Epoch)
	if errors.Is(err, sql.ErrNoRows) {
		return s.lease(ctx, name)
	}
	if err != nil {
		return Lease{}, fmt.Errorf("store: lease %q for %q: %w", name, holder, err)
	}
	l.Expires = time.Unix(0, expires).UTC()
	return l, nil
}

// lease returns who holds name now; Held is false.
func (s *Store) lease(ctx context.Context, name string) (Lease, error) {
	l := Lease{Name: name}
	var expires int64
	err := s.db.QueryRowContext(ctx, `SELECT holder, expires, epoch FROM leases WHERE name = ?`, name).
		Scan(&l.Holder, &expires, &l.Epoch)
	if err != nil {
		return Lease{}, fmt.Errorf("store: lease %q: %w", name, err)
	}
	l.Expires = time.Unix(0, expires).UTC()
	return l, nil
}

// ReleaseLease gives up holder's lease on name, so another process may
// take it at once instead of after it expires. The row stays, expired, so
// the next holder's epoch still grows. Releasing a lease one does not hold
// changes nothing.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE leases SET expires = 0 WHERE name = ? AND holder = ?`, name, holder); err != nil {
		return fmt.Errorf("store: release lease %q of %q: %w", name, holder, err)
	}
	return nil
}
