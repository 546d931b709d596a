package web

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/csv"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"

	"airsign/offline/hd"
	"airsign/online/chain"
	"airsign/online/coordinator"
	"airsign/online/regtest"
	"airsign/online/store"
	"airsign/psbt"
	"airsign/psbt/auditlog"
	"airsign/psbt/descriptor"
	"airsign/ui/qr"
)

// cheap argon2id parameters for tests: the code path is the same, the
// memory is not.
var testParams = PasswordParams{Time: 1, Memory: 64, Threads: 1}

type signer struct{ k ed25519.PrivateKey }

func (s signer) Sign(msg []byte) []byte       { return ed25519.Sign(s.k, msg) }
func (s signer) PublicKey() ed25519.PublicKey { return s.k.Public().(ed25519.PublicKey) }

type fixture struct {
	node  *regtest.Node
	c     *coordinator.Coordinator
	st    *store.Store
	audit *auditlog.Log
	h     *Handler
	srv   *httptest.Server
	now   time.Time
	mu    sync.Mutex
	logs  bytes.Buffer
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

var users = []struct {
	name string
	role store.Role
}{
	{"root", store.RoleAdmin},
	{"alice", store.RoleRequester},
	{"ann", store.RoleApprover},
	{"bert", store.RoleApprover},
	{"victor", store.RoleViewer},
}

// password of each test user: their name, repeated to the minimum length.
func password(name string) string { return strings.Repeat(name+"-", 12)[:16] }

// newFixture is the web UI over a real coordinator on a real btcd regtest
// node and a SQLite store, with an audit log, the users above with web
// passwords, and a funded single-sig wallet "treasury".
func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	node := regtest.Start(t, regtest.Options{})
	regtest.ActivateSegwitTaproot(t, node)
	client, err := chain.Dial(chain.Config{URL: node.RPCURL(), User: node.RPCUser(), Pass: node.RPCPass(), Params: regtest.Params})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "coordinator.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log, err := auditlog.Create(filepath.Join(dir, "audit.log"), "airsign coordinator test",
		signer{ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{node: node, st: st, audit: log, now: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	c, err := coordinator.New(coordinator.Config{Store: st, Node: client, Network: descriptor.Regtest, FallbackFeeRate: 2, Audit: log, Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	f.c = c
	ctx := context.Background()
	for _, u := range users {
		if _, err := st.AddUser(ctx, u.name, u.role, f.now); err != nil {
			t.Fatal(err)
		}
		hash, err := HashPassword([]byte(password(u.name)), testParams)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SetWebPassword(ctx, u.name, hash); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []string{"ann", "bert"} {
		if _, err := c.CreateApprovalKeyWith(ctx, u, []byte(password(u)+"-key"), coordinator.KeyOptions{KDF: coordinator.KDFParams{Time: 1, Memory: 64, Threads: 1}}); err != nil {
			t.Fatal(err)
		}
	}
	m, err := hd.MasterFromEntropy(bytes.Repeat([]byte{3}, 16), descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	d, err := m.Account(descriptor.P2WPKH, 0)
	m.Wipe()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddWallet(ctx, "treasury", d.String(), node.Height(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	a, err := c.Receive(ctx, "treasury")
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := btcutil.DecodeAddress(a.Address, regtest.Params)
	script, _ := txscript.PayToAddrScript(addr)
	node.Fund(t, script, 50_000_000)
	if _, err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	opts.Now = f.clock
	opts.Audit = log
	opts.DummyParams = testParams
	opts.Logf = func(format string, args ...any) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.logs.WriteString(strings.TrimSpace(strings.ReplaceAll(format, "%", "%%")) + "\n")
		_ = args
	}
	if f.h, err = New(c, st, opts); err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(f.h)
	t.Cleanup(f.srv.Close)
	return f
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t    *testing.T
	f    *fixture
	c    *http.Client
	csrf string
}

func (f *fixture) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, f: f, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// browserFrom is a browser whose connections come from another loopback
// address (Linux routes all of 127/8 to lo), as a second person's would.
func (f *fixture) browserFrom(t *testing.T, ip string) *browser {
	b := f.browser(t)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	b.c.Transport = &http.Transport{DialContext: d.DialContext}
	return b
}

type resp struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) resp {
	b.t.Helper()
	r, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer r.Body.Close()
	body, _ := io.ReadAll(r.Body)
	if m := csrfRE.FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return resp{r.StatusCode, r.Header, string(body)}
}

var csrfRE = regexp.MustCompile(`name="csrf-token" content="([^"]+)"`)
var preRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) get(path string) resp {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.f.srv.URL+path, nil)
	return b.do(req)
}

// post sends a form with the session's CSRF token unless form has one.
func (b *browser) post(path string, form url.Values) resp {
	b.t.Helper()
	copied := url.Values{}
	for k, v := range form {
		copied[k] = v
	}
	form = copied
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest("POST", b.f.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) login(name, pw string) resp {
	b.t.Helper()
	page := b.get("/login")
	m := preRE.FindStringSubmatch(page.body)
	if m == nil {
		b.t.Fatalf("login page has no csrf field:\n%s", page.body)
	}
	return b.post("/login", url.Values{"csrf": {m[1]}, "user": {name}, "password": {pw}})
}

func (b *browser) signIn(name string) {
	b.t.Helper()
	r := b.login(name, password(name))
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/wallets" {
		b.t.Fatalf("sign-in of %s: %d %s\n%s", name, r.status, r.header.Get("Location"), r.body)
	}
	b.get("/wallets") // picks up the CSRF token
	if b.csrf == "" {
		b.t.Fatal("no CSRF token after sign-in")
	}
}

func (f *fixture) auditKinds(t *testing.T) string {
	t.Helper()
	es, err := f.audit.Entries()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range es {
		b.WriteString(e.Kind + " " + string(e.Data) + "\n")
	}
	return b.String()
}

func TestSignInSessionsAndLockout(t *testing.T) {
	f := newFixture(t, Options{SessionIdle: 10 * time.Minute, SessionMax: time.Hour})
	b := f.browser(t)

	// Signed out: pages redirect to sign-in, scripts get 401.
	if r := b.get("/wallets"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
		t.Fatalf("GET /wallets signed out: %d %s", r.status, r.header.Get("Location"))
	}
	if r := b.get("/requests.json"); r.status != http.StatusUnauthorized {
		t.Fatalf("GET /requests.json signed out: %d", r.status)
	}

	// Cookie attributes.
	r := b.login("alice", password("alice"))
	cookie := r.header.Get("Set-Cookie")
	for _, want := range []string{"airsign_session=", "HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(strings.Join(r.header.Values("Set-Cookie"), "\n"), want) {
			t.Errorf("sign-in cookies %q lack %s", r.header.Values("Set-Cookie"), want)
		}
	}
	if strings.Contains(cookie, "Secure") {
		t.Errorf("cookie over plain http is Secure: %s", cookie)
	}
	if r := b.get("/wallets"); r.status != 200 || !strings.Contains(r.body, "treasury") {
		t.Fatalf("wallets after sign-in: %d", r.status)
	}
	// The database holds only the session id's hash.
	id := ""
	u, _ := url.Parse(f.srv.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == sessionCookie {
			id = c.Value
		}
	}
	if len(id) != 43 {
		t.Fatalf("session id %q: want 32 bytes base64url", id)
	}

	// Idle expiry, then sign-out.
	f.advance(11 * time.Minute)
	if r := b.get("/wallets"); r.status != http.StatusSeeOther {
		t.Fatalf("after 11 idle minutes: %d, want a redirect to sign-in", r.status)
	}
	b.signIn("alice")
	if r := b.post("/logout", nil); r.status != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", r.status)
	}
	if r := b.get("/wallets"); r.status != http.StatusSeeOther {
		t.Fatalf("after sign-out: %d", r.status)
	}
	// A page polling by itself keeps a viewer's wall screen signed in, not
	// a requester's unattended page.
	b.signIn("alice")
	wall := f.browser(t)
	wall.signIn("victor")
	f.advance(6 * time.Minute)
	for _, p := range []*browser{b, wall} {
		if r := p.get("/requests.json"); r.status != http.StatusOK {
			t.Fatalf("poll after 6 minutes: %d", r.status)
		}
	}
	f.advance(6 * time.Minute)
	if r := b.get("/requests.json"); r.status != http.StatusUnauthorized {
		t.Fatalf("a requester's page that only polled for 12 minutes (idle 10) is still signed in: %d", r.status)
	}
	if r := wall.get("/wallets"); r.status != http.StatusOK {
		t.Fatalf("a viewer's polling wall screen was signed out: %d", r.status)
	}
	// Absolute expiry whatever the activity.
	b.signIn("alice")
	for i := 0; i < 7; i++ {
		f.advance(9 * time.Minute)
		if r := b.get("/wallets"); r.status != 200 && i < 6 {
			t.Fatalf("active session refused after %d minutes: %d", 9*(i+1), r.status)
		}
	}
	if r := b.get("/wallets"); r.status != http.StatusSeeOther {
		t.Fatalf("session past its one-hour limit: %d", r.status)
	}

	// Lockout: 5 wrong passwords lock for 15 minutes, even the right one.
	mallory := f.browser(t)
	for i := 1; i <= 5; i++ {
		r := mallory.login("ann", "wrong password!")
		if r.status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i, r.status)
		}
		if i == 5 && !strings.Contains(r.body, "locked until") {
			t.Fatalf("5th wrong password does not say the account is locked:\n%s", r.body)
		}
	}
	if r := mallory.login("ann", password("ann")); r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "locked until") {
		t.Fatalf("right password while locked: %d", r.status)
	}
	// The lock is mallory's address's: ann, elsewhere, signs in. A
	// stranger who knows a name can no longer keep its user out.
	f.browserFrom(t, "127.0.0.2").signIn("ann")
	if r := mallory.login("ann", password("ann")); r.status != http.StatusTooManyRequests {
		t.Fatalf("mallory's address after ann signed in elsewhere: %d, want still locked", r.status)
	}
	// Guessing from many addresses: 10 times the per-address limit, in a
	// row, locks the user everywhere.
	for i := 0; i < 50; i++ {
		f.browserFrom(t, fmt.Sprintf("127.0.1.%d", 1+i/4)).login("ann", "wrong password!")
	}
	if r := f.browserFrom(t, "127.0.0.3").login("ann", password("ann")); r.status != http.StatusTooManyRequests {
		t.Fatalf("after 50 wrong passwords from 13 addresses: %d, want locked everywhere", r.status)
	}
	f.advance(16 * time.Minute)
	f.browser(t).signIn("ann")

	// Unknown users and wrong passwords get the same answer.
	r1, r2 := f.browser(t).login("nobody", "whatever password"), f.browser(t).login("victor", "whatever password")
	if r1.status != r2.status || !strings.Contains(r1.body, wrongCredentials[:20]) || !strings.Contains(r2.body, wrongCredentials[:20]) {
		t.Fatalf("unknown user: %d, wrong password: %d; want the same answer", r1.status, r2.status)
	}
	// A sign-in form without its pre-session token is refused.
	if r := f.browser(t).post("/login", url.Values{"csrf": {"forged"}, "user": {"alice"}, "password": {password("alice")}}); r.status != http.StatusForbidden {
		t.Fatalf("sign-in without the form's token: %d", r.status)
	}
	// An offsite redirect after sign-in is ignored.
	for _, c := range []struct{ next, want string }{
		{"//evil.example/x", "/wallets"},
		{"/\t/evil.example", "/wallets"}, // browsers drop the tab: //evil.example
		{"/\\evil.example", "/wallets"},
		{"/\r\nSet-Cookie: x", "/wallets"},
		{"/x\x7f", "/wallets"},
		{"https://evil.example/", "/wallets"},
		{"evil.example", "/wallets"},
		{"", "/wallets"},
		{"/requests/wd-0123?done=1", "/requests/wd-0123?done=1"},
	} {
		if got := safeNext(c.next); got != c.want {
			t.Errorf("safeNext(%q) = %q; want %q", c.next, got, c.want)
		}
	}

	log := f.auditKinds(t)
	for _, want := range []string{`web-signin {"remote":"127.0.0.1","result":"done","role":"requester","user":"alice"}`,
		"web-signout", "web-lockout", `"reason":"locked"`, `"reason":"no such user","remote":"127.0.0.1","result":"refused","user":"(unknown)"`} {
		if !strings.Contains(log, want) {
			t.Errorf("audit log lacks %s:\n%s", want, log)
		}
	}
	// What was typed as an unknown name (perhaps a password) is not kept.
	if strings.Contains(log, "nobody") {
		t.Error("the audit log holds a name that is no user's")
	}
	if strings.Contains(log, password("alice")) || strings.Contains(log, "wrong password!") || strings.Contains(log, id) {
		t.Error("the audit log holds a password or session id")
	}
	f.mu.Lock()
	logs := f.logs.String()
	f.mu.Unlock()
	if strings.Contains(logs, "wrong password!") || strings.Contains(logs, id) {
		t.Error("the request log holds a password or session id")
	}
}

func TestCSRFAndRoles(t *testing.T) {
	f := newFixture(t, Options{})
	vic, alice, ann := f.browser(t), f.browser(t), f.browser(t)
	vic.signIn("victor")
	alice.signIn("alice")
	ann.signIn("ann")
	to := "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
	form := url.Values{"wallet": {"treasury"}, "to": {to}, "amount": {"0.1"}, "unit": {"btc"}, "action": {"create"}}

	// A viewer can look but not ask.
	if r := vic.get("/withdraw"); r.status != http.StatusForbidden || !strings.Contains(r.body, "viewer role") {
		t.Fatalf("viewer GET /withdraw: %d", r.status)
	}
	if r := vic.post("/withdraw", form); r.status != http.StatusForbidden {
		t.Fatalf("viewer POST /withdraw: %d", r.status)
	}
	if r := vic.get("/wallets/treasury"); r.status != 200 || strings.Contains(r.body, `id="new-address"`) {
		t.Fatalf("viewer wallet page: %d, or it offers a new address", r.status)
	}
	// No CSRF token, a wrong one, or a cross-site origin: refused.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("csrf", "")
	if r := alice.post("/withdraw", bad); r.status != http.StatusForbidden || !strings.Contains(r.body, "security token") {
		t.Fatalf("POST without CSRF token: %d", r.status)
	}
	bad.Set("csrf", ann.csrf) // another session's token
	if r := alice.post("/withdraw", bad); r.status != http.StatusForbidden {
		t.Fatalf("POST with another session's token: %d", r.status)
	}
	// A multipart body skips the token check only on the upload route:
	// anywhere else it is refused like any form without a token.
	var mp strings.Builder
	mw := multipart.NewWriter(&mp)
	for k, v := range form {
		mw.WriteField(k, v[0])
	}
	mw.Close()
	req, _ := http.NewRequest("POST", f.srv.URL+"/withdraw", strings.NewReader(mp.String()))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if r := alice.do(req); r.status != http.StatusForbidden || !strings.Contains(r.body, "security token") {
		t.Fatalf("multipart POST without a token: %d", r.status)
	}
	req, _ = http.NewRequest("POST", f.srv.URL+"/withdraw", strings.NewReader(url.Values{"csrf": {alice.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if r := alice.do(req); r.status != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d", r.status)
	}

	// The preview reserves nothing; create does.
	pv := url.Values{"wallet": {"treasury"}, "to": {to}, "amount": {"10000000"}, "unit": {"sat"}, "feerate": {"3"}, "action": {"preview"}}
	r := alice.post("/withdraw", pv)
	if r.status != 200 || !strings.Contains(r.body, `id="preview-result"`) || !strings.Contains(r.body, "0.10000000") {
		t.Fatalf("preview: %d\n%s", r.status, r.body)
	}
	if b, _ := f.c.Balance(context.Background(), "treasury"); b.Reserved != 0 {
		t.Fatalf("a preview reserved %v", b.Reserved)
	}
	r = alice.post("/withdraw", form)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/requests/wd-") {
		t.Fatalf("create: %d %s\n%s", r.status, r.header.Get("Location"), r.body)
	}
	reqPath := strings.TrimSuffix(r.header.Get("Location"), "?done=created")
	// Hostile amounts and addresses are refused with what to do.
	for _, c := range []struct{ amount, unit, to, want string }{
		{"1e3", "btc", to, "write it like 0.015"},
		{"0.000000001", "btc", to, "BTC has 8"},
		{"12abc", "sat", to, "digits only"},
		{"0.1", "btc", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "not a regtest address"},
	} {
		r := alice.post("/withdraw", url.Values{"wallet": {"treasury"}, "to": {c.to}, "amount": {c.amount}, "unit": {c.unit}, "action": {"preview"}})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, c.want) {
			t.Errorf("amount %q to %s: %d, want 400 with %q", c.amount, c.to, r.status, c.want)
		}
	}

	// Four eyes and roles on approval; alice cannot approve or reject.
	if r := alice.post(reqPath+"/approve", url.Values{"password": {"x"}, "expires": {"24h"}}); r.status != http.StatusForbidden || !strings.Contains(r.body, "requester role") {
		t.Fatalf("requester approving: %d", r.status)
	}
	if r := vic.post(reqPath+"/cancel", nil); r.status != http.StatusForbidden {
		t.Fatalf("viewer cancelling: %d", r.status)
	}
	if r := ann.post(reqPath+"/cancel", nil); r.status != http.StatusForbidden || !strings.Contains(r.body, "reject it instead") {
		t.Fatalf("approver cancelling another's request: %d", r.status)
	}
	if r := ann.post(reqPath+"/approve", url.Values{"password": {"wrong"}, "expires": {"24h"}}); r.status != http.StatusForbidden || !strings.Contains(r.body, "does not open") {
		t.Fatalf("wrong approval password: %d\n%s", r.status, r.body)
	}
	if r := ann.post(reqPath+"/approve", url.Values{"password": {password("ann") + "-key"}, "expires": {"24h"}}); r.status != http.StatusSeeOther {
		t.Fatalf("approve: %d\n%s", r.status, r.body)
	}
	if r := ann.get(reqPath); !strings.Contains(r.body, "<strong>ann</strong>") {
		t.Fatalf("request page does not list ann's approval")
	}
	// The QR frames are served and the status poll answers.
	if r := vic.get(reqPath + "/frames/1.png"); r.status != 200 || r.header.Get("Content-Type") != "image/png" {
		t.Fatalf("frame 1: %d %s", r.status, r.header.Get("Content-Type"))
	}
	if r := vic.get(reqPath + "/frames/999.png"); r.status != 404 {
		t.Fatalf("frame 999: %d", r.status)
	}
	if r := vic.get(reqPath + "/status.json"); r.status != 200 || !strings.Contains(r.body, `"state":"pending"`) {
		t.Fatalf("status: %d %s", r.status, r.body)
	}
	// A viewer may not upload; the upload cap holds.
	if r := vic.post(reqPath+"/scan", nil); r.status != http.StatusForbidden {
		t.Fatalf("viewer scan: %d", r.status)
	}
	// Reject by another approver cancels.
	bert := f.browser(t)
	bert.signIn("bert")
	if r := bert.post(reqPath+"/reject", url.Values{"reason": {"unknown payee"}}); r.status != http.StatusSeeOther {
		t.Fatalf("reject: %d\n%s", r.status, r.body)
	}
	if wd, _ := f.c.Get(context.Background(), strings.TrimPrefix(reqPath, "/requests/")); wd.State != "cancelled" {
		t.Fatalf("after reject: %s", wd.State)
	}
	log := f.auditKinds(t)
	for _, want := range []string{`"reason":"role"`, `"reason":"csrf"`, "web-reject", "unknown payee", `approve {"expires_in":"24h0m0s","reason":"the password does not open`} {
		if !strings.Contains(log, want) {
			t.Errorf("audit log lacks %s", want)
		}
	}
}

func TestHeadersAndAssets(t *testing.T) {
	f := newFixture(t, Options{})
	b := f.browser(t)
	for _, path := range []string{"/login", "/static/app.js", "/static/app.css", "/nothing"} {
		r := b.get(path)
		csp := r.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
			if r.header.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", path, k, r.header.Get(k), v)
			}
		}
	}
	// No inline script or style anywhere.
	b.signIn("root")
	for _, path := range []string{"/wallets", "/wallets/treasury", "/withdraw", "/requests", "/audit"} {
		r := b.get(path)
		if r.status != 200 {
			t.Errorf("%s: %d", path, r.status)
		}
		if regexp.MustCompile(`<script>|<script [^>]*>[^<]|<style|\sstyle="|\son[a-z]+="|javascript:`).MatchString(r.body) {
			t.Errorf("%s has inline script or style", path)
		}
	}
	if r := b.get("/audit/export"); r.status != 200 || !strings.Contains(r.body, "checkpoint") {
		t.Errorf("audit export: %d", r.status)
	}
}

func TestUploadCap(t *testing.T) {
	f := newFixture(t, Options{MaxUpload: 1 << 20})
	alice := f.browser(t)
	alice.signIn("alice")
	r := alice.post("/withdraw", url.Values{"wallet": {"treasury"}, "to": {"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"},
		"amount": {"0.01"}, "unit": {"btc"}, "action": {"create"}})
	reqPath := strings.TrimSuffix(r.header.Get("Location"), "?done=created")

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", alice.csrf)
	fw, _ := mw.CreateFormFile("frames", "big.png")
	fw.Write(bytes.Repeat([]byte{0}, 2<<20))
	mw.Close()
	req, _ := http.NewRequest("POST", f.srv.URL+reqPath+"/upload", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if r := alice.do(req); r.status != http.StatusBadRequest || !strings.Contains(r.body, "over 1 MiB") {
		t.Fatalf("2 MiB upload under a 1 MiB cap: %d\n%s", r.status, r.body)
	}
	// Scan: one frame over its cap, then garbage, then a readable QR that
	// is not a PSBT transfer.
	req, _ = http.NewRequest("POST", f.srv.URL+reqPath+"/scan", bytes.NewReader(make([]byte, maxScanBytes+1)))
	req.Header.Set("X-CSRF-Token", alice.csrf)
	if r := alice.do(req); r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized scan frame: %d", r.status)
	}
	req, _ = http.NewRequest("POST", f.srv.URL+reqPath+"/scan", strings.NewReader("not an image"))
	req.Header.Set("X-CSRF-Token", alice.csrf)
	if r := alice.do(req); r.status != 200 || !strings.Contains(r.body, `"progress":0`) {
		t.Fatalf("garbage scan frame: %d %s", r.status, r.body)
	}
	// The upload without its CSRF field first is refused.
	body.Reset()
	mw = multipart.NewWriter(&body)
	fw, _ = mw.CreateFormFile("frames", "a.png")
	fw.Write([]byte("x"))
	mw.Close()
	req, _ = http.NewRequest("POST", f.srv.URL+reqPath+"/upload", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if r := alice.do(req); r.status != http.StatusForbidden {
		t.Fatalf("upload without CSRF: %d", r.status)
	}
}

func TestKDFSemaphore(t *testing.T) {
	k := newKDF(1)
	hash, err := HashPassword([]byte("a long enough password"), testParams)
	if err != nil {
		t.Fatal(err)
	}
	k.slots <- struct{}{} // the only slot is taken
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := k.verify(ctx, hash, []byte("a long enough password")); err != errBusy {
		t.Fatalf("verify with no free slot: %v, want errBusy", err)
	}
	<-k.slots
	if ok, err := k.verify(context.Background(), hash, []byte("a long enough password")); !ok || err != nil {
		t.Fatalf("verify: %v, %v", ok, err)
	}
	if ok, _ := k.verify(context.Background(), hash, []byte("another password")); ok {
		t.Fatal("a wrong password verified")
	}
}

// TestSecureCookie: over TLS, or with SecureCookies behind a TLS proxy,
// the session cookie is Secure and __Host- prefixed; over plain http it
// cannot be (browsers drop Secure cookies from http origins).
func TestSecureCookie(t *testing.T) {
	for _, c := range []struct {
		secure bool
		tls    bool
		want   string
	}{
		{false, false, "airsign_session=x; Path=/; Max-Age=60; HttpOnly; SameSite=Strict"},
		{true, false, "__Host-airsign_session=x; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Strict"},
		{false, true, "__Host-airsign_session=x; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Strict"},
	} {
		h := &Handler{opts: Options{SecureCookies: c.secure}}
		r := httptest.NewRequest("GET", "/", nil)
		if c.tls {
			r = httptest.NewRequest("GET", "https://coordinator/", nil)
		}
		w := httptest.NewRecorder()
		h.setCookie(w, r, h.cookieName(r), "x", 60)
		if got := w.Header().Get("Set-Cookie"); got != c.want {
			t.Errorf("SecureCookies=%v TLS=%v: Set-Cookie %q, want %q", c.secure, c.tls, got, c.want)
		}
	}
}

// Two tabs (or the camera and an upload) feeding the same transfer at
// once must not race on its decoder, nor finalize it twice. Run with
// -race (make test does, for the tests named TestConcurrent).
func TestConcurrentScans(t *testing.T) {
	f, alice, reqPath := newRequestPage(t)
	var frames [][]byte
	for i := 1; ; i++ {
		fr := alice.get(fmt.Sprintf("%s/frames/%d.png", reqPath, i))
		if fr.status != http.StatusOK {
			break
		}
		frames = append(frames, []byte(fr.body))
	}
	if len(frames) < 2 {
		t.Fatalf("%d frames", len(frames))
	}
	var wg sync.WaitGroup
	statuses := make(chan int, 4*len(frames))
	for range 4 {
		for _, fr := range frames {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("POST", f.srv.URL+reqPath+"/scan", bytes.NewReader(fr))
				req.Header.Set("Content-Type", "image/png")
				req.Header.Set("X-CSRF-Token", alice.csrf)
				resp, err := alice.c.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				statuses <- resp.StatusCode
			}()
		}
	}
	wg.Wait()
	close(statuses)
	for st := range statuses {
		// 200: progress; 422: complete, but the unsigned PSBT does not
		// finalize; 409: completed meanwhile by another request; 429:
		// alice's previous image was still being read.
		if st != http.StatusOK && st != http.StatusUnprocessableEntity && st != http.StatusConflict && st != http.StatusTooManyRequests {
			t.Errorf("a concurrent scan answered %d", st)
		}
	}
}

// One user's images are decoded one at a time, so one requester uploading
// slow images cannot hold every decoding slot: while alice's turn is
// taken her next image is refused with a sentence, and another user's
// image is read.
func TestDecodingIsPerUser(t *testing.T) {
	f := newFixture(t, Options{})
	alice, ann := f.browser(t), f.browser(t)
	alice.signIn("alice")
	ann.signIn("ann")
	form := url.Values{"wallet": {"treasury"}, "to": {"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"}, "amount": {"0.1"}, "unit": {"btc"}, "action": {"create"}}
	r := alice.post("/withdraw", form)
	if r.status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", r.status, r.body)
	}
	reqPath := strings.TrimSuffix(r.header.Get("Location"), "?done=created")
	frame := alice.get(reqPath + "/frames/1.png")
	if frame.status != http.StatusOK {
		t.Fatalf("frame: %d", frame.status)
	}
	scan := func(b *browser) int {
		req, _ := http.NewRequest("POST", f.srv.URL+reqPath+"/scan", strings.NewReader(frame.body))
		req.Header.Set("Content-Type", "image/png")
		req.Header.Set("X-CSRF-Token", b.csrf)
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if !f.h.startDecoding("alice") {
		t.Fatal("alice's turn was taken")
	}
	if got := scan(alice); got != http.StatusTooManyRequests {
		t.Errorf("alice's second image while her first is read: %d, want 429", got)
	}
	if got := scan(ann); got != http.StatusOK {
		t.Errorf("ann's image while alice's is read: %d, want 200", got)
	}
	f.h.doneDecoding("alice")
	if got := scan(alice); got != http.StatusOK {
		t.Errorf("alice's image after hers was read: %d, want 200", got)
	}
}

// A 2-of-3 multisig request signed by two kiosks one after the other: the
// first kiosk's frames come back, its signatures are kept and the page says
// so; the QR now carries them; the second kiosk signs that, and its frames
// complete and broadcast the transaction.
func TestMultisigCosignersOneAfterAnother(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	var masters []*hd.Master
	var keys []descriptor.Key
	for i := range 3 {
		m, err := hd.MasterFromEntropy(bytes.Repeat([]byte{byte(40 + i)}, 16), descriptor.Regtest)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.Wipe)
		origin, key, err := m.CosignerKey(0)
		if err != nil {
			t.Fatal(err)
		}
		masters = append(masters, m)
		keys = append(keys, descriptor.Key{Origin: origin, Key: key})
	}
	d := &descriptor.Descriptor{Script: descriptor.P2WSHMulti, Network: descriptor.Regtest, Threshold: 2, Keys: keys}
	if _, err := f.c.AddWallet(ctx, "vault", d.String(), f.node.Height(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	a, err := f.c.Receive(ctx, "vault")
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := btcutil.DecodeAddress(a.Address, regtest.Params)
	script, _ := txscript.PayToAddrScript(addr)
	f.node.Fund(t, script, 20_000_000)
	if _, err := f.c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	alice := f.browser(t)
	alice.signIn("alice")
	r := alice.post("/withdraw", url.Values{"wallet": {"vault"}, "to": {"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"},
		"amount": {"0.05"}, "unit": {"btc"}, "action": {"create"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", r.status, r.body)
	}
	reqPath := strings.TrimSuffix(r.header.Get("Location"), "?done=created")
	id := strings.TrimPrefix(reqPath, "/requests/")

	// kiosk signs what the page shows (read back from its frames) and
	// returns its signed PSBT's frames, which are scanned in.
	kiosk := func(m *hd.Master) {
		t.Helper()
		var dec = qr.NewDecoder()
		for i := 1; ; i++ {
			fr := alice.get(fmt.Sprintf("%s/frames/%d.png", reqPath, i))
			if fr.status != http.StatusOK {
				break
			}
			text, err := qr.DecodeFile([]byte(fr.body))
			if err != nil {
				t.Fatal(err)
			}
			if done, err := dec.Add(string(text)); err != nil || done {
				break
			}
		}
		shown, err := dec.Result()
		if err != nil {
			t.Fatalf("reading the page's QR: %v", err)
		}
		p, err := psbt.Decode(shown.Data)
		if err != nil {
			t.Fatal(err)
		}
		pol := psbt.DefaultPolicy
		pol.Cosigner = m.Fingerprint()
		if _, err := psbt.Sign(p, d, pol, m); err != nil {
			t.Fatalf("signing: %v", err)
		}
		signed, err := psbt.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		parts, err := qr.EncodePSBT(signed, qr.EncodeOptions{Format: qr.FormatUR})
		if err != nil {
			t.Fatal(err)
		}
		pngs, err := qr.FramePNGs(parts, qr.ImageOptions{Level: qr.Low, ModulePixels: 4})
		if err != nil {
			t.Fatal(err)
		}
		for _, png := range pngs {
			req, _ := http.NewRequest("POST", f.srv.URL+reqPath+"/scan", bytes.NewReader(png))
			req.Header.Set("Content-Type", "image/png")
			req.Header.Set("X-CSRF-Token", alice.csrf)
			if r = alice.do(req); strings.Contains(r.body, `"done":true`) {
				return
			}
		}
		t.Fatalf("the signed frames did not complete a transfer: %s", r.body)
	}
	before := alice.get(reqPath + "/status.json").body
	kiosk(masters[0])
	if !strings.Contains(r.body, "kept in the request") {
		t.Fatalf("after the first cosigner: %d %s", r.status, r.body)
	}
	if after := alice.get(reqPath + "/status.json").body; after == before {
		t.Error("the status version did not change when a cosigner's signatures were kept: open pages would show the old QR")
	}
	if page := alice.get(reqPath); !strings.Contains(page.body, "1 signature(s) of a cosigner kept") {
		t.Errorf("the request page does not say a cosigner's signature is kept")
	}
	kiosk(masters[2])
	if !strings.Contains(r.body, `"redirect":"/requests/`+id) {
		t.Fatalf("after the second cosigner: %d %s", r.status, r.body)
	}
	if wd, err := f.c.Get(ctx, id); err != nil || wd.State != "broadcast" {
		t.Fatalf("request %s is %v, %v; want broadcast", id, wd.State, err)
	}
}

// Cancel and revoke from the request page: a revocation request for the
// kiosk to sign, and the old request shows "cancelling".
func TestRevokeFromThePage(t *testing.T) {
	f := newFixture(t, Options{})
	alice := f.browser(t)
	alice.signIn("alice")
	form := url.Values{"wallet": {"treasury"}, "to": {"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"}, "amount": {"0.1"}, "unit": {"btc"}, "action": {"create"}}
	r := alice.post("/withdraw", form)
	if r.status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", r.status, r.body)
	}
	reqPath := strings.TrimSuffix(r.header.Get("Location"), "?done=created")
	if page := alice.get(reqPath); !strings.Contains(page.body, `id="revoke"`) {
		t.Fatalf("the pending request's page offers no revoke:\n%s", page.body)
	}
	r = alice.post(reqPath+"/cancel", url.Values{"revoke": {"1"}, "reason": {"the QR was shown to the wrong kiosk"}})
	if r.status != http.StatusSeeOther || !strings.HasSuffix(r.header.Get("Location"), "?done=revocation") {
		t.Fatalf("revoke: %d %s\n%s", r.status, r.header.Get("Location"), r.body)
	}
	oldID := path.Base(reqPath)
	if page := alice.get(r.header.Get("Location")); !strings.Contains(page.body, "Revocation created") || !strings.Contains(page.body, `id="revokes"`) {
		t.Fatalf("the revocation's page does not say what it revokes:\n%s", page.body)
	}
	if page := alice.get(reqPath); !strings.Contains(page.body, `state-cancelling`) {
		t.Fatalf("the revoked request's page does not say cancelling:\n%s", page.body)
	}
	// The list names the revocation for what it is, not as a payment to
	// the wallet's own change address.
	if page := alice.get("/requests"); !strings.Contains(page.body, `revocation of <a href="/requests/`+oldID+`">`) {
		t.Fatalf("the request list does not name the revocation of %s:\n%s", oldID, page.body)
	}
}

// The receive address is offered as a BIP21 payment request in an
// all-upper-case QR code (alphanumeric mode), with a copy button.
func TestReceiveOffersBIP21AndCopy(t *testing.T) {
	f := newFixture(t, Options{})
	alice := f.browser(t)
	alice.signIn("alice")
	r := alice.post("/wallets/treasury/receive", url.Values{})
	if r.status != http.StatusSeeOther && r.status != http.StatusOK {
		t.Fatalf("receive: %d\n%s", r.status, r.body)
	}
	page := r
	if r.status == http.StatusSeeOther {
		page = alice.get(r.header.Get("Location"))
	}
	m := regexp.MustCompile(`id="receive-address">(bcrt1[0-9a-z]+)<`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no receive address on the page:\n%s", page.body)
	}
	addr := m[1]
	if !strings.Contains(page.body, `src="/qr.png?text=bitcoin:`+addr+`"`) || !strings.Contains(page.body, `id="copy-address" data-copy="`+addr+`"`) {
		t.Fatalf("the page offers no BIP21 QR or copy button for %s:\n%s", addr, page.body)
	}
	png := alice.get("/qr.png?text=bitcoin:" + addr)
	text, err := qr.DecodeFile([]byte(png.body))
	if err != nil || string(text) != "BITCOIN:"+strings.ToUpper(addr) {
		t.Fatalf("the QR decodes to %q, %v; want BITCOIN:%s", text, err, strings.ToUpper(addr))
	}
	// A request with parameters keeps its case (the parameters' values
	// are case-sensitive).
	png = alice.get("/qr.png?text=" + url.QueryEscape("bitcoin:"+addr+"?label=Ops"))
	if text, err := qr.DecodeFile([]byte(png.body)); err != nil || string(text) != "bitcoin:"+addr+"?label=Ops" {
		t.Fatalf("a request with parameters decodes to %q, %v", text, err)
	}
}

// A fee bump from the request page: a replacement at the new rate, shown
// with what to do; a rate that is no higher is refused with the
// coordinator's reason, and a viewer is offered no form.
func TestBumpFromThePage(t *testing.T) {
	f := newFixture(t, Options{})
	alice := f.browser(t)
	alice.signIn("alice")
	form := url.Values{"wallet": {"treasury"}, "to": {"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"}, "amount": {"0.1"}, "unit": {"btc"}, "feerate": {"2"}, "action": {"create"}}
	r := alice.post("/withdraw", form)
	if r.status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", r.status, r.body)
	}
	reqPath := strings.TrimSuffix(r.header.Get("Location"), "?done=created")
	if page := alice.get(reqPath); !strings.Contains(page.body, `id="bump-form"`) {
		t.Fatalf("the pending request's page offers no fee bump:\n%s", page.body)
	}
	if r := alice.post(reqPath+"/bump", url.Values{"feerate": {"abc"}}); r.status != http.StatusBadRequest || !strings.Contains(r.body, "Fee rate:") {
		t.Fatalf("a bad rate: %d\n%s", r.status, r.body)
	}
	if r := alice.post(reqPath+"/bump", url.Values{"feerate": {"1"}}); r.status < 400 {
		t.Fatalf("a lower rate was accepted: %d %s", r.status, r.header.Get("Location"))
	}
	r = alice.post(reqPath+"/bump", url.Values{"feerate": {"6"}})
	if r.status != http.StatusSeeOther || !strings.HasSuffix(r.header.Get("Location"), "?done=bumped") {
		t.Fatalf("bump: %d %s\n%s", r.status, r.header.Get("Location"), r.body)
	}
	page := alice.get(r.header.Get("Location"))
	if !strings.Contains(page.body, "Fee bumped") || !strings.Contains(page.body, "6 sat/vB") || !strings.Contains(page.body, path.Base(reqPath)) {
		t.Fatalf("the replacement's page:\n%s", page.body)
	}
	if old := alice.get(reqPath); !strings.Contains(old.body, "state-replaced") || strings.Contains(old.body, `id="bump-form"`) {
		t.Fatalf("the replaced request still offers a bump or is not replaced:\n%s", old.body)
	}
	victor := f.browser(t)
	victor.signIn("victor")
	if page := victor.get(r.header.Get("Location")); strings.Contains(page.body, `id="bump-form"`) {
		t.Fatal("a viewer is offered a fee bump")
	}
}

// The books: every request and a wallet's history as CSV, amounts in
// satoshis, cells that would start a spreadsheet formula defused.
func TestCSVExports(t *testing.T) {
	f := newFixture(t, Options{})
	alice := f.browser(t)
	alice.signIn("alice")
	form := url.Values{"wallet": {"treasury"}, "to": {"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"}, "amount": {"0.1"}, "unit": {"btc"}, "action": {"create"}}
	if r := alice.post("/withdraw", form); r.status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", r.status, r.body)
	}
	if page := alice.get("/requests"); !strings.Contains(page.body, `href="/requests.csv"`) {
		t.Fatal("the requests page links no CSV")
	}
	r := alice.get("/requests.csv")
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("requests.csv: %d %s", r.status, r.header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil || len(rows) != 2 || rows[0][0] != "id" || rows[1][2] != "treasury" || rows[1][6] != "10000000" || rows[1][7] != "0.10000000" {
		t.Fatalf("requests.csv = %q, %v", rows, err)
	}
	r = alice.get("/wallets/treasury/history.csv")
	rows, err = csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil || len(rows) < 2 || rows[0][0] != "txid" || rows[1][2] == "0" && rows[1][3] == "0" {
		t.Fatalf("history.csv = %q, %v", rows, err)
	}
	if got := csvSafe("=HYPERLINK(\"x\")"); got != "'=HYPERLINK(\"x\")" {
		t.Errorf("csvSafe of a formula = %q", got)
	}
	if r := f.browser(t).get("/requests.csv"); r.status == http.StatusOK && strings.Contains(r.body, "treasury") {
		t.Fatal("requests.csv without a session")
	}
}

// The requests page filters by state and wallet and searches ids,
// destinations and people; the live poll follows the same filter.
func TestRequestFilters(t *testing.T) {
	f := newFixture(t, Options{})
	alice := f.browser(t)
	alice.signIn("alice")
	var ids []string
	for _, amount := range []string{"0.1", "0.05"} {
		form := url.Values{"wallet": {"treasury"}, "to": {"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"}, "amount": {amount}, "unit": {"btc"}, "action": {"create"}}
		r := alice.post("/withdraw", form)
		if r.status != http.StatusSeeOther {
			t.Fatalf("create: %d\n%s", r.status, r.body)
		}
		ids = append(ids, path.Base(strings.TrimSuffix(r.header.Get("Location"), "?done=created")))
		if len(ids) == 1 { // the first is cancelled, which frees its coins
			if r := alice.post("/requests/"+ids[0]+"/cancel", url.Values{"reason": {"test"}}); r.status != http.StatusSeeOther {
				t.Fatalf("cancel: %d\n%s", r.status, r.body)
			}
		}
	}
	for _, tc := range []struct {
		query     string
		want, not []string
	}{
		{"", ids, nil},
		{"state=cancelled", ids[:1], ids[1:]},
		{"state=pending", ids[1:], ids[:1]},
		{"q=" + ids[1][3:9], ids[1:], ids[:1]},
		{"q=ALICE", ids, nil},
		{"wallet=nope", nil, ids},
	} {
		page := alice.get("/requests?" + tc.query)
		for _, id := range tc.want {
			if !strings.Contains(page.body, `href="/requests/`+id+`"`) {
				t.Errorf("?%s does not list %s", tc.query, id)
			}
		}
		for _, id := range tc.not {
			if strings.Contains(page.body, `href="/requests/`+id+`"`) {
				t.Errorf("?%s lists %s", tc.query, id)
			}
		}
		if tc.query != "" && len(tc.want) > 0 && !strings.Contains(page.body, `data-poll="/requests.json?`) {
			t.Errorf("?%s: the poll does not follow the filter", tc.query)
		}
		if len(tc.want) == 0 && !strings.Contains(page.body, `id="no-match"`) {
			t.Errorf("?%s: no 'no request matches'", tc.query)
		}
	}
}
