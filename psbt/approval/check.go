package approval

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// Enrolled is an approver key the kiosk knows. A removed key stays listed
// so that its approvals are refused by name rather than as unknown.
type Enrolled struct {
	Name    string
	Key     ed25519.PublicKey
	Removed bool
}

// Check returns the distinct enrolled approvers, by enrolled name and in
// name order, whose approvals in p validly approve p's transaction: the
// approval is for wallet, names p's unsigned txid, every output's script
// and value and the fee as the kiosk computed it, has not expired at now,
// its signature is valid, and its key is enrolled and not removed. Each
// approver counts once, however many keys they have; a key enrolled under
// two names counts once.
//
// problems holds a sentence for every approval that does not count, and,
// when fewer than need approvers count, one that says so. err is reserved
// for data that is malformed (see Extract) and for an invalid enrolled
// list or need; it means nothing was judged.
func Check(p *btcpsbt.Packet, wallet string, fee btcutil.Amount, now time.Time, enrolled []Enrolled, need int) (approvers []string, problems []string, err error) {
	if p == nil || p.UnsignedTx == nil {
		return nil, nil, errors.New("approval: the PSBT has no unsigned transaction")
	}
	if need < 0 {
		return nil, nil, fmt.Errorf("approval: %d approvals needed; the number must not be negative", need)
	}
	for i, e := range enrolled {
		if len(e.Key) != ed25519.PublicKeySize {
			return nil, nil, fmt.Errorf("approval: enrolled approver %d (%q) has a %d-byte key, not a %d-byte ed25519 public key", i, e.Name, len(e.Key), ed25519.PublicKeySize)
		}
		if e.Name == "" {
			return nil, nil, fmt.Errorf("approval: enrolled approver %d (key %s) has no name", i, shortKey(e.Key))
		}
	}
	all, err := Extract(p)
	if err != nil {
		return nil, nil, err
	}

	txid := p.UnsignedTx.TxHash()
	counted := make(map[string]bool) // enrolled names
	for _, a := range all {
		var names []string
		removed := false
		for _, e := range enrolled {
			if bytes.Equal(e.Key, a.PublicKey) {
				if !slices.Contains(names, e.Name) {
					names = append(names, e.Name)
				}
				removed = removed || e.Removed
			}
		}
		if len(names) == 0 {
			problems = append(problems, fmt.Sprintf("approval by key %s (signed as %q): key not enrolled on this kiosk", shortKey(a.PublicKey), a.Approver))
			continue
		}
		who := names[0]
		if removed {
			problems = append(problems, fmt.Sprintf("approval by %s: key %s removed on this kiosk", who, shortKey(a.PublicKey)))
			continue
		}
		if err := a.Verify(); err != nil {
			problems = append(problems, fmt.Sprintf("approval by %s: the signature is not valid: it was forged, or the approval changed after signing", who))
			continue
		}
		if why := mismatch(&a.Message, p, txid, wallet, fee); why != "" {
			problems = append(problems, fmt.Sprintf("approval by %s %s", who, why))
			continue
		}
		if !now.Before(a.Message.Expires) {
			problems = append(problems, fmt.Sprintf("approval by %s has expired at %s (it is now %s)", who, a.Message.Expires.UTC().Format(time.DateTime+" UTC"), now.UTC().Format(time.DateTime+" UTC")))
			continue
		}
		if slices.ContainsFunc(names, func(n string) bool { return counted[n] }) {
			problems = append(problems, fmt.Sprintf("approval by %s counted once: the same approver twice", who))
			continue
		}
		for _, n := range names {
			counted[n] = true
		}
		approvers = append(approvers, who)
		if len(names) > 1 {
			problems = append(problems, fmt.Sprintf("approval by %s counted once: its key %s is enrolled as %s", who, shortKey(a.PublicKey), strings.Join(names, " and as ")))
		}
	}
	slices.Sort(approvers)

	if len(approvers) < need {
		switch {
		case len(all) == 0:
			problems = append(problems, fmt.Sprintf("the PSBT carries no approvals; %d needed", need))
		case len(approvers) == 0:
			problems = append(problems, fmt.Sprintf("no approval counts; %d needed", need))
		default:
			problems = append(problems, fmt.Sprintf("%d of %d approvals needed (%s); %d more needed", len(approvers), need, strings.Join(approvers, ", "), need-len(approvers)))
		}
	}
	return approvers, problems, nil
}

// mismatch says how m differs from p's transaction, fee and wallet, or
// returns "". Outputs come before the txid: a changed output changes the
// txid too, and the output says more.
func mismatch(m *Message, p *btcpsbt.Packet, txid chainhash.Hash, wallet string, fee btcutil.Amount) string {
	if m.Wallet != wallet {
		return fmt.Sprintf("is for wallet %q, not %q", m.Wallet, wallet)
	}
	outs := p.UnsignedTx.TxOut
	if len(m.Outputs) != len(outs) {
		return fmt.Sprintf("does not match: outputs differ: the approval lists %d outputs, the PSBT has %d", len(m.Outputs), len(outs))
	}
	for i, o := range m.Outputs {
		if !bytes.Equal(o.Script, outs[i].PkScript) {
			return fmt.Sprintf("does not match: outputs differ: output %d pays script %s in the approval, %s in the PSBT", i, scriptHex(o.Script), scriptHex(outs[i].PkScript))
		}
		if o.Value != outs[i].Value {
			return fmt.Sprintf("does not match: outputs differ: output %d pays %s in the approval, %s in the PSBT", i, btc(o.Value), btc(outs[i].Value))
		}
	}
	if m.Fee != int64(fee) {
		return fmt.Sprintf("does not match: the fee is %s in the approval, %s in the PSBT", btc(m.Fee), btc(int64(fee)))
	}
	if m.TxID != txid {
		return fmt.Sprintf("signs transaction %s, not this one (%s): its outputs and fee agree, its inputs, version or lock time differ", shortTxID(m.TxID.String()), shortTxID(p.UnsignedTx.TxID()))
	}
	return ""
}

func scriptHex(s []byte) string {
	if len(s) > 40 {
		return fmt.Sprintf("%x… (%d bytes)", s[:40], len(s))
	}
	return fmt.Sprintf("%x", s)
}

func shortTxID(id string) string { return id[:16] + "…" }
