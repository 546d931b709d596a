package kiosk

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"

	"airsign/offline/hd"
	"airsign/offline/home"
	"airsign/offline/policy"
	"airsign/psbt"
	"airsign/psbt/auditlog"
	"airsign/psbt/descriptor"
	"airsign/shamir"
)

// Loaded is a decoded PSBT with the registered wallet it belongs to and the
// kiosk's review of it.
type Loaded struct {
	Packet  *btcpsbt.Packet
	Hash    [32]byte // SHA-256 of the PSBT as received
	Wallet  *home.Wallet
	Desc    *descriptor.Descriptor
	Script  *descriptor.ScriptWallet // instead of Desc, for a wallet with spending paths
	Summary *psbt.Summary
	Policy  psbt.Policy
	// Form is the PSBT's version as received: the signed PSBT is written
	// in it (Encode), so a wallet that sent version 2 gets version 2.
	Form   psbt.Form
	Source string // the file, or how many QR frames of which format
}

// PolicyFor is the analysis policy for a registered wallet: the default
// caps, and this kiosk's own key named by its fingerprint, which a multisig
// needs to know which cosigner signs here.
func PolicyFor(w *home.Wallet) (psbt.Policy, error) {
	pol := psbt.DefaultPolicy
	fp, err := hex.DecodeString(w.Fingerprint)
	if err != nil || len(fp) != 4 {
		return pol, fmt.Errorf("wallet %q has a malformed fingerprint %q", w.Name, w.Fingerprint)
	}
	pol.Cosigner = [4]byte(fp)
	return pol, nil
}

// LoadPSBT decodes a PSBT (binary, base64 or hex) and analyzes it against
// the registered wallet whose coins it spends. When it spends none, the
// review is against the named wallet or, without a name, the one wallet
// whose key its derivations name; with none (or several) it is refused with
// the keys it names and the wallets the kiosk has, and no wallet is guessed. source says where it came from, for messages; now is the
// kiosk's clock, which bounds lock times.
func LoadPSBT(h *home.Home, data []byte, source, walletName string, now time.Time) (*Loaded, error) {
	p, form, err := psbt.DecodeForm(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if _, ok, _ := ProofMessage(p); ok {
		return nil, fmt.Errorf("%s: %w; LoadProof reviews it", source, ErrProofPSBT)
	}
	hash := sha256.Sum256(data)
	// Every wallet is asked, even when one is named: a named wallet must not
	// skip the check that no other wallet (and its policy) claims the
	// inputs.
	candidates, err := h.Wallets()
	if err != nil {
		return nil, err
	}
	if walletName != "" {
		w, err := h.Wallet(walletName)
		if err != nil {
			return nil, err
		}
		// the named one first: the review of a PSBT with nothing of
		// any wallet's is against it
		candidates = slices.DeleteFunc(candidates, func(c home.Wallet) bool { return c.Name == w.Name })
		candidates = append([]home.Wallet{*w}, candidates...)
	}
	if len(candidates) == 0 {
		return nil, errors.New("no wallet is registered on this kiosk; run a ceremony first")
	}
	var named []*Loaded   // the wallets whose key the PSBT's derivations name
	var claimed []*Loaded // the wallets with an input of theirs
	// the wallets that re-derived an input's script but refused to sign it
	// (a recovery path not yet open, a witness script not the wallet's):
	// when one key serves two wallets, its derivations name both, and
	// this one is the review that says why
	var recognized []*Loaded
	for i := range candidates {
		w := &candidates[i]
		if _, err := w.Net(); err != nil {
			return nil, err // ParseNetwork's error names the network
		}
		d, sw, err := walletModel(w)
		if err != nil {
			return nil, fmt.Errorf("wallet %q: %w", w.Name, err)
		}
		pol, err := PolicyFor(w)
		if err != nil {
			return nil, err
		}
		spending, err := policy.NewStore(h.Dir(), h).Policy(w.Name)
		if err != nil {
			return nil, err
		}
		pol.AllowForeignInputs = spending.AllowForeignInputs
		pol.Now = now
		s, err := analyzeWallet(p, d, sw, pol)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		cand := &Loaded{Packet: p, Hash: hash, Source: source, Wallet: w, Desc: d, Script: sw, Summary: s, Policy: pol, Form: form}
		if s.NamesKey || w.Name == walletName {
			named = append(named, cand)
		}
		if recognizes(s) {
			recognized = append(recognized, cand)
		}
		for _, in := range s.Inputs {
			if in.Ours {
				claimed = append(claimed, cand)
				break
			}
		}
	}
	if walletName != "" && len(claimed) == 1 && claimed[0].Wallet.Name != walletName {
		return nil, fmt.Errorf("%s: its inputs are wallet %q's, not %q's", source, claimed[0].Wallet.Name, walletName)
	}
	switch len(claimed) {
	case 0:
		// Nothing any wallet can sign. The review of the wallet the
		// operator named, or of the one wallet the PSBT names, says why
		// (a path or script that does not fit); otherwise no wallet is
		// guessed: say what the PSBT names and what the kiosk has.
		if len(named) == 1 || (walletName != "" && len(named) > 0) {
			return named[0], nil
		}
		if len(recognized) == 1 {
			return recognized[0], nil
		}
		return nil, fmt.Errorf("%s: no input is a coin of a wallet registered on this kiosk. %s. This kiosk's wallets: %s. If the PSBT is for one of them, have its wallet add the key origins (master fingerprint and full path, or the account key's fingerprint and 0/index); otherwise it is for another signer", source, carriedDerivations(p), walletOrigins(candidates))
	case 1:
		if err := warnChangeAhead(h, claimed[0]); err != nil {
			return nil, err
		}
		return claimed[0], nil
	}
	// Two registered wallets that both own an input: each has its own
	// policy and ledger, and picking one would skip the other's. Refuse.
	var names []string
	for _, c := range claimed {
		names = append(names, fmt.Sprintf("%q", c.Wallet.Name))
	}
	return nil, fmt.Errorf("%s: its inputs belong to more than one registered wallet (%s); the kiosk does not choose whose policy applies: spend each wallet's coins in a transaction of its own, and have the custodians check why these wallets share keys", source, strings.Join(names, ", "))
}

// maxListedDerivations caps how many derivations a refusal lists: a PSBT of
// a thousand inputs must not make a message of a thousand lines.
const maxListedDerivations = 8

// carriedDerivations says which keys the PSBT's BIP32 derivations name, by
// fingerprint and path, for a refusal that no wallet matches.
func carriedDerivations(p *btcpsbt.Packet) string {
	var list []string
	seen := map[string]bool{}
	more := 0
	add := func(where string, fp uint32, path []uint32) {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], fp)
		d := fmt.Sprintf("%x %s", b, descriptor.FormatPath(path))
		if seen[d] {
			return
		}
		seen[d] = true
		if len(list) == maxListedDerivations {
			more++
			return
		}
		list = append(list, fmt.Sprintf("%s: fingerprint %s", where, d))
	}
	for i, in := range p.Inputs {
		for _, d := range in.Bip32Derivation {
			add(fmt.Sprintf("input %d", i), d.MasterKeyFingerprint, d.Bip32Path)
		}
		for _, d := range in.TaprootBip32Derivation {
			add(fmt.Sprintf("input %d", i), d.MasterKeyFingerprint, d.Bip32Path)
		}
	}
	for o, out := range p.Outputs {
		for _, d := range out.Bip32Derivation {
			add(fmt.Sprintf("output %d", o), d.MasterKeyFingerprint, d.Bip32Path)
		}
		for _, d := range out.TaprootBip32Derivation {
			add(fmt.Sprintf("output %d", o), d.MasterKeyFingerprint, d.Bip32Path)
		}
	}
	if len(list) == 0 {
		return "It carries no BIP32 derivation, so nothing says whose keys sign it"
	}
	if more > 0 {
		list = append(list, fmt.Sprintf("and %d more", more))
	}
	return "Its derivations name " + strings.Join(list, "; ")
}

// walletOrigins lists the registered wallets by name, the master
// fingerprint of this kiosk's key in each, its account path, and the account
// key's own fingerprint (what a wallet that imported only the xpub writes).
func walletOrigins(ws []home.Wallet) string {
	var list []string
	for i := range ws {
		w := &ws[i]
		desc := fmt.Sprintf("%q (master fingerprint %s", w.Name, w.Fingerprint)
		if d, err := w.Parsed(); err == nil {
			origin, key := d.Origin, d.Key
			if w.Multisig != nil && w.Multisig.Us >= 1 && w.Multisig.Us <= len(d.Keys) {
				origin, key = d.Keys[w.Multisig.Us-1].Origin, d.Keys[w.Multisig.Us-1].Key
			}
			desc += ", account " + descriptor.FormatPath(origin.Path)
			if key != nil {
				if pub, err := key.ECPubKey(); err == nil {
					desc += fmt.Sprintf(", account key fingerprint %x", btcutil.Hash160(pub.SerializeCompressed())[:4])
				}
			}
		}
		list = append(list, desc+")")
	}
	return strings.Join(list, ", ")
}

// ErrWrongSet means a share is not of the set that activates the wallet.
var ErrWrongSet = errors.New("share of another set")

// CheckShareSet says whether s belongs to the set that activates w: the
// same set id and the same wallet fingerprint. Set ids are 16 random bits,
// so two kiosks' sets may share one; the fingerprint every share commits to
// tells them apart.
func CheckShareSet(w *home.Wallet, s *shamir.Share) error {
	if got := s.SetName(); got != w.ShareSet {
		return fmt.Errorf("%w: share %d is of set %s; wallet %q is activated by set %s", ErrWrongSet, s.Index, got, w.Name, w.ShareSet)
	}
	if got := hex.EncodeToString(s.Fingerprint[:]); got != w.Fingerprint {
		return fmt.Errorf("%w: share %d is of set %s of the wallet with fingerprint %s; wallet %q is activated by set %s of fingerprint %s",
			ErrWrongSet, s.Index, s.SetName(), got, w.Name, w.ShareSet, w.Fingerprint)
	}
	return nil
}

// Sign rebuilds the wallet's key from shares for one signing, proves it is
// the registered wallet's, signs, and wipes the key. It returns the signed
// PSBT. The shares stay the caller's to wipe.
func (l *Loaded) Sign(shares []*shamir.Share) ([]byte, error) {
	if len(shares) == 0 {
		return nil, errors.New("no shares")
	}
	for _, s := range shares {
		if err := CheckShareSet(l.Wallet, s); err != nil {
			return nil, err
		}
	}
	master, err := activateWallet(l.Wallet, shares)
	if err != nil {
		return nil, err
	}
	defer master.Wipe()
	if err := signLoaded(l, master); err != nil {
		return nil, err
	}
	return l.Encode()
}

// Encode writes the PSBT in the version it arrived in (BIP370 in, BIP370
// out), so the wallet that sent it reads the answer as it reads its own.
func (l *Loaded) Encode() ([]byte, error) {
	return psbt.EncodeForm(l.Packet, l.Form)
}

// Activate combines shares into the wallet's master key and proves it
// derives the registered account key (for a multisig, this kiosk's
// cosigner key). The caller must Wipe the master.
func Activate(w *home.Wallet, d *descriptor.Descriptor, shares []*shamir.Share) (*hd.Master, error) {
	return combineMaster(shares, d.Network, func(m *hd.Master) error { return proveAccount(m, w, d) })
}

// combineMaster combines shares into a master key for net and keeps it
// only if prove accepts it. The caller must Wipe the master.
func combineMaster(shares []*shamir.Share, net descriptor.Network, prove func(*hd.Master) error) (*hd.Master, error) {
	entropy, err := shamir.Combine(shares, hd.EntropyFingerprint)
	if err != nil {
		return nil, err
	}
	defer hd.Wipe(entropy)
	master, err := hd.MasterFromEntropy(entropy, net)
	if err != nil {
		return nil, err
	}
	if err := prove(master); err != nil {
		master.Wipe()
		return nil, err
	}
	return master, nil
}

// proveAccount checks that master derives the wallet's account key (for a
// multisig, this kiosk's cosigner key), so shares of another wallet with a
// colliding fingerprint can never sign.
func proveAccount(master *hd.Master, w *home.Wallet, d *descriptor.Descriptor) error {
	if w.Multisig == nil {
		account, err := master.Account(d.Script, 0)
		if err != nil {
			return err
		}
		if account.String() != d.String() {
			return fmt.Errorf("the shares rebuild fingerprint %x but not wallet %q's account key", master.Fingerprint(), w.Name)
		}
		return nil
	}
	us := w.Multisig.Us - 1
	if us < 0 || us >= len(d.Keys) {
		return fmt.Errorf("wallet %q names key %d of %d as this kiosk's", w.Name, w.Multisig.Us, len(d.Keys))
	}
	k := d.Keys[us]
	priv, err := master.DerivePrivate(k.Origin.Path)
	if err != nil {
		return err
	}
	defer priv.Zero()
	want, err := k.Key.ECPubKey()
	if err != nil {
		return err
	}
	if !priv.PubKey().IsEqual(want) {
		return fmt.Errorf("the shares rebuild fingerprint %x but not this kiosk's key %d in wallet %q", master.Fingerprint(), w.Multisig.Us, w.Name)
	}
	return nil
}

// GroupAddress writes an address in blocks of four characters, so an
// operator comparing it with another screen can keep their place.
func GroupAddress(addr string) string {
	var b strings.Builder
	for i, r := range addr {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// TimingLine says what a transaction asks of time, for the review: its
// version, its lock time (as a block or a date, and whether it binds) and
// whether it can be replaced by a higher fee (BIP125).
func TimingLine(s *psbt.Summary) string {
	lock := "none"
	switch {
	case s.LockTimeActive && s.LockTime >= 500_000_000:
		lock = "not before " + time.Unix(int64(s.LockTime), 0).UTC().Format("2006-01-02 15:04 UTC")
	case s.LockTimeActive:
		lock = fmt.Sprintf("not before block %d", s.LockTime)
	case s.LockTime != 0:
		lock = fmt.Sprintf("%d, not in force (every input is final)", s.LockTime)
	}
	replace := "final, not replaceable"
	for _, in := range s.Inputs {
		if in.Sequence < 0xfffffffe {
			replace = "replaceable by a higher fee (BIP125)"
			break
		}
	}
	return fmt.Sprintf("Version %d · lock time: %s · %s", s.Version, lock, replace)
}

// DerivationsLine is a line for the review when the PSBT names the wallet's
// key otherwise than airsign's coordinator does: from the account key, as a
// wallet that imported only the account xpub writes it. Empty otherwise. The
// scripts were re-derived and proven either way; the line tells the operator
// which kind of wallet made the PSBT.
func DerivationsLine(s *psbt.Summary) string {
	if s != nil && s.AccountRooted {
		return "Derivations rooted at the account key (as Electrum writes them)"
	}
	return ""
}

// Every signing is also a witness of the coordinator's log: the PSBT it
// exported carries the coordinator's signed checkpoint (auditlog.Carry,
// origin auditlog.CoordinatorOrigin), which the kiosk checks, writes into
// its own log, and compares with those it wrote before. The coordinator's
// key is trusted on first use: the first checkpoint seen names it in this
// log, where the auditor reads it and compares it with the coordinator's
// (docs/DECISIONS.md).

// coordinatorEntryKey is the entry field that records the coordinator's
// checkpoint a PSBT carried.
const coordinatorEntryKey = "coordinator_checkpoint"

// coordinatorCheckpoints are the coordinator checkpoints l carries that
// verify under the key they name.
func coordinatorCheckpoints(l *Loaded) []auditlog.CheckpointRecord {
	carried, _ := auditlog.CarriedCheckpoints(l.Packet)
	var out []auditlog.CheckpointRecord
	for _, c := range carried {
		if strings.HasPrefix(c.Origin, auditlog.CoordinatorOrigin) {
			out = append(out, c.Record())
		}
	}
	return out
}

// witnessed records in entry the coordinator checkpoint l carries.
func witnessed(entry map[string]any, l *Loaded) {
	if cps := coordinatorCheckpoints(l); len(cps) > 0 {
		entry[coordinatorEntryKey] = cps[0]
		if len(cps) > 1 {
			entry[coordinatorEntryKey+"s"] = cps
		}
	}
}

// seenCoordinator reads back from the log every coordinator checkpoint
// recorded before.
func seenCoordinator(h *home.Home) ([]auditlog.CheckpointRecord, error) {
	entries, err := h.Log().Entries()
	if err != nil {
		return nil, err
	}
	var seen []auditlog.CheckpointRecord
	for _, e := range entries {
		var d struct {
			One  *auditlog.CheckpointRecord  `json:"coordinator_checkpoint"`
			Many []auditlog.CheckpointRecord `json:"coordinator_checkpoints"`
		}
		if json.Unmarshal(e.Data, &d) != nil {
			continue
		}
		if len(d.Many) > 0 {
			seen = append(seen, d.Many...)
		} else if d.One != nil {
			seen = append(seen, *d.One)
		}
	}
	return seen, nil
}

// checkCoordinator compares the coordinator checkpoints l carries with
// those this log recorded: one that goes back (smaller, or another root
// at a size seen) is a refusal; a coordinator key not seen before, once
// one was, is a warning (a second coordinator, or a replaced one).
func checkCoordinator(h *home.Home, l *Loaded) (refusal string, warnings []string, err error) {
	got := coordinatorCheckpoints(l)
	if len(got) == 0 {
		return "", nil, nil
	}
	seen, err := seenCoordinator(h)
	if err != nil {
		return "", nil, err
	}
	for _, g := range got {
		known := false
		var others []string
		for _, s := range seen {
			if s.Key == g.Key {
				known = true
			} else if !slices.Contains(others, s.Key) {
				others = append(others, s.Key)
			}
		}
		if !known && len(others) > 0 {
			warnings = append(warnings, fmt.Sprintf("the PSBT carries a checkpoint of coordinator %s, which this kiosk has not seen before (it has seen %s): it is recorded; the auditor compares it with the coordinator's key", g.Key, strings.Join(others, ", ")))
		}
		switch err := auditlog.CheckProgress(seen, g); {
		case errors.Is(err, auditlog.ErrLogBehind):
			return fmt.Sprintf("the coordinator's audit log is behind what an earlier PSBT showed here (%v): either this PSBT was exported before one already signed here (export it again from the coordinator and bring the new copy), or the coordinator's log was cut back (call the auditor). Nothing is signed", err), nil, nil
		case err != nil:
			return fmt.Sprintf("the coordinator's audit log was rewritten (%v): nothing is signed until the auditor has compared the coordinator's export with this kiosk's", err), nil, nil
		}
	}
	return "", warnings, nil
}

// matchable records in a sign entry what the auditor matches with the
// coordinator's records and the chain: the request, every output, the
// policy's verdict and the approvals counted, with the number required.
// The approvals are sorted by name, then key, not left in the PSBT's order
// (by public key, ed25519 before security keys): an auditor comparing two
// logs of like signings reads them line by line.
func matchable(entry map[string]any, l *Loaded, r Review) {
	if r.Request != "" {
		entry["request"] = r.Request
	}
	entry["outputs"] = auditlog.TxOutputs(l.Packet.UnsignedTx, l.Summary.Network.Params())
	entry["verdict"] = verdict(r)
	counted := []map[string]string{}
	for _, a := range r.Approvals {
		if a.Approver != "" {
			counted = append(counted, map[string]string{"name": a.Approver, "key": a.Key})
		}
	}
	slices.SortFunc(counted, func(x, y map[string]string) int {
		return cmp.Or(strings.Compare(x["name"], y["name"]), strings.Compare(x["key"], y["key"]))
	})
	entry["approvals"] = counted
	entry["approvals_required"] = r.Policy.Approvals
}

// recognizes says whether an analysis found an input whose script is the
// wallet's but refused it: its lock not met, or its witness script or tap
// leaves not the wallet's.
func recognizes(s *psbt.Summary) bool {
	for _, f := range s.Refusals {
		if f.Input >= 0 && (f.Code == psbt.CodeRecoveryLocked || f.Code == psbt.CodeWitnessScriptMismatch) {
			return true
		}
	}
	return false
}
