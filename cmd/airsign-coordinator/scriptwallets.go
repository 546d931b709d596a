package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/btcsuite/btcd/btcutil"

	"airsign/cmd/internal/qrfiles"
	"airsign/psbt/descriptor"
)

// Wallets with spending paths (issue 23): a policy from a template for the
// kiosks and the coordinator to register, its registration, and its coins
// with when each one's recovery path opens.

// walletAddPolicy is wallet add --policy FILE: a BIP-388 policy (JSON) or
// a wsh/tr descriptor, in a file or a QR image of one.
func (c *cli) walletAddPolicy(args []string) error {
	fs := newFlags("wallet add")
	name := fs.String("name", "", "")
	policyFile := fs.String("policy", "", "")
	birthday := fs.Int("birthday", -1, "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *policyFile == "" || fs.NArg() != 0 {
		return usageError("wallet add --policy FILE takes [--name NAME] [--birthday HEIGHT]")
	}
	text, err := qrfiles.ReadText(*policyFile, "wallet policy")
	if err != nil {
		return err
	}
	if *name == "" {
		// The policy's own name, as the kiosks register it.
		var p descriptor.WalletPolicy
		if json.Unmarshal([]byte(text), &p) == nil {
			*name = p.Name
		}
		if *name == "" {
			return usageError("wallet add --policy: the policy has no name: give --name NAME")
		}
	}
	if *birthday < 0 {
		if c.network != descriptor.Regtest {
			return usageError("wallet add on " + c.network.String() + " needs --birthday HEIGHT: a block at or before the wallet's first deposit (0 scans the whole chain, which takes long)")
		}
		*birthday = 0
	}
	w, err := c.coord.AddPolicyWallet(c.ctx, *name, text, int32(*birthday))
	if err != nil {
		return err
	}
	rep, err := c.coord.Sync(c.ctx)
	if err != nil {
		return err
	}
	bal, err := c.coord.Balance(c.ctx, w.Name)
	if err != nil {
		return err
	}
	paths, err := w.Script.Paths()
	if err != nil {
		return err
	}
	first, err := w.Script.Address(0, 0)
	if err != nil {
		return err
	}
	h := w.Script.PolicyHash()
	kind := "wsh"
	if w.Script.IsTaproot() {
		kind = "tr"
	}
	return c.emit(map[string]any{"name": w.Name, "descriptor": w.Wallet.Descriptor, "policy": w.Script.Template(),
		"policy_hash": hex.EncodeToString(h[:]), "paths": paths, "birthday": w.Birthday, "script": kind, "network": w.Network,
		"first_address": first.EncodeAddress(), "tip": rep.Height, "confirmed_sat": int64(bal.Confirmed)}, func() {
		fmt.Fprintf(c.stdout, "wallet %q registered from %s\n", w.Name, *policyFile)
		fmt.Fprintf(c.stdout, "  wallet with spending paths (%s) on %s:\n", kind, w.Network)
		for i, p := range paths {
			label := "primary"
			if i > 0 {
				label = "recovery"
			}
			fmt.Fprintf(c.stdout, "    %s: %s\n", label, p)
		}
		fmt.Fprintf(c.stdout, "  policy %s\n", w.Script.Template())
		fmt.Fprintf(c.stdout, "  policy hash (compare it on every kiosk): %x\n", h)
		fmt.Fprintf(c.stdout, "  first receive address (every kiosk must show the same): %s\n", first.EncodeAddress())
		fmt.Fprintf(c.stdout, "  scanned from block %d to %d: %s confirmed\n", max(w.Birthday, 1), rep.Height, btc(bal.Confirmed))
	})
}

// keyList collects a repeated --key flag.
type keyList []string

func (k *keyList) String() string     { return strings.Join(*k, ",") }
func (k *keyList) Set(v string) error { *k = append(*k, v); return nil }

// templateKey reads one --key or --recovery: a key "[fingerprint/path]xpub"
// itself, or a file (text or QR image) holding one, such as a kiosk's
// watch-only.txt, whose bip48-cosigner line is the key a multisig uses.
func templateKey(v string) (string, error) {
	if strings.HasPrefix(v, "[") {
		return v, nil
	}
	text, err := qrfiles.ReadText(v, "key file")
	if err != nil {
		return "", fmt.Errorf("key %s: neither a key [fingerprint/path]xpub nor a file holding one: %w", v, err)
	}
	for _, line := range strings.Split(text, "\n") {
		if k, ok := strings.CutPrefix(strings.TrimSpace(line), "bip48-cosigner: "); ok {
			return strings.TrimSpace(k), nil
		}
	}
	if t := strings.TrimSpace(text); strings.HasPrefix(t, "[") && !strings.ContainsAny(t, " \n") {
		return t, nil
	}
	return "", fmt.Errorf("%s holds no key: give [fingerprint/path]xpub, or a kiosk's watch-only.txt (its bip48-cosigner line)", v)
}

// walletTemplate is wallet template KIND: writes the BIP-388 policy of a
// template for the kiosks (file and QR code) and the coordinator, and
// says in plain words what it does.
func (c *cli) walletTemplate(args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		var kinds []string
		for _, k := range descriptor.TemplateKinds {
			kinds = append(kinds, string(k))
		}
		return usageError("wallet template takes a kind: " + strings.Join(kinds, ", "))
	}
	kind, err := descriptor.ParseTemplateKind(args[0])
	if err != nil {
		return usageError(err.Error())
	}
	fs := newFlags("wallet template " + args[0])
	var keys, recovery keyList
	fs.Var(&keys, "key", "")
	fs.Var(&recovery, "recovery", "")
	threshold := fs.Int("threshold", 0, "")
	recoveryThreshold := fs.Int("recovery-threshold", 0, "")
	after := fs.Uint("after", 0, "")
	name := fs.String("name", "", "")
	out := fs.String("out", "", "")
	qrOut := fs.String("qr-out", "", "")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if len(keys) == 0 || *threshold == 0 || fs.NArg() != 0 || *name == "" || (*out == "" && *qrOut == "") {
		return usageError("wallet template " + args[0] + " needs --name NAME, --key KEY (once per primary key), --threshold K, --out FILE or --qr-out FILE.png, and for the locks --after BLOCKS and --recovery KEY")
	}
	if *after > descriptor.MaxTemplateLock {
		return usageError(fmt.Sprintf("--after %d: a relative lock is at most %d blocks", *after, descriptor.MaxTemplateLock))
	}
	if err := qrfiles.RefuseExisting(*out, *qrOut); err != nil {
		return err
	}
	t := descriptor.Template{Kind: kind, Threshold: *threshold, RecoveryThreshold: *recoveryThreshold, After: uint32(*after)}
	for _, k := range keys {
		key, err := templateKey(k)
		if err != nil {
			return err
		}
		t.Keys = append(t.Keys, key)
	}
	for _, k := range recovery {
		key, err := templateKey(k)
		if err != nil {
			return err
		}
		t.Recovery = append(t.Recovery, key)
	}
	w, err := t.Policy(c.network)
	if err != nil {
		return err
	}
	pol := w.Policy()
	pol.Name = *name
	data, err := json.MarshalIndent(pol, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if err := qrfiles.WriteText(*out, *qrOut, data); err != nil {
		return err
	}
	h := w.PolicyHash()
	words := t.Describe(time.Now())
	return c.emit(map[string]any{"name": *name, "template": string(kind), "policy": pol, "policy_hash": hex.EncodeToString(h[:]),
		"descriptor": w.String(), "description": words, "lock_blocks": t.After, "out": *out, "qr_out": *qrOut}, func() {
		fmt.Fprintf(c.stdout, "%s wallet %q: %s\n", kind, *name, words)
		fmt.Fprintf(c.stdout, "  policy %s\n", w.Template())
		fmt.Fprintf(c.stdout, "  policy hash (every kiosk shows the same): %x\n", h)
		for _, f := range []string{*out, *qrOut} {
			if f != "" {
				fmt.Fprintf(c.stdout, "  written to %s: register it on each kiosk (wallet add --policy or --qr) and here (wallet add --policy)\n", f)
			}
		}
	})
}

// coins lists a wallet's coins with when each one's recovery path opens.
func (c *cli) coins(args []string) error {
	wallet, err := c.walletFlag("coins", args, true)
	if err != nil {
		return err
	}
	if err := c.syncQuietly(); err != nil {
		return err
	}
	coins, lock, err := c.coord.Coins(c.ctx, wallet)
	if err != nil {
		return err
	}
	tip, err := c.coord.Tip(c.ctx)
	if err != nil {
		return err
	}
	type row struct {
		Outpoint       string `json:"outpoint"`
		Value          int64  `json:"value_sat"`
		Height         int32  `json:"height"`
		Confirmations  int32  `json:"confirmations"`
		Path           string `json:"path"`
		RecoveryHeight int32  `json:"recovery_height,omitempty"`
		RecoveryIn     *int32 `json:"recovery_in_blocks,omitempty"`
		RecoveryAbout  string `json:"recovery_about,omitempty"`
		RefreshSoon    bool   `json:"refresh_soon,omitempty"`
	}
	rows := []row{}
	for _, u := range coins {
		r := row{Outpoint: u.OutPoint.String(), Value: int64(u.Value), Height: u.Height, Path: fmt.Sprintf("%d/%d", u.Branch, u.Index)}
		if u.Height > 0 {
			r.Confirmations = tip - u.Height + 1
		}
		if u.RecoveryHeight > 0 {
			in := u.RecoveryIn
			r.RecoveryHeight, r.RecoveryIn, r.RecoveryAbout = u.RecoveryHeight, &in, u.RecoveryAbout.Format(time.RFC3339)
			r.RefreshSoon = u.RefreshSoon
		}
		rows = append(rows, r)
	}
	out := map[string]any{"wallet": wallet, "tip": tip, "coins": rows}
	if lock > 0 {
		out["recovery_lock_blocks"] = lock
	}
	return c.emit(out, func() {
		if lock > 0 {
			fmt.Fprintf(c.stdout, "recovery path: each coin, %d blocks (%s) after it confirms; tip %d; REFRESH marks a coin within %d blocks of it (withdraw --refresh)\n",
				lock, descriptor.ApproxDuration(lock), tip, c.coord.RecoveryWarn())
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		if lock > 0 {
			fmt.Fprintln(tw, "OUTPOINT\tVALUE\tCONFIRMATIONS\tBRANCH/INDEX\tRECOVERY PATH")
		} else {
			fmt.Fprintln(tw, "OUTPOINT\tVALUE\tCONFIRMATIONS\tBRANCH/INDEX")
		}
		for i, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s", r.Outpoint, btc(btcutil.Amount(r.Value)), r.Confirmations, r.Path)
			if lock > 0 {
				fmt.Fprintf(tw, "\t%s", coins[i].RecoveryText())
				if r.RefreshSoon {
					fmt.Fprint(tw, "  REFRESH")
				}
			}
			fmt.Fprintln(tw)
		}
		tw.Flush()
	})
}

// hasFlag reports whether args hold --name or --name=..., before any
// argument that is not a flag's.
func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == "--"+name || a == "-"+name || strings.HasPrefix(a, "--"+name+"=") || strings.HasPrefix(a, "-"+name+"=") {
			return true
		}
	}
	return false
}
