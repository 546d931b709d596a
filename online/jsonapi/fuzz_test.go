package jsonapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzAPIRequests throws arbitrary bodies at every POST endpoint, as an
// admin (so that role checks let them through to the decoding and the
// coordinator), against a real coordinator, store and regtest node started
// once. No body may panic the handler or get a 5xx, except a broadcast the
// node refuses (502 broadcast_refused); every answer is JSON with the
// security headers.
func FuzzAPIRequests(f *testing.F) {
	fx := newFixture(f)
	m, d := fx.addWallet(f, "treasury", 7)
	fx.deposit(f, "treasury", 500_000)
	fx.deposit(f, "treasury", 300_000)
	to := foreignAddress(f, 11)
	var pending, signed withdrawalJSON
	fx.ok(f, http.StatusCreated, "POST", "/api/v1/withdrawals", "root",
		map[string]any{"wallet": "treasury", "to": to, "amount_sat": 40_000, "feerate_sat_vb": 2}, &pending)
	fx.ok(f, http.StatusCreated, "POST", "/api/v1/withdrawals", "root",
		map[string]any{"wallet": "treasury", "to": to, "amount_sat": 30_000, "feerate_sat_vb": 2}, &signed)
	signedPSBT := sign(f, signed.PSBT, d, m)

	paths := []string{
		"/api/v1/wallets",
		"/api/v1/wallets/treasury/receive",
		"/api/v1/withdrawals",
		"/api/v1/withdrawals/" + pending.ID + "/cancel",
		"/api/v1/withdrawals/" + pending.ID + "/bump-fee",
		"/api/v1/finalize",
		"/api/v1/sync",
	}
	desc, _ := json.Marshal(d.String())
	for _, seed := range []struct {
		path uint8
		body string
	}{
		{0, `{"name":"copy","descriptor":` + string(desc) + `,"birthday":0}`},
		{0, `{"name":"","descriptor":"","birthday":-1}`},
		{1, ``},
		{1, `{}`},
		{2, `{"wallet":"treasury","to":"` + to + `","amount_sat":1000,"feerate_sat_vb":1.5}`},
		{2, `{"wallet":"treasury","to":"` + to + `","amount_sat":9223372036854775807}`},
		{2, `{"wallet":"treasury","to":"` + to + `","amount_sat":1000,"feerate_sat_vb":1e308}`},
		{3, `{}`},
		{4, `{"feerate_sat_vb":3}`},
		{4, `{"feerate_sat_vb":0.0001}`},
		{5, `{"psbts":["` + signedPSBT + `"],"broadcast":false}`},
		{5, `{"psbts":["` + pending.PSBT + `"],"broadcast":true}`},
		{5, `{"psbts":[],"broadcast":true}`},
		{5, `{"psbts":["cHNidP8="]}`},
		{6, `{}`},
		{6, `{"a":[1,{"b":null}]}`},
	} {
		f.Add(seed.path, true, []byte(seed.body))
	}
	f.Add(uint8(2), false, []byte(`{"wallet":"treasury"}`))

	f.Fuzz(func(t *testing.T, which uint8, asJSON bool, body []byte) {
		path := paths[int(which)%len(paths)]
		req := httptest.NewRequest("POST", path, strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+fx.tokens["root"])
		if asJSON {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		fx.handler.ServeHTTP(rec, req) // a panic fails the fuzz target
		checkSecurityHeaders(t, path, rec.Header())
		var e errorBody
		if err := json.Unmarshal(rec.Body.Bytes(), new(any)); err != nil {
			t.Fatalf("POST %s %q: %d answer is not JSON: %v", path, body, rec.Code, err)
		}
		if rec.Code >= 500 {
			json.Unmarshal(rec.Body.Bytes(), &e)
			if rec.Code != http.StatusBadGateway || e.Code != codeBroadcast {
				t.Fatalf("POST %s %q: %d %s", path, body, rec.Code, rec.Body)
			}
		}
	})
}
