package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/wire"
)

// TestConcurrentWithdrawalsThroughTwoHandles is two coordinators on one
// database: 32 requests at once, half through each of two Store handles,
// each selecting a free coin and reserving it, selecting again when
// another request took it first. With six coins exactly six requests win,
// each coin is held by exactly one of them, and every other request ends
// because no coin is left, never with an error of the database.
func TestConcurrentWithdrawalsThroughTwoHandles(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		a, b := twoHandles(t)
		addWallet(t, a, "w")
		const coins, requests = 6, 32
		var cs []UTXO
		for i := range coins {
			cs = append(cs, utxo("w", op(1, uint32(i)), 1000))
		}
		if err := a.ApplyBlock(ctx, update(1, cs)); err != nil {
			t.Fatal(err)
		}

		var wg sync.WaitGroup
		won := make([]wire.OutPoint, requests)
		errs := make([]error, requests)
		for i := range requests {
			s := []*Store{a, b}[i%2]
			wg.Add(1)
			go func() {
				defer wg.Done()
				won[i], errs[i] = reserveAnyCoin(ctx, s, fmt.Sprint("r", i), i)
			}()
		}
		wg.Wait()

		holder := map[wire.OutPoint]string{}
		for i, err := range errs {
			id := fmt.Sprint("r", i)
			if errors.Is(err, errNoCoinLeft) {
				continue
			}
			if err != nil {
				t.Errorf("request %s: %v; want a coin or none left", id, err)
				continue
			}
			if prev, ok := holder[won[i]]; ok {
				t.Errorf("%v reserved by both %s and %s", won[i], prev, id)
			}
			holder[won[i]] = id
			w, err := b.Withdrawal(ctx, id)
			if err != nil || len(w.Inputs) != 1 || w.Inputs[0] != won[i] {
				t.Errorf("stored request %s holds %v (%v); want %v", id, w.Inputs, err, won[i])
			}
		}
		if len(holder) != coins {
			t.Errorf("%d coins reserved, want all %d", len(holder), coins)
		}
		if left, err := a.Spendable(ctx, "w"); err != nil || len(left) != 0 {
			t.Errorf("spendable after the rush = %v, %v; want none", left, err)
		}
	})
}

// twoHandles opens a fresh database twice, as two coordinator processes
// sharing it do.
func twoHandles(t *testing.T) (a, b *Store) {
	t.Helper()
	a, where := newStore(t)
	b, err := Open(where)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return a, b
}

var errNoCoinLeft = errors.New("no coin left")

// reserveAnyCoin is coin selection as a coordinator does it: pick a free
// coin (the n-th, so requests start on different ones), try to reserve it,
// and pick again when another request was faster.
func reserveAnyCoin(ctx context.Context, s *Store, id string, n int) (wire.OutPoint, error) {
	for {
		free, err := s.Spendable(ctx, "w")
		if err != nil {
			return wire.OutPoint{}, err
		}
		if len(free) == 0 {
			return wire.OutPoint{}, errNoCoinLeft
		}
		coin := free[n%len(free)].OutPoint
		err = s.CreateWithdrawal(ctx, withdrawal(id, "w", coin))
		if errors.Is(err, ErrReserved) {
			continue
		}
		return coin, err
	}
}

// TestConcurrentAddAddressesThroughTwoHandles is two coordinators
// deriving a wallet's next addresses at the same moment (two requests
// each taking a change address, say): both add the same addresses, and
// both must succeed, the second finding them stored. On PostgreSQL the
// two inserts race on each of the table's unique keys, not only the one a
// conflict clause names.
func TestConcurrentAddAddressesThroughTwoHandles(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		a, b := twoHandles(t)
		addWallet(t, a, "w")
		const rounds, batch, writers = 20, 5, 8
		for r := range rounds {
			var as []Address
			for i := range batch {
				idx := uint32(r*batch + i)
				as = append(as, Address{Wallet: "w", Branch: 1, Index: idx, Script: []byte{0x00, 0x14, byte(idx >> 8), byte(idx)}})
			}
			var wg sync.WaitGroup
			errs := make([]error, writers)
			for i := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = []*Store{a, b}[i%2].AddAddresses(ctx, as)
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("round %d, writer %d: AddAddresses: %v", r, i, err)
				}
			}
		}
		got, err := b.Addresses(ctx, "w")
		if err != nil || len(got) != rounds*batch {
			t.Errorf("%d addresses stored (%v), want %d", len(got), err, rounds*batch)
		}
		// What is not the same address is still refused: another script
		// at a stored index, a stored script at another index.
		for _, x := range []Address{
			{Wallet: "w", Branch: 1, Index: 0, Script: []byte{0x51}},
			{Wallet: "w", Branch: 0, Index: 7, Script: got[0].Script},
		} {
			if err := a.AddAddresses(ctx, []Address{x}); !errors.Is(err, ErrConflict) {
				t.Errorf("AddAddresses(%d/%d, %x) = %v, want ErrConflict", x.Branch, x.Index, x.Script, err)
			}
		}
	})
}
