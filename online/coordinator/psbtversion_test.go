package coordinator

import (
	"context"
	"errors"
	"testing"

	"airsign/psbt"
	"airsign/psbt/descriptor"
)

// A request exported as PSBT version 2 is read by a version 2 signer,
// which answers in version 2; the coordinator takes it back, and the
// transaction confirms.
func TestPSBTVersion2RoundTrip(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	m, d := f.addWallet(t, "treasury", descriptor.P2WPKH, 71)
	f.deposit(t, "treasury", 300_000)
	wd, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 8), Amount: 100_000, FeeRate: 2, Requester: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := PSBTInVersion(wd.PSBT, 2)
	if err != nil {
		t.Fatal(err)
	}
	p, form, err := psbt.DecodeForm(v2)
	if err != nil {
		t.Fatal(err)
	}
	if form.Version != 2 || p.UnsignedTx.TxHash() != wd.UnsignedTxID {
		t.Fatalf("exported version %d of transaction %s; want version 2 of %s", form.Version, p.UnsignedTx.TxHash(), wd.UnsignedTxID)
	}
	pol := psbt.DefaultPolicy
	pol.Cosigner = m.Fingerprint()
	if _, err := psbt.Sign(p, d, pol, m); err != nil {
		t.Fatal(err)
	}
	signed, err := psbt.EncodeForm(p, form)
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.c.Finalize(ctx, "", true, signed)
	if err != nil {
		t.Fatalf("Finalize(signed version 2): %v", err)
	}
	if res.Withdrawal.ID != wd.ID || !res.Broadcast {
		t.Fatalf("finalized %s, broadcast %v; want %s broadcast", res.Withdrawal.ID, res.Broadcast, wd.ID)
	}
	f.node.Generate(t, 1)
	f.sync(t)
	if got, _ := f.c.Get(ctx, wd.ID); got.State != "confirmed" {
		t.Fatalf("state %s, want confirmed", got.State)
	}
}

func TestParsePSBTVersion(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		err  bool
	}{{"", 0, false}, {"0", 0, false}, {"2", 2, false}, {"1", 0, true}, {"v2", 0, true}} {
		got, err := ParsePSBTVersion(tc.in)
		if got != tc.want || (err != nil) != tc.err || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("ParsePSBTVersion(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
	if _, err := PSBTInVersion(nil, 1); !errors.Is(err, ErrInvalid) {
		t.Errorf("PSBTInVersion(version 1) = %v; want ErrInvalid", err)
	}
}
