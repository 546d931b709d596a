package main

import (
	"os"

	"airsign/cmd/internal/qrfiles"
	"airsign/psbt/amount"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/btcsuite/btcd/btcutil"

	"airsign/offline/home"
	"airsign/offline/kiosk"
	"airsign/offline/policy"
	"airsign/psbt/approval"
	"airsign/shamir"
)

// policyStore is the kiosk home's policy store, signed by its device key.
func policyStore(h *home.Home) *policy.Store { return policy.NewStore(h.Dir(), h) }

// quorumShares reads the shares that approve a change to wallet w's rules,
// after the air-gap check (they rebuild its key). The caller wipes them.
func (c *cli) quorumShares(h *home.Home, files []string) ([]*shamir.Share, func(), error) {
	if len(files) == 0 {
		return nil, func() {}, usageError("the change needs the custodians' shares: --share FILE, once per share")
	}
	if err := c.airGap(h); err != nil {
		return nil, func() {}, err
	}
	return readShares(files)
}

// policyCmd is `policy show` and `policy set`.
func (c *cli) policyCmd(args []string) error {
	if len(args) > 0 && args[0] != "show" && args[0] != "set" {
		return unknownSubcommand("policy", args[0], []string{"show", "set"})
	}
	if len(args) == 0 {
		return usageError("policy takes a subcommand: policy show --wallet NAME, or policy set --wallet NAME ... --share FILE...")
	}
	fs := newFlags("policy " + args[0])
	walletName := fs.String("wallet", "", "the wallet")
	var p policy.Policy
	var allow, scripts, kinds, shareFiles multiFlag
	var maxTx, max24h, maxFee, above, sealedMax satsFlag
	path := "primary"
	if args[0] == "set" {
		fs.StringVar(&path, "path", "primary", "which spending path's rules to set: primary, or recovery (a wallet with a timelocked recovery path)")
		fs.Var(&maxTx, "max-tx", "most one transaction may take out of the wallet, in satoshis")
		fs.Var(&max24h, "max-24h", "most the kiosk signs for the wallet in any 24 hours, in satoshis")
		fs.Float64Var(&p.MaxFeeRate, "max-feerate", 0, "highest fee rate, sat/vB")
		fs.Var(&maxFee, "max-fee", "highest fee, in satoshis")
		fs.Var(&allow, "allow", "an address payments may go to (repeat; none: any)")
		fs.Var(&scripts, "script", "a script type payments may use: p2pkh, p2sh, p2wpkh, p2wsh, p2tr (repeat; none: any)")
		fs.IntVar(&p.RequireApprovals, "require-approvals", 0, "distinct enrolled approvers needed")
		fs.Var(&above, "approvals-above", "require the approvals only above this many satoshis")
		fs.Var(&kinds, "approver-kind", "a kind of approver key whose approvals count: station, webauthn, coordinator-sealed (repeat; none: station and webauthn)")
		fs.Var(&sealedMax, "sealed-approvals-max", "coordinator-sealed approvals count only when a transaction takes at most this many satoshis")
		fs.BoolVar(&p.RequireUV, "webauthn-require-uv", false, "count a security key's approval only when it verified its user (PIN or biometric)")
		fs.IntVar(&p.MaxChangeAhead, "max-change-ahead", 0, "refuse change more than this many addresses past the highest change address signed for")
		fs.BoolVar(&p.AllowForeignInputs, "allow-foreign-inputs", false, "also sign transactions that spend coins of other wallets (every payment then counts against the limits)")
		fs.Var(&shareFiles, "share", "a share of the wallet's set (repeat: the set's threshold)")
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *walletName == "" || fs.NArg() != 0 {
		return usageError("policy " + args[0] + " needs --wallet NAME")
	}
	h, err := c.openHome()
	if err != nil {
		return err
	}
	w, err := findWallet(h, *walletName)
	if err != nil {
		return err
	}
	st := policyStore(h)
	old, err := st.Policy(w.Name)
	if err != nil {
		return err
	}
	if args[0] == "show" {
		spent, err := st.Since(w.Name, c.now().Add(-policy.Window))
		if err != nil {
			return err
		}
		writePolicy(c, w, old, spent)
		return nil
	}
	p.MaxTx, p.Max24h, p.MaxFee, p.ApprovalsAbove = btcutil.Amount(maxTx), btcutil.Amount(max24h), btcutil.Amount(maxFee), btcutil.Amount(above)
	p.Allow, p.Scripts = allow, scripts
	p.SealedMax = btcutil.Amount(sealedMax)
	for _, k := range kinds {
		kind, err := approval.ParseKind(k)
		if err != nil {
			return usageError(err.Error())
		}
		p.ApproverKinds = append(p.ApproverKinds, kind)
	}
	switch path {
	case "primary":
		// Suspension has its own commands; policy set keeps it as it
		// is, and the recovery path's rules.
		p.Suspended, p.Recovery, p.RecoveryPath = old.Suspended, old.Recovery, old.RecoveryPath
	case "recovery":
		if p, err = recoveryRules(w, old, p); err != nil {
			return err
		}
	default:
		return usageError(fmt.Sprintf("--path %q: use primary or recovery", path))
	}
	return c.changePolicy(h, w, p, shareFiles, "policy-set")
}

// recoveryRules is the wallet's policy old with the rules set for its
// recovery path: those rules (caps, destinations, script types, approvals)
// and no others, the primary path's kept.
func recoveryRules(w *home.Wallet, old, rules policy.Policy) (policy.Policy, error) {
	sw, err := w.ScriptWallet()
	if err != nil {
		return old, usageError(fmt.Sprintf("--path recovery: wallet %q has one spending path; its rules are set without --path", w.Name))
	}
	recovery := false
	for _, n := range sw.Scripts() {
		ps, err := n.Paths()
		if err != nil {
			return old, err
		}
		for _, p := range ps {
			recovery = recovery || p.Older != 0 || p.After != 0
		}
	}
	if !recovery {
		return old, usageError(fmt.Sprintf("--path recovery: wallet %q has no timelocked path", w.Name))
	}
	if rules.AllowForeignInputs || rules.MaxChangeAhead != 0 {
		return old, usageError("--allow-foreign-inputs and --max-change-ahead are the wallet's, whatever the path: set them without --path recovery")
	}
	p := old
	p.RecoveryPath = &rules
	return p, nil
}

// changePolicy stores a new policy once the quorum is proven (the core
// logs the rules before and after).
func (c *cli) changePolicy(h *home.Home, w *home.Wallet, p policy.Policy, shareFiles []string, kind string) error {
	shares, wipe, err := c.quorumShares(h, shareFiles)
	defer wipe()
	if err != nil {
		return err
	}
	old, _, err := c.station(h).ChangePolicy(w, p, kind, shares)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "policy of %q changed with shares %s (%s -> %s)\n", w.Name, strings.Join(shareNames(shares), ", "), policy.Digest(old), policy.Digest(p))
	writePolicy(c, w, p, -1)
	return nil
}

func writePolicy(c *cli, w *home.Wallet, p policy.Policy, spent24h btcutil.Amount) {
	fmt.Fprintf(c.stdout, "Policy of wallet %q:\n", w.Name)
	writePolicyRules(c, p, spent24h)
	switch r := p.RecoveryPath; {
	case r != nil:
		fmt.Fprintln(c.stdout, "RECOVERY path (a spend by the wallet's timelocked recovery keys), judged by its own rules:")
		rules := *r
		rules.AllowForeignInputs, rules.MaxChangeAhead = p.AllowForeignInputs, p.MaxChangeAhead
		writePolicyRules(c, rules, spent24h)
	case w.IsScriptWallet() && !p.Empty():
		fmt.Fprintln(c.stdout, "RECOVERY path: no rules set, so a spend by a timelocked recovery path is refused (policy set --path recovery)")
	}
}

func writePolicyRules(c *cli, p policy.Policy, spent24h btcutil.Amount) {
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	line := func(rule, value string) { fmt.Fprintf(tw, "  %s\t%s\n", rule, value) }
	limit := func(a btcutil.Amount) string {
		if a == 0 {
			return "no limit"
		}
		return amount.Format(a, amount.WithSats)
	}
	if p.Suspended {
		line("SUSPENDED", "only a sweep to "+strings.Join(p.Recovery, ", "))
	}
	line("max per transaction", limit(p.MaxTx))
	v := limit(p.Max24h)
	if spent24h >= 0 {
		v += "; signed in the last 24 h: " + amount.Format(spent24h, amount.WithSats)
	}
	line("24-hour limit", v)
	line("max fee", limit(p.MaxFee))
	if p.MaxFeeRate == 0 {
		line("max fee rate", "no limit (the kiosk's default cap still applies)")
	} else {
		line("max fee rate", strconv.FormatFloat(p.MaxFeeRate, 'f', -1, 64)+" sat/vB")
	}
	if len(p.Allow) == 0 {
		line("destinations", "any")
	} else {
		line("destinations", "only "+strings.Join(p.Allow, ", "))
	}
	if len(p.Scripts) == 0 {
		line("script types", "any")
	} else {
		line("script types", strings.Join(p.Scripts, ", "))
	}
	switch {
	case p.RequireApprovals == 0:
		line("approvals", "none")
	case p.ApprovalsAbove > 0:
		line("approvals", fmt.Sprintf("%d distinct approvers above %s", p.RequireApprovals, amount.Format(p.ApprovalsAbove, amount.WithSats)))
	default:
		line("approvals", fmt.Sprintf("%d distinct approvers", p.RequireApprovals))
	}
	if p.RequireApprovals > 0 {
		rules := p.ApprovalRules(0)
		var ks []string
		for _, k := range rules.Kinds {
			ks = append(ks, string(k))
		}
		v := "made with " + strings.Join(ks, ", ") + " keys"
		if p.SealedMax > 0 {
			v += "; coordinator-sealed ones only up to " + amount.Format(p.SealedMax, amount.WithSats)
		}
		if p.RequireUV {
			v += "; security keys must verify their user"
		}
		line("approver keys", v)
	}
	if p.MaxChangeAhead > 0 {
		line("change index", fmt.Sprintf("at most %d past the highest change address signed for", p.MaxChangeAhead))
	} else {
		line("change index", fmt.Sprintf("a warning past %d ahead of the highest change address signed for", kiosk.ChangeLookahead))
	}
	if p.AllowForeignInputs {
		line("foreign inputs", "allowed; every payment and the fee count against the limits")
	} else {
		line("foreign inputs", "refused")
	}
	tw.Flush()
}

// suspendCmd is `suspend --wallet NAME --recovery ADDR... --share...` and
// `unsuspend --wallet NAME --share...` (ISO/TR 23576 5.4.4).
func (c *cli) suspendCmd(name string, args []string) error {
	fs := newFlags(name)
	walletName := fs.String("wallet", "", "the wallet")
	var recovery, shareFiles multiFlag
	if name == "suspend" {
		fs.Var(&recovery, "recovery", "a recovery address the sweep may pay (repeat)")
	}
	fs.Var(&shareFiles, "share", "a share of the wallet's set (repeat)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *walletName == "" || fs.NArg() != 0 || (name == "suspend" && len(recovery) == 0) {
		return usageError(name + " needs --wallet NAME" + map[bool]string{true: " --recovery ADDRESS", false: ""}[name == "suspend"] + " and --share FILE for each share")
	}
	h, err := c.openHome()
	if err != nil {
		return err
	}
	w, err := findWallet(h, *walletName)
	if err != nil {
		return err
	}
	old, err := policyStore(h).Policy(w.Name)
	if err != nil {
		return err
	}
	p := old
	p.Suspended, p.Recovery = name == "suspend", recovery
	if name == "unsuspend" {
		if !old.Suspended {
			return fmt.Errorf("wallet %q is not suspended", w.Name)
		}
		p.Recovery = nil
	}
	return c.changePolicy(h, w, p, shareFiles, name)
}

// approversCmd is `approvers list|add NAME KEY --wallet W --share...|remove NAME --wallet W --share...`.
// Enrolling or removing an approver changes who can release funds, so it
// needs the quorum of a wallet's set, named with --wallet.
func (c *cli) approversCmd(args []string) error {
	if len(args) == 0 {
		return usageError("approvers takes a subcommand: list, add NAME KEY, remove NAME")
	}
	h, err := c.openHome()
	if err != nil {
		return err
	}
	st := policyStore(h)
	if args[0] == "list" {
		as, err := st.AllApprovers()
		if err != nil {
			return err
		}
		if c.jsonOut(args[1:]) {
			return json.NewEncoder(c.stdout).Encode(as)
		}
		// Approvers are kept under their wallet's identity digest; name
		// the wallet it is on this kiosk.
		names := map[string]string{}
		ws, err := h.Wallets()
		if err != nil {
			return err
		}
		for _, w := range ws {
			if id, err := w.IdentityDigest(); err == nil {
				names[id] = w.Name
			}
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tWALLET\tKIND\tKEY\tENROLLED\tSTATE")
		for _, a := range as {
			state := "active"
			if a.Removed != nil {
				state = "removed " + a.Removed.Format("2006-01-02")
			}
			wallet := names[a.Wallet]
			switch {
			case a.Wallet == "":
				wallet, state = "(none)", "not counted: enrolled before approvers were per wallet; enroll again with the wallet's quorum"
			case wallet == "":
				wallet = "(unknown " + a.Wallet + ")"
			}
			kind, key := string(approval.KindSealed), "unreadable"
			if k, err := a.ApprovalKey(); err == nil {
				kind, key = string(k.Kind), k.Fingerprint()
				if k.Kind == approval.KindWebAuthn {
					key += " (" + k.WebAuthn.AlgName() + ", " + k.RPID + ")"
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Name, wallet, kind, key, a.Added.Format("2006-01-02"), state)
		}
		return tw.Flush()
	}
	if args[0] != "add" && args[0] != "remove" {
		return unknownSubcommand("approvers", args[0], []string{"list", "add", "remove"})
	}
	fs := newFlags("approvers " + args[0])
	walletName := fs.String("wallet", "", "the wallet whose share quorum approves the change")
	kindName := fs.String("kind", "", "where a bare ed25519 KEY is kept: station or coordinator-sealed")
	var shareFiles multiFlag
	fs.Var(&shareFiles, "share", "a share of the wallet's set (repeat)")
	need := 2
	if args[0] == "remove" {
		need = 1
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	pos := fs.Args()
	if len(pos) != need || *walletName == "" {
		return usageError("approvers add NAME KEY --wallet W --share FILE..., or approvers remove NAME --wallet W --share FILE...")
	}
	w, err := findWallet(h, *walletName)
	if err != nil {
		return err
	}
	var key approval.Key
	if args[0] == "add" {
		var kind approval.Kind
		if *kindName != "" {
			if kind, err = approval.ParseKind(*kindName); err != nil {
				return usageError(err.Error())
			}
		}
		if key, err = parseApproverKey(pos[1], kind); err != nil {
			return err
		}
	}
	shares, wipe, err := c.quorumShares(h, shareFiles)
	defer wipe()
	if err != nil {
		return err
	}
	if args[0] == "add" {
		if err := c.station(h).EnrollApprover(w, pos[0], key, shares); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "approver %s enrolled for wallet %q with %s\n", pos[0], w.Name, key.Describe())
		if key.Kind == approval.KindSealed {
			fmt.Fprintf(c.stdout, "  a coordinator-sealed key counts only where the wallet's policy names it (policy set --approver-kinds)\n")
		}
		return nil
	}
	if err := c.station(h).RemoveApprover(w, pos[0], shares); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "approver %s removed from wallet %q; their approvals no longer count for it\n", pos[0], w.Name)
	return nil
}

// parseApproverKey reads an ed25519 public key in hex or base64, given as
// the argument itself or as a file holding it: text, or a QR image of the
// text (as the coordinator shows it).
func parseApproverKey(s string, kind approval.Kind) (approval.Key, error) {
	if st, err := os.Stat(s); err == nil && st.Mode().IsRegular() {
		text, err := qrfiles.ReadText(s, "approver key file")
		if err != nil {
			return approval.Key{}, err
		}
		s = text
	}
	k, err := approval.ParseKey(s, kind)
	if err != nil {
		return approval.Key{}, fmt.Errorf("approver key: %w", err)
	}
	return k, nil
}

// retireCmd is `retire-set SET --wallet W --reason TEXT --share...`: the
// set's own quorum retires it (after a re-ceremony); its shares are refused
// from then on.
func (c *cli) retireCmd(args []string) error {
	fs := newFlags("retire-set")
	walletName := fs.String("wallet", "", "the wallet the set activates")
	reason := fs.String("reason", "", "why, for the log and for every later refusal")
	var shareFiles multiFlag
	fs.Var(&shareFiles, "share", "a share of the set (repeat)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *walletName == "" || *reason == "" || fs.NArg() != 0 {
		return usageError("retire-set needs --wallet NAME --reason TEXT and --share FILE for each share of its quorum")
	}
	h, err := c.openHome()
	if err != nil {
		return err
	}
	w, err := findWallet(h, *walletName)
	if err != nil {
		return err
	}
	shares, wipe, err := c.quorumShares(h, shareFiles)
	defer wipe()
	if err != nil {
		return err
	}
	if err := c.station(h).RetireSet(w, *reason, shares); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "share set %s retired: its shares are refused from now on (%s)\n", w.ShareSet, *reason)
	return nil
}

// satsFlag is an amount in satoshis.
type satsFlag int64

func (s *satsFlag) String() string { return strconv.FormatInt(int64(*s), 10) }
func (s *satsFlag) Set(v string) error {
	n, err := strconv.ParseInt(strings.TrimSuffix(v, "sat"), 10, 64)
	if err != nil || n < 0 || n > btcutil.MaxSatoshi {
		return fmt.Errorf("%q is not an amount in satoshis", v)
	}
	*s = satsFlag(n)
	return nil
}

// jsonOut says whether args ask for --json.
func (c *cli) jsonOut(args []string) bool {
	for _, a := range args {
		if a == "--json" || a == "-json" {
			return true
		}
	}
	return false
}
