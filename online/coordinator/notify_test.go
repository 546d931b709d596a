package coordinator

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"airsign/online/store"
	"airsign/psbt/descriptor"
)

// storeNotifier records events in the store's webhook events, as the
// webhook queue does (with no URLs), and the order they came in.
type storeNotifier struct {
	st *store.Store
	mu sync.Mutex
	// seen is "kind request state", in order, for events the store took
	// as new.
	seen []string
}

func (n *storeNotifier) Notify(ctx context.Context, e Event) {
	n.mu.Lock()
	defer n.mu.Unlock()
	added, err := n.st.EnqueueWebhook(ctx, store.WebhookEvent{ID: fmt.Sprintf("e%d", len(n.seen)) + e.Kind + e.Request,
		Kind: e.Kind, Request: e.Request, Body: []byte("{}"), Created: time.Now()}, nil)
	if err != nil {
		panic(err)
	}
	if added {
		n.seen = append(n.seen, e.Kind+" "+e.Request+" "+e.State)
	}
}

func (n *storeNotifier) events() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.seen)
}

func TestNotifyRequestSteps(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	m, d := f.addWallet(t, "treasury", descriptor.P2WPKH, 5)
	f.deposit(t, "treasury", 400_000)
	f.deposit(t, "treasury", 300_000)
	// A request broadcast before webhooks were configured is not
	// announced as confirmed when they are.
	before, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 10), Amount: 50_000, FeeRate: 2, Requester: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Finalize(ctx, "", true, sign(t, before.Packet, d, m)); err != nil {
		t.Fatal(err)
	}
	n := &storeNotifier{st: f.st}
	f.c.cfg.Notify = n

	wd, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 11), Amount: 100_000, FeeRate: 2, Requester: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	// A refused request tells nothing.
	if _, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 11), Amount: 100_000_000, FeeRate: 2, Requester: "alice"}); err == nil {
		t.Fatal("a request for more than the wallet holds was made")
	}
	signed := sign(t, wd.Packet, d, m)
	if _, err := f.c.Finalize(ctx, wd.ID, false, signed); err != nil {
		t.Fatal(err)
	}
	f.sync(t) // nothing confirmed yet
	if _, err := f.c.Finalize(ctx, wd.ID, true, signed); err != nil {
		t.Fatal(err)
	}
	f.sync(t)
	f.node.Generate(t, 1)
	f.sync(t)
	f.sync(t) // told once
	want := []string{
		EventNeedsApproval + " " + wd.ID + " pending",
		EventSigned + " " + wd.ID + " pending",
		EventBroadcast + " " + wd.ID + " broadcast",
		EventConfirmed + " " + wd.ID + " confirmed",
	}
	if got := n.events(); !slices.Equal(got, want) {
		t.Fatalf("events:\n%q\nwant\n%q", got, want)
	}
}
