package coordinator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"airsign/online/store"
	"airsign/psbt/approval"
)

// Quorum is what the treasury recorded of a wallet's kiosk policy on
// approvals. The kiosk keeps and checks its own policy; this copy lets the
// pages say "1 of 2 approvals" and offer the QR once enough are in.
type Quorum struct {
	Need int
	// Kinds are the approval kinds the kiosk counts; empty means its
	// default, DefaultApprovalKinds.
	Kinds   []approval.Kind
	SetBy   string
	Updated time.Time
}

// DefaultApprovalKinds are the kinds a kiosk policy counts when it names
// none: keys that never exist on the coordinator (offline/policy's
// DefaultApproverKinds; online code may not import it).
var DefaultApprovalKinds = []approval.Kind{approval.KindStation, approval.KindWebAuthn}

// MaxQuorum is the most approvals a kiosk policy may ask for.
const MaxQuorum = 16

// Counts says whether an approval of kind counts toward q.
func (q Quorum) Counts(kind string) bool {
	kinds := q.Kinds
	if len(kinds) == 0 {
		kinds = DefaultApprovalKinds
	}
	return slices.Contains(kinds, approval.Kind(kind))
}

// Counted is the approvals that count toward q at now: one per approver,
// of a counted kind, not expired.
func (q Quorum) Counted(aps []store.Approval, now time.Time) []string {
	var names []string
	for _, a := range aps {
		if q.Counts(a.Kind) && now.Before(a.Expires) && !slices.Contains(names, a.Approver) {
			names = append(names, a.Approver)
		}
	}
	return names
}

// Quorum returns what was recorded for wallet; ok is false when nothing
// was.
func (c *Coordinator) Quorum(ctx context.Context, wallet string) (q Quorum, ok bool, err error) {
	sq, err := c.st.Quorum(ctx, wallet)
	if errors.Is(err, store.ErrNotFound) {
		if _, err := c.st.Wallet(ctx, wallet); err != nil {
			return Quorum{}, false, err
		}
		return Quorum{}, false, nil
	}
	if err != nil {
		return Quorum{}, false, err
	}
	q = Quorum{Need: sq.Need, SetBy: sq.SetBy, Updated: sq.Updated}
	for _, k := range sq.Kinds {
		q.Kinds = append(q.Kinds, approval.Kind(k))
	}
	return q, true, nil
}

// SetQuorum records, as by, that wallet's kiosk policy needs need
// approvals of kinds (none: the kiosk's default kinds); need 0 forgets
// the record, and the pages behave as before one was made.
func (c *Coordinator) SetQuorum(ctx context.Context, wallet string, need int, kinds []approval.Kind, by string) error {
	var names []string
	for _, k := range kinds {
		names = append(names, string(k))
	}
	data := map[string]any{"wallet": wallet, "need": need, "kinds": strings.Join(names, ","), "by": by}
	return c.logged("wallet-quorum", data, func() error {
		if _, err := c.st.Wallet(ctx, wallet); err != nil {
			return err
		}
		if need == 0 {
			return c.st.ClearQuorum(ctx, wallet)
		}
		if need < 0 || need > MaxQuorum {
			return fmt.Errorf("%w: %d approvals: a kiosk policy asks for 1 to %d (0 forgets the record)", ErrInvalid, need, MaxQuorum)
		}
		for i, k := range kinds {
			if !slices.Contains(approval.Kinds, k) {
				return fmt.Errorf("%w: approval kind %q: use station, webauthn or coordinator-sealed", ErrInvalid, k)
			}
			if slices.Contains(kinds[:i], k) {
				return fmt.Errorf("%w: approval kind %q is named twice", ErrInvalid, k)
			}
		}
		return c.st.SetQuorum(ctx, store.Quorum{Wallet: wallet, Need: need, Kinds: names, SetBy: by, Updated: c.cfg.Now()})
	})
}
