package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

func withdrawal(id, wallet string, inputs ...wire.OutPoint) Withdrawal {
	return Withdrawal{ID: id, Wallet: wallet, Requester: "alice", Created: t0, Destination: "bcrt1qexample",
		Amount: 1000, Fee: 200, FeeRate: 2000, PSBT: []byte("psbt\xff" + id), UnsignedTxID: h('u', len(id)),
		Inputs: inputs}
}

func TestWithdrawalReservations(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		addWallet(t, s, "w")
		addWallet(t, s, "other")
		if err := s.ApplyBlock(ctx, update(1, []UTXO{
			utxo("w", op(1, 0), 5000), utxo("w", op(1, 1), 7000), utxo("w", op(1, 2), 9000),
			utxo("other", op(1, 3), 1000),
		})); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateWithdrawal(ctx, withdrawal("a", "w", op(1, 0), op(1, 1))); err != nil {
			t.Fatal(err)
		}
		spendable, err := s.Spendable(ctx, "w")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(spendable), 1; got != want || spendable[0].OutPoint != op(1, 2) {
			t.Fatalf("Spendable after reserving two: got %v, want only %v", spendable, op(1, 2))
		}
		if got, err := s.Reserved(ctx, "w"); err != nil || got != 12000 {
			t.Fatalf("Reserved = %v, %v; want 12000", got, err)
		}

		for _, tc := range []struct {
			name string
			w    Withdrawal
			want error
		}{
			{"output held by another request", withdrawal("b", "w", op(1, 2), op(1, 1)), ErrReserved},
			{"output of another wallet", withdrawal("b", "w", op(1, 3)), ErrConflict},
			{"unknown output", withdrawal("b", "w", op(9, 0)), ErrNotFound},
			{"same id", withdrawal("a", "w", op(1, 2)), ErrExists},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := s.CreateWithdrawal(ctx, tc.w)
				if !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
				// Nothing of the refused request was written.
				if _, err := s.Withdrawal(ctx, "b"); !errors.Is(err, ErrNotFound) {
					t.Fatalf("refused request left a row: %v", err)
				}
				if sp, _ := s.Spendable(ctx, "w"); len(sp) != 1 {
					t.Fatalf("refused request left a reservation: spendable %v", sp)
				}
			})
		}

		if err := s.CancelWithdrawal(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if sp, _ := s.Spendable(ctx, "w"); len(sp) != 3 {
			t.Fatalf("after cancel got %d spendable, want 3", len(sp))
		}
		if err := s.CancelWithdrawal(ctx, "a"); !errors.Is(err, ErrState) {
			t.Fatalf("cancel twice: got %v, want ErrState", err)
		}
		got, err := s.Withdrawal(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != StatusCancelled || len(got.Inputs) != 0 {
			t.Fatalf("cancelled request: status %s inputs %v", got.Status, got.Inputs)
		}
		if err := s.CreateWithdrawal(ctx, withdrawal("b", "w", op(1, 1))); err != nil {
			t.Fatalf("a released output must be usable again: %v", err)
		}
	})
}

// Many goroutines race to reserve overlapping outputs; every output ends up
// with at most one live request and the winners' inputs are disjoint.
func TestConcurrentWithdrawalsNeverShareAnOutput(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		addWallet(t, s, "w")
		var cs []UTXO
		for i := range 10 {
			cs = append(cs, utxo("w", op(1, uint32(i)), 1000))
		}
		if err := s.ApplyBlock(ctx, update(1, cs)); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 20)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Request i wants outputs i%10 and (i+1)%10.
				errs[i] = s.CreateWithdrawal(ctx, withdrawal(fmt.Sprint("r", i), "w",
					op(1, uint32(i%10)), op(1, uint32((i+1)%10))))
			}()
		}
		wg.Wait()
		owner := map[wire.OutPoint]string{}
		won := 0
		for i, err := range errs {
			if err != nil {
				if !errors.Is(err, ErrReserved) {
					t.Errorf("request %d: got %v, want success or ErrReserved", i, err)
				}
				continue
			}
			won++
			w, err := s.Withdrawal(ctx, fmt.Sprint("r", i))
			if err != nil {
				t.Fatal(err)
			}
			if len(w.Inputs) != 2 {
				t.Errorf("request %d reserved %v, want 2 inputs", i, w.Inputs)
			}
			for _, in := range w.Inputs {
				if prev, ok := owner[in]; ok {
					t.Errorf("%v reserved by both %s and %s", in, prev, w.ID)
				}
				owner[in] = w.ID
			}
		}
		if won == 0 {
			t.Fatal("no request won")
		}
	})
}

func TestReplaceAndBroadcast(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		addWallet(t, s, "w")
		if err := s.ApplyBlock(ctx, update(1, []UTXO{utxo("w", op(1, 0), 5000), utxo("w", op(1, 1), 7000)})); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateWithdrawal(ctx, withdrawal("a", "w", op(1, 0))); err != nil {
			t.Fatal(err)
		}
		final := wire.NewMsgTx(2)
		final.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: op(1, 0).Hash, Index: 0}, nil, nil))
		final.AddTxOut(wire.NewTxOut(4000, []byte{0x51}))
		if err := s.MarkBroadcast(ctx, "a", final); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkBroadcast(ctx, "a", final); err != nil {
			t.Fatalf("marking the same transaction again: %v", err)
		}
		// The node's mempool now spends the output.
		if err := s.AddUnconfirmed(ctx, nil, []Spend{{OutPoint: op(1, 0), Tx: final.TxHash()}}); err != nil {
			t.Fatal(err)
		}
		if err := s.CancelWithdrawal(ctx, "a"); !errors.Is(err, ErrState) {
			t.Fatalf("cancel of a broadcast request: got %v, want ErrState", err)
		}
		// The bump spends the same output plus another.
		bump := withdrawal("a2", "w", op(1, 0), op(1, 1))
		if err := s.ReplaceWithdrawal(ctx, "a", bump); err != nil {
			t.Fatal(err)
		}
		old, _ := s.Withdrawal(ctx, "a")
		nw, _ := s.Withdrawal(ctx, "a2")
		if old.Status != StatusReplaced || old.ReplacedBy != "a2" || nw.Replaces != "a" || nw.Status != StatusPending {
			t.Fatalf("after bump: old %s by %q, new %s replaces %q", old.Status, old.ReplacedBy, nw.Status, nw.Replaces)
		}
		if got, want := nw.Inputs, []wire.OutPoint{op(1, 0), op(1, 1)}; !reflect.DeepEqual(got, want) {
			t.Fatalf("bump inputs: got %v, want %v", got, want)
		}
		if err := s.ReplaceWithdrawal(ctx, "a", withdrawal("a3", "w", op(1, 0))); !errors.Is(err, ErrState) {
			t.Fatalf("replacing a replaced request: got %v, want ErrState", err)
		}
		if err := s.CreateWithdrawal(ctx, withdrawal("c", "w", op(1, 0))); !errors.Is(err, ErrReserved) {
			t.Fatalf("new request for an output spent in the mempool: got %v, want ErrReserved", err)
		}
	})
}

func TestIssueAddress(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		addWallet(t, s, "w")
		var as []Address
		for i := range 3 {
			as = append(as, Address{Wallet: "w", Branch: 0, Index: uint32(i), Script: []byte{0x51, byte(i)}})
		}
		as[0].Used = true
		if err := s.AddAddresses(ctx, as); err != nil {
			t.Fatal(err)
		}
		var got []uint32
		for range 2 {
			a, err := s.IssueAddress(ctx, "w", 0)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, a.Index)
		}
		if want := []uint32{1, 2}; !reflect.DeepEqual(got, want) {
			t.Fatalf("issued %v, want %v (index 0 is used)", got, want)
		}
		if _, err := s.IssueAddress(ctx, "w", 0); !errors.Is(err, ErrNoAddress) {
			t.Fatalf("all issued: got %v, want ErrNoAddress", err)
		}
		if _, err := s.IssueAddress(ctx, "w", 1); !errors.Is(err, ErrNoAddress) {
			t.Fatalf("no change addresses: got %v, want ErrNoAddress", err)
		}
	})
}

func TestHistoryAndTxHeight(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		addWallet(t, s, "w")
		if err := s.ApplyBlock(ctx, update(1, []UTXO{utxo("w", op(1, 0), 5000), utxo("w", op(1, 1), 7000)})); err != nil {
			t.Fatal(err)
		}
		// Tx 2 spends both and pays 3000 back to us (change) in block 2.
		change := utxo("w", op(2, 0), 3000)
		if err := s.ApplyBlock(ctx, update(2, []UTXO{change},
			Spend{OutPoint: op(1, 0), Tx: h('t', 2)}, Spend{OutPoint: op(1, 1), Tx: h('t', 2)})); err != nil {
			t.Fatal(err)
		}
		if err := s.AddUnconfirmed(ctx, []UTXO{utxo("w", op(3, 0), 100)}, nil); err != nil {
			t.Fatal(err)
		}
		got, err := s.History(ctx, "w")
		if err != nil {
			t.Fatal(err)
		}
		want := []Movement{
			{TxID: h('t', 3), Height: 0, Received: 100},
			{TxID: h('t', 2), Height: 2, Received: 3000, Sent: 12000},
			{TxID: h('t', 1), Height: 1, Received: 12000},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("History:\n got %+v\nwant %+v", got, want)
		}
		if got[1].Net() != -9000 {
			t.Fatalf("Net of the withdrawal: got %v, want -9000", got[1].Net())
		}
		for _, tc := range []struct {
			tx     int
			height int32
			known  bool
		}{{1, 1, true}, {2, 2, true}, {3, 0, true}, {4, 0, false}} {
			hgt, known, err := s.TxHeight(ctx, h('t', tc.tx))
			if err != nil || hgt != tc.height || known != tc.known {
				t.Errorf("TxHeight(tx %d) = %d, %v, %v; want %d, %v", tc.tx, hgt, known, err, tc.height, tc.known)
			}
		}
	})
}

// A mempool transaction replaced by a fee bump leaves the mempool: dropping
// it must free what it spent and forget what it paid.
func TestDropUnconfirmed(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		addWallet(t, s, "w")
		if err := s.ApplyBlock(ctx, update(1, []UTXO{utxo("w", op(1, 0), 5000)})); err != nil {
			t.Fatal(err)
		}
		before := snap(t, s, "w")
		a := h('t', 2)
		if err := s.AddUnconfirmed(ctx, []UTXO{utxo("w", wire.OutPoint{Hash: a, Index: 1}, 4000)},
			[]Spend{{OutPoint: op(1, 0), Tx: a}}); err != nil {
			t.Fatal(err)
		}
		ids, err := s.UnconfirmedTxids(ctx)
		if err != nil || len(ids) != 1 || ids[0] != a {
			t.Fatalf("UnconfirmedTxids = %v, %v; want [%v]", ids, err, a)
		}
		if err := s.DropUnconfirmed(ctx, a); err != nil {
			t.Fatal(err)
		}
		if after := snap(t, s, "w"); !reflect.DeepEqual(after, before) {
			t.Fatalf("after dropping the mempool tx:\n got %+v\nwant %+v", after, before)
		}
		if ids, _ := s.UnconfirmedTxids(ctx); len(ids) != 0 {
			t.Fatalf("UnconfirmedTxids after drop = %v", ids)
		}
	})
}

// Rewind(h) must leave exactly the state of applying blocks below h only.
func TestRewindEqualsDisconnects(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		build := func(t *testing.T, upTo int32) *Store {
			s, _ := newStore(t)
			addWallet(t, s, "w")
			steps := []Update{
				update(1, []UTXO{utxo("w", op(1, 0), 5000)}),
				update(2, []UTXO{utxo("w", op(2, 0), 6000)}, Spend{OutPoint: op(1, 0), Tx: h('t', 2)}),
				update(3, []UTXO{utxo("w", op(3, 0), 7000)}, Spend{OutPoint: op(2, 0), Tx: h('t', 3)}),
			}
			for _, u := range steps[:upTo] {
				if err := s.ApplyBlock(ctx, u); err != nil {
					t.Fatal(err)
				}
			}
			return s
		}
		for _, at := range []int32{1, 2, 3} {
			t.Run(fmt.Sprint("rewind to ", at), func(t *testing.T) {
				s := build(t, 3)
				if err := s.Rewind(ctx, at); err != nil {
					t.Fatal(err)
				}
				want := snap(t, build(t, at-1), "w")
				if got := snap(t, s, "w"); !reflect.DeepEqual(got, want) {
					t.Fatalf("got %+v\nwant %+v", got, want)
				}
			})
		}
	})
}

func TestSaveTxs(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		tx := wire.NewMsgTx(2)
		tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 7}, []byte{1, 2, 3}, nil))
		tx.AddTxOut(wire.NewTxOut(int64(btcutil.SatoshiPerBitcoin), []byte{0x51}))
		if err := s.SaveTxs(ctx, []*wire.MsgTx{tx, tx}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Tx(ctx, tx.TxHash())
		if err != nil {
			t.Fatal(err)
		}
		if got.TxHash() != tx.TxHash() {
			t.Fatalf("got tx %s, want %s", got.TxHash(), tx.TxHash())
		}
		if _, err := s.Tx(ctx, h('x', 1)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown tx: got %v, want ErrNotFound", err)
		}
	})
}

func TestCoinbaseMaturity(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		addWallet(t, s, "w")
		cb := utxo("w", op(1, 0), 5000)
		cb.Coinbase = true
		if err := s.ApplyBlock(ctx, update(1, []UTXO{cb})); err != nil {
			t.Fatal(err)
		}
		for height := int32(2); height <= 100; height++ {
			if err := s.ApplyBlock(ctx, update(height, nil)); err != nil {
				t.Fatal(err)
			}
			sp, err := s.Spendable(ctx, "w")
			if err != nil {
				t.Fatal(err)
			}
			// A coinbase of block 1 may be spent in block 101, so once the
			// tip is 100.
			if got, want := len(sp) == 1, height >= 100; got != want {
				t.Fatalf("tip %d: spendable %v, want %v", height, got, want)
			}
		}
		all, _ := s.UTXOs(ctx, "w")
		if len(all) != 1 || !all[0].Coinbase {
			t.Fatalf("UTXOs = %+v, want the coinbase flagged", all)
		}
	})
}

// A signed transaction that came back alone finds its request by the
// unsigned transaction; when a cancelled request and a later one built the
// same transaction, the later is found.
func TestWithdrawalByUnsignedTx(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		addWallet(t, s, "w")
		if err := s.ApplyBlock(ctx, update(1, []UTXO{utxo("w", op(1, 0), 5000), utxo("w", op(1, 1), 7000)})); err != nil {
			t.Fatal(err)
		}
		first := withdrawal("a", "w", op(1, 0))
		if err := s.CreateWithdrawal(ctx, first); err != nil {
			t.Fatal(err)
		}
		if err := s.CancelWithdrawal(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		again := withdrawal("b", "w", op(1, 0)) // the same unsigned transaction
		if again.UnsignedTxID != first.UnsignedTxID {
			t.Fatal("test setup: the two requests must share their unsigned transaction")
		}
		if err := s.CreateWithdrawal(ctx, again); err != nil {
			t.Fatal(err)
		}
		other := withdrawal("cc", "w", op(1, 1))
		if err := s.CreateWithdrawal(ctx, other); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name    string
			txid    chainhash.Hash
			wantID  string
			wantErr error
		}{
			{"newest of two", first.UnsignedTxID, "b", nil},
			{"only one", other.UnsignedTxID, "cc", nil},
			{"none", h('x', 1), "", ErrNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.WithdrawalByUnsignedTx(ctx, tc.txid)
				if !errors.Is(err, tc.wantErr) || got.ID != tc.wantID {
					t.Fatalf("WithdrawalByUnsignedTx(%s) = %q, %v; want %q, %v", tc.txid, got.ID, err, tc.wantID, tc.wantErr)
				}
			})
		}
	})
}
