package store

import (
	"context"
	"testing"
)

// The largest checkpoint of each kiosk is kept per wallet: a smaller or
// equal one (an older PSBT brought back late) does not replace it.
func TestKeepKioskCheckpoint(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		addWallet(t, s, "treasury")
		addWallet(t, s, "vault")
		for _, c := range []KioskCheckpoint{
			{Wallet: "treasury", KeyName: "airsign-a", Size: 10, Value: []byte("a10"), Seen: t0},
			{Wallet: "treasury", KeyName: "airsign-a", Size: 12, Value: []byte("a12"), Seen: t0},
			{Wallet: "treasury", KeyName: "airsign-a", Size: 11, Value: []byte("a11"), Seen: t0},
			{Wallet: "treasury", KeyName: "airsign-a", Size: 12, Value: []byte("a12 fork"), Seen: t0},
			{Wallet: "treasury", KeyName: "airsign-b", Size: 3, Value: []byte("b3"), Seen: t0},
			{Wallet: "vault", KeyName: "airsign-a", Size: 4, Value: []byte("a4"), Seen: t0},
		} {
			if err := s.KeepKioskCheckpoint(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.KioskCheckpoints(ctx, "treasury")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || string(got[0].Value) != "a12" || got[0].Size != 12 || string(got[1].Value) != "b3" {
			t.Fatalf("treasury: got %+v, want a12 and b3", got)
		}
		if got, err := s.KioskCheckpoints(ctx, "vault"); err != nil || len(got) != 1 || string(got[0].Value) != "a4" {
			t.Fatalf("vault: got %+v, %v", got, err)
		}
		if err := s.KeepKioskCheckpoint(ctx, KioskCheckpoint{Wallet: "nope", KeyName: "x", Size: 1, Value: []byte("x"), Seen: t0}); err == nil {
			t.Fatal("a checkpoint for an unknown wallet was kept")
		}
	})
}
