package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestQuorumRecordAndForget(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		s, _ := newStore(t)
		ctx := context.Background()
		addWallet(t, s, "treasury")
		if _, err := s.Quorum(ctx, "treasury"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("before any record: %v, want ErrNotFound", err)
		}
		at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		for _, q := range []Quorum{
			{Wallet: "treasury", Need: 2, SetBy: "root", Updated: at},
			{Wallet: "treasury", Need: 3, Kinds: []string{"station", "coordinator-sealed"}, SetBy: "ada", Updated: at.Add(time.Hour)},
		} {
			if err := s.SetQuorum(ctx, q); err != nil {
				t.Fatal(err)
			}
			got, err := s.Quorum(ctx, "treasury")
			if err != nil || got.Need != q.Need || !slices.Equal(got.Kinds, q.Kinds) || got.SetBy != q.SetBy || !got.Updated.Equal(q.Updated) {
				t.Fatalf("got %+v, %v; want %+v", got, err, q)
			}
		}
		if err := s.SetQuorum(ctx, Quorum{Wallet: "treasury", Need: 17, SetBy: "root", Updated: at}); err == nil {
			t.Error("17 approvals were recorded")
		}
		if err := s.SetQuorum(ctx, Quorum{Wallet: "nowhere", Need: 1, SetBy: "root", Updated: at}); err == nil {
			t.Error("a quorum of an unknown wallet was recorded")
		}
		// A wallet with a record can still be removed.
		if err := s.RemoveWallet(ctx, "treasury"); err != nil {
			t.Fatalf("removing a wallet with a recorded quorum: %v", err)
		}
		if _, err := s.Quorum(ctx, "treasury"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("after removal: %v, want ErrNotFound", err)
		}
	})
}
