package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"

	"airsign/online/coordinator"
	"airsign/psbt/approval"
	"airsign/psbt/approval/webauthn"
	"airsign/ui/qr"
)

// Approver keys that never exist on the coordinator: security keys and
// passkeys registered here (WebAuthn), and approver stations' keys. The
// page's script talks to the authenticator; the coordinator checks what it
// answers and files it. See docs/web-ui.md for what each kind protects.

// maxWebAuthnBody caps the JSON a browser posts with a registration or an
// assertion.
const maxWebAuthnBody = 96 << 10

// rpID is the relying-party id for a request: the host name the browser
// reached the coordinator by. A credential registered under one name is
// not offered under another.
func rpID(r *http.Request) string {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.ToLower(host)
}

// registrationChallenge is a fresh challenge bound to the session: 16
// random bytes and their HMAC under a key derived from the session, so the
// finish step can check it without storing anything.
func registrationChallenge(s *sessionInfo) ([]byte, error) {
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return append(nonce, challengeMAC(s, nonce)...), nil
}

func challengeMAC(s *sessionInfo, nonce []byte) []byte {
	m := hmac.New(sha256.New, append([]byte("airsign webauthn registration\x00"), s.idHash...))
	m.Write(nonce)
	return m.Sum(nil)[:16]
}

func validRegistrationChallenge(s *sessionInfo, c []byte) bool {
	return len(c) == 32 && hmac.Equal(c[16:], challengeMAC(s, c[:16]))
}

type keyRow struct {
	Kind, Label, Text, Fingerprint string
	Created                        time.Time
	Disabled                       bool
}

func (h *Handler) keysPage(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	h.renderKeys(w, r, s, http.StatusOK, "", "")
}

func (h *Handler) renderKeys(w http.ResponseWriter, r *http.Request, s *sessionInfo, status int, notice, msg string) {
	ks, err := h.c.ApproverKeys(r.Context(), s.user.Name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var rows []keyRow
	for _, k := range ks {
		text, err := coordinator.ApproverKeyText(k)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		key, err := approval.ParseKey(text, "")
		if err != nil {
			h.fail(w, r, err)
			return
		}
		rows = append(rows, keyRow{Kind: k.Kind, Label: k.Label, Text: text, Fingerprint: key.Fingerprint(), Created: k.Created, Disabled: k.Disabled})
	}
	if notice == "" && r.URL.Query().Get("done") == "registered" {
		notice = "Security key registered. Show its key text to the kiosk's custodians: their quorum enrolls it (airsign-kiosk approvers add)."
	}
	h.render(w, r, status, "keys", page{Title: "Approver keys", Active: "keys", Notice: notice, Error: msg,
		Data: struct {
			Keys []keyRow
			RPID string
		}{rows, rpID(r)}})
}

// webauthnBegin answers the page's request to register a security key:
// the options for navigator.credentials.create.
func (h *Handler) webauthnBegin(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	challenge, err := registrationChallenge(s)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ks, err := h.c.ApproverKeys(r.Context(), s.user.Name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	exclude := []string{}
	for _, k := range ks {
		if k.Kind == string(approval.KindWebAuthn) && k.RPID == rpID(r) {
			exclude = append(exclude, base64.RawURLEncoding.EncodeToString(k.CredentialID))
		}
	}
	userID := sha256.Sum256([]byte("airsign user\x00" + s.user.Name))
	writeJSON(w, http.StatusOK, map[string]any{
		"challenge": base64.RawURLEncoding.EncodeToString(challenge),
		"rpId":      rpID(r),
		"userId":    base64.RawURLEncoding.EncodeToString(userID[:16]),
		"userName":  s.user.Name,
		"exclude":   exclude,
	})
}

// webauthnFinish checks and stores the browser's registration.
func (h *Handler) webauthnFinish(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	var body struct {
		Challenge, CredentialID, AttestationObject, ClientDataJSON, Label string
	}
	if err := readJSON(r, &body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": true, "message": err.Error()})
		return
	}
	reg := coordinator.WebAuthnRegistration{RPID: rpID(r), Label: body.Label}
	var bad error
	for _, f := range []struct {
		dst  *[]byte
		from string
		name string
	}{{&reg.Challenge, body.Challenge, "challenge"}, {&reg.CredentialID, body.CredentialID, "credential id"},
		{&reg.AttestationObject, body.AttestationObject, "attestation object"}, {&reg.ClientDataJSON, body.ClientDataJSON, "client data"}} {
		b, err := base64.RawURLEncoding.DecodeString(f.from)
		if err != nil && bad == nil {
			bad = fmt.Errorf("%w: the %s is not base64url", coordinator.ErrInvalid, f.name)
		}
		*f.dst = b
	}
	if bad == nil && !validRegistrationChallenge(s, reg.Challenge) {
		bad = fmt.Errorf("%w: the registration answers a challenge this session was not given: reload the page and register again", coordinator.ErrInvalid)
	}
	if bad != nil {
		status, msg := classify(bad)
		writeJSON(w, status, map[string]any{"error": true, "message": msg})
		return
	}
	k, err := h.c.RegisterWebAuthn(r.Context(), s.user.Name, reg)
	if err != nil {
		status, msg := classify(err)
		writeJSON(w, status, map[string]any{"error": true, "message": msg})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"key": k.String(), "fingerprint": k.Fingerprint(), "next": "/keys?done=registered"})
}

// stationKey registers the signed-in approver's station key from the text
// its `approver init` printed.
func (h *Handler) stationKey(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	text := strings.TrimSpace(r.PostForm.Get("key"))
	if text == "" || len(text) > 512 {
		h.renderKeys(w, r, s, http.StatusBadRequest, "", "Paste the key text your approver station printed (station:ed25519:…).")
		return
	}
	k, err := h.c.RegisterStationKey(r.Context(), s.user.Name, text, capText(r.PostForm.Get("label"), 64))
	if err != nil {
		status, msg := classify(err)
		h.renderKeys(w, r, s, status, "", msg)
		return
	}
	h.renderKeys(w, r, s, http.StatusOK, fmt.Sprintf("Approver station key %s registered. The kiosk's custodians enroll the same key (airsign-kiosk approvers add).", k.Fingerprint()), "")
}

// approveKeyBegin answers the request page's "Approve with a security
// key": the approval message's challenge and the credentials to ask.
func (h *Handler) approveKeyBegin(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": true, "message": "The form could not be read; reload the page."})
		return
	}
	expires, err := time.ParseDuration(r.PostForm.Get("expires"))
	if err != nil || expires <= 0 || expires > coordinator.MaxApprovalExpiry {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": true, "message": "Choose one of the offered validities."})
		return
	}
	req, err := h.c.WebAuthnChallenge(r.Context(), r.PathValue("id"), s.user.Name, rpID(r), expires)
	if err != nil {
		status, msg := classify(err)
		writeJSON(w, status, map[string]any{"error": true, "message": msg})
		return
	}
	creds := []string{}
	for _, c := range req.Credentials {
		creds = append(creds, base64.RawURLEncoding.EncodeToString(c))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"challenge":   base64.RawURLEncoding.EncodeToString(req.Challenge),
		"rpId":        req.RPID,
		"credentials": creds,
		"expires":     req.Expires.Unix(),
	})
}

// approveKeyFinish files the security key's assertion.
func (h *Handler) approveKeyFinish(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	var body struct {
		Expires                                                    int64
		CredentialID, AuthenticatorData, ClientDataJSON, Signature string
	}
	if err := readJSON(r, &body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": true, "message": err.Error()})
		return
	}
	dec := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			return nil
		}
		return b
	}
	a := webauthn.Assertion{AuthenticatorData: dec(body.AuthenticatorData), ClientDataJSON: dec(body.ClientDataJSON), Signature: dec(body.Signature)}
	id := r.PathValue("id")
	_, err := h.c.ApproveWebAuthn(r.Context(), id, s.user.Name, time.Unix(body.Expires, 0), dec(body.CredentialID), a)
	if err != nil {
		status, msg := classify(err)
		writeJSON(w, status, map[string]any{"error": true, "message": msg})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"next": "/requests/" + id + "?done=approved"})
}

// stationApproval files an approval an approver station made, its text
// pasted.
func (h *Handler) stationApproval(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	text := strings.TrimSpace(r.PostForm.Get("approval"))
	if text == "" {
		h.showRequestMsg(w, r, s, http.StatusBadRequest, "Give the approver station's approval: its text (AIRSIGN-APPROVAL-V1:…) or an image of its QR code.")
		return
	}
	h.fileStationApproval(w, r, s, text)
}

// stationApprovalImage files an approval an approver station showed as a
// QR code, from a photo or screenshot of it.
func (h *Handler) stationApprovalImage(w http.ResponseWriter, r *http.Request, s *sessionInfo) {
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		h.showRequestError(w, r, s, fmt.Errorf("%w: send the image of the station's QR code as a file upload", coordinator.ErrInvalid))
		return
	}
	files, err := readUpload(http.MaxBytesReader(w, r.Body, qr.MaxImageBytes+64<<10), params["boundary"], s.csrf)
	if errors.Is(err, errCSRF) {
		h.refuse(w, r, http.StatusForbidden, err.Error(), map[string]any{"user": s.user.Name, "reason": "csrf"})
		return
	}
	if err == nil && len(files) != 1 {
		err = errors.New("send one image of the station's QR code")
	}
	if err != nil {
		h.showRequestError(w, r, s, fmt.Errorf("%w: %v", coordinator.ErrInvalid, err))
		return
	}
	content, err := qr.DecodeFile(files[0])
	if err != nil {
		h.showRequestMsg(w, r, s, http.StatusUnprocessableEntity, "No QR code could be read in that image ("+err.Error()+"): take the photo again, closer and straight on, or paste the approval's text.")
		return
	}
	h.fileStationApproval(w, r, s, strings.TrimSpace(string(content)))
}

func (h *Handler) fileStationApproval(w http.ResponseWriter, r *http.Request, s *sessionInfo, text string) {
	id := r.PathValue("id")
	if _, err := h.c.ApproveStation(r.Context(), id, s.user.Name, text); err != nil {
		h.showRequestError(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/requests/"+id+"?done=approved", http.StatusSeeOther)
}

// readJSON decodes a small JSON body strictly.
func readJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxWebAuthnBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("the browser's answer is not the expected JSON: %v", err)
	}
	return nil
}

// hasSecurityKey says whether user can approve with a security key here.
func (h *Handler) hasSecurityKey(r *http.Request, user string) bool {
	ks, err := h.c.ApproverKeys(r.Context(), user)
	if err != nil {
		return false
	}
	for _, k := range ks {
		if k.Kind == string(approval.KindWebAuthn) && !k.Disabled && k.RPID == rpID(r) {
			return true
		}
	}
	return false
}

// kindName names a kind of approver key for people.
func kindName(kind string) string {
	switch approval.Kind(kind) {
	case approval.KindWebAuthn:
		return "security key"
	case approval.KindStation:
		return "approver station"
	}
	return "key sealed on the coordinator"
}
