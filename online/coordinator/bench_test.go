package coordinator

import (
	"context"
	"testing"

	"airsign/online/regtest"
	"airsign/psbt/descriptor"
)

// BenchmarkFinalize is the return path without the broadcast, so that
// every round finds the request pending as before: the signed PSBTs
// decoded, the request read (named, or found from the transaction) and
// checked, the signatures verified, the
// copies combined with the stored PSBT and finalized, and the request read
// back. The store holds 50 earlier (cancelled) requests beside it, as a
// coordinator in use does.
func BenchmarkFinalize(b *testing.B) {
	ctx := context.Background()
	f := newFixtureWith(b, regtest.Options{})
	m, d := f.addWallet(b, "treasury", descriptor.P2WPKH, 3)
	masters, md := f.addMultisig(b, "vault", 20)
	f.deposit(b, "treasury", 300_000)
	f.deposit(b, "treasury", 200_000)
	f.deposit(b, "vault", 1_000_000)
	to := foreignAddress(b, 8)
	for range 50 {
		wd, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: to, Amount: 350_000, FeeRate: 5, Requester: "alice"})
		if err != nil {
			b.Fatal(err)
		}
		if err := f.c.Cancel(ctx, wd.ID); err != nil {
			b.Fatal(err)
		}
	}
	single, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: to, Amount: 350_000, FeeRate: 5, Requester: "alice"})
	if err != nil {
		b.Fatal(err)
	}
	multi, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "vault", To: to, Amount: 250_000, FeeRate: 5, Requester: "alice"})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name   string
		wd     *Withdrawal
		signed [][]byte
	}{
		{"p2wpkh", single, [][]byte{sign(b, single.Packet, d, m)}},
		{"2of3", multi, [][]byte{sign(b, multi.Packet, md, masters[0]), sign(b, multi.Packet, md, masters[2])}},
	} {
		// named: the web's scan, on the request's page; found: the CLI's
		// finalize FILE... and the API, from the transaction.
		for _, id := range []struct{ name, id string }{{"named", bc.wd.ID}, {"found", ""}} {
			b.Run(bc.name+"/"+id.name, func(b *testing.B) {
				for b.Loop() {
					if _, err := f.c.Finalize(ctx, id.id, false, bc.signed...); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
