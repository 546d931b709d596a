package web

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcutil"

	"airsign/psbt/amount"
)

// CSV exports for the treasury's books: every request, and a wallet's
// deposits and withdrawals. Amounts are in satoshis (exact, and what a
// spreadsheet sums without rounding) with a BTC column beside them.

func sats(a btcutil.Amount) string { return strconv.FormatInt(int64(a), 10) }

// btcText is an amount in BTC with 8 decimals and no unit: -0.20000703.
func btcText(a btcutil.Amount) string {
	return strings.TrimSuffix(amount.Format(a, amount.Plain), " BTC")
}

// csvSafe keeps a cell from being read as a formula by a spreadsheet
// (CSV injection): text that starts with = + - @ or a tab is quoted with a
// leading apostrophe. Our ids, addresses and names never start so; a
// hostile label could.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (h *Handler) writeCSV(w http.ResponseWriter, name string, header []string, rows [][]string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename=%q`, name))
	cw := csv.NewWriter(w)
	cw.Write(header)
	for _, row := range rows {
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		cw.Write(row)
	}
	cw.Flush()
}

// requestsCSV is every request, oldest first.
func (h *Handler) requestsCSV(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	wds, err := h.c.Withdrawals(r.Context(), "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var rows [][]string
	for _, wd := range wds {
		aps, err := h.c.Approvals(r.Context(), wd.ID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		var who []string
		for _, a := range aps {
			who = append(who, a.Approver)
		}
		txid := ""
		if wd.TxID != nil {
			txid = wd.TxID.String()
		}
		rows = append(rows, []string{wd.ID, wd.Created.UTC().Format(time.RFC3339), wd.Wallet, wd.Requester, wd.State,
			wd.Destination, sats(wd.Amount), btcText(wd.Amount), sats(wd.Fee), txid, strconv.Itoa(int(wd.Confirmations)),
			strings.Join(who, " "), wd.Replaces, wd.ReplacedBy, wd.Memo, wd.FeePreset})
	}
	h.writeCSV(w, "airsign-requests.csv", []string{"id", "created", "wallet", "requester", "state", "destination",
		"amount_sat", "amount_btc", "fee_sat", "txid", "confirmations", "approvers", "replaces", "replaced_by", "memo", "fee_preset"}, rows)
}

// historyCSV is a wallet's deposits and withdrawals, newest first.
func (h *Handler) historyCSV(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	v, err := h.walletView(r, r.PathValue("name"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var rows [][]string
	for _, m := range v.Moves {
		rows = append(rows, []string{m.TxID, strconv.Itoa(int(m.Confirmations)), sats(m.Received), sats(m.Sent), sats(m.Net), btcText(m.Net)})
	}
	h.writeCSV(w, "airsign-"+v.Wallet.Name+"-history.csv", []string{"txid", "confirmations", "received_sat", "sent_sat", "net_sat", "net_btc"}, rows)
}
