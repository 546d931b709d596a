package store

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"

	"airsign/online/store/pgtest"
	"airsign/psbt/auditlog"
)

// oddText is text with the bytes that trip up quoting, placeholders,
// collations and encodings, all valid UTF-8 (PostgreSQL holds nothing
// else in a text column).
const oddText = "Zoë's \"memo\" \\ ?1 $1 %_ \n\t\r 🔑 ÅSTRÖM ǅ ﬃ \u200b end "

// big is above 2^53, which a float64 cannot hold exactly.
const big = int64(1)<<53 + 1

type testSigner struct{ key ed25519.PrivateKey }

func (s testSigner) Sign(msg []byte) []byte       { return ed25519.Sign(s.key, msg) }
func (s testSigner) PublicKey() ed25519.PublicKey { return s.key.Public().(ed25519.PublicKey) }

// copySigner signs the audit log fillEveryTable writes.
var copySigner = testSigner{ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))}

// fillEveryTable puts rows in every table of the schema through the
// store's own API, with the values a copy could mangle: NULLs beside
// empty blobs and strings, integers past 2^53, nanosecond times, odd text.
func fillEveryTable(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	addWallet(t, s, "w")
	w2 := Wallet{Name: "odd " + oddText, Network: "regtest", Descriptor: "tr(" + oddText + ")", Birthday: 1<<31 - 1, Created: t0.Add(time.Nanosecond),
		Identity: strings.Repeat("ab", 32), Policy: `{"template":"` + oddText + `"}`}
	must(s.AddWallet(ctx, w2))
	must(s.SetSuspended(ctx, w2.Name, true, "bcrt1qrecovery"))
	must(s.AddAddresses(ctx, []Address{{Wallet: "w", Branch: 0, Index: 0, Script: []byte{0x00, 0x14, 0xff}},
		{Wallet: "w", Branch: 1, Index: 1<<31 - 1, Script: []byte{0x51}}}))
	_, err := s.IssueAddress(ctx, "w", 0)
	must(err)

	bigCoin := utxo("w", op(1, 2), big)
	must(s.ApplyBlock(ctx, update(1, []UTXO{utxo("w", op(1, 0), 5000), utxo("w", op(1, 1), 7000), bigCoin})))
	must(s.ApplyBlock(ctx, update(2, nil, Spend{OutPoint: op(1, 1), Tx: h('s', 1)})))
	must(s.AddUnconfirmed(ctx, []UTXO{utxo("w", op(3, 0), 1)}, nil))
	must(s.SaveTxs(ctx, []*wire.MsgTx{wire.NewMsgTx(2)}))

	// A request, its fee bump (which refers to it) and a later one.
	must(s.CreateWithdrawal(ctx, withdrawal("req-1", "w", op(1, 0))))
	bump := withdrawal("req-2", "w", op(1, 0))
	bump.BumpedBy, bump.Memo, bump.FeeRate = "bob", oddText, 3000
	must(s.ReplaceWithdrawal(ctx, "req-1", bump))
	must(s.CreateWithdrawal(ctx, withdrawal("req-3", "w", op(1, 2))))

	for _, u := range []struct {
		name string
		role Role
	}{{"alice", RoleApprover}, {"bob", RoleAdmin}, {"carol.o@example", RoleViewer}} {
		_, err := s.AddUser(ctx, u.name, u.role, t0.Add(3*time.Nanosecond))
		must(err)
	}
	pub := copySigner.PublicKey()
	must(s.SetApprovalKey(ctx, "alice", pub, []byte("sealed\x00\xff")))
	req, err := s.Withdrawal(ctx, "req-2")
	must(err)
	must(s.RecordApproval(ctx, Approval{Request: "req-2", Approver: "alice", PublicKey: pub, Expires: t0.Add(time.Hour).Truncate(time.Second), Created: t0},
		req.PSBT, append(slices.Clone(req.PSBT), 0xaa)))
	must(s.AddApproverKey(ctx, ApproverKey{KeyID: pub, User: "bob", Kind: "station", PublicKey: pub, Label: oddText, Created: t0}))
	cred := sha256.Sum256([]byte("cose"))
	must(s.AddApproverKey(ctx, ApproverKey{KeyID: cred[:], User: "bob", Kind: "webauthn", PublicKey: []byte{0xa5}, RPID: "airsign.example",
		CredentialID: []byte{}, Created: t0}))
	must(s.SetWebPassword(ctx, "bob", []byte("$argon2id$v=19$m=65536$"+oddText)))
	must(s.RecordSignIn(ctx, "bob", t0))
	session := sha256.Sum256([]byte("session"))
	must(s.CreateSession(ctx, session[:], "bob", t0, t0.Add(8*time.Hour)))
	_, _, err = s.RecordWebFailureFrom(ctx, "alice", "192.0.2.1", t0, 5, time.Minute)
	must(err)
	_, _, err = s.RecordWebFailure(ctx, "alice", t0, 5, time.Minute)
	must(err)

	// An empty value, which must not come back as NULL.
	must(s.KeepKioskCheckpoint(ctx, KioskCheckpoint{Wallet: "w", KeyName: "airsign-0011", Size: big, Value: []byte{}, Seen: t0}))
	must(s.SetQuorum(ctx, Quorum{Wallet: "w", Need: 2, Kinds: []string{"station", "webauthn"}, SetBy: "bob", Updated: t0}))
	must(s.PutPayee(ctx, Payee{Label: "Acme " + oddText, Address: "bcrt1qacme", Note: oddText, AddedBy: "bob", Updated: t0}))
	must(s.PutPayee(ctx, Payee{Label: "acme", Address: "bcrt1qother", AddedBy: "bob", Updated: t0}))
	must(s.SetLabel(ctx, Label{Wallet: "w", Type: LabelAddr, Ref: "bcrt1qown", Label: oddText, SetBy: "bob", Updated: t0}))
	_, err = s.EnqueueWebhook(ctx, WebhookEvent{ID: "ev1", Kind: "request.needs_approval", Request: "req-3", Body: []byte(`{"x":"` + oddText + `"}`), Created: t0},
		[]string{"https://hooks.example/a", "https://hooks.example/b?q=" + oddText})
	must(err)
	_, _, err = s.SwapWebhookConfig(ctx, WebhookConfig{Digest: strings.Repeat("0f", 32), SetBy: "host/1/ab", Updated: t0})
	must(err)
	// A lease given up, as a coordinator stopped leaves it.
	_, err = s.AcquireLease(ctx, "chain-watcher", "host/1/ab", time.Minute)
	must(err)
	must(s.ReleaseLease(ctx, "chain-watcher", "host/1/ab"))

	l, err := auditlog.CreateStorage(s.AuditLog(), "airsign-coordinator/copytest", copySigner)
	must(err)
	must(l.Append("wallet-add", map[string]any{"name": oddText}, t0))
}

// rowsOf reads every row of every table but schema_version, each row
// written with its values' Go types, sorted: the same on both sides
// whatever order each database returns rows in.
func rowsOf(t *testing.T, s *Store) map[string][]string {
	t.Helper()
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	names, err := tableNames(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, name := range names {
		if name == "schema_version" {
			continue
		}
		cols, err := columnNames(ctx, tx, name)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(cols) // by name: a column added later sits last in one and not the other
		var rows []string
		err = eachRow(ctx, tx.rebound, name, cols, func(row []any) error {
			var b strings.Builder
			for i, v := range row {
				fmt.Fprintf(&b, "%s=%T:%#v ", cols[i], v, v)
			}
			rows = append(rows, b.String())
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(rows)
		out[name] = rows
	}
	return out
}

func sqliteStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "coordinator.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func postgresStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(pgtest.Shared(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestCopyToPostgres copies a SQLite store with a row in every table into
// an empty PostgreSQL database: every table holds the same rows, value for
// value, and the store reads the same through its API.
func TestCopyToPostgres(t *testing.T) {
	ctx := context.Background()
	src := sqliteStore(t)
	fillEveryTable(t, src)
	// SQLite returns a table's rows in rowid order, which is the order
	// they were written in: move the bumped request after its bump, so
	// the copy must order them by their reference itself.
	if _, err := src.db.ExecContext(ctx, `UPDATE withdrawals SET rowid = 1000 WHERE id = 'req-1'`); err != nil {
		t.Fatal(err)
	}
	want := rowsOf(t, src)
	for name, rows := range want {
		if len(rows) == 0 {
			t.Errorf("table %s has no row: fillEveryTable must fill every table, or the copy of its values is not tested", name)
		}
	}

	dst := postgresStore(t)
	rep, err := Copy(ctx, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	got := rowsOf(t, dst)
	if len(got) != len(want) {
		t.Errorf("the destination has %d tables, the source %d", len(got), len(want))
	}
	for name, rows := range want {
		if !reflect.DeepEqual(got[name], rows) {
			t.Errorf("table %s:\n got %q\nwant %q", name, got[name], rows)
		}
	}
	if len(rep.Tables) != len(want) || rep.SchemaVersion != SchemaVersion() {
		t.Errorf("report: %d tables at version %d; want %d at %d", len(rep.Tables), rep.SchemaVersion, len(want), SchemaVersion())
	}
	for i, tr := range rep.Tables {
		if tr.Rows != int64(len(want[tr.Name])) {
			t.Errorf("report: table %s, %d rows; it has %d", tr.Name, tr.Rows, len(want[tr.Name]))
		}
		if tr.Name == "wallets" && slices.IndexFunc(rep.Tables, func(x TableRows) bool { return x.Name == "withdrawals" }) < i {
			t.Errorf("report: wallets copied after withdrawals, which refer to them: %v", rep.Tables)
		}
	}

	// Through the API: the same wallets, requests, users.
	for _, read := range []func(s *Store) (any, error){
		func(s *Store) (any, error) { return s.Wallets(ctx) },
		func(s *Store) (any, error) { return s.Withdrawals(ctx, "w") },
		func(s *Store) (any, error) { return s.UserAccounts(ctx) },
		func(s *Store) (any, error) { return s.UTXOs(ctx, "w") },
		func(s *Store) (any, error) { return s.Payees(ctx) },
	} {
		a, err1 := read(src)
		b, err2 := read(dst)
		if err1 != nil || err2 != nil || !reflect.DeepEqual(a, b) {
			t.Errorf("read through the API: source %v (%v), destination %v (%v)", a, err1, b, err2)
		}
	}
	if _, err := auditlog.OpenStorage(dst.AuditLog(), "airsign-coordinator/copytest", copySigner); err != nil {
		t.Errorf("the copied audit log does not verify: %v", err)
	}

	// Again: the destination is not empty, and stays as it was.
	if _, err := Copy(ctx, src, dst); !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "empty database") {
		t.Errorf("second copy: %v; want ErrNotEmpty", err)
	}
	if again := rowsOf(t, dst); !reflect.DeepEqual(again, got) {
		t.Errorf("the refused copy changed the destination")
	}
}

// failedEmpty checks that a copy into dst failed with an error saying
// want, and left dst without a row.
func failedEmpty(t *testing.T, err error, want string, dst *Store) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("copy: %v; want an error containing %q", err, want)
	}
	for name, rows := range rowsOf(t, dst) {
		if len(rows) > 0 {
			t.Errorf("after the failed copy the destination's table %s holds %d rows", name, len(rows))
		}
	}
}

// TestCopyFailureLeavesDestinationEmpty fails copies part way, in the
// destination's transaction: nothing of them stays.
func TestCopyFailureLeavesDestinationEmpty(t *testing.T) {
	src := sqliteStore(t)
	fillEveryTable(t, src)
	for _, c := range []struct {
		name string
		hook func(cancel func()) copyHook
		want string
	}{
		{"context cancelled after the third table", func(cancel func()) copyHook {
			n := 0
			return func(stage string, tx *sqlTx) error {
				if n++; n == 3 {
					cancel()
				}
				return nil
			}
		}, "context canceled"},
		{"a value changed before the verification", func(func()) copyHook {
			return func(stage string, tx *sqlTx) error {
				if stage != "copied" {
					return nil
				}
				_, err := tx.ExecContext(context.Background(), `UPDATE wallets SET created = created + 1 WHERE name = 'w'`)
				return err
			}
		}, "table wallets reads back as 2 rows with digest"},
		{"a row added before the verification", func(func()) copyHook {
			return func(stage string, tx *sqlTx) error {
				if stage != "copied" {
					return nil
				}
				_, err := tx.ExecContext(context.Background(), `INSERT INTO leases (name, holder, expires, epoch) VALUES ('x', 'y', 0, 1)`)
				return err
			}
		}, "table leases reads back as 2 rows"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			dst := postgresStore(t)
			_, err := copyStore(ctx, src, dst, c.hook(cancel))
			failedEmpty(t, err, c.want, dst)
		})
	}
}

// TestCopyRefuses: a destination with a row, a source a coordinator
// serves from, text PostgreSQL cannot hold; each leaves the destination
// as it was.
func TestCopyRefuses(t *testing.T) {
	ctx := context.Background()
	t.Run("destination holds a row", func(t *testing.T) {
		src := sqliteStore(t)
		fillEveryTable(t, src)
		dst := postgresStore(t)
		if _, err := dst.AddUser(ctx, "bob", RoleAdmin, t0); err != nil { // a row that would collide with the copy's
			t.Fatal(err)
		}
		before := rowsOf(t, dst)
		_, err := Copy(ctx, src, dst)
		if !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "tables users hold rows") {
			t.Fatalf("copy: %v; want ErrNotEmpty naming users", err)
		}
		if after := rowsOf(t, dst); !reflect.DeepEqual(after, before) {
			t.Errorf("the refused copy changed the destination")
		}
	})
	t.Run("a coordinator serves from the source", func(t *testing.T) {
		src := sqliteStore(t)
		addWallet(t, src, "w")
		if _, err := src.AcquireLease(ctx, "chain-watcher", "desk/42/cafe", time.Minute); err != nil {
			t.Fatal(err)
		}
		dst := postgresStore(t)
		_, err := Copy(ctx, src, dst)
		failedEmpty(t, err, "desk/42/cafe holds its chain-watcher lease", dst)
		if err := src.ReleaseLease(ctx, "chain-watcher", "desk/42/cafe"); err != nil {
			t.Fatal(err)
		}
		if _, err := Copy(ctx, src, dst); err != nil {
			t.Errorf("copy after the lease was given up: %v", err)
		}
	})
	t.Run("text PostgreSQL cannot hold", func(t *testing.T) {
		src := sqliteStore(t)
		fillEveryTable(t, src)
		// SQLite keeps any bytes in a text column; a Go string may hold them.
		if err := src.PutPayee(ctx, Payee{Label: "bad", Address: "bcrt1qbad", Note: "\xff\xfe", AddedBy: "bob", Updated: t0}); err != nil {
			t.Fatal(err)
		}
		dst := postgresStore(t)
		_, err := Copy(ctx, src, dst)
		failedEmpty(t, err, "table payees: row", dst)
	})
	t.Run("source is PostgreSQL", func(t *testing.T) {
		if _, err := Copy(ctx, postgresStore(t), postgresStore(t)); err == nil || !strings.Contains(err.Error(), "pg_dump") {
			t.Errorf("copy: %v; want a refusal", err)
		}
	})
	t.Run("source at another schema version", func(t *testing.T) {
		src := sqliteStore(t)
		if _, err := src.db.ExecContext(ctx, `UPDATE schema_version SET version = version - 1`); err != nil {
			t.Fatal(err)
		}
		if _, err := Copy(ctx, src, postgresStore(t)); err == nil || !strings.Contains(err.Error(), "open it with this program first") {
			t.Errorf("copy: %v; want a refusal", err)
		}
	})
}

// TestCopySetsSequences: a column PostgreSQL numbers itself (an identity
// column) goes on after the largest copied value, not from 1 where the
// copied rows are. The schema has none today; a migration may add one.
func TestCopySetsSequences(t *testing.T) {
	ctx := context.Background()
	src := sqliteStore(t)
	dst := postgresStore(t)
	if _, err := src.db.ExecContext(ctx, `CREATE TABLE copy_numbered (id INTEGER PRIMARY KEY, note TEXT NOT NULL) STRICT`); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{1, 2, big} {
		if _, err := src.db.ExecContext(ctx, `INSERT INTO copy_numbered (id, note) VALUES (?, 'copied')`, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := dst.db.ExecContext(ctx, `CREATE TABLE copy_numbered (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, note TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := Copy(ctx, src, dst); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := dst.db.QueryRowContext(ctx, `INSERT INTO copy_numbered (note) VALUES ('new') RETURNING id`).Scan(&id); err != nil {
		t.Fatalf("a new row after the copy: %v", err)
	}
	if id != big+1 {
		t.Errorf("the new row's id is %d; want %d", id, big+1)
	}
}

// TestCheckEmpty: a database with a row in a table of its own is refused
// before Open would add the schema's tables to it; a new one passes.
func TestCheckEmpty(t *testing.T) {
	ctx := context.Background()
	if err := CheckEmpty(ctx, pgtest.Shared(t)); err != nil {
		t.Errorf("a new database: %v", err)
	}
	other := pgtest.Shared(t)
	raw := openRaw(t, other)
	if _, err := raw.ExecContext(ctx, `CREATE TABLE invoices (id BIGINT PRIMARY KEY); INSERT INTO invoices VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	if err := CheckEmpty(ctx, other); !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "invoices") {
		t.Errorf("a database of another program: %v; want ErrNotEmpty naming invoices", err)
	}
	var n int
	if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&n); err != nil || n != 1 {
		t.Errorf("the refused database has %d tables (%v); want its one", n, err)
	}
}

// BenchmarkCopy copies a store of 20,000 addresses and 20,000 coins into
// a fresh PostgreSQL database each round.
func BenchmarkCopy(b *testing.B) {
	ctx := context.Background()
	src, err := Open(filepath.Join(b.TempDir(), "coordinator.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	addWallet(b, src, "w")
	const n = 20000
	as := make([]Address, n)
	us := make([]UTXO, n)
	for i := range n {
		as[i] = Address{Wallet: "w", Index: uint32(i), Script: []byte{0x00, 0x14, byte(i), byte(i >> 8), byte(i >> 16)}}
		us[i] = utxo("w", op(i, 0), int64(i+1))
	}
	if err := src.AddAddresses(ctx, as); err != nil {
		b.Fatal(err)
	}
	if err := src.ApplyBlock(ctx, update(1, us)); err != nil {
		b.Fatal(err)
	}
	var rows int64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		dst, err := Open(pgtest.Shared(b))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		rep, err := Copy(ctx, src, dst)
		if err != nil {
			b.Fatal(err)
		}
		rows += rep.Rows()
		dst.Close()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
