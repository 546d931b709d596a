package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"

	"airsign/offline/hd"
	"airsign/online/regtest"
	"airsign/psbt"
	"airsign/psbt/descriptor"
	"airsign/ui/qr"
)

// createRequest makes alice's withdrawal of amount BTC from treasury and
// returns its page's path.
func createRequest(t *testing.T, b *browser, amount string) string {
	t.Helper()
	r := b.post("/withdraw", url.Values{"wallet": {"treasury"}, "to": {"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"},
		"amount": {amount}, "unit": {"btc"}, "action": {"create"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", r.status, r.body)
	}
	return strings.TrimSuffix(r.header.Get("Location"), "?done=created")
}

// fund pays sats to a new receive address of treasury, confirmed.
func (f *fixture) fund(t *testing.T, sats btcutil.Amount) {
	t.Helper()
	ctx := context.Background()
	a, err := f.c.Receive(ctx, "treasury")
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := btcutil.DecodeAddress(a.Address, regtest.Params)
	script, _ := txscript.PayToAddrScript(addr)
	f.node.Fund(t, script, sats)
	if _, err := f.c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
}

// signedFrames is what the treasury's kiosk would show for request id:
// its PSBT signed with the fixture's wallet key, as PNG frames of short
// UR parts (several of them).
func signedFrames(t *testing.T, f *fixture, id string) [][]byte {
	t.Helper()
	parts, err := qr.EncodePSBT(signedPSBT(t, f, id), qr.EncodeOptions{Format: qr.FormatUR, MaxFragment: 60})
	if err != nil {
		t.Fatal(err)
	}
	pngs, err := qr.FramePNGs(parts, qr.ImageOptions{Level: qr.Low, ModulePixels: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(pngs) < 4 {
		t.Fatalf("%d signed frames; the test needs several", len(pngs))
	}
	return pngs
}

// signedPSBT is request id's PSBT signed with the fixture's wallet key.
func signedPSBT(t *testing.T, f *fixture, id string) []byte {
	t.Helper()
	wd, err := f.c.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	m, err := hd.MasterFromEntropy(bytes.Repeat([]byte{3}, 16), descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Wipe()
	d, err := m.Account(descriptor.P2WPKH, 0)
	if err != nil {
		t.Fatal(err)
	}
	p, err := psbt.Decode(wd.PSBT)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := psbt.Sign(p, d, psbt.DefaultPolicy, m); err != nil {
		t.Fatalf("signing %s: %v", id, err)
	}
	signed, err := psbt.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// scanImage posts one image to a request's scan endpoint as the camera
// does.
func (b *browser) scanImage(reqPath string, img []byte) (int, scanReply) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.f.srv.URL+reqPath+"/scan", bytes.NewReader(img))
	req.Header.Set("Content-Type", "image/png")
	req.Header.Set("X-CSRF-Token", b.csrf)
	r := b.do(req)
	var reply scanReply
	if err := json.Unmarshal([]byte(r.body), &reply); err != nil {
		b.t.Fatalf("scan answer %d is not JSON: %v\n%s", r.status, err, r.body)
	}
	return r.status, reply
}

// Two frames of another PSBT used to hold the right ones back until
// sign-out or ten idle minutes: every right frame was "another message".
// Now each says so in plain words, the page offers Start over (also after
// a reload, with the parts that arrived), and Start over unsticks it.
func TestStartOverUnsticksTheReturnPath(t *testing.T) {
	f := newFixture(t, Options{})
	alice := f.browser(t)
	alice.signIn("alice")
	f.fund(t, 30_000_000) // a second coin, for the second request
	pathA, pathB := createRequest(t, alice, "0.1"), createRequest(t, alice, "0.2")
	idA, idB := strings.TrimPrefix(pathA, "/requests/"), strings.TrimPrefix(pathB, "/requests/")
	right, wrong := signedFrames(t, f, idA), signedFrames(t, f, idB)

	if page := alice.get(pathA); !strings.Contains(page.body, `id="restart-form" hidden`) {
		t.Fatalf("Start over is offered before any part arrived:\n%s", page.body)
	}
	for _, img := range wrong[:2] {
		if status, reply := alice.scanImage(pathA, img); status != http.StatusOK || reply.Error || reply.Parts == 0 {
			t.Fatalf("a first frame: %d %+v", status, reply)
		}
	}
	for _, img := range right {
		status, reply := alice.scanImage(pathA, img)
		if status != http.StatusOK || reply.Done || !reply.Error || reply.Parts != 2 {
			t.Fatalf("a right frame after two of another PSBT: %d %+v", status, reply)
		}
		if !strings.Contains(reply.Message, "belongs to another transfer") || !strings.Contains(reply.Message, "Start over") {
			t.Fatalf("the message does not say what to do: %q", reply.Message)
		}
	}
	page := alice.get(pathA)
	if !strings.Contains(page.body, `id="restart-form">`) || !strings.Contains(page.body, "2 part(s) arrived") {
		t.Fatalf("the reloaded page does not offer Start over with the parts that arrived:\n%s", page.body)
	}
	// Start over is a form like the others: CSRF and the role are checked.
	if r := alice.post(pathA+"/scan/restart", url.Values{"csrf": {"forged"}}); r.status != http.StatusForbidden {
		t.Fatalf("Start over with a forged token: %d", r.status)
	}
	victor := f.browser(t)
	victor.signIn("victor")
	if r := victor.post(pathA+"/scan/restart", nil); r.status != http.StatusForbidden {
		t.Fatalf("a viewer's Start over: %d", r.status)
	}
	// Another session's Start over does not touch alice's transfer.
	if page := alice.get(pathA); !strings.Contains(page.body, "2 part(s) arrived") {
		t.Fatalf("alice's transfer is gone after others' refused Start over")
	}
	r := alice.post(pathA+"/scan/restart", nil)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != pathA+"?done=restarted" {
		t.Fatalf("Start over: %d %s\n%s", r.status, r.header.Get("Location"), r.body)
	}
	page = alice.get(r.header.Get("Location"))
	if !strings.Contains(page.body, "transfer under way was discarded") || !strings.Contains(page.body, `id="restart-form" hidden`) {
		t.Fatalf("the page after Start over:\n%s", page.body)
	}
	var reply scanReply
	for _, img := range right {
		if _, reply = alice.scanImage(pathA, img); reply.Done {
			break
		}
	}
	if reply.Redirect != pathA+"?done=broadcast" {
		t.Fatalf("the right frames after Start over: %+v", reply)
	}
	if !strings.Contains(f.auditKinds(t), "web-transfer-restart") {
		t.Error("Start over is not in the audit log")
	}
}
