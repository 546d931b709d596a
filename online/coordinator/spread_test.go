package coordinator

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"

	"airsign/online/chain"
	"airsign/online/regtest"
	"airsign/online/store"
	"airsign/psbt/descriptor"
)

// Sixteen withdrawals made at the same moment through two coordinators on
// one PostgreSQL database, over a wallet of 48 equal coins, in the worst
// interleaving: every request selects its coins from the same state before
// any reserves (the test holds the reservations table locked until all 16
// wait on it). Before issue 24 all 16 chose the same coin: 15 lost it and
// selected again, and again, and up to 2 of 16 were refused after six
// tries (the two-coordinator benchmark's client retries). Each request now
// breaks ties between the equal coins by its id: those whose ids order the
// same coin first as another's lose their first try (the test works them
// out from the ids; a request whose first coin was its own can still lose
// it to a loser's second try), and a lost try always leaves fewer free
// coins, so none is refused. Both hold whatever the order in which they
// commit; how many tries the losers then need does not, and is only
// logged.
func TestConcurrentWithdrawalsSpreadOverEqualCoins(t *testing.T) {
	ctx := context.Background()
	srv := startPostgres(t)
	url := srv.NewDatabase(t, "")
	node := regtest.Start(t, regtest.Options{})
	regtest.ActivateSegwitTaproot(t, node)
	coords := [2]*Coordinator{}
	for i := range coords {
		client, err := chain.Dial(chain.Config{URL: node.RPCURL(), User: node.RPCUser(), Pass: node.RPCPass(), Params: regtest.Params})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(client.Close)
		st, err := store.Open(url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if coords[i], err = New(Config{Store: st, Node: client, Network: descriptor.Regtest}); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{node: node, c: coords[0], st: coords[0].st}
	f.addWallet(t, "treasury", descriptor.P2WPKH, 3)
	const coins, coinSat = 48, 1_000_000
	for range coins {
		f.deposit(t, "treasury", coinSat)
	}

	// The ids the requests get, and the coin each chooses first, from the
	// 48 free ones.
	const requests = 16
	req := WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 9), Amount: 200_000, FeeRate: 20, Requester: "alice"}
	ids := make([]string, requests)
	firstChoice := map[wire.OutPoint]int{}
	cr, err := f.c.check(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	free, _, err := f.c.freeCoins(ctx, cr, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(free) != coins {
		t.Fatalf("%d free coins, want %d", len(free), coins)
	}
	for i := range ids {
		ids[i] = fmt.Sprintf("wd-%012x", 0x24_0000+i)
		sel, err := f.c.selectCoinsFor(ctx, cr, req, free, ids[i])
		if err != nil {
			t.Fatal(err)
		}
		if len(sel.Coins) != 1 {
			t.Fatalf("request %s would spend %d coins, want 1", ids[i], len(sel.Coins))
		}
		firstChoice[sel.Coins[0].OutPoint]++
	}
	// Of the requests that choose one coin, at most one reserves it on
	// its first try. The coins' outpoints differ from run to run, and with
	// them how many distinct coins the 16 ids choose (14 on average); that
	// they all choose one, as before, has odds of 48^-15.
	wantLosers := requests - len(firstChoice)
	if wantLosers == requests-1 {
		t.Fatalf("the 16 requests all choose one coin first (%v)", firstChoice)
	}
	var next sync.Mutex
	given := 0
	newRequestID = func() string {
		next.Lock()
		defer next.Unlock()
		given++
		return ids[given-1]
	}
	t.Cleanup(func() { newRequestID = newID })

	// Hold the reservations table: the requests read it and select, then
	// wait to write their reservations until all 16 have selected.
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lock, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback()
	if _, err := lock.ExecContext(ctx, `LOCK TABLE reservations IN EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	results := make([]*Withdrawal, requests)
	errs := make([]error, requests)
	var wg sync.WaitGroup
	for i := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = coords[i%2].Withdraw(ctx, req)
		}()
	}
	waiting := 0
	for deadline := time.Now().Add(time.Minute); waiting < requests; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after a minute %d requests wait on the reservations table, want %d", waiting, requests)
		}
		err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_locks WHERE relation = 'reservations'::regclass AND NOT granted`).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	losers, retries := 0, 0
	taken := map[wire.OutPoint]string{}
	for i, wd := range results {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		if wd.Attempts > 1 {
			losers++
		}
		retries += wd.Attempts - 1
		for _, in := range wd.Inputs {
			if other, ok := taken[in]; ok {
				t.Errorf("%s and %s both spend %v", other, wd.ID, in)
			}
			taken[in] = wd.ID
		}
	}
	if losers < wantLosers {
		t.Errorf("%d requests lost their first try, want at least %d: the 16 chose %d distinct coins first", losers, wantLosers, len(firstChoice))
	}
	t.Logf("16 requests chose %d distinct coins first; %d selected again, %d times in all", len(firstChoice), losers, retries)
}
