package kiosk

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"airsign/offline/hd"
	"airsign/offline/home"
	"airsign/offline/policy"
	"airsign/psbt/approval"
	"airsign/psbt/auditlog"
	"airsign/shamir"
)

// Front ends that drive a Station, recorded as "via" in every entry it
// writes.
const (
	ViaCLI = "cli"
	ViaApp = "app"
)

// Station is one front end's session on a kiosk home. Every operation that
// changes the kiosk or uses a key is a Station method: it checks, acts and
// writes one audit entry, with the same kind and fields whether the command
// line or the app drove it (the entry's "via" says which). The front ends
// only read input and show results.
type Station struct {
	Home *home.Home
	Via  string
	// Now is the clock for entries and policy windows; nil is time.Now.
	Now func() time.Time
}

func (s Station) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// append writes one entry with the station's "via".
func (s Station) append(kind string, entry map[string]any) error {
	entry["via"] = s.Via
	return s.Home.Log().Append(kind, entry, s.now())
}

// ChangeRefused is a change to the kiosk (a policy, approvers, a retired
// set, a wallet, a witness) that was refused and logged as such; nothing
// changed.
type ChangeRefused struct{ Err error }

func (r *ChangeRefused) Error() string { return r.Err.Error() }
func (r *ChangeRefused) Unwrap() error { return r.Err }

// refused logs a refused change: a *ChangeRefused, or the log's error when
// the entry cannot be written.
func (s Station) refused(kind string, entry map[string]any, err error) error {
	entry["result"], entry["reason"] = "refused", err.Error()
	return s.logged(&ChangeRefused{err}, s.append(kind, entry))
}

// psbtEntry is what every inspect and sign entry says of the PSBT.
func psbtEntry(l *Loaded) map[string]any {
	e := map[string]any{
		"psbt_sha256": hex.EncodeToString(l.Hash[:]), "txid": l.Summary.TxID.String(), "wallet": l.Wallet.Name,
		"source": l.Source, "inputs": InputsOf(l), "change": ChangeOf(l),
	}
	if l.Summary.Path != "" {
		// A wallet with spending paths: which one, and a recovery
		// spend named as such where an auditor searches for it.
		e["path"], e["recovery"] = l.Summary.Path, l.Summary.Recovery
	}
	if p := l.Wallet.Policy; p != nil {
		e["policy_hash"] = p.Hash
	}
	return e
}

// Inspect reviews a loaded PSBT against its wallet's policy and this
// kiosk's history, and logs the review.
func (s Station) Inspect(l *Loaded) (Review, error) {
	r, err := ReviewPSBT(s.Home, l, s.now())
	if err != nil {
		return r, err
	}
	entry := psbtEntry(l)
	witnessed(entry, l)
	entry["verdict"] = verdict(r)
	entry["refusals"], entry["warnings"] = r.Refusals, codes(l)
	entry["policy"] = r.Policy.Rules
	if len(r.SignedBefore) > 0 {
		entry["signed_before"] = r.SignedBefore
	}
	return r, s.append("inspect", entry)
}

func codes(l *Loaded) []string {
	var out []string
	for _, f := range l.Summary.Warnings {
		out = append(out, string(f.Code))
	}
	return out
}

// ReviewPSBT turns an analysis, the policy's verdict and the audit log's
// record of what was signed here into the review: the reasons it cannot be
// signed (in plain sentences), its warnings, and what was signed before.
// Files that do not match the audit log are a refusal, and Tampered says
// so.
func ReviewPSBT(h *home.Home, l *Loaded, now time.Time) (Review, error) {
	r := Review{Loaded: l, Network: l.Wallet.Network}
	if id, err := approval.RequestOf(l.Packet); err != nil {
		r.Warnings = append(r.Warnings, err.Error())
	} else {
		r.Request = id
	}
	for _, f := range l.Summary.Refusals {
		r.Refusals = append(r.Refusals, f.String())
	}
	for _, f := range l.Summary.Warnings {
		r.Warnings = append(r.Warnings, f.String())
	}
	if !l.Summary.Signable() && len(r.Refusals) == 0 {
		r.Refusals = append(r.Refusals, "nothing in it is this wallet's to sign")
	}
	// Files that do not match the log are a refusal the operator reads:
	// what is wrong and who must look.
	tampered := func(err error) bool {
		if errors.Is(err, ErrTampered) {
			r.Tampered = err
			r.Refusals = append(r.Refusals, err.Error())
			return true
		}
		return false
	}
	if err := checkClock(h, now); err != nil {
		r.Refusals = append(r.Refusals, err.Error())
		return r, nil
	}
	carried, cerrs := auditlog.CarriedCheckpoints(l.Packet)
	for _, c := range carried {
		if c.VerifierKey != h.VerifierKey() {
			continue // a cosigner kiosk's
		}
		if err := h.Log().CheckSigned(c); err != nil {
			tampered(fmt.Errorf("%w: the PSBT carries back the checkpoint this kiosk signed and handed out with an earlier signature (%d entries), and its audit log does not extend it: %v. The log was cut back or replaced on this disk (a restored copy, or an attack to reset the 24-hour window). Nothing is signed: the custodians and the auditor must compare the log with the auditor's export and the coordinator's records", ErrTampered, c.Size, err))
			return r, nil
		}
	}
	for _, err := range cerrs {
		r.Warnings = append(r.Warnings, "a kiosk checkpoint the PSBT carries is ignored: "+err.Error())
	}
	refusal, warnings, err := checkCoordinator(h, l)
	if err != nil {
		return r, err
	}
	r.Warnings = append(r.Warnings, warnings...)
	if refusal != "" {
		r.Refusals = append(r.Refusals, refusal)
		return r, nil
	}
	before, err := SignedBefore(h, l)
	if tampered(err) {
		return r, nil
	}
	if err != nil {
		return r, err
	}
	r.SignedBefore = before
	p, v, approvals, err := policyVerdict(h, l, now)
	if tampered(err) {
		return r, nil
	}
	if err != nil {
		return r, err
	}
	r.Policy, r.PolicySet, r.Approvals = v, !p.Empty(), approvals
	for _, f := range v.Failed() {
		r.Refusals = append(r.Refusals, "policy, "+f.Name+": "+f.Detail)
	}
	return r, nil
}

// Reason is the first refusal, in a sentence without the finding's code.
func (r Review) Reason() string {
	if len(r.Refusals) == 0 {
		return ""
	}
	if s := r.Loaded.Summary; len(s.Refusals) > 0 {
		return s.Refusals[0].Message
	}
	return r.Refusals[0]
}

// clockSlack is how far before the last audit entry the clock may read
// without a refusal: two commands in the same second, a clock corrected by
// seconds.
const clockSlack = time.Minute

// checkClock refuses a clock that reads earlier than the last audit entry:
// the 24-hour window and the lock-time bound are measured by it, and a
// clock set back (or a log from another station) would mislead both.
func checkClock(h *home.Home, now time.Time) error {
	entries, err := h.Log().Entries()
	if err != nil || len(entries) == 0 {
		return err
	}
	last := entries[len(entries)-1].Time
	if now.Before(last.Add(-clockSlack)) {
		return fmt.Errorf("the station's clock reads %s, before its last audit entry (%s, entry %d): it was set back. Nothing is signed until the clock is right: the 24-hour limit and the lock-time checks are measured by it",
			now.UTC().Format("2006-01-02 15:04:05 UTC"), last.UTC().Format("2006-01-02 15:04:05 UTC"), entries[len(entries)-1].Seq)
	}
	return nil
}

// Refusal is a PSBT the station did not sign because of what it is (its
// review refuses it) or because it was signed here before and signing it
// again was not confirmed. No key was rebuilt.
type Refusal struct {
	Reason string
	// Again is set when the only reason is that it was signed here
	// before: confirming that it is to be signed again goes on.
	Again bool
}

func (r *Refusal) Error() string { return r.Reason }

// SignFailure is a signing that got as far as the shares and failed: a
// share of the wrong set or retired, shares that do not rebuild the key, a
// signature that could not be made. Nothing was signed.
type SignFailure struct{ Err error }

func (f *SignFailure) Error() string { return f.Err.Error() }
func (f *SignFailure) Unwrap() error { return f.Err }

// SignRequest is what the operator brings to a signing.
type SignRequest struct {
	Shares []*shamir.Share
	// Again confirms signing what was signed here before.
	Again bool
	// ReadErr is what stopped the command line reading the shares: the
	// signing fails, and the entry says why.
	ReadErr error
}

// logged is outcome once its entry is written; when the entry cannot be
// written, the log's error, which says so (and hides no signature: none
// was made).
func (s Station) logged(outcome, logErr error) error {
	if logErr != nil {
		return fmt.Errorf("%v; and the audit log could not be written: %w", outcome, logErr)
	}
	return outcome
}

// Sign reviews the PSBT again at the moment of signing (the 24 hours have
// moved and approvals may have expired), rebuilds the key from the shares,
// signs, and records the signature in the ledger and the audit log before
// the signed PSBT is returned: a signature the limits do not see never
// leaves. The shares stay the caller's to wipe.
//
// A refused PSBT is a *Refusal, a failure at the shares a *SignFailure;
// both are logged. Any other error is the station's (the log cannot be
// written), and nothing was returned signed.
func (s Station) Sign(l *Loaded, req SignRequest) ([]byte, Review, error) {
	r, err := ReviewPSBT(s.Home, l, s.now())
	if err != nil {
		return nil, r, err
	}
	entry := psbtEntry(l)
	witnessed(entry, l)
	matchable(entry, l, r)
	entry["shares"] = shareNames(req.Shares)
	if len(r.SignedBefore) > 0 {
		entry["signed_before"] = r.SignedBefore
	}
	refuse := func(ref *Refusal) error {
		entry["result"], entry["reason"] = "refused", ref.Reason
		return s.logged(ref, s.append("sign", entry))
	}
	if !r.Signable() {
		return nil, r, refuse(&Refusal{Reason: r.Reason()})
	}
	if len(r.SignedBefore) > 0 && !req.Again {
		return nil, r, refuse(&Refusal{Reason: "signed here before: " + r.SignedBefore[0], Again: true})
	}
	fail := func(err error) error {
		entry["result"], entry["reason"] = "failed", err.Error()
		return s.logged(&SignFailure{err}, s.append("sign", entry))
	}
	if req.ReadErr != nil {
		return nil, r, fail(req.ReadErr)
	}
	shares := req.Shares
	for _, sh := range shares {
		if err := CheckShare(s.Home, l.Wallet, sh); err != nil {
			return nil, r, fail(err)
		}
	}
	signed, err := l.Sign(shares)
	if err != nil {
		return nil, r, fail(err)
	}
	if err := RecordSigned(s.Home, l, s.now()); err != nil {
		return nil, r, err
	}
	sum := sha256.Sum256(signed)
	entry["result"] = "signed"
	entry["signed_psbt_sha256"] = hex.EncodeToString(sum[:])
	entry["spent_sat"], entry["fee_sat"] = int64(l.Summary.Spent), int64(l.Summary.Fee)
	entry["policy"] = r.Policy.Rules
	if err := s.append("sign", entry); err != nil {
		return nil, r, err
	}
	// The log's checkpoint, this entry included, rides out with the
	// signature; the coordinator hands it back with the next PSBT, and a
	// log cut back below it is refused then (ReviewPSBT). The entry's
	// signed_psbt_sha256 is of the PSBT before the checkpoint was added.
	cp, err := s.Home.Log().Checkpoint()
	if err != nil {
		return nil, r, err
	}
	if err := auditlog.Carry(l.Packet, s.Home.VerifierKey(), cp); err != nil {
		return nil, r, err
	}
	if signed, err = l.Encode(); err != nil {
		return nil, r, err
	}
	return signed, r, nil
}

// OutputFailed logs that a signed PSBT could not be written out (the
// signature is in the ledger and the log all the same).
func (s Station) OutputFailed(l *Loaded, err error) error {
	return errors.Join(err, s.append("sign-output-failed", map[string]any{
		"txid": l.Summary.TxID.String(), "wallet": l.Wallet.Name, "reason": err.Error(),
	}))
}

func shareNames(shares []*shamir.Share) []string {
	names := []string{}
	for _, s := range shares {
		names = append(names, s.Name())
	}
	return names
}

// SharesCheck is a health check's input.
type SharesCheck struct {
	// Wallet is the wallet the shares should rebuild; "" finds it by the
	// shares' set and fingerprint.
	Wallet string
	Shares []*shamir.Share
	// ReadErr is what stopped the command line reading the shares (it
	// names the file): a check that could not start is evidence too.
	ReadErr error
}

// SharesFailure is a health check that ran and failed: the shares do not
// rebuild the wallet, or are refused. It is logged.
type SharesFailure struct{ Err error }

func (f *SharesFailure) Error() string { return f.Err.Error() }
func (f *SharesFailure) Unwrap() error { return f.Err }

// VerifyShares rebuilds a wallet's key from shares in memory, proves it is
// the registered wallet's (for a multisig, this kiosk's cosigner key), and
// wipes it; every outcome is logged. It returns the wallet the shares
// rebuild. A check that fails is a *SharesFailure.
func (s Station) VerifyShares(c SharesCheck) (*home.Wallet, error) {
	err := c.ReadErr
	var wallet *home.Wallet
	if err == nil {
		wallet, err = s.verifyShares(c)
	}
	entry := map[string]any{"shares": shareNames(c.Shares), "result": "ok"}
	switch {
	case wallet != nil:
		entry["wallet"] = wallet.Name
	case c.Wallet != "":
		entry["wallet"] = c.Wallet
	}
	if err != nil {
		entry["result"], entry["reason"] = "failed", err.Error()
		return wallet, s.logged(&SharesFailure{err}, s.append("shares-verify", entry))
	}
	return wallet, s.append("shares-verify", entry)
}

func (s Station) verifyShares(c SharesCheck) (*home.Wallet, error) {
	if len(c.Shares) == 0 {
		return nil, errors.New("no shares to check")
	}
	// The shares are checked against each other and their fingerprint
	// commitment first: "mixed with set", "the same share twice" say more
	// than a comparison with a wallet would.
	entropy, err := shamir.Combine(c.Shares, hd.EntropyFingerprint)
	if err != nil {
		return nil, err
	}
	hd.Wipe(entropy)
	first := c.Shares[0]
	var w *home.Wallet
	if c.Wallet != "" {
		var err error
		if w, err = s.Home.Wallet(c.Wallet); err != nil {
			return nil, err
		}
	} else {
		ws, err := s.Home.Wallets()
		if err != nil {
			return nil, err
		}
		for i := range ws {
			if CheckShareSet(&ws[i], first) == nil {
				w = &ws[i]
				break
			}
		}
		if w == nil {
			return nil, fmt.Errorf("no registered wallet uses share set %s (fingerprint %x)", first.SetName(), first.Fingerprint)
		}
	}
	for _, sh := range c.Shares {
		if err := CheckShare(s.Home, w, sh); err != nil {
			return w, err
		}
	}
	m, err := activateWallet(w, c.Shares)
	if err != nil {
		return w, err
	}
	m.Wipe()
	return w, nil
}

// Quorum proves that the shares make w's quorum: of its set, the set not
// retired, and together rebuilding w's key, which is wiped at once.
// Changing a wallet's rules needs the same people as moving its funds.
func (s Station) Quorum(w *home.Wallet, shares []*shamir.Share) ([]string, error) {
	if len(shares) == 0 {
		return nil, errors.New("the change needs the custodians' shares of wallet " + fmt.Sprintf("%q", w.Name))
	}
	for _, sh := range shares {
		if err := CheckShare(s.Home, w, sh); err != nil {
			return nil, err
		}
	}
	m, err := activateWallet(w, shares)
	if err != nil {
		return nil, fmt.Errorf("the shares do not make the quorum of wallet %q: %w", w.Name, err)
	}
	m.Wipe()
	return shareNames(shares), nil
}

func (s Station) store() *policy.Store { return policy.NewStore(s.Home.Dir(), s.Home) }

// ChangePolicy stores p as w's policy once the shares prove its quorum,
// and logs the rules before and after with their digests (which the kiosk
// checks its files against). kind is the entry's kind: policy-set,
// suspend, unsuspend.
func (s Station) ChangePolicy(w *home.Wallet, p policy.Policy, kind string, shares []*shamir.Share) (old policy.Policy, names []string, err error) {
	entry := map[string]any{"wallet": w.Name}
	if old, err = s.store().Policy(w.Name); err != nil {
		return old, nil, err
	}
	net, err := w.Net()
	if err == nil {
		err = p.Validate(net)
	}
	if err == nil {
		names, err = s.Quorum(w, shares)
	}
	if err != nil {
		return old, nil, s.refused(kind, entry, err)
	}
	if err := s.store().SetPolicy(w.Name, p); err != nil {
		return old, nil, err
	}
	entry["result"], entry["shares"] = "changed", names
	entry["before"], entry["after"] = old, p
	entry["before_digest"], entry["after_digest"] = policy.Digest(old), policy.Digest(p)
	return old, names, s.append(kind, entry)
}

// EnrollApprover enrolls an approver's key for wallet w, with w's quorum:
// their approvals count for w alone.
func (s Station) EnrollApprover(w *home.Wallet, name string, key approval.Key, shares []*shamir.Share) error {
	entry := map[string]any{"approver": name, "wallet": w.Name, "kind": string(key.Kind), "key": key.String()}
	return s.changeApprovers("approver-add", w, entry, shares, func(st *policy.Store, id string) error {
		return st.AddApprover(id, name, key, s.now())
	})
}

// RemoveApprover removes an approver from wallet w, with w's quorum.
func (s Station) RemoveApprover(w *home.Wallet, name string, shares []*shamir.Share) error {
	entry := map[string]any{"approver": name, "wallet": w.Name}
	return s.changeApprovers("approver-remove", w, entry, shares, func(st *policy.Store, id string) error {
		return st.RemoveApprover(id, name, s.now())
	})
}

func (s Station) changeApprovers(kind string, w *home.Wallet, entry map[string]any, shares []*shamir.Share, change func(*policy.Store, string) error) error {
	names, err := s.Quorum(w, shares)
	if err != nil {
		return s.refused(kind, entry, err)
	}
	walletID, err := w.IdentityDigest()
	if err != nil {
		return err
	}
	st := s.store()
	if err := change(st, walletID); err != nil {
		return s.refused(kind, entry, err)
	}
	all, err := st.AllApprovers()
	if err != nil {
		return err
	}
	entry["result"], entry["shares"] = "done", names
	entry["approvers_digest"] = policy.ApproversDigest(all)
	return s.append(kind, entry)
}

// RetireSet retires w's share set with the set's own quorum (after a
// re-ceremony): its shares are refused from then on, with reason.
func (s Station) RetireSet(w *home.Wallet, reason string, shares []*shamir.Share) error {
	entry := map[string]any{"set": w.ShareSet, "wallet": w.Name}
	names, err := s.Quorum(w, shares)
	if err != nil {
		return s.refused("retire-set", entry, err)
	}
	if err := s.store().Retire(w.ShareSet, reason, s.now()); err != nil {
		return err
	}
	entry["result"], entry["shares"], entry["reason"] = "retired", names, reason
	return s.append("retire-set", entry)
}

// ImportWitness imports a checkpoint an auditor cosigned: from then on the
// kiosk refuses a log rolled back to before it or rewritten since.
func (s Station) ImportWitness(data []byte, auditorKey string) (auditlog.Checkpoint, error) {
	cp, err := s.Home.Log().AddWitness(data, auditorKey)
	if err != nil {
		return cp, s.refused("audit-witness", map[string]any{}, err)
	}
	return cp, s.append("audit-witness", map[string]any{"result": "imported", "size": cp.Size,
		"root": base64.StdEncoding.EncodeToString(cp.Root[:]), "auditor": strings.SplitN(auditorKey, "+", 2)[0]})
}

// AuditExport is the self-contained export of the log from record since,
// checked as the auditor will check it before it leaves the kiosk. Once it
// is written out, Exported logs where.
func (s Station) AuditExport(since int64) ([]byte, auditlog.Report, error) {
	data, err := s.Home.Log().Export(since)
	if err != nil {
		return nil, auditlog.Report{}, err
	}
	rep, err := auditlog.VerifyExport(data, s.Home.VerifierKey(), nil)
	if err != nil {
		return nil, rep, fmt.Errorf("the export does not verify (this is a bug): %w", err)
	}
	return data, rep, nil
}

// Exported logs an export written to file (its base name, "" if none) and
// as qrFrames QR frames.
func (s Station) Exported(rep auditlog.Report, file string, qrFrames int) error {
	return s.append("audit-export", map[string]any{
		"file": file, "qr_frames": qrFrames, "since": rep.Since, "size": rep.Size,
		"root": base64.StdEncoding.EncodeToString(rep.Root[:]),
	})
}
