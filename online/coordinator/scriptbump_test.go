package coordinator

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/offline/hd"
	"airsign/online/builder"
	"airsign/psbt"
	"airsign/psbt/descriptor"
)

// On regtest, for a wsh recovery wallet and a taproot one with a recovery
// leaf: a broadcast primary-path request bumped (the same coins and
// payment, the primary path's nSequence, a higher fee; the recovery key
// alone cannot sign it) and its replacement taking its place in the
// node's mempool; a broadcast primary-path request revoked (every coin
// back to the wallet), the revocation replacing it and its signed copy
// dead after; and, once the locks have passed, a broadcast recovery-path
// request bumped with its inputs' nSequence kept at the lock, signed by
// the recovery key alone, replacing the original and confirming. The
// audit log names each replacement's path. Before, every bump and
// revocation of these wallets was refused ("has spending paths").
func TestScriptWalletBumpAndRevoke(t *testing.T) {
	const lock = 12
	for _, kind := range []descriptor.TemplateKind{descriptor.TemplateRecovery, descriptor.TemplateTaprootRecovery} {
		t.Run(string(kind), func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t)
			log := withAudit(t, f)
			masters, w := scriptVault(t, f, kind, lock)
			f.deposit(t, "vault", 1_000_000)
			f.deposit(t, "vault", 500_000)
			to := foreignAddress(t, 11)

			// Primary path: bumped while the original is in the mempool.
			wd, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "vault", To: to, Amount: 300_000, FeeRate: 1, Requester: "alice"})
			if err != nil {
				t.Fatal(err)
			}
			orig := finalizeScript(t, f, wd, w, masters[0], masters[1])
			bump, err := f.c.BumpFee(ctx, wd.ID, 10, "bob")
			if err != nil {
				t.Fatalf("BumpFee of a primary-path request: %v", err)
			}
			checkReplacement(t, wd, bump, builder.DefaultSequence)
			if bump.Fee <= wd.Fee || bump.Destination != to || bump.Amount != 300_000 {
				t.Errorf("bump pays %v to %s with fee %v; want 300000 sat to %s with more than %v", bump.Amount, bump.Destination, bump.Fee, to, wd.Fee)
			}
			if !pays(bump.Packet.UnsignedTx, to, 300_000) {
				t.Errorf("the bump's outputs do not pay 300000 sat to %s", to)
			}
			if _, err := signScript(t, bump.Packet, w.Script, masters[3]); !errors.Is(err, psbt.ErrNotSignable) {
				t.Errorf("the recovery key alone on the primary path's bump: %v; want a refusal", err)
			}
			res := finalizeScript(t, f, bump, w, masters[0], masters[2])
			replacedInMempool(t, f, orig.TxID, res.TxID)
			f.node.Generate(t, 1)
			f.sync(t)
			if got, _ := f.c.Get(ctx, bump.ID); got.State != "confirmed" {
				t.Errorf("bump after a block: %s; want confirmed", got.State)
			}
			if got, _ := f.c.Get(ctx, wd.ID); got.State != "replaced" {
				t.Errorf("original after the bump: %s; want replaced", got.State)
			}

			// Primary path: revoked after its signed transaction went out.
			wd2, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "vault", To: to, Amount: 200_000, FeeRate: 1, Requester: "alice"})
			if err != nil {
				t.Fatal(err)
			}
			orig2 := finalizeScript(t, f, wd2, w, masters[1], masters[2])
			rev, err := f.c.Revoke(ctx, wd2.ID, 0, "root")
			if err != nil {
				t.Fatalf("Revoke of a primary-path request: %v", err)
			}
			checkReplacement(t, wd2, rev, builder.DefaultSequence)
			var in btcutil.Amount
			for _, pin := range rev.Packet.Inputs {
				in += btcutil.Amount(pin.WitnessUtxo.Value)
			}
			back, err := w.changeScript(rev.ChangeIndex)
			if err != nil {
				t.Fatal(err)
			}
			outs := rev.Packet.UnsignedTx.TxOut
			if !rev.Revokes || len(outs) != 1 || string(outs[0].PkScript) != string(back) || btcutil.Amount(outs[0].Value) != in-rev.Fee || rev.Amount != in-rev.Fee {
				t.Fatalf("revocation: revokes %v, %d outputs, amount %v; want one output paying %v back to change %d", rev.Revokes, len(outs), rev.Amount, in-rev.Fee, rev.ChangeIndex)
			}
			res2 := finalizeScript(t, f, rev, w, masters[0], masters[2])
			replacedInMempool(t, f, orig2.TxID, res2.TxID)
			f.node.Generate(t, 1)
			f.sync(t)
			if got, _ := f.c.Get(ctx, wd2.ID); got.State != StateRevoked {
				t.Errorf("revoked request after a block: %s; want %s", got.State, StateRevoked)
			}
			if ok, _ := f.node.TestMempoolAccept(t, orig2.Tx); ok {
				t.Error("the revoked request's signed transaction is still accepted")
			}

			// Recovery path, once the locks have passed: the recovery key
			// alone signs the request and its bump.
			f.node.Generate(t, lock)
			f.sync(t)
			wd3, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "vault", To: to, Amount: 100_000, FeeRate: 1, Requester: "alice", Path: PathRecovery})
			if err != nil {
				t.Fatal(err)
			}
			orig3 := finalizeScript(t, f, wd3, w, masters[3])
			bump3, err := f.c.BumpFee(ctx, wd3.ID, 10, "bob")
			if err != nil {
				t.Fatalf("BumpFee of a recovery-path request: %v", err)
			}
			checkReplacement(t, wd3, bump3, lock)
			res3 := finalizeScript(t, f, bump3, w, masters[3])
			replacedInMempool(t, f, orig3.TxID, res3.TxID)
			f.node.Generate(t, 1)
			f.sync(t)
			if got, _ := f.c.Get(ctx, bump3.ID); got.State != "confirmed" {
				t.Errorf("recovery bump after a block: %s; want confirmed", got.State)
			}

			// The audit log says which path each replacement took.
			entries, err := log.Entries()
			if err != nil {
				t.Fatal(err)
			}
			var paths []string
			for _, e := range entries {
				var d struct{ Result, Path string }
				if err := json.Unmarshal(e.Data, &d); err != nil {
					t.Fatal(err)
				}
				if (e.Kind == "bump-fee" || e.Kind == "revoke") && d.Result == "done" {
					paths = append(paths, e.Kind+":"+d.Path)
				}
			}
			if got, want := strings.Join(paths, " "), "bump-fee:primary revoke:primary bump-fee:recovery"; got != want {
				t.Errorf("audited replacements %q; want %q", got, want)
			}
		})
	}
}

// A recovery-path bump may take another coin only if that coin's recovery
// path is open too (its lock counts from its own block): a coin deposited
// since is refused, in words, and taken once its lock has passed, with the
// same nSequence as the request's own coin.
func TestScriptWalletBumpRecoveryExtraCoin(t *testing.T) {
	const lock = 10
	ctx := context.Background()
	f := newFixture(t)
	masters, w := scriptVault(t, f, descriptor.TemplateRecovery, lock)
	f.deposit(t, "vault", 100_000)
	f.node.Generate(t, lock)
	f.deposit(t, "vault", 1_000_000)

	// The sweep has no change: a higher fee needs another coin.
	to := foreignAddress(t, 12)
	wd, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "vault", To: to, Sweep: true, FeeRate: 1, Requester: "alice", Path: PathRecovery})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(wd.Packet.UnsignedTx.TxIn); n != 1 {
		t.Fatalf("recovery sweep spends %d coins; want only the one whose lock has passed", n)
	}
	_, err = f.c.BumpFee(ctx, wd.ID, 5, "bob")
	if !errors.Is(err, ErrInsufficient) || !strings.Contains(err.Error(), "recovery path is not open") {
		t.Fatalf("a recovery bump needing a coin still locked: %v; want a refusal naming the lock", err)
	}
	if got, _ := f.c.Get(ctx, wd.ID); got.State != "pending" {
		t.Fatalf("the refused bump left the request %s; want pending", got.State)
	}

	f.node.Generate(t, lock)
	f.sync(t)
	bump, err := f.c.BumpFee(ctx, wd.ID, 5, "bob")
	if err != nil {
		t.Fatalf("a recovery bump once the other coin's lock passed: %v", err)
	}
	tx := bump.Packet.UnsignedTx
	if len(tx.TxIn) != 2 || !slices.ContainsFunc(tx.TxIn, func(in *wire.TxIn) bool {
		return in.PreviousOutPoint == wd.Packet.UnsignedTx.TxIn[0].PreviousOutPoint
	}) {
		t.Fatalf("the bump spends %d coins; want the request's and the other", len(tx.TxIn))
	}
	for i, in := range tx.TxIn {
		if in.Sequence != lock {
			t.Errorf("bump input %d: nSequence %d; want the lock, %d", i, in.Sequence, lock)
		}
	}
	if !pays(tx, to, wd.Amount) || !bump.HasChange {
		t.Errorf("the bump does not pay the sweep's %v to %s with change back", wd.Amount, to)
	}
	finalizeScript(t, f, bump, w, masters[3])
	f.node.Generate(t, 1)
	f.sync(t)
	if got, _ := f.c.Get(ctx, bump.ID); got.State != "confirmed" {
		t.Errorf("recovery bump after a block: %s; want confirmed", got.State)
	}
}

// scriptVault registers the template wallet "vault" of seeds 31..34 (the
// fourth the recovery key, after lock blocks) at the tip.
func scriptVault(t *testing.T, f *fixture, kind descriptor.TemplateKind, lock uint32) ([]*hd.Master, Wallet) {
	t.Helper()
	masters, policy := templatePolicy(t, kind, lock)
	w, err := f.c.AddPolicyWallet(context.Background(), "vault", policy, f.node.Height(t))
	if err != nil {
		t.Fatal(err)
	}
	f.sync(t)
	return masters, w
}

// finalizeScript signs the request with each master, as each kiosk does,
// and finalizes and broadcasts it.
func finalizeScript(t *testing.T, f *fixture, wd *Withdrawal, w Wallet, masters ...*hd.Master) *FinalizeResult {
	t.Helper()
	var signed [][]byte
	for _, m := range masters {
		s, err := signScript(t, wd.Packet, w.Script, m)
		if err != nil {
			t.Fatalf("signing %s: %v", wd.ID, err)
		}
		signed = append(signed, s)
	}
	res, err := f.c.Finalize(context.Background(), wd.ID, true, signed...)
	if err != nil {
		t.Fatalf("finalizing %s: %v", wd.ID, err)
	}
	return res
}

// checkReplacement checks that rep replaces old with the same coins, each
// input with sequence seq.
func checkReplacement(t *testing.T, old, rep *Withdrawal, seq uint32) {
	t.Helper()
	if rep.Replaces != old.ID {
		t.Errorf("replacement replaces %q; want %s", rep.Replaces, old.ID)
	}
	coins := func(p *btcpsbt.Packet) []string {
		var out []string
		for _, in := range p.UnsignedTx.TxIn {
			out = append(out, in.PreviousOutPoint.String())
		}
		slices.Sort(out)
		return out
	}
	if got, want := coins(rep.Packet), coins(old.Packet); !slices.Equal(got, want) {
		t.Errorf("replacement spends %v; want the request's %v", got, want)
	}
	for i, in := range rep.Packet.UnsignedTx.TxIn {
		if in.Sequence != seq {
			t.Errorf("replacement input %d: nSequence %#x; want %#x", i, in.Sequence, seq)
		}
	}
}

// pays says whether tx has an output of value to addr.
func pays(tx *wire.MsgTx, addr string, value btcutil.Amount) bool {
	a, err := btcutil.DecodeAddress(addr, descriptor.Regtest.Params())
	if err != nil {
		return false
	}
	script, err := txscript.PayToAddrScript(a)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(tx.TxOut, func(out *wire.TxOut) bool {
		return string(out.PkScript) == string(script) && btcutil.Amount(out.Value) == value
	})
}

// replacedInMempool checks that the node's mempool holds the replacement
// and no longer the original.
func replacedInMempool(t *testing.T, f *fixture, orig, rep chainhash.Hash) {
	t.Helper()
	ids, err := f.node.Client().GetRawMempool()
	if err != nil {
		t.Fatal(err)
	}
	has := func(h chainhash.Hash) bool {
		return slices.ContainsFunc(ids, func(id *chainhash.Hash) bool { return *id == h })
	}
	if has(orig) || !has(rep) {
		t.Errorf("mempool %v: want %s (the replacement) instead of %s", ids, rep, orig)
	}
}

// A refresh (the wallet's coins back to itself by the primary path, so
// that their recovery locks start again) is bumped as what it is: the same
// coins back to the wallet, at the higher fee, not a revocation; it used to
// be refused by the builder for paying no one.
func TestScriptWalletBumpRefresh(t *testing.T) {
	const lock = 30
	ctx := context.Background()
	f := newFixture(t)
	masters, w := scriptVault(t, f, descriptor.TemplateRecovery, lock)
	f.deposit(t, "vault", 400_000)
	wd, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "vault", Refresh: true, FeeRate: 1, Requester: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	orig := finalizeScript(t, f, wd, w, masters[0], masters[1])
	bump, err := f.c.BumpFee(ctx, wd.ID, 8, "bob")
	if err != nil {
		t.Fatalf("BumpFee of a refresh: %v", err)
	}
	checkReplacement(t, wd, bump, builder.DefaultSequence)
	outs := bump.Packet.UnsignedTx.TxOut
	back, err := w.changeScript(bump.ChangeIndex)
	if err != nil {
		t.Fatal(err)
	}
	if bump.Revokes || len(outs) != 1 || string(outs[0].PkScript) != string(back) ||
		bump.Amount != 400_000-bump.Fee || btcutil.Amount(outs[0].Value) != bump.Amount || bump.Fee <= wd.Fee {
		t.Fatalf("bumped refresh: revokes %v, %d outputs, pays %v with fee %v (old %v); want one output paying %v back",
			bump.Revokes, len(outs), bump.Amount, bump.Fee, wd.Fee, 400_000-bump.Fee)
	}
	res := finalizeScript(t, f, bump, w, masters[1], masters[2])
	replacedInMempool(t, f, orig.TxID, res.TxID)
	f.node.Generate(t, 1)
	f.sync(t)
	if got, _ := f.c.Get(ctx, wd.ID); got.State != "replaced" {
		t.Errorf("the refresh after its bump confirmed: %s; want replaced (not a revocation)", got.State)
	}
	coins, _, err := f.c.Coins(ctx, "vault")
	if err != nil || len(coins) != 1 || coins[0].RecoveryHeight != f.node.Height(t)+lock {
		t.Fatalf("after the bumped refresh: %+v, %v; want one coin whose lock starts again", coins, err)
	}
}

// A revocation bumped stays a revocation: every coin back to the wallet,
// at the higher fee.
func TestBumpRevocation(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	m, d, wd := f.treasuryRequest(t)
	rev, err := f.c.Revoke(ctx, wd.ID, 3, "root")
	if err != nil {
		t.Fatal(err)
	}
	bump, err := f.c.BumpFee(ctx, rev.ID, 9, "root")
	if err != nil {
		t.Fatalf("BumpFee of a revocation: %v", err)
	}
	checkReplacement(t, rev, bump, builder.DefaultSequence)
	back, err := d.PkScript(1, bump.ChangeIndex)
	if err != nil {
		t.Fatal(err)
	}
	outs := bump.Packet.UnsignedTx.TxOut
	if !bump.Revokes || len(outs) != 1 || string(outs[0].PkScript) != string(back) || bump.Amount != 400_000-bump.Fee || bump.Fee <= rev.Fee {
		t.Fatalf("bumped revocation: revokes %v, %d outputs, pays %v with fee %v (the revocation's %v); want a revocation paying %v back",
			bump.Revokes, len(outs), bump.Amount, bump.Fee, rev.Fee, 400_000-bump.Fee)
	}
	if _, err := f.c.Finalize(ctx, "", true, sign(t, bump.Packet, d, m)); err != nil {
		t.Fatal(err)
	}
	f.node.Generate(t, 1)
	f.sync(t)
	if bal, err := f.c.Balance(ctx, "treasury"); err != nil || bal.Confirmed != 400_000-bump.Fee {
		t.Fatalf("balance after the bumped revocation: %+v, %v; want %v confirmed", bal, err, 400_000-bump.Fee)
	}
	// The request the chain revoked says so, though its own replacement
	// (the first revocation) never confirmed.
	if got, err := f.c.Get(ctx, wd.ID); err != nil || got.State != StateRevoked {
		t.Fatalf("the revoked request: state %q, %v; want %s", got.State, err, StateRevoked)
	}
}
