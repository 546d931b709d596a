package jsonapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
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
	"airsign/psbt/descriptor"
)

// fixture is the API over a real coordinator, store and btcd regtest node.
type fixture struct {
	node    *regtest.Node
	c       *coordinator.Coordinator
	st      *store.Store
	handler http.Handler
	srv     *httptest.Server
	tokens  map[string]string // user name → token
	log     *logBuffer
}

// The users every fixture has.
var users = []struct {
	name string
	role store.Role
}{
	{"root", store.RoleAdmin},
	{"alice", store.RoleRequester},
	{"bob", store.RoleRequester},
	{"ann", store.RoleApprover},
	{"victor", store.RoleViewer},
	{"dave", store.RoleRequester}, // disabled
}

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// logBuffer collects the handler's log lines, to check what it logs.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuffer) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// newFixture starts a regtest node with segwit and taproot active, a
// coordinator on a fresh SQLite file, the users above and an httptest
// server over the API.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	node := regtest.Start(t, regtest.Options{})
	regtest.ActivateSegwitTaproot(t, node)
	client, err := chain.Dial(chain.Config{URL: node.RPCURL(), User: node.RPCUser(), Pass: node.RPCPass(),
		Params: regtest.Params})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	st, err := store.Open(filepath.Join(t.TempDir(), "coordinator.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c, err := coordinator.New(coordinator.Config{Store: st, Node: client, Network: descriptor.Regtest, FallbackFeeRate: 2})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{node: node, c: c, st: st, tokens: map[string]string{}, log: &logBuffer{}}
	ctx := context.Background()
	for _, u := range users {
		tok, err := st.AddUser(ctx, u.name, u.role, t0)
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[u.name] = tok
	}
	if err := st.DisableUser(ctx, "dave"); err != nil {
		t.Fatal(err)
	}
	f.handler = New(c, st, Options{Logf: f.log.logf})
	f.srv = httptest.NewServer(f.handler)
	t.Cleanup(f.srv.Close)
	return f
}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// decode unmarshals the body into v.
func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("response %d %s: %v", r.status, r.body, err)
	}
}

// code is the error code of an error response.
func (r response) code(t testing.TB) string {
	t.Helper()
	var e errorBody
	r.decode(t, &e)
	if e.Error == "" {
		t.Fatalf("error response %d without a message: %s", r.status, r.body)
	}
	return e.Code
}

// raw sends a request with body as it is and the given Content-Type.
func (f *fixture) raw(t testing.TB, method, path, user, contentType string, body []byte) response {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[user])
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	checkSecurityHeaders(t, method+" "+path, resp.Header)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// call sends v as JSON (no body when v is nil) as user.
func (f *fixture) call(t testing.TB, method, path, user string, v any) response {
	t.Helper()
	if v == nil {
		return f.raw(t, method, path, user, "", nil)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return f.raw(t, method, path, user, "application/json", b)
}

// ok is call that fails the test unless the status is want, and decodes
// the answer into out.
func (f *fixture) ok(t testing.TB, want int, method, path, user string, v, out any) {
	t.Helper()
	r := f.call(t, method, path, user, v)
	if r.status != want {
		t.Fatalf("%s %s as %s: %d %s, want %d", method, path, user, r.status, r.body, want)
	}
	if out != nil {
		r.decode(t, out)
	}
}

// refused is call that fails the test unless it gets status and code.
func (f *fixture) refused(t testing.TB, status int, code, method, path, user string, v any) response {
	t.Helper()
	r := f.call(t, method, path, user, v)
	if r.status != status || r.code(t) != code {
		t.Fatalf("%s %s as %s: %d %s, want %d %s", method, path, user, r.status, r.body, status, code)
	}
	return r
}

func checkSecurityHeaders(t testing.TB, what string, h http.Header) {
	t.Helper()
	for k, want := range map[string]string{
		"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-store",
		"Referrer-Policy":         "no-referrer",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %s = %q, want %q", what, k, got, want)
		}
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

// addWallet registers a P2WPKH wallet of seed through the API, as root,
// born at the node's height, and syncs.
func (f *fixture) addWallet(t testing.TB, name string, seed byte) (*hd.Master, *descriptor.Descriptor) {
	t.Helper()
	m := master(t, seed)
	d, err := m.Account(descriptor.P2WPKH, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.ok(t, http.StatusCreated, "POST", "/api/v1/wallets", "root",
		map[string]any{"name": name, "descriptor": d.String(), "birthday": f.node.Height(t)}, nil)
	f.ok(t, http.StatusOK, "POST", "/api/v1/sync", "alice", nil, nil)
	return m, d
}

// deposit pays sats to a receive address the API hands out, confirms it
// and syncs through the API.
func (f *fixture) deposit(t testing.TB, wallet string, sats int64) addressResponse {
	t.Helper()
	var a addressResponse
	f.ok(t, http.StatusOK, "POST", "/api/v1/wallets/"+wallet+"/receive", "alice", nil, &a)
	addr, err := btcutil.DecodeAddress(a.Address, regtest.Params)
	if err != nil {
		t.Fatal(err)
	}
	script, _ := txscript.PayToAddrScript(addr)
	f.node.Fund(t, script, btcutil.Amount(sats))
	f.ok(t, http.StatusOK, "POST", "/api/v1/sync", "alice", nil, nil)
	return a
}

// sign is the kiosk's part: psbt.Sign with the seed, as airsign-kiosk
// does, on the base64 PSBT the API returned.
func sign(t testing.TB, b64 string, d *descriptor.Descriptor, m *hd.Master) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	q, err := psbt.Decode(raw)
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
	return base64.StdEncoding.EncodeToString(out)
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

func TestAuth(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.addWallet(t, "treasury", 3)

	for _, tc := range []struct {
		name, header string
	}{
		{"no token", ""},
		{"bad token", "Bearer airsign_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"not an airsign token", "Bearer hunter2"},
		{"basic auth", "Basic cm9vdDpodW50ZXIy"},
		{"bearer without token", "Bearer "},
		{"disabled user", "Bearer " + f.tokens["dave"]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", f.srv.URL+"/api/v1/wallets", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			resp, err := f.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d %s, want 401", resp.StatusCode, b)
			}
			if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want Bearer", got)
			}
			var e errorBody
			if err := json.Unmarshal(b, &e); err != nil || e.Code != codeUnauthorized || e.Error == "" {
				t.Errorf("body %s, want an unauthorized error", b)
			}
			checkSecurityHeaders(t, tc.name, resp.Header)
		})
	}

	// The token is case-insensitive in its scheme only.
	req, _ := http.NewRequest("GET", f.srv.URL+"/api/v1/wallets", nil)
	req.Header.Set("Authorization", "bearer "+f.tokens["victor"])
	if resp, err := f.srv.Client().Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("lower-case scheme: %v %v", resp.Status, err)
	}

	var h healthResponse
	f.ok(t, http.StatusOK, "GET", "/api/v1/health", "", nil, &h)
	if h.Tip != f.node.Height(t) {
		t.Errorf("health tip %d, want %d", h.Tip, f.node.Height(t))
	}

	to := foreignAddress(t, 8)
	wd := map[string]any{"wallet": "treasury", "to": to, "amount_sat": 10_000}
	f.refused(t, http.StatusForbidden, codeForbidden, "POST", "/api/v1/withdrawals", "victor", wd)
	f.refused(t, http.StatusForbidden, codeForbidden, "POST", "/api/v1/wallets/treasury/receive", "victor", nil)
	f.refused(t, http.StatusForbidden, codeForbidden, "POST", "/api/v1/sync", "victor", nil)
	f.refused(t, http.StatusForbidden, codeForbidden, "POST", "/api/v1/wallets", "alice",
		map[string]any{"name": "x", "descriptor": "y", "birthday": 0})
	f.refused(t, http.StatusForbidden, codeForbidden, "POST", "/api/v1/wallets", "ann",
		map[string]any{"name": "x", "descriptor": "y", "birthday": 0})
	// An approver can do what a requester can.
	f.ok(t, http.StatusOK, "POST", "/api/v1/wallets/treasury/receive", "ann", nil, nil)
	// A viewer reads.
	f.ok(t, http.StatusOK, "GET", "/api/v1/wallets/treasury/balance", "victor", nil, nil)

	// Routing errors are JSON too.
	r := f.refused(t, http.StatusNotFound, codeNotFound, "GET", "/api/v1/nothing", "root", nil)
	r = f.refused(t, http.StatusMethodNotAllowed, codeInvalid, "DELETE", "/api/v1/wallets", "root", nil)
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
		t.Errorf("405 Allow = %q, want GET and POST", allow)
	}

	for name, tok := range f.tokens {
		if strings.Contains(f.log.String(), tok) {
			t.Fatalf("the log contains %s's token", name)
		}
	}
}

// The whole round over HTTP: register, receive, deposit, sync, balance,
// withdraw, sign (the kiosk's code with the seed), finalize, broadcast,
// confirm.
func TestWithdrawFlow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m, d := f.addWallet(t, "treasury", 4)

	var ws walletsResponse
	f.ok(t, http.StatusOK, "GET", "/api/v1/wallets", "victor", nil, &ws)
	if len(ws.Wallets) != 1 || ws.Wallets[0].Name != "treasury" || ws.Wallets[0].Descriptor != d.String() ||
		ws.Wallets[0].Network != "regtest" {
		t.Fatalf("wallets = %+v", ws)
	}

	// Deposit by hand to see the sync report.
	var a addressResponse
	f.ok(t, http.StatusOK, "POST", "/api/v1/wallets/treasury/receive", "alice", nil, &a)
	if a.Branch != 0 || len(a.Path) != 1 || !strings.HasPrefix(a.Path[0], "m/84'/1'/0'/0/") {
		t.Fatalf("receive = %+v", a)
	}
	addr, _ := btcutil.DecodeAddress(a.Address, regtest.Params)
	script, _ := txscript.PayToAddrScript(addr)
	f.node.Fund(t, script, 300_000)
	var rep syncResponse
	f.ok(t, http.StatusOK, "POST", "/api/v1/sync", "alice", nil, &rep)
	if rep.Deposits != 1 || rep.DepositedSat != 300_000 || rep.Height != f.node.Height(t) {
		t.Fatalf("sync = %+v, want one deposit of 300000 at %d", rep, f.node.Height(t))
	}

	var bal balanceResponse
	f.ok(t, http.StatusOK, "GET", "/api/v1/wallets/treasury/balance", "victor", nil, &bal)
	if bal.Confirmed != 300_000 || bal.Unconfirmed != 0 || bal.Reserved != 0 || bal.Tip != rep.Height {
		t.Fatalf("balance = %+v", bal)
	}
	// Amounts are JSON integers, never floats.
	r := f.call(t, "GET", "/api/v1/wallets/treasury/balance", "victor", nil)
	if !bytes.Contains(r.body, []byte(`"confirmed_sat": 300000`)) {
		t.Fatalf("balance body %s: want confirmed_sat as an integer", r.body)
	}
	var us utxosResponse
	f.ok(t, http.StatusOK, "GET", "/api/v1/wallets/treasury/utxos", "victor", nil, &us)
	if len(us.UTXOs) != 1 || us.UTXOs[0].Value != 300_000 || us.UTXOs[0].Address != a.Address {
		t.Fatalf("utxos = %+v, want the deposit to %s", us, a.Address)
	}
	var hist historyResponse
	f.ok(t, http.StatusOK, "GET", "/api/v1/wallets/treasury/history", "victor", nil, &hist)
	if len(hist.History) != 1 || hist.History[0].Net != 300_000 || hist.History[0].TxID != us.UTXOs[0].TxID {
		t.Fatalf("history = %+v", hist)
	}

	to := foreignAddress(t, 8)
	var wd withdrawalJSON
	f.ok(t, http.StatusCreated, "POST", "/api/v1/withdrawals", "alice",
		map[string]any{"wallet": "treasury", "to": to, "amount_sat": 100_000, "feerate_sat_vb": 3, "memo": "invoice 117 — Acme"}, &wd)
	if wd.Memo != "invoice 117 — Acme" || wd.FeePreset != "custom" {
		t.Fatalf("withdrawal memo %q, fee preset %q; want the memo and custom (a rate given)", wd.Memo, wd.FeePreset)
	}
	if wd.ID == "" || wd.PSBT == "" || wd.Fee <= 0 || wd.FeeRate != 3 || wd.FeeRateSource != "requested" ||
		wd.Requester != "alice" || wd.State != "pending" || wd.Selection == nil || len(wd.Selection.Inputs) != 1 ||
		wd.Selection.Algorithm == "" || wd.Selection.Change != 300_000-100_000-wd.Fee {
		t.Fatalf("withdrawal = %+v", wd)
	}
	f.ok(t, http.StatusOK, "GET", "/api/v1/wallets/treasury/balance", "victor", nil, &bal)
	if bal.Reserved != 300_000 || bal.Confirmed != 0 {
		t.Fatalf("balance while pending = %+v, want all reserved", bal)
	}
	// Without a fee rate the node's estimate or the fallback applies.
	f.deposit(t, "treasury", 50_000)
	var wd2 withdrawalJSON
	f.ok(t, http.StatusCreated, "POST", "/api/v1/withdrawals", "bob",
		map[string]any{"wallet": "treasury", "to": to, "amount_sat": 20_000, "fee_preset": "priority"}, &wd2)
	if wd2.FeePreset != "priority" {
		t.Fatalf("fee preset %q, want priority", wd2.FeePreset)
	}
	if wd2.FeeRate < 1 || wd2.FeeRateSource == "" || wd2.FeeRateSource == "requested" {
		t.Fatalf("withdrawal without a fee rate: %v sat/vB from %q, want the node's estimate or the fallback", wd2.FeeRate, wd2.FeeRateSource)
	}
	f.refused(t, http.StatusConflict, codeInsufficient, "POST", "/api/v1/withdrawals", "alice",
		map[string]any{"wallet": "treasury", "to": to, "amount_sat": 10_000})
	f.refused(t, http.StatusBadRequest, codeInvalid, "POST", "/api/v1/withdrawals", "alice",
		map[string]any{"wallet": "treasury", "to": to, "amount_sat": 10_000, "memo": "two\nlines"})
	f.refused(t, http.StatusBadRequest, codeInvalid, "POST", "/api/v1/withdrawals", "alice",
		map[string]any{"wallet": "treasury", "to": to, "amount_sat": 10_000, "fee_preset": "asap"})

	var list withdrawalsResponse
	f.ok(t, http.StatusOK, "GET", "/api/v1/withdrawals?wallet=treasury", "victor", nil, &list)
	if len(list.Withdrawals) != 2 || list.Withdrawals[0].ID != wd.ID || list.Withdrawals[0].PSBT != "" {
		t.Fatalf("list = %+v, want both requests, oldest first, without PSBTs", list)
	}
	f.refused(t, http.StatusNotFound, codeNotFound, "GET", "/api/v1/withdrawals?wallet=nope", "victor", nil)
	var got withdrawalJSON
	f.ok(t, http.StatusOK, "GET", "/api/v1/withdrawals/"+wd.ID, "victor", nil, &got)
	if got.PSBT != wd.PSBT || got.State != "pending" || got.Confirmations != -1 {
		t.Fatalf("get = %+v", got)
	}
	// In BIP-370 for a wallet that reads only version 2: the same
	// transaction, and read back as version 0 the same PSBT.
	var got2 withdrawalJSON
	f.ok(t, http.StatusOK, "GET", "/api/v1/withdrawals/"+wd.ID+"?psbt_version=2", "victor", nil, &got2)
	raw2, err := base64.StdEncoding.DecodeString(got2.PSBT)
	if err != nil {
		t.Fatal(err)
	}
	p2, form, err := psbt.DecodeForm(raw2)
	if err != nil || form.Version != 2 {
		t.Fatalf("psbt_version=2: a PSBT of version %d, %v; want version 2", form.Version, err)
	}
	if again, err := psbt.Encode(p2); err != nil || base64.StdEncoding.EncodeToString(again) != wd.PSBT {
		t.Errorf("psbt_version=2 read back as version 0 is not the request's PSBT (%v)", err)
	}
	r = f.refused(t, http.StatusBadRequest, codeInvalid, "GET", "/api/v1/withdrawals/"+wd.ID+"?psbt_version=1", "victor", nil)
	if !strings.Contains(string(r.body), "psbt_version") {
		t.Errorf("psbt_version=1 refused with %s; want it named", r.body)
	}

	// Refusals of finalize, each with its code.
	f.refused(t, http.StatusBadRequest, codeInvalid, "POST", "/api/v1/finalize", "alice",
		map[string]any{"psbts": []string{"not base64!"}})
	f.refused(t, http.StatusBadRequest, codeInvalid, "POST", "/api/v1/finalize", "alice",
		map[string]any{"psbts": []string{base64.StdEncoding.EncodeToString([]byte("psbt\xff nope"))}})
	f.refused(t, http.StatusUnprocessableEntity, codeNotFinal, "POST", "/api/v1/finalize", "alice",
		map[string]any{"psbts": []string{wd.PSBT}, "broadcast": true})

	signed := sign(t, wd.PSBT, d, m)
	var fin finalizeResponse
	f.ok(t, http.StatusOK, "POST", "/api/v1/finalize", "alice", map[string]any{"psbts": []string{signed}, "broadcast": true}, &fin)
	if fin.ID != wd.ID || fin.State != "broadcast" || !fin.Broadcast || fin.TxID == "" || fin.Tx == "" || fin.Signatures != 1 {
		t.Fatalf("finalize = %+v", fin)
	}
	f.node.Generate(t, 1)
	f.ok(t, http.StatusOK, "POST", "/api/v1/sync", "alice", nil, nil)
	f.ok(t, http.StatusOK, "GET", "/api/v1/withdrawals/"+wd.ID, "victor", nil, &got)
	if got.State != "confirmed" || got.Confirmations != 1 || got.TxID != fin.TxID {
		t.Fatalf("after a block: %+v, want confirmed once as %s", got, fin.TxID)
	}
	// A confirmed request cannot be cancelled or bumped.
	f.refused(t, http.StatusConflict, codeConflict, "POST", "/api/v1/withdrawals/"+wd.ID+"/cancel", "alice", nil)
	f.refused(t, http.StatusConflict, codeConflict, "POST", "/api/v1/withdrawals/"+wd.ID+"/bump-fee", "alice",
		map[string]any{"feerate_sat_vb": 10})

	for name, tok := range f.tokens {
		if strings.Contains(f.log.String(), tok) {
			t.Fatalf("the log contains %s's token", name)
		}
	}
}

// Only the requester or an admin may cancel or bump a request.
func TestWithdrawalOwnership(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m, d := f.addWallet(t, "treasury", 5)
	f.deposit(t, "treasury", 200_000)
	f.deposit(t, "treasury", 200_000)
	to := foreignAddress(t, 9)
	var wd withdrawalJSON
	f.ok(t, http.StatusCreated, "POST", "/api/v1/withdrawals", "alice",
		map[string]any{"wallet": "treasury", "to": to, "amount_sat": 50_000, "feerate_sat_vb": 1}, &wd)

	cancel := "/api/v1/withdrawals/" + wd.ID + "/cancel"
	bump := "/api/v1/withdrawals/" + wd.ID + "/bump-fee"
	f.refused(t, http.StatusForbidden, codeForbidden, "POST", cancel, "bob", nil)
	f.refused(t, http.StatusForbidden, codeForbidden, "POST", cancel, "ann", nil)
	f.refused(t, http.StatusForbidden, codeForbidden, "POST", cancel, "victor", nil)
	f.refused(t, http.StatusForbidden, codeForbidden, "POST", bump, "bob", map[string]any{"feerate_sat_vb": 5})
	f.refused(t, http.StatusNotFound, codeNotFound, "POST", "/api/v1/withdrawals/wd-000000000000/cancel", "alice", nil)

	// The requester bumps (broadcast first, as a stuck payment would be),
	// then an admin can act on the replacement.
	var fin finalizeResponse
	f.ok(t, http.StatusOK, "POST", "/api/v1/finalize", "alice",
		map[string]any{"psbts": []string{sign(t, wd.PSBT, d, m)}, "broadcast": true}, &fin)
	f.refused(t, http.StatusBadRequest, codeInvalid, "POST", bump, "alice", map[string]any{"feerate_sat_vb": 1})
	var bumped withdrawalJSON
	f.ok(t, http.StatusCreated, "POST", bump, "alice", map[string]any{"feerate_sat_vb": 6}, &bumped)
	if bumped.Replaces != wd.ID || bumped.Fee <= wd.Fee || bumped.Requester != "alice" || bumped.Selection == nil ||
		bumped.Selection.Algorithm != "bump" {
		t.Fatalf("bump = %+v", bumped)
	}
	var old withdrawalJSON
	f.ok(t, http.StatusOK, "GET", "/api/v1/withdrawals/"+wd.ID, "victor", nil, &old)
	if old.State != "replaced" || old.ReplacedBy != bumped.ID {
		t.Fatalf("original after bump: %+v", old)
	}

	var other withdrawalJSON
	f.ok(t, http.StatusCreated, "POST", "/api/v1/withdrawals", "bob",
		map[string]any{"wallet": "treasury", "to": to, "amount_sat": 30_000, "feerate_sat_vb": 2}, &other)
	var cancelled withdrawalJSON
	f.ok(t, http.StatusOK, "POST", "/api/v1/withdrawals/"+other.ID+"/cancel", "root", nil, &cancelled)
	if cancelled.State != "cancelled" {
		t.Fatalf("after an admin's cancel: %+v", cancelled)
	}
	f.refused(t, http.StatusConflict, codeConflict, "POST", "/api/v1/withdrawals/"+other.ID+"/cancel", "bob", nil)
	f.ok(t, http.StatusOK, "POST", "/api/v1/withdrawals/"+bumped.ID+"/cancel", "alice", nil, nil)
}

// Bodies are decoded strictly and capped before decoding.
func TestRequestDecoding(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.addWallet(t, "treasury", 6)
	to := foreignAddress(t, 10)
	const path = "/api/v1/withdrawals"
	for _, tc := range []struct {
		name, contentType, body string
		status                  int
		code                    string
	}{
		{"unknown field", "application/json", `{"wallet":"treasury","to":"` + to + `","amount_sat":1000,"amount":1}`, 400, codeInvalid},
		{"float amount", "application/json", `{"wallet":"treasury","to":"` + to + `","amount_sat":0.5}`, 400, codeInvalid},
		{"amount as string", "application/json", `{"wallet":"treasury","to":"` + to + `","amount_sat":"1000"}`, 400, codeInvalid},
		{"amount in exponent", "application/json", `{"wallet":"treasury","to":"` + to + `","amount_sat":1e5}`, 400, codeInvalid},
		{"negative amount", "application/json", `{"wallet":"treasury","to":"` + to + `","amount_sat":-1}`, 400, codeInvalid},
		{"over 21M BTC", "application/json", `{"wallet":"treasury","to":"` + to + `","amount_sat":2100000000000001}`, 400, codeInvalid},
		{"negative fee rate", "application/json", `{"wallet":"treasury","to":"` + to + `","amount_sat":1000,"feerate_sat_vb":-2}`, 400, codeInvalid},
		{"no wallet", "application/json", `{"to":"` + to + `","amount_sat":1000}`, 400, codeInvalid},
		{"unknown wallet", "application/json", `{"wallet":"nope","to":"` + to + `","amount_sat":1000}`, 404, codeNotFound},
		{"mainnet address", "application/json", `{"wallet":"treasury","to":"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq","amount_sat":1000}`, 400, codeInvalid},
		{"two values", "application/json", `{"wallet":"treasury"} {"wallet":"treasury"}`, 400, codeInvalid},
		{"array", "application/json", `[]`, 400, codeInvalid},
		{"null", "application/json", `null`, 400, codeInvalid},
		{"truncated", "application/json", `{"wallet":`, 400, codeInvalid},
		{"not json", "application/json", `wallet=treasury`, 400, codeInvalid},
		{"empty", "application/json", ``, 400, codeInvalid},
		{"form content type", "application/x-www-form-urlencoded", `{"wallet":"treasury"}`, 415, codeInvalid},
		{"no content type", "", `{"wallet":"treasury"}`, 415, codeInvalid},
		{"too large", "application/json", `{"wallet":"` + strings.Repeat("a", DefaultMaxBody) + `"}`, 413, codeTooLarge},
		{"too large after a value", "application/json", `{}` + strings.Repeat(" ", DefaultMaxBody), 413, codeTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.raw(t, "POST", path, "alice", tc.contentType, []byte(tc.body))
			if r.status != tc.status || r.code(t) != tc.code {
				t.Fatalf("%d %.300s, want %d %s", r.status, r.body, tc.status, tc.code)
			}
		})
	}

	// Endpoints without input take no body or an empty object, nothing else.
	recv := "/api/v1/wallets/treasury/receive"
	f.ok(t, http.StatusOK, "POST", recv, "alice", nil, nil)
	f.ok(t, http.StatusOK, "POST", recv, "alice", map[string]any{}, nil)
	if r := f.raw(t, "POST", recv, "alice", "application/json", []byte(`{"index":7}`)); r.status != 400 {
		t.Fatalf("receive with a field: %d %s, want 400", r.status, r.body)
	}
	f.refused(t, http.StatusNotFound, codeNotFound, "POST", "/api/v1/wallets/nope/receive", "alice", nil)
	f.refused(t, http.StatusNotFound, codeNotFound, "GET", "/api/v1/wallets/nope/balance", "victor", nil)
	f.refused(t, http.StatusNotFound, codeNotFound, "GET", "/api/v1/withdrawals/nope", "victor", nil)

	// Adding wallets: refusals map to their codes.
	m := master(t, 6)
	d, _ := m.Account(descriptor.P2WPKH, 0)
	f.refused(t, http.StatusConflict, codeConflict, "POST", "/api/v1/wallets", "root",
		map[string]any{"name": "treasury", "descriptor": d.String(), "birthday": 0})
	f.refused(t, http.StatusBadRequest, codeInvalid, "POST", "/api/v1/wallets", "root",
		map[string]any{"name": "x", "descriptor": "wpkh(nonsense)", "birthday": 0})
	f.refused(t, http.StatusBadRequest, codeInvalid, "POST", "/api/v1/wallets", "root",
		map[string]any{"name": "x", "descriptor": d.String()})
	f.refused(t, http.StatusBadRequest, codeInvalid, "POST", "/api/v1/wallets", "root",
		map[string]any{"name": "x", "descriptor": d.String(), "birthday": 1 << 40})
}

// A wallet with spending paths registered through the API by its BIP-388
// policy: listed with its policy, and each coin with when its recovery
// path opens; a recovery withdrawal before then is refused.
func TestPolicyWallet(t *testing.T) {
	f := newFixture(t)
	var keys []string
	for i := range 4 {
		origin, key, err := master(t, byte(60+i)).CosignerKey(0)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, "["+origin.String()+"]"+key.String())
	}
	w, err := descriptor.Template{Kind: descriptor.TemplateRecovery, Threshold: 2, Keys: keys[:3], Recovery: keys[3:], After: 30}.Policy(descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	var got walletJSON
	f.ok(t, http.StatusCreated, "POST", "/api/v1/wallets", "root",
		map[string]any{"name": "vault", "policy": w.Policy(), "birthday": f.node.Height(t)}, &got)
	var pol descriptor.WalletPolicy
	if err := json.Unmarshal(got.Policy, &pol); err != nil || pol.Template != w.Template() || len(pol.Keys) != 4 {
		t.Fatalf("wallet's policy = %s, %v; want %s", got.Policy, err, w.Template())
	}
	f.refused(t, http.StatusBadRequest, "invalid", "POST", "/api/v1/wallets", "root", map[string]any{"name": "both", "policy": w.Policy(), "descriptor": "x", "birthday": 0})
	f.ok(t, http.StatusOK, "POST", "/api/v1/sync", "alice", nil, nil)
	f.deposit(t, "vault", 200_000)
	var us utxosResponse
	f.ok(t, http.StatusOK, "GET", "/api/v1/wallets/vault/utxos", "victor", nil, &us)
	if len(us.UTXOs) != 1 || us.UTXOs[0].RecoveryHeight != us.UTXOs[0].Height+30 || us.UTXOs[0].RecoveryInBlocks == nil || *us.UTXOs[0].RecoveryInBlocks != 29 {
		t.Fatalf("utxos = %+v; want the recovery path 30 blocks after the coin", us)
	}
	r := f.call(t, "POST", "/api/v1/withdrawals", "alice", map[string]any{"wallet": "vault", "to": foreignAddress(t, 9), "amount_sat": 50_000, "path": "recovery"})
	if r.status == http.StatusCreated || !bytes.Contains(r.body, []byte("recovery path is open yet")) {
		t.Fatalf("recovery withdrawal before the lock: %d %s", r.status, r.body)
	}
}
