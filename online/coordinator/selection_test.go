package coordinator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"

	"airsign/psbt/descriptor"
)

// A small payment is funded from small coins and leaves the large coin
// free for the next request, on a real node: before issue 20, largest-first
// won on waste at 20 sat/vB and the 10 BTC coin was held for 0.01 BTC.
func TestSmallPaymentLeavesBigCoinFree(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.addWallet(t, "treasury", descriptor.P2WPKH, 3)
	for _, sats := range []int64{10 * btcutil.SatoshiPerBitcoin, 600_000, 500_000} {
		f.deposit(t, "treasury", sats)
	}
	to := foreignAddress(t, 9)
	small, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: to, Amount: 1_000_000, FeeRate: 20, Requester: "alice"})
	if err != nil {
		t.Fatalf("Withdraw 0.01 BTC: %v", err)
	}
	var spent []btcutil.Amount
	for _, c := range small.Selection.Coins {
		spent = append(spent, c.Value)
	}
	if want := []btcutil.Amount{600_000, 500_000}; !slices.Equal(spent, want) {
		t.Errorf("0.01 BTC spends %v, want %v", spent, want)
	}
	bal, err := f.c.Balance(ctx, "treasury")
	if err != nil {
		t.Fatal(err)
	}
	if bal.Reserved != 1_100_000 || bal.Confirmed != 10*btcutil.SatoshiPerBitcoin {
		t.Errorf("balance %+v, want 0.011 BTC reserved and the 10 BTC coin free", bal)
	}
	// The next request gets the big coin while the first one waits.
	big, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: to, Amount: 5 * btcutil.SatoshiPerBitcoin, FeeRate: 20, Requester: "bob"})
	if err != nil {
		t.Fatalf("Withdraw 5 BTC while the 0.01 BTC request is pending: %v", err)
	}
	if got := len(big.Selection.Coins); got != 1 || big.Selection.Coins[0].Value != 10*btcutil.SatoshiPerBitcoin {
		t.Errorf("5 BTC spends %+v, want the 10 BTC coin", big.Selection.Coins)
	}
}

// A request the free coins cannot fund, while another request holds the
// wallet's coins, is refused with that request named: id, what it holds,
// its state, what it pays and who asked, and what to do. Preview says the
// same, and a sweep; once the holder is cancelled the request goes through.
func TestRefusalNamesHoldingRequests(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, _, held := f.treasuryRequest(t) // alice: 0.0005 BTC from the one 0.004 BTC coin
	req := WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 8), Amount: 100_000, FeeRate: 2, Requester: "bob"}

	want := fmt.Sprintf(`insufficient funds: wallet "treasury" has no free confirmed coins; fund it, or wait for its unconfirmed deposits to confirm; `+
		`0.00400000 BTC more is held by 1 request: %s (0.00400000 BTC in 1 coin, pending, paying 0.00050000 BTC, by alice); `+
		`cancel one of them, or wait until it is broadcast and its change confirms`, held.ID)
	_, withdrawErr := f.c.Withdraw(ctx, req)
	_, previewErr := f.c.Preview(ctx, req)
	sweep := req
	sweep.Sweep = true
	_, sweepErr := f.c.Withdraw(ctx, sweep)
	for name, err := range map[string]error{"Withdraw": withdrawErr, "Preview": previewErr, "sweep": sweepErr} {
		if !errors.Is(err, ErrInsufficient) {
			t.Fatalf("%s: %v, want ErrInsufficient", name, err)
		}
		var he *HeldError
		if !errors.As(err, &he) {
			t.Fatalf("%s: %v, want a HeldError", name, err)
		}
		wantHolders := []Holder{{Request: held.ID, State: "pending", Requester: "alice", Amount: 50_000, Held: 400_000, Coins: 1}}
		if !slices.Equal(he.Holders, wantHolders) || he.Others != 0 {
			t.Errorf("%s: holders %+v (and %d others), want %+v", name, he.Holders, he.Others, wantHolders)
		}
	}
	if withdrawErr.Error() != want {
		t.Errorf("Withdraw refused with\n%v\nwant\n%v", withdrawErr, want)
	}
	if !strings.Contains(sweepErr.Error(), "has no free confirmed coins to sweep; 0.00400000 BTC more is held by 1 request: "+held.ID) {
		t.Errorf("sweep refused with %v", sweepErr)
	}

	if err := f.c.Cancel(ctx, held.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Withdraw(ctx, req); err != nil {
		t.Errorf("after cancelling %s: %v", held.ID, err)
	}
}

// With more holders than a refusal names, the largest are named and the
// rest counted; a wallet whose coins nobody holds gets the plain refusal.
func TestRefusalNamesLargestHolders(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.addWallet(t, "treasury", descriptor.P2WPKH, 3)
	to := foreignAddress(t, 9)
	if _, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: to, Amount: 50_000, FeeRate: 2, Requester: "alice"}); errors.As(err, new(*HeldError)) || !errors.Is(err, ErrInsufficient) {
		t.Fatalf("empty wallet: %v, want ErrInsufficient naming no request", err)
	}
	n := maxHoldersNamed + 2
	for i := range n {
		f.deposit(t, "treasury", int64(100_000*(i+1)))
	}
	for range n {
		if _, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: to, Amount: 50_000, FeeRate: 2, Requester: "alice"}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: to, Amount: 50_000, FeeRate: 2, Requester: "bob"})
	var he *HeldError
	if !errors.As(err, &he) {
		t.Fatalf("Withdraw: %v, want a HeldError", err)
	}
	var named []btcutil.Amount
	for _, h := range he.Holders {
		named = append(named, h.Held)
	}
	if want := []btcutil.Amount{700_000, 600_000, 500_000, 400_000, 300_000}; !slices.Equal(named, want) || he.Others != 2 || he.OthersHeld != 300_000 {
		t.Errorf("named holders of %v and %d others of %v; want %v and 2 others of 0.003 BTC", named, he.Others, he.OthersHeld, want)
	}
	if !strings.Contains(err.Error(), "0.02800000 BTC more is held by 7 requests: ") ||
		!strings.Contains(err.Error(), " and 2 more holding 0.00300000 BTC (see the wallet's page)") {
		t.Errorf("refusal: %v", err)
	}
}
