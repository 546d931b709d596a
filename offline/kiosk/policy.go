package kiosk

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"airsign/offline/home"
	"airsign/offline/policy"
	"airsign/psbt/approval"
	"airsign/psbt/descriptor"
	"airsign/shamir"
)

// WalletID is how approvals name a wallet: its descriptor's checksum, which
// the coordinator and every kiosk compute from the same descriptor whatever
// each calls the wallet.
func WalletID(d *descriptor.Descriptor) string {
	s := d.String()
	if i := strings.LastIndexByte(s, '#'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// PolicyVerdict judges a loaded PSBT by its wallet's policy at now: the
// kiosk's own ledger for the 24-hour limit, and the approvals the PSBT
// carries checked against the enrolled approvers.
//
// The files are first checked against the audit log (CheckState), and the
// 24-hour window is the larger of the ledger's sum and the log's.
func PolicyVerdict(h *home.Home, l *Loaded, now time.Time) (policy.Policy, policy.Verdict, error) {
	p, v, _, err := policyVerdict(h, l, now)
	return p, v, err
}

// policyVerdict is PolicyVerdict that also returns the approvals the PSBT
// carries, as the review shows them.
func policyVerdict(h *home.Home, l *Loaded, now time.Time) (policy.Policy, policy.Verdict, []CarriedApproval, error) {
	st := policy.NewStore(h.Dir(), h)
	if err := CheckState(h); err != nil {
		return policy.Policy{}, policy.Verdict{}, nil, err
	}
	p, err := st.Policy(l.Wallet.Name)
	if err != nil {
		return p, policy.Verdict{}, nil, err
	}
	spent, err := st.Since(l.Wallet.Name, now.Add(-policy.Window))
	if err != nil {
		return p, policy.Verdict{}, nil, err
	}
	logged, err := SignedSince(h, l.Wallet.Name, now.Add(-policy.Window))
	if err != nil {
		return p, policy.Verdict{}, nil, err
	}
	spent = max(spent, logged)
	// A spend by a recovery path counts approvals by that path's rules
	// (policy.Policy.ForPath); Evaluate judges by the same.
	rules, _ := p.ForPath(l.Summary)
	var a policy.Approvals
	var enrolled []approval.Enrolled
	if rules.RequireApprovals > 0 {
		walletID, err := l.Wallet.IdentityDigest()
		if err != nil {
			return p, policy.Verdict{}, nil, err
		}
		as, err := st.Approvers(walletID)
		if err != nil {
			return p, policy.Verdict{}, nil, err
		}
		for _, x := range as {
			k, err := x.ApprovalKey()
			if err != nil {
				return p, policy.Verdict{}, nil, err
			}
			enrolled = append(enrolled, approval.Enrolled{Name: x.Name, Key: k, Removed: x.Removed != nil})
		}
		counted, problems, err := approval.CheckWith(l.Packet, loadedWalletID(l), l.Summary.Fee, now, enrolled, rules.ApprovalRules(l.Summary.Spent))
		if err != nil {
			problems = append(problems, err.Error())
		}
		for _, c := range counted {
			a.Valid, a.Kinds = append(a.Valid, c.Name), append(a.Kinds, c.Kind)
		}
		a.Problems = problems
	}
	carried := carriedApprovals(l, enrolled, a, rules.RequireApprovals > 0)
	v := policy.Evaluate(p, l.Summary, spent, a)
	if p.MaxChangeAhead > 0 {
		gaps, err := changeGaps(h, l)
		if err != nil {
			return p, v, nil, err
		}
		rule := policy.Rule{Name: "change index", OK: true, Detail: fmt.Sprintf("no change more than %d past the highest address signed for on its branch", p.MaxChangeAhead)}
		for _, g := range gaps {
			if g.ahead > int64(p.MaxChangeAhead) {
				rule.OK = false
				rule.Detail = fmt.Sprintf("change goes to %d/%d, %d past the highest address signed for on that branch (%d/%d); the limit is %d",
					g.out.Branch, g.out.AddrIndex, g.ahead, g.out.Branch, g.highest, p.MaxChangeAhead)
				break
			}
		}
		v.Rules = append(v.Rules, rule)
	}
	return p, v, carried, nil
}

// RecordSigned adds a signed transaction to the wallet's ledger, which the
// 24-hour limit sums.
func RecordSigned(h *home.Home, l *Loaded, now time.Time) error {
	return policy.NewStore(h.Dir(), h).Record(l.Wallet.Name, l.Summary.TxID.String(), l.Summary.Spent, now)
}

// CheckShare says whether s may activate w: of its set, and the set not
// retired.
func CheckShare(h *home.Home, w *home.Wallet, s *shamir.Share) error {
	if err := CheckShareSet(w, s); err != nil {
		return err
	}
	return policy.NewStore(h.Dir(), h).CheckRetired(s.SetName())
}

// CarriedApproval is an approval the PSBT carries, as the review shows it.
type CarriedApproval struct {
	// SignedAs is the name the approver signed as (the PSBT's word, not
	// proven); Approver the enrolled approver it counts for, empty when it
	// does not count.
	SignedAs string
	Approver string
	// Key says which kind of key made it: the kind it is enrolled as, or
	// what its format shows when it is not enrolled here.
	Key     string
	Expires time.Time
	// Checked is false when the wallet's policy needs no approvals, so
	// none was checked.
	Checked bool
}

// keyKinds names approval key kinds for people.
var keyKinds = map[approval.Kind]string{
	approval.KindStation:  "approver station key",
	approval.KindSealed:   "coordinator-sealed key",
	approval.KindWebAuthn: "security key (WebAuthn)",
}

// carriedApprovals lists the approvals in l's PSBT: who signed, with which
// kind of key, until when, and whether the check (a) counted it.
func carriedApprovals(l *Loaded, enrolled []approval.Enrolled, a policy.Approvals, checked bool) []CarriedApproval {
	var out []CarriedApproval
	add := func(id []byte, signedAs, format string, expires time.Time) {
		c := CarriedApproval{SignedAs: signedAs, Key: format, Expires: expires, Checked: checked}
		for _, e := range enrolled {
			if !bytes.Equal(e.Key.ID(), id) {
				continue
			}
			c.Key = keyKinds[e.Key.Kind]
			if c.Key == "" {
				c.Key = string(e.Key.Kind)
			}
			if slices.Contains(a.Valid, e.Name) {
				c.Approver = e.Name
			}
		}
		out = append(out, c)
	}
	eds, _ := approval.Extract(l.Packet) // a malformed field is a problem the check reports
	for _, x := range eds {
		add(x.PublicKey, x.Approver, "ed25519 key, not enrolled here", x.Message.Expires)
	}
	was, _ := approval.ExtractWebAuthn(l.Packet)
	for _, x := range was {
		add(x.KeyID[:], x.Approver, "security key (WebAuthn), not enrolled here", x.Message.Expires)
	}
	return out
}
