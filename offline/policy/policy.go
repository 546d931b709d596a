// Package policy is the kiosk's spending policy: the organisation's rules,
// which the kiosk enforces on its own, offline, trusting nothing the
// coordinator says. Each wallet has a policy (amount per transaction, a
// rolling 24-hour velocity from the kiosk's own ledger of what it signed,
// a destination allow-list, fee caps, destination script types, required
// approvals, suspension); Evaluate turns a reviewed PSBT into one verdict
// per rule, with the numbers, so the operator sees exactly which pass and
// which fail.
//
// Policies, approvers and the list of retired share sets are stored in the
// kiosk home (HOME/policy, through Store) signed by the device key, so an
// edit outside the kiosk is detected; the ledger is append-only and
// hash-chained like the audit log (it is one, psbt/auditlog). Changing a
// policy, the approvers or the retired sets needs k shares of the wallet's
// set (the quorum that can move the funds): this package does not check
// that; offline/kiosk's Station proves the quorum before it calls
// SetPolicy, AddApprover, RemoveApprover or Retire.
package policy

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"

	"airsign/psbt"
	"airsign/psbt/amount"
	"airsign/psbt/approval"
	"airsign/psbt/approval/webauthn"
	"airsign/psbt/descriptor"
)

// Policy is one wallet's rules. A zero limit means no limit.
type Policy struct {
	// MaxTx caps what one transaction takes out of the wallet: payments
	// and fee (the review's "leaves the wallet").
	MaxTx btcutil.Amount `json:"max_tx_sat,omitempty"`
	// Max24h caps the sum of that over every transaction this kiosk
	// signed for the wallet in the last 24 hours, this one included.
	Max24h btcutil.Amount `json:"max_24h_sat,omitempty"`
	// MaxFeeRate in sat/vB and MaxFee cap the fee.
	MaxFeeRate float64        `json:"max_feerate_sat_vb,omitempty"`
	MaxFee     btcutil.Amount `json:"max_fee_sat,omitempty"`
	// Allow, when not empty, lists the only addresses payments may go to.
	Allow []string `json:"allow,omitempty"`
	// Scripts, when not empty, lists the script types payments may use:
	// p2pkh, p2sh, p2wpkh, p2wsh, p2tr.
	Scripts []string `json:"scripts,omitempty"`
	// RequireApprovals is how many distinct enrolled approvers must have
	// approved the transaction; ApprovalsAbove, when set, requires them
	// only when the transaction takes more than that.
	RequireApprovals int            `json:"require_approvals,omitempty"`
	ApprovalsAbove   btcutil.Amount `json:"approvals_above_sat,omitempty"`
	// ApproverKinds lists the kinds of approver key whose approvals count
	// (psbt/approval.Kind). Empty means DefaultApproverKinds: keys that
	// never exist on the coordinator. A coordinator-sealed key counts only
	// when named here, and SealedMax, when set, caps what a transaction may
	// take for such approvals to count.
	ApproverKinds []approval.Kind `json:"approver_kinds,omitempty"`
	SealedMax     btcutil.Amount  `json:"sealed_approvals_max_sat,omitempty"`
	// RequireUV counts a WebAuthn approval only when the security key
	// verified its user (PIN or biometric), not on a touch alone.
	RequireUV bool `json:"webauthn_require_uv,omitempty"`
	// Suspended stops all spending but a sweep to Recovery (ISO/TR 23576
	// 5.4.4): every output must pay one of those addresses, and there
	// may be no change.
	Suspended bool     `json:"suspended,omitempty"`
	Recovery  []string `json:"recovery,omitempty"`
	// AllowForeignInputs lets the kiosk sign a transaction that also
	// spends coins of other wallets (a payjoin, a batch). Off, such a
	// transaction is refused: the other inputs' amounts cannot be checked,
	// and a made-up one could make the amounts look smaller. On, every
	// payment and the fee count against the limits, whoever pays them.
	AllowForeignInputs bool `json:"allow_foreign_inputs,omitempty"`
	// MaxChangeAhead refuses change more than this many addresses past the
	// highest change address the kiosk has signed for (0: only a warning,
	// past the coordinator's look-ahead of 10).
	MaxChangeAhead int `json:"max_change_ahead,omitempty"`
	// RecoveryPath, when set, judges a spend by a wallet's timelocked
	// recovery path (psbt.Summary.Recovery) in place of the rules above:
	// its caps, allow-list, script types and approvals. Suspension and
	// its recovery addresses, foreign inputs and the change index stay
	// the wallet's, whatever the path; the 24-hour limit sums the one
	// ledger of the wallet. A policy that sets rules but no RecoveryPath
	// refuses recovery-path spends (ForPath).
	RecoveryPath *Policy `json:"recovery_path,omitempty"`
}

// Empty says whether the policy sets no rule at all.
func (p Policy) Empty() bool {
	return p.MaxTx == 0 && p.Max24h == 0 && p.MaxFeeRate == 0 && p.MaxFee == 0 && len(p.Allow) == 0 &&
		len(p.Scripts) == 0 && p.RequireApprovals == 0 && len(p.ApproverKinds) == 0 && p.SealedMax == 0 && !p.RequireUV && !p.Suspended && len(p.Recovery) == 0 && !p.AllowForeignInputs && p.MaxChangeAhead == 0 && p.RecoveryPath == nil
}

// PathRule is the name of the verdict's rule on a wallet's spending path.
const PathRule = "spending path"

// ForPath returns the rules that judge s, a spend by one of a wallet's
// spending paths, and the verdict's rule on that path (nil for a wallet
// with one path: s.Path empty). The primary path is judged by p; a
// recovery path by p.RecoveryPath, with p's suspension. A recovery-path
// spend of a wallet whose policy sets rules but no RecoveryPath is refused:
// those rules were written for the primary signers (their approvers, their
// caps), and a spend made because the primary signers are gone is not to
// pass or fail by them by accident. A wallet with no policy at all has no
// rule on either path; the rule then says so.
func (p Policy) ForPath(s *psbt.Summary) (Policy, *Rule) {
	if s == nil || s.Path == "" {
		return p, nil
	}
	if !s.Recovery {
		detail := "primary path (" + s.Path + "): the wallet's rules apply"
		if p.Empty() {
			detail = "primary path (" + s.Path + "): no policy is set for this wallet"
		}
		return p, &Rule{Name: PathRule, OK: true, Detail: detail}
	}
	switch {
	case p.RecoveryPath != nil:
		r := *p.RecoveryPath
		r.RecoveryPath = nil
		r.Suspended, r.Recovery = p.Suspended, p.Recovery
		r.AllowForeignInputs, r.MaxChangeAhead = p.AllowForeignInputs, p.MaxChangeAhead
		return r, &Rule{Name: PathRule, OK: true, Detail: "RECOVERY path (" + s.Path + "): judged by the policy's recovery-path rules"}
	case p.Empty():
		return p, &Rule{Name: PathRule, OK: true, Detail: "RECOVERY path (" + s.Path + "): no policy is set for this wallet, so no rule limits it"}
	}
	return p, &Rule{Name: PathRule, OK: false, Detail: "RECOVERY path (" + s.Path + "): the wallet's policy has no rules for its recovery path, so the kiosk does not sign by it; set them with the quorum (policy set --path recovery) first"}
}

// scriptClasses are the names Scripts may hold.
var scriptClasses = []string{"p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr"}

// Validate checks the policy against the wallet's network: addresses parse
// and belong to it, script names are known, numbers are sane.
func (p Policy) Validate(net descriptor.Network) error {
	if p.MaxTx < 0 || p.Max24h < 0 || p.MaxFee < 0 || p.MaxFeeRate < 0 || p.ApprovalsAbove < 0 || p.RequireApprovals < 0 || p.MaxChangeAhead < 0 {
		return errors.New("policy: limits cannot be negative")
	}
	if p.RequireApprovals > 16 {
		return fmt.Errorf("policy: %d approvals: at most 16", p.RequireApprovals)
	}
	if p.ApprovalsAbove > 0 && p.RequireApprovals == 0 {
		return errors.New("policy: an approval threshold amount needs a number of approvals")
	}
	for i, k := range p.ApproverKinds {
		if _, err := approval.ParseKind(string(k)); err != nil {
			return fmt.Errorf("policy: %w", err)
		}
		if slices.Contains(p.ApproverKinds[:i], k) {
			return fmt.Errorf("policy: approver kind %s is listed twice", k)
		}
	}
	if p.SealedMax < 0 {
		return errors.New("policy: limits cannot be negative")
	}
	if p.SealedMax > 0 && !slices.Contains(p.ApproverKinds, approval.KindSealed) {
		return errors.New("policy: a cap on coordinator-sealed approvals needs coordinator-sealed among the approver kinds")
	}
	for _, list := range [][]string{p.Allow, p.Recovery} {
		for _, a := range list {
			if _, err := addressScript(a, net); err != nil {
				return err
			}
		}
	}
	for _, s := range p.Scripts {
		if !slices.Contains(scriptClasses, s) {
			return fmt.Errorf("policy: script type %q: use %s", s, strings.Join(scriptClasses, ", "))
		}
	}
	if p.Suspended && len(p.Recovery) == 0 {
		return errors.New("policy: a suspended wallet needs a recovery address to sweep to")
	}
	if r := p.RecoveryPath; r != nil {
		if r.RecoveryPath != nil || r.Suspended || len(r.Recovery) > 0 || r.AllowForeignInputs || r.MaxChangeAhead != 0 {
			return errors.New("policy: the recovery path's rules are caps, destinations, script types and approvals; suspension, foreign inputs and the change index are the wallet's, set outside recovery_path")
		}
		if err := r.Validate(net); err != nil {
			return fmt.Errorf("recovery path: %w", err)
		}
	}
	return nil
}

func addressScript(a string, net descriptor.Network) ([]byte, error) {
	addr, err := btcutil.DecodeAddress(a, net.Params())
	if err != nil || !addr.IsForNet(net.Params()) {
		return nil, fmt.Errorf("policy: %q is not a %s address", a, net)
	}
	return txscript.PayToAddrScript(addr)
}

// DefaultApproverKinds are the approvals a policy counts when it names
// none: keys the coordinator never holds.
var DefaultApproverKinds = []approval.Kind{approval.KindStation, approval.KindWebAuthn}

// ApprovalRules are the approvals p counts for a transaction that takes
// out of the wallet: its kinds (coordinator-sealed ones dropped above
// SealedMax), its number and its user-verification rule.
func (p Policy) ApprovalRules(out btcutil.Amount) approval.Rules {
	kinds := p.ApproverKinds
	if len(kinds) == 0 {
		kinds = DefaultApproverKinds
	}
	if p.SealedMax > 0 && out > p.SealedMax {
		kinds = slices.DeleteFunc(slices.Clone(kinds), func(k approval.Kind) bool { return k == approval.KindSealed })
	}
	return approval.Rules{Need: p.RequireApprovals, Kinds: kinds, RequireUV: p.RequireUV}
}

// Rule is one rule's verdict on a transaction.
type Rule struct {
	Name   string `json:"rule"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Verdict is a policy's judgment of one transaction.
type Verdict struct {
	Rules []Rule `json:"rules"`
	// Approvals is how many approvals the transaction needs (0: none).
	Approvals int `json:"approvals_needed"`
}

// OK says whether every rule passes.
func (v Verdict) OK() bool {
	for _, r := range v.Rules {
		if !r.OK {
			return false
		}
	}
	return true
}

// Failed returns the rules that fail.
func (v Verdict) Failed() []Rule {
	var out []Rule
	for _, r := range v.Rules {
		if !r.OK {
			out = append(out, r)
		}
	}
	return out
}

// Approvals are the approvals found in the PSBT, already verified against
// the enrolled keys and this transaction (psbt/approval.Check).
type Approvals struct {
	Valid    []string        // distinct approvers whose approval counts
	Kinds    []approval.Kind // the kind of key each of Valid approved with
	Problems []string        // why the others do not
}

// Evaluate judges a reviewed transaction s against p. spent24h is what the
// kiosk signed for the wallet in the 24 hours before now (Ledger.Since).
//
// A spend by one of a wallet's spending paths is judged by the rules
// p.ForPath gives, and the verdict's first rule names the path. approvals
// must have been counted by those rules' ApprovalRules.
func Evaluate(p Policy, s *psbt.Summary, spent24h btcutil.Amount, approvals Approvals) Verdict {
	var v Verdict
	add := func(name string, ok bool, format string, args ...any) {
		v.Rules = append(v.Rules, Rule{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
	}
	p, path := p.ForPath(s)
	if path != nil {
		v.Rules = append(v.Rules, *path)
	}
	out := s.Spent
	if p.Suspended {
		ok := true
		detail := "the wallet is suspended: only a sweep to its recovery addresses is signed"
		for _, o := range s.Outputs {
			switch {
			case o.Kind == psbt.Change:
				ok, detail = false, fmt.Sprintf("the wallet is suspended; output %d returns change, and a sweep takes everything to the recovery addresses", o.Index)
			case o.Kind == psbt.Payment && !slices.Contains(p.Recovery, o.Address):
				ok, detail = false, fmt.Sprintf("the wallet is suspended; output %d pays %s, which is not a recovery address", o.Index, o.Address)
			case o.Kind == psbt.OpReturn:
				ok, detail = false, fmt.Sprintf("the wallet is suspended; output %d is data, not a sweep", o.Index)
			}
		}
		add("suspension", ok, "%s", detail)
	}
	if p.MaxTx > 0 {
		add("max per transaction", out <= p.MaxTx, "takes %s out of the wallet; the limit is %s", btc(out), btc(p.MaxTx))
	}
	if p.Max24h > 0 {
		total := spent24h + out
		add("24-hour limit", total <= p.Max24h, "would bring the last 24 h to %s; the limit is %s", btc(total), btc(p.Max24h))
	}
	if p.MaxFee > 0 {
		add("max fee", s.FeeKnown && s.Fee <= p.MaxFee, "fee %s; the limit is %s", btc(s.Fee), btc(p.MaxFee))
	}
	if p.MaxFeeRate > 0 {
		add("max fee rate", s.FeeKnown && s.FeeRate <= p.MaxFeeRate, "fee rate %s sat/vB; the limit is %s sat/vB",
			strconv.FormatFloat(s.FeeRate, 'f', 1, 64), strconv.FormatFloat(p.MaxFeeRate, 'f', -1, 64))
	}
	if len(p.Allow) > 0 {
		ok, detail := true, "every payment goes to an allowed address"
		for _, o := range s.Outputs {
			if o.Kind == psbt.Payment && !slices.Contains(p.Allow, o.Address) {
				ok, detail = false, fmt.Sprintf("output %d pays %s, which is not on the allow-list", o.Index, addrOrScript(o))
				break
			}
		}
		add("destination allow-list", ok, "%s", detail)
	}
	if len(p.Scripts) > 0 {
		ok, detail := true, "every payment uses an allowed script type ("+strings.Join(p.Scripts, ", ")+")"
		for _, o := range s.Outputs {
			if o.Kind != psbt.Payment {
				continue
			}
			if c := scriptClass(o.Script); !slices.Contains(p.Scripts, c) {
				ok, detail = false, fmt.Sprintf("output %d is %s; allowed are %s", o.Index, c, strings.Join(p.Scripts, ", "))
				break
			}
		}
		add("script types", ok, "%s", detail)
	}
	if p.RequireApprovals > 0 {
		if p.ApprovalsAbove > 0 && out <= p.ApprovalsAbove {
			add("approvals", true, "none needed for %s (needed above %s)", btc(out), btc(p.ApprovalsAbove))
		} else {
			v.Approvals = p.RequireApprovals
			have := len(approvals.Valid)
			detail := fmt.Sprintf("%d of %d required approvals", have, p.RequireApprovals)
			if have > 0 {
				var who []string
				for i, name := range approvals.Valid {
					if i < len(approvals.Kinds) {
						name += ": " + string(approvals.Kinds[i])
					}
					who = append(who, name)
				}
				detail += " (" + strings.Join(who, ", ") + ")"
			}
			if len(approvals.Problems) > 0 {
				detail += "; not counted: " + strings.Join(approvals.Problems, "; ")
			}
			add("approvals", have >= p.RequireApprovals, "%s", detail)
		}
	}
	return v
}

func addrOrScript(o psbt.Output) string {
	if o.Address != "" {
		return o.Address
	}
	return "script " + hex.EncodeToString(o.Script)
}

func scriptClass(script []byte) string {
	switch txscript.GetScriptClass(script) {
	case txscript.PubKeyHashTy:
		return "p2pkh"
	case txscript.ScriptHashTy:
		return "p2sh"
	case txscript.WitnessV0PubKeyHashTy:
		return "p2wpkh"
	case txscript.WitnessV0ScriptHashTy:
		return "p2wsh"
	case txscript.WitnessV1TaprootTy:
		return "p2tr"
	}
	return "non-standard"
}

// btc formats an amount as 1.20000000 BTC.
func btc(a btcutil.Amount) string { return amount.Format(a, amount.Plain) }

// Signer signs with the kiosk's device key.
type Signer interface {
	Sign(msg []byte) []byte
	PublicKey() ed25519.PublicKey
}

// signedFile is how policies and the retired list are stored.
type signedFile struct {
	Body      json.RawMessage `json:"body"`
	Signature []byte          `json:"signature"`
}

const signContext = "airsign policy file v1\n"

// ErrTampered means a stored policy's signature does not verify: it was
// changed outside the kiosk.
var ErrTampered = errors.New("the stored policy was changed outside the kiosk")

func writeSigned(path string, v any, s Signer) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	sig := s.Sign(append([]byte(signContext+filepath.Base(path)+"\n"), body...))
	data, err := json.MarshalIndent(signedFile{Body: body, Signature: sig}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// readSigned reads a signed file into v; ok is false when it does not exist.
func readSigned(path string, v any, pub ed25519.PublicKey) (ok bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var sf signedFile
	if err := json.Unmarshal(data, &sf); err != nil {
		return false, fmt.Errorf("%s: %w: %v", path, ErrTampered, err)
	}
	// The file is indented for people; the signature covers the compact
	// body json.Marshal wrote.
	var body bytes.Buffer
	if err := json.Compact(&body, sf.Body); err != nil {
		return false, fmt.Errorf("%s: %w: %v", path, ErrTampered, err)
	}
	sf.Body = body.Bytes()
	if !ed25519.Verify(pub, append([]byte(signContext+filepath.Base(path)+"\n"), sf.Body...), sf.Signature) {
		return false, fmt.Errorf("%s: %w: its signature by this kiosk's device key does not verify", path, ErrTampered)
	}
	dec := json.NewDecoder(bytes.NewReader(sf.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	return true, nil
}

// Store keeps the policies, the retired share sets and the ledgers in a
// kiosk home folder.
type Store struct {
	dir    string
	signer Signer
}

// NewStore returns the store under the kiosk home dir.
func NewStore(homeDir string, s Signer) *Store {
	return &Store{dir: filepath.Join(homeDir, "policy"), signer: s}
}

func (st *Store) policyPath(wallet string) string {
	return filepath.Join(st.dir, "wallets", wallet+".json")
}

// Policy returns the wallet's policy; an unset policy is the empty one.
func (st *Store) Policy(wallet string) (Policy, error) {
	var p Policy
	if _, err := readSigned(st.policyPath(wallet), &p, st.signer.PublicKey()); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// SetPolicy stores the wallet's policy. The caller has checked the quorum
// and logs the change with Digest before and after.
func (st *Store) SetPolicy(wallet string, p Policy) error {
	return writeSigned(st.policyPath(wallet), p, st.signer)
}

// Digest is a short hash of a policy, for log entries.
func Digest(p Policy) string {
	b, _ := json.Marshal(p)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// ApproversDigest names a list of approvers, as the audit log records it
// after each change.
func ApproversDigest(as []Approver) string {
	b, _ := json.Marshal(as)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

type retiredList struct {
	Sets []RetiredSet `json:"sets"`
}

// RetiredSet is a share set that no longer activates anything.
type RetiredSet struct {
	Set    string    `json:"set"`
	Reason string    `json:"reason"`
	Time   time.Time `json:"time"`
}

// Retired returns the retired share sets.
func (st *Store) Retired() ([]RetiredSet, error) {
	var l retiredList
	if _, err := readSigned(filepath.Join(st.dir, "retired.json"), &l, st.signer.PublicKey()); err != nil {
		return nil, err
	}
	return l.Sets, nil
}

// Retire adds a share set to the retired list.
func (st *Store) Retire(set, reason string, now time.Time) error {
	sets, err := st.Retired()
	if err != nil {
		return err
	}
	for _, r := range sets {
		if r.Set == set {
			return fmt.Errorf("share set %s is already retired (%s)", set, r.Reason)
		}
	}
	sets = append(sets, RetiredSet{Set: set, Reason: reason, Time: now.UTC()})
	return writeSigned(filepath.Join(st.dir, "retired.json"), retiredList{Sets: sets}, st.signer)
}

// CheckRetired returns an error naming the reason if set is retired.
func (st *Store) CheckRetired(set string) error {
	sets, err := st.Retired()
	if err != nil {
		return err
	}
	for _, r := range sets {
		if r.Set == set {
			return fmt.Errorf("%w: share set %s was retired on %s (%s); its shares activate nothing", ErrRetired, set, r.Time.Format("2006-01-02"), r.Reason)
		}
	}
	return nil
}

// ErrRetired means a share of a retired set was presented.
var ErrRetired = errors.New("retired share set")

// Approver is a treasury approver whose key this kiosk accepts approvals
// from, for one wallet: enrolled and removed with that wallet's share
// quorum, counted for that wallet only.
type Approver struct {
	Name string `json:"name"`
	// Wallet is the wallet's identity digest (home.Wallet.IdentityDigest):
	// what it pays to, not its name. Empty for an approver enrolled before
	// approvers were per wallet, who counts for none (enrolled with any
	// one wallet's quorum, it counted for every wallet).
	Wallet string `json:"wallet,omitempty"`
	// Kind is where the key is kept, as the enrolling quorum stated it;
	// empty for a key enrolled before kinds, which came from the
	// coordinator (coordinator-sealed).
	Kind approval.Kind `json:"kind,omitempty"`
	// Key is an ed25519 key (station, coordinator-sealed); COSE and RPID
	// are a WebAuthn credential's public key and relying-party id.
	Key     ed25519.PublicKey `json:"key,omitempty"`
	COSE    []byte            `json:"webauthn_cose,omitempty"`
	RPID    string            `json:"rp_id,omitempty"`
	Added   time.Time         `json:"added"`
	Removed *time.Time        `json:"removed,omitempty"`
}

// ApprovalKey is the approver's key as package approval checks it.
func (a Approver) ApprovalKey() (approval.Key, error) {
	k := approval.Key{Kind: a.Kind}
	switch a.Kind {
	case "", approval.KindSealed, approval.KindStation:
		if k.Kind == "" {
			k.Kind = approval.KindSealed
		}
		k.Ed25519 = a.Key
	case approval.KindWebAuthn:
		wk, err := webauthn.ParseCOSEKey(a.COSE)
		if err != nil {
			return approval.Key{}, fmt.Errorf("approver %s: %w", a.Name, err)
		}
		k.WebAuthn, k.RPID = wk, a.RPID
	}
	if err := k.Check(); err != nil {
		return approval.Key{}, fmt.Errorf("approver %s: %w", a.Name, err)
	}
	return k, nil
}

func approverFromKey(name, wallet string, k approval.Key, now time.Time) Approver {
	a := Approver{Name: name, Wallet: wallet, Kind: k.Kind, Added: now.UTC()}
	if k.Kind == approval.KindWebAuthn {
		a.COSE, a.RPID = k.WebAuthn.COSE(), k.RPID
	} else {
		a.Key = k.Ed25519
	}
	return a
}

type approverList struct {
	Approvers []Approver `json:"approvers"`
}

func (st *Store) approversPath() string { return filepath.Join(st.dir, "approvers.json") }

// AllApprovers returns every approver ever enrolled, for every wallet,
// removed ones included.
func (st *Store) AllApprovers() ([]Approver, error) {
	var l approverList
	if _, err := readSigned(st.approversPath(), &l, st.signer.PublicKey()); err != nil {
		return nil, err
	}
	return l.Approvers, nil
}

// Approvers returns the approvers ever enrolled for the wallet of identity
// digest wallet, removed ones included (an approval by a removed key is
// refused by name).
func (st *Store) Approvers(wallet string) ([]Approver, error) {
	all, err := st.AllApprovers()
	if err != nil {
		return nil, err
	}
	var as []Approver
	for _, a := range all {
		if wallet != "" && a.Wallet == wallet {
			as = append(as, a)
		}
	}
	return as, nil
}

// AddApprover enrolls a key under a name for one wallet. Names and keys are
// unique among that wallet's approvers that are not removed.
func (st *Store) AddApprover(wallet, name string, key approval.Key, now time.Time) error {
	if wallet == "" {
		return errors.New("an approver is enrolled for a wallet: none was named")
	}
	if name == "" || len(name) > 64 || strings.ContainsAny(name, "\n\t") {
		return fmt.Errorf("approver name %q: use 1 to 64 characters on one line", name)
	}
	if err := key.Check(); err != nil {
		return fmt.Errorf("approver %s: %w", name, err)
	}
	as, err := st.AllApprovers()
	if err != nil {
		return err
	}
	for _, a := range as {
		if a.Removed != nil || a.Wallet != wallet {
			continue
		}
		if a.Name == name {
			return fmt.Errorf("approver %s is already enrolled", name)
		}
		if k, err := a.ApprovalKey(); err == nil && bytes.Equal(k.ID(), key.ID()) {
			return fmt.Errorf("that key is already enrolled as %s", a.Name)
		}
	}
	as = append(as, approverFromKey(name, wallet, key, now))
	return writeSigned(st.approversPath(), approverList{Approvers: as}, st.signer)
}

// RemoveApprover marks a wallet's approver removed; their approvals no
// longer count for it.
func (st *Store) RemoveApprover(wallet, name string, now time.Time) error {
	as, err := st.AllApprovers()
	if err != nil {
		return err
	}
	for i := range as {
		if as[i].Name == name && as[i].Wallet == wallet && as[i].Removed == nil {
			t := now.UTC()
			as[i].Removed = &t
			return writeSigned(st.approversPath(), approverList{Approvers: as}, st.signer)
		}
	}
	return fmt.Errorf("no enrolled approver %s for this wallet", name)
}
