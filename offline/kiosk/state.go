package kiosk

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcutil"

	"airsign/offline/home"
	"airsign/offline/policy"
	"airsign/psbt"
)

// ErrTampered means the kiosk's state files are not what its audit log says
// they became: a file was deleted, replaced or rolled back behind the
// kiosk's back. Nothing is signed until the custodians and the auditor have
// looked.
var ErrTampered = errors.New("the kiosk's files do not match its audit log")

// stateEntry holds the fields of the audit entries that change the kiosk's
// state.
type stateEntry struct {
	Wallet          string `json:"wallet"`
	Descriptor      string `json:"descriptor"`
	WalletSHA256    string `json:"wallet_sha256"`
	Result          string `json:"result"`
	AfterDigest     string `json:"after_digest"`
	Set             string `json:"set"`
	ApproversDigest string `json:"approvers_digest"`
}

// CheckState compares the kiosk's state files with what its audit log
// recorded of every change: each wallet a ceremony or registration added is
// there with the same descriptor, each wallet's policy is the one its last
// logged change made (by digest), every retired set is still retired, and
// the approvers are as their last logged change left them. A file that is
// missing or different is tampering: "missing means empty" would let anyone
// with the disk remove a control by deleting a file.
func CheckState(h *home.Home) error {
	entries, err := h.Log().Entries()
	if err != nil {
		return err
	}
	wallets := map[string]string{}     // name -> descriptor
	walletFiles := map[string]string{} // name -> SHA-256 of the file, as registered
	policies := map[string]string{}    // name -> digest after the last change
	var retired []string
	approversChanged, approversDigest := false, ""
	for _, e := range entries {
		var d stateEntry
		switch e.Kind {
		case "wallet-registered", "ceremony", "wallet-add", "policy-set", "suspend", "unsuspend", "retire-set", "approver-add", "approver-remove":
			if err := json.Unmarshal(e.Data, &d); err != nil {
				return fmt.Errorf("%w: audit entry %d (%s) does not read: %v", ErrTampered, e.Seq, e.Kind, err)
			}
		default:
			continue
		}
		switch e.Kind {
		case "wallet-registered", "ceremony", "wallet-add":
			if d.Result == "refused" {
				// a registration refused (its shares, its keys)
				// names the wallet it did not register
				continue
			}
			if d.Wallet != "" && d.Descriptor != "" {
				wallets[d.Wallet] = d.Descriptor
			}
			if d.WalletSHA256 != "" {
				walletFiles[d.Wallet] = d.WalletSHA256
			}
		case "policy-set", "suspend", "unsuspend":
			if d.Result == "changed" && d.AfterDigest != "" {
				policies[d.Wallet] = d.AfterDigest
			}
		case "retire-set":
			if d.Result == "retired" {
				retired = append(retired, d.Set)
			}
		case "approver-add", "approver-remove":
			if d.Result == "done" {
				approversChanged = true
				approversDigest = d.ApproversDigest // empty from kiosks before the digest was logged
			}
		}
	}
	var problems []string
	files, err := h.Wallets()
	if err != nil {
		problems = append(problems, err.Error())
	}
	for _, w := range files {
		if _, ok := wallets[w.Name]; !ok {
			problems = append(problems, fmt.Sprintf("wallet %q is on the disk but was never registered in the log", w.Name))
		}
	}
	for _, name := range sortedKeys(wallets) {
		w, err := h.Wallet(name)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("wallet %q, which the log registered, is missing or unreadable (%v)", name, err))
			continue
		case w.Descriptor != wallets[name]:
			problems = append(problems, fmt.Sprintf("wallet %q is not the descriptor the log registered", name))
			continue
		}
		if want, ok := walletFiles[name]; ok {
			if got, err := h.WalletFileSHA256(name); err != nil || got != want {
				problems = append(problems, fmt.Sprintf("the file of wallet %q is not the one the log registered (SHA-256 %s, logged %s)", name, got, want))
			}
		}
	}
	st := policy.NewStore(h.Dir(), h)
	for _, name := range sortedKeys(policies) {
		p, err := st.Policy(name)
		if err != nil {
			problems = append(problems, fmt.Sprintf("the policy of %q does not load: %v", name, err))
			continue
		}
		if got := policy.Digest(p); got != policies[name] {
			problems = append(problems, fmt.Sprintf("the policy of %q has digest %s, but its last change in the log made %s (deleted, replaced or rolled back)", name, got, policies[name]))
		}
	}
	// A policy or approvers no logged change made: a file put back from
	// another time (it is signed by this kiosk's key, so nothing else
	// could have written it).
	for _, w := range files {
		if _, ok := policies[w.Name]; ok {
			continue
		}
		if p, err := st.Policy(w.Name); err == nil && !p.Empty() {
			problems = append(problems, fmt.Sprintf("wallet %q has a policy (digest %s) that no change in the log made", w.Name, policy.Digest(p)))
		}
	}
	if len(retired) > 0 {
		rs, err := st.Retired()
		if err != nil {
			problems = append(problems, fmt.Sprintf("the retired share sets do not load: %v", err))
		}
		for _, set := range retired {
			if !slices.ContainsFunc(rs, func(r policy.RetiredSet) bool { return r.Set == set }) {
				problems = append(problems, fmt.Sprintf("share set %s, retired in the log, is not in the retired sets", set))
			}
		}
	}
	if !approversChanged {
		if as, err := st.AllApprovers(); err == nil && len(as) > 0 {
			problems = append(problems, fmt.Sprintf("%d approver(s) are enrolled, but no enrolment is in the log", len(as)))
		}
	}
	if approversChanged {
		as, err := st.AllApprovers()
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("the approvers do not load: %v", err))
		case approversDigest != "" && policy.ApproversDigest(as) != approversDigest:
			problems = append(problems, fmt.Sprintf("the approvers have digest %s, but their last change in the log made %s (deleted, replaced or rolled back)", policy.ApproversDigest(as), approversDigest))
		case approversDigest == "" && len(as) == 0:
			problems = append(problems, "the approvers, changed in the log, are gone")
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s. Nothing is signed: the custodians and the auditor must compare the files with the audit log, and restore them or make the changes again with the quorum", ErrTampered, strings.Join(problems, "; "))
	}
	return nil
}

// SignedSince sums what the audit log records as signed for the wallet
// after since: the 24-hour window, from the log itself, which cannot be
// dropped without breaking its signed checkpoints (the ledger file could).
func SignedSince(h *home.Home, wallet string, since time.Time) (btcutil.Amount, error) {
	records, err := signRecords(h)
	if err != nil {
		return 0, err
	}
	var sum btcutil.Amount
	for _, r := range records {
		if !r.Time.After(since) {
			continue
		}
		if r.err != nil {
			return 0, fmt.Errorf("%w: audit entry %d (sign) does not read: %v", ErrTampered, r.Seq, r.err)
		}
		if r.Result == "signed" && r.Wallet == wallet {
			sum += max(0, btcutil.Amount(r.SpentSat))
		}
	}
	return sum, nil
}

// signRecord is one "sign" entry of the audit log, its data decoded (err
// when it does not read).
type signRecord struct {
	Seq  uint64
	Time time.Time
	signedEntry
	err error
}

// signRecords reads the audit log's sign entries, which the 24-hour
// window, the signed-before check and the change bound all look at.
func signRecords(h *home.Home) ([]signRecord, error) {
	entries, err := h.Log().Entries()
	if err != nil {
		return nil, err
	}
	var rs []signRecord
	for _, e := range entries {
		if e.Kind != "sign" {
			continue
		}
		r := signRecord{Seq: e.Seq, Time: e.Time}
		r.err = json.Unmarshal(e.Data, &r.signedEntry)
		rs = append(rs, r)
	}
	return rs, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// signedEntry is what a "signed" sign entry says of what it signed.
type signedEntry struct {
	TxID   string   `json:"txid"`
	Wallet string   `json:"wallet"`
	Result string   `json:"result"`
	Inputs []string `json:"inputs"`
	// Change lists the change outputs' addresses as branch/index.
	Change   []string `json:"change"`
	SpentSat int64    `json:"spent_sat"`
}

// ChangeOf names the PSBT's change outputs as the sign entries record
// them: "1/7".
func ChangeOf(l *Loaded) []string {
	var cs []string
	for _, o := range l.Summary.Outputs {
		if o.Kind == psbt.Change {
			cs = append(cs, fmt.Sprintf("%d/%d", o.Branch, o.AddrIndex))
		}
	}
	return cs
}

// ChangeLookahead is how many change addresses past the last one used a
// coordinator watches (online/watcher's DefaultChangeGap); ReceiveLookahead
// the same for receive addresses (DefaultReceiveGap), which change may also
// go to.
const (
	ChangeLookahead  = 10
	ReceiveLookahead = 20
)

// lookahead is the coordinator's look-ahead on branch 0 or 1.
func lookahead(branch uint32) int64 {
	if branch == 0 {
		return ReceiveLookahead
	}
	return ChangeLookahead
}

// HighestChange is the highest address index on branch (1 change, 0
// receive) of the wallet that this kiosk has signed a transaction paying
// change to, from its audit log; -1 if none.
func HighestChange(h *home.Home, wallet string, branch uint32) (int64, error) {
	records, err := signRecords(h)
	if err != nil {
		return 0, err
	}
	highest := int64(-1)
	for _, d := range records {
		if d.err != nil || d.Result != "signed" || d.Wallet != wallet {
			continue
		}
		for _, c := range d.Change {
			var b, index int64
			if _, err := fmt.Sscanf(c, "%d/%d", &b, &index); err == nil && b == int64(branch) {
				highest = max(highest, index)
			}
		}
	}
	return highest, nil
}

// changeGap is one change output's distance past the highest address this
// kiosk has signed change to on its branch.
type changeGap struct {
	out     psbt.Output
	highest int64 // -1: none yet
	ahead   int64
}

// changeGaps measures every change output of the PSBT, on either branch (a
// hostile coordinator may put change on the receive branch).
func changeGaps(h *home.Home, l *Loaded) ([]changeGap, error) {
	var gaps []changeGap
	highest := map[uint32]int64{}
	for _, o := range l.Summary.Outputs {
		if o.Kind != psbt.Change {
			continue
		}
		hi, ok := highest[o.Branch]
		if !ok {
			var err error
			if hi, err = HighestChange(h, l.Wallet.Name, o.Branch); err != nil {
				return nil, err
			}
			highest[o.Branch] = hi
		}
		gaps = append(gaps, changeGap{out: o, highest: hi, ahead: int64(o.AddrIndex) - hi})
	}
	return gaps, nil
}

// warnChangeAhead warns of change that goes further past what this kiosk
// has signed for than a coordinator watches on that branch: such coins
// could vanish from the treasury's books.
func warnChangeAhead(h *home.Home, l *Loaded) error {
	gaps, err := changeGaps(h, l)
	if err != nil {
		return err
	}
	for _, g := range gaps {
		o := g.out
		if g.ahead <= lookahead(o.Branch) {
			continue
		}
		since := "none yet"
		if g.highest >= 0 {
			since = fmt.Sprintf("up to %d/%d", o.Branch, g.highest)
		}
		l.Summary.Warnings = append(l.Summary.Warnings, psbt.Finding{Code: psbt.CodeChangeFarAhead, Input: -1, Output: o.Index,
			Message: fmt.Sprintf("output %d: returns change to address %d/%d, %d past the change this kiosk has signed for on that branch (%s); a coordinator watches %d ahead and may never see these coins: check that it knows address %d/%d",
				o.Index, o.Branch, o.AddrIndex, g.ahead, since, lookahead(o.Branch), o.Branch, o.AddrIndex)})
	}
	return nil
}

// InputsOf names the PSBT's inputs as the sign entries record them.
func InputsOf(l *Loaded) []string {
	var ins []string
	for _, in := range l.Packet.UnsignedTx.TxIn {
		ins = append(ins, in.PreviousOutPoint.String())
	}
	return ins
}

// SignedBefore says, from the audit log, whether this kiosk signed the
// same transaction before, or another that spends one of its inputs: a
// coordinator replaying a request, or two transactions racing for one
// coin. Each sentence says when and what.
func SignedBefore(h *home.Home, l *Loaded) ([]string, error) {
	records, err := signRecords(h)
	if err != nil {
		return nil, err
	}
	txid := l.Summary.TxID.String()
	mine := InputsOf(l)
	var found []string
	for _, d := range records {
		if d.err != nil || d.Result != "signed" {
			continue
		}
		when := d.Time.UTC().Format("2006-01-02 15:04 UTC")
		if d.TxID == txid {
			found = append(found, fmt.Sprintf("this transaction was already signed here at %s (audit entry %d)", when, d.Seq))
			continue
		}
		for _, in := range d.Inputs {
			if slices.Contains(mine, in) {
				found = append(found, fmt.Sprintf("coin %s was already signed away here at %s in transaction %s (audit entry %d)", in, when, d.TxID, d.Seq))
			}
		}
	}
	return found, nil
}
