package store

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"airsign/psbt/auditlog"
	"airsign/psbt/auditlog/storagetest"
)

// auditHarness makes audit logs in fresh databases of the test's engine.
func auditHarness() storagetest.Harness {
	var mu sync.Mutex
	where := map[auditlog.Storage]string{}
	return storagetest.Harness{
		New: func(t *testing.T) auditlog.Storage {
			s, w := newStore(t)
			a := s.AuditLog()
			mu.Lock()
			where[a] = w
			mu.Unlock()
			return a
		},
		Again: func(t *testing.T, a auditlog.Storage) auditlog.Storage {
			mu.Lock()
			w := where[a]
			mu.Unlock()
			s, err := Open(w)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			b := s.AuditLog()
			mu.Lock()
			where[b] = w
			mu.Unlock()
			return b
		},
		Rewrite: func(t *testing.T, a auditlog.Storage, records, checkpoints [][]byte) {
			ctx := context.Background()
			db := a.(*auditStorage).s.db
			if _, err := db.ExecContext(ctx, `DELETE FROM audit_log`); err != nil {
				t.Fatal(err)
			}
			for i, cp := range checkpoints {
				var rec any
				if i > 0 {
					rec = records[i-1]
				}
				if _, err := db.ExecContext(ctx, `INSERT INTO audit_log (size, record, checkpoint) VALUES (?, ?, ?)`, i, rec, cp); err != nil {
					t.Fatal(err)
				}
			}
		},
	}
}

// TestAuditLogStorage runs psbt/auditlog's storage tests on the log in the
// database, on both engines: the same behaviour, and the same export
// bytes, as the log in files.
func TestAuditLogStorage(t *testing.T) {
	eachBackend(t, func(t *testing.T) { storagetest.Run(t, auditHarness()) })
}

type auditKey struct{ priv ed25519.PrivateKey }

func (k auditKey) Sign(msg []byte) []byte       { return ed25519.Sign(k.priv, msg) }
func (k auditKey) PublicKey() ed25519.PublicKey { return k.priv.Public().(ed25519.PublicKey) }

var coordKey = auditKey{ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))}

const coordOrigin = auditlog.CoordinatorOrigin + "storetest"

// TestConcurrentAuditAppendsThroughTwoHandles is two coordinator
// processes on one database, each with its own Store (its own
// connections) and its own Log: 50 appends through each at once,
// interleaved by the lock, make one log of 100 entries that verifies
// record by record (auditlog.Verify, the prev chain) and as an export
// (what airsign-audit verify-log checks), in which each process's entries
// are in the order it made them.
func TestConcurrentAuditAppendsThroughTwoHandles(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		a, b := twoHandles(t)
		if _, err := auditlog.CreateStorage(a.AuditLog(), coordOrigin, coordKey); err != nil {
			t.Fatal(err)
		}
		const each = 50
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for p, s := range []*Store{a, b} {
			wg.Go(func() {
				l, err := auditlog.OpenStorage(s.AuditLog(), coordOrigin, coordKey)
				if err != nil {
					errs[p] = err
					return
				}
				for i := range each {
					if err := l.Append("request", map[string]int{"coordinator": p, "i": i}, t0.Add(time.Duration(i)*time.Millisecond)); err != nil {
						errs[p] = fmt.Errorf("append %d: %w", i, err)
						return
					}
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}

		var records []byte
		rows, err := a.db.QueryContext(context.Background(), `SELECT record FROM audit_log WHERE size > 0 ORDER BY size`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var r []byte
			if err := rows.Scan(&r); err != nil {
				t.Fatal(err)
			}
			records = append(append(records, r...), '\n')
		}
		rows.Close()
		chain, err := auditlog.Verify(bytes.NewReader(records))
		if err != nil || len(chain) != 2*each {
			t.Fatalf("auditlog.Verify: %d entries, %v; want %d", len(chain), err, 2*each)
		}

		l, err := auditlog.OpenStorage(b.AuditLog(), coordOrigin, coordKey)
		if err != nil {
			t.Fatal(err)
		}
		ex, err := l.Export(0)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := auditlog.VerifyExport(ex, l.VerifierKey(), nil)
		if err != nil {
			t.Fatalf("the export: %v", err)
		}
		if rep.Size != 2*each {
			t.Fatalf("the export's checkpoint signs %d entries, want %d", rep.Size, 2*each)
		}
		next := [2]int{}
		for _, e := range rep.Entries {
			var d struct{ Coordinator, I int }
			if err := json.Unmarshal(e.Data, &d); err != nil {
				t.Fatal(err)
			}
			if d.I != next[d.Coordinator] {
				t.Fatalf("entry %d is coordinator %d's number %d, want its %d", e.Seq, d.Coordinator, d.I, next[d.Coordinator])
			}
			next[d.Coordinator]++
		}
	})
}

// An append waits for another process's: one that holds the lock too
// long makes it fail with ErrLocked, saying so, rather than write beside
// it. (On SQLite the store's busy_timeout bounds every writer's wait.)
func TestAuditLogLockWait(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		if backendOf(t) != dialectPostgres {
			t.Skip("SQLite's writers wait for its busy_timeout, 10 s")
		}
		a, b := twoHandles(t)
		la, err := auditlog.CreateStorage(a.AuditLog(), coordOrigin, coordKey)
		if err != nil {
			t.Fatal(err)
		}
		const wait = 300 * time.Millisecond
		lb, err := auditlog.OpenStorage(&auditStorage{s: b, wait: wait}, coordOrigin, coordKey)
		if err != nil {
			t.Fatal(err)
		}
		held, err := a.AuditLog().Lock(true)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err = lb.Append("waits", nil, t0)
		if !errors.Is(err, auditlog.ErrLocked) || time.Since(start) < wait {
			t.Fatalf("append while another holds the lock: %v after %s; want ErrLocked after %s", err, time.Since(start), wait)
		}
		held.Unlock()
		if err := la.Append("then", nil, t0); err != nil {
			t.Fatal(err)
		}
		if err := lb.Append("and then", nil, t0); err != nil {
			t.Fatal(err)
		}
		if la.Len() != 1 || lb.Len() != 2 {
			t.Errorf("Len %d and %d, want 1 and 2", la.Len(), lb.Len())
		}
	})
}

// Rows changed in the table by hand, as a database administrator could,
// beyond what the storage tests rewrite: every change is refused, by a new
// process's open or by the next append of one that has the log open.
func TestAuditLogTableTampered(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		for _, c := range []struct {
			name, sql string
			open      bool // a new process's open is refused (else: the append)
			want      string
		}{
			{"a row deleted in the middle", `DELETE FROM audit_log WHERE size = 3`, true, "has no row of size 3"},
			{"two rows renumbered", `UPDATE audit_log SET size = 1000 WHERE size = 2; UPDATE audit_log SET size = 2 WHERE size = 3; UPDATE audit_log SET size = 3 WHERE size = 1000`, true, "was changed, removed or inserted"},
			{"a row inserted after the last, out of order", `INSERT INTO audit_log (size, record, checkpoint) SELECT 7, record, checkpoint FROM audit_log WHERE size = 2`, true, "has no row of size 6"},
			{"the last row's record replaced", `UPDATE audit_log SET record = (SELECT record FROM audit_log WHERE size = 1) WHERE size = 5`, true, "line 5 was changed"},
			{"the last row deleted", `DELETE FROM audit_log WHERE size = 5`, false, "no longer holds the checkpoint of the 5 entries"},
			{"every row deleted", `DELETE FROM audit_log`, false, "no longer holds the checkpoint of the 5 entries"},
			{"the last checkpoint replaced by an older one", `UPDATE audit_log SET checkpoint = (SELECT checkpoint FROM audit_log WHERE size = 4) WHERE size = 5`, false, "no longer holds the checkpoint"},
		} {
			t.Run(c.name, func(t *testing.T) {
				a, b := twoHandles(t)
				l, err := auditlog.CreateStorage(a.AuditLog(), coordOrigin, coordKey)
				if err != nil {
					t.Fatal(err)
				}
				for i := range 5 {
					if err := l.Append("event", map[string]int{"i": i}, t0); err != nil {
						t.Fatal(err)
					}
				}
				for _, q := range strings.Split(c.sql, "; ") {
					if _, err := a.db.ExecContext(ctx, q); err != nil {
						t.Fatal(err)
					}
				}
				if c.open {
					_, err := auditlog.OpenStorage(b.AuditLog(), coordOrigin, coordKey)
					if err == nil || !strings.Contains(err.Error(), c.want) {
						t.Errorf("open: %v, want an error containing %q", err, c.want)
					}
					return
				}
				err = l.Append("after", nil, t0)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("append: %v, want an error containing %q", err, c.want)
				}
			})
		}
	})
}

// A row written without the lock at the size the next append takes (by
// something that bypassed the log) stops that append at the primary key.
// Only PostgreSQL can have one appear: SQLite's write lock keeps every
// other writer out.
func TestAuditLogRowWrittenWithoutLock(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		if backendOf(t) != dialectPostgres {
			t.Skip("SQLite's lock excludes every other writer")
		}
		s, _ := newStore(t)
		l, err := auditlog.CreateStorage(s.AuditLog(), coordOrigin, coordKey)
		if err != nil {
			t.Fatal(err)
		}
		lk, err := s.AuditLog().Lock(true)
		if err != nil {
			t.Fatal(err)
		}
		defer lk.Unlock()
		if _, err := lk.Read(0, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.db.ExecContext(context.Background(), `INSERT INTO audit_log (size, record, checkpoint) VALUES (1, ?, ?)`, []byte("{}"), []byte("x")); err != nil {
			t.Fatal(err)
		}
		if _, err := lk.Append([]byte("{}"), []byte("y")); err == nil || !strings.Contains(err.Error(), "written without the lock") {
			t.Errorf("append over a row written meanwhile: %v", err)
		}
		lk.Unlock()
		if err := l.Append("after", nil, t0); err == nil {
			t.Error("the log appended after a row nobody signed")
		}
	})
}
