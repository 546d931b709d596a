package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"airsign/online/store/pgtest"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 123456789, time.UTC)

// h makes a distinct hash from a small number and a tag byte.
func h(tag byte, n int) chainhash.Hash {
	var x chainhash.Hash
	x[0] = tag
	x[1] = byte(n)
	x[2] = byte(n >> 8)
	x[3] = byte(n >> 16)
	return x
}

func blockHash(height int32) chainhash.Hash { return h('b', int(height)) }

func op(tx int, vout uint32) wire.OutPoint { return wire.OutPoint{Hash: h('t', tx), Index: vout} }

func utxo(wallet string, o wire.OutPoint, sats int64) UTXO {
	return UTXO{Wallet: wallet, OutPoint: o, Value: btcutil.Amount(sats),
		Script: append([]byte{0x00, 0x14}, o.Hash[:20]...), Branch: 0, Index: o.Index}
}

// eachBackend runs test on each database engine the store supports, as
// subtests named sqlite and postgres; newStore and newWhere in them (and in
// their own subtests) use that engine.
func eachBackend(t *testing.T, test func(t *testing.T)) {
	for _, d := range []dialect{dialectSQLite, dialectPostgres} {
		t.Run(d.String(), test)
	}
}

// backendOf is the engine of the eachBackend subtest t is in or under.
func backendOf(t testing.TB) dialect {
	if parts := strings.Split(t.Name(), "/"); len(parts) > 1 && parts[1] == dialectPostgres.String() {
		return dialectPostgres
	}
	return dialectSQLite
}

// newWhere returns where a fresh, empty database of the test's engine is:
// a SQLite file path or a PostgreSQL URL.
func newWhere(t testing.TB) string {
	t.Helper()
	if backendOf(t) == dialectPostgres {
		return pgtest.Shared(t)
	}
	return filepath.Join(t.TempDir(), "coordinator.db")
}

// openRaw opens the database at where without migrating it.
func openRaw(t testing.TB, where string) *sqlDB {
	t.Helper()
	driver, d := "sqlite", dialectSQLite
	if IsPostgresURL(where) {
		driver, d = "pgx", dialectPostgres
	}
	raw, err := sql.Open(driver, where)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return newSQLDB(raw, d)
}

// migratedTemplate is the PostgreSQL database newStore copies: migrating
// once saves each test the schema's sixteen steps.
const migratedTemplate = "airsign_migrated"

func newStore(t testing.TB) (*Store, string) {
	t.Helper()
	var where string
	if backendOf(t) == dialectPostgres {
		where = pgtest.SharedFrom(t, migratedTemplate, func(url string) error {
			s, err := Open(url)
			if err != nil {
				return err
			}
			return s.Close()
		})
	} else {
		where = newWhere(t)
	}
	s, err := Open(where)
	if err != nil {
		t.Fatalf("Open(%s): %v", where, err)
	}
	t.Cleanup(func() { s.Close() })
	return s, where
}

func addWallet(t testing.TB, s *Store, name string) Wallet {
	t.Helper()
	w := Wallet{Name: name, Network: "regtest", Descriptor: "wpkh([d34db33f/84h/1h/0h]tpub.../<0;1>/*)#abcdefgh",
		Birthday: 1, Created: t0}
	if err := s.AddWallet(context.Background(), w); err != nil {
		t.Fatalf("AddWallet(%q): %v", name, err)
	}
	return w
}

// update builds a block update at height that connects to height-1.
func update(height int32, credits []UTXO, spends ...Spend) Update {
	return Update{Height: height, Hash: blockHash(height), Prev: blockHash(height - 1), Credits: credits, Spends: spends}
}

// snapshot is everything a caller can observe about the chain state.
type snapshot struct {
	TipHeight  int32
	TipHash    chainhash.Hash
	HasTip     bool
	Confirmed  btcutil.Amount
	Unconfirm  btcutil.Amount
	AllOutputs []UTXO // spent ones included
}

func snap(t testing.TB, s *Store, wallet string) snapshot {
	t.Helper()
	ctx := context.Background()
	var sn snapshot
	var err error
	if sn.TipHeight, sn.TipHash, sn.HasTip, err = s.Tip(ctx); err != nil {
		t.Fatal(err)
	}
	if sn.Confirmed, sn.Unconfirm, err = s.Balance(ctx, wallet); err != nil {
		t.Fatal(err)
	}
	if sn.AllOutputs, err = s.utxos(ctx, `WHERE wallet = ?`, wallet); err != nil {
		t.Fatal(err)
	}
	return sn
}

func TestOpenMigratesFromEmpty(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		s, _ := newStore(t)
		var v int
		if err := s.db.raw.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != SchemaVersion() {
			t.Errorf("schema version = %d, want %d", v, SchemaVersion())
		}
		if backendOf(t) == dialectSQLite {
			var mode string
			var fk int
			if err := s.db.raw.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
				t.Fatal(err)
			}
			if err := s.db.raw.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil {
				t.Fatal(err)
			}
			if mode != "wal" || fk != 1 {
				t.Errorf("journal_mode = %q, foreign_keys = %d; want wal, 1", mode, fk)
			}
		}
		// Foreign keys are enforced: a UTXO for an unknown wallet is refused.
		err := s.ApplyBlock(context.Background(), update(1, []UTXO{utxo("nobody", op(1, 0), 1)}))
		if err == nil {
			t.Error("ApplyBlock crediting an unregistered wallet succeeded, want foreign key error")
		}
	})
}

func TestReopenKeepsData(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, path := newStore(t)
		w := addWallet(t, s, "treasury")
		if err := s.AddAddresses(ctx, []Address{{Wallet: "treasury", Branch: 0, Index: 0, Script: []byte{0x51}}}); err != nil {
			t.Fatal(err)
		}
		if err := s.ApplyBlock(ctx, update(1, []UTXO{utxo("treasury", op(1, 0), 5000)})); err != nil {
			t.Fatal(err)
		}
		before := snap(t, s, "treasury")
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}

		s2, err := Open(path)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer s2.Close()
		got, err := s2.Wallet(ctx, "treasury")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("Wallet after reopen = %+v, want %+v", got, w)
		}
		if after := snap(t, s2, "treasury"); !reflect.DeepEqual(after, before) {
			t.Errorf("state after reopen = %+v, want %+v", after, before)
		}
		as, err := s2.Addresses(ctx, "treasury")
		if err != nil || len(as) != 1 {
			t.Fatalf("Addresses after reopen = %v, %v; want 1 address", as, err)
		}
	})
}

func TestNewerSchemaRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		s, path := newStore(t)
		if _, err := s.db.ExecContext(context.Background(), `UPDATE schema_version SET version = ?`, SchemaVersion()+1); err != nil {
			t.Fatal(err)
		}
		s.Close()
		s2, err := Open(path)
		if err == nil {
			s2.Close()
			t.Fatal("Open of a newer schema succeeded, want ErrSchemaTooNew")
		}
		if !errors.Is(err, ErrSchemaTooNew) {
			t.Errorf("Open error = %v, want ErrSchemaTooNew", err)
		}
		t.Logf("error shown to the operator: %v", err)
	})
}

func TestWallets(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		b := addWallet(t, s, "b")
		a := addWallet(t, s, "a")
		if err := s.AddWallet(ctx, a); !errors.Is(err, ErrExists) {
			t.Errorf("AddWallet twice: err = %v, want ErrExists", err)
		}
		if _, err := s.Wallet(ctx, "zzz"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Wallet(unknown): err = %v, want ErrNotFound", err)
		}
		ws, err := s.Wallets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := []Wallet{a, b}; !reflect.DeepEqual(ws, want) {
			t.Errorf("Wallets = %+v, want %+v", ws, want)
		}
	})
}

// TestApplyAndDisconnect applies three blocks, then disconnects two, and
// checks after every step that the observable state is exactly what it was
// at the same height on the way up.
func TestApplyAndDisconnect(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		addWallet(t, s, "w")
		addWallet(t, s, "other")
		if err := s.AddAddresses(ctx, []Address{{Wallet: "w", Branch: 0, Index: 0, Script: utxo("w", op(1, 0), 0).Script}}); err != nil {
			t.Fatal(err)
		}

		// A mempool output known before block 2 confirms it, and (after block 1)
		// a mempool spend that block 3 confirms: disconnecting must give both back
		// to the mempool, not forget them.
		mem := utxo("w", op(9, 0), 40)
		if err := s.AddUnconfirmed(ctx, []UTXO{mem}, nil); err != nil {
			t.Fatal(err)
		}

		type step struct {
			name       string
			apply      *Update // nil: DisconnectTip
			unconfirm  *Spend  // mempool spend recorded after the step
			tip        int32
			confirmed  btcutil.Amount
			unconfirmd btcutil.Amount
			unspent    int
		}
		b1 := update(1, []UTXO{utxo("w", op(1, 0), 1000), utxo("w", op(1, 1), 2000), utxo("other", op(1, 2), 7)})
		b2 := update(2, []UTXO{utxo("w", op(2, 0), 500), mem},
			Spend{OutPoint: op(1, 0), Tx: h('t', 2)})
		b3 := update(3, []UTXO{utxo("w", op(3, 0), 700), utxo("w", op(3, 1), 300)},
			Spend{OutPoint: op(2, 0), Tx: h('t', 3)},  // created in block 2
			Spend{OutPoint: op(1, 1), Tx: h('t', 3)},  // had a mempool spend by the same tx
			Spend{OutPoint: op(3, 1), Tx: h('t', 33)}, // created and spent in block 3
			Spend{OutPoint: op(77, 0), Tx: h('t', 3)}) // not ours: ignored
		mempoolSpend := Spend{OutPoint: op(1, 1), Tx: h('t', 3)}

		steps := []step{
			{name: "block 1", apply: &b1, unconfirm: &mempoolSpend, tip: 1, confirmed: 1000, unconfirmd: 40, unspent: 2},
			{name: "block 2", apply: &b2, tip: 2, confirmed: 540, unconfirmd: 0, unspent: 2},
			{name: "block 3", apply: &b3, tip: 3, confirmed: 740, unconfirmd: 0, unspent: 2},
			{name: "disconnect 3", tip: 2, confirmed: 540, unconfirmd: 0, unspent: 2},
			{name: "disconnect 2", tip: 1, confirmed: 1000, unconfirmd: 40, unspent: 2},
		}
		seen := map[int32]snapshot{}
		for _, st := range steps {
			if st.apply != nil {
				if err := s.ApplyBlock(ctx, *st.apply); err != nil {
					t.Fatalf("%s: ApplyBlock: %v", st.name, err)
				}
			} else {
				height, hash, err := s.DisconnectTip(ctx)
				if err != nil {
					t.Fatalf("%s: DisconnectTip: %v", st.name, err)
				}
				if height != st.tip+1 || hash != blockHash(st.tip+1) {
					t.Errorf("%s: DisconnectTip = %d %s, want %d %s", st.name, height, hash, st.tip+1, blockHash(st.tip+1))
				}
			}
			if st.unconfirm != nil {
				if err := s.AddUnconfirmed(ctx, nil, []Spend{*st.unconfirm}); err != nil {
					t.Fatal(err)
				}
			}
			got := snap(t, s, "w")
			if got.TipHeight != st.tip || got.TipHash != blockHash(st.tip) {
				t.Errorf("%s: tip = %d %s, want %d", st.name, got.TipHeight, got.TipHash, st.tip)
			}
			if got.Confirmed != st.confirmed || got.Unconfirm != st.unconfirmd {
				t.Errorf("%s: balance = %v / %v, want %v / %v", st.name, got.Confirmed, got.Unconfirm, st.confirmed, st.unconfirmd)
			}
			us, err := s.UTXOs(ctx, "w")
			if err != nil {
				t.Fatal(err)
			}
			if len(us) != st.unspent {
				t.Errorf("%s: %d unspent outputs, want %d: %+v", st.name, len(us), st.unspent, us)
			}
			if want, ok := seen[st.tip]; ok && !reflect.DeepEqual(got, want) {
				t.Errorf("%s: state differs from the state first seen at height %d\n got %+v\nwant %+v", st.name, st.tip, got, want)
			}
			if _, ok := seen[st.tip]; !ok {
				seen[st.tip] = got
			}
		}
		if c, _, _ := s.Balance(ctx, "other"); c != 7 {
			t.Errorf("other wallet balance = %v, want 7 sat", c)
		}
		as, _ := s.Addresses(ctx, "w")
		if len(as) != 1 || !as[0].Used {
			t.Errorf("address paid in block 1 = %+v, want used", as)
		}

		// Down to nothing, then past it.
		if _, _, err := s.DisconnectTip(ctx); err != nil {
			t.Fatal(err)
		}
		if _, _, ok, _ := s.Tip(ctx); ok {
			t.Error("tip present after disconnecting every block")
		}
		if _, _, err := s.DisconnectTip(ctx); !errors.Is(err, ErrNoTip) {
			t.Errorf("DisconnectTip on empty store: err = %v, want ErrNoTip", err)
		}
		if c, u, _ := s.Balance(ctx, "w"); c != 0 || u != 40 {
			t.Errorf("balance with no blocks = %v / %v, want 0 / 40 sat (the mempool output)", c, u)
		}
	})
}

func TestApplySameBlockTwice(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		addWallet(t, s, "w")
		b1 := update(1, []UTXO{utxo("w", op(1, 0), 1000)})
		b2 := update(2, []UTXO{utxo("w", op(2, 0), 500)}, Spend{OutPoint: op(1, 0), Tx: h('t', 2)})
		for _, u := range []Update{b1, b1, b2, b2, b1} {
			if err := s.ApplyBlock(ctx, u); err != nil {
				t.Fatalf("ApplyBlock(%d): %v", u.Height, err)
			}
		}
		c, u, err := s.Balance(ctx, "w")
		if err != nil {
			t.Fatal(err)
		}
		if c != 500 || u != 0 {
			t.Errorf("balance after repeated blocks = %v / %v, want 500 sat / 0", c, u)
		}
		if h, _, _, _ := s.Tip(ctx); h != 2 {
			t.Errorf("tip = %d, want 2", h)
		}
	})
}

func TestApplyNotConnected(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		addWallet(t, s, "w")
		if err := s.ApplyBlock(ctx, update(1, []UTXO{utxo("w", op(1, 0), 1000)})); err != nil {
			t.Fatal(err)
		}
		before := snap(t, s, "w")
		orphan := update(2, []UTXO{utxo("w", op(2, 0), 5)})
		orphan.Prev = h('x', 1)
		skip := update(3, []UTXO{utxo("w", op(3, 0), 5)})
		skip.Prev = blockHash(1) // right parent, wrong height
		for name, u := range map[string]Update{"wrong prev": orphan, "wrong height": skip} {
			if err := s.ApplyBlock(ctx, u); !errors.Is(err, ErrNotConnected) {
				t.Errorf("%s: ApplyBlock err = %v, want ErrNotConnected", name, err)
			}
		}
		if after := snap(t, s, "w"); !reflect.DeepEqual(after, before) {
			t.Errorf("state changed by refused blocks: %+v, want %+v", after, before)
		}
	})
}

func TestApplyConflict(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		addWallet(t, s, "w")
		b1 := update(1, []UTXO{utxo("w", op(1, 0), 1000)})
		b2 := update(2, []UTXO{utxo("w", op(2, 0), 1)}, Spend{OutPoint: op(1, 0), Tx: h('t', 2)})
		for _, u := range []Update{b1, b2} {
			if err := s.ApplyBlock(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		before := snap(t, s, "w")
		for name, u := range map[string]Update{
			"credit twice": update(3, []UTXO{utxo("w", op(1, 0), 1000)}),
			"spend twice":  update(3, nil, Spend{OutPoint: op(1, 0), Tx: h('t', 3)}),
		} {
			if err := s.ApplyBlock(ctx, u); !errors.Is(err, ErrConflict) {
				t.Errorf("%s: err = %v, want ErrConflict", name, err)
			}
		}
		if after := snap(t, s, "w"); !reflect.DeepEqual(after, before) {
			t.Errorf("state changed by refused blocks")
		}
	})
}

// TestApplyInterrupted fails ApplyBlock part way through its transaction by
// cancelling its context from inside it, at each stage. database/sql then
// rolls the transaction back (the next statement or the Commit sees the
// cancelled context), which is what SQLite does with an uncommitted
// transaction after a crash: the state must be exactly the previous one.
func TestApplyInterrupted(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		for _, stage := range []string{"block", "credits", "spends"} {
			t.Run(stage, func(t *testing.T) {
				s, _ := newStore(t)
				addWallet(t, s, "w")
				if err := s.ApplyBlock(context.Background(), update(1, []UTXO{utxo("w", op(1, 0), 1000)})); err != nil {
					t.Fatal(err)
				}
				before := snap(t, s, "w")

				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				s.hook = func(at string) {
					if at == stage {
						cancel()
					}
				}
				b2 := update(2, []UTXO{utxo("w", op(2, 0), 500)}, Spend{OutPoint: op(1, 0), Tx: h('t', 2)})
				if err := s.ApplyBlock(ctx, b2); !errors.Is(err, context.Canceled) {
					t.Fatalf("ApplyBlock cancelled at %s: err = %v, want context.Canceled", stage, err)
				}
				s.hook = nil
				if after := snap(t, s, "w"); !reflect.DeepEqual(after, before) {
					t.Errorf("state after interrupted apply = %+v, want %+v", after, before)
				}
				// And the same block applies cleanly afterwards.
				if err := s.ApplyBlock(context.Background(), b2); err != nil {
					t.Fatal(err)
				}
				if c, _, _ := s.Balance(context.Background(), "w"); c != 500 {
					t.Errorf("balance after retry = %v, want 500 sat", c)
				}
			})
		}
	})
}

// TestConcurrentReaders reads tip and balance from many goroutines while
// blocks are applied. With WAL, readers are not blocked by the writer and
// every read sees a whole block: the balance always matches the tip.
func TestConcurrentReaders(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		addWallet(t, s, "w")
		const blocks = 50
		done := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-done:
						return
					default:
					}
					// One read transaction so tip and balance come from the same snapshot.
					// One snapshot for the whole transaction on PostgreSQL too.
					opts := &sql.TxOptions{ReadOnly: true}
					if backendOf(t) == dialectPostgres {
						opts.Isolation = sql.LevelRepeatableRead
					}
					tx, err := s.db.BeginTx(ctx, opts)
					if err != nil {
						errs <- err
						return
					}
					height, _, _, err := tip(ctx, tx)
					var sum int64
					if err == nil {
						err = tx.QueryRowContext(ctx, `SELECT coalesce(sum(value), 0) FROM utxos WHERE wallet = 'w'`).Scan(&sum)
					}
					tx.Rollback()
					if err != nil {
						errs <- err
						return
					}
					if want := int64(height) * 1000; sum != want {
						errs <- errors.New("read saw a partly applied block")
						return
					}
					if _, _, err := s.Balance(ctx, "w"); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		for i := int32(1); i <= blocks; i++ {
			cs := []UTXO{utxo("w", op(int(i), 0), 400), utxo("w", op(int(i), 1), 600)}
			if err := s.ApplyBlock(ctx, update(i, cs)); err != nil {
				t.Fatalf("ApplyBlock(%d): %v", i, err)
			}
		}
		close(done)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if c, _, _ := s.Balance(ctx, "w"); c != blocks*1000 {
			t.Errorf("final balance = %v, want %v", c, btcutil.Amount(blocks*1000))
		}
	})
}

func BenchmarkApplyBlock100Credits(b *testing.B) {
	ctx := context.Background()
	s, _ := newStore(b)
	addWallet(b, s, "w")
	height := int32(0)
	for b.Loop() {
		height++
		cs := make([]UTXO, 100)
		for i := range cs {
			cs[i] = utxo("w", op(int(height), uint32(i)), 1000)
		}
		if err := s.ApplyBlock(ctx, update(height, cs)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBalance10000UTXOs(b *testing.B) {
	ctx := context.Background()
	s, _ := newStore(b)
	addWallet(b, s, "w")
	for height := int32(1); height <= 100; height++ {
		cs := make([]UTXO, 100)
		for i := range cs {
			cs[i] = utxo("w", op(int(height), uint32(i)), 1000)
		}
		if err := s.ApplyBlock(ctx, update(height, cs)); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		c, _, err := s.Balance(ctx, "w")
		if err != nil || c != 10_000*1000 {
			b.Fatalf("Balance = %v, %v", c, err)
		}
	}
}
