package store

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"
)

func TestApprovalKeys(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		if _, err := s.AddUser(ctx, "bob", RoleApprover, t0); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ApprovalKey(ctx, "bob"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("ApprovalKey before any: got %v, want ErrNotFound", err)
		}
		pub := ed25519.PublicKey(bytes.Repeat([]byte{7}, 32))
		if err := s.SetApprovalKey(ctx, "nobody", pub, []byte("sealed")); !errors.Is(err, ErrNotFound) {
			t.Fatalf("SetApprovalKey of an unknown user: got %v, want ErrNotFound", err)
		}
		if err := s.SetApprovalKey(ctx, "bob", pub[:31], []byte("sealed")); err == nil {
			t.Fatal("SetApprovalKey took a 31-byte public key")
		}
		if err := s.SetApprovalKey(ctx, "bob", pub, []byte("sealed")); err != nil {
			t.Fatal(err)
		}
		for want := 1; want <= 2; want++ {
			if n, err := s.ApprovalKeyFailed(ctx, "bob"); err != nil || n != want {
				t.Fatalf("ApprovalKeyFailed = %d, %v; want %d", n, err, want)
			}
		}
		if n, err := s.ApprovalKeyFailures(ctx, "bob"); err != nil || n != 2 {
			t.Fatalf("ApprovalKeyFailures = %d, %v; want 2", n, err)
		}
		// Rotation replaces the key and clears the failures.
		pub2 := ed25519.PublicKey(bytes.Repeat([]byte{8}, 32))
		if err := s.SetApprovalKey(ctx, "bob", pub2, []byte("sealed2")); err != nil {
			t.Fatal(err)
		}
		gotPub, sealed, err := s.ApprovalKey(ctx, "bob")
		if err != nil || !bytes.Equal(gotPub, pub2) || string(sealed) != "sealed2" {
			t.Fatalf("ApprovalKey = %x, %q, %v; want the second key", gotPub, sealed, err)
		}
		if n, _ := s.ApprovalKeyFailures(ctx, "bob"); n != 0 {
			t.Fatalf("failures after a new key = %d, want 0", n)
		}
	})
}

func TestRecordApproval(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		addWallet(t, s, "w")
		if err := s.ApplyBlock(ctx, update(1, []UTXO{utxo("w", op(1, 0), 5000), utxo("w", op(1, 1), 5000)})); err != nil {
			t.Fatal(err)
		}
		wd := withdrawal("a", "w", op(1, 0))
		if err := s.CreateWithdrawal(ctx, wd); err != nil {
			t.Fatal(err)
		}
		pub := ed25519.PublicKey(bytes.Repeat([]byte{7}, 32))
		exp := time.Unix(1_900_000_000, 0).UTC()
		a := Approval{Request: "a", Approver: "bob", PublicKey: pub, Expires: exp, Created: t0}

		if err := s.RecordApproval(ctx, a, []byte("not the stored PSBT"), []byte("psbt+bob")); !errors.Is(err, ErrConflict) {
			t.Fatalf("RecordApproval over a PSBT that changed: got %v, want ErrConflict", err)
		}
		if err := s.RecordApproval(ctx, a, wd.PSBT, []byte("psbt+bob")); err != nil {
			t.Fatal(err)
		}
		got, err := s.Withdrawal(ctx, "a")
		if err != nil || string(got.PSBT) != "psbt+bob" {
			t.Fatalf("stored PSBT %q, %v; want the approved one", got.PSBT, err)
		}
		// Approving again replaces the row.
		a.Expires = exp.Add(time.Hour)
		if err := s.RecordApproval(ctx, a, []byte("psbt+bob"), []byte("psbt+bob2")); err != nil {
			t.Fatal(err)
		}
		carol := Approval{Request: "a", Approver: "carol", PublicKey: bytes.Repeat([]byte{9}, 32), Expires: exp, Created: t0}
		if err := s.RecordApproval(ctx, carol, []byte("psbt+bob2"), []byte("psbt+bob2+carol")); err != nil {
			t.Fatal(err)
		}
		as, err := s.Approvals(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		if len(as) != 2 || as[0].Approver != "bob" || !as[0].Expires.Equal(exp.Add(time.Hour)) || as[1].Approver != "carol" ||
			!as[1].Created.Equal(t0) || !bytes.Equal(as[1].PublicKey, carol.PublicKey) {
			t.Fatalf("Approvals = %+v; want bob (replaced, an hour later) and carol", as)
		}

		// A request that is no longer pending takes no approval.
		if err := s.CancelWithdrawal(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordApproval(ctx, carol, []byte("psbt+bob2+carol"), []byte("x")); !errors.Is(err, ErrState) {
			t.Fatalf("RecordApproval of a cancelled request: got %v, want ErrState", err)
		}
		if err := s.RecordApproval(ctx, Approval{Request: "zz", Approver: "bob", PublicKey: pub, Created: t0}, nil, []byte("x")); !errors.Is(err, ErrNotFound) {
			t.Fatalf("RecordApproval of an unknown request: got %v, want ErrNotFound", err)
		}
	})
}
