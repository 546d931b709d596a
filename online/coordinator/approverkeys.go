package coordinator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"

	"airsign/online/store"
	"airsign/psbt/approval"
	"airsign/psbt/approval/webauthn"
)

// Approver keys the coordinator holds only the public half of. An approval
// made with one cannot be made by whoever controls the coordinator: the
// private key is on the approver's security key or approver station.

// RegisterStationKey registers an approver station's public key (the text
// `airsign-kiosk approver init` prints) for user, so that the station's
// approvals are filed under user's name. The kiosk counts them only once
// its quorum enrolls the same key.
// It is recorded in the audit log.
func (c *Coordinator) RegisterStationKey(ctx context.Context, user, keyText, label string) (approval.Key, error) {
	data := map[string]any{"user": user, "kind": string(approval.KindStation), "label": label}
	return loggedValue(c, "approver-key", data, func() (approval.Key, error) {
		k, err := c.registerStationKey(ctx, user, keyText, label)
		if err == nil {
			data["key"] = k.String()
		}
		return k, err
	})
}

// registerStationKey is RegisterStationKey without the audit record.
func (c *Coordinator) registerStationKey(ctx context.Context, user, keyText, label string) (approval.Key, error) {
	k, err := approval.ParseKey(keyText, "")
	if err != nil {
		return approval.Key{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if k.Kind != approval.KindStation {
		return approval.Key{}, fmt.Errorf("%w: the key is a %s key; an approver station's key is given as station:ed25519:HEX", ErrInvalid, k.Kind)
	}
	if err := c.mayHoldApproverKey(ctx, user); err != nil {
		return approval.Key{}, err
	}
	err = c.st.AddApproverKey(ctx, store.ApproverKey{KeyID: k.ID(), User: user, Kind: string(k.Kind), PublicKey: k.Ed25519,
		Label: label, Created: c.cfg.Now().UTC()})
	return k, err
}

func (c *Coordinator) mayHoldApproverKey(ctx context.Context, user string) error {
	u, err := c.st.User(ctx, user)
	if err != nil {
		return err
	}
	if u.Disabled || !u.Role.AtLeast(store.RoleApprover) {
		return fmt.Errorf("%w: user %q is %s; only approvers and admins hold approver keys", ErrForbidden, user, map[bool]string{true: "disabled", false: "a " + string(u.Role)}[u.Disabled])
	}
	return nil
}

// WebAuthnRegistration is what the browser returns from
// navigator.credentials.create, with what the coordinator asked for.
type WebAuthnRegistration struct {
	// RPID is the relying-party id the page asked for: the host name
	// the approver's browser reached the coordinator by.
	RPID string
	// Challenge is the random challenge the coordinator gave the page.
	Challenge []byte
	// CredentialID, AttestationObject and ClientDataJSON are the
	// browser's answer.
	CredentialID      []byte
	AttestationObject []byte
	ClientDataJSON    []byte
	Label             string
}

// clientData is what a registration's clientDataJSON must say.
type clientData struct {
	Type        string `json:"type"`
	Challenge   string `json:"challenge"`
	Origin      string `json:"origin"`
	CrossOrigin bool   `json:"crossOrigin"`
}

// RegisterWebAuthn checks a browser's registration of a security key or
// passkey for user and stores its public key.
// It is recorded in the audit log.
func (c *Coordinator) RegisterWebAuthn(ctx context.Context, user string, r WebAuthnRegistration) (approval.Key, error) {
	data := map[string]any{"user": user, "kind": string(approval.KindWebAuthn), "rp_id": r.RPID, "label": r.Label}
	return loggedValue(c, "approver-key", data, func() (approval.Key, error) {
		k, err := c.registerWebAuthn(ctx, user, r)
		if err == nil {
			data["key"] = k.String()
		}
		return k, err
	})
}

// registerWebAuthn is RegisterWebAuthn without the audit record. The
// coordinator does not verify attestation: an authenticator's make and model are not what
// protects an approval. What does is that the kiosk's quorum enrolls the
// key the approver shows them (docs/DECISIONS.md).
func (c *Coordinator) registerWebAuthn(ctx context.Context, user string, r WebAuthnRegistration) (approval.Key, error) {
	if err := c.mayHoldApproverKey(ctx, user); err != nil {
		return approval.Key{}, err
	}
	if len(r.CredentialID) == 0 || len(r.CredentialID) > webauthn.MaxCredentialID {
		return approval.Key{}, fmt.Errorf("%w: a credential id of %d bytes; 1 to %d", ErrInvalid, len(r.CredentialID), webauthn.MaxCredentialID)
	}
	if len(r.ClientDataJSON) > webauthn.MaxClientData || len(r.AttestationObject) > webauthn.MaxAttestationObject {
		return approval.Key{}, fmt.Errorf("%w: the registration is too large", ErrInvalid)
	}
	var cd clientData
	if err := json.Unmarshal(r.ClientDataJSON, &cd); err != nil {
		return approval.Key{}, fmt.Errorf("%w: the browser's client data is not JSON: %v", ErrInvalid, err)
	}
	if cd.Type != "webauthn.create" {
		return approval.Key{}, fmt.Errorf("%w: the browser's client data is of type %q, not a registration (webauthn.create)", ErrInvalid, cd.Type)
	}
	got, err := base64.RawURLEncoding.DecodeString(cd.Challenge)
	if err != nil || len(r.Challenge) == 0 || subtle.ConstantTimeCompare(got, r.Challenge) != 1 {
		return approval.Key{}, fmt.Errorf("%w: the registration answers another challenge: reload the page and register again", ErrInvalid)
	}
	if cd.CrossOrigin || !originOf(cd.Origin, r.RPID) {
		return approval.Key{}, fmt.Errorf("%w: the registration comes from %q, not a page of %s", ErrInvalid, cd.Origin, r.RPID)
	}
	ad, err := webauthn.ParseAttestationObject(r.AttestationObject)
	if err != nil {
		return approval.Key{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if ad.RPIDHash != rpIDHash(r.RPID) {
		return approval.Key{}, fmt.Errorf("%w: the authenticator registered the credential for another site than %s", ErrInvalid, r.RPID)
	}
	if !bytes.Equal(ad.CredentialID, r.CredentialID) || ad.Key == nil {
		return approval.Key{}, fmt.Errorf("%w: the registration's credential id does not match its authenticator data", ErrInvalid)
	}
	k := approval.Key{Kind: approval.KindWebAuthn, WebAuthn: *ad.Key, RPID: r.RPID}
	if err := k.Check(); err != nil {
		return approval.Key{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	label := strings.TrimSpace(r.Label)
	if len(label) > 64 {
		label = label[:64]
	}
	err = c.st.AddApproverKey(ctx, store.ApproverKey{KeyID: k.ID(), User: user, Kind: string(k.Kind), PublicKey: k.WebAuthn.COSE(),
		RPID: r.RPID, CredentialID: r.CredentialID, Label: label, Created: c.cfg.Now().UTC()})
	return k, err
}

// originOf says whether origin is a page of rpID, as browsers require of a
// credential's relying party: https on rpID or a subdomain, or http on
// localhost.
func originOf(origin, rpID string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Path != "" || u.User != nil {
		return false
	}
	host := u.Hostname()
	if host != rpID && !strings.HasSuffix(host, "."+rpID) {
		return false
	}
	return u.Scheme == "https" || (u.Scheme == "http" && (host == "localhost" || strings.HasSuffix(host, ".localhost")))
}

// ApproverKeys returns user's WebAuthn credentials and station keys.
func (c *Coordinator) ApproverKeys(ctx context.Context, user string) ([]store.ApproverKey, error) {
	return c.st.ApproverKeys(ctx, user)
}

// ApproverKeyText is the text of a registered key that the kiosk's
// `approvers add` reads.
func ApproverKeyText(k store.ApproverKey) (string, error) {
	key, err := storedKey(k)
	if err != nil {
		return "", err
	}
	return key.String(), nil
}

func storedKey(k store.ApproverKey) (approval.Key, error) {
	switch k.Kind {
	case string(approval.KindWebAuthn):
		wk, err := webauthn.ParseCOSEKey(k.PublicKey)
		if err != nil {
			return approval.Key{}, fmt.Errorf("stored credential of %s: %w", k.User, err)
		}
		return approval.Key{Kind: approval.KindWebAuthn, WebAuthn: wk, RPID: k.RPID}, nil
	case string(approval.KindStation):
		return approval.ParseKey(fmt.Sprintf("station:ed25519:%x", k.PublicKey), "")
	}
	return approval.Key{}, fmt.Errorf("stored approver key of %s has kind %q", k.User, k.Kind)
}

// WebAuthnApprovalRequest is what the approver's browser asks their
// security key to sign: the challenge of the approval message of one
// request, valid until Expires.
type WebAuthnApprovalRequest struct {
	Request   string
	Message   approval.Message
	Challenge []byte
	Expires   time.Time
	RPID      string
	// Credentials are the ids of user's registered credentials for RPID.
	Credentials [][]byte
}

// WebAuthnChallenge returns what user's security key must sign to approve
// requestID until now + expires.
func (c *Coordinator) WebAuthnChallenge(ctx context.Context, requestID, user, rpID string, expires time.Duration) (WebAuthnApprovalRequest, error) {
	if expires == 0 {
		expires = DefaultApprovalExpiry
	}
	if expires < time.Minute || expires > MaxApprovalExpiry {
		return WebAuthnApprovalRequest{}, fmt.Errorf("%w: an approval valid for %v; give a time from 1m to %v", ErrInvalid, expires, MaxApprovalExpiry)
	}
	sw, err := c.mayApprove(ctx, requestID, user)
	if err != nil {
		return WebAuthnApprovalRequest{}, err
	}
	keys, err := c.st.ApproverKeys(ctx, user)
	if err != nil {
		return WebAuthnApprovalRequest{}, err
	}
	req := WebAuthnApprovalRequest{Request: sw.ID, RPID: rpID, Expires: c.cfg.Now().Add(expires).Truncate(time.Second).UTC()}
	for _, k := range keys {
		if k.Kind == string(approval.KindWebAuthn) && !k.Disabled && k.RPID == rpID {
			req.Credentials = append(req.Credentials, k.CredentialID)
		}
	}
	if len(req.Credentials) == 0 {
		return WebAuthnApprovalRequest{}, fmt.Errorf("%w: %s has no security key registered for %s; register one on the Approver keys page", ErrNoApprovalKey, user, rpID)
	}
	w, err := c.st.Wallet(ctx, sw.Wallet)
	if err != nil {
		return WebAuthnApprovalRequest{}, err
	}
	if _, req.Message, err = c.approvalMessage(ctx, sw, WalletID(w.Descriptor), req.Expires); err != nil {
		return WebAuthnApprovalRequest{}, err
	}
	req.Challenge = approval.Challenge(req.Message)
	return req, nil
}

// ApproveWebAuthn files user's security-key approval of requestID.
// It is recorded in the audit log.
func (c *Coordinator) ApproveWebAuthn(ctx context.Context, requestID, user string, expires time.Time, credentialID []byte, a webauthn.Assertion) (*Withdrawal, error) {
	data := map[string]any{"request": requestID, "user": user, "kind": string(approval.KindWebAuthn), "expires": expires.UTC()}
	return loggedValue(c, "approve", data, func() (*Withdrawal, error) {
		return c.approveWebAuthn(ctx, requestID, user, expires, credentialID, a)
	})
}

// approveWebAuthn is ApproveWebAuthn without the audit record: the
// assertion must verify with the credential user registered, over the
// approval message valid until expires.
func (c *Coordinator) approveWebAuthn(ctx context.Context, requestID, user string, expires time.Time, credentialID []byte, a webauthn.Assertion) (*Withdrawal, error) {
	sw, err := c.mayApprove(ctx, requestID, user)
	if err != nil {
		return nil, err
	}
	keys, err := c.st.ApproverKeys(ctx, user)
	if err != nil {
		return nil, err
	}
	var key *approval.Key
	for _, k := range keys {
		if k.Kind == string(approval.KindWebAuthn) && !k.Disabled && bytes.Equal(k.CredentialID, credentialID) {
			sk, err := storedKey(k)
			if err != nil {
				return nil, err
			}
			key = &sk
		}
	}
	if key == nil {
		return nil, fmt.Errorf("%w: the security key that answered is not one %s registered here", ErrForbidden, user)
	}
	return c.attachApproval(ctx, sw, user, approval.KindWebAuthn, expires, func(p *btcpsbt.Packet, m approval.Message) ([]byte, error) {
		wa := approval.WebAuthnApproval{Approver: user, Message: m, Assertion: a}
		id := key.WebAuthn.ID()
		wa.KeyID = id
		if err := approval.AttachWebAuthn(p, wa, key.WebAuthn, key.RPID); err != nil {
			if errors.Is(err, webauthn.ErrChallenge) {
				return nil, fmt.Errorf("%w: the security key signed another approval than this request's (another request, amount or expiry): approve again", ErrInvalid)
			}
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		return id[:], nil
	})
}

// ApproveStation files an approval an approver station made, handed in by
// uploader, under the name of the user whose station key made it.
// It is recorded in the audit log.
func (c *Coordinator) ApproveStation(ctx context.Context, requestID, uploader, text string) (*Withdrawal, error) {
	data := map[string]any{"request": requestID, "uploaded_by": uploader, "kind": string(approval.KindStation)}
	return loggedValue(c, "approve", data, func() (*Withdrawal, error) {
		wd, user, err := c.approveStation(ctx, requestID, text)
		data["user"] = user
		return wd, err
	})
}

// approveStation is ApproveStation without the audit record: it files the
// approval (its text, as `airsign-kiosk approver approve` writes it or
// shows it as a QR code) under the name of the user who registered the
// station's key, and returns that name. It must approve exactly
// requestID's transaction.
func (c *Coordinator) approveStation(ctx context.Context, requestID, text string) (*Withdrawal, string, error) {
	a, err := approval.ParseTransfer(text)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	k, err := c.st.ApproverKeyByID(ctx, a.PublicKey)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", fmt.Errorf("%w: the approval was made by station key %x…, which no user registered here (user station-key NAME KEY)", ErrForbidden, []byte(a.PublicKey[:8]))
	}
	if err != nil {
		return nil, "", err
	}
	if k.Disabled || k.Kind != string(approval.KindStation) {
		return nil, "", fmt.Errorf("%w: station key %x… of %s is disabled here", ErrForbidden, []byte(a.PublicKey[:8]), k.User)
	}
	sw, err := c.mayApprove(ctx, requestID, k.User)
	if err != nil {
		return nil, k.User, err
	}
	wd, err := c.attachApproval(ctx, sw, k.User, approval.KindStation, a.Message.Expires, func(p *btcpsbt.Packet, m approval.Message) ([]byte, error) {
		if !bytes.Equal(m.Canonical(), a.Message.Canonical()) {
			return nil, fmt.Errorf("%w: the station approved %s", ErrInvalid, describeMismatch(m, a.Message))
		}
		a.Approver = k.User
		return a.PublicKey, approval.Attach(p, a)
	})
	return wd, k.User, err
}

// describeMismatch says how an approval's message differs from the
// request's, for the person who scanned it.
func describeMismatch(want, got approval.Message) string {
	switch {
	case got.Wallet != want.Wallet:
		return fmt.Sprintf("wallet %s, not this request's wallet %s", got.Wallet, want.Wallet)
	case got.TxID != want.TxID:
		return fmt.Sprintf("transaction %s, not this request's %s: it is the approval of another request (or of this one before a fee bump)", got.TxID, want.TxID)
	case got.Request != want.Request:
		return fmt.Sprintf("it as request %s, not %s", got.Request, want.Request)
	case got.Fee != want.Fee:
		return fmt.Sprintf("a fee of %d sat, not %d", got.Fee, want.Fee)
	}
	return "a different message"
}

func rpIDHash(rpID string) [32]byte { return sha256.Sum256([]byte(rpID)) }
