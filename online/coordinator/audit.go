package coordinator

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"airsign/online/store"
	"airsign/psbt/approval"
	"airsign/psbt/approval/webauthn"
)

// The coordinator's audit log: every state change a person makes through
// it (wallet registrations and suspensions, requests, cancels, fee bumps,
// approval keys, approvals and their refusals, broadcasts) and every API
// refusal of credentials, in a Merkle log with checkpoints signed by the
// coordinator's identity key (psbt/auditlog, as on the kiosk). Entries hold
// no secret: no password, token or key.

// Record adds an entry to the audit log, when one is configured.
func (c *Coordinator) Record(kind string, data map[string]any) error {
	if c.cfg.Audit == nil {
		return nil
	}
	return c.cfg.Audit.Append(kind, data, c.cfg.Now())
}

// ErrAuditUnavailable means the audit log could not be written before an
// action, so the action was not taken.
var ErrAuditUnavailable = errors.New("the audit log cannot be written")

// begin records that an action is about to be taken, with what it was
// asked (write-ahead): if the entry cannot be written, the action must not
// happen, and the error says so. outcome records how it ended.
func (c *Coordinator) begin(kind string, data map[string]any) error {
	entry := maps.Clone(data)
	entry["result"] = "started"
	if err := c.Record(kind, entry); err != nil {
		return fmt.Errorf("%w: nothing was done (%s): %v", ErrAuditUnavailable, kind, err)
	}
	return nil
}

// outcome adds the result of an action to its entry and records it. A
// failure to record is returned even when the action succeeded: evidence
// that could not be written is a failure the operator must see.
func (c *Coordinator) outcome(kind string, data map[string]any, err error) error {
	if err != nil {
		data["result"], data["reason"] = "refused", err.Error()
	} else {
		data["result"] = "done"
	}
	if rerr := c.Record(kind, data); rerr != nil && err == nil {
		return rerr
	}
	return err
}

// AddWallet registers a watch-only wallet from its descriptor. It refuses a
// descriptor of another network, without key origin, or with private keys,
// and a wallet name already taken. A birthday at or below the applied tip
// makes the next Sync rescan from it.
// It is recorded in the audit log.
func (c *Coordinator) AddWallet(ctx context.Context, name, desc string, birthday int32) (store.Wallet, error) {
	data := map[string]any{"wallet": name, "descriptor": strings.TrimSpace(desc), "birthday": birthday}
	if err := c.begin("wallet-add", data); err != nil {
		return store.Wallet{}, err
	}
	w, err := c.addWallet(ctx, name, desc, birthday)
	if err == nil {
		data["descriptor"] = w.Descriptor
	}
	return w, c.outcome("wallet-add", data, err)
}

// RemoveWallet removes a wallet that never had a request (a copy
// registered by mistake, before identities kept it out), and rescans from
// its birthday so that a wallet deriving the same scripts is credited with
// what it held. by is who removed it.
// It is recorded in the audit log, refused or not.
func (c *Coordinator) RemoveWallet(ctx context.Context, name, by string) error {
	data := map[string]any{"wallet": name, "by": by}
	if err := c.begin("wallet-remove", data); err != nil {
		return err
	}
	err := c.removeWallet(ctx, name)
	return c.outcome("wallet-remove", data, err)
}

func (c *Coordinator) removeWallet(ctx context.Context, name string) error {
	w, err := c.st.Wallet(ctx, name)
	if err != nil {
		return err
	}
	if err := c.st.RemoveWallet(ctx, name); err != nil {
		return err
	}
	tip, _, ok, err := c.st.Tip(ctx)
	if err != nil || !ok || w.Birthday > tip {
		return err
	}
	return c.w.Rescan(ctx, w.Birthday)
}

// Withdraw selects coins, takes a change address, builds the unsigned PSBT
// and records the request with its inputs reserved. The PSBT goes to the
// kiosk as it is.
// It is recorded in the audit log, refused or not.
func (c *Coordinator) Withdraw(ctx context.Context, req WithdrawRequest) (*Withdrawal, error) {
	data := map[string]any{"wallet": req.Wallet, "to": req.To, "amount_sat": int64(req.Amount), "sweep": req.Sweep, "user": req.Requester}
	if err := c.begin("request", data); err != nil {
		return nil, err
	}
	wd, err := c.withdraw(ctx, req)
	if err == nil {
		err = c.carry(ctx, wd)
	}
	if wd != nil {
		data["request"], data["unsigned_txid"], data["fee_sat"] = wd.ID, wd.UnsignedTxID.String(), int64(wd.Fee)
		data["amount_sat"] = int64(wd.Amount)
	}
	return wd, c.outcome("request", data, err)
}

// Cancel gives up a pending request and frees its coins.
// It is recorded in the audit log.
func (c *Coordinator) Cancel(ctx context.Context, id string) error {
	data := map[string]any{"request": id}
	if err := c.begin("cancel", data); err != nil {
		return err
	}
	return c.outcome("cancel", data, c.cancel(ctx, id))
}

// BumpFee replaces a stuck withdrawal with one paying feeRate (sat/vB; 0
// means the node's estimate, at least 1 sat/vB above the old rate): the
// same inputs and payment, the change reduced, and more of the wallet's
// coins added when the change cannot cover the fee. The new request is
// pending and goes to the kiosk like any other; the old one becomes
// replaced, and whichever transaction confirms is the one the chain keeps.
// It is recorded in the audit log.
func (c *Coordinator) BumpFee(ctx context.Context, id string, feeRate float64, requester string) (*Withdrawal, error) {
	data := map[string]any{"replaces": id, "feerate_sat_vb": feeRate, "user": requester}
	return c.recordedReplace(ctx, "bump-fee", data, "request", id, feeRate, requester, false)
}

// Revoke cancels a request whose PSBT has left the coordinator (shown,
// downloaded, signed) for good: it replaces it with a revocation, a
// transaction paying every coin of the request back to the wallet at a
// higher fee, for the kiosk to sign. Once the revocation confirms, no
// signed copy of the request can pay; until then the request shows
// "cancelling". by is who revoked it.
// It is recorded in the audit log.
func (c *Coordinator) Revoke(ctx context.Context, id string, feeRate float64, by string) (*Withdrawal, error) {
	data := map[string]any{"request": id, "feerate_sat_vb": feeRate, "user": by}
	return c.recordedReplace(ctx, "revoke", data, "revocation", id, feeRate, by, true)
}

// recordedReplace is BumpFee's and Revoke's common path: the intent, the
// replacement with the wallet's kiosk checkpoints, and the outcome naming
// the new request under newKey.
func (c *Coordinator) recordedReplace(ctx context.Context, kind string, data map[string]any, newKey, id string, feeRate float64, by string, revoke bool) (*Withdrawal, error) {
	if err := c.begin(kind, data); err != nil {
		return nil, err
	}
	wd, err := c.replace(ctx, id, feeRate, by, revoke)
	if err == nil {
		err = c.carry(ctx, wd)
	}
	if wd != nil {
		data[newKey], data["unsigned_txid"], data["fee_sat"] = wd.ID, wd.UnsignedTxID.String(), int64(wd.Fee)
	}
	return wd, c.outcome(kind, data, err)
}

// Approve signs the user's approval of a pending request with their
// approval key, opened with password, and attaches it to the request's
// PSBT, so the PSBT the kiosk gets from now on carries it. The approval
// names the wallet (WalletID), the request, the transaction, its outputs
// and fee, and expires after expires (0 means DefaultApprovalExpiry).
//
// Four eyes: the requester cannot approve their own request, and only an
// approver or admin approves. Approving again replaces the approver's
// earlier approval. A wrong password counts towards MaxPasswordFailures.
// It is recorded in the audit log, and so is every refusal (four eyes, a wrong password).
func (c *Coordinator) Approve(ctx context.Context, requestID, user string, password []byte, expires time.Duration) (*Withdrawal, error) {
	data := map[string]any{"request": requestID, "user": user, "expires_in": expires.String()}
	if err := c.begin("approve", data); err != nil {
		return nil, err
	}
	wd, err := c.approve(ctx, requestID, user, password, expires)
	return wd, c.outcome("approve", data, err)
}

// RegisterStationKey registers an approver station's public key (the text
// `airsign-kiosk approver init` prints) for user, so that the station's
// approvals are filed under user's name. The kiosk counts them only once
// its quorum enrolls the same key.
// It is recorded in the audit log.
func (c *Coordinator) RegisterStationKey(ctx context.Context, user, keyText, label string) (approval.Key, error) {
	data := map[string]any{"user": user, "kind": string(approval.KindStation), "label": label}
	if err := c.begin("approver-key", data); err != nil {
		return approval.Key{}, err
	}
	k, err := c.registerStationKey(ctx, user, keyText, label)
	if err == nil {
		data["key"] = k.String()
	}
	return k, c.outcome("approver-key", data, err)
}

// RegisterWebAuthn checks a browser's registration of a security key or
// passkey for user and stores its public key.
// It is recorded in the audit log.
func (c *Coordinator) RegisterWebAuthn(ctx context.Context, user string, r WebAuthnRegistration) (approval.Key, error) {
	data := map[string]any{"user": user, "kind": string(approval.KindWebAuthn), "rp_id": r.RPID, "label": r.Label}
	if err := c.begin("approver-key", data); err != nil {
		return approval.Key{}, err
	}
	k, err := c.registerWebAuthn(ctx, user, r)
	if err == nil {
		data["key"] = k.String()
	}
	return k, c.outcome("approver-key", data, err)
}

// ApproveWebAuthn files user's security-key approval of requestID.
// It is recorded in the audit log.
func (c *Coordinator) ApproveWebAuthn(ctx context.Context, requestID, user string, expires time.Time, credentialID []byte, a webauthn.Assertion) (*Withdrawal, error) {
	data := map[string]any{"request": requestID, "user": user, "kind": string(approval.KindWebAuthn), "expires": expires.UTC()}
	if err := c.begin("approve", data); err != nil {
		return nil, err
	}
	wd, err := c.approveWebAuthn(ctx, requestID, user, expires, credentialID, a)
	return wd, c.outcome("approve", data, err)
}

// ApproveStation files an approval an approver station made, handed in by
// uploader, under the name of the user whose station key made it.
// It is recorded in the audit log.
func (c *Coordinator) ApproveStation(ctx context.Context, requestID, uploader, text string) (*Withdrawal, error) {
	data := map[string]any{"request": requestID, "uploaded_by": uploader, "kind": string(approval.KindStation)}
	if err := c.begin("approve", data); err != nil {
		return nil, err
	}
	wd, user, err := c.approveStation(ctx, requestID, text)
	data["user"] = user
	return wd, c.outcome("approve", data, err)
}

// Suspend marks a wallet suspended, as its kiosks are (airsign-kiosk
// suspend): from then on only a sweep to recovery is requested. An empty
// recovery lifts the suspension.
// It is recorded in the audit log.
func (c *Coordinator) Suspend(ctx context.Context, wallet, recovery string) error {
	data := map[string]any{"wallet": wallet, "recovery": recovery, "suspended": recovery != ""}
	if err := c.begin("suspend", data); err != nil {
		return err
	}
	return c.outcome("suspend", data, c.suspend(ctx, wallet, recovery))
}

// CreateApprovalKeyWith is CreateApprovalKey with options: rotation and
// argon2id parameters.
// It is recorded in the audit log (the public key only).
func (c *Coordinator) CreateApprovalKeyWith(ctx context.Context, user string, password []byte, opts KeyOptions) (ed25519.PublicKey, error) {
	data := map[string]any{"user": user, "rotate": opts.Rotate}
	if err := c.begin("approval-key", data); err != nil {
		return nil, err
	}
	pub, err := c.createApprovalKeyWith(ctx, user, password, opts)
	data["public_key"] = hex.EncodeToString(pub)
	return pub, c.outcome("approval-key", data, err)
}
