package jsonapi

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"testing"

	"airsign/psbt"
)

// A signed raw transaction handed back over the API, as a wallet that
// finalizes itself exports it: one with an output changed is refused as
// another transaction, the request's own is broadcast. "psbts" and "tx"
// together, or a PSBT in "tx", are refused.
func TestFinalizeRawTx(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m, d := f.addWallet(t, "treasury", 4)
	f.deposit(t, "treasury", 300_000)
	var wd withdrawalJSON
	f.ok(t, http.StatusCreated, "POST", "/api/v1/withdrawals", "alice",
		map[string]any{"wallet": "treasury", "to": foreignAddress(t, 8), "amount_sat": 100_000, "feerate_sat_vb": 3}, &wd)
	signed, err := base64.StdEncoding.DecodeString(sign(t, wd.PSBT, d, m))
	if err != nil {
		t.Fatal(err)
	}
	p, err := psbt.Decode(signed)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := psbt.Finalize(p)
	if err != nil {
		t.Fatal(err)
	}
	hexOf := func() string {
		var b bytes.Buffer
		if err := tx.Serialize(&b); err != nil {
			t.Fatal(err)
		}
		return hex.EncodeToString(b.Bytes())
	}
	good := hexOf()
	tx.TxOut[0].Value--
	changed := hexOf()

	f.refused(t, http.StatusBadRequest, codeInvalid, "POST", "/api/v1/finalize", "alice",
		map[string]any{"psbts": []string{wd.PSBT}, "tx": good})
	f.refused(t, http.StatusBadRequest, codeInvalid, "POST", "/api/v1/finalize", "alice",
		map[string]any{"tx": hex.EncodeToString(signed)})
	f.refused(t, http.StatusUnprocessableEntity, codeWrongTx, "POST", "/api/v1/finalize", "alice",
		map[string]any{"tx": changed, "broadcast": true})

	var fin finalizeResponse
	f.ok(t, http.StatusOK, "POST", "/api/v1/finalize", "alice", map[string]any{"tx": good, "broadcast": true}, &fin)
	if fin.ID != wd.ID || fin.State != "broadcast" || !fin.Broadcast || fin.Tx != good || fin.Signatures != 1 {
		t.Fatalf("finalize = %+v; want request %s broadcast as %s", fin, wd.ID, good)
	}
}
