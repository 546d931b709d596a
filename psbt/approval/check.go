package approval

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"airsign/psbt/approval/webauthn"
)

// Enrolled is an approver key the kiosk knows. A removed key stays listed
// so that its approvals are refused by name rather than as unknown.
type Enrolled struct {
	Name    string
	Key     Key
	Removed bool
}

// Rules say which approvals count and how many are needed.
type Rules struct {
	Need int
	// Kinds are the key kinds whose approvals count; empty: every kind.
	Kinds []Kind
	// RequireUV counts a WebAuthn approval only when the authenticator
	// verified the user (PIN or biometric), not on presence alone.
	RequireUV bool
}

// Counted is an approver whose approval counts, with the kind of key that
// made it.
type Counted struct {
	Name string
	Kind Kind
}

// Check is CheckWith for need approvals of any kind, returning names.
func Check(p *btcpsbt.Packet, wallet string, fee btcutil.Amount, now time.Time, enrolled []Enrolled, need int) (approvers []string, problems []string, err error) {
	counted, problems, err := CheckWith(p, wallet, fee, now, enrolled, Rules{Need: need})
	for _, c := range counted {
		approvers = append(approvers, c.Name)
	}
	return approvers, problems, err
}

// candidate is one approval found in the PSBT, of either form.
type candidate struct {
	id      []byte // the enrolled key's ID
	label   string // the name it was signed as
	message *Message
	verify  func(e Key, requireUV bool) error
}

// CheckWith returns the distinct enrolled approvers, in name order, whose
// approvals in p validly approve p's transaction under rules: the approval
// is for wallet, names p's unsigned txid, every output's script and value
// and the fee as the kiosk computed it, has not expired at now, its
// signature (or WebAuthn assertion) is valid, its key is enrolled, not
// removed, and of a kind rules count. Each approver counts once, however
// many keys they have; a key enrolled under two names counts once.
//
// problems holds a sentence for every approval that does not count, and,
// when fewer than rules.Need approvers count, one that says which
// approvals are needed. err is reserved for data that is malformed (see
// Extract) and for an invalid enrolled list or rules; it means nothing was
// judged.
func CheckWith(p *btcpsbt.Packet, wallet string, fee btcutil.Amount, now time.Time, enrolled []Enrolled, rules Rules) (counted []Counted, problems []string, err error) {
	if p == nil || p.UnsignedTx == nil {
		return nil, nil, errors.New("approval: the PSBT has no unsigned transaction")
	}
	if rules.Need < 0 {
		return nil, nil, fmt.Errorf("approval: %d approvals needed; the number must not be negative", rules.Need)
	}
	for _, k := range rules.Kinds {
		if _, err := ParseKind(string(k)); err != nil {
			return nil, nil, fmt.Errorf("approval: %w", err)
		}
	}
	for i, e := range enrolled {
		if err := e.Key.Check(); err != nil {
			return nil, nil, fmt.Errorf("approval: enrolled approver %d (%q): %w", i, e.Name, err)
		}
		if e.Name == "" {
			return nil, nil, fmt.Errorf("approval: enrolled approver %d (key %s) has no name", i, e.Key.Fingerprint())
		}
	}
	eds, err := Extract(p)
	if err != nil {
		return nil, nil, err
	}
	was, err := ExtractWebAuthn(p)
	if err != nil {
		return nil, nil, err
	}
	var all []candidate
	for _, a := range eds {
		all = append(all, candidate{id: a.PublicKey, label: a.Approver, message: &a.Message, verify: func(Key, bool) error { return a.Verify() }})
	}
	for _, a := range was {
		all = append(all, candidate{id: a.KeyID[:], label: a.Approver, message: &a.Message, verify: func(e Key, uv bool) error { return a.Verify(e.WebAuthn, e.RPID, uv) }})
	}

	txid := p.UnsignedTx.TxHash()
	seen := make(map[string]bool) // enrolled names
	var refusedKind bool
	for _, a := range all {
		var names []string
		var key Key
		removed := false
		for _, e := range enrolled {
			if bytes.Equal(e.Key.ID(), a.id) {
				if !slices.Contains(names, e.Name) {
					names = append(names, e.Name)
				}
				if key.Kind == "" || e.Key.Kind == KindSealed {
					key = e.Key // the weakest kind it is enrolled as
				}
				removed = removed || e.Removed
			}
		}
		if len(names) == 0 {
			problems = append(problems, fmt.Sprintf("approval by key %s (signed as %q): key not enrolled on this kiosk", shortKey(a.id), a.label))
			continue
		}
		who := names[0]
		if removed {
			problems = append(problems, fmt.Sprintf("approval by %s: key %s removed on this kiosk", who, shortKey(a.id)))
			continue
		}
		if len(rules.Kinds) > 0 && !slices.Contains(rules.Kinds, key.Kind) {
			refusedKind = true
			problems = append(problems, fmt.Sprintf("approval by %s does not count: it was made with a %s key, and this wallet's policy counts only %s approvals here", who, key.Kind, kindList(rules.Kinds)))
			continue
		}
		if err := a.verify(key, rules.RequireUV); err != nil {
			switch {
			case key.Kind == KindWebAuthn && errors.Is(err, webauthn.ErrUserVerification):
				problems = append(problems, fmt.Sprintf("approval by %s: the security key did not verify the user (no PIN or biometric), and this wallet's policy requires it", who))
			case key.Kind == KindWebAuthn && errors.Is(err, webauthn.ErrUserPresence):
				problems = append(problems, fmt.Sprintf("approval by %s: the security key was not touched (no user presence): it was not made by a person", who))
			case key.Kind == KindWebAuthn && errors.Is(err, webauthn.ErrChallenge):
				problems = append(problems, fmt.Sprintf("approval by %s: the security key signed another message: this approval was made for another request, wallet or amount", who))
			default:
				problems = append(problems, fmt.Sprintf("approval by %s: the signature is not valid: it was forged, or the approval changed after signing", who))
			}
			continue
		}
		if why := mismatch(a.message, p, txid, wallet, fee); why != "" {
			problems = append(problems, fmt.Sprintf("approval by %s %s", who, why))
			continue
		}
		if !now.Before(a.message.Expires) {
			problems = append(problems, fmt.Sprintf("approval by %s has expired at %s (it is now %s)", who, a.message.Expires.UTC().Format(time.DateTime+" UTC"), now.UTC().Format(time.DateTime+" UTC")))
			continue
		}
		if slices.ContainsFunc(names, func(n string) bool { return seen[n] }) {
			problems = append(problems, fmt.Sprintf("approval by %s counted once: the same approver twice", who))
			continue
		}
		for _, n := range names {
			seen[n] = true
		}
		counted = append(counted, Counted{Name: who, Kind: key.Kind})
		if len(names) > 1 {
			problems = append(problems, fmt.Sprintf("approval by %s counted once: its key %s is enrolled as %s", who, shortKey(a.id), strings.Join(names, " and as ")))
		}
	}
	slices.SortFunc(counted, func(x, y Counted) int { return strings.Compare(x.Name, y.Name) })

	if len(counted) < rules.Need {
		var names []string
		for _, c := range counted {
			names = append(names, c.Name)
		}
		var sentence string
		switch {
		case len(all) == 0:
			sentence = fmt.Sprintf("the PSBT carries no approvals; %d needed", rules.Need)
		case len(counted) == 0:
			sentence = fmt.Sprintf("no approval counts; %d needed", rules.Need)
		default:
			sentence = fmt.Sprintf("%d of %d approvals needed (%s); %d more needed", len(counted), rules.Need, strings.Join(names, ", "), rules.Need-len(counted))
		}
		if len(rules.Kinds) > 0 && (refusedKind || !slices.Contains(rules.Kinds, KindSealed)) {
			sentence += fmt.Sprintf(": this wallet's policy needs %d approvals made %s", rules.Need, kindWays(rules.Kinds))
		}
		problems = append(problems, sentence)
	}
	return counted, problems, nil
}

// kindList names kinds for a sentence: "station or webauthn".
func kindList(ks []Kind) string {
	var s []string
	for _, k := range ks {
		s = append(s, string(k))
	}
	return strings.Join(s, " or ")
}

// kindWays says how approvals of kinds are made, for an operator.
func kindWays(ks []Kind) string {
	var s []string
	for _, k := range Kinds {
		if !slices.Contains(ks, k) {
			continue
		}
		switch k {
		case KindStation:
			s = append(s, "on an approver station (station)")
		case KindWebAuthn:
			s = append(s, "with a security key or passkey (webauthn)")
		case KindSealed:
			s = append(s, "with a key sealed on the coordinator (coordinator-sealed)")
		}
	}
	return strings.Join(s, " or ")
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
