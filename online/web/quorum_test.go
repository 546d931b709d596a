package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The approvals a wallet's kiosk policy needs, recorded by an admin on the
// wallet page: request pages count them ("1 of 2 approvals"), drop the
// approve form of who approved, and offer the QR to carry once enough are
// in. Nothing recorded behaves as before.
func TestQuorumOnTheRequestPage(t *testing.T) {
	f := newFixture(t, Options{})
	root, alice, ann, bert := f.browser(t), f.browser(t), f.browser(t), f.browser(t)
	for b, name := range map[*browser]string{root: "root", alice: "alice", ann: "ann", bert: "bert"} {
		b.signIn(name)
	}
	has := func(t *testing.T, b *browser, path string, want ...string) string {
		t.Helper()
		page := b.get(path)
		for _, w := range want {
			neg := strings.HasPrefix(w, "!")
			if strings.Contains(page.body, strings.TrimPrefix(w, "!")) == neg {
				t.Fatalf("%s: contains %q is %v:\n%s", path, strings.TrimPrefix(w, "!"), neg, page.body)
			}
		}
		return page.body
	}
	has(t, root, "/wallets/treasury", `id="quorum-none"`, `id="quorum-form"`)
	has(t, alice, "/wallets/treasury", `id="quorum-none"`, `!id="quorum-form"`)

	record := func(b *browser, need string, kinds ...string) resp {
		return b.post("/wallets/treasury/quorum", url.Values{"need": {need}, "kind": kinds})
	}
	if r := record(alice, "2", "coordinator-sealed"); r.status != http.StatusForbidden {
		t.Fatalf("a requester records the quorum: %d", r.status)
	}
	if r := record(root, "17", "station"); r.status != http.StatusBadRequest || !strings.Contains(r.body, "1 to 16") {
		t.Fatalf("17 approvals: %d\n%s", r.status, r.body)
	}
	if r := record(root, "2"); r.status != http.StatusBadRequest || !strings.Contains(r.body, "tick the kinds") {
		t.Fatalf("no kind: %d\n%s", r.status, r.body)
	}
	if r := record(root, "2", "coordinator-sealed"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/wallets/treasury?done=quorum" {
		t.Fatalf("recording 2 approvals: %d %s\n%s", r.status, r.header.Get("Location"), r.body)
	}
	has(t, alice, "/wallets/treasury", `id="quorum-need">2<`, "recorded by root")
	if !strings.Contains(f.auditKinds(t), `wallet-quorum {"by":"root","kinds":"coordinator-sealed","need":2,"result":"done"`) {
		t.Errorf("the record is not in the audit log:\n%s", f.auditKinds(t))
	}

	reqPath := createRequest(t, alice, "0.1")
	has(t, alice, reqPath, "0 of 2 approvals", `id="carry-wait"`, `id="carry-station"`)
	approve := func(b *browser, name string) {
		t.Helper()
		r := b.post(reqPath+"/approve", url.Values{"password": {password(name) + "-key"}, "expires": {"8h"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("%s approves: %d\n%s", name, r.status, r.body)
		}
	}
	approve(ann, "ann")
	has(t, ann, reqPath, "1 of 2 approvals", "1 of 2: ann", `!id="approve-form"`, "You approved this request.", `id="carry-wait"`)
	has(t, bert, reqPath, "1 of 2 approvals", `id="approve-form"`, "Approve as bert")
	approve(bert, "bert")
	has(t, alice, reqPath, "2 of 2 approvals", `!id="carry-wait"`, `id="qr-player"`, "the kiosk checks the approvals itself")
	has(t, bert, reqPath, `!id="approve-form"`)

	// A policy counting only keys the coordinator never holds does not
	// count sealed approvals, and says so.
	if r := record(root, "1", "station", "webauthn"); r.status != http.StatusSeeOther {
		t.Fatalf("recording 1 approval of station or security keys: %d\n%s", r.status, r.body)
	}
	has(t, alice, reqPath, "0 of 1 approvals", "not counted", `id="carry-wait"`)
	has(t, ann, reqPath, `id="approve-form"`) // ann may approve again with a key that counts

	// 0 forgets the record: the page is as before one was made.
	if r := record(root, "0"); r.status != http.StatusSeeOther {
		t.Fatalf("forgetting: %d\n%s", r.status, r.body)
	}
	has(t, alice, reqPath, `!id="quorum-count"`, `!id="carry-wait"`, `id="qr-player"`, "2: ann, bert")
	has(t, ann, reqPath, `!id="approve-form"`, "You approved this request.")
	has(t, root, "/wallets/treasury", `id="quorum-none"`)
}
