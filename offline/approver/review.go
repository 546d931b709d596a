package approver

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"airsign/offline/kiosk"
	"airsign/psbt"
	"airsign/psbt/approval"
	"airsign/psbt/descriptor"
)

// DefaultExpiry is how long an approval is valid when Approve is given no
// expiry: a working day, for the kiosk to sign within.
const DefaultExpiry = 8 * time.Hour

// MaxExpiry is the longest an approval may be valid: an approval is for a
// withdrawal about to be made, not a standing permission.
const MaxExpiry = 7 * 24 * time.Hour

// ErrNoRequest means the PSBT names no withdrawal request (it was not made
// by the airsign coordinator) and none was given: the approver must say
// which request it is, as the coordinator shows it.
var ErrNoRequest = errors.New("the PSBT names no withdrawal request, and none was given")

// Review is what the station computed of a PSBT, from the PSBT's own data
// and the wallet's watch-only descriptor only: whose coins it spends, every
// output with its address and amount, which outputs are proven change, the
// fee, and the approval message Approve would sign. Nothing in it comes
// from the coordinator's words but the request id, which is a label.
type Review struct {
	Wallet   Wallet
	WalletID string // how the approval names the wallet (kiosk.WalletID)
	// Request is the withdrawal request's id: the one the PSBT names
	// (approval.RequestOf), or the one given to Review.
	Request string
	TxID    chainhash.Hash
	// Summary is psbt.Analyze's account against the wallet's descriptor:
	// inputs, outputs (payment or change, change proven by derivation),
	// fee, and any refusals and warnings.
	Summary  *psbt.Summary
	Fee      btcutil.Amount
	PSBTHash [32]byte // SHA-256 of the PSBT as read

	station *Station
	msg     approval.Message // without its expiry, which Approve sets
	problem error
}

// Problem says why the station will not approve what it reviewed, or is
// nil: the analysis refused the PSBT, its fee is unknown, or no request
// names it (ErrNoRequest).
func (r *Review) Problem() error { return r.problem }

// Message is the approval message Approve signs, without its expiry. It
// is the zero Message when Problem is not nil.
func (r *Review) Message() approval.Message {
	m := r.msg
	m.Outputs = slices.Clone(m.Outputs)
	for i := range m.Outputs {
		m.Outputs[i].Script = slices.Clone(m.Outputs[i].Script)
	}
	return m
}

// Review reads a PSBT (binary, base64 or hex) and reviews it against the
// one wallet of the station whose coins it spends. request is the
// withdrawal request's id when the PSBT does not name it; when both are
// given they must agree. Review refuses, with what to do, a PSBT that
// spends coins of no wallet the station watches or of several; a PSBT
// that psbt.Analyze refuses (an input of no watched wallet among them, a
// change output that does not derive from the wallet, an unproven amount)
// is reviewed, and its Problem says why it cannot be approved.
func (s *Station) Review(data []byte, request string) (*Review, error) {
	p, err := psbt.Decode(data)
	if err != nil {
		return nil, err
	}
	ws, err := s.Wallets()
	if err != nil {
		return nil, err
	}
	if len(ws) == 0 {
		return nil, errors.New("the station watches no wallet yet: add the watch-only descriptor of the wallet you approve for, then review again")
	}
	now := s.now()
	var claimed []*Review
	var names []string
	for _, w := range ws {
		d, err := w.Parse()
		if err != nil {
			return nil, err
		}
		sum, err := analyze(p, d, now)
		if err != nil {
			return nil, err
		}
		names = append(names, fmt.Sprintf("%q", w.Name))
		if slices.ContainsFunc(sum.Inputs, func(in psbt.Input) bool { return in.Ours }) {
			claimed = append(claimed, &Review{Wallet: w, WalletID: kiosk.WalletID(d), Summary: sum})
		}
	}
	switch len(claimed) {
	case 0:
		return nil, fmt.Errorf("the PSBT spends no coin of the wallets this station watches (%s): if you approve for its wallet, add that wallet's watch-only descriptor; otherwise this request is not yours to approve", strings.Join(names, ", "))
	case 1:
	default:
		var both []string
		for _, c := range claimed {
			both = append(both, fmt.Sprintf("%q", c.Wallet.Name))
		}
		return nil, fmt.Errorf("the PSBT spends coins of more than one wallet this station watches (%s); an approval is for one wallet: ask the coordinator for a transaction of one wallet's coins", strings.Join(both, ", "))
	}
	r := claimed[0]
	r.station, r.TxID, r.PSBTHash = s, p.UnsignedTx.TxHash(), sha256.Sum256(data)
	named, err := approval.RequestOf(p)
	if err != nil {
		return nil, err
	}
	switch {
	case request != "" && named != "" && request != named:
		return nil, fmt.Errorf("the PSBT is for withdrawal request %q, not %q: check which request you are approving", named, request)
	case request == "":
		request = named
	}
	r.Request = request
	sum := r.Summary
	switch {
	case len(sum.Refusals) > 0:
		var why []string
		for _, f := range sum.Refusals {
			why = append(why, f.String())
		}
		r.problem = fmt.Errorf("the station refuses this PSBT: %s", strings.Join(why, "; "))
	case !sum.FeeKnown:
		r.problem = errors.New("the station refuses this PSBT: its fee cannot be proven from the PSBT")
	case request == "":
		r.problem = ErrNoRequest
	}
	if r.problem != nil {
		return r, nil
	}
	r.Fee = sum.Fee
	// The expiry is a placeholder until Approve sets the one chosen.
	if r.msg, err = approval.MessageFor(p, r.WalletID, request, sum.Fee, now.Add(DefaultExpiry)); err != nil {
		return nil, err
	}
	return r, nil
}

// analyze is psbt.Analyze for a watch-only wallet, with the kiosk's default
// fee caps and the station's clock. A multisig's analysis is as one of its
// cosigners, and the station is none: it analyzes as each, and keeps what
// holds for all (an input is the wallet's, an output change, only when
// every cosigner's kiosk would find so) and every refusal.
func analyze(p *btcpsbt.Packet, d *descriptor.Descriptor, now time.Time) (*psbt.Summary, error) {
	pol := psbt.DefaultPolicy
	pol.Now = now
	if !d.Script.Multisig() {
		return psbt.Analyze(p, d, pol)
	}
	var s *psbt.Summary
	for _, k := range d.Keys {
		pol.Cosigner = k.Origin.Fingerprint
		t, err := psbt.Analyze(p, d, pol)
		if err != nil {
			return nil, err
		}
		if s == nil {
			s = t
			continue
		}
		for i := range s.Inputs {
			s.Inputs[i].Ours = s.Inputs[i].Ours && t.Inputs[i].Ours
		}
		for i := range s.Outputs {
			if s.Outputs[i].Kind != t.Outputs[i].Kind {
				s.Outputs[i].Kind, s.Outputs[i].Branch, s.Outputs[i].AddrIndex = psbt.Payment, 0, 0
			}
		}
		s.Refusals = mergeFindings(s.Refusals, t.Refusals)
		s.Warnings = mergeFindings(s.Warnings, t.Warnings)
	}
	s.Payments = 0
	for _, o := range s.Outputs {
		if o.Kind != psbt.Change {
			s.Payments += o.Amount
		}
	}
	s.Spent = s.Payments
	if s.FeeKnown {
		s.Spent += s.Fee
	}
	return s, nil
}

// mergeFindings adds to fs what more does not already say of the same
// input or output.
func mergeFindings(fs, more []psbt.Finding) []psbt.Finding {
	for _, f := range more {
		if !slices.ContainsFunc(fs, func(g psbt.Finding) bool {
			return g.Code == f.Code && g.Input == f.Input && g.Output == f.Output
		}) {
			fs = append(fs, f)
		}
	}
	return fs
}

// Approve signs r's message with the station's key, opened with
// passphrase, valid until expires (zero: DefaultExpiry from now; it must be
// after now and at most MaxExpiry ahead, and is kept to the second). It
// refuses a review of another station or one whose Problem is not nil. The
// approval is written to the station's log before it is returned; the
// private key is wiped before Approve returns.
func (s *Station) Approve(r *Review, passphrase []byte, expires time.Time) (approval.Approval, error) {
	if r == nil || r.station != s {
		return approval.Approval{}, errors.New("this review was not made by this station: review the PSBT here")
	}
	if r.problem != nil {
		return approval.Approval{}, r.problem
	}
	now := s.now()
	if expires.IsZero() {
		expires = now.Add(DefaultExpiry)
	}
	expires = time.Unix(expires.Unix(), 0).UTC()
	if !expires.After(now) {
		return approval.Approval{}, fmt.Errorf("the approval would expire at %s, which is not after now (%s)", expires.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if expires.After(now.Add(MaxExpiry)) {
		return approval.Approval{}, fmt.Errorf("the approval would be valid until %s, more than %s ahead: an approval is for a withdrawal about to be signed", expires.Format(time.RFC3339), fmtDuration(MaxExpiry))
	}
	block, err := s.readKeyBlock()
	if err != nil {
		return approval.Approval{}, err
	}
	priv, err := openSeal(block, s.key.Ed25519, passphrase)
	if err != nil {
		return approval.Approval{}, err
	}
	defer clear(priv)
	m := r.Message()
	m.Expires = expires
	a := approval.Sign(m, s.name, priv)
	if err := a.Verify(); err != nil {
		return approval.Approval{}, err
	}
	if err := s.record(r, a, now); err != nil {
		return approval.Approval{}, fmt.Errorf("the approval could not be written to the station's log, so it is not given out: %w", err)
	}
	return a, nil
}

// fmtDuration writes whole days as days: "7 days", "8h0m0s".
func fmtDuration(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}
