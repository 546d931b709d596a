package web

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The address book from the pages: a payee saved, offered on the withdraw
// form and named on the request pages; a request with a memo and a fee
// preset, shown on its page, in the list and the CSV; a label of one of
// the wallet's own addresses; the BIP-329 export; and the refusals.
func TestAddressBookMemoAndPresets(t *testing.T) {
	f := newFixture(t, Options{})
	alice := f.browser(t)
	alice.signIn("alice")
	const acme = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"

	if r := alice.post("/addressbook", url.Values{"label": {"Acme Ltd"}, "address": {strings.ToUpper(acme)}, "note": {"invoices"}}); r.status != http.StatusSeeOther {
		t.Fatalf("saving a payee: %d\n%s", r.status, r.body)
	}
	for _, c := range []struct {
		name string
		form url.Values
		want string
	}{
		{"mainnet address", url.Values{"label": {"Main"}, "address": {"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"}}, "is not a regtest address"},
		{"name on two lines", url.Values{"label": {"a\nb"}, "address": {"bcrt1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qzf4jry"}}, "control character"},
		{"address named twice", url.Values{"label": {"Acme again"}, "address": {acme}}, "already in the address book as &#34;Acme Ltd&#34;"},
	} {
		if r := alice.post("/addressbook", c.form); r.status != http.StatusBadRequest && r.status != http.StatusConflict || !strings.Contains(r.body, c.want) {
			t.Errorf("%s: %d, want a refusal saying %q\n%s", c.name, r.status, c.want, r.body)
		}
	}
	if r := f.browser(t).get("/addressbook"); strings.Contains(r.body, "Acme Ltd") {
		t.Fatal("the address book without a session")
	}
	victor := f.browser(t)
	victor.signIn("victor")
	if page := victor.get("/addressbook"); !strings.Contains(page.body, "Acme Ltd") || strings.Contains(page.body, `id="payee-form"`) {
		t.Fatalf("a viewer sees the payees but no form to add one:\n%s", page.body)
	}
	if r := victor.post("/addressbook", url.Values{"label": {"Mine"}, "address": {acme}}); r.status != http.StatusForbidden {
		t.Fatalf("a viewer adding a payee: %d", r.status)
	}

	page := alice.get("/withdraw?payee=Acme+Ltd")
	for _, want := range []string{`<option value="Acme Ltd" data-address="` + acme + `" selected>`, `id="memo"`, `id="fee-economy"`, `id="fee-priority"`, `id="fee-custom"`} {
		if !strings.Contains(page.body, want) {
			t.Fatalf("the withdraw form lacks %s:\n%s", want, page.body)
		}
	}
	base := url.Values{"wallet": {"treasury"}, "payee": {"Acme Ltd"}, "amount": {"0.1"}, "unit": {"btc"}}
	with := func(kv ...string) url.Values {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	for _, c := range []struct {
		name string
		form url.Values
		want string
	}{
		{"payee and another address", with("to", "bcrt1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qzf4jry", "action", "preview"), "you picked the payee Acme Ltd"},
		{"memo with a tab", with("memo", "a\tb", "action", "preview"), "Memo: "},
		{"custom without a rate", with("feepreset", "custom", "action", "preview"), "you chose a custom fee"},
		{"preset and a rate", with("feepreset", "priority", "feerate", "4", "action", "preview"), "give one of them"},
		{"unknown payee", with("payee", "Nobody", "action", "preview"), "no payee &#34;Nobody&#34;"},
	} {
		if r := alice.post("/withdraw", c.form); r.status < 400 || !strings.Contains(r.body, c.want) {
			t.Errorf("%s: %d, want a refusal saying %q\n%s", c.name, r.status, c.want, r.body)
		}
	}
	r := alice.post("/withdraw", with("memo", "invoice 2026-117", "feepreset", "priority", "action", "preview"))
	for _, want := range []string{`id="preview-payee">Acme Ltd<`, `id="preview-memo">invoice 2026-117<`, "priority: "} {
		if !strings.Contains(r.body, want) {
			t.Fatalf("the preview lacks %s:\n%s", want, r.body)
		}
	}
	r = alice.post("/withdraw", with("memo", "invoice 2026-117", "feepreset", "priority", "action", "create"))
	if r.status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", r.status, r.body)
	}
	reqPath := strings.TrimSuffix(r.header.Get("Location"), "?done=created")
	page = alice.get(reqPath)
	for _, want := range []string{`id="payee-name">Acme Ltd<`, `id="memo">invoice 2026-117<`, `id="fee-preset">priority<`} {
		if !strings.Contains(page.body, want) {
			t.Fatalf("the request page lacks %s:\n%s", want, page.body)
		}
	}
	if list := alice.get("/requests?q=2026-117"); !strings.Contains(list.body, "invoice 2026-117") || !strings.Contains(list.body, `<strong class="payee">Acme Ltd</strong>`) {
		t.Fatalf("the requests list, searched by memo, lacks the request:\n%s", list.body)
	}
	rows, err := csv.NewReader(strings.NewReader(alice.get("/requests.csv").body)).ReadAll()
	if err != nil || len(rows) != 2 || rows[0][14] != "memo" || rows[1][14] != "invoice 2026-117" || rows[1][15] != "priority" {
		t.Fatalf("requests.csv = %q, %v", rows, err)
	}

	// A label of one of the wallet's own addresses, and of someone else's.
	rcv := alice.post("/wallets/treasury/receive", url.Values{})
	own := between(rcv.body, `id="receive-address">`, "<")
	if r := alice.post("/labels", url.Values{"wallet": {"treasury"}, "ref": {own}, "label": {"for refunds"}}); r.status != http.StatusSeeOther {
		t.Fatalf("labelling an own address: %d\n%s", r.status, r.body)
	}
	if r := alice.post("/labels", url.Values{"wallet": {"treasury"}, "ref": {acme}, "label": {"x"}}); r.status != http.StatusBadRequest || !strings.Contains(r.body, "label payees in the address book") {
		t.Fatalf("labelling someone else's address: %d\n%s", r.status, r.body)
	}

	// The BIP-329 export: every line one JSON object with type and ref.
	exp := victor.get("/labels.jsonl")
	if exp.status != http.StatusOK || !strings.HasPrefix(exp.header.Get("Content-Type"), "application/jsonl") ||
		!strings.Contains(exp.header.Get("Content-Disposition"), "airsign-labels.jsonl") {
		t.Fatalf("labels.jsonl: %d %s %s", exp.status, exp.header.Get("Content-Type"), exp.header.Get("Content-Disposition"))
	}
	got := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(exp.body))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil || rec["type"] == nil || rec["ref"] == nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got[rec["type"].(string)+" "+rec["label"].(string)] = rec["ref"].(string)
	}
	if got["addr Acme Ltd"] != acme || got["addr for refunds"] != own || len(got["tx invoice 2026-117"]) != 64 {
		t.Fatalf("export: %v\n%s", got, exp.body)
	}
	if one := victor.get("/wallets/treasury/labels.jsonl"); one.status != http.StatusOK || !strings.Contains(one.body, "invoice 2026-117") {
		t.Fatalf("the wallet's export: %d\n%s", one.status, one.body)
	}
	if kinds := f.auditKinds(t); !strings.Contains(kinds, "payee-add") || !strings.Contains(kinds, "labels-export") {
		t.Fatalf("audit log: %s", kinds)
	}
	if r := alice.post("/addressbook/remove", url.Values{"label": {"acme ltd"}}); r.status != http.StatusSeeOther {
		t.Fatalf("removing the payee: %d\n%s", r.status, r.body)
	}
	if page := alice.get(reqPath); !strings.Contains(page.body, acme) || strings.Contains(page.body, "Acme Ltd") {
		t.Fatal("after the payee is removed the request keeps its address and loses the name")
	}
}

func between(s, from, to string) string {
	_, after, _ := strings.Cut(s, from)
	v, _, _ := strings.Cut(after, to)
	return v
}
