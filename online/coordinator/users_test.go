package coordinator

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"airsign/online/store"
	"airsign/psbt/approval"
	"airsign/psbt/approval/webauthn"
	"airsign/psbt/auditlog"
)

// A disabled user's keys stop counting here: their approver station's
// approvals, their security key's and their sealed key's are refused while
// they are disabled, and accepted again once they are enabled.
func TestDisabledUsersKeysRefused(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.user(t, "root", store.RoleAdmin)
	f.user(t, "alice", store.RoleRequester)
	f.user(t, "bob", store.RoleApprover)
	f.approvalKey(t, "bob", "bob's long password")
	_, d, wd := f.treasuryRequest(t)
	bobStation := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0xb0}, 32))
	if _, err := f.c.RegisterStationKey(ctx, "bob", approval.StationKey(bobStation.Public().(ed25519.PublicKey)).String(), ""); err != nil {
		t.Fatal(err)
	}
	bobKey := newSoftKey(t, 0x42)
	if _, err := f.c.RegisterWebAuthn(ctx, "bob", bobKey.register(bytes.Repeat([]byte{0x5a}, 32))); err != nil {
		t.Fatal(err)
	}
	// The challenge is asked for while bob may still approve; the
	// assertion comes back after he is disabled.
	req, err := f.c.WebAuthnChallenge(ctx, wd.ID, "bob", testRPID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.c.SetUserDisabled(ctx, "bob", true, "root"); err != nil {
		t.Fatal(err)
	}
	expires := time.Now().Add(time.Hour)
	attempts := map[string]func() error{
		"station": func() error {
			_, err := f.c.ApproveStation(ctx, wd.ID, "alice", station(t, bobStation, d, wd.PSBT, expires))
			return err
		},
		"security key": func() error {
			_, err := f.c.ApproveWebAuthn(ctx, wd.ID, "bob", req.Expires, bobKey.id, bobKey.assert(req.Challenge, webauthn.FlagUP))
			return err
		},
		"sealed key": func() error {
			_, err := f.c.Approve(ctx, wd.ID, "bob", []byte("bob's long password"), time.Hour)
			return err
		},
	}
	for what, try := range attempts {
		if err := try(); !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "disabled") {
			t.Errorf("disabled bob's %s approval: %v, want ErrForbidden saying disabled", what, err)
		}
	}
	if aps, err := f.c.Approvals(ctx, wd.ID); err != nil || len(aps) != 0 {
		t.Fatalf("approvals filed: %+v, %v; want none", aps, err)
	}
	if err := f.c.SetUserDisabled(ctx, "bob", false, "root"); err != nil {
		t.Fatal(err)
	}
	if err := attempts["station"](); err != nil {
		t.Fatalf("enabled bob's station approval: %v", err)
	}
}

func TestUserChangesAudited(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	log, err := auditlog.Create(filepath.Join(dir, "audit.log"), "airsign coordinator test",
		testSigner{ed25519.NewKeyFromSeed(make([]byte, 32))})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, "coordinator.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	// Users need the store and the log, not a node.
	c := &Coordinator{cfg: Config{Audit: log, Now: func() time.Time { return now }}, st: st}
	if _, err := st.AddUser(ctx, "root", store.RoleAdmin, now); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddUser(ctx, "carol", store.RoleViewer, "root"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetUserRole(ctx, "carol", store.RoleApprover, "root"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetUserRole(ctx, "root", store.RoleViewer, "root"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("root demoting themselves: %v, want ErrConflict", err)
	}
	if err := c.SetUserDisabled(ctx, "carol", true, "root"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetWebPassword(ctx, "carol", []byte("$argon2id$hash"), true, "root"); err != nil {
		t.Fatal(err)
	}
	entries, err := log.Entries()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		if !strings.Contains(string(e.Data), `"result":"started"`) {
			got = append(got, e.Kind+" "+string(e.Data))
		}
	}
	want := []string{
		`user-add {"by":"root","name":"carol","result":"done","role":"viewer"}`,
		`user-role {"by":"root","name":"carol","result":"done","role":"approver"}`,
		`user-role {"by":"root","name":"root","reason":"store: set role of \"root\": update conflicts with stored state: you cannot take your own admin role or access away; another admin must","result":"refused","role":"viewer"}`,
		`user-disable {"by":"root","name":"carol","result":"done"}`,
		`web-password {"by":"root","name":"carol","result":"done","temporary":true,"until":"2026-12-08T09:00:00Z"}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit outcomes:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
