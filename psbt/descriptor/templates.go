package descriptor

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TemplateKind names one of the wallet shapes a treasury picks from.
type TemplateKind string

// The templates. Every lock is relative (older, BIP-68 blocks): it counts
// from when each coin confirms, so a wallet in use never reaches its
// recovery path, and one whose keys are lost opens it after the wait.
const (
	// TemplateRecovery: k of the primary keys at any time; the recovery
	// key (or m of several) once a coin has not moved for After blocks.
	// wsh(or_d(multi(k,@0/**,...),and_v(v:pkh(@n/**),older(T)))).
	TemplateRecovery TemplateKind = "recovery"
	// TemplateDecaying: k of the n keys, and k-1 of them once a coin has
	// not moved for After blocks.
	// wsh(thresh(k,pk(@0/**),s:pk(@1/**),...,sln:older(T))).
	TemplateDecaying TemplateKind = "decaying"
	// TemplateTaproot: a taproot k of n, one sortedmulti_a leaf, and the
	// unspendable NUMS internal key so no single key can spend.
	// tr(NUMS,sortedmulti_a(k,@0/**,...)).
	TemplateTaproot TemplateKind = "taproot"
	// TemplateTaprootRecovery: TemplateTaproot with a second leaf for the
	// recovery key after After blocks.
	// tr(NUMS,{sortedmulti_a(k,@0/**,...),and_v(v:pk(@n/**),older(T))}).
	TemplateTaprootRecovery TemplateKind = "taproot-recovery"
)

// TemplateKinds lists the templates in the order they are offered.
var TemplateKinds = []TemplateKind{TemplateRecovery, TemplateDecaying, TemplateTaproot, TemplateTaprootRecovery}

// Limits of the templates. MaxTemplateKeys is the 15 cosigners hardware
// signers accept in a multisig (Coldcard, Jade, Ledger), well inside P2WSH's
// standard 3600-byte script and 201 opcodes. A decaying wallet's thresh has
// C(n+1,k) spending paths, which the kiosk lists one by one: at 11 keys the
// most is C(12,6) = 924, inside miniscript's 1000. Recovery keys are few
// (a lawyer, a second site): at most MaxRecoveryKeys.
const (
	MaxTemplateKeys = 15
	MaxDecayingKeys = 11
	MaxRecoveryKeys = 5
	// MaxTemplateLock is BIP-68's largest relative lock in blocks (16 bits,
	// about 455 days).
	MaxTemplateLock = 0xffff
)

// BlockInterval is the average time between blocks that durations and
// dates are estimated with. Real blocks come faster or slower, so every
// date printed from it says "about".
const BlockInterval = 10 * time.Minute

// Template is a wallet shape with its keys: what a treasury fills in. Keys
// are BIP-388 key information, "[fingerprint/path]xpub", as a wallet
// policy's keys_info holds them.
type Template struct {
	Kind      TemplateKind
	Threshold int      // how many of Keys sign on the primary path
	Keys      []string // the primary keys
	// Recovery holds the recovery keys (TemplateRecovery,
	// TemplateTaprootRecovery), RecoveryThreshold how many of them sign
	// (0 means 1).
	Recovery          []string
	RecoveryThreshold int
	// After is the relative lock in blocks (not TemplateTaproot).
	After uint32
}

// ParseTemplateKind reads a template's name as TemplateKinds spell it.
func ParseTemplateKind(s string) (TemplateKind, error) {
	for _, k := range TemplateKinds {
		if string(k) == s {
			return k, nil
		}
	}
	var names []string
	for _, k := range TemplateKinds {
		names = append(names, string(k))
	}
	return "", fmt.Errorf("unknown template %q: choose one of %s", truncate(s), strings.Join(names, ", "))
}

// Policy builds the template's BIP-388 wallet policy for net and parses it
// back, so that what it returns is a wallet airsign registers: sane
// miniscript (never malleable, never spendable without a signature),
// within the standardness limits, with every key valid for net.
func (t Template) Policy(net Network) (*ScriptWallet, error) {
	text, err := t.template()
	if err != nil {
		return nil, err
	}
	keys := append(append([]string(nil), t.Keys...), t.Recovery...)
	w, err := ParseWalletPolicy(WalletPolicy{Template: text, Keys: keys}, net)
	if err != nil {
		return nil, fmt.Errorf("%s template: %w", t.Kind, err)
	}
	for _, n := range w.Scripts() {
		if _, err := n.Paths(); err != nil {
			return nil, fmt.Errorf("%s template: %w", t.Kind, err)
		}
	}
	return w, nil
}

// template writes the descriptor template after checking the numbers.
func (t Template) template() (string, error) {
	if _, err := ParseTemplateKind(string(t.Kind)); err != nil {
		return "", err
	}
	n := len(t.Keys)
	maxKeys := MaxTemplateKeys
	if t.Kind == TemplateDecaying {
		maxKeys = MaxDecayingKeys
	}
	switch {
	case n == 0:
		return "", fmt.Errorf("the %s template needs its primary keys", t.Kind)
	case n > maxKeys:
		return "", fmt.Errorf("the %s template takes at most %d primary keys, not %d", t.Kind, maxKeys, n)
	case t.Threshold < 1 || t.Threshold > n:
		return "", fmt.Errorf("a threshold of %d does not fit %d primary keys: choose 1 to %d", t.Threshold, n, n)
	}
	recovery := t.Kind == TemplateRecovery || t.Kind == TemplateTaprootRecovery
	if t.Kind != TemplateTaproot {
		if t.After < 1 || t.After > MaxTemplateLock {
			return "", fmt.Errorf("the %s template's lock of %d blocks is outside 1 to %d (BIP-68's relative lock, about 455 days)", t.Kind, t.After, MaxTemplateLock)
		}
	} else if t.After != 0 {
		return "", errors.New("the taproot template has no lock: choose taproot-recovery for a recovery leaf")
	}
	rk := max(t.RecoveryThreshold, 1)
	switch {
	case recovery && len(t.Recovery) == 0:
		return "", fmt.Errorf("the %s template needs a recovery key", t.Kind)
	case recovery && len(t.Recovery) > MaxRecoveryKeys:
		return "", fmt.Errorf("the %s template takes at most %d recovery keys, not %d", t.Kind, MaxRecoveryKeys, len(t.Recovery))
	case recovery && rk > len(t.Recovery):
		return "", fmt.Errorf("a recovery threshold of %d does not fit %d recovery keys", rk, len(t.Recovery))
	case !recovery && (len(t.Recovery) > 0 || t.RecoveryThreshold != 0):
		return "", fmt.Errorf("the %s template has no recovery key: choose recovery or taproot-recovery", t.Kind)
	case t.Kind == TemplateDecaying && t.Threshold < 2:
		// k-1 = 0 would let anyone spend after the lock.
		return "", errors.New("a decaying wallet's threshold is at least 2, so that after the lock one key still has to sign")
	}
	primary := placeholders(0, n)
	rec := placeholders(n, len(t.Recovery))
	older := "older(" + strconv.FormatUint(uint64(t.After), 10) + ")"
	k := strconv.Itoa(t.Threshold)
	switch t.Kind {
	case TemplateRecovery:
		r := "pkh(" + rec[0] + ")"
		if len(rec) > 1 {
			r = "multi(" + strconv.Itoa(rk) + "," + strings.Join(rec, ",") + ")"
		}
		return "wsh(or_d(multi(" + k + "," + strings.Join(primary, ",") + "),and_v(v:" + r + "," + older + ")))", nil
	case TemplateDecaying:
		args := []string{"pk(" + primary[0] + ")"}
		for _, p := range primary[1:] {
			args = append(args, "s:pk("+p+")")
		}
		return "wsh(thresh(" + k + "," + strings.Join(args, ",") + ",sln:" + older + "))", nil
	case TemplateTaproot:
		return "tr(" + NUMS + ",sortedmulti_a(" + k + "," + strings.Join(primary, ",") + "))", nil
	case TemplateTaprootRecovery:
		r := "pk(" + rec[0] + ")"
		if len(rec) > 1 {
			r = "multi_a(" + strconv.Itoa(rk) + "," + strings.Join(rec, ",") + ")"
		}
		return "tr(" + NUMS + ",{sortedmulti_a(" + k + "," + strings.Join(primary, ",") + "),and_v(v:" + r + "," + older + ")})", nil
	}
	panic("descriptor: template kind " + string(t.Kind) + " has no shape")
}

func placeholders(from, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "@" + strconv.Itoa(from+i) + "/**"
	}
	return out
}

// Describe says in plain words who can spend and when, for the operator
// who chooses the template. now dates the lock: the recovery path of a coin
// received now opens about After blocks later.
func (t Template) Describe(now time.Time) string {
	primary := keyNames(t.Keys)
	rec := keyNames(t.Recovery)
	rk := max(t.RecoveryThreshold, 1)
	var b strings.Builder
	switch t.Kind {
	case TemplateTaproot, TemplateTaprootRecovery:
		fmt.Fprintf(&b, "Taproot: %s sign at any time, through a script leaf; the key path is disabled (its internal key is BIP-341's unspendable NUMS point).", ofKeys(t.Threshold, primary))
	default:
		fmt.Fprintf(&b, "%s sign at any time.", capitalize(ofKeys(t.Threshold, primary)))
	}
	lock := DescribeLock(t.After, now)
	switch t.Kind {
	case TemplateRecovery, TemplateTaprootRecovery:
		who := "the recovery key " + rec[0] + " alone"
		if len(rec) > 1 {
			who = ofKeys(rk, rec) + " (recovery keys)"
		}
		fmt.Fprintf(&b, " Once a coin has not moved for %s, %s can also spend it. Coins that move start the wait again.", lock, who)
	case TemplateDecaying:
		fmt.Fprintf(&b, " Once a coin has not moved for %s, %s can spend it. Coins that move start the wait again.", lock, ofKeys(t.Threshold-1, primary))
	}
	return b.String()
}

// DescribeLock says what a relative lock of blocks means: the blocks, about
// how long, and about when, for a coin that confirms at now.
func DescribeLock(blocks uint32, now time.Time) string {
	return fmt.Sprintf("%d blocks (%s at 10 minutes a block; for a coin received now, about %s)",
		blocks, ApproxDuration(blocks), ApproxDate(blocks, now).Format("2006-01-02"))
}

// ApproxDuration is about how long blocks take at BlockInterval: "about 365
// days", "about 7 hours".
func ApproxDuration(blocks uint32) string {
	d := time.Duration(blocks) * BlockInterval
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("about %.0f days", d.Hours()/24)
	case d >= 2*time.Hour:
		return fmt.Sprintf("about %.0f hours", d.Hours())
	default:
		return fmt.Sprintf("about %.0f minutes", d.Minutes())
	}
}

// ApproxDate is when blocks more blocks will have been mined after now, at
// BlockInterval.
func ApproxDate(blocks uint32, now time.Time) time.Time {
	return now.Add(time.Duration(blocks) * BlockInterval).UTC()
}

// keyNames names keys by their master fingerprint, which the key holders
// recognise from their devices.
func keyNames(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = "key " + strconv.Itoa(i+1)
		if len(k) > 9 && k[0] == '[' {
			if _, err := hex.DecodeString(k[1:9]); err == nil {
				out[i] = k[1:9]
			}
		}
	}
	return out
}

func ofKeys(k int, names []string) string {
	if len(names) == 1 {
		return "key " + names[0]
	}
	if k == len(names) {
		return "all " + strconv.Itoa(k) + " of " + strings.Join(names, ", ")
	}
	return strconv.Itoa(k) + " of " + strings.Join(names, ", ")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// RecoveryLocks lists the relative locks (BIP-68 nSequence values) of the
// wallet's spending paths that wait for one, smallest first, without
// repeats: for a recovery or decaying wallet, the one lock after which the
// recovery path opens. Empty when every path is open at once.
func (w *ScriptWallet) RecoveryLocks() ([]uint32, error) {
	seen := map[uint32]bool{}
	var out []uint32
	for _, n := range w.Scripts() {
		paths, err := n.Paths()
		if err != nil {
			return nil, err
		}
		for _, p := range paths {
			if p.Older != 0 && !seen[p.Older] {
				seen[p.Older] = true
				out = append(out, p.Older)
			}
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, nil
}

// Paths lists the wallet's spending paths in plain words with the keys
// named by fingerprint: "2 of 73c5da0a, ..." and "9f2a1b3c, 52560 blocks
// (about 365 days) after the coin confirms". A taproot wallet whose
// internal key is a wallet key lists its key path first.
func (w *ScriptWallet) Paths() ([]string, error) {
	var out []string
	if w.internal != nil {
		out = append(out, "key path: "+w.keyName(w.internal.String()))
	}
	for _, n := range w.Scripts() {
		paths, err := n.Paths()
		if err != nil {
			return nil, err
		}
		for _, p := range paths {
			for i := range p.Signers {
				names := make([]string, len(p.Signers[i].Keys))
				for j, k := range p.Signers[i].Keys {
					names[j] = w.keyName(k)
				}
				p.Signers[i].Keys = names
			}
			out = append(out, p.String())
		}
	}
	return out, nil
}

// keyName is a placeholder's key as its master fingerprint.
func (w *ScriptWallet) keyName(placeholder string) string {
	u, err := parsePlaceholder(placeholder, len(w.Keys))
	if err != nil {
		return placeholder
	}
	return hex.EncodeToString(w.Keys[u.index].Origin.Fingerprint[:])
}
