package coordinator

import (
	"airsign/offline/hd"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"airsign/online/regtest"
	"airsign/online/store"
	"airsign/psbt"
	"airsign/psbt/approval"
	"airsign/psbt/auditlog"
	"airsign/psbt/descriptor"
)

type testSigner struct{ ed25519.PrivateKey }

func (s testSigner) Sign(msg []byte) []byte       { return ed25519.Sign(s.PrivateKey, msg) }
func (s testSigner) PublicKey() ed25519.PublicKey { return s.Public().(ed25519.PublicKey) }

// Refusals of unauthenticated requests do not each cost a signed entry:
// 200 with long paths from one address used to add 200 entries (3 MB);
// now its first refusal of each reason is written, cut to size, and the
// rest are one summary when the window passes.
func TestRefusalsAreCounted(t *testing.T) {
	log, err := auditlog.Create(filepath.Join(t.TempDir(), "audit.log"), "airsign coordinator test",
		testSigner{ed25519.NewKeyFromSeed(make([]byte, 32))})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	c := &Coordinator{cfg: Config{Audit: log, Now: func() time.Time { return now }}}
	long := "/api/v1/" + strings.Repeat("x", 10_000)
	for i := range 200 {
		reason := "no token"
		if i%2 == 1 {
			reason = "the token is not valid"
		}
		if err := c.Refused("auth-refused", "203.0.113.7", map[string]any{"path": long, "reason": reason}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Refused("auth-refused", "198.51.100.1", map[string]any{"path": "/api/v1/wallets", "reason": "no token"}); err != nil {
		t.Fatal(err)
	}
	entries, err := log.Entries()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Fatalf("%d entries for 201 refusals in one window; want 3 (one per source and reason)", len(entries))
	}
	for _, e := range entries {
		if len(e.Data) > 400 {
			t.Fatalf("an entry of %d bytes: the client's path was not cut", len(e.Data))
		}
	}
	// The window passes: the next refusal writes the summary first.
	now = now.Add(RefusalWindow)
	if err := c.Refused("auth-refused", "203.0.113.7", map[string]any{"path": "/", "reason": "no token"}); err != nil {
		t.Fatal(err)
	}
	if err := c.FlushRefusals(); err != nil {
		t.Fatal(err)
	}
	if entries, err = log.Entries(); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	var summary struct {
		Counted int
		Sources []struct {
			Source, Reason string
			Count          int
		}
	}
	for _, e := range entries {
		kinds = append(kinds, e.Kind)
		if e.Kind == "refusals-summary" {
			if err := json.Unmarshal(e.Data, &summary); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got, want := strings.Join(kinds, " "), "auth-refused auth-refused auth-refused refusals-summary auth-refused"; got != want {
		t.Fatalf("kinds %q, want %q", got, want)
	}
	if summary.Counted != 198 || len(summary.Sources) != 2 || summary.Sources[0].Count != 99 || summary.Sources[0].Source != "203.0.113.7" {
		t.Fatalf("summary %+v; want 198 counted, 99 per reason from 203.0.113.7", summary)
	}
}

// Write-ahead: an action whose intent cannot be written to the audit log
// does not happen. The log here was changed behind the coordinator's back
// (bytes appended that do not verify), a fault a second process or a full
// disk causes; every action then stops before it changes anything.
func TestActionsNeedTheLog(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	path := filepath.Join(t.TempDir(), "audit.log")
	log, err := auditlog.Create(path, "airsign coordinator test", testSigner{ed25519.NewKeyFromSeed(make([]byte, 32))})
	if err != nil {
		t.Fatal(err)
	}
	f.c.cfg.Audit = log
	_, _, wd := f.treasuryRequest(t)
	entries, err := log.Entries()
	if err != nil {
		t.Fatal(err)
	}
	var results []string
	for _, e := range entries {
		var d struct{ Result string }
		json.Unmarshal(e.Data, &d)
		results = append(results, e.Kind+":"+d.Result)
	}
	if got, want := strings.Join(results, " "), "wallet-add:started wallet-add:done request:started request:done"; got != want {
		t.Fatalf("entries %q, want %q: the intent before each action", got, want)
	}

	file, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	file.WriteString("not an entry\n")
	file.Close()

	if _, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 9), Amount: 60_000, FeeRate: 2, Requester: "alice"}); !errors.Is(err, ErrAuditUnavailable) {
		t.Fatalf("a request with the log unwritable: %v, want ErrAuditUnavailable", err)
	}
	if err := f.c.Cancel(ctx, wd.ID); !errors.Is(err, ErrAuditUnavailable) {
		t.Fatalf("a cancel with the log unwritable: %v, want ErrAuditUnavailable", err)
	}
	if _, err := f.c.AddWallet(ctx, "spare", "wpkh(x)", 0); !errors.Is(err, ErrAuditUnavailable) {
		t.Fatalf("a wallet with the log unwritable: %v, want ErrAuditUnavailable", err)
	}
	ws, err := f.st.Withdrawals(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 1 || ws[0].Status != store.StatusPending {
		t.Fatalf("requests after the refused actions: %+v; want the one pending request alone", ws)
	}
}

// A request approved and signed, then cancelled ("its coins are free
// again"), whose signed copy is broadcast from elsewhere and confirms: the
// request says "cancelled-but-paid", and the audit log has an alert, once.
// It used to stay "cancelled" with no txid.
func TestCancelledButPaid(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	log := withAudit(t, f)
	m, d, wd := f.treasuryRequest(t)
	signed := sign(t, wd.Packet, d, m)
	if err := f.c.Cancel(ctx, wd.ID); err != nil {
		t.Fatal(err)
	}
	p, err := psbt.Decode(signed)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := psbt.Finalize(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.cfg.Node.Broadcast(ctx, tx); err != nil {
		t.Fatal(err)
	}
	f.sync(t)
	if got, _ := f.c.Get(ctx, wd.ID); got.State != "cancelled" {
		t.Fatalf("in the mempool: state %q, want cancelled until it confirms", got.State)
	}
	f.node.Generate(t, 1)
	f.sync(t)
	f.sync(t)
	got, err := f.c.Get(ctx, wd.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != StateCancelledButPaid || got.PaidTxID == nil || *got.PaidTxID != tx.TxHash() {
		t.Fatalf("confirmed: state %q, paid %v; want %s by %s", got.State, got.PaidTxID, StateCancelledButPaid, tx.TxHash())
	}
	entries, err := log.Entries()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Kind == "cancelled-but-paid" {
			n++
			if !strings.Contains(string(e.Data), wd.ID) {
				t.Errorf("alert %s does not name the request", e.Data)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d cancelled-but-paid alerts, want 1", n)
	}
}

// A request whose coin another transaction spends in a block can never
// confirm. It used to stay pending or broadcast, with 0 confirmations, for
// ever, and could not be closed. It shows "conflicted", the audit log has
// one alert, and it can be cancelled, broadcast or not.
func TestConflictedRequest(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	log := withAudit(t, f)
	m, d, wd := f.treasuryRequest(t)
	// Another transaction spending the same coin, signed by the same keys
	// outside the coordinator (a second copy, another tool), confirms.
	tx := conflictingSpend(t, wd.PSBT, d, m)
	if _, err := f.c.cfg.Node.Broadcast(ctx, tx); err != nil {
		t.Fatal(err)
	}
	f.node.Generate(t, 1)
	f.sync(t)
	f.sync(t)
	got, err := f.c.Get(ctx, wd.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != StateConflicted || got.ConflictTxID == nil || *got.ConflictTxID != tx.TxHash() {
		t.Fatalf("state %q, conflict %v; want %s by %s", got.State, got.ConflictTxID, StateConflicted, tx.TxHash())
	}
	entries, err := log.Entries()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Kind == "request-conflicted" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d request-conflicted alerts, want 1", n)
	}
	if err := f.c.Cancel(ctx, wd.ID); err != nil {
		t.Fatalf("closing the conflicted request: %v", err)
	}
}

// The reorg of issue 17: a withdrawal is broadcast and confirmed; another
// chain, longer, confirms a conflicting spend of its coin instead, and the
// node moves to it. The request used to show "broadcast", 0 confirmations,
// for ever; it is conflicted, and can be closed.
func TestReorgConflictsABroadcastRequest(t *testing.T) {
	ctx := context.Background()
	f := newFixtureWith(t, regtest.Options{Listen: true})
	b := regtest.Start(t, regtest.Options{Listen: true})
	m, d := f.addWallet(t, "treasury", descriptor.P2WPKH, 3)
	f.deposit(t, "treasury", 400_000)
	f.node.Connect(t, b)
	b.WaitForTip(t, f.node.BestHash(t), 2*time.Minute)
	f.node.DisconnectAll(t)
	b.DisconnectAll(t)

	wd, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 9), Amount: 50_000, FeeRate: 2, Requester: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Finalize(ctx, "", true, sign(t, wd.Packet, d, m)); err != nil {
		t.Fatal(err)
	}
	f.node.Generate(t, 1)
	f.sync(t)
	if got, _ := f.c.Get(ctx, wd.ID); got.State != "confirmed" {
		t.Fatalf("before the reorg: %q, want confirmed", got.State)
	}

	// b confirms another spend of the same coin, two blocks deep.
	tx := conflictingSpend(t, wd.PSBT, d, m)
	b.Send(t, tx)
	b.Generate(t, 2)
	f.node.Connect(t, b)
	f.node.WaitForTip(t, b.BestHash(t), 2*time.Minute)
	f.sync(t)
	f.sync(t)
	got, err := f.c.Get(ctx, wd.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != StateConflicted || got.ConflictTxID == nil || *got.ConflictTxID != tx.TxHash() {
		t.Fatalf("after the reorg: state %q (%d confirmations), conflict %v; want %s by %s", got.State, got.Confirmations, got.ConflictTxID, StateConflicted, tx.TxHash())
	}
	if err := f.c.Cancel(ctx, wd.ID); err != nil {
		t.Fatalf("closing the conflicted broadcast request: %v", err)
	}
}

// withAudit gives the fixture's coordinator a real audit log.
func withAudit(t *testing.T, f *fixture) *auditlog.Log {
	t.Helper()
	log, err := auditlog.Create(filepath.Join(t.TempDir(), "audit.log"), "airsign coordinator test", testSigner{ed25519.NewKeyFromSeed(make([]byte, 32))})
	if err != nil {
		t.Fatal(err)
	}
	f.c.cfg.Audit = log
	return log
}

// conflictingSpend is the request's transaction paying another address:
// the same coins, signed by the same keys outside the coordinator.
func conflictingSpend(t *testing.T, unsigned []byte, d *descriptor.Descriptor, m *hd.Master) *wire.MsgTx {
	t.Helper()
	other, err := psbt.Decode(unsigned)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := btcutil.DecodeAddress(foreignAddress(t, 10), descriptor.Regtest.Params())
	if err != nil {
		t.Fatal(err)
	}
	script, err := txscript.PayToAddrScript(addr)
	if err != nil {
		t.Fatal(err)
	}
	other.UnsignedTx.TxOut[0].PkScript = script
	q, err := psbt.Decode(sign(t, other, d, m))
	if err != nil {
		t.Fatal(err)
	}
	tx, err := psbt.Finalize(q)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// wallet remove: a copy registered before identities kept it out goes,
// with what it was credited; a wallet with requests stays (their history
// must), and the original keeps its coins after the rescan.
func TestRemoveWallet(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	log := withAudit(t, f)
	_, d := f.addWallet(t, "treasury", descriptor.P2WPKH, 3)
	f.deposit(t, "treasury", 400_000)
	// The copy as an older coordinator stored it: no identity, the
	// descriptor without its checksum.
	s := d.String()
	if err := f.st.AddWallet(ctx, store.Wallet{Name: "copy", Network: "regtest", Descriptor: s[:strings.LastIndexByte(s, '#')], Birthday: 1, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	f.sync(t)
	if _, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 9), Amount: 50_000, FeeRate: 2, Requester: "alice"}); err != nil {
		t.Fatal(err)
	}
	if err := f.c.RemoveWallet(ctx, "treasury", "root"); !errors.Is(err, store.ErrState) {
		t.Fatalf("removing a wallet with a request: %v, want ErrState", err)
	}
	if err := f.c.RemoveWallet(ctx, "copy", "root"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Wallet(ctx, "copy"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the copy after remove: %v", err)
	}
	f.sync(t)
	bal, err := f.c.Balance(ctx, "treasury")
	if err != nil {
		t.Fatal(err)
	}
	if bal.Confirmed+bal.Unconfirmed+bal.Reserved < 400_000-50_000 {
		t.Fatalf("treasury after the copy went: %+v", bal)
	}
	entries, err := log.Entries()
	if err != nil {
		t.Fatal(err)
	}
	var removes []string
	for _, e := range entries {
		if e.Kind == "wallet-remove" {
			removes = append(removes, string(e.Data))
		}
	}
	if len(removes) != 4 || !strings.Contains(removes[1], `"result":"refused"`) || !strings.Contains(removes[3], `"result":"done"`) {
		t.Fatalf("wallet-remove entries %q, want started/refused, started/done", removes)
	}
}

// A cancelled (or rejected) request's approvals are void: what the
// coordinator serves of it afterwards (API, show) carries none, so a copy
// taken then cannot go to a kiosk as approved.
func TestCancelledRequestServesNoApprovals(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.addWallet(t, "treasury", descriptor.P2WPKH, 3)
	f.deposit(t, "treasury", 400_000)
	f.user(t, "alice", store.RoleRequester)
	f.user(t, "bob", store.RoleApprover)
	f.approvalKey(t, "bob", "bob's long password")
	wd, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 9), Amount: 50_000, FeeRate: 2, Requester: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	approved, err := f.c.Approve(ctx, wd.ID, "bob", []byte("bob's long password"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if as, err := approval.Extract(approved.Packet); err != nil || len(as) != 1 {
		t.Fatalf("pending: %d approvals, %v; want bob's", len(as), err)
	}
	if err := f.c.Cancel(ctx, wd.ID); err != nil {
		t.Fatal(err)
	}
	got, err := f.c.Get(ctx, wd.ID)
	if err != nil {
		t.Fatal(err)
	}
	p, err := psbt.Decode(got.PSBT)
	if err != nil {
		t.Fatal(err)
	}
	if as, err := approval.Extract(p); err != nil || len(as) != 0 {
		t.Fatalf("cancelled: the served PSBT carries %d approvals (%v); want none", len(as), err)
	}
}

// Revoke: a request approved and signed (a signed copy exists), then
// revoked: the revocation pays every coin back to the wallet; signed by the
// kiosk and confirmed, it leaves the signed copy nothing to spend. The
// request shows "cancelling", then "revoked". Cancelling it without the
// revocation used to free the coins while the signed copy could still pay.
func TestRevokeSpendsTheCoinsBack(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	withAudit(t, f)
	m, d, wd := f.treasuryRequest(t)
	copyOut := sign(t, wd.Packet, d, m) // the signed copy someone kept
	rev, err := f.c.Revoke(ctx, wd.ID, 0, "root")
	if err != nil {
		t.Fatal(err)
	}
	if !rev.Revokes || len(rev.Packet.UnsignedTx.TxOut) != 1 || rev.Amount != 400_000-rev.Fee {
		t.Fatalf("revocation %+v: want one output paying %v back", rev.Withdrawal, 400_000-rev.Fee)
	}
	if got, _ := f.c.Get(ctx, wd.ID); got.State != StateCancelling {
		t.Fatalf("before the revocation confirms: %q, want %s", got.State, StateCancelling)
	}
	if _, err := f.c.Finalize(ctx, "", true, sign(t, rev.Packet, d, m)); err != nil {
		t.Fatal(err)
	}
	f.node.Generate(t, 1)
	f.sync(t)
	if got, _ := f.c.Get(ctx, wd.ID); got.State != StateRevoked {
		t.Fatalf("after the revocation confirmed: %q, want %s", got.State, StateRevoked)
	}
	q, err := psbt.Decode(copyOut)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := psbt.Finalize(q)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := f.c.cfg.Node.TestAccept(ctx, tx); err != nil || ok {
		t.Fatalf("the signed copy after the revocation: accepted %v (%v); want refused", ok, err)
	}
	bal, err := f.c.Balance(ctx, "treasury")
	if err != nil {
		t.Fatal(err)
	}
	if bal.Confirmed != 400_000-rev.Fee {
		t.Fatalf("balance after the revocation: %+v, want %v confirmed", bal, 400_000-rev.Fee)
	}
}

// treasuryRequest registers "treasury", deposits 400,000 sat and files
// alice's 50,000 sat request to a foreign address: the start of most tests
// here.
func (f *fixture) treasuryRequest(t *testing.T) (*hd.Master, *descriptor.Descriptor, *Withdrawal) {
	t.Helper()
	m, d := f.addWallet(t, "treasury", descriptor.P2WPKH, 3)
	f.deposit(t, "treasury", 400_000)
	wd, err := f.c.Withdraw(context.Background(), WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 9), Amount: 50_000, FeeRate: 2, Requester: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	return m, d, wd
}
