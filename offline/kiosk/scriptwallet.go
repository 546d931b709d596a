package kiosk

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"

	"airsign/offline/hd"
	"airsign/offline/home"
	"airsign/psbt"
	"airsign/psbt/descriptor"
	"airsign/psbt/miniscript"
	"airsign/shamir"
)

// maxPolicyText caps a policy or descriptor read for registration: twenty
// keys of 111-character xpubs with origins and a template fit in well under
// this.
const maxPolicyText = 16 << 10

// PrepareScriptWallet reads a wallet with spending paths — a wsh(miniscript)
// or tr(KEY,TREE) descriptor, or a BIP-388 policy as JSON
// ({"descriptor_template": …, "keys_info": […]}) — finds this kiosk's keys
// in it (by the master fingerprint of one of its own wallets; the shares
// prove them at Register) and checks it could be registered under name
// (empty: a name from the fingerprint and the policy hash). Nothing is
// written.
func PrepareScriptWallet(h *home.Home, text []byte, name string, now time.Time) (*Registration, error) {
	text = bytes.TrimSpace(text)
	if len(text) > maxPolicyText {
		return nil, fmt.Errorf("the policy is %d bytes; a wallet policy of at most %d keys fits in %d", len(text), descriptor.MaxScriptWalletKeys, maxPolicyText)
	}
	ws, err := h.Wallets()
	if err != nil {
		return nil, err
	}
	// A tpub does not say which test network it is for: read the policy
	// for the network of each of this kiosk's own wallets until one of its
	// keys is that wallet's.
	var firstErr error
	var fps []string
	for i := range ws {
		own := &ws[i]
		if own.Multisig != nil || own.IsScriptWallet() {
			continue
		}
		fps = append(fps, own.Fingerprint)
		net, err := own.Net()
		if err != nil {
			continue
		}
		sw, err := parseScriptWalletText(text, net)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		ours := ownKeys(sw, own.Fingerprint)
		if len(ours) == 0 {
			continue
		}
		return prepareScriptWallet(h, sw, own, ours, name, now)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return nil, fmt.Errorf("none of the policy's keys is this kiosk's (its share sets have fingerprints %s): register it on a kiosk that holds one of its keys", orNone(fps))
}

func parseScriptWalletText(text []byte, net descriptor.Network) (*descriptor.ScriptWallet, error) {
	if bytes.HasPrefix(text, []byte("{")) {
		sw, _, err := descriptor.ParseWalletPolicyJSON(text, net)
		return sw, err
	}
	return descriptor.ParseScriptWallet(string(text), net)
}

// ownKeys lists the policy's keys with this master fingerprint (hex).
func ownKeys(sw *descriptor.ScriptWallet, fingerprint string) []int {
	var ours []int
	for i, k := range sw.Keys {
		if hex.EncodeToString(k.Origin.Fingerprint[:]) == fingerprint {
			ours = append(ours, i)
		}
	}
	return ours
}

func prepareScriptWallet(h *home.Home, sw *descriptor.ScriptWallet, own *home.Wallet, ours []int, name string, now time.Time) (*Registration, error) {
	hash := sw.PolicyHash()
	script := "wsh"
	if sw.IsTaproot() {
		script = "tr"
	}
	first, err := sw.Address(0, 0)
	if err != nil {
		return nil, err
	}
	paths, err := ScriptWalletPaths(sw, ours)
	if err != nil {
		return nil, err
	}
	var proofs []string
	for _, i := range ours {
		k := sw.Keys[i]
		text := "[" + k.Origin.String() + "]" + k.Key.String()
		switch {
		case own.Cosigner == text:
			proofs = append(proofs, fmt.Sprintf("key %d matches the BIP48 key of its ceremony", i+1))
		case strings.HasPrefix(own.Cosigner, "["+k.Origin.String()+"]"):
			// The path of the key the ceremony exported, another key:
			// certainly not this kiosk's, whatever the shares would say.
			return nil, fmt.Errorf("key %d of the policy names this kiosk's fingerprint %s and the path of its ceremony's BIP48 key, but is %s, not that key (%s): refusing a spoofed or mistyped key", i+1, own.Fingerprint, text, own.Cosigner)
		default:
			proofs = append(proofs, fmt.Sprintf("key %d: fingerprint matches; the shares prove the key before it is registered", i+1))
		}
	}
	w := home.Wallet{
		Name: name, Network: sw.Network.String(), Script: script, Fingerprint: own.Fingerprint,
		Descriptor: sw.String(), ShareSet: own.ShareSet, Threshold: own.Threshold, Total: own.Total,
		Policy:  &home.ScriptPolicy{WalletPolicy: sw.Policy(), Hash: hex.EncodeToString(hash[:]), Ours: ours},
		Created: now.UTC(),
	}
	err = h.CheckNewWallet(w)
	if name == "" {
		// The fingerprint and the start of the policy hash, which the
		// other signers' screens show too.
		w.Name = fmt.Sprintf("%s-%s", own.Fingerprint, w.Policy.Hash[:8])
		err = h.CheckNewWallet(w)
	}
	if err != nil {
		return nil, err
	}
	locks, err := sw.RecoveryLocks()
	if err != nil {
		return nil, err
	}
	var when []string
	for _, l := range locks {
		if l&(1<<22) != 0 {
			// BIP-68 time-based: 512-second units, not blocks
			when = append(when, fmt.Sprintf("a lock of %d x 512 seconds (about %.0f days) after the coin confirms", l&0xffff, float64(l&0xffff)*512/86400))
			continue
		}
		when = append(when, descriptor.DescribeLock(l, now))
	}
	reg := &Registration{Wallet: w, Script: sw, KeyIndex: ours[0], Own: own, Proof: strings.Join(proofs, "; "),
		FirstAddress: first.EncodeAddress(), Paths: paths, Locks: when}
	if t, ok := matchTemplate(sw); ok {
		reg.Template = string(t.Kind) + ": " + t.Describe(now)
	}
	return reg, nil
}

// matchTemplate finds the treasury template (descriptor.TemplateKinds) the
// wallet is an instance of: its kind and primary threshold read from the
// shape of its policy, then the split of its keys between primary and
// recovery and the recovery threshold tried (at most 30 policies built)
// until one is the same policy.
func matchTemplate(sw *descriptor.ScriptWallet) (descriptor.Template, bool) {
	text := sw.Template()
	var kind descriptor.TemplateKind
	var rest string
	for _, shape := range []struct {
		kind   descriptor.TemplateKind
		prefix string
	}{
		{descriptor.TemplateRecovery, "wsh(or_d(multi("},
		{descriptor.TemplateDecaying, "wsh(thresh("},
		{descriptor.TemplateTaproot, "tr(" + descriptor.NUMS + ",sortedmulti_a("},
		{descriptor.TemplateTaprootRecovery, "tr(" + descriptor.NUMS + ",{sortedmulti_a("},
	} {
		if r, ok := strings.CutPrefix(text, shape.prefix); ok {
			kind, rest = shape.kind, r
		}
	}
	k, err := strconv.Atoi(rest[:max(strings.IndexByte(rest, ','), 0)])
	if kind == "" || err != nil {
		return descriptor.Template{}, false
	}
	var after uint32
	if kind != descriptor.TemplateTaproot {
		locks, err := sw.RecoveryLocks()
		if err != nil || len(locks) != 1 {
			return descriptor.Template{}, false
		}
		after = locks[0]
	}
	keys := sw.Policy().Keys
	recovering := kind == descriptor.TemplateRecovery || kind == descriptor.TemplateTaprootRecovery
	for r := range min(descriptor.MaxRecoveryKeys, len(keys)-1) + 1 {
		if recovering != (r > 0) {
			continue
		}
		for rk := range r + 1 {
			if r > 1 && rk == 0 {
				continue // 0 is 1
			}
			t := descriptor.Template{Kind: kind, Threshold: k, Keys: keys[:len(keys)-r], After: after}
			if r > 0 {
				t.Recovery, t.RecoveryThreshold = keys[len(keys)-r:], rk
			}
			if w, err := t.Policy(sw.Network); err == nil && w.Template() == text {
				return t, true
			}
		}
	}
	return descriptor.Template{}, false
}

// ScriptWalletPaths says every way the wallet spends, in plain words, keys
// named by number and master fingerprint, this kiosk's marked, recovery
// paths marked with their lock.
func ScriptWalletPaths(sw *descriptor.ScriptWallet, ours []int) ([]string, error) {
	paths, err := walletPaths(sw)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, wp := range paths {
		out = append(out, wp.text(sw, ours))
	}
	return out, nil
}

// walletPath is one way a script wallet spends: the paths of a leaf (leaf
// 0 for a wsh script) or the taproot key path.
type walletPath struct {
	leaf    int
	keyPath bool
	p       miniscript.Path
}

// walletPaths lists every way sw spends: the key path when its internal
// key is a wallet key, then each leaf's paths.
func walletPaths(sw *descriptor.ScriptWallet) ([]walletPath, error) {
	var out []walletPath
	if ik := sw.InternalKey(); ik != "" {
		out = append(out, walletPath{keyPath: true, p: miniscript.Path{Signers: []miniscript.Signers{{K: 1, Keys: []string{ik}}}}})
	}
	for leaf, n := range sw.Scripts() {
		ps, err := n.Paths()
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			out = append(out, walletPath{leaf: leaf, p: p})
		}
	}
	return out, nil
}

// locked says whether the path waits for a lock: a recovery path.
func (wp walletPath) locked() bool { return wp.p.Older != 0 || wp.p.After != 0 }

// keys lists the indices in sw.Keys of the path's signers.
func (wp walletPath) keys(sw *descriptor.ScriptWallet) []int {
	var out []int
	for _, g := range wp.p.Signers {
		for _, k := range g.Keys {
			if i, ok := keyIndex(sw, k); ok {
				out = append(out, i)
			}
		}
	}
	return out
}

// keyIndex is the index in sw.Keys a placeholder ("@2/**") names.
func keyIndex(sw *descriptor.ScriptWallet, placeholder string) (int, bool) {
	var i int
	if _, err := fmt.Sscanf(placeholder, "@%d/", &i); err != nil || i < 0 || i >= len(sw.Keys) {
		return 0, false
	}
	return i, true
}

// text says the path in plain words: "primary: 2 of key 1 (73c5da0a), …"
// or "RECOVERY: key 4 (8dfc9b34) [THIS KIOSK], 52560 blocks (about 365
// days) after the coin confirms", the keys in ours marked as this kiosk's.
func (wp walletPath) text(sw *descriptor.ScriptWallet, ours []int) string {
	name := func(placeholder string) string {
		i, ok := keyIndex(sw, placeholder)
		if !ok {
			return placeholder
		}
		s := fmt.Sprintf("key %d (%x)", i+1, sw.Keys[i].Origin.Fingerprint)
		if slices.Contains(ours, i) {
			s += " [THIS KIOSK]"
		}
		return s
	}
	if wp.keyPath {
		return "primary (taproot key path): " + name(wp.p.Signers[0].Keys[0])
	}
	p := wp.p
	named := miniscript.Path{Older: p.Older, After: p.After, Hashes: p.Hashes}
	for _, g := range p.Signers {
		ng := miniscript.Signers{K: g.K}
		for _, k := range g.Keys {
			ng.Keys = append(ng.Keys, name(k))
		}
		named.Signers = append(named.Signers, ng)
	}
	kind := "primary"
	if wp.locked() {
		kind = "RECOVERY"
	}
	if sw.IsTaproot() {
		kind += fmt.Sprintf(" (leaf %d)", wp.leaf+1)
	}
	return kind + ": " + named.String()
}

// activateWallet rebuilds a wallet's master key from shares and proves it
// is the registered wallet's (every key of a policy this kiosk holds).
// The caller must Wipe the master.
func activateWallet(w *home.Wallet, shares []*shamir.Share) (*hd.Master, error) {
	if !w.IsScriptWallet() {
		d, err := w.Parsed()
		if err != nil {
			return nil, err
		}
		return Activate(w, d, shares)
	}
	sw, err := w.ScriptWallet()
	if err != nil {
		return nil, err
	}
	return combineMaster(shares, sw.Network, func(m *hd.Master) error { return proveScriptKeys(m, w, sw) })
}

// proveScriptKeys checks that master derives each of the policy's keys
// the wallet records as this kiosk's, so a matching fingerprint alone
// never signs.
func proveScriptKeys(master *hd.Master, w *home.Wallet, sw *descriptor.ScriptWallet) error {
	if len(w.Policy.Ours) == 0 {
		return fmt.Errorf("wallet %q names none of its policy's keys as this kiosk's", w.Name)
	}
	for _, i := range w.Policy.Ours {
		if i < 0 || i >= len(sw.Keys) {
			return fmt.Errorf("wallet %q names key %d of %d as this kiosk's", w.Name, i+1, len(sw.Keys))
		}
		k := sw.Keys[i]
		if k.Origin.Fingerprint != master.Fingerprint() {
			return fmt.Errorf("the shares rebuild fingerprint %x, but key %d of wallet %q has fingerprint %x", master.Fingerprint(), i+1, w.Name, k.Origin.Fingerprint)
		}
		priv, err := master.DerivePrivate(k.Origin.Path)
		if err != nil {
			return err
		}
		want, err := k.Key.ECPubKey()
		if err != nil {
			priv.Zero()
			return err
		}
		same := priv.PubKey().IsEqual(want)
		priv.Zero()
		if !same {
			return fmt.Errorf("the shares rebuild fingerprint %x but not key %d (%s) of wallet %q", master.Fingerprint(), i+1, k.Origin, w.Name)
		}
	}
	return nil
}

// walletModel is a registered wallet parsed: its descriptor, or for a
// wallet with spending paths its policy.
func walletModel(w *home.Wallet) (*descriptor.Descriptor, *descriptor.ScriptWallet, error) {
	if w.IsScriptWallet() {
		sw, err := w.ScriptWallet()
		return nil, sw, err
	}
	d, err := w.Parsed()
	return d, nil, err
}

// analyzeWallet is psbt.Analyze, or AnalyzeScriptWallet for a policy.
func analyzeWallet(p *btcpsbt.Packet, d *descriptor.Descriptor, sw *descriptor.ScriptWallet, pol psbt.Policy) (*psbt.Summary, error) {
	if sw == nil {
		return psbt.Analyze(p, d, pol)
	}
	s, err := psbt.AnalyzeScriptWallet(p, sw, pol)
	if err != nil {
		return nil, err
	}
	if err := explainOtherPath(p, sw, ownKeys(sw, hex.EncodeToString(pol.Cosigner[:])), s); err != nil {
		return nil, err
	}
	return s, nil
}

// explainOtherPath rewrites the refusal of an input the transaction spends
// by a path this kiosk's keys are not part of: a primary-path spend shown
// to the kiosk that holds only a recovery key. The analysis says that no
// path through the kiosk's keys is open yet, as if a lock had to mature,
// and that no input is the wallet's; but the coins are the wallet's and the
// transaction sets none of the locks the kiosk's paths wait for: it is for
// the other path's signers. A transaction that sets such a lock, too short,
// is a recovery spend made early, and keeps the analysis's words, which
// name the lock.
func explainOtherPath(p *btcpsbt.Packet, sw *descriptor.ScriptWallet, ours []int, s *psbt.Summary) error {
	paths, err := walletPaths(sw)
	if err != nil {
		return err
	}
	tx := p.UnsignedTx
	explained := false
	for i, f := range s.Refusals {
		if f.Code != psbt.CodeRecoveryLocked || f.Input < 0 || f.Input >= len(tx.TxIn) {
			continue
		}
		sp := miniscript.Spend{TxVersion: tx.Version, LockTime: tx.LockTime, Sequence: tx.TxIn[f.Input].Sequence}
		var mine, others []walletPath
		tried := false
		for _, wp := range paths {
			switch {
			case slices.ContainsFunc(wp.keys(sw), func(k int) bool { return slices.Contains(ours, k) }):
				mine = append(mine, wp)
				tried = tried || setsLock(wp.p, sp)
			case wp.p.Open(sp):
				others = append(others, wp)
			}
		}
		if tried || len(others) == 0 || len(mine) == 0 {
			continue
		}
		s.Refusals[i].Message = fmt.Sprintf("input %d: this transaction spends the coin by %s, which this kiosk's key is not part of: the signers of %s sign it, not this kiosk. This kiosk signs only by %s, which this transaction does not take: it sets no lock %s wait for (lock time %d, input sequence %#x, version %d)",
			f.Input, pathsPhrase(sw, ours, others), that(others, "that path", "those paths"), pathsPhrase(sw, ours, mine), that(mine, "that path would", "those paths"), sp.LockTime, sp.Sequence, sp.TxVersion)
		explained = true
	}
	if explained {
		for i, f := range s.Refusals {
			if f.Code == psbt.CodeNothingOurs {
				s.Refusals[i].Message = "no input is spent by a path of this kiosk's key: there is nothing for this kiosk to sign"
			}
		}
	}
	return nil
}

// that is one or many, after how many paths there are.
func that(paths []walletPath, one, many string) string {
	if len(paths) == 1 {
		return one
	}
	return many
}

// setsLock says whether the spend sets a lock of a kind the path waits
// for, whatever its value: an nSequence relative lock in the path's unit
// for older(), a lock time in its unit for after().
func setsLock(p miniscript.Path, sp miniscript.Spend) bool {
	const timeFlag = 1 << 22 // BIP-68: the relative lock counts 512 seconds
	older := p.Older != 0 && miniscript.Path{Older: p.Older&timeFlag | 1}.Open(sp)
	least := uint32(1) // the smallest lock time of the path's unit
	if p.After >= 500_000_000 {
		least = 500_000_000
	}
	after := p.After != 0 && miniscript.Path{After: least}.Open(sp)
	return older || after
}

// pathsPhrase names paths for a sentence: "the primary path (primary: 2 of
// key 1 (…), …)", "the recovery path (RECOVERY: …)", or "the paths (…; …)"
// when they are of both kinds.
func pathsPhrase(sw *descriptor.ScriptWallet, ours []int, paths []walletPath) string {
	kind := "primary "
	if paths[0].locked() {
		kind = "recovery "
	}
	var texts []string
	for _, wp := range paths {
		texts = append(texts, wp.text(sw, ours))
		if wp.locked() != paths[0].locked() {
			kind = ""
		}
	}
	noun := "path"
	if len(paths) > 1 {
		noun = "paths"
	}
	return fmt.Sprintf("the %s%s (%s)", kind, noun, strings.Join(texts, "; "))
}

// signLoaded is psbt.Sign, or SignScriptWallet for a policy.
func signLoaded(l *Loaded, keys psbt.KeyRing) error {
	var err error
	if l.Script != nil {
		_, err = psbt.SignScriptWallet(l.Packet, l.Script, l.Policy, keys)
	} else {
		_, err = psbt.Sign(l.Packet, l.Desc, l.Policy, keys)
	}
	return err
}

// loadedWalletID is WalletID for the loaded PSBT's wallet: the checksum of
// its descriptor, a policy's written out with its keys.
func loadedWalletID(l *Loaded) string {
	if l.Script != nil {
		s := l.Script.String()
		return s[strings.LastIndexByte(s, '#')+1:]
	}
	return WalletID(l.Desc)
}

// PrepareWallet prepares the registration of a wallet from another
// station: a multisig (PrepareMultisig: descriptor or BSMS record) or a
// wallet with spending paths (PrepareScriptWallet: a wsh or tr descriptor
// that is not sortedmulti, or a BIP-388 policy's JSON).
func PrepareWallet(h *home.Home, text []byte, name string, now time.Time) (*Registration, error) {
	if IsScriptWalletText(text) {
		return PrepareScriptWallet(h, text, name, now)
	}
	return PrepareMultisig(h, text, name, now)
}

// IsScriptWalletText says whether text is a wallet policy rather than a
// multisig descriptor or BSMS record.
func IsScriptWalletText(text []byte) bool {
	t := bytes.TrimSpace(text)
	if bytes.HasPrefix(t, []byte("{")) {
		return true
	}
	if _, err := descriptor.Parse(string(t)); err == nil {
		return false
	}
	// A broken sortedmulti is the multisig parser's to explain.
	return (bytes.HasPrefix(t, []byte("wsh(")) || bytes.HasPrefix(t, []byte("tr("))) && !bytes.Contains(t, []byte("sortedmulti("))
}
