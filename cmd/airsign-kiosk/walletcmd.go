package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"airsign/cmd/internal/qrfiles"
	"airsign/offline/kiosk"
	"airsign/ui/qr"
	"airsign/ui/qr/ur"
	"airsign/ui/urwallet"
)

func (c *cli) wallet(args []string) error {
	if len(args) > 0 && args[0] == "export" {
		return c.walletExport(args[1:])
	}
	if len(args) > 0 && args[0] != "add" {
		return unknownSubcommand("wallet", args[0], []string{"add", "export"})
	}
	if len(args) == 0 {
		return usageError("wallet takes a subcommand: wallet add --descriptor D | --bsms FILE | --policy FILE, or wallet export --wallet NAME --out DIR")
	}
	fs := newFlags("wallet add")
	desc := fs.String("descriptor", "", "the multisig descriptor to register")
	bsms := fs.String("bsms", "", "a BIP129 (BSMS) descriptor record file to register")
	policyFile := fs.String("policy", "", "a wallet with spending paths to register: a BIP-388 policy (JSON) or a wsh/tr miniscript descriptor, in a file")
	qrIn := fs.String("qr", "", "QR images holding the descriptor, BSMS record or UR wallet: crypto-output or output-descriptor (further frames follow as arguments)")
	tokenText := fs.String("token", "", "the BSMS session TOKEN that opens an encrypted record")
	name := fs.String("name", "", "the wallet's name on this kiosk")
	yes := fs.Bool("yes", false, "register without asking")
	var shareFiles multiFlag
	fs.Var(&shareFiles, "share", "a share of the set of this kiosk's key in the multisig (repeat: its threshold)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	given := 0
	for _, f := range []string{*desc, *bsms, *qrIn, *policyFile} {
		if f != "" {
			given++
		}
	}
	if given != 1 || (fs.NArg() != 0 && *qrIn == "") {
		return usageError("wallet add needs exactly one of --descriptor D, --bsms FILE, --policy FILE or --qr IMAGE...")
	}
	if len(shareFiles) == 0 {
		return usageError("wallet add needs the shares of this kiosk's key in the multisig: --share FILE, once per share")
	}
	h, err := c.openHome()
	if err != nil {
		return err
	}
	var record []byte
	source := *bsms
	if *policyFile != "" {
		data, err := qrfiles.ReadFileLimited(*policyFile, 64<<10, "wallet policy")
		if err != nil {
			return err
		}
		*desc, source = string(data), *policyFile
	}
	if *bsms != "" {
		if record, err = qrfiles.ReadFileLimited(*bsms, 64<<10, "BSMS record"); err != nil {
			return err
		}
	}
	if *qrIn != "" {
		p, _, err := qrfiles.ReadPayload(append([]string{*qrIn}, fs.Args()...), nil)
		if err != nil {
			return err
		}
		source = *qrIn
		switch {
		case urwallet.Reads(p.Kind):
			// The UR's keys say mainnet or "a test network";
			// PrepareMultisig reads the descriptor again for the
			// network of this kiosk's key.
			d, err := urwallet.FromUR(ur.UR{Type: p.Kind, CBOR: p.Data}, 0, 0)
			if err != nil {
				return fmt.Errorf("%s: %w", *qrIn, err)
			}
			*desc = d.String()
		case p.Kind == qr.KindText && (strings.HasPrefix(string(p.Data), "BSMS") || *tokenText != "" || kiosk.LooksEncryptedBSMS(p.Data)):
			record = p.Data
		case p.Kind == qr.KindText:
			*desc = strings.TrimSpace(string(p.Data))
		default:
			return fmt.Errorf("%s holds %s, not a descriptor, BSMS record or UR wallet (crypto-output, output-descriptor)", *qrIn, p.Kind)
		}
	}
	if *tokenText != "" && record == nil {
		return usageError("--token opens a BSMS record: give it with --bsms FILE or --qr IMAGE")
	}
	if record != nil {
		var token []byte
		if *tokenText != "" {
			if token, err = kiosk.ParseBSMSToken(*tokenText); err != nil {
				return err
			}
		}
		if record, err = kiosk.OpenBSMSRecord(bytes.TrimSpace(record), token); err != nil {
			return fmt.Errorf("%s: %w", source, err)
		}
	}
	text := []byte(*desc)
	switch {
	case record != nil:
		text = record
	}
	if *policyFile != "" && !kiosk.IsScriptWalletText(text) {
		return fmt.Errorf("%s: not a wallet policy (BIP-388 JSON) or wsh/tr miniscript descriptor; a multisig is registered with --descriptor or --bsms", *policyFile)
	}
	reg, err := kiosk.PrepareWallet(h, text, *name, c.now())
	if err != nil {
		if source != "" {
			return fmt.Errorf("%s: %w", source, err)
		}
		return err
	}
	w := reg.Wallet
	if reg.Script != nil {
		c.showScriptWallet(reg)
	} else {
		c.showMultisig(reg)
	}
	fmt.Fprintf(c.stdout, "First receive address (compare it on every cosigner): %s\n", kiosk.GroupAddress(reg.FirstAddress))
	if !*yes {
		fmt.Fprintf(c.stdout, "Register it as %q? Type yes to register: ", w.Name)
		line, _ := bufio.NewReader(c.stdin).ReadString('\n')
		if strings.TrimSpace(line) != "yes" {
			return errors.New("not registered: the answer was not yes")
		}
	}
	if err := c.airGap(h); err != nil {
		return err
	}
	shares, wipe, err := readShares(shareFiles)
	defer wipe()
	if err != nil {
		return err
	}
	if err := c.station(h).Register(reg, shares); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Registered %q.\n", w.Name)
	return nil
}

func (c *cli) showMultisig(reg *kiosk.Registration) {
	d, keyIndex, own, w := reg.Desc, reg.KeyIndex, reg.Own, reg.Wallet
	fmt.Fprintf(c.stdout, "Multisig wallet: %d of %d, %s on %s\n", d.Threshold, len(d.Keys), d.Script, w.Network)
	for i, k := range d.Keys {
		who := "another station"
		if i == keyIndex {
			who = fmt.Sprintf("THIS KIOSK: wallet %q, share set %s; %s", own.Name, own.ShareSet, reg.Proof)
		}
		fmt.Fprintf(c.stdout, "  key %d: [%s]%s\n         %s\n", i+1, k.Origin, k.Key, who)
	}
	fmt.Fprintf(c.stdout, "Descriptor: %s\n", d)
}

// showScriptWallet shows a wallet with spending paths before it is
// registered: each path in plain words, the keys, and the policy hash the
// other signers and the audit log compare.
func (c *cli) showScriptWallet(reg *kiosk.Registration) {
	sw, w := reg.Script, reg.Wallet
	fmt.Fprintf(c.stdout, "Wallet with spending paths (%s) on %s\n", w.Script, w.Network)
	if reg.Template != "" {
		fmt.Fprintf(c.stdout, "Template %s\n", reg.Template)
	}
	fmt.Fprintln(c.stdout, "Spending paths:")
	for _, p := range reg.Paths {
		fmt.Fprintf(c.stdout, "  %s\n", p)
	}
	for _, l := range reg.Locks {
		fmt.Fprintf(c.stdout, "The recovery path opens once a coin has not moved for %s; coins that move start the wait again.\n", l)
	}
	for i := range sw.Keys {
		who := "another station"
		if slices.Contains(w.Policy.Ours, i) {
			who = fmt.Sprintf("THIS KIOSK: wallet %q, share set %s", reg.Own.Name, reg.Own.ShareSet)
		}
		fmt.Fprintf(c.stdout, "  key %d: %s\n         %s\n", i+1, sw.KeyText(i), who)
	}
	fmt.Fprintf(c.stdout, "Proof of this kiosk's keys: %s\n", reg.Proof)
	fmt.Fprintf(c.stdout, "Policy template: %s\n", w.Policy.Template)
	fmt.Fprintf(c.stdout, "Policy hash (compare it on every signer): %s\n", w.Policy.Hash)
}
