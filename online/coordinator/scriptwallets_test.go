package coordinator

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"

	"airsign/offline/hd"
	"airsign/online/store"
	"airsign/psbt"
	"airsign/psbt/descriptor"
)

// templatePolicy is a template's policy file of seeds 31..34: three
// primary keys (2 of 3), the fourth for recovery after lock blocks.
func templatePolicy(t testing.TB, kind descriptor.TemplateKind, lock uint32) ([]*hd.Master, string) {
	t.Helper()
	var masters []*hd.Master
	var keys []string
	for i := range 4 {
		m := master(t, byte(31+i))
		origin, key, err := m.CosignerKey(0)
		if err != nil {
			t.Fatal(err)
		}
		masters = append(masters, m)
		keys = append(keys, "["+origin.String()+"]"+key.String())
	}
	w, err := descriptor.Template{Kind: kind, Threshold: 2, Keys: keys[:3], Recovery: keys[3:], After: lock}.Policy(descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	pol := w.Policy()
	pol.Name = "vault"
	b, err := json.Marshal(pol)
	if err != nil {
		t.Fatal(err)
	}
	return masters, string(b)
}

// signScript is the kiosk's part for a script wallet.
func signScript(t testing.TB, p *btcpsbt.Packet, w *descriptor.ScriptWallet, m *hd.Master) ([]byte, error) {
	t.Helper()
	raw, err := psbt.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := psbt.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	pol := psbt.DefaultPolicy
	pol.Cosigner = m.Fingerprint()
	if _, err := psbt.SignScriptWallet(q, w, pol, m); err != nil {
		return nil, err
	}
	return psbt.Encode(q)
}

// On regtest, for a wsh recovery wallet and a taproot one with a recovery
// leaf: registered from the policy file, funded, spent by the primary
// path with change; the recovery path refused before the lock passes
// (by the coordinator, by the kiosk on the primary path's nSequence, and
// by the node for a spend signed early), then spent by the recovery key
// alone once the lock has passed.
func TestScriptWalletLifecycle(t *testing.T) {
	const lock = 12
	for _, kind := range []descriptor.TemplateKind{descriptor.TemplateRecovery, descriptor.TemplateTaprootRecovery} {
		t.Run(string(kind), func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t)
			masters, policy := templatePolicy(t, kind, lock)
			w, err := f.c.AddPolicyWallet(ctx, "vault", policy, f.node.Height(t))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := f.c.Wallet(ctx, "vault"); err != nil || got.Script == nil || got.Policy == "" {
				t.Fatalf("Wallet = %+v, %v; want a script wallet with its policy", got, err)
			}
			if _, err := f.c.AddPolicyWallet(ctx, "again", policy, 0); !errors.Is(err, store.ErrExists) {
				t.Errorf("the same policy twice: %v", err)
			}
			f.sync(t)
			f.deposit(t, "vault", 1_000_000)
			f.deposit(t, "vault", 500_000)

			// Primary: two of three, with change.
			wd, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "vault", To: foreignAddress(t, 11), Amount: 300_000, Requester: "alice"})
			if err != nil {
				t.Fatal(err)
			}
			// The recovery key alone cannot take the primary path.
			if _, err := signScript(t, wd.Packet, w.Script, masters[3]); !errors.Is(err, psbt.ErrNotSignable) {
				t.Errorf("recovery key on the primary path: %v; want a refusal", err)
			}
			a, err := signScript(t, wd.Packet, w.Script, masters[0])
			if err != nil {
				t.Fatal(err)
			}
			b, err := signScript(t, wd.Packet, w.Script, masters[2])
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.c.Finalize(ctx, "", true, a, b); err != nil {
				t.Fatalf("primary path: %v", err)
			}
			f.node.Generate(t, 1)
			f.sync(t)

			// Recovery before the lock: the coordinator says when.
			_, err = f.c.Withdraw(ctx, WithdrawRequest{Wallet: "vault", To: foreignAddress(t, 12), Sweep: true, Requester: "alice", Path: PathRecovery})
			if !errors.Is(err, ErrInsufficient) || !strings.Contains(err.Error(), "recovery path is open yet") {
				t.Fatalf("recovery before the lock: %v", err)
			}
			coins, got, err := f.c.Coins(ctx, "vault")
			if err != nil || got != lock || len(coins) == 0 {
				t.Fatalf("Coins = %d coins, lock %d, %v", len(coins), got, err)
			}
			for _, c := range coins {
				if c.RecoveryHeight != c.Height+lock || c.RecoveryIn <= 0 {
					t.Errorf("coin at %d: recovery at %d, in %d", c.Height, c.RecoveryHeight, c.RecoveryIn)
				}
				// The default window (4320 blocks) covers a 12-block lock.
				if !c.RefreshSoon {
					t.Errorf("coin at %d opens in %d blocks, not marked for a refresh", c.Height, c.RecoveryIn)
				}
			}
			// Signed early: the kiosk signs (its nSequence meets the
			// lock), the node refuses it until the lock passes.
			early, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "vault", To: foreignAddress(t, 12), Sweep: true, Requester: "alice", Path: PathRecovery, Early: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range early.Packet.UnsignedTx.TxIn {
				if in.Sequence != lock {
					t.Errorf("recovery input nSequence %d; want %d", in.Sequence, lock)
				}
			}
			r, err := signScript(t, early.Packet, w.Script, masters[3])
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.c.Finalize(ctx, "", true, r); !errors.Is(err, ErrBroadcast) {
				t.Fatalf("recovery spend before the lock: %v; want the node's refusal", err)
			}
			f.node.Generate(t, lock)
			f.sync(t)
			if _, err := f.c.Finalize(ctx, early.ID, true, r); err != nil {
				t.Fatalf("recovery spend after the lock: %v", err)
			}
			f.node.Generate(t, 1)
			f.sync(t)
			if got, _ := f.c.Get(ctx, early.ID); got.State != "confirmed" {
				t.Errorf("recovery spend is %s; want confirmed", got.State)
			}
			if bal, err := f.c.Balance(ctx, "vault"); err != nil || bal.Confirmed != 0 {
				t.Errorf("balance after the recovery sweep: %+v, %v", bal, err)
			}
		})
	}
}

func TestScriptWalletRefusals(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, policy := templatePolicy(t, descriptor.TemplateRecovery, 10)
	if _, err := f.c.AddPolicyWallet(ctx, "vault", strings.Replace(policy, "older(10)", "older(0)", 1), 0); !errors.Is(err, ErrWalletMismatch) {
		t.Errorf("a bad policy: %v", err)
	}
	if _, err := f.c.AddPolicyWallet(ctx, "vault", policy, 0); err != nil {
		t.Fatal(err)
	}
	f.addWallet(t, "single", descriptor.P2WPKH, 40)
	to := foreignAddress(t, 11)
	tests := []struct {
		req  WithdrawRequest
		want string
	}{
		{WithdrawRequest{Wallet: "vault", To: to, Amount: 1000, Requester: "a", Path: "backdoor"}, `spending path "backdoor"`},
		{WithdrawRequest{Wallet: "single", To: to, Amount: 1000, Requester: "a", Path: PathRecovery}, "has one spending path"},
		{WithdrawRequest{Wallet: "vault", To: to, Amount: 1000, Requester: "a", Early: true}, "early is for the recovery path"},
	}
	for _, tt := range tests {
		if _, err := f.c.Withdraw(ctx, tt.req); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v; want %q", tt.req, err, tt.want)
		}
	}
	if _, _, err := f.c.ProveReserves(ctx, "vault", []byte("challenge")); err == nil || !strings.Contains(err.Error(), "has spending paths") {
		t.Errorf("prove-reserves of a script wallet: %v", err)
	}
}

// A refresh spends the coins whose recovery path opens soon back to the
// wallet by the primary path, which the kiosk's code signs: once it
// confirms, their lock starts again; a coin further from its lock stays.
func TestScriptWalletRefresh(t *testing.T) {
	const lock = 50
	ctx := context.Background()
	f := newFixture(t)
	masters, policy := templatePolicy(t, descriptor.TemplateRecovery, lock)
	w, err := f.c.AddPolicyWallet(ctx, "vault", policy, f.node.Height(t))
	if err != nil {
		t.Fatal(err)
	}
	f.sync(t)
	f.deposit(t, "vault", 400_000)
	old := f.node.Height(t)
	f.node.Generate(t, 20)
	f.deposit(t, "vault", 300_000)
	f.sync(t)

	// The old coin opens in 29 blocks, the new one in 49.
	if _, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "vault", Refresh: true, Within: 10, Requester: "alice"}); !errors.Is(err, ErrInsufficient) {
		t.Fatalf("refresh within 10 blocks: %v; want none to refresh", err)
	}
	if _, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "vault", Refresh: true, To: foreignAddress(t, 3), Requester: "alice"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("a refresh with a destination: %v", err)
	}
	wd, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "vault", Refresh: true, Within: 30, Requester: "alice", FeeRate: 2})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(wd.Packet.UnsignedTx.TxIn); n != 1 || len(wd.Packet.UnsignedTx.TxOut) != 1 {
		t.Fatalf("refresh has %d inputs and %d outputs; want the old coin back to one change output", n, len(wd.Packet.UnsignedTx.TxOut))
	}
	a, err := signScript(t, wd.Packet, w.Script, masters[0])
	if err != nil {
		t.Fatal(err)
	}
	b, err := signScript(t, wd.Packet, w.Script, masters[1])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Finalize(ctx, "", true, a, b); err != nil {
		t.Fatal(err)
	}
	f.node.Generate(t, 1)
	f.sync(t)
	coins, _, err := f.c.Coins(ctx, "vault")
	if err != nil {
		t.Fatal(err)
	}
	tip := f.node.Height(t)
	for _, c := range coins {
		if c.Height <= old {
			t.Errorf("the old coin (block %d) is still unspent", c.Height)
		}
		if c.Branch == 1 && (c.Height != tip || c.RecoveryHeight != tip+lock) {
			t.Errorf("refreshed coin at %d opens at %d; want %d", c.Height, c.RecoveryHeight, tip+lock)
		}
	}
	// A warning window shorter than the wait marks no coin.
	f.c.cfg.RecoveryWarn = 10
	coins, _, err = f.c.Coins(ctx, "vault")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range coins {
		if c.RefreshSoon != (c.RecoveryIn <= 10) {
			t.Errorf("coin opening in %d blocks: refresh soon %v with a 10-block window", c.RecoveryIn, c.RefreshSoon)
		}
	}
}
