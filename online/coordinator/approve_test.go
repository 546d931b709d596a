package coordinator

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"airsign/offline/kiosk"
	"airsign/online/store"
	"airsign/psbt"
	"airsign/psbt/approval"
	"airsign/psbt/descriptor"
)

// cheapKDF keeps the tests fast; the format and code path are the same.
var cheapKDF = KDFParams{Time: 1, Memory: 64, Threads: 1}

func TestSealedKeyRoundTrip(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	password := []byte("correct horse battery")
	p := KDFParams{Time: 2, Memory: 256, Threads: 3}
	sealed, err := sealKey(priv.Seed(), pub, "bob", password, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed) != sealedLen || sealed[0] != 1 {
		t.Fatalf("sealed key is %d bytes, version %d; want %d bytes, version 1", len(sealed), sealed[0], sealedLen)
	}
	// The parameters are stored with the key.
	if got := (KDFParams{Time: be32(sealed[1:]), Memory: be32(sealed[5:]), Threads: sealed[9]}); got != p {
		t.Fatalf("stored parameters %+v, want %+v", got, p)
	}
	got, err := openKey(sealed, pub, "bob", password)
	if err != nil {
		t.Fatalf("openKey: %v", err)
	}
	if !bytes.Equal(got, priv) {
		t.Fatal("openKey returned another key")
	}
	if bytes.Contains(sealed, priv.Seed()) {
		t.Fatal("the sealed key holds the seed in the clear")
	}

	if _, err := openKey(sealed, pub, "bob", []byte("correct horse battery!")); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("wrong password: got %v, want ErrBadPassword", err)
	}
	if _, err := openKey(sealed, pub, "carol", password); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("another user's name: got %v, want ErrBadPassword", err)
	}
	other, _, _ := ed25519.GenerateKey(nil)
	if _, err := openKey(sealed, other, "bob", password); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("another public key: got %v, want ErrBadPassword", err)
	}
	// Every byte is covered: the parameters and salt by the additional
	// data and the key derivation, the nonce and ciphertext by GCM.
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x01
		if _, err := openKey(bad, pub, "bob", password); err == nil {
			t.Fatalf("a sealed key with byte %d flipped opened", i)
		}
	}
	for _, bad := range [][]byte{sealed[:len(sealed)-1], append(bytes.Clone(sealed), 0), nil} {
		if _, err := openKey(bad, pub, "bob", password); err == nil || errors.Is(err, ErrBadPassword) {
			t.Fatalf("a %d-byte sealed key: got %v, want a format error", len(bad), err)
		}
	}
	// Parameters beyond the bounds are refused before any memory is taken.
	huge := bytes.Clone(sealed)
	huge[5], huge[6], huge[7], huge[8] = 0xff, 0xff, 0xff, 0xff
	if _, err := openKey(huge, pub, "bob", password); err == nil || !strings.Contains(err.Error(), "argon2id parameters") {
		t.Fatalf("memory 4 TiB: got %v, want the parameters refused", err)
	}
	if DefaultKDFParams != (KDFParams{Time: 3, Memory: 64 * 1024, Threads: 2}) {
		t.Fatalf("DefaultKDFParams = %+v", DefaultKDFParams)
	}
	if err := DefaultKDFParams.Check(); err != nil {
		t.Fatal(err)
	}
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func TestWalletIDMatchesKiosk(t *testing.T) {
	d, err := master(t, 3).Account(descriptor.P2WPKH, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := WalletID(d.String()), kiosk.WalletID(d); got != want || len(got) != 8 {
		t.Fatalf("WalletID = %q, the kiosk's %q", got, want)
	}
}

func (f *fixture) user(t *testing.T, name string, role store.Role) {
	t.Helper()
	if _, err := f.st.AddUser(context.Background(), name, role, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) approvalKey(t *testing.T, name, password string) ed25519.PublicKey {
	t.Helper()
	pub, err := f.c.CreateApprovalKeyWith(context.Background(), name, []byte(password), KeyOptions{KDF: cheapKDF})
	if err != nil {
		t.Fatalf("CreateApprovalKey(%s): %v", name, err)
	}
	return pub
}

// Approvals from two approvers ride in the stored PSBT, the kiosk's Check
// counts them, and the kiosk-signed PSBT still finalizes and broadcasts.
func TestApproveAndFinalize(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	m, d := f.addWallet(t, "treasury", descriptor.P2WPKH, 3)
	f.deposit(t, "treasury", 400_000)
	f.deposit(t, "treasury", 100_000)
	f.user(t, "alice", store.RoleRequester)
	f.user(t, "vic", store.RoleViewer)
	f.user(t, "bob", store.RoleApprover)
	f.user(t, "carol", store.RoleApprover)
	f.user(t, "dan", store.RoleAdmin)
	bobKey := f.approvalKey(t, "bob", "bob's long password")
	carolKey := f.approvalKey(t, "carol", "carol's long password")

	// Keys: only for approvers and above, passwords of 12 bytes or more,
	// one per user unless rotated.
	if _, err := f.c.CreateApprovalKeyWith(ctx, "alice", []byte("alice's long password"), KeyOptions{KDF: cheapKDF}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("key for a requester: got %v, want ErrForbidden", err)
	}
	if _, err := f.c.CreateApprovalKeyWith(ctx, "dan", []byte("short"), KeyOptions{KDF: cheapKDF}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("5-byte password: got %v, want ErrInvalid", err)
	}
	if _, err := f.c.CreateApprovalKeyWith(ctx, "bob", []byte("bob's long password"), KeyOptions{KDF: cheapKDF}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second key without rotate: got %v, want ErrExists", err)
	}
	if got, err := f.c.ApprovalPublicKey(ctx, "bob"); err != nil || !bytes.Equal(got, bobKey) {
		t.Fatalf("ApprovalPublicKey(bob) = %x, %v; want %x", got, err, bobKey)
	}
	if _, err := f.c.ApprovalPublicKey(ctx, "dan"); !errors.Is(err, ErrNoApprovalKey) {
		t.Fatalf("ApprovalPublicKey of a user without: got %v, want ErrNoApprovalKey", err)
	}

	wd, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 8), Amount: 150_000, FeeRate: 3, Requester: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	unapproved := wd.PSBT

	for _, tc := range []struct {
		name, user, password string
		want                 error
		says                 string
	}{
		{"viewer", "vic", "whatever password", ErrForbidden, "viewer role"},
		{"requester", "alice", "alice's long password", ErrForbidden, "made by alice"},
		{"wrong password", "bob", "not bob's password", ErrBadPassword, "1 of 10"},
		{"no key", "dan", "dan's long password", ErrNoApprovalKey, "user approval-key dan"},
		{"unknown user", "eve", "eve's long password", store.ErrNotFound, "eve"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.c.Approve(ctx, wd.ID, tc.user, []byte(tc.password), 0)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("error %q does not say %q", err, tc.says)
			}
		})
	}
	// The requester cannot approve their own request, whatever their role.
	other, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 8), Amount: 10_000, FeeRate: 3, Requester: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Approve(ctx, other.ID, "bob", []byte("bob's long password"), 0); !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "made by bob") {
		t.Fatalf("requester approving own request: got %v, want ErrForbidden naming bob", err)
	}
	if err := f.c.Cancel(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Approve(ctx, other.ID, "carol", []byte("carol's long password"), 0); !errors.Is(err, ErrWrongState) {
		t.Fatalf("approving a cancelled request: got %v, want ErrWrongState", err)
	}

	// bob approves twice (the second replaces the first), carol once.
	if _, err := f.c.Approve(ctx, wd.ID, "bob", []byte("bob's long password"), time.Hour); err != nil {
		t.Fatalf("Approve(bob): %v", err)
	}
	if n, _ := f.st.ApprovalKeyFailures(ctx, "bob"); n != 0 {
		t.Fatalf("bob's failures after a right password: %d, want 0", n)
	}
	if _, err := f.c.Approve(ctx, wd.ID, "bob", []byte("bob's long password"), 0); err != nil {
		t.Fatalf("Approve(bob) again: %v", err)
	}
	got, err := f.c.Approve(ctx, wd.ID, "carol", []byte("carol's long password"), 2*time.Hour)
	if err != nil {
		t.Fatalf("Approve(carol): %v", err)
	}
	if bytes.Equal(got.PSBT, unapproved) || got.Packet.UnsignedTx.TxHash() != wd.UnsignedTxID {
		t.Fatal("the stored PSBT did not change, or changed transaction")
	}
	as, err := approval.Extract(got.Packet)
	if err != nil || len(as) != 2 {
		t.Fatalf("the PSBT carries %d approvals (%v), want 2", len(as), err)
	}
	recs, err := f.c.Approvals(ctx, wd.ID)
	if err != nil || len(recs) != 2 || recs[0].Approver != "bob" || recs[1].Approver != "carol" {
		t.Fatalf("Approvals = %+v, %v; want bob and carol", recs, err)
	}
	now := time.Now()
	if d := recs[0].Expires.Sub(now); d < DefaultApprovalExpiry-time.Hour || d > DefaultApprovalExpiry {
		t.Fatalf("bob's approval expires in %v, want the default %v (his second replaced the first)", d, DefaultApprovalExpiry)
	}
	enrolled := []approval.Enrolled{{Name: "bob", Key: approval.SealedKey(bobKey)}, {Name: "carol", Key: approval.SealedKey(carolKey)}}
	sum, err := psbt.Analyze(got.Packet, d, psbt.DefaultPolicy)
	if err != nil {
		t.Fatal(err)
	}
	valid, problems, err := approval.Check(got.Packet, kiosk.WalletID(d), sum.Fee, now, enrolled, 2)
	if err != nil || len(valid) != 2 || len(problems) != 0 {
		t.Fatalf("Check = %v, %v, %v; want bob and carol", valid, problems, err)
	}
	// After carol's approval expires only bob's counts.
	if valid, _, _ := approval.Check(got.Packet, kiosk.WalletID(d), sum.Fee, now.Add(3*time.Hour), enrolled, 2); len(valid) != 1 {
		t.Fatalf("Check 3 hours later = %v; want bob only", valid)
	}

	// The kiosk signs what Get serves (approvals and all) and the
	// coordinator finalizes and broadcasts it.
	served, err := f.c.Get(ctx, wd.ID)
	if err != nil {
		t.Fatal(err)
	}
	signed := sign(t, served.Packet, d, m)
	// bob renews his approval after the kiosk signed: the stored PSBT's
	// approval field now differs from the signed one's, which must not
	// stop the finalization.
	if _, err := f.c.Approve(ctx, wd.ID, "bob", []byte("bob's long password"), time.Hour); err != nil {
		t.Fatal(err)
	}
	res, err := f.c.Finalize(ctx, "", true, signed)
	if err != nil {
		t.Fatalf("Finalize after approvals: %v", err)
	}
	if !res.Broadcast || res.Withdrawal.State != "broadcast" {
		t.Fatalf("after finalize: %+v", res.Withdrawal)
	}
	f.node.Generate(t, 1)
	f.sync(t)
	if got, _ := f.c.Get(ctx, wd.ID); got.State != "confirmed" {
		t.Fatalf("state after a block: %s", got.State)
	}
	if _, err := f.c.Approve(ctx, wd.ID, "carol", []byte("carol's long password"), 0); !errors.Is(err, ErrWrongState) {
		t.Fatalf("approving a broadcast request: got %v, want ErrWrongState", err)
	}
}

// Ten wrong passwords in a row lock the key until it is rotated.
func TestApprovalKeyLocks(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.addWallet(t, "treasury", descriptor.P2WPKH, 3)
	f.deposit(t, "treasury", 100_000)
	f.user(t, "alice", store.RoleRequester)
	f.user(t, "bob", store.RoleApprover)
	f.approvalKey(t, "bob", "bob's long password")
	wd, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 8), Amount: 50_000, FeeRate: 3, Requester: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < MaxPasswordFailures; i++ {
		if _, err := f.c.Approve(ctx, wd.ID, "bob", []byte("guess"), 0); !errors.Is(err, ErrBadPassword) {
			t.Fatalf("guess %d: got %v, want ErrBadPassword", i+1, err)
		}
	}
	if _, err := f.c.Approve(ctx, wd.ID, "bob", []byte("bob's long password"), 0); !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("the right password after 10 wrong: got %v, want the key locked", err)
	}
	newKey, err := f.c.CreateApprovalKeyWith(ctx, "bob", []byte("bob's new password"), KeyOptions{Rotate: true, KDF: cheapKDF})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.c.Approve(ctx, wd.ID, "bob", []byte("bob's new password"), 0)
	if err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	as, err := approval.Extract(got.Packet)
	if err != nil || len(as) != 1 || !bytes.Equal(as[0].PublicKey, newKey) {
		t.Fatalf("approvals after rotation: %+v, %v; want one by the new key", as, err)
	}
}

// Four eyes through a fee bump: approver bob requests a payment to an
// accomplice; his own approval is refused. An admin bumps the fee. The
// replacement is still bob's request, so bob cannot approve it, and
// neither can the admin who bumped it; another approver can.
func TestFourEyesSurvivesBump(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.addWallet(t, "treasury", descriptor.P2WPKH, 3)
	f.deposit(t, "treasury", 400_000)
	f.user(t, "bob", store.RoleApprover)
	f.user(t, "carol", store.RoleApprover)
	f.user(t, "dan", store.RoleAdmin)
	f.approvalKey(t, "bob", "bob's long password")
	f.approvalKey(t, "carol", "carol's long password")
	f.approvalKey(t, "dan", "dan's long password")

	wd, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 9), Amount: 50_000, FeeRate: 2, Requester: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Approve(ctx, wd.ID, "bob", []byte("bob's long password"), 0); !errors.Is(err, ErrForbidden) {
		t.Fatalf("bob approving his own request: %v, want ErrForbidden", err)
	}
	bumped, err := f.c.BumpFee(ctx, wd.ID, 10, "dan")
	if err != nil {
		t.Fatal(err)
	}
	if bumped.Requester != "bob" || bumped.BumpedBy != "dan" {
		t.Fatalf("the replacement's requester %q, bumped by %q; want bob, dan", bumped.Requester, bumped.BumpedBy)
	}
	bumpedTwice, err := f.c.BumpFee(ctx, bumped.ID, 20, "carol")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ user, says string }{
		{"bob", "made by bob"},
		{"dan", "dan bumped the fee of request " + wd.ID},
		{"carol", "carol bumped the fee"},
	} {
		_, err := f.c.Approve(ctx, bumpedTwice.ID, tc.user, []byte(tc.user+"'s long password"), 0)
		if !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s approving the twice-bumped request: %v, want ErrForbidden saying %q", tc.user, err, tc.says)
		}
	}
	// Someone who neither requested nor bumped any of the chain may.
	f.user(t, "erin", store.RoleApprover)
	f.approvalKey(t, "erin", "erin's long password")
	got, err := f.c.Approve(ctx, bumpedTwice.ID, "erin", []byte("erin's long password"), 0)
	if err != nil {
		t.Fatalf("a fifth person approving: %v", err)
	}
	// The approval names the original request, as the kiosk and the
	// auditor know it, and signs the replacement's transaction.
	as, err := approval.Extract(got.Packet)
	if err != nil || len(as) != 1 || as[0].Message.Request != wd.ID || as[0].Message.TxID != bumpedTwice.UnsignedTxID {
		t.Fatalf("approvals %+v, %v; want one naming %s for transaction %s", as, err, wd.ID, bumpedTwice.UnsignedTxID)
	}
}
