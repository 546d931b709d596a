package web

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image/color"
	"image/png"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"

	"airsign/online/chain"
	"airsign/online/coordinator"
	"airsign/online/regtest"
	"airsign/online/store"
	"airsign/psbt"
	"airsign/psbt/approval"
	"airsign/psbt/approval/webauthn"
	"airsign/psbt/auditlog"
	"airsign/psbt/descriptor"
	"airsign/ui/qr"
)

// needTool skips the test when a tool is missing, or fails it when
// AIRSIGN_REQUIRE_TOOLS=1 (CI, where make deps installs them).
func needTool(t *testing.T, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("AIRSIGN_REQUIRE_TOOLS") == "1" {
		t.Fatalf("%s is missing and AIRSIGN_REQUIRE_TOOLS=1; run make deps", what)
	}
	t.Skipf("%s is missing (make deps installs it)", what)
}

// TestBrowser is the whole withdrawal round trip in headless Chromium:
// a real btcd regtest node, a wallet from a real airsign-kiosk ceremony,
// the coordinator's web UI, and ui/web/e2e/roundtrip.mjs signing in as
// three users, creating (with a preview) and approving a request, taking
// the animated QR to the real kiosk binary, uploading the signed frames,
// and seeing the transaction broadcast and confirmed; with the refusals
// (the requester approving her own request, a viewer asking for one).
// Then a signed request cancelled (not revoked) whose kept signed copy is
// broadcast from elsewhere and confirms shows its cancelled-but-paid alert;
// an upload while the user's decoding turn is taken is refused (429) and
// the page says so; and five wrong passwords lock a user's sign-in from the
// browser's address, with the page saying what to do, while another user
// still signs in.
//
// AIRSIGN_WEB_SHOTS=DIR saves a screenshot of every page as
// DIR/web-*.png (make web-shots writes docs/screenshots).
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts btcd, builds airsign-kiosk and runs chromium")
	}
	nodeBin, chromium, e2e := browserTools(t)

	work := t.TempDir()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	kiosk := filepath.Join(work, "bin", "airsign-kiosk")
	if out, err := exec.Command(goBin, "build", "-tags", "nogui", "-o", kiosk, "airsign/cmd/airsign-kiosk").CombinedOutput(); err != nil {
		t.Fatalf("building airsign-kiosk: %v\n%s", err, out)
	}
	kh := filepath.Join(work, "kiosk")
	cer := filepath.Join(work, "ceremony")
	runKiosk := func(args ...string) string {
		t.Helper()
		// The test machine is connected: the kiosk's override (logged).
		out, err := exec.Command(kiosk, append([]string{"--home", kh, "--allow-network"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("airsign-kiosk %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	runKiosk("init")
	runKiosk("ceremony", "--network", "regtest", "--script", "p2wpkh", "--threshold", "2", "--shares", "3", "--name", "treasury", "--out", cer)
	desc := watchOnlyDescriptor(t, filepath.Join(cer, "watch-only.txt"))

	// The coordinator, as serve wires it, over a real node.
	node := regtest.Start(t, regtest.Options{})
	regtest.ActivateSegwitTaproot(t, node)
	client, err := chain.Dial(chain.Config{URL: node.RPCURL(), User: node.RPCUser(), Pass: node.RPCPass(), Params: regtest.Params})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	st, err := store.Open(filepath.Join(work, "coordinator.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	audit, err := auditlog.Create(filepath.Join(work, "audit.log"), "airsign coordinator browser-test",
		signer{ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))})
	if err != nil {
		t.Fatal(err)
	}
	c, err := coordinator.New(coordinator.Config{Store: st, Node: client, Network: descriptor.Regtest, FallbackFeeRate: 2, Audit: audit})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.AddWallet(ctx, "treasury", desc, node.Height(t)); err != nil {
		t.Fatal(err)
	}
	for _, sats := range []btcutil.Amount{50_000_000, 30_000_000} {
		a, err := c.Receive(ctx, "treasury")
		if err != nil {
			t.Fatal(err)
		}
		addr, _ := btcutil.DecodeAddress(a.Address, regtest.Params)
		script, _ := txscript.PayToAddrScript(addr)
		node.Fund(t, script, sats)
	}
	if _, err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	passwords := map[string]string{"alice": "alice's web passphrase", "bob": "bob's web passphrase",
		"victor": "victor's web passphrase", "alicekey": "alice's approval key", "root": "root's web passphrase"}
	for name, role := range map[string]store.Role{"alice": store.RoleApprover, "bob": store.RoleApprover, "victor": store.RoleViewer, "root": store.RoleAdmin} {
		if _, err := st.AddUser(ctx, name, role, time.Now()); err != nil {
			t.Fatal(err)
		}
		hash, err := HashPassword([]byte(passwords[name]), testParams)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SetWebPassword(ctx, name, hash); err != nil {
			t.Fatal(err)
		}
	}
	cheap := coordinator.KeyOptions{KDF: coordinator.KDFParams{Time: 1, Memory: 64, Threads: 1}}
	if _, err := c.CreateApprovalKeyWith(ctx, "alice", []byte(passwords["alicekey"]), cheap); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateApprovalKeyWith(ctx, "bob", []byte("bob's approval key"), cheap); err != nil {
		t.Fatal(err)
	}

	h, err := New(c, st, Options{Audit: audit, DummyParams: testParams, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	// The watcher, as serve runs it.
	syncCtx, stopSync := context.WithCancel(ctx)
	syncDone := make(chan struct{})
	go func() {
		defer close(syncDone)
		for syncCtx.Err() == nil {
			c.Sync(syncCtx)
			select {
			case <-syncCtx.Done():
			case <-time.After(300 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() { stopSync(); <-syncDone })
	// The script's helper: mine a block, turn the kiosk's signed frames
	// into a Y4M video that chromium plays as its fake camera, broadcast a
	// kiosk-signed PSBT file behind the coordinator's back, and hold a
	// user's image-decoding turn.
	control := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/mine":
			if _, err := node.Daemon().Generate(1); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
			}
		case r.Method == http.MethodPost && r.URL.Path == "/y4m":
			if err := framesToY4M(r.FormValue("dir"), r.FormValue("out")); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
			}
		case r.Method == http.MethodPost && r.URL.Path == "/broadcast":
			// A signed copy sent "from elsewhere": straight to the node,
			// not through the coordinator.
			txid, err := broadcastSigned(node, r.FormValue("psbt"))
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			fmt.Fprint(w, txid)
		case r.Method == http.MethodPost && r.URL.Path == "/decoding":
			// Take (hold=1) or give back (hold=0) a user's decoding turn,
			// as a slow image being read would: the page's next image for
			// that user is refused with 429 for as long as it is held.
			user := r.FormValue("user")
			switch r.FormValue("hold") {
			case "1":
				if !h.startDecoding(user) {
					http.Error(w, user+"'s decoding turn is already taken", http.StatusConflict)
				}
			case "0":
				h.doneDecoding(user)
			default:
				http.Error(w, "hold=1 or hold=0", http.StatusBadRequest)
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(control.Close)

	shots := os.Getenv("AIRSIGN_WEB_SHOTS")
	if shots != "" {
		if shots, err = filepath.Abs(shots); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	pw, _ := json.Marshal(passwords)
	// Each of the script's steps has its own timeout (STEP_TIMEOUT_MS); this
	// one only ends a script that hangs outside them.
	runCtx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(runCtx, nodeBin, filepath.Join(e2e, "roundtrip.mjs"))
	cmd.Dir = e2e
	cmd.Env = append(os.Environ(),
		"BASE_URL="+srv.URL, "CONTROL_URL="+control.URL, "WORK="+work, "CHROMIUM="+chromium,
		"KIOSK_BIN="+kiosk, "KIOSK_HOME="+kh,
		"SHARES="+filepath.Join(cer, "share-1.txt")+","+filepath.Join(cer, "share-3.txt"),
		"PASSWORDS="+string(pw), "APPROVAL_PASSWORD=bob's approval key",
		"DESTINATION=bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", "SHOTS="+shots)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	t.Logf("roundtrip.mjs took %s", time.Since(start).Round(time.Millisecond))
	var res struct {
		OK            bool            `json:"ok"`
		Error         string          `json:"error"`
		Steps         []string        `json:"steps"`
		Request       string          `json:"request"`
		Paid          string          `json:"paid"`
		PaidTxID      string          `json:"paidTxid"`
		TxID          string          `json:"txid"`
		Progress      float64         `json:"progress"`
		ConsoleErrors []string        `json:"consoleErrors"`
		WebAuthnKey   string          `json:"webauthnKey"`
		KeyApproved   string          `json:"keyApproved"`
		Pages         json.RawMessage `json:"pages"`
	}
	if jerr := json.Unmarshal(lastLine(out), &res); jerr != nil {
		t.Fatalf("roundtrip.mjs: %v (%v)\nstdout:\n%s\nstderr:\n%s", err, jerr, out, stderr.String())
	}
	for _, s := range res.Steps {
		t.Logf("browser: %s", s)
	}
	if err != nil || !res.OK {
		t.Fatalf("roundtrip.mjs failed: %v\n%s\npages: %s\nstderr:\n%s", err, res.Error, res.Pages, stderr.String())
	}
	if len(res.ConsoleErrors) > 0 {
		t.Logf("browser console errors (expected: the refused requests): %q", res.ConsoleErrors)
	}

	// What the browser showed was a real frame of the request's PSBT, in
	// the page's default format (BBQr, for the airsign kiosk).
	frame, err := os.ReadFile(filepath.Join(work, "shown-frame.png"))
	if err != nil {
		t.Fatal(err)
	}
	text, err := qr.DecodeFile(frame)
	if err != nil || !strings.HasPrefix(string(text), "B$") || len(text) < 4 || text[3] != 'P' {
		t.Fatalf("the frame on screen decodes to %.40q, %v; want a BBQr PSBT part", text, err)
	}
	// The chain and the store agree with the page.
	wd, err := c.Get(ctx, res.Request)
	if err != nil {
		t.Fatal(err)
	}
	if wd.State != "confirmed" || wd.TxID == nil || wd.TxID.String() != res.TxID {
		t.Fatalf("request %s: state %s, txid %v; the page said confirmed, %s", res.Request, wd.State, wd.TxID, res.TxID)
	}
	// The request cancelled but paid from a signed copy elsewhere.
	paid, err := c.Get(ctx, res.Paid)
	if err != nil {
		t.Fatal(err)
	}
	if paid.State != coordinator.StateCancelledButPaid || paid.PaidTxID == nil || paid.PaidTxID.String() != res.PaidTxID {
		t.Fatalf("request %s: state %s, paid by %v; the page said %s, paid by %s", res.Paid, paid.State, paid.PaidTxID, coordinator.StateCancelledButPaid, res.PaidTxID)
	}
	// The security key's approval, as the real kiosk judges it.
	kioskJudgesSecurityKeyApproval(t, c, runKiosk, kiosk, kh, cer, work, res.WebAuthnKey, res.KeyApproved, res.Paid)

	entries, err := audit.Entries()
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	for _, e := range entries {
		log.WriteString(e.Kind + " " + string(e.Data) + "\n")
	}
	for _, want := range []string{`"reason":"role"`, `cannot also approve`, `"user":"bob"`, "broadcast {", "web-signin", "cancelled-but-paid {", "web-lockout {", `"reason":"locked"`} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("audit log lacks %s:\n%s", want, log.String())
		}
	}
}

// browserTools finds node, chromium and ui/web/e2e's Playwright, or skips
// (fails with AIRSIGN_REQUIRE_TOOLS=1) when one is missing.
func browserTools(t *testing.T) (nodeBin, chromium, e2e string) {
	t.Helper()
	nodeBin, err := exec.LookPath("node")
	needTool(t, err == nil, "node")
	chromium = os.Getenv("AIRSIGN_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	_, err = os.Stat(chromium)
	needTool(t, err == nil, chromium+" (Debian package chromium)")
	e2e, _ = filepath.Abs(filepath.Join("..", "..", "ui", "web", "e2e"))
	_, err = os.Stat(filepath.Join(e2e, "node_modules", "playwright-core", "package.json"))
	needTool(t, err == nil, "ui/web/e2e/node_modules (npm ci in ui/web/e2e)")
	return nodeBin, chromium, e2e
}

// psbtVersionScript drives the request page in Chromium: it picks PSBT
// version 2, waits for a frame of that version on screen, and downloads
// the PSBT file by clicking its link. It prints one JSON line.
const psbtVersionScript = `
import { createRequire } from "node:module";
import fs from "node:fs";
const env = process.env;
const { chromium } = createRequire(env.E2E + "/")("playwright-core");
const browser = await chromium.launch({ executablePath: env.CHROMIUM, headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
const out = {};
try {
  const ctx = await browser.newContext({ acceptDownloads: true });
  ctx.setDefaultTimeout(60000);
  const page = await ctx.newPage();
  page.on("pageerror", (e) => { out.pageErrors = (out.pageErrors || []).concat(e.message); });
  await page.goto(env.BASE_URL + "/login");
  await page.fill("#user", "alice");
  await page.fill("#password", env.PASSWORD);
  await Promise.all([page.waitForURL("**/wallets"), page.click("button[type=submit]")]);
  await page.goto(env.BASE_URL + env.REQUEST);
  out.before = { file: await page.getAttribute("#psbt-download", "href"), frame: await page.getAttribute("#qr-frame", "src") };
  await page.selectOption("#qr-psbt-version", "2");
  await page.waitForFunction(() => document.getElementById("qr-frame").src.includes("psbt_version=2"));
  out.frame = await page.getAttribute("#qr-frame", "src");
  out.gif = await page.getAttribute("#qr-download", "href");
  out.file = await page.getAttribute("#psbt-download", "href");
  const [dl] = await Promise.all([page.waitForEvent("download"), page.click("#psbt-download")]);
  out.filename = dl.suggestedFilename();
  await dl.saveAs(env.WORK + "/download.psbt");
  out.ok = true;
} catch (e) {
  out.error = String(e && e.stack || e);
}
await browser.close();
console.log(JSON.stringify(out));
`

// In Chromium, the request page's PSBT version control makes the frame
// on screen, the GIF and the PSBT file follow it, and the file its link
// downloads is the request's PSBT in version 2.
func TestBrowserPSBTVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("starts btcd and runs chromium")
	}
	nodeBin, chromium, e2e := browserTools(t)
	f, _, reqPath := newRequestPage(t)
	work := t.TempDir()
	script := filepath.Join(work, "psbtversion.mjs")
	if err := os.WriteFile(script, []byte(psbtVersionScript), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, script)
	cmd.Env = append(os.Environ(), "E2E="+e2e, "CHROMIUM="+chromium, "BASE_URL="+f.srv.URL,
		"PASSWORD="+password("alice"), "REQUEST="+reqPath, "WORK="+work)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	var res struct {
		OK               bool
		Error            string
		PageErrors       []string
		Before           struct{ File, Frame string }
		Frame, GIF, File string
		Filename         string
	}
	if jerr := json.Unmarshal(lastLine(stdout), &res); jerr != nil || err != nil || !res.OK {
		t.Fatalf("psbtversion.mjs: %v %v %s\nstdout:\n%s\nstderr:\n%s", err, jerr, res.Error, stdout, stderr.String())
	}
	if len(res.PageErrors) > 0 {
		t.Errorf("the page's script failed: %q", res.PageErrors)
	}
	version := func(link string) string {
		u, err := url.Parse(link)
		if err != nil {
			return "unparsable " + link
		}
		return u.Query().Get("psbt_version")
	}
	for _, c := range []struct{ what, link, want string }{
		{"the PSBT link at first", res.Before.File, "0"},
		{"the frame at first", res.Before.Frame, "0"},
		{"the frame", res.Frame, "2"},
		{"the GIF link", res.GIF, "2"},
		{"the PSBT link", res.File, "2"},
	} {
		if got := version(c.link); got != c.want {
			t.Errorf("%s (%s): psbt_version %q, want %q", c.what, c.link, got, c.want)
		}
	}
	id := strings.TrimPrefix(reqPath, "/requests/")
	if res.Filename != id+"-unsigned.psbt" {
		t.Errorf("the download is named %q, want %s-unsigned.psbt", res.Filename, id)
	}
	data, err := os.ReadFile(filepath.Join(work, "download.psbt"))
	if err != nil {
		t.Fatal(err)
	}
	p, form, err := psbt.DecodeForm(data)
	if err != nil || form.Version != 2 {
		t.Fatalf("the downloaded PSBT: version %d, %v; want version 2", form.Version, err)
	}
	wd, err := f.c.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := samePayment(p, wd.Packet); diff != "" {
		t.Errorf("the downloaded PSBT: %s", diff)
	}
}

// kioskJudgesSecurityKeyApproval has the kiosk's quorum enroll the
// security key bob registered in Chromium, with a policy that counts only
// keys the coordinator never holds, and checks that the kiosk counts the
// approval bob made with it for request id, and refuses it tampered, moved
// to another request (other), replayed under another expiry, without user
// presence, or by a credential it did not enroll.
func kioskJudgesSecurityKeyApproval(t *testing.T, c *coordinator.Coordinator, runKiosk func(...string) string,
	kioskBin, kh, cer, work, keyText, id, other string) {
	t.Helper()
	if keyText == "" || id == "" {
		t.Fatalf("the browser registered no security key (%q) or approved nothing with it (%q)", keyText, id)
	}
	quorum := []string{"--share", filepath.Join(cer, "share-1.txt"), "--share", filepath.Join(cer, "share-3.txt")}
	runKiosk(append([]string{"approvers", "add", "bob", keyText, "--wallet", "treasury"}, quorum...)...)
	runKiosk(append([]string{"policy", "set", "--wallet", "treasury", "--require-approvals", "1"}, quorum...)...)
	wd, err := c.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	was, err := approval.ExtractWebAuthn(wd.Packet)
	if err != nil || len(was) != 1 {
		t.Fatalf("request %s carries %d webauthn approvals (%v), want bob's", id, len(was), err)
	}
	inspect := func(name string, p *btcpsbt.Packet) string {
		t.Helper()
		raw, err := psbt.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(work, "judge-"+strings.ReplaceAll(name, " ", "-")+".psbt")
		if err := os.WriteFile(file, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		// inspect exits 2 when it refuses: the output is what is judged.
		out, _ := exec.Command(kioskBin, "--home", kh, "inspect", "--in", file).CombinedOutput()
		return string(out)
	}
	if out := inspect("as approved", wd.Packet); !strings.Contains(out, "PASS  approvals: 1 of 1 required approvals (bob: webauthn)") {
		t.Fatalf("the kiosk does not count bob's security-key approval:\n%s", out)
	}
	redo := func(edit func(a *approval.WebAuthnApproval)) *btcpsbt.Packet {
		p, err := psbt.Decode(wd.PSBT)
		if err != nil {
			t.Fatal(err)
		}
		a := was[0]
		a.Assertion = webauthn.Assertion{AuthenticatorData: bytes.Clone(a.Assertion.AuthenticatorData),
			ClientDataJSON: bytes.Clone(a.Assertion.ClientDataJSON), Signature: bytes.Clone(a.Assertion.Signature)}
		approval.Detach(p, a.KeyID[:])
		edit(&a)
		putWebAuthn(t, p, a)
		return p
	}
	otherWd, err := c.Get(context.Background(), other)
	if err != nil {
		t.Fatal(err)
	}
	moved, err := psbt.Decode(otherWd.PSBT)
	if err != nil {
		t.Fatal(err)
	}
	putWebAuthn(t, moved, was[0])
	for _, tc := range []struct {
		name string
		p    *btcpsbt.Packet
		want string
	}{
		{"tampered signature", redo(func(a *approval.WebAuthnApproval) { a.Assertion.Signature[len(a.Assertion.Signature)-1] ^= 1 }), "approval by bob: the signature is not valid"},
		{"tampered client data", redo(func(a *approval.WebAuthnApproval) {
			a.Assertion.ClientDataJSON = bytes.Replace(a.Assertion.ClientDataJSON, []byte(`"webauthn.get"`), []byte(`"webauthn.got"`), 1)
		}), "approval by bob: the signature is not valid"},
		{"another request", moved, "approval by bob does not match"},
		{"replayed under another expiry", redo(func(a *approval.WebAuthnApproval) { a.Message.Expires = a.Message.Expires.Add(time.Hour) }), "approval by bob: the security key signed another message"},
		{"no user presence", redo(func(a *approval.WebAuthnApproval) { a.Assertion.AuthenticatorData[32] &^= webauthn.FlagUP }), "approval by bob: "},
		{"unenrolled credential", redo(func(a *approval.WebAuthnApproval) { a.KeyID[0] ^= 1 }), "key not enrolled on this kiosk"},
	} {
		out := inspect(tc.name, tc.p)
		if !strings.Contains(out, tc.want) || !strings.Contains(out, "FAIL  approvals: 0 of 1 required approvals") {
			t.Errorf("%s: the kiosk's verdict does not refuse it saying %q:\n%s", tc.name, tc.want, out)
		}
	}
}

// putWebAuthn writes a as a PSBT field without checking it, as a hostile
// coordinator could.
func putWebAuthn(t *testing.T, p *btcpsbt.Packet, a approval.WebAuthnApproval) {
	t.Helper()
	key := append(append([]byte{0xfc, 7}, "airsign"...), 0x03)
	key = append(key, a.KeyID[:]...)
	p.Unknowns = append(p.Unknowns, &btcpsbt.Unknown{Key: key, Value: webAuthnValue(a)})
}

// webAuthnValue is the field's value as package approval documents it.
func webAuthnValue(a approval.WebAuthnApproval) []byte {
	msg := a.Message.Canonical()
	b := []byte{1}
	b = binary.BigEndian.AppendUint32(b, uint32(len(msg)))
	b = append(b, msg...)
	b = append(append(b, byte(len(a.Approver))), a.Approver...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(a.Assertion.AuthenticatorData)))
	b = append(b, a.Assertion.AuthenticatorData...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(a.Assertion.ClientDataJSON)))
	b = append(b, a.Assertion.ClientDataJSON...)
	b = append(b, byte(len(a.Assertion.Signature)))
	return append(b, a.Assertion.Signature...)
}

// broadcastSigned finalizes the signed PSBT in file (as the kiosk's sign
// --out wrote it) and sends its transaction to the node.
func broadcastSigned(node *regtest.Node, file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	p, err := psbt.Decode(b)
	if err != nil {
		return "", err
	}
	tx, err := psbt.Finalize(p)
	if err != nil {
		return "", err
	}
	txid, err := node.Client().SendRawTransaction(tx, false)
	if err != nil {
		return "", err
	}
	return txid.String(), nil
}

func watchOnlyDescriptor(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "descriptor: "); ok {
			return strings.TrimSpace(d)
		}
	}
	t.Fatalf("%s has no descriptor line", path)
	return ""
}

func lastLine(b []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	return lines[len(lines)-1]
}

// framesToY4M writes the frame-*.png images of dir as a YUV4MPEG2 video
// (720x720, 2 frames a second, each QR centred on white), the format
// chromium's --use-file-for-fake-video-capture plays as a camera.
//
// The page samples the camera whenever the coordinator has answered its last
// frame, so on a loaded machine it samples at an interval set by the decode
// time. A video that repeats the kiosk's short loop can alias with that
// interval and show the page the same one or two frames for minutes (a real
// camera's jitter breaks such a lock; a fake camera has none). So the video
// plays the loop once in order, then y4mRounds more times, each round in
// another order from a fixed seed: whatever the sampling interval, the frames
// the page catches are spread over the loop.
func framesToY4M(dir, out string) error {
	paths, err := filepath.Glob(filepath.Join(dir, "frame-*.png"))
	if err != nil || len(paths) == 0 {
		return fmt.Errorf("no frames in %s (%v)", dir, err)
	}
	const side = 720
	frames := make([][]byte, len(paths))
	for i, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		bd := img.Bounds()
		scale := max(1, (max(bd.Dx(), bd.Dy())+side-1)/side)
		w, h := bd.Dx()/scale, bd.Dy()/scale
		x0, y0 := (side-w)/2, (side-h)/2
		luma := make([]byte, 0, side*side)
		for y := 0; y < side; y++ {
			for x := 0; x < side; x++ {
				l := byte(235)
				if x >= x0 && x < x0+w && y >= y0 && y < y0+h {
					c := color.GrayModel.Convert(img.At(bd.Min.X+(x-x0)*scale, bd.Min.Y+(y-y0)*scale)).(color.Gray)
					l = 16 + byte(int(c.Y)*219/255)
				}
				luma = append(luma, l)
			}
		}
		frames[i] = luma
	}
	const y4mRounds = 12
	order := make([]int, len(frames))
	for i := range order {
		order[i] = i
	}
	rng := mrand.New(mrand.NewPCG(2026, 12))
	chroma := bytes.Repeat([]byte{128}, 2*(side/2)*(side/2)) // no colour
	var b bytes.Buffer
	fmt.Fprintf(&b, "YUV4MPEG2 W%d H%d F2:1 Ip A1:1 C420jpeg\n", side, side)
	for round := 0; round <= y4mRounds; round++ {
		if round > 0 {
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		for _, k := range order {
			b.WriteString("FRAME\n")
			b.Write(frames[k])
			b.Write(chroma)
		}
	}
	return os.WriteFile(out, b.Bytes(), 0o644)
}
