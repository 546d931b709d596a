package kiosk

import (
	"fmt"
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
	st := policy.NewStore(h.Dir(), h)
	if err := CheckState(h); err != nil {
		return policy.Policy{}, policy.Verdict{}, err
	}
	p, err := st.Policy(l.Wallet.Name)
	if err != nil {
		return p, policy.Verdict{}, err
	}
	spent, err := st.Since(l.Wallet.Name, now.Add(-policy.Window))
	if err != nil {
		return p, policy.Verdict{}, err
	}
	logged, err := SignedSince(h, l.Wallet.Name, now.Add(-policy.Window))
	if err != nil {
		return p, policy.Verdict{}, err
	}
	spent = max(spent, logged)
	var a policy.Approvals
	if p.RequireApprovals > 0 {
		walletID, err := l.Wallet.IdentityDigest()
		if err != nil {
			return p, policy.Verdict{}, err
		}
		as, err := st.Approvers(walletID)
		if err != nil {
			return p, policy.Verdict{}, err
		}
		var enrolled []approval.Enrolled
		for _, x := range as {
			k, err := x.ApprovalKey()
			if err != nil {
				return p, policy.Verdict{}, err
			}
			enrolled = append(enrolled, approval.Enrolled{Name: x.Name, Key: k, Removed: x.Removed != nil})
		}
		counted, problems, err := approval.CheckWith(l.Packet, WalletID(l.Desc), l.Summary.Fee, now, enrolled, p.ApprovalRules(l.Summary.Spent))
		if err != nil {
			problems = append(problems, err.Error())
		}
		for _, c := range counted {
			a.Valid, a.Kinds = append(a.Valid, c.Name), append(a.Kinds, c.Kind)
		}
		a.Problems = problems
	}
	v := policy.Evaluate(p, l.Summary, spent, a)
	if p.MaxChangeAhead > 0 {
		gaps, err := changeGaps(h, l)
		if err != nil {
			return p, v, err
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
	return p, v, nil
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
