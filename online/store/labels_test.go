package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPayees(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		s, _ := newStore(t)
		ctx := context.Background()
		at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		const a1, a2 = "bcrt1qexampleaddressone", "bcrt1qexampleaddresstwo"
		for _, p := range []Payee{
			{Label: "Acme payroll", Address: a1, Note: "monthly", AddedBy: "alice", Updated: at},
			{Label: "Exchange", Address: a2, AddedBy: "bob", Updated: at},
		} {
			if err := s.PutPayee(ctx, p); err != nil {
				t.Fatalf("PutPayee(%q): %v", p.Label, err)
			}
		}
		// A label is one payee whatever its case; updating it keeps one row.
		if err := s.PutPayee(ctx, Payee{Label: "ACME PAYROLL", Address: a1, Note: "moved", AddedBy: "carol", Updated: at.Add(time.Hour)}); err != nil {
			t.Fatalf("updating a payee: %v", err)
		}
		got, err := s.Payee(ctx, "acme payroll")
		if err != nil || got.Label != "ACME PAYROLL" || got.Note != "moved" || got.AddedBy != "carol" || !got.Updated.Equal(at.Add(time.Hour)) {
			t.Fatalf("Payee after update: %+v, %v", got, err)
		}
		// One name per address.
		err = s.PutPayee(ctx, Payee{Label: "Second name", Address: a2, AddedBy: "alice", Updated: at})
		if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), `"Exchange"`) {
			t.Fatalf("a second label for an address: %v, want ErrExists naming Exchange", err)
		}
		ps, err := s.Payees(ctx)
		if err != nil || len(ps) != 2 || ps[0].Label != "ACME PAYROLL" || ps[1].Label != "Exchange" {
			t.Fatalf("Payees: %+v, %v", ps, err)
		}
		if err := s.DeletePayee(ctx, "exchange"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeletePayee(ctx, "exchange"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("deleting twice: %v, want ErrNotFound", err)
		}
		if _, err := s.Payee(ctx, "Exchange"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("deleted payee: %v, want ErrNotFound", err)
		}
	})
}

func TestLabels(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		s, _ := newStore(t)
		ctx := context.Background()
		addWallet(t, s, "treasury")
		addWallet(t, s, "vault")
		at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		set := []Label{
			{Wallet: "vault", Type: LabelOutput, Ref: op(1, 0).String(), Label: "cold coin", SetBy: "alice", Updated: at},
			{Wallet: "treasury", Type: LabelAddr, Ref: "bcrt1qown", Label: "from Acme", SetBy: "alice", Updated: at},
			{Wallet: "treasury", Type: LabelTx, Ref: h('t', 1).String(), Label: "deposit", SetBy: "bob", Updated: at},
		}
		for _, l := range set {
			if err := s.SetLabel(ctx, l); err != nil {
				t.Fatal(err)
			}
		}
		// Relabel one, remove another with an empty label.
		if err := s.SetLabel(ctx, Label{Wallet: "treasury", Type: LabelAddr, Ref: "bcrt1qown", Label: "from Acme Ltd", SetBy: "bob", Updated: at}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetLabel(ctx, Label{Wallet: "treasury", Type: LabelTx, Ref: h('t', 1).String()}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Labels(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		want := []Label{
			{Wallet: "treasury", Type: LabelAddr, Ref: "bcrt1qown", Label: "from Acme Ltd", SetBy: "bob", Updated: at},
			{Wallet: "vault", Type: LabelOutput, Ref: op(1, 0).String(), Label: "cold coin", SetBy: "alice", Updated: at},
		}
		if len(got) != len(want) {
			t.Fatalf("Labels: got %+v, want %+v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("label %d: got %+v, want %+v", i, got[i], want[i])
			}
		}
		if only, err := s.Labels(ctx, "vault"); err != nil || len(only) != 1 || only[0].Wallet != "vault" {
			t.Fatalf("Labels(vault): %+v, %v", only, err)
		}
		if err := s.SetLabel(ctx, Label{Wallet: "treasury", Type: "xpub", Ref: "x", Label: "y", SetBy: "a", Updated: at}); err == nil {
			t.Error("a label of a type the coordinator does not keep was stored")
		}
		// A wallet with labels can still be removed, and its labels go with it.
		if err := s.RemoveWallet(ctx, "vault"); err != nil {
			t.Fatalf("removing a labelled wallet: %v", err)
		}
		if left, err := s.Labels(ctx, "vault"); err != nil || len(left) != 0 {
			t.Fatalf("labels of a removed wallet: %+v, %v", left, err)
		}
	})
}

func TestOwnRecords(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		s, _ := newStore(t)
		ctx := context.Background()
		addWallet(t, s, "treasury")
		addWallet(t, s, "vault")
		u := utxo("treasury", op(1, 0), 50_000)
		if err := s.AddAddresses(ctx, []Address{{Wallet: "treasury", Branch: 0, Index: 0, Script: u.Script}}); err != nil {
			t.Fatal(err)
		}
		if err := s.ApplyBlock(ctx, update(1, []UTXO{u})); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name   string
			got    func() (bool, error)
			wanted bool
		}{
			{"own address", func() (bool, error) { return s.HasAddress(ctx, "treasury", u.Script) }, true},
			{"another wallet's address", func() (bool, error) { return s.HasAddress(ctx, "vault", u.Script) }, false},
			{"own deposit", func() (bool, error) { return s.HasTx(ctx, "treasury", u.OutPoint.Hash[:]) }, true},
			{"deposit of another wallet", func() (bool, error) { return s.HasTx(ctx, "vault", u.OutPoint.Hash[:]) }, false},
			{"unknown tx", func() (bool, error) { h := h('t', 9); return s.HasTx(ctx, "treasury", h[:]) }, false},
		} {
			got, err := c.got()
			if err != nil || got != c.wanted {
				t.Errorf("%s: got %v, %v; want %v", c.name, got, err, c.wanted)
			}
		}
	})
}

func TestMemoAndFeePreset(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		addWallet(t, s, "w")
		if err := s.ApplyBlock(ctx, update(1, []UTXO{utxo("w", op(1, 0), 5000), utxo("w", op(1, 1), 7000), utxo("w", op(1, 2), 9000)})); err != nil {
			t.Fatal(err)
		}
		a := withdrawal("a", "w", op(1, 0))
		a.Memo, a.FeePreset = "March payroll — Acme", "economy"
		if err := s.CreateWithdrawal(ctx, a); err != nil {
			t.Fatal(err)
		}
		b := withdrawal("b", "w", op(1, 1))
		b.Memo = "invoice 7"
		if err := s.CreateWithdrawal(ctx, b); err != nil {
			t.Fatal(err)
		}
		// A bump keeps the memo; a revocation does not take it.
		if err := s.ReplaceWithdrawal(ctx, "a", withdrawal("a2", "w", op(1, 0))); err != nil {
			t.Fatal(err)
		}
		rev := withdrawal("b2", "w", op(1, 1))
		rev.Revokes = true
		if err := s.ReplaceWithdrawal(ctx, "b", rev); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ id, memo, preset string }{
			{"a", "March payroll — Acme", "economy"},
			{"a2", "March payroll — Acme", ""},
			{"b", "invoice 7", ""},
			{"b2", "", ""},
		} {
			w, err := s.Withdrawal(ctx, c.id)
			if err != nil || w.Memo != c.memo || w.FeePreset != c.preset {
				t.Errorf("%s: memo %q preset %q (%v); want %q %q", c.id, w.Memo, w.FeePreset, err, c.memo, c.preset)
			}
		}
	})
}
