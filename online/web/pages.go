package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcutil"

	"airsign/online/coordinator"
	"airsign/online/store"
	"airsign/psbt"
	"airsign/psbt/amount"
	"airsign/psbt/approval"
	"airsign/ui/qr"
)

type walletRow struct {
	store.Wallet
	Balance balanceView
	Pending int
}

// balanceView is a wallet's balance as people read it: the total, its
// parts, and which request holds the reserved coins.
type balanceView struct {
	Wallet string
	coordinator.Balance
	Total      btcutil.Amount
	ReservedBy []store.Reservation
}

func (h *Handler) balance(r *http.Request, wallet string) (balanceView, error) {
	b, err := h.c.Balance(r.Context(), wallet)
	if err != nil {
		return balanceView{}, err
	}
	v := balanceView{Wallet: wallet, Balance: b, Total: b.Confirmed + b.Unconfirmed + b.Reserved}
	if v.ReservedBy, err = h.c.ReservedBy(r.Context(), wallet); err != nil {
		return balanceView{}, err
	}
	return v, nil
}

func (h *Handler) wallets(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	ws, err := h.c.Wallets(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	wds, err := h.c.Withdrawals(r.Context(), "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	tip, err := h.c.Tip(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var rows []walletRow
	for _, wl := range ws {
		b, err := h.balance(r, wl.Name)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		row := walletRow{Wallet: wl, Balance: b}
		for _, wd := range wds {
			if wd.Wallet == wl.Name && wd.State == string(store.StatusPending) {
				row.Pending++
			}
		}
		rows = append(rows, row)
	}
	h.render(w, r, http.StatusOK, "wallets", page{Title: "Wallets", Active: "wallets",
		Data: struct {
			Wallets []walletRow
			Tip     int32
		}{rows, tip}})
}

type utxoRow struct {
	OutPoint      string
	Value         btcutil.Amount
	Confirmations int32
	Reserved      bool
	// ReservedBy is the request holding a reserved output.
	ReservedBy string
	Spending   bool
	// Recovery says when the coin's recovery path opens, for a wallet
	// that has one.
	Recovery string
}

type moveRow struct {
	TxID                string
	Confirmations       int32
	Received, Sent, Net btcutil.Amount
}

type walletView struct {
	Wallet  store.Wallet
	Balance balanceView
	UTXOs   []utxoRow
	Moves   []moveRow
	Address *coordinator.Address
	// Quorum is what the treasury recorded of the kiosk's policy on
	// approvals, nil when nothing is.
	Quorum *coordinator.Quorum
	Kinds  []kindChoice
	// RecoveryLock is the relative lock of the wallet's recovery path in
	// blocks, 0 when it has none; Policy its BIP-388 template.
	RecoveryLock uint32
	Policy       string
	// RefreshSoon counts the coins whose recovery path opens within the
	// warning window (or is open), RecoveryWarn that window in blocks.
	RefreshSoon  int
	RecoveryWarn uint32
}

// kindChoice is one approval kind on the wallet page's quorum form.
type kindChoice struct {
	Kind, Name string
	Counted    bool
}

func confirmations(tip, height int32) int32 {
	if height <= 0 || height > tip {
		return 0
	}
	return tip - height + 1
}

func (h *Handler) walletView(r *http.Request, name string) (walletView, error) {
	wl, err := h.c.Wallet(r.Context(), name)
	if err != nil {
		return walletView{}, err
	}
	v := walletView{Wallet: wl.Wallet}
	if v.Balance, err = h.balance(r, name); err != nil {
		return walletView{}, err
	}
	utxos, lock, err := h.c.Coins(r.Context(), name)
	if err != nil {
		return walletView{}, err
	}
	v.RecoveryLock, v.RecoveryWarn = lock, h.c.RecoveryWarn()
	for _, u := range utxos {
		if u.RefreshSoon && u.SpentBy == nil {
			v.RefreshSoon++
		}
	}
	if wl.Script != nil {
		v.Policy = wl.Script.Template()
	}
	wds, err := h.c.Withdrawals(r.Context(), name)
	if err != nil {
		return walletView{}, err
	}
	reserved := map[string]string{} // outpoint → request
	for _, wd := range wds {
		if wd.Status == store.StatusPending || wd.Status == store.StatusBroadcast {
			for _, in := range wd.Inputs {
				reserved[in.String()] = wd.ID
			}
		}
	}
	for _, u := range utxos {
		if u.SpentBy != nil && u.SpentHeight > 0 {
			continue
		}
		v.UTXOs = append(v.UTXOs, utxoRow{OutPoint: u.OutPoint.String(), Value: u.Value,
			Confirmations: confirmations(v.Balance.Tip, u.Height), Reserved: reserved[u.OutPoint.String()] != "", ReservedBy: reserved[u.OutPoint.String()], Spending: u.SpentBy != nil,
			Recovery: u.RecoveryText()})
	}
	q, ok, err := h.c.Quorum(r.Context(), name)
	if err != nil {
		return walletView{}, err
	}
	if ok {
		v.Quorum = &q
	}
	for _, k := range approval.Kinds {
		v.Kinds = append(v.Kinds, kindChoice{Kind: string(k), Name: kindName(string(k)), Counted: q.Counts(string(k))})
	}
	moves, err := h.c.History(r.Context(), name)
	if err != nil {
		return walletView{}, err
	}
	for _, m := range moves {
		v.Moves = append(v.Moves, moveRow{TxID: m.TxID.String(), Confirmations: confirmations(v.Balance.Tip, m.Height),
			Received: m.Received, Sent: m.Sent, Net: m.Net()})
	}
	return v, nil
}

func (h *Handler) wallet(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	v, err := h.walletView(r, r.PathValue("name"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var notice string
	if r.URL.Query().Get("done") == "quorum" {
		notice = "Recorded. The request pages of " + v.Wallet.Name + " count approvals against it; the kiosk still checks its own policy."
	}
	h.render(w, r, http.StatusOK, "wallet", page{Title: "Wallet " + v.Wallet.Name, Active: "wallets", Notice: notice, Data: v})
}

// receive hands out the next receive address and shows it with its QR.
func (h *Handler) receive(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	name := r.PathValue("name")
	a, err := h.c.Receive(r.Context(), name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.record("receive", map[string]any{"wallet": name, "address": a.Address, "index": a.Index, "user": s.user.Name, "via": "web"})
	v, err := h.walletView(r, name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Address = &a
	h.render(w, r, http.StatusOK, "wallet", page{Title: "Wallet " + name, Active: "wallets",
		Notice: "A new receive address of " + name + " is below. Give it to the payer as shown; the coordinator watches it.", Data: v})
}

// quorum records (or, with 0, forgets) how many approvals the wallet's
// kiosk policy needs and of which kinds, as the custodians set it at the
// kiosk: the request pages then count them.
func (h *Handler) quorum(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	name := r.PathValue("name")
	need, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("need")))
	if err != nil {
		need = -1
	}
	var kinds []approval.Kind
	for _, k := range r.PostForm["kind"] {
		kinds = append(kinds, approval.Kind(k))
	}
	if slices.Equal(kinds, coordinator.DefaultApprovalKinds) {
		kinds = nil // the kiosk's default: recorded as such
	}
	if need > 0 && len(r.PostForm["kind"]) == 0 {
		err = fmt.Errorf("%w: tick the kinds of key the kiosk's policy counts", coordinator.ErrInvalid)
	} else {
		err = h.c.SetQuorum(r.Context(), name, need, kinds, s.user.Name)
	}
	if err != nil {
		v, verr := h.walletView(r, name)
		if verr != nil {
			h.fail(w, r, err)
			return
		}
		status, msg := classify(err)
		h.render(w, r, status, "wallet", page{Title: "Wallet " + name, Active: "wallets", Error: msg, Data: v})
		return
	}
	http.Redirect(w, r, "/wallets/"+name+"?done=quorum", http.StatusSeeOther)
}

// qrPNG draws a short text (a receive address) as a QR code.
func (h *Handler) qrPNG(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	text := r.URL.Query().Get("text")
	if text == "" || len(text) > 200 {
		h.refuse(w, r, http.StatusBadRequest, "qr.png draws up to 200 characters of text", nil)
		return
	}
	content := []byte(text)
	// A bech32 address, alone or as a BIP21 payment request
	// (bitcoin:ADDRESS), is case-insensitive, and its upper case fits
	// QR's alphanumeric mode: a smaller, sturdier code.
	if addr, _ := strings.CutPrefix(text, "bitcoin:"); isBech32(addr) && !strings.ContainsAny(addr, "?&=") {
		content = []byte(strings.ToUpper(text))
	}
	png, err := qr.PNG(content, qr.ImageOptions{Level: qr.Medium, ModulePixels: 6})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(png)
}

func isBech32(s string) bool {
	s = strings.ToLower(s)
	return strings.HasPrefix(s, "bc1") || strings.HasPrefix(s, "tb1") || strings.HasPrefix(s, "bcrt1")
}

type inputRow struct {
	OutPoint      string
	Value         btcutil.Amount
	Confirmations int32
}

type previewView struct {
	Wallet, To    string
	ToName, Memo  string
	FeePreset     string
	Amount, Fee   btcutil.Amount
	Change        btcutil.Amount
	FeeRate       string
	FeeRateSource string
	VSize         int
	Algorithm     string
	Inputs        []inputRow
}

type withdrawForm struct {
	Wallets            []string
	Wallet, To, Amount string
	Unit, FeeRate      string
	Estimate           float64
	EstimateSource     string
	EstimateErr        string
	MaxFeeRate         float64
	PaidBefore         []string
	Preview            *previewView
	// The address book, the payee picked, the memo and the fee preset.
	Payees      []store.Payee
	Payee, Memo string
	FeePreset   string
	Fees        []coordinator.FeeOption
	MaxMemo     int
}

func (h *Handler) withdrawForm(r *http.Request) (withdrawForm, error) {
	f := withdrawForm{Unit: "btc", MaxFeeRate: 1000, FeePreset: coordinator.FeeNormal, MaxMemo: coordinator.MaxLabel,
		Fees: h.c.FeeOptions(r.Context())}
	ws, err := h.c.Wallets(r.Context())
	if err != nil {
		return f, err
	}
	for _, wl := range ws {
		f.Wallets = append(f.Wallets, wl.Name)
	}
	rate, source, err := h.c.FeeEstimate(r.Context())
	if err != nil {
		f.EstimateErr = err.Error()
	} else {
		f.Estimate, f.EstimateSource = rate, source
	}
	if f.Payees, err = h.c.Payees(r.Context()); err != nil {
		return f, err
	}
	wds, err := h.c.Withdrawals(r.Context(), "")
	if err != nil {
		return f, err
	}
	for i := len(wds) - 1; i >= 0 && len(f.PaidBefore) < 50; i-- {
		if !slices.Contains(f.PaidBefore, wds[i].Destination) {
			f.PaidBefore = append(f.PaidBefore, wds[i].Destination)
		}
	}
	return f, nil
}

func (h *Handler) withdrawPage(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	f, err := h.withdrawForm(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(f.Wallets) > 0 {
		f.Wallet = f.Wallets[0]
	}
	if q := r.URL.Query().Get("wallet"); q != "" {
		f.Wallet = q
	}
	f.Payee = capText(r.URL.Query().Get("payee"), coordinator.MaxPayeeName) // the address book's Pay link
	h.render(w, r, http.StatusOK, "withdraw", page{Title: "New withdrawal", Active: "withdraw", Data: f})
}

// withdraw previews (action=preview) or creates (action=create) a
// request. Creating selects coins again: the preview reserved nothing, so
// the request may differ if the wallet changed in between, and the request
// page shows what was built.
func (h *Handler) withdraw(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	f, err := h.withdrawForm(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	pf := r.PostForm
	f.Wallet, f.To, f.Amount, f.Unit, f.FeeRate = pf.Get("wallet"), strings.TrimSpace(pf.Get("to")), pf.Get("amount"), pf.Get("unit"), pf.Get("feerate")
	f.Payee, f.Memo, f.FeePreset = pf.Get("payee"), strings.TrimSpace(pf.Get("memo")), pf.Get("feepreset")
	show := func(status int, msg string) {
		h.render(w, r, status, "withdraw", page{Title: "New withdrawal", Active: "withdraw", Error: msg, Data: f})
	}
	to, err := h.payeeChoice(r, f.Payee, f.To)
	if err != nil {
		status, msg := classify(err)
		show(status, "Destination: "+msg)
		return
	}
	if err := coordinator.CheckMemo(f.Memo); err != nil {
		_, msg := classify(err)
		show(http.StatusBadRequest, "Memo: "+msg)
		return
	}
	amt, err := amount.ParseIn(f.Amount, f.Unit)
	if err != nil {
		show(http.StatusBadRequest, "Amount: "+err.Error()+".")
		return
	}
	rate, err := parseFeeRate(f.FeeRate)
	if err != nil {
		show(http.StatusBadRequest, "Fee rate: "+err.Error()+".")
		return
	}
	if to == "" || len(to) > 100 {
		show(http.StatusBadRequest, "Destination: pick a payee or give the address to pay (up to 100 characters).")
		return
	}
	preset := f.FeePreset
	if preset == coordinator.FeeCustom && rate == 0 {
		show(http.StatusBadRequest, "Fee rate: you chose a custom fee; give its rate in sat/vB, or choose a preset.")
		return
	}
	req := coordinator.WithdrawRequest{Wallet: f.Wallet, To: to, Amount: amt, FeeRate: rate, FeePreset: preset, Memo: f.Memo, Requester: s.user.Name}
	switch pf.Get("action") {
	case "preview":
		p, err := h.c.Preview(r.Context(), req)
		if err != nil {
			status, msg := classify(err)
			show(status, msg)
			return
		}
		pv := &previewView{Wallet: p.Wallet, To: p.To, Amount: p.Amount, Fee: p.Fee, Change: p.Change,
			FeeRate: p.FeeRate.String(), FeeRateSource: p.FeeRateSource, VSize: p.VSize, Algorithm: p.Algorithm,
			Memo: f.Memo, FeePreset: p.FeePreset}
		if names, err := h.c.Names(r.Context()); err == nil {
			pv.ToName = names[h.c.CanonicalAddress(p.To)]
		}
		tip, _ := h.c.Tip(r.Context())
		for _, in := range p.Inputs {
			pv.Inputs = append(pv.Inputs, inputRow{in.OutPoint.String(), in.Value, confirmations(tip, in.Height)})
		}
		f.Preview = pv
		show(http.StatusOK, "")
	case "create":
		wd, err := h.c.Withdraw(r.Context(), req)
		if err != nil {
			status, msg := classify(err)
			show(status, msg)
			return
		}
		http.Redirect(w, r, "/requests/"+wd.ID+"?done=created", http.StatusSeeOther)
	default:
		show(http.StatusBadRequest, "Press Preview, check what would be spent, then Create.")
	}
}

type requestRow struct {
	ID, Wallet, Requester, To, State string
	// ToName is what the address book or a label calls To; Memo the
	// requester's note.
	ToName, Memo string
	// Revokes names the request a revocation revokes: its payment goes
	// to the wallet's own change address, which is not a destination.
	Revokes       string
	Created       time.Time
	Amount        btcutil.Amount
	Confirmations int32
	Approvers     []string
}

// requestStates are the states a request can be in, for the filter.
var requestStates = []string{"pending", "broadcast", "confirmed", "cancelled", "cancelling", "revoked", "replaced", "conflicted", "cancelled-but-paid"}

// requestFilter is what the requests page shows: a state, a wallet, and
// text found in the id, destination, requester or an approver's name.
type requestFilter struct {
	State, Wallet, Text string
}

func filterOf(r *http.Request) requestFilter {
	q := r.URL.Query()
	return requestFilter{State: capText(q.Get("state"), 32), Wallet: capText(q.Get("wallet"), 64), Text: capText(strings.TrimSpace(q.Get("q")), 100)}
}

// Query is the filter as a query string, for the page's links and poll.
func (f requestFilter) Query() string {
	v := url.Values{}
	for k, s := range map[string]string{"state": f.State, "wallet": f.Wallet, "q": f.Text} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v.Encode()
}

func (f requestFilter) keeps(row requestRow) bool {
	if f.State != "" && row.State != f.State || f.Wallet != "" && row.Wallet != f.Wallet {
		return false
	}
	if f.Text == "" {
		return true
	}
	t := strings.ToLower(f.Text)
	for _, s := range append([]string{row.ID, row.To, row.Requester, row.Revokes, row.ToName, row.Memo}, row.Approvers...) {
		if strings.Contains(strings.ToLower(s), t) {
			return true
		}
	}
	return false
}

func (h *Handler) requestRows(r *http.Request) ([]requestRow, error) {
	wds, err := h.c.Withdrawals(r.Context(), "")
	if err != nil {
		return nil, err
	}
	filter := filterOf(r)
	names, err := h.c.Names(r.Context())
	if err != nil {
		return nil, err
	}
	var rows []requestRow
	for i := len(wds) - 1; i >= 0; i-- { // newest first
		wd := wds[i]
		if filter.State != "" && wd.State != filter.State || filter.Wallet != "" && wd.Wallet != filter.Wallet {
			continue
		}
		aps, err := h.c.Approvals(r.Context(), wd.ID)
		if err != nil {
			return nil, err
		}
		row := requestRow{ID: wd.ID, Wallet: wd.Wallet, Requester: wd.Requester, To: wd.Destination, State: wd.State,
			Created: wd.Created, Amount: wd.Amount, Confirmations: wd.Confirmations,
			ToName: names[h.c.CanonicalAddress(wd.Destination)], Memo: wd.Memo}
		if wd.Revokes {
			row.Revokes = wd.Replaces
		}
		for _, a := range aps {
			row.Approvers = append(row.Approvers, a.Approver)
		}
		if filter.keeps(row) {
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// version is a digest of what a page shows, for the poller to notice a
// change without comparing pages.
func version(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func (h *Handler) requests(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	rows, err := h.requestRows(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	wallets, err := h.c.Wallets(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var names []string
	for _, wl := range wallets {
		names = append(names, wl.Name)
	}
	h.render(w, r, http.StatusOK, "requests", page{Title: "Requests", Active: "requests",
		Data: struct {
			Rows    []requestRow
			Version string
			Filter  requestFilter
			Wallets []string
			States  []string
		}{rows, version(rows), filterOf(r), names, requestStates}})
}

func (h *Handler) requestsVersion(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	rows, err := h.requestRows(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"version": version(rows)})
}

// approvalRow is an approval as the request page lists it: Uncounted
// when the kind of key is one the recorded policy does not count.
type approvalRow struct {
	store.Approval
	Uncounted bool
}

type step struct {
	Name, Note   string
	Done, Failed bool
}

type requestView struct {
	ID, Wallet, Requester, To, State string
	ToName, Memo, FeePreset          string
	Created                          time.Time
	Amount, Fee                      btcutil.Amount
	FeeRate                          string
	UnsignedTxID, TxID               string
	Replaces, ReplacedBy             string
	Revokes                          bool
	Confirmations                    int32
	Approvals                        []approvalRow
	Steps                            []step
	CanApprove, CanCancel, CanReject bool
	HasSecurityKey                   bool
	CanUpload, Live                  bool
	// CanBump offers a fee bump: a pending request, or one broadcast and
	// not yet confirmed, to a requester or above.
	CanBump      bool
	ApproveWhy   string
	Density      string
	Format       string // the Format control: "bbqr" or "ur"
	PSBTVersion  int
	FrameCount   int
	MaxUploadMiB int64
	MaxFiles     int
	Version      string
	// Need is the approvals recorded for the wallet's kiosk policy (0:
	// nothing recorded); Counted the approvers whose approvals count
	// toward it. Ready is when the QR is worth carrying: enough approvals,
	// or nothing recorded.
	Need    int
	Counted []string
	Ready   bool
	// Transfer is this session's transfer of the signed PSBT under way,
	// nil when none holds a part.
	Transfer *transferStatus
}

// statusKey is what the live poller compares: state, confirmations and
// approvals.
type statusKey struct {
	State         string
	Confirmations int32
	Approvers     []string
	// Kept is the count of cosigners' signatures kept in a pending
	// multisig request's PSBT: when it grows the QR changes.
	Kept int
}

func (h *Handler) requestView(r *http.Request, s *sessionInfo) (requestView, error) {
	wd, err := h.c.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return requestView{}, err
	}
	aps, err := h.c.Approvals(r.Context(), wd.ID)
	if err != nil {
		return requestView{}, err
	}
	v := requestView{ID: wd.ID, Wallet: wd.Wallet, Requester: wd.Requester, To: wd.Destination, State: wd.State,
		Created: wd.Created, Amount: wd.Amount, Fee: wd.Fee, FeeRate: strconv.FormatFloat(float64(wd.FeeRate)/1000, 'f', -1, 64) + " sat/vB",
		UnsignedTxID: wd.UnsignedTxID.String(), Replaces: wd.Replaces, ReplacedBy: wd.ReplacedBy, Revokes: wd.Revokes,
		Confirmations: wd.Confirmations, MaxUploadMiB: h.opts.MaxUpload >> 20, MaxFiles: maxUploadFiles,
		Memo: wd.Memo, FeePreset: wd.FeePreset}
	if wd.TxID != nil {
		v.TxID = wd.TxID.String()
	}
	names, err := h.c.Names(r.Context())
	if err != nil {
		return requestView{}, err
	}
	v.ToName = names[h.c.CanonicalAddress(wd.Destination)]
	key := statusKey{State: wd.State, Confirmations: wd.Confirmations}
	if wd.Status == store.StatusPending {
		// Signatures a multisig cosigner already gave (the coordinator
		// keeps them until the transaction is complete).
		if n, err := psbt.VerifySignatures(wd.Packet); err == nil {
			key.Kept = n
		}
	}
	for _, a := range aps {
		key.Approvers = append(key.Approvers, a.Approver)
	}
	v.Version = version(key)

	pending := wd.Status == store.StatusPending
	v.Live = pending
	u := s.user
	q, recorded, err := h.c.Quorum(r.Context(), wd.Wallet)
	if err != nil {
		return requestView{}, err
	}
	now := h.opts.Now()
	approved := false // u already has an approval that counts
	if recorded {
		v.Need, v.Counted = q.Need, q.Counted(aps, now)
		approved = slices.Contains(v.Counted, u.Name)
	} else {
		approved = slices.ContainsFunc(aps, func(a store.Approval) bool { return a.Approver == u.Name && now.Before(a.Expires) })
	}
	v.Ready = !recorded || len(v.Counted) >= v.Need
	for _, a := range aps {
		v.Approvals = append(v.Approvals, approvalRow{Approval: a, Uncounted: recorded && !q.Counts(a.Kind)})
	}
	switch {
	case !pending:
	case approved:
		v.ApproveWhy = "You approved this request."
	case !u.Role.AtLeast(store.RoleApprover):
		v.ApproveWhy = "Approvers and admins approve requests; your role is " + string(u.Role) + "."
	case u.Name == wd.Requester:
		v.ApproveWhy = "You made this request, so another approver must approve it (four eyes)."
	case u.Name == wd.BumpedBy:
		v.ApproveWhy = "You bumped this request's fee, so another approver must approve it (four eyes)."
	default:
		v.CanApprove = true
		v.HasSecurityKey = h.hasSecurityKey(r, u.Name)
	}
	// A conflicted request can never confirm: closing it is all that is
	// left, even after a broadcast.
	closable := pending || wd.State == coordinator.StateConflicted
	v.CanCancel = closable && (u.Name == wd.Requester || u.Role.AtLeast(store.RoleAdmin))
	v.CanReject = pending && !v.CanCancel && u.Role.AtLeast(store.RoleApprover)
	v.CanUpload = pending && u.Role.AtLeast(store.RoleRequester)
	v.CanBump = (pending || wd.State == string(store.StatusBroadcast) && wd.Confirmations <= 0) && u.Role.AtLeast(store.RoleRequester)
	if v.CanUpload {
		v.Transfer = h.scans.status(scanKey(s, wd.ID), h.opts.Now())
	}

	// The timeline: created → approved → signed → broadcast → confirmed.
	created := "by " + wd.Requester
	switch {
	case wd.Revokes:
		created += ", revoked by " + wd.BumpedBy
	case wd.BumpedBy != "":
		created += ", fee bumped by " + wd.BumpedBy
	}
	v.Steps = []step{{Name: "Created", Note: created + ", " + wd.Created.UTC().Format("Jan 2 15:04 UTC"), Done: true}}
	approvedStep := step{Name: "Approved", Note: "waiting for an approver"}
	switch {
	case recorded:
		approvedStep.Done = len(v.Counted) >= v.Need
		approvedStep.Note = fmt.Sprintf("%d of %d", len(v.Counted), v.Need)
		if len(v.Counted) > 0 {
			approvedStep.Note += ": " + strings.Join(v.Counted, ", ")
		}
	case len(aps) > 0:
		approvedStep.Done = true
		approvedStep.Note = fmt.Sprintf("%d: %s", len(aps), strings.Join(key.Approvers, ", "))
	}
	signed := step{Name: "Signed", Note: "at the kiosk, brought back by QR"}
	broadcast := step{Name: "Broadcast", Note: "to the node"}
	confirmed := step{Name: "Confirmed", Note: "in a block"}
	if key.Kept > 0 {
		signed.Note = fmt.Sprintf("%d signature(s) of a cosigner kept; the next cosigner's kiosk signs the QR below", key.Kept)
	}
	if wd.TxID != nil {
		signed.Done, signed.Note = true, "signatures verified"
		broadcast.Done, broadcast.Note = true, "txid "+wd.TxID.String()[:12]+"…"
	}
	if wd.Confirmations > 0 {
		confirmed.Done, confirmed.Note = true, fmt.Sprintf("%d confirmation(s)", wd.Confirmations)
	}
	v.Steps = append(v.Steps, approvedStep, signed, broadcast, confirmed)
	switch wd.Status {
	case store.StatusCancelled:
		v.Steps = append(v.Steps, step{Name: "Cancelled", Note: "its coins are free again", Failed: true})
	case store.StatusReplaced:
		v.Steps = append(v.Steps, step{Name: "Replaced", Note: "by " + wd.ReplacedBy + " (fee bump)", Failed: true})
	}
	if pending {
		v.Density = density(r.URL.Query().Get("density"))
		v.PSBTVersion = psbtVersion(r.URL.Query().Get("psbt_version"))
		v.Format = formatName(r.URL.Query().Get("format"))
		data, err := coordinator.PSBTInVersion(wd.PSBT, v.PSBTVersion)
		if err != nil {
			return requestView{}, err
		}
		parts, err := h.parts(data, v.Density, qrFormat(v.Format))
		if err != nil {
			return requestView{}, err
		}
		v.FrameCount = len(parts)
	}
	return v, nil
}

var doneNotices = map[string]string{
	"created":    "Request created. Its coins are reserved until it is broadcast or cancelled. An approver approves it next.",
	"approved":   "Approved. The QR code below now carries your approval to the kiosk.",
	"cancelled":  "Request cancelled; its coins are free again.",
	"bumped":     "Fee bumped: this request replaces the one before it at a higher fee rate. It needs its approvals again; carry it to the kiosk and sign it, and the old one can no longer confirm once this one does.",
	"revocation": "Revocation created: it pays every coin of the cancelled request back to the wallet. Carry it to the kiosk and sign it; once it confirms, no signed copy of the request can pay.",
	"rejected":   "Request rejected and cancelled; its coins are free again.",
	"broadcast":  "Signed transaction received, verified and broadcast. It confirms when a block includes it.",
	"restarted":  "The transfer under way was discarded. Upload or scan the kiosk's signed frames from the start.",
}

func (h *Handler) request(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	v, err := h.requestView(r, s)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "request", page{Title: "Request " + v.ID, Active: "requests",
		Notice: doneNotices[r.URL.Query().Get("done")], Data: v})
}

func (h *Handler) requestVersion(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	v, err := h.requestView(r, s)
	if err != nil {
		status, msg := classify(err)
		writeJSON(w, status, map[string]any{"error": true, "message": msg})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"version": v.Version, "state": v.State, "confirmations": v.Confirmations})
}

func (h *Handler) showRequestError(w http.ResponseWriter, r *http.Request, s *sessionInfo, err error) {
	status, msg := classify(err)
	if status == http.StatusInternalServerError {
		h.opts.Logf("web: %s %s: internal error: %v", r.Method, r.URL.Path, err)
	}
	h.showRequestMsg(w, r, s, status, msg)
}

// showRequestMsg shows the request page with an error at the top, so the
// person sees what was wrong next to what they tried to do.
func (h *Handler) showRequestMsg(w http.ResponseWriter, r *http.Request, s *sessionInfo, status int, msg string) {
	v, err := h.requestView(r, s)
	if err != nil {
		h.errorPage(w, r, err, status, http.StatusText(status), msg)
		return
	}
	h.render(w, r, status, "request", page{Title: "Request " + v.ID, Active: "requests", Error: msg, Data: v})
}

func (h *Handler) approve(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	id := r.PathValue("id")
	pw := []byte(r.PostForm.Get("password"))
	defer clear(pw)
	expires, err := time.ParseDuration(r.PostForm.Get("expires"))
	if err != nil || expires <= 0 || expires > coordinator.MaxApprovalExpiry {
		h.showRequestError(w, r, s, fmt.Errorf("%w: validity %q: choose one of the offered durations", coordinator.ErrInvalid, r.PostForm.Get("expires")))
		return
	}
	if len(pw) == 0 || len(pw) > coordinator.MaxPasswordLen {
		h.showRequestError(w, r, s, fmt.Errorf("%w: give your approval-key password (the one set with user approval-key, not your sign-in password)", coordinator.ErrInvalid))
		return
	}
	// Approve checks four eyes and the role itself and records refusals.
	// Its argon2id run shares the sign-in semaphore.
	wait, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	select {
	case h.kdf.slots <- struct{}{}:
	case <-wait.Done():
		h.showRequestError(w, r, s, errors.New("the coordinator is busy checking passwords (sign-ins or approvals); approve again in a moment"))
		return
	}
	_, err = h.c.Approve(r.Context(), id, s.user.Name, pw, expires)
	<-h.kdf.slots
	if err != nil {
		h.showRequestError(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/requests/"+id+"?done=approved", http.StatusSeeOther)
}

// bump replaces a request by one paying a higher fee rate, for the kiosk
// to sign again; the page of the replacement says so.
func (h *Handler) bump(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	rate, err := parseFeeRate(r.PostForm.Get("feerate"))
	if err == nil && rate == 0 {
		err = fmt.Errorf("give the new fee rate in sat/vB, higher than the request's")
	}
	if err != nil {
		h.showRequestMsg(w, r, s, http.StatusBadRequest, "Fee rate: "+err.Error()+".")
		return
	}
	wd, err := h.c.BumpFee(r.Context(), r.PathValue("id"), rate, s.user.Name)
	if err != nil {
		h.showRequestError(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/requests/"+wd.ID+"?done=bumped", http.StatusSeeOther)
}

func (h *Handler) cancel(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	wd, err := h.c.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if wd.Requester != s.user.Name && !s.user.Role.AtLeast(store.RoleAdmin) {
		h.refuse(w, r, http.StatusForbidden, fmt.Sprintf("Request %s was made by %s; only they or an admin may cancel it. Approvers reject it instead.", wd.ID, wd.Requester),
			map[string]any{"user": s.user.Name, "request": wd.ID, "reason": "not the requester"})
		return
	}
	if r.PostForm.Get("revoke") != "" {
		// The PSBT has left: a revocation for the kiosk to sign, which
		// spends every coin back so no signed copy can pay.
		rev, err := h.c.Revoke(r.Context(), wd.ID, 0, s.user.Name)
		h.record("web-cancel", map[string]any{"request": wd.ID, "user": s.user.Name, "revoke": true, "reason": capText(r.PostForm.Get("reason"), 200), "result": result(err)})
		if err != nil {
			h.showRequestError(w, r, s, err)
			return
		}
		http.Redirect(w, r, "/requests/"+rev.ID+"?done=revocation", http.StatusSeeOther)
		return
	}
	err = h.c.Cancel(r.Context(), wd.ID)
	h.record("web-cancel", map[string]any{"request": wd.ID, "user": s.user.Name, "reason": capText(r.PostForm.Get("reason"), 200), "result": result(err)})
	if err != nil {
		h.showRequestError(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/requests/"+wd.ID+"?done=cancelled", http.StatusSeeOther)
}

// reject is an approver saying no to someone else's request: it is
// cancelled, and the audit log says who rejected it and why.
func (h *Handler) reject(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	wd, err := h.c.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if wd.Requester == s.user.Name {
		h.refuse(w, r, http.StatusForbidden, "This is your own request: cancel it instead of rejecting it.",
			map[string]any{"user": s.user.Name, "request": wd.ID, "reason": "own request"})
		return
	}
	err = h.c.Cancel(r.Context(), wd.ID)
	h.record("web-reject", map[string]any{"request": wd.ID, "user": s.user.Name, "reason": capText(r.PostForm.Get("reason"), 200), "result": result(err)})
	if err != nil {
		h.showRequestError(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/requests/"+wd.ID+"?done=rejected", http.StatusSeeOther)
}

// result is an audit entry's outcome of err.
func result(err error) string {
	if err != nil {
		return "refused: " + err.Error()
	}
	return "done"
}

func capText(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

type auditRow struct {
	Seq    uint64
	Time   time.Time
	Kind   string
	Result string
	Data   string
}

const auditPage = 200

func (h *Handler) audit(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	if h.opts.Audit == nil {
		h.errorPage(w, r, nil, http.StatusNotFound, "No audit log", "This coordinator runs without an audit log.")
		return
	}
	entries, err := h.opts.Audit.Entries()
	if err != nil {
		h.fail(w, r, fmt.Errorf("reading the audit log: %w", err))
		return
	}
	end := len(entries)
	if b := r.URL.Query().Get("before"); b != "" {
		n, err := strconv.Atoi(b)
		if err != nil || n < 0 {
			h.refuse(w, r, http.StatusBadRequest, "before= takes an entry number", nil)
			return
		}
		end = min(n, end)
	}
	var rows []auditRow
	for i := end - 1; i >= 0 && i >= end-auditPage; i-- {
		e := entries[i]
		row := auditRow{Seq: e.Seq, Time: e.Time, Kind: e.Kind, Data: string(e.Data)}
		var m map[string]any
		if json.Unmarshal(e.Data, &m) == nil {
			if res, ok := m["result"].(string); ok {
				row.Result = res
			}
		}
		rows = append(rows, row)
	}
	cp, err := h.opts.Audit.Checkpoint()
	var note string
	if err == nil {
		note = string(cp.Note)
	}
	older := 0
	if end-auditPage > 0 {
		older = end - auditPage
	}
	h.render(w, r, http.StatusOK, "audit", page{Title: "Audit", Active: "audit", Data: struct {
		Entries    []auditRow
		Size       int
		Key        string
		Checkpoint string
		Older      int
	}{rows, len(entries), h.opts.Audit.VerifierKey(), note, older}})
}

func (h *Handler) auditExport(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	if h.opts.Audit == nil {
		h.errorPage(w, r, nil, http.StatusNotFound, "No audit log", "This coordinator runs without an audit log.")
		return
	}
	data, err := h.opts.Audit.Export(0)
	if err != nil {
		h.fail(w, r, fmt.Errorf("exporting the audit log: %w", err))
		return
	}
	h.record("audit-export", map[string]any{"user": s.user.Name, "since": 0, "via": "web"})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="coordinator-audit-export.json"`)
	w.Write(data)
}

func (h *Handler) auditCheckpoint(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	if h.opts.Audit == nil {
		h.errorPage(w, r, nil, http.StatusNotFound, "No audit log", "This coordinator runs without an audit log.")
		return
	}
	cp, err := h.opts.Audit.Checkpoint()
	if err != nil {
		h.fail(w, r, errors.Join(errors.New("reading the checkpoint"), err))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="coordinator-checkpoint.txt"`)
	w.Write(cp.Note)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
