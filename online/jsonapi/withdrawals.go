package jsonapi

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/btcsuite/btcd/btcutil"

	"airsign/online/coordinator"
	"airsign/online/store"
)

type withdrawRequest struct {
	Wallet  string  `json:"wallet"`
	To      string  `json:"to"`
	Amount  int64   `json:"amount_sat"`
	FeeRate float64 `json:"feerate_sat_vb"`
	// FeePreset is economy, normal or priority (the node's estimate for
	// that target), or custom with FeeRate; empty: custom when FeeRate is
	// given, else normal.
	FeePreset string `json:"fee_preset"`
	Memo      string `json:"memo"`
	// Path is a wallet's spending path: primary (or empty) or recovery,
	// which spends the coins whose lock has passed.
	Path string `json:"path"`
}

type selectionJSON struct {
	Algorithm string   `json:"algorithm"` // bnb, knapsack, largest-first; "bump" for a fee bump
	Waste     int64    `json:"waste"`
	Inputs    []string `json:"inputs"` // txid:vout
	Change    int64    `json:"change_sat"`
}

type withdrawalJSON struct {
	ID            string    `json:"id"`
	Wallet        string    `json:"wallet"`
	State         string    `json:"state"` // pending, broadcast, confirmed, cancelled, replaced
	Confirmations int32     `json:"confirmations"`
	Requester     string    `json:"requester"`
	BumpedBy      string    `json:"bumped_by,omitempty"`
	Created       time.Time `json:"created"`
	To            string    `json:"to"`
	Amount        int64     `json:"amount_sat"`
	Fee           int64     `json:"fee_sat"`
	FeeRate       float64   `json:"feerate_sat_vb"`
	FeeRateSource string    `json:"fee_rate_source,omitempty"`
	FeePreset     string    `json:"fee_preset,omitempty"` // economy, normal, priority, custom
	Memo          string    `json:"memo,omitempty"`
	UnsignedTxID  string    `json:"unsigned_txid"`
	TxID          string    `json:"txid,omitempty"`
	Replaces      string    `json:"replaces,omitempty"`
	ReplacedBy    string    `json:"replaced_by,omitempty"`
	// Revokes is set on a revocation: it pays Replaces' coins back to the
	// wallet's change address (To), not to a destination.
	Revokes   bool           `json:"revokes,omitempty"`
	PSBT      string         `json:"psbt,omitempty"` // base64, unsigned as built
	Selection *selectionJSON `json:"selection,omitempty"`
}

// withdrawalOut renders a request; withPSBT adds the unsigned PSBT, which
// lists leave out to stay small.
func withdrawalOut(wd *coordinator.Withdrawal, withPSBT bool) withdrawalJSON {
	j := withdrawalJSON{ID: wd.ID, Wallet: wd.Wallet, State: wd.State, Confirmations: wd.Confirmations,
		Requester: wd.Requester, BumpedBy: wd.BumpedBy, Created: wd.Created, To: wd.Destination, Amount: int64(wd.Amount),
		Fee: int64(wd.Fee), FeeRate: float64(wd.FeeRate) / 1000, FeeRateSource: wd.FeeRateSource,
		UnsignedTxID: wd.UnsignedTxID.String(), Replaces: wd.Replaces, ReplacedBy: wd.ReplacedBy, Revokes: wd.Revokes,
		FeePreset: wd.FeePreset, Memo: wd.Memo}
	if wd.TxID != nil {
		j.TxID = wd.TxID.String()
	}
	if withPSBT {
		j.PSBT = base64.StdEncoding.EncodeToString(wd.PSBT)
	}
	return j
}

// withSelection adds how the coins were chosen, for a request just built.
func withSelection(j withdrawalJSON, wd *coordinator.Withdrawal, algorithm string) withdrawalJSON {
	sel := &selectionJSON{Algorithm: algorithm, Waste: wd.Selection.Waste, Change: int64(wd.Selection.Change), Inputs: []string{}}
	for _, op := range wd.Inputs {
		sel.Inputs = append(sel.Inputs, op.String())
	}
	j.Selection = sel
	return j
}

func (s *server) withdraw(w http.ResponseWriter, r *http.Request, u store.User) error {
	var req withdrawRequest
	if err := s.decode(w, r, &req, false); err != nil {
		return err
	}
	switch {
	case req.Wallet == "":
		return errInvalid(`field "wallet" is required: the name of the wallet to pay from`)
	case req.To == "":
		return errInvalid(`field "to" is required: the destination address`)
	case req.Amount <= 0 || req.Amount > btcutil.MaxSatoshi:
		return errInvalid(fmt.Sprintf(`field "amount_sat" is %d; give the amount to pay as a positive whole number of satoshis`, req.Amount))
	}
	if err := checkFeeRate(req.FeeRate); err != nil {
		return err
	}
	wd, err := s.c.Withdraw(r.Context(), coordinator.WithdrawRequest{Wallet: req.Wallet, To: req.To,
		Amount: btcutil.Amount(req.Amount), FeeRate: req.FeeRate, FeePreset: req.FeePreset, Memo: req.Memo, Requester: u.Name, Path: req.Path})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, withSelection(withdrawalOut(wd, true), wd, wd.Selection.Algorithm))
	return nil
}

func checkFeeRate(rate float64) error {
	if rate < 0 || math.IsNaN(rate) || math.IsInf(rate, 0) {
		return errInvalid(fmt.Sprintf(`field "feerate_sat_vb" is %v; give a fee rate in sat/vB, or leave it out for the node's estimate`, rate))
	}
	return nil
}

type withdrawalsResponse struct {
	Withdrawals []withdrawalJSON `json:"withdrawals"`
}

func (s *server) listWithdrawals(w http.ResponseWriter, r *http.Request, _ store.User) error {
	wallet := r.URL.Query().Get("wallet")
	if wallet != "" {
		// An unknown wallet is a 404, not an empty list that hides a typo.
		if _, err := s.c.Wallet(r.Context(), wallet); err != nil {
			return err
		}
	}
	wds, err := s.c.Withdrawals(r.Context(), wallet)
	if err != nil {
		return err
	}
	out := withdrawalsResponse{Withdrawals: []withdrawalJSON{}}
	for _, wd := range wds {
		out.Withdrawals = append(out.Withdrawals, withdrawalOut(wd, false))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *server) getWithdrawal(w http.ResponseWriter, r *http.Request, _ store.User) error {
	// Checked first: a bad version is the caller's mistake, whatever the id.
	v, err := coordinator.ParsePSBTVersion(r.URL.Query().Get("psbt_version"))
	if err != nil {
		return errInvalid("psbt_version: " + err.Error())
	}
	wd, err := s.c.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if wd.PSBT, err = coordinator.PSBTInVersion(wd.PSBT, v); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, withdrawalOut(wd, true))
	return nil
}

// owned loads a request that u may act on: the requester's own, or any for
// an admin. Approvers act on others' requests by approving them, not by
// cancelling or replacing them.
func (s *server) owned(r *http.Request, u store.User, action string) (*coordinator.Withdrawal, error) {
	wd, err := s.c.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if wd.Requester != u.Name && !u.Role.AtLeast(store.RoleAdmin) {
		return nil, &httpError{http.StatusForbidden, codeForbidden,
			fmt.Sprintf("request %s was made by %q; only they or an admin may %s it", wd.ID, wd.Requester, action)}
	}
	return wd, nil
}

func (s *server) cancel(w http.ResponseWriter, r *http.Request, u store.User) error {
	if err := s.decode(w, r, &struct{}{}, true); err != nil {
		return err
	}
	wd, err := s.owned(r, u, "cancel")
	if err != nil {
		return err
	}
	if err := s.c.Cancel(r.Context(), wd.ID); err != nil {
		return err
	}
	if wd, err = s.c.Get(r.Context(), wd.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, withdrawalOut(wd, false))
	return nil
}

type bumpRequest struct {
	FeeRate float64 `json:"feerate_sat_vb"`
}

// bumpFee replaces a request with one paying more. The same ownership rule
// as cancel applies: the replacement supersedes the original, so bumping
// another user's request would take it over.
func (s *server) bumpFee(w http.ResponseWriter, r *http.Request, u store.User) error {
	var req bumpRequest
	if err := s.decode(w, r, &req, true); err != nil {
		return err
	}
	if err := checkFeeRate(req.FeeRate); err != nil {
		return err
	}
	old, err := s.owned(r, u, "bump the fee of")
	if err != nil {
		return err
	}
	wd, err := s.c.BumpFee(r.Context(), old.ID, req.FeeRate, u.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, withSelection(withdrawalOut(wd, true), wd, "bump"))
	return nil
}

type finalizeRequest struct {
	PSBTs []string `json:"psbts"`
	// Tx is, instead of PSBTs, the signed raw transaction in hex, as
	// wallets that finalize themselves return it.
	Tx        string `json:"tx"`
	Broadcast bool   `json:"broadcast"`
}

type finalizeResponse struct {
	ID            string `json:"id"`
	TxID          string `json:"txid"`
	State         string `json:"state"`
	Confirmations int32  `json:"confirmations"`
	Signatures    int    `json:"signatures"`
	Broadcast     bool   `json:"broadcast"`
	AlreadySent   bool   `json:"already_sent,omitempty"`
	Tx            string `json:"tx"` // the final transaction, hex, for broadcasting elsewhere
}

func (s *server) finalize(w http.ResponseWriter, r *http.Request, u store.User) error {
	var req finalizeRequest
	if err := s.decode(w, r, &req, false); err != nil {
		return err
	}
	var signed [][]byte
	switch {
	case len(req.PSBTs) == 0 && req.Tx == "":
		return errInvalid(`field "psbts" or "tx" is required: the signed PSBTs the kiosk returned, base64, one per cosigner; or the signed raw transaction, hex`)
	case len(req.PSBTs) > 0 && req.Tx != "":
		return errInvalid(`give "psbts" or "tx", not both: a signed raw transaction is complete on its own`)
	case req.Tx != "" && coordinator.LooksLikePSBT([]byte(req.Tx)):
		return errInvalid(`field "tx" holds a PSBT: send it in "psbts", base64`)
	case req.Tx != "":
		signed = append(signed, []byte(req.Tx))
	}
	for i, b := range req.PSBTs {
		raw, err := base64.StdEncoding.DecodeString(b)
		if err != nil {
			return errInvalid(fmt.Sprintf("psbts[%d] is not base64 (standard alphabet, padded): %v", i, err))
		}
		signed = append(signed, raw)
	}
	res, err := s.c.FinalizeAs(r.Context(), "", u.Name, req.Broadcast, signed...)
	if err != nil {
		return err
	}
	var tx bytes.Buffer
	if err := res.Tx.Serialize(&tx); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, finalizeResponse{ID: res.Withdrawal.ID, TxID: res.TxID.String(),
		State: res.Withdrawal.State, Confirmations: res.Withdrawal.Confirmations, Signatures: res.Signatures,
		Broadcast: res.Broadcast, AlreadySent: res.AlreadySent, Tx: hex.EncodeToString(tx.Bytes())})
	return nil
}
