package web

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// A withdrawal the free coins cannot fund, while another request holds the
// wallet's coin, is refused on the form with the holding request named and
// what to do; after it is cancelled the same request goes through.
func TestWithdrawRefusalNamesHoldingRequest(t *testing.T) {
	f := newFixture(t, Options{})
	alice := f.browser(t)
	alice.signIn("alice")
	held := strings.TrimPrefix(createRequest(t, alice, "0.1"), "/requests/")

	form := url.Values{"wallet": {"treasury"}, "to": {"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"},
		"amount": {"0.2"}, "unit": {"btc"}}
	errorText := regexp.MustCompile(`<p class="error" role="alert" id="error">([^<]*)</p>`)
	for _, action := range []string{"preview", "create"} {
		form.Set("action", action)
		r := alice.post("/withdraw", form)
		m := errorText.FindStringSubmatch(r.body)
		if r.status != http.StatusConflict || m == nil {
			t.Fatalf("%s: %d, want 409 with an error\n%s", action, r.status, r.body)
		}
		got := html.UnescapeString(m[1])
		for _, want := range []string{
			"0.50000000 BTC more is held by 1 request: " + held + " (0.50000000 BTC in 1 coin, pending, paying 0.10000000 BTC, by alice)",
			"cancel one of them, or wait until it is broadcast and its change confirms",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("%s: the refusal\n%s\ndoes not say\n%s", action, got, want)
			}
		}
	}
	if r := alice.post("/requests/"+held+"/cancel", nil); r.status != http.StatusSeeOther {
		t.Fatalf("cancel: %d\n%s", r.status, r.body)
	}
	if r := alice.post("/withdraw", form); r.status != http.StatusSeeOther {
		t.Errorf("after cancelling %s: %d\n%s", held, r.status, r.body)
	}
}
