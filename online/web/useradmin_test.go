package web

import (
	"airsign/online/store"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var issuedPasswordRE = regexp.MustCompile(`id="issued-password">([a-z2-7-]+)<`)

func TestUserAdminReachedByAdminsOnly(t *testing.T) {
	f := newFixture(t, Options{})
	for _, name := range []string{"victor", "alice", "ann"} {
		b := f.browser(t)
		b.signIn(name)
		if r := b.get("/users"); r.status != http.StatusForbidden {
			t.Errorf("%s GET /users: %d, want 403", name, r.status)
		}
		if strings.Contains(b.get("/wallets").body, `href="/users"`) {
			t.Errorf("%s's nav links to /users", name)
		}
		for _, path := range []string{"/users", "/users/alice/role", "/users/root/disable", "/users/ann/enable", "/users/root/reset"} {
			form := url.Values{"name": {"mallory"}, "role": {"admin"}}
			if r := b.post(path, form); r.status != http.StatusForbidden {
				t.Errorf("%s POST %s: %d, want 403", name, path, r.status)
			}
		}
	}
	// The admin, without the form's token: refused too.
	root := f.browser(t)
	root.signIn("root")
	if r := root.post("/users", url.Values{"csrf": {""}, "name": {"mallory"}, "role": {"admin"}}); r.status != http.StatusForbidden {
		t.Fatalf("root POST /users without a CSRF token: %d, want 403", r.status)
	}
	if r := root.get("/users"); r.status != 200 || strings.Contains(r.body, `id="user-mallory"`) {
		t.Fatalf("root GET /users: %d", r.status)
	}
	accts, err := f.st.UserAccounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range accts {
		if a.Name == "mallory" {
			t.Fatal("a refused POST added mallory")
		}
	}
	if !strings.Contains(f.auditKinds(t), `web-refused {"method":"POST","path":"/users","reason":"role","role":"viewer","user":"victor"}`) {
		t.Errorf("the refusals are not in the audit log:\n%s", f.auditKinds(t))
	}
}

func TestAddUserTemporaryPasswordAndOwn(t *testing.T) {
	f := newFixture(t, Options{})
	root := f.browser(t)
	root.signIn("root")
	r := root.post("/users", url.Values{"name": {"carol"}, "role": {"requester"}})
	m := issuedPasswordRE.FindStringSubmatch(r.body)
	if r.status != 200 || m == nil || !strings.Contains(r.body, `id="issued-token">airsign_`) {
		t.Fatalf("adding carol: %d, no token or temporary password shown:\n%s", r.status, r.body)
	}
	temp := m[1]
	if again := root.get("/users"); strings.Contains(again.body, temp) || strings.Contains(again.body, "airsign_") {
		t.Fatal("the users page shows the temporary password or token again")
	}
	if strings.Contains(f.auditKinds(t), temp) {
		t.Fatal("the audit log holds the temporary password")
	}

	// Signed in with it, carol can only set her own.
	carol := f.browser(t)
	if r := carol.login("carol", temp); r.status != http.StatusSeeOther {
		t.Fatalf("carol's sign-in with the temporary password: %d", r.status)
	}
	if r := carol.get("/wallets"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/account/password" {
		t.Fatalf("carol GET /wallets with a temporary password: %d %s, want a redirect to /account/password", r.status, r.header.Get("Location"))
	}
	page := carol.get("/account/password")
	if page.status != 200 || !strings.Contains(page.body, "temporary password") {
		t.Fatalf("carol's password page: %d", page.status)
	}
	if r := carol.post("/withdraw", url.Values{"wallet": {"treasury"}}); r.status != http.StatusForbidden || !strings.Contains(r.body, "temporary password") {
		t.Fatalf("carol POST /withdraw with a temporary password: %d, want 403", r.status)
	}
	own := "carol's very own passphrase"
	for _, tc := range []struct {
		current, pw, again string
		status             int
		says               string
	}{
		{"wrong-temporary-pw", own, own, http.StatusForbidden, "current password is wrong"},
		{temp, own, own + "x", http.StatusBadRequest, "differ"},
		{temp, "short", "short", http.StatusBadRequest, "at least"},
		{temp, temp, temp, http.StatusBadRequest, "the one you have"},
	} {
		r := carol.post("/account/password", url.Values{"current": {tc.current}, "password": {tc.pw}, "again": {tc.again}})
		if r.status != tc.status || !strings.Contains(r.body, tc.says) {
			t.Errorf("password change %q/%q: %d, want %d saying %q", tc.pw, tc.again, r.status, tc.status, tc.says)
		}
	}
	if r := carol.post("/account/password", url.Values{"current": {temp}, "password": {own}, "again": {own}}); r.status != http.StatusSeeOther {
		t.Fatalf("carol setting her password: %d\n%s", r.status, r.body)
	}
	if r := carol.get("/wallets"); r.status != 200 {
		t.Fatalf("carol GET /wallets with her own password set: %d", r.status)
	}
	if r := f.browser(t).login("carol", temp); r.status != http.StatusUnauthorized {
		t.Fatalf("the temporary password after carol set hers: %d, want 401", r.status)
	}

	// A reset's temporary password expires.
	r = root.post("/users/carol/reset", nil)
	m = issuedPasswordRE.FindStringSubmatch(r.body)
	if r.status != 200 || m == nil {
		t.Fatalf("resetting carol: %d", r.status)
	}
	if r := carol.get("/wallets"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
		t.Fatalf("carol's session after the reset: %d %s, want ended", r.status, r.header.Get("Location"))
	}
	f.advance(24*time.Hour + time.Second)
	if r := f.browser(t).login("carol", m[1]); r.status != http.StatusUnauthorized || !strings.Contains(r.body, "expired") {
		t.Fatalf("an expired temporary password: %d, want 401 saying expired", r.status)
	}
	audit := f.auditKinds(t)
	for _, want := range []string{
		`user-add {"by":"root","name":"carol","result":"done","role":"requester"}`,
		`web-password {"by":"carol","name":"carol","result":"done","temporary":false}`,
		`"reason":"temporary password expired"`,
	} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log lacks %s", want)
		}
	}
}

func TestRoleChangesAndDisableEndSessions(t *testing.T) {
	f := newFixture(t, Options{})
	root, alice, ann := f.browser(t), f.browser(t), f.browser(t)
	root.signIn("root")
	alice.signIn("alice")
	ann.signIn("ann")

	if r := root.post("/users/alice/role", url.Values{"role": {"viewer"}}); r.status != http.StatusSeeOther {
		t.Fatalf("root demoting alice: %d\n%s", r.status, r.body)
	}
	if r := alice.get("/wallets"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
		t.Fatalf("alice's page after her role changed: %d %s, want sign-in", r.status, r.header.Get("Location"))
	}
	if r := root.post("/users/ann/disable", nil); r.status != http.StatusSeeOther {
		t.Fatalf("root disabling ann: %d", r.status)
	}
	if r := ann.post("/requests/x/approve", url.Values{"password": {"p"}}); r.status != http.StatusUnauthorized {
		t.Fatalf("disabled ann's open page approving: %d, want 401", r.status)
	}
	if r := f.browser(t).login("ann", password("ann")); r.status != http.StatusUnauthorized {
		t.Fatalf("disabled ann signing in: %d, want 401", r.status)
	}
	page := root.get("/users")
	for _, want := range []string{`id="user-alice" data-state="active" data-role="viewer"`, `id="user-ann" data-state="disabled" data-role="approver"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("users page lacks %s", want)
		}
	}
	// root cannot lock the treasury out.
	for _, tc := range []struct {
		path string
		form url.Values
	}{
		{"/users/root/disable", nil},
		{"/users/root/role", url.Values{"role": {"approver"}}},
	} {
		if r := root.post(tc.path, tc.form); r.status != http.StatusConflict || !strings.Contains(r.body, "your own admin role") {
			t.Errorf("root POST %s: %d, want 409 saying why", tc.path, r.status)
		}
	}
	if r := root.post("/users/ann/enable", nil); r.status != http.StatusSeeOther {
		t.Fatalf("root enabling ann: %d", r.status)
	}
	ann.signIn("ann")
	audit := f.auditKinds(t)
	for _, want := range []string{
		`user-role {"by":"root","name":"alice","result":"done","role":"viewer"}`,
		`user-disable {"by":"root","name":"ann","result":"done"}`,
		`user-enable {"by":"root","name":"ann","result":"done"}`,
	} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log lacks %s", want)
		}
	}
}

// The deliveries list links a request's event to the request and a
// wallet event (a coin's recovery path nearing) to the wallet.
func TestDeliveriesLinkWhatTheyTellOf(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	for _, e := range []store.WebhookEvent{
		{ID: strings.Repeat("a", 32), Kind: "request.signed", Request: "wd-0123456789ab", Body: []byte(`{}`), Created: f.clock()},
		{ID: strings.Repeat("b", 32), Kind: "wallet.recovery_nearing", Request: "treasury:" + strings.Repeat("ab", 32) + ":1", Body: []byte(`{}`), Created: f.clock()},
	} {
		if _, err := f.st.EnqueueWebhook(ctx, e, []string{"https://hooks.example/airsign"}); err != nil {
			t.Fatal(err)
		}
	}
	root := f.browser(t)
	root.signIn("root")
	r := root.get("/users")
	for _, want := range []string{`<a href="/requests/wd-0123456789ab">wd-0123456789ab</a>`, `<a href="/wallets/treasury">wallet treasury</a>`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the deliveries list lacks %s", want)
		}
	}
	if strings.Contains(r.body, `href="/requests/treasury:`) {
		t.Error("a wallet event links to a request page")
	}
}
