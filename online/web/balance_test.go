package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// The wallets page and the wallet page show the total, confirmed,
// unconfirmed and reserved balance, and which request holds the reserved
// coins, with links to it.
func TestBalancesNameTheReservingRequest(t *testing.T) {
	f := newFixture(t, Options{})
	alice := f.browser(t)
	alice.signIn("alice")
	want := func(t *testing.T, body, id, amount string) {
		t.Helper()
		re := regexp.MustCompile(`id="` + id + `">` + regexp.QuoteMeta(amount) + ` `)
		if !re.MatchString(body) {
			t.Errorf("%s is not %s:\n%s", id, amount, body)
		}
	}
	page := alice.get("/wallets")
	want(t, page.body, "total-treasury", "0.50000000")
	want(t, page.body, "confirmed-treasury", "0.50000000")
	want(t, page.body, "reserved-treasury", "0.00000000")

	reqPath := createRequest(t, alice, "0.1")
	id := strings.TrimPrefix(reqPath, "/requests/")
	link := `<a href="/requests/` + id + `">` + id + `</a>: 0.50000000 BTC in 1 coin(s)`
	for _, p := range []string{"/wallets", "/wallets/treasury"} {
		page := alice.get(p)
		if page.status != http.StatusOK {
			t.Fatalf("%s: %d", p, page.status)
		}
		want(t, page.body, "total-treasury", "0.50000000")
		want(t, page.body, "confirmed-treasury", "0.00000000")
		want(t, page.body, "unconfirmed-treasury", "0.00000000")
		want(t, page.body, "reserved-treasury", "0.50000000")
		if !strings.Contains(page.body, link) {
			t.Errorf("%s does not name the reserving request (%s):\n%s", p, link, page.body)
		}
	}
	if page := alice.get("/wallets/treasury"); !strings.Contains(page.body, `reserved</span> by <a href="/requests/`+id+`">`) {
		t.Errorf("the reserved output does not link its request:\n%s", page.body)
	}
	// Cancelled, its coin is free again and no request is named.
	if r := alice.post(reqPath+"/cancel", nil); r.status != http.StatusSeeOther {
		t.Fatalf("cancel: %d\n%s", r.status, r.body)
	}
	page = alice.get("/wallets")
	want(t, page.body, "confirmed-treasury", "0.50000000")
	want(t, page.body, "reserved-treasury", "0.00000000")
	if strings.Contains(page.body, `class="plain reserved-by"`) {
		t.Errorf("a cancelled request still holds coins:\n%s", page.body)
	}
}
