package kiosk

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"

	"airsign/offline/home"
	"airsign/psbt"
	"airsign/psbt/approval"
	"airsign/psbt/auditlog"
	"airsign/psbt/bip322"
)

// MaxMessageBytes bounds the BIP-322 message or challenge a PSBT may carry:
// every byte of it is shown to the operator before signing, so it must fit
// a screen. Custodians' messages and auditors' challenges are a sentence.
const MaxMessageBytes = 4096

// Audit log kinds of BIP-322 signings.
const (
	KindSignMessage = "sign-message"
	KindProve       = "prove"
)

// ProofMessage returns the BIP-322 message p carries beside its to_sign
// (the airsign field approval.SubtypeMessage), and whether it carries one.
// A PSBT with a message is never a withdrawal: LoadPSBT refuses it, and
// LoadProof reviews it.
func ProofMessage(p *btcpsbt.Packet) ([]byte, bool, error) {
	fields := approval.Fields(p, approval.SubtypeMessage)
	switch {
	case len(fields) == 0:
		return nil, false, nil
	case len(fields) > 1 || len(fields[0].Data) != 0:
		return nil, true, errors.New("the PSBT carries more than one BIP-322 message field; have the coordinator build it again")
	case len(fields[0].Value) > MaxMessageBytes:
		return nil, true, fmt.Errorf("the PSBT's BIP-322 message is %d bytes, more than the %d the kiosk shows; ask for a shorter message or challenge", len(fields[0].Value), MaxMessageBytes)
	}
	return fields[0].Value, true, nil
}

// ErrProofPSBT is wrapped by LoadPSBT's error for a PSBT that carries a
// BIP-322 message: it signs a message or proves reserves, and is reviewed
// by LoadProof, never as a withdrawal (whose analysis would take the coins
// it proves for a fee).
var ErrProofPSBT = errors.New("the PSBT signs a BIP-322 message or proof of reserves, not a withdrawal")

// Proof is a BIP-322 to_sign PSBT loaded for review: the message it signs
// and the coins it proves, checked against the wallet that owns them.
type Proof struct {
	*Loaded
	Request bip322.Request
	// Address is the address that signs the message (to_spend's output,
	// the commitment address of a proof of reserves).
	Address string
	// Refusals are why it cannot be signed, in sentences.
	Refusals []string
}

// Kind is the audit log kind of signing it: KindProve for a proof of
// reserves (it has coins), KindSignMessage for a message.
func (p *Proof) Kind() string {
	if len(p.Request.Coins) > 0 {
		return KindProve
	}
	return KindSignMessage
}

// Lines is the review of what signing proves, for the screen: never a
// withdrawal's, since nothing is paid.
func (p *Proof) Lines() []string {
	if p.Kind() == KindSignMessage {
		return []string{"Sign message for address " + p.Address + ":", "  " + ShowMessage(p.Request.Message)}
	}
	lines := []string{
		fmt.Sprintf("Proof of reserves for challenge %s: %d coin(s), total %s", ShowMessage(p.Request.Message), len(p.Request.Coins), p.Request.Amount),
		"  bound to the challenge by address " + p.Address,
	}
	for _, in := range p.Summary.Inputs[1:] {
		lines = append(lines, fmt.Sprintf("  coin %v  %s  %s", in.OutPoint, in.Amount, in.Address))
	}
	return lines
}

// ShowMessage is a message as the operator reads it: as written when it
// is printable text, else quoted with its escapes, so that no control
// character or invalid byte hides what is signed.
func ShowMessage(m []byte) string {
	s := string(m)
	if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return "“" + s + "”"
	}
	return strconv.Quote(s) + " (quoted: it holds characters that are not printable)"
}

// proofPolicy is the analysis policy of a BIP-322 to_sign: no fee caps,
// since to_sign's "fee" is every coin it proves and is never paid (its
// first input spends a coin that cannot exist), and never a foreign input:
// a proof speaks for the wallet's coins only.
func proofPolicy(w *home.Wallet, now time.Time) (psbt.Policy, error) {
	pol, err := PolicyFor(w)
	pol.MaxFee, pol.MaxFeeRate, pol.AllowForeignInputs, pol.Now, pol.BIP322 = 0, 0, false, now, true
	return pol, err
}

// LoadProof decodes a BIP-322 to_sign PSBT (a message signature or a proof
// of reserves), checks that to_spend commits to the message it carries,
// and finds the registered wallet whose addresses are every one of its
// inputs, re-derived from the wallet's descriptor. A PSBT that is not one
// wallet's throughout is an error; one the kiosk must not sign has
// Refusals.
func LoadProof(h *home.Home, data []byte, source string, now time.Time) (*Proof, error) {
	p, form, err := psbt.DecodeForm(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	message, ok, err := ProofMessage(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if !ok {
		return nil, fmt.Errorf("%s: the PSBT carries no BIP-322 message; it is not a message signature or proof of reserves", source)
	}
	req, err := bip322.Describe(p, message)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	wallets, err := h.Wallets()
	if err != nil {
		return nil, err
	}
	var owners []*Proof
	for i := range wallets {
		w := &wallets[i]
		if w.IsScriptWallet() {
			continue // proofs are of single-path wallets' coins
		}
		d, err := w.Parsed()
		if err != nil {
			return nil, fmt.Errorf("wallet %q: %w", w.Name, err)
		}
		pol, err := proofPolicy(w, now)
		if err != nil {
			return nil, err
		}
		s, err := psbt.Analyze(p, d, pol)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		if !s.Inputs[0].Ours {
			continue
		}
		pr := &Proof{Loaded: &Loaded{Packet: p, Hash: sha256.Sum256(data), Wallet: w, Desc: d, Summary: s, Policy: pol, Form: form, Source: source},
			Request: req, Address: s.Inputs[0].Address}
		for _, in := range s.Inputs {
			if !in.Ours {
				pr.Refusals = append(pr.Refusals, fmt.Sprintf("input %d (%v) is not a coin of wallet %q: a proof speaks for the wallet's own coins only; have the coordinator build it again from the wallet's coins", in.Index, in.OutPoint, w.Name))
			}
		}
		for _, f := range s.Refusals {
			pr.Refusals = append(pr.Refusals, f.String())
		}
		owners = append(owners, pr)
	}
	switch len(owners) {
	case 0:
		return nil, fmt.Errorf("%s: the address that signs (%x) is not an address of a wallet registered on this kiosk, at a derivation the PSBT names: %s; this kiosk's wallets: %s",
			source, req.Commitment, carriedDerivations(p), walletOrigins(wallets))
	case 1:
		return owners[0], nil
	}
	return nil, fmt.Errorf("%s: the address that signs belongs to more than one registered wallet; the kiosk does not choose whose it is", source)
}

// SignProof signs a BIP-322 message or proof of reserves under the
// wallet's share quorum, as a withdrawal is: the shares must rebuild the
// wallet's key. The spending policy (limits, approvals) does not apply,
// since nothing is paid, and nothing enters the spending ledger. The audit
// log entry (KindSignMessage or KindProve) holds the message's BIP-322
// hash, the address, the coins and their total; the signed PSBT carries
// the log's checkpoint back, as a withdrawal's does.
func (s Station) SignProof(pr *Proof, req SignRequest) ([]byte, error) {
	hash := bip322.MessageHash(pr.Request.Message)
	var coins []string
	for _, c := range pr.Request.Coins {
		coins = append(coins, c.String())
	}
	entry := map[string]any{
		"psbt_sha256": hex.EncodeToString(pr.Hash[:]), "wallet": pr.Wallet.Name, "source": pr.Source,
		"message_sha256": hex.EncodeToString(hash[:]), "address": pr.Address,
		"coins": coins, "amount_sat": int64(pr.Request.Amount), "shares": shareNames(req.Shares),
	}
	refusals := pr.Refusals
	if err := checkClock(s.Home, s.now()); err != nil {
		refusals = append(refusals, err.Error())
	}
	if len(refusals) > 0 {
		entry["result"], entry["reason"] = "refused", refusals[0]
		return nil, s.logged(&Refusal{Reason: refusals[0]}, s.append(pr.Kind(), entry))
	}
	fail := func(err error) ([]byte, error) {
		entry["result"], entry["reason"] = "failed", err.Error()
		return nil, s.logged(&SignFailure{err}, s.append(pr.Kind(), entry))
	}
	if req.ReadErr != nil {
		return fail(req.ReadErr)
	}
	for _, sh := range req.Shares {
		if err := CheckShare(s.Home, pr.Wallet, sh); err != nil {
			return fail(err)
		}
	}
	signed, err := pr.Sign(req.Shares)
	if err != nil {
		return fail(err)
	}
	sum := sha256.Sum256(signed)
	entry["result"], entry["signed_psbt_sha256"] = "signed", hex.EncodeToString(sum[:])
	if err := s.append(pr.Kind(), entry); err != nil {
		return nil, err
	}
	cp, err := s.Home.Log().Checkpoint()
	if err != nil {
		return nil, err
	}
	if err := auditlog.Carry(pr.Packet, s.Home.VerifierKey(), cp); err != nil {
		return nil, err
	}
	return pr.Encode()
}

// Finished is the signature of a signed proof when this kiosk's signature
// completes it (a single-sig wallet): the operator can hand it over without
// the coordinator. ok is false while cosigners must still sign.
func Finished(signed []byte) (bip322.Signed, bool) {
	p, err := psbt.Decode(signed)
	if err != nil {
		return bip322.Signed{}, false
	}
	out, err := bip322.Finish(p)
	return out, err == nil
}
