package coordinator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/offline/hd"
	"airsign/online/chain"
	"airsign/online/regtest"
	"airsign/online/store"
	"airsign/psbt"
	"airsign/psbt/descriptor"
)

type fixture struct {
	node   *regtest.Node
	c      *Coordinator
	st     *store.Store
	dbPath string // the store's SQLite file
}

// newFixture starts a regtest node with segwit and taproot active and a
// coordinator on a fresh SQLite file.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWith(t, regtest.Options{})
}

// newFixtureWith is newFixture with the node's options (Listen, for a
// second node to connect to).
func newFixtureWith(t testing.TB, opts regtest.Options) *fixture {
	t.Helper()
	node := regtest.Start(t, opts)
	regtest.ActivateSegwitTaproot(t, node)
	client, err := chain.Dial(chain.Config{URL: node.RPCURL(), User: node.RPCUser(), Pass: node.RPCPass(),
		Params: regtest.Params})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	dbPath := filepath.Join(t.TempDir(), "coordinator.db")
	st, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c, err := New(Config{Store: st, Node: client, Network: descriptor.Regtest, FallbackFeeRate: 2})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{node: node, c: c, st: st, dbPath: dbPath}
}

func (f *fixture) sync(t testing.TB) {
	t.Helper()
	if _, err := f.c.Sync(context.Background()); err != nil {
		t.Fatalf("Sync: %v", err)
	}
}

// master is a test-only seed.
func master(t testing.TB, seed byte) *hd.Master {
	t.Helper()
	m, err := hd.MasterFromEntropy(bytes.Repeat([]byte{seed}, 16), descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Wipe)
	return m
}

// addWallet registers a single-sig wallet of seed born at the current tip.
func (f *fixture) addWallet(t testing.TB, name string, script descriptor.ScriptType, seed byte) (*hd.Master, *descriptor.Descriptor) {
	t.Helper()
	m := master(t, seed)
	d, err := m.Account(script, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.AddWallet(context.Background(), name, d.String(), f.node.Height(t)); err != nil {
		t.Fatalf("AddWallet: %v", err)
	}
	f.sync(t)
	return m, d
}

// deposit pays sats to the wallet's next receive address and confirms it.
func (f *fixture) deposit(t testing.TB, wallet string, sats int64) {
	t.Helper()
	a, err := f.c.Receive(context.Background(), wallet)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := btcutil.DecodeAddress(a.Address, regtest.Params)
	if err != nil {
		t.Fatal(err)
	}
	script, _ := txscript.PayToAddrScript(addr)
	f.node.Fund(t, script, btcutil.Amount(sats))
	f.sync(t)
}

// sign is the kiosk's part: psbt.Sign with the seed, as airsign-kiosk does.
func sign(t testing.TB, p *btcpsbt.Packet, d *descriptor.Descriptor, m *hd.Master) []byte {
	t.Helper()
	raw, err := psbt.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := psbt.Decode(raw) // the kiosk gets bytes, not our packet
	if err != nil {
		t.Fatal(err)
	}
	pol := psbt.DefaultPolicy
	pol.Cosigner = m.Fingerprint()
	if _, err := psbt.Sign(q, d, pol, m); err != nil {
		t.Fatalf("kiosk refused to sign: %v", err)
	}
	out, err := psbt.Encode(q)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func foreignAddress(t testing.TB, seed byte) string {
	t.Helper()
	d, err := master(t, seed).Account(descriptor.P2TR, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, err := d.Address(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return a.EncodeAddress()
}

// The whole round: register, receive, deposit, withdraw, sign (the kiosk's
// code with the seed), finalize, broadcast, confirm, for each single-sig
// script type.
func TestWithdrawRoundTrip(t *testing.T) {
	for _, script := range []descriptor.ScriptType{descriptor.P2WPKH, descriptor.P2TR, descriptor.P2SHP2WPKH, descriptor.P2PKH} {
		t.Run(script.String(), func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t)
			m, d := f.addWallet(t, "treasury", script, 3)
			f.deposit(t, "treasury", 300_000)
			f.deposit(t, "treasury", 200_000)
			bal, err := f.c.Balance(ctx, "treasury")
			if err != nil || bal.Confirmed != 500_000 {
				t.Fatalf("balance after deposits: %+v, %v; want 500000 confirmed", bal, err)
			}

			to := foreignAddress(t, 8)
			wd, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: to, Amount: 350_000, FeeRate: 5, Requester: "alice"})
			if err != nil {
				t.Fatalf("Withdraw: %v", err)
			}
			if got := len(wd.Packet.UnsignedTx.TxIn); got != 2 {
				t.Fatalf("withdrawal spends %d inputs, want both deposits", got)
			}
			bal, _ = f.c.Balance(ctx, "treasury")
			if bal.Reserved != 500_000 || bal.Confirmed != 0 {
				t.Fatalf("balance while pending: %+v; want all 500000 reserved", bal)
			}
			// The kiosk's own analysis sees the change as change.
			sum, err := psbt.Analyze(wd.Packet, d, psbt.DefaultPolicy)
			if err != nil {
				t.Fatal(err)
			}
			if !sum.FeeKnown || sum.Fee != wd.Fee || sum.Fee <= 0 {
				t.Fatalf("kiosk sees fee %v, coordinator recorded %v", sum.Fee, wd.Fee)
			}

			signed := sign(t, wd.Packet, d, m)
			res, err := f.c.Finalize(ctx, "", true, signed)
			if err != nil {
				t.Fatalf("Finalize: %v", err)
			}
			if !res.Broadcast || res.Withdrawal.State != "broadcast" || res.Withdrawal.Confirmations != 0 {
				t.Fatalf("after broadcast: %+v", res.Withdrawal)
			}
			f.node.Generate(t, 1)
			f.sync(t)
			got, err := f.c.Get(ctx, wd.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != "confirmed" || got.Confirmations != 1 {
				t.Fatalf("after a block: state %s, %d confirmations", got.State, got.Confirmations)
			}
			bal, _ = f.c.Balance(ctx, "treasury")
			if want := 500_000 - 350_000 - wd.Fee; bal.Confirmed != want || bal.Reserved != 0 {
				t.Fatalf("final balance %+v, want %v confirmed (change)", bal, want)
			}
			// Finalizing again is harmless and says it was sent already.
			if _, err := f.c.Finalize(ctx, "", false, signed); err != nil {
				t.Fatalf("finalizing a confirmed request again without broadcast: %v", err)
			}
		})
	}
}

// Concurrent requests never share a coin: each spends its own, and those
// that find none left fail with ErrInsufficient.
func TestConcurrentWithdrawals(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.addWallet(t, "treasury", descriptor.P2WPKH, 4)
	for range 4 {
		f.deposit(t, "treasury", 100_000)
	}
	to := foreignAddress(t, 9)
	var wg sync.WaitGroup
	results := make([]*Withdrawal, 8)
	errs := make([]error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: to, Amount: 30_000,
				FeeRate: 2, Requester: fmt.Sprint("user", i)})
		}()
	}
	wg.Wait()
	used := map[wire.OutPoint]string{}
	ok := 0
	for i, err := range errs {
		if err != nil {
			if !errors.Is(err, ErrInsufficient) {
				t.Errorf("request %d: %v", i, err)
			}
			continue
		}
		ok++
		for _, in := range results[i].Packet.UnsignedTx.TxIn {
			if prev, dup := used[in.PreviousOutPoint]; dup {
				t.Errorf("%v spent by %s and %s", in.PreviousOutPoint, prev, results[i].ID)
			}
			used[in.PreviousOutPoint] = results[i].ID
		}
	}
	if ok != 4 {
		t.Fatalf("%d requests succeeded, want 4 (one per coin)", ok)
	}
	// Cancelling one frees its coin for the next request.
	var cancelled string
	for _, r := range results {
		if r != nil {
			cancelled = r.ID
			break
		}
	}
	if err := f.c.Cancel(ctx, cancelled); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: to, Amount: 30_000, FeeRate: 2, Requester: "bob"}); err != nil {
		t.Fatalf("after cancel: %v", err)
	}
}

// A broadcast withdrawal stuck at a low fee is replaced: the bump is signed
// and broadcast, the node takes it in place of the original, and the
// watcher forgets the original.
func TestBumpFee(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	m, d := f.addWallet(t, "treasury", descriptor.P2WPKH, 5)
	f.deposit(t, "treasury", 400_000)
	to := foreignAddress(t, 10)
	wd, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: to, Amount: 100_000, FeeRate: 1, Requester: "alice", Memo: "invoice 42"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Finalize(ctx, "", true, sign(t, wd.Packet, d, m)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.BumpFee(ctx, wd.ID, 1, "alice"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bump to the same rate: got %v, want ErrInvalid", err)
	}
	bump, err := f.c.BumpFee(ctx, wd.ID, 12, "alice")
	if err != nil {
		t.Fatalf("BumpFee: %v", err)
	}
	if bump.Fee <= wd.Fee || bump.Replaces != wd.ID || bump.Memo != "invoice 42" {
		t.Fatalf("bump: fee %v (old %v), replaces %q, memo %q; want the memo kept", bump.Fee, wd.Fee, bump.Replaces, bump.Memo)
	}
	if len(bump.Packet.UnsignedTx.TxIn) != 1 || bump.Packet.UnsignedTx.TxIn[0].PreviousOutPoint != wd.Packet.UnsignedTx.TxIn[0].PreviousOutPoint {
		t.Fatal("the bump does not spend the original's input: it would not replace it")
	}
	res, err := f.c.Finalize(ctx, "", true, sign(t, bump.Packet, d, m))
	if err != nil {
		t.Fatalf("Finalize bump: %v", err)
	}
	old, _ := f.c.Get(ctx, wd.ID)
	if old.State != "replaced" {
		t.Fatalf("original is %s, want replaced", old.State)
	}
	bal, _ := f.c.Balance(ctx, "treasury")
	// Only the bump's change is unconfirmed; the original's is forgotten.
	if want := 400_000 - 100_000 - bump.Fee; bal.Unconfirmed != want {
		t.Fatalf("unconfirmed %v, want the bump's change %v (the original's change must be gone)", bal.Unconfirmed, want)
	}
	f.node.Generate(t, 1)
	f.sync(t)
	got, _ := f.c.Get(ctx, bump.ID)
	if got.State != "confirmed" || got.TxID == nil || *got.TxID != res.TxID {
		t.Fatalf("bump after a block: %s %v", got.State, got.TxID)
	}
}

// addMultisig registers a 2-of-3 wsh sortedmulti wallet of three masters
// made from seeds seed, seed+1 and seed+2, and returns them.
func (f *fixture) addMultisig(t testing.TB, name string, seed byte) ([]*hd.Master, *descriptor.Descriptor) {
	t.Helper()
	var masters []*hd.Master
	var keys []descriptor.Key
	for i := range 3 {
		m := master(t, seed+byte(i))
		origin, key, err := m.CosignerKey(0)
		if err != nil {
			t.Fatal(err)
		}
		masters = append(masters, m)
		keys = append(keys, descriptor.Key{Origin: origin, Key: key})
	}
	d := &descriptor.Descriptor{Script: descriptor.P2WSHMulti, Network: descriptor.Regtest, Threshold: 2, Keys: keys}
	if _, err := f.c.AddWallet(context.Background(), name, d.String(), f.node.Height(t)); err != nil {
		t.Fatal(err)
	}
	f.sync(t)
	return masters, d
}

// Multisig: two cosigners sign separately; Finalize combines the partial
// PSBTs. One partial alone is not enough, and a PSBT for another
// transaction is refused.
func TestMultisigFinalize(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	masters, d := f.addMultisig(t, "vault", 20)
	f.deposit(t, "vault", 1_000_000)
	wd, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "vault", To: foreignAddress(t, 11), Amount: 250_000, Requester: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if wd.FeeRateSource == "requested" {
		t.Fatalf("no fee rate was requested, yet source is %q", wd.FeeRateSource)
	}
	a := sign(t, wd.Packet, d, masters[0])
	c := sign(t, wd.Packet, d, masters[2])
	if _, err := f.c.Finalize(ctx, "", true, a); !errors.Is(err, ErrNotFinal) {
		t.Fatalf("one of two signatures: got %v, want ErrNotFinal", err)
	}
	other, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "vault", To: foreignAddress(t, 11), Amount: 1000, FeeRate: 1, Requester: "bob"})
	if err == nil {
		if _, err := f.c.Finalize(ctx, "", true, a, sign(t, other.Packet, d, masters[1])); !errors.Is(err, ErrWrongTx) {
			t.Fatalf("partials of two transactions: got %v, want ErrWrongTx", err)
		}
	}
	if _, err := f.c.Finalize(ctx, "", true, a, c); err != nil {
		t.Fatalf("Finalize with two partials: %v", err)
	}
	f.node.Generate(t, 1)
	f.sync(t)
	got, _ := f.c.Get(ctx, wd.ID)
	if got.State != "confirmed" {
		t.Fatalf("state %s, want confirmed", got.State)
	}
}

// Multisig cosigners one after another: the first partial is kept in the
// request's PSBT, the second cosigner signs that PSBT (as the QR shows it),
// and its PSBT alone finalizes. A partial with nothing new changes nothing.
func TestMultisigSignaturesKept(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	masters, d := f.addMultisig(t, "vault", 30)
	f.deposit(t, "vault", 1_000_000)
	wd, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "vault", To: foreignAddress(t, 11), Amount: 250_000, Requester: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	stored := func() int {
		t.Helper()
		got, err := f.c.Get(ctx, wd.ID)
		if err != nil {
			t.Fatal(err)
		}
		n, err := psbt.VerifySignatures(got.Packet)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := stored(); got != 0 {
		t.Fatalf("a new request's PSBT holds %d signatures", got)
	}
	a := sign(t, wd.Packet, d, masters[0])
	_, err = f.c.Finalize(ctx, "", true, a)
	if !errors.Is(err, ErrNotFinal) || !strings.Contains(err.Error(), "are kept in the request's PSBT") {
		t.Fatalf("the first cosigner: got %v, want ErrNotFinal saying the signatures are kept", err)
	}
	n := stored()
	if n == 0 {
		t.Fatal("the first cosigner's signatures were not kept")
	}
	// The same partial again adds nothing and says nothing is kept.
	if _, err := f.c.Finalize(ctx, "", true, a); !errors.Is(err, ErrNotFinal) || strings.Contains(err.Error(), "are kept") {
		t.Fatalf("the same partial again: got %v", err)
	}
	if got := stored(); got != n {
		t.Fatalf("stored signatures went from %d to %d", n, got)
	}
	// The next cosigner signs the PSBT the coordinator now shows.
	now, err := f.c.Get(ctx, wd.ID)
	if err != nil {
		t.Fatal(err)
	}
	b := sign(t, now.Packet, d, masters[1])
	res, err := f.c.Finalize(ctx, "", true, b)
	if err != nil {
		t.Fatalf("the second cosigner's PSBT alone: %v", err)
	}
	if res.Signatures != 2*n {
		t.Errorf("signatures = %d; want %d", res.Signatures, 2*n)
	}
}

// Tampering with the returned PSBT is caught: a changed output makes it
// another transaction.
func TestFinalizeRefusesAnotherTransaction(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	m, d := f.addWallet(t, "treasury", descriptor.P2WPKH, 6)
	f.deposit(t, "treasury", 300_000)
	wd, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 12), Amount: 100_000, FeeRate: 2, Requester: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	signed := sign(t, wd.Packet, d, m)
	p, _ := psbt.Decode(signed)
	p.UnsignedTx.TxOut[0].Value -= 1000 // someone takes a little more fee
	tampered, _ := psbt.Encode(p)
	if _, err := f.c.Finalize(ctx, "", true, tampered); !errors.Is(err, ErrWrongTx) {
		t.Fatalf("tampered output: got %v, want ErrWrongTx", err)
	}
	// Scanned on the request's page, the refusal names both transactions.
	_, err = f.c.Finalize(ctx, wd.ID, true, tampered)
	var wrong *WrongTxError
	if !errors.As(err, &wrong) || !errors.Is(err, ErrWrongTx) || wrong.Got != p.UnsignedTx.TxHash() || wrong.Want != wd.UnsignedTxID {
		t.Fatalf("tampered output for request %s: got %v, want a WrongTxError", wd.ID, err)
	}
	_, err = f.c.Finalize(ctx, wd.ID, true, []byte("psbt\xff"))
	var undecodable *DecodeError
	if !errors.As(err, &undecodable) || !errors.Is(err, ErrInvalid) || undecodable.PSBT != 1 {
		t.Fatalf("a PSBT that does not decode: got %v, want a DecodeError", err)
	}
}

func TestAddWalletRefusals(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	m := master(t, 1)
	d, _ := m.Account(descriptor.P2WPKH, 0)
	mainM, err := hd.MasterFromEntropy(bytes.Repeat([]byte{1}, 16), descriptor.Mainnet)
	if err != nil {
		t.Fatal(err)
	}
	defer mainM.Wipe()
	mainD, _ := mainM.Account(descriptor.P2WPKH, 0)
	noOrigin := "wpkh(" + d.Key.String() + "/<0;1>/*)"
	xprv, err := hdkeychain.NewMaster(bytes.Repeat([]byte{1}, 32), regtest.Params)
	if err != nil {
		t.Fatal(err)
	}
	private := fmt.Sprintf("wpkh([%x]%s/<0;1>/*)", d.Origin.Fingerprint, xprv)
	for _, tc := range []struct {
		name, wallet, desc string
		want               error
	}{
		{"mainnet descriptor", "a", mainD.String(), ErrWalletMismatch},
		{"no key origin", "a", noOrigin, ErrWalletMismatch},
		{"not a descriptor", "a", "hello", ErrWalletMismatch},
		{"private key", "a", private, ErrWalletMismatch},
		{"bad name", "a b", d.String(), ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := f.c.AddWallet(ctx, tc.wallet, tc.desc, 0); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := f.c.AddWallet(ctx, "ok", d.String(), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.AddWallet(ctx, "again", d.String(), 0); !errors.Is(err, store.ErrExists) {
		t.Fatalf("same descriptor twice: got %v, want ErrExists", err)
	}
}

// A suspended wallet gets no request but a sweep of everything to its
// recovery address, without change; lifting the suspension restores
// ordinary withdrawals.
func TestSuspendedWalletOnlySweeps(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	m, d := f.addWallet(t, "treasury", descriptor.P2WPKH, 7)
	f.deposit(t, "treasury", 300_000)
	f.deposit(t, "treasury", 200_000)
	recovery := foreignAddress(t, 13)
	if err := f.c.Suspend(ctx, "treasury", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a mainnet recovery address: got %v, want ErrInvalid", err)
	}
	if err := f.c.Suspend(ctx, "treasury", recovery); err != nil {
		t.Fatal(err)
	}
	for _, req := range []WithdrawRequest{
		{Wallet: "treasury", To: foreignAddress(t, 14), Amount: 10_000, FeeRate: 2, Requester: "alice"},
		{Wallet: "treasury", To: foreignAddress(t, 14), Sweep: true, FeeRate: 2, Requester: "alice"},
	} {
		if _, err := f.c.Withdraw(ctx, req); !errors.Is(err, ErrSuspended) {
			t.Fatalf("%+v on a suspended wallet: got %v, want ErrSuspended", req, err)
		}
	}
	wd, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: recovery, Sweep: true, FeeRate: 2, Requester: "alice"})
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	tx := wd.Packet.UnsignedTx
	if len(tx.TxIn) != 2 || len(tx.TxOut) != 1 || wd.HasChange || btcutil.Amount(tx.TxOut[0].Value)+wd.Fee != 500_000 {
		t.Fatalf("sweep spends %d inputs into %d outputs, %v + fee %v", len(tx.TxIn), len(tx.TxOut), tx.TxOut[0].Value, wd.Fee)
	}
	res, err := f.c.Finalize(ctx, "", true, sign(t, wd.Packet, d, m))
	if err != nil {
		t.Fatalf("finalize the sweep: %v", err)
	}
	if !res.Broadcast {
		t.Fatal("the sweep was not broadcast")
	}
	if err := f.c.Suspend(ctx, "treasury", ""); err != nil {
		t.Fatal(err)
	}
	if err := f.c.Suspend(ctx, "treasury", ""); !errors.Is(err, ErrWrongState) {
		t.Fatalf("lifting twice: got %v", err)
	}
}

// Two wallets with the same addresses: a second BSMS session between the
// same kiosks hands out the vault's keys in another order. Registered, it
// took the vault's coins at the next rescan; it is refused, naming the
// vault, and the vault keeps its balance.
func TestWalletIdentityCollision(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, d := f.addMultisig(t, "vault", 40)
	reordered := &descriptor.Descriptor{Script: d.Script, Network: d.Network, Threshold: d.Threshold,
		Keys: []descriptor.Key{d.Keys[2], d.Keys[0], d.Keys[1]}}
	if reordered.String() == d.String() {
		t.Fatal("the reordered descriptor is spelled as the vault's")
	}
	_, err := f.c.AddWallet(ctx, "vault2", reordered.String(), 0)
	if !errors.Is(err, store.ErrExists) || !strings.Contains(err.Error(), `pays to the same addresses as wallet "vault"`) {
		t.Fatalf("the vault's keys in another order: %v, want ErrExists naming vault", err)
	}
	if _, err := f.st.Wallet(ctx, "vault2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("vault2 was stored: %v", err)
	}
	// The store refuses it too, should two registrations race.
	id, err := walletIdentity(reordered)
	if err != nil {
		t.Fatal(err)
	}
	err = f.st.AddWallet(ctx, store.Wallet{Name: "vault3", Network: "regtest", Descriptor: reordered.String(), Created: time.Now(), Identity: id})
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("the store took a second wallet of the same identity: %v", err)
	}
}

// A store of one network's wallets is not opened as another: testnet3 and
// testnet4 share keys and addresses, so the wallets would parse and then
// follow the other chain.
func TestStoreOfAnotherNetworkRefused(t *testing.T) {
	f := newFixture(t)
	f.addWallet(t, "treasury", descriptor.P2WPKH, 1)
	for _, net := range []descriptor.Network{descriptor.Testnet, descriptor.Testnet4, descriptor.Signet, descriptor.Mainnet} {
		_, err := New(Config{Store: f.st, Node: f.c.cfg.Node, Network: net})
		if !errors.Is(err, ErrWalletMismatch) || !strings.Contains(err.Error(), `wallet "treasury" was registered on regtest, and this coordinator runs on `+net.String()) {
			t.Errorf("a regtest store opened as %s: %v", net, err)
		}
	}
	if _, err := New(Config{Store: f.st, Node: f.c.cfg.Node, Network: descriptor.Regtest}); err != nil {
		t.Errorf("the store opened on its own network: %v", err)
	}
}
