package coordinator

import (
	"context"
	"errors"
	"testing"

	"airsign/psbt/descriptor"
)

// A preview shows what the request made right after it builds, and
// reserves nothing; a sweep's preview pays everything less the fee; a
// preview refuses what Withdraw refuses.
func TestPreviewMatchesWithdraw(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.addWallet(t, "treasury", descriptor.P2WPKH, 9)
	f.deposit(t, "treasury", 300_000)
	f.deposit(t, "treasury", 200_000)
	req := WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 3), Amount: 250_000, FeeRate: 3, Requester: "alice"}

	for _, tc := range []struct {
		name string
		req  WithdrawRequest
	}{{"payment", req}, {"sweep", WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 3), Sweep: true, FeeRate: 3, Requester: "alice"}}} {
		p, err := f.c.Preview(ctx, tc.req)
		if err != nil {
			t.Fatalf("%s: Preview: %v", tc.name, err)
		}
		if b, _ := f.c.Balance(ctx, "treasury"); b.Reserved != 0 {
			t.Fatalf("%s: a preview reserved %v", tc.name, b.Reserved)
		}
		wd, err := f.c.Withdraw(ctx, tc.req)
		if err != nil {
			t.Fatalf("%s: Withdraw: %v", tc.name, err)
		}
		if p.Fee != wd.Fee || p.Amount != wd.Amount || len(p.Inputs) != len(wd.Inputs) || p.Algorithm != wd.Selection.Algorithm {
			t.Errorf("%s: preview fee %v amount %v, %d inputs by %s; the request: fee %v amount %v, %d inputs by %s",
				tc.name, p.Fee, p.Amount, len(p.Inputs), p.Algorithm, wd.Fee, wd.Amount, len(wd.Inputs), wd.Selection.Algorithm)
		}
		if err := f.c.Cancel(ctx, wd.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		req  WithdrawRequest
		want error
	}{
		{"too much", WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 3), Amount: 600_000, Requester: "alice"}, ErrInsufficient},
		{"dust", WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 3), Amount: 100, Requester: "alice"}, ErrInvalid},
		{"mainnet address", WithdrawRequest{Wallet: "treasury", To: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", Amount: 10_000, Requester: "alice"}, ErrInvalid},
	} {
		_, perr := f.c.Preview(ctx, tc.req)
		_, werr := f.c.Withdraw(ctx, tc.req)
		if !errors.Is(perr, tc.want) || !errors.Is(werr, tc.want) {
			t.Errorf("%s: Preview error %v, Withdraw error %v; want both %v", tc.name, perr, werr, tc.want)
		}
	}
}
