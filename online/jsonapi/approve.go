package jsonapi

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"airsign/online/coordinator"
	"airsign/online/store"
)

type approveRequest struct {
	Password  string `json:"password"`
	ExpiresIn string `json:"expires_in"` // Go duration, e.g. "8h"; empty means coordinator.DefaultApprovalExpiry (8h)
}

type approvalJSON struct {
	Approver  string    `json:"approver"`
	PublicKey string    `json:"public_key"` // the ed25519 key, or a WebAuthn key's id, hex
	Kind      string    `json:"kind"`       // coordinator-sealed, station or webauthn
	Expires   time.Time `json:"expires"`
	Created   time.Time `json:"created"`
}

type stationApprovalRequest struct {
	Approval string `json:"approval"` // the station's text, AIRSIGN-APPROVAL-V1:…
}

type approvedJSON struct {
	withdrawalJSON
	Approvals []approvalJSON `json:"approvals"`
}

// approve signs the authenticated user's approval into a request's PSBT
// with their approval key, opened with the password in the body. The
// coordinator enforces four eyes: the requester cannot approve their own
// request.
func (s *server) approve(w http.ResponseWriter, r *http.Request, u store.User) error {
	var req approveRequest
	if err := s.decode(w, r, &req, false); err != nil {
		return err
	}
	password := []byte(req.Password)
	defer clear(password)
	if len(password) == 0 {
		return errInvalid(`field "password" is required: the password of your approval key`)
	}
	var expires time.Duration
	if req.ExpiresIn != "" {
		d, err := time.ParseDuration(req.ExpiresIn)
		if err != nil || d <= 0 {
			return errInvalid(fmt.Sprintf(`field "expires_in" is %q; give a duration such as "8h" or "90m", or leave it out for 8h`, req.ExpiresIn))
		}
		expires = d
	}
	wd, err := s.c.Approve(r.Context(), r.PathValue("id"), u.Name, password, expires)
	return s.approved(w, r, wd, err)
}

// stationApproval files an approval an approver station made (its text),
// under the name of the user who registered the station's key; the
// authenticated user is recorded as who handed it in.
func (s *server) stationApproval(w http.ResponseWriter, r *http.Request, u store.User) error {
	var req stationApprovalRequest
	if err := s.decode(w, r, &req, false); err != nil {
		return err
	}
	if req.Approval == "" {
		return errInvalid(`field "approval" is required: the approver station's approval text (AIRSIGN-APPROVAL-V1:…)`)
	}
	wd, err := s.c.ApproveStation(r.Context(), r.PathValue("id"), u.Name, req.Approval)
	return s.approved(w, r, wd, err)
}

// approved answers an approval with the request and its approvals.
func (s *server) approved(w http.ResponseWriter, r *http.Request, wd *coordinator.Withdrawal, err error) error {
	if err != nil {
		return err // answered by httperr's mapping
	}
	aps, err := s.c.Approvals(r.Context(), wd.ID)
	if err != nil {
		return err
	}
	out := approvedJSON{withdrawalJSON: withdrawalOut(wd, true), Approvals: []approvalJSON{}}
	for _, a := range aps {
		out.Approvals = append(out.Approvals, approvalJSON{Approver: a.Approver, PublicKey: hex.EncodeToString(a.PublicKey),
			Kind: a.Kind, Expires: a.Expires, Created: a.Created})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
