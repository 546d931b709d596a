package jsonapi

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"net/http"
	"strings"
	"testing"
	"time"

	"airsign/online/coordinator"
	"airsign/psbt"
	"airsign/psbt/approval"
)

func TestApproveEndpoint(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.addWallet(t, "treasury", 6)
	f.deposit(t, "treasury", 300_000)
	cheap := coordinator.KeyOptions{KDF: coordinator.KDFParams{Time: 1, Memory: 64, Threads: 1}}
	if _, err := f.c.CreateApprovalKeyWith(ctx, "ann", []byte("ann's long password"), cheap); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.CreateApprovalKeyWith(ctx, "root", []byte("root's long password"), cheap); err != nil {
		t.Fatal(err)
	}
	var wd withdrawalJSON
	f.ok(t, http.StatusCreated, "POST", "/api/v1/withdrawals", "alice",
		withdrawRequest{Wallet: "treasury", To: "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", Amount: 100_000, FeeRate: 2}, &wd)
	path := "/api/v1/withdrawals/" + wd.ID + "/approve"

	f.refused(t, http.StatusForbidden, codeForbidden, "POST", path, "alice", approveRequest{Password: "alice's long password"})
	f.refused(t, http.StatusForbidden, codeForbidden, "POST", path, "victor", approveRequest{Password: "x"})
	f.refused(t, http.StatusForbidden, codeForbidden, "POST", path, "ann", approveRequest{Password: "not ann's password"})
	f.refused(t, http.StatusBadRequest, codeInvalid, "POST", path, "ann", approveRequest{Password: "ann's long password", ExpiresIn: "soon"})
	f.refused(t, http.StatusBadRequest, codeInvalid, "POST", path, "ann", map[string]string{"password": "ann's long password", "pin": "1"})
	f.refused(t, http.StatusNotFound, codeNotFound, "POST", "/api/v1/withdrawals/wd-000000000000/approve", "ann", approveRequest{Password: "ann's long password"})

	var got approvedJSON
	f.ok(t, http.StatusOK, "POST", path, "ann", approveRequest{Password: "ann's long password", ExpiresIn: "2h"}, &got)
	f.ok(t, http.StatusOK, "POST", path, "root", approveRequest{Password: "root's long password"}, &got)
	if len(got.Approvals) != 2 || got.Approvals[0].Approver != "ann" || got.Approvals[1].Approver != "root" || got.PSBT == "" {
		t.Fatalf("approvals %+v; want ann and root, with the PSBT", got.Approvals)
	}
	var served withdrawalJSON
	f.ok(t, http.StatusOK, "GET", "/api/v1/withdrawals/"+wd.ID, "victor", nil, &served)
	if served.PSBT != got.PSBT {
		t.Fatal("GET serves another PSBT than the approved one")
	}
	stored, err := f.c.Get(ctx, wd.ID)
	if err != nil {
		t.Fatal(err)
	}
	if as, err := approval.Extract(stored.Packet); err != nil || len(as) != 2 {
		t.Fatalf("the stored PSBT carries %d approvals, %v; want 2", len(as), err)
	}
	if _, err := psbt.Encode(stored.Packet); err != nil {
		t.Fatal(err)
	}
	// The password never reaches the log.
	if log := f.log.String(); strings.Contains(log, "long password") {
		t.Fatalf("the log holds a password:\n%s", log)
	}
}

// An approver station's approval handed in through the API is filed under
// the station key's owner, with its kind; four eyes and the request's
// transaction are checked as for any approval.
func TestStationApprovalEndpoint(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.addWallet(t, "treasury", 6)
	f.deposit(t, "treasury", 300_000)
	annKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0xa7}, 32))
	if _, err := f.c.RegisterStationKey(ctx, "ann", approval.StationKey(annKey.Public().(ed25519.PublicKey)).String(), ""); err != nil {
		t.Fatal(err)
	}
	var wd withdrawalJSON
	f.ok(t, http.StatusCreated, "POST", "/api/v1/withdrawals", "alice",
		withdrawRequest{Wallet: "treasury", To: "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", Amount: 100_000, FeeRate: 2}, &wd)
	w, err := f.c.Wallet(ctx, "treasury")
	if err != nil {
		t.Fatal(err)
	}
	stationApproval := func(expires time.Time, edit func(m *approval.Message)) string {
		stored, err := f.c.Get(ctx, wd.ID)
		if err != nil {
			t.Fatal(err)
		}
		request, err := approval.RequestOf(stored.Packet)
		if err != nil || request != wd.ID {
			t.Fatalf("the PSBT names request %q, %v; want %s", request, err, wd.ID)
		}
		fee, err := approval.FeeOf(stored.Packet)
		if err != nil {
			t.Fatal(err)
		}
		m, err := approval.MessageFor(stored.Packet, coordinator.WalletID(w.Descriptor.String()), request, fee, expires)
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			edit(&m)
		}
		return approval.MarshalTransfer(approval.Sign(m, "ann's station", annKey))
	}
	path := "/api/v1/withdrawals/" + wd.ID + "/station-approval"
	expires := time.Now().Add(3 * time.Hour)
	f.refused(t, http.StatusForbidden, codeForbidden, "POST", path, "victor", stationApprovalRequest{Approval: stationApproval(expires, nil)})
	f.refused(t, http.StatusBadRequest, codeInvalid, "POST", path, "alice", stationApprovalRequest{})
	f.refused(t, http.StatusBadRequest, codeInvalid, "POST", path, "alice", stationApprovalRequest{Approval: "AIRSIGN-APPROVAL-V1:AAAA"})
	f.refused(t, http.StatusBadRequest, codeInvalid, "POST", path, "alice", stationApprovalRequest{Approval: stationApproval(expires, func(m *approval.Message) { m.Fee++ })})
	var got approvedJSON
	f.ok(t, http.StatusOK, "POST", path, "alice", stationApprovalRequest{Approval: stationApproval(expires, nil)}, &got)
	if len(got.Approvals) != 1 || got.Approvals[0].Approver != "ann" || got.Approvals[0].Kind != "station" {
		t.Fatalf("approvals %+v; want ann's station approval", got.Approvals)
	}
}
