package coordinator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/online/coordinator"
	"airsign/online/regtest"
	"airsign/online/store"
	"airsign/online/store/pgtest"
	"airsign/online/webhook"
	"airsign/psbt/descriptor"
)

// The recovery webhooks end to end, on a real node: coordinators with the
// webhook queue (as serve runs them), delivering to a real HTTP receiver
// that checks every signature.

const hookSecret = "recovery-webhook-test-secret-0123456789"

// hookReceiver keeps the deliveries whose signature verifies, and counts
// the others.
type hookReceiver struct {
	srv *httptest.Server

	mu      sync.Mutex
	got     []hookDelivery
	refused []string
}

type hookDelivery struct {
	kind, id string
	raw      string
	body     struct {
		ID     string `json:"id"`
		Event  string `json:"event"`
		Wallet *struct {
			Name               string `json:"name"`
			TipHeight          int32  `json:"tip_height"`
			RecoveryLockBlocks uint32 `json:"recovery_lock_blocks"`
			WarnBlocks         uint32 `json:"warn_blocks"`
			Coin               struct {
				AmountSat        int64     `json:"amount_sat"`
				RecoveryHeight   int32     `json:"recovery_height"`
				RecoveryInBlocks int32     `json:"recovery_in_blocks"`
				RecoveryAbout    time.Time `json:"recovery_about"`
				Open             bool      `json:"open"`
			} `json:"coin"`
			InWindow struct {
				Coins                  int       `json:"coins"`
				AmountSat              int64     `json:"amount_sat"`
				OpenCoins              int       `json:"open_coins"`
				OpenAmountSat          int64     `json:"open_amount_sat"`
				EarliestRecoveryHeight int32     `json:"earliest_recovery_height"`
				EarliestRecoveryAbout  time.Time `json:"earliest_recovery_about"`
			} `json:"in_window"`
			URL string `json:"url"`
		} `json:"wallet"`
		Request json.RawMessage `json:"request"`
	}
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := webhook.Verify([]byte(hookSecret), req.Header, b, time.Now(), 0); err != nil {
			r.refused = append(r.refused, err.Error())
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		d := hookDelivery{kind: req.Header.Get(webhook.HeaderEvent), id: req.Header.Get(webhook.HeaderDelivery), raw: string(b)}
		if err := json.Unmarshal(b, &d.body); err != nil {
			r.refused = append(r.refused, err.Error())
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.got = append(r.got, d)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// deliveries returns what arrived, and fails the test on a refused one.
func (r *hookReceiver) deliveries(t *testing.T) []hookDelivery {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.refused) > 0 {
		t.Fatalf("deliveries refused by the receiver: %q", r.refused)
	}
	return append([]hookDelivery(nil), r.got...)
}

// process is one coordinator process: its coordinator and webhook queue
// over a store of the database, and what the queue logged.
type process struct {
	c    *coordinator.Coordinator
	q    *webhook.Queue
	logs *logLines
}

type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logLines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

func newProcess(t *testing.T, x *coordinator.TestFixture, st *store.Store, r *hookReceiver, holder string, warn uint32) process {
	t.Helper()
	logs := &logLines{}
	q, err := webhook.New(st, webhook.Options{Endpoints: []webhook.Endpoint{{URL: r.srv.URL + "/hook", Secret: []byte(hookSecret)}},
		PublicURL: "https://treasury.example", Holder: holder, Logf: logs.logf})
	if err != nil {
		t.Fatal(err)
	}
	c, err := coordinator.New(coordinator.Config{Store: st, Node: x.Chain, Network: descriptor.Regtest, FallbackFeeRate: 2,
		Notify: q, RecoveryWarn: warn})
	if err != nil {
		t.Fatal(err)
	}
	return process{c: c, q: q, logs: logs}
}

// step syncs and delivers what is due, as serve's watcher and queue do.
func (p process) step(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if _, err := p.c.Sync(ctx); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if _, err := p.q.DeliverDue(ctx); err != nil {
		t.Fatalf("DeliverDue: %v", err)
	}
}

// coin is the wallet's coin confirmed at the highest height.
func newestCoin(t *testing.T, c *coordinator.Coordinator, wallet string) coordinator.Coin {
	t.Helper()
	coins, _, err := c.Coins(context.Background(), wallet)
	if err != nil || len(coins) == 0 {
		t.Fatalf("Coins = %v, %v", coins, err)
	}
	newest := coins[0]
	for _, u := range coins {
		if u.Height > newest.Height {
			newest = u
		}
	}
	return newest
}

// mineTo mines until the node's tip is height.
func mineTo(t *testing.T, node *regtest.Node, height int32) {
	t.Helper()
	if n := height - node.Height(t); n > 0 {
		node.Generate(t, uint32(n))
	} else if n < 0 {
		t.Fatalf("the tip is %d already, past %d", node.Height(t), height)
	}
}

// checkRecoveryEvent checks a delivered wallet event against its coin.
func checkRecoveryEvent(t *testing.T, d hookDelivery, kind string, u coordinator.Coin, sawAddress string) {
	t.Helper()
	want := coordinator.RecoveryEventID(kind, "vault", u.OutPoint)
	w := d.body.Wallet
	switch {
	case d.kind != kind || d.body.Event != kind:
		t.Errorf("delivery of %s (header %s); want %s", d.body.Event, d.kind, kind)
	case d.id != want || d.body.ID != want:
		t.Errorf("delivery id %s (body %s); want %s, derived from the coin", d.id, d.body.ID, want)
	case w == nil || d.body.Request != nil:
		t.Errorf("body %s; want a wallet object and no request", d.raw)
	case w.Name != "vault" || w.Coin.AmountSat != int64(u.Value) || w.Coin.RecoveryHeight != u.RecoveryHeight || w.URL != "https://treasury.example/wallets/vault":
		t.Errorf("body %s; want vault's coin of %d sat opening at %d", d.raw, u.Value, u.RecoveryHeight)
	case w.Coin.Open != (kind == coordinator.EventRecoveryOpen) || w.Coin.Open != (w.Coin.RecoveryInBlocks == 0):
		t.Errorf("body %s: open does not fit the event %s", d.raw, kind)
	case w.Coin.RecoveryAbout.IsZero() || w.InWindow.EarliestRecoveryAbout.IsZero():
		t.Errorf("body %s: no time for the recovery", d.raw)
	}
	// Nothing that names the coin on the chain.
	for _, secret := range []string{sawAddress, u.OutPoint.Hash.String(), "psbt"} {
		if strings.Contains(d.raw, secret) {
			t.Errorf("body %s holds %q", d.raw, secret)
		}
	}
}

// A coin entering the warning window is told once, to a receiver whose
// signature check passes: not again at the next syncs, blocks, a restart
// or by a second coordinator on the database; its path opening is told
// once more, as wallet.recovery_open; a second coin entering later gets its
// own event, which counts both.
func TestRecoveryWebhooks(t *testing.T) {
	const lock, warn = 10, 3
	ctx := context.Background()
	x := coordinator.NewTestFixture(t, regtest.Options{})
	r := newHookReceiver(t)
	p1 := newProcess(t, x, x.Store, r, "p1", warn)
	if _, err := p1.c.AddPolicyWallet(ctx, "vault", coordinator.TemplatePolicy(t, lock), x.Node.Height(t)); err != nil {
		t.Fatal(err)
	}
	p1.step(t)
	a, addrA, _ := p1.deposit(t, x.Node, 400_000)
	if a.RecoveryHeight != a.Height+lock {
		t.Fatalf("coin at %d opens at %d; want %d", a.Height, a.RecoveryHeight, a.Height+lock)
	}

	// One block short of the window: nothing.
	mineTo(t, x.Node, a.RecoveryHeight-warn-2)
	p1.step(t)
	if got := r.deliveries(t); len(got) != 0 {
		t.Fatalf("before the window: %d deliveries, first %s", len(got), got[0].raw)
	}
	// In the window: one event.
	mineTo(t, x.Node, a.RecoveryHeight-warn-1)
	p1.step(t)
	got := r.deliveries(t)
	if len(got) != 1 {
		t.Fatalf("entering the window: %d deliveries; want 1", len(got))
	}
	checkRecoveryEvent(t, got[0], coordinator.EventRecoveryNearing, a, addrA)
	if w := got[0].body.Wallet; w.Coin.RecoveryInBlocks != warn || w.TipHeight != a.RecoveryHeight-warn-1 || w.RecoveryLockBlocks != lock || w.WarnBlocks != warn ||
		w.InWindow.Coins != 1 || w.InWindow.AmountSat != 400_000 || w.InWindow.OpenCoins != 0 || w.InWindow.EarliestRecoveryHeight != a.RecoveryHeight {
		t.Errorf("body %s", got[0].raw)
	}
	// Again, and a block later: nothing new.
	p1.step(t)
	x.Node.Generate(t, 1)
	p1.step(t)
	if got := r.deliveries(t); len(got) != 1 {
		t.Fatalf("syncs after the window was entered: %d deliveries; want still 1", len(got))
	}

	// A restart (a new process over the database) and a second process
	// beside it.
	x.Store.Close()
	st2 := openStore(t, x.DBPath)
	p2 := newProcess(t, x, st2, r, "p2", warn)
	p3 := newProcess(t, x, openStore(t, x.DBPath), r, "p3", warn)
	p2.step(t)
	p3.step(t)
	if got := r.deliveries(t); len(got) != 1 {
		t.Fatalf("after a restart and a second coordinator: %d deliveries; want still 1", len(got))
	}

	// The path opens: told once more.
	mineTo(t, x.Node, a.RecoveryHeight-1)
	p2.step(t)
	p3.step(t)
	p2.step(t)
	got = r.deliveries(t)
	if len(got) != 2 {
		t.Fatalf("once open: %d deliveries; want 2", len(got))
	}
	checkRecoveryEvent(t, got[1], coordinator.EventRecoveryOpen, a, addrA)

	// A second coin, later: its own event, counting both coins.
	b, addrB, _ := p3.deposit(t, x.Node, 250_000)
	mineTo(t, x.Node, b.RecoveryHeight-warn-1)
	p3.step(t)
	p2.step(t)
	got = r.deliveries(t)
	if len(got) != 3 {
		t.Fatalf("second coin in the window: %d deliveries; want 3", len(got))
	}
	checkRecoveryEvent(t, got[2], coordinator.EventRecoveryNearing, b, addrB)
	if w := got[2].body.Wallet; w.InWindow.Coins != 2 || w.InWindow.AmountSat != 650_000 || w.InWindow.OpenCoins != 1 ||
		w.InWindow.OpenAmountSat != 400_000 || w.InWindow.EarliestRecoveryHeight != a.RecoveryHeight {
		t.Errorf("body %s; want 2 coins in the window, coin a open", got[2].raw)
	}
	// The admins' page lists each event once, delivered.
	ds, err := st2.RecentWebhooks(ctx, 10)
	if err != nil || len(ds) != 3 {
		t.Fatalf("RecentWebhooks = %d, %v; want 3", len(ds), err)
	}
}

// A reorg that takes the coin's block away, after its event, and confirms
// it again later, brings it into the window again: it is not told twice.
func TestRecoveryWebhookReorg(t *testing.T) {
	const lock, warn = 10, 3
	ctx := context.Background()
	x := coordinator.NewTestFixture(t, regtest.Options{Listen: true})
	other := regtest.Start(t, regtest.Options{Listen: true})
	x.Node.Connect(t, other)
	other.WaitForTip(t, x.Node.BestHash(t), 2*time.Minute)
	r := newHookReceiver(t)
	p := newProcess(t, x, x.Store, r, "p1", warn)
	if _, err := p.c.AddPolicyWallet(ctx, "vault", coordinator.TemplatePolicy(t, lock), x.Node.Height(t)); err != nil {
		t.Fatal(err)
	}
	p.step(t)
	x.Node.DisconnectAll(t)
	other.DisconnectAll(t)
	fork := x.Node.Height(t)

	a, _, tx := p.deposit(t, x.Node, 400_000)
	mineTo(t, x.Node, a.RecoveryHeight-warn-1)
	p.step(t)
	if got := r.deliveries(t); len(got) != 1 {
		t.Fatalf("entering the window: %d deliveries; want 1", len(got))
	}

	// The other node's longer chain, without the deposit, wins.
	mineTo(t, other, x.Node.Height(t)+1)
	x.Node.Connect(t, other)
	x.Node.WaitForTip(t, other.BestHash(t), 2*time.Minute)
	if fork >= a.Height {
		t.Fatalf("the deposit (block %d) is not past the fork (block %d)", a.Height, fork)
	}
	x.Node.TrySend(tx) // back in the mempool, unless the node put it there
	p.step(t)
	if coins, _, err := p.c.Coins(ctx, "vault"); err != nil || len(coins) != 1 || coins[0].Height != 0 {
		t.Fatalf("after the reorg: coins %+v, %v; want the deposit unconfirmed", coins, err)
	}
	x.Node.Generate(t, 1)
	p.step(t)
	again := newestCoin(t, p.c, "vault")
	if again.OutPoint != a.OutPoint || again.Height <= a.Height {
		t.Fatalf("confirmed again at %d (%v); want the same coin later than %d", again.Height, again.OutPoint, a.Height)
	}
	mineTo(t, x.Node, again.RecoveryHeight-warn-1)
	p.step(t)
	p.step(t)
	if got := r.deliveries(t); len(got) != 1 {
		t.Fatalf("in the window again after the reorg: %d deliveries; want still 1", len(got))
	}
}

// Two coordinators on one PostgreSQL database find the same coin in the
// window at the same moment (the block applied by a third, which tells no
// one): whichever queues it, it is queued and delivered once, and neither
// fails to queue it.
func TestRecoveryWebhooksPostgres(t *testing.T) {
	const lock, warn = 10, 3
	ctx := context.Background()
	srv, err := pgtest.Start()
	if err != nil {
		pgtest.Unavailable(t, err)
	}
	t.Cleanup(func() { srv.Stop() })
	url := srv.NewDatabase(t, "")
	x := coordinator.NewTestFixture(t, regtest.Options{})
	r := newHookReceiver(t)
	st0 := openStore(t, url)
	syncer, err := coordinator.New(coordinator.Config{Store: st0, Node: x.Chain, Network: descriptor.Regtest, FallbackFeeRate: 2, RecoveryWarn: warn})
	if err != nil {
		t.Fatal(err)
	}
	pa := newProcess(t, x, openStore(t, url), r, "a", warn)
	pb := newProcess(t, x, openStore(t, url), r, "b", warn)
	if _, err := pa.c.AddPolicyWallet(ctx, "vault", coordinator.TemplatePolicy(t, lock), x.Node.Height(t)); err != nil {
		t.Fatal(err)
	}
	coin, addr, _ := pa.deposit(t, x.Node, 400_000)
	for round := range 3 {
		if round == 0 {
			mineTo(t, x.Node, coin.RecoveryHeight-warn-1)
		}
		if _, err := syncer.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 2)
		for _, p := range []process{pa, pb} {
			go func() {
				_, err := p.c.Sync(ctx)
				errs <- err
			}()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatalf("Sync: %v", err)
			}
		}
		for _, p := range []process{pa, pb} {
			if _, err := p.q.DeliverDue(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := r.deliveries(t)
	if len(got) != 1 {
		t.Fatalf("%d deliveries; want 1", len(got))
	}
	checkRecoveryEvent(t, got[0], coordinator.EventRecoveryNearing, coin, addr)
	for _, p := range []process{pa, pb} {
		if logs := p.logs.all(); len(logs) > 0 {
			t.Errorf("the queue logged %q", logs)
		}
	}
}

// deposit pays sats to the wallet vault's next receive address in a block
// and syncs; it returns the coin, the address and the transaction.
func (p process) deposit(t *testing.T, node *regtest.Node, sats int64) (coordinator.Coin, string, *wire.MsgTx) {
	t.Helper()
	a, err := p.c.Receive(context.Background(), "vault")
	if err != nil {
		t.Fatal(err)
	}
	addr, err := btcutil.DecodeAddress(a.Address, regtest.Params)
	if err != nil {
		t.Fatal(err)
	}
	script, err := txscript.PayToAddrScript(addr)
	if err != nil {
		t.Fatal(err)
	}
	_, tx := node.Fund(t, script, btcutil.Amount(sats))
	p.step(t)
	return newestCoin(t, p.c, "vault"), a.Address, tx
}

func openStore(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
