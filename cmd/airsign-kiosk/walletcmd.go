package main

import (
	"airsign/cmd/internal/qrfiles"
	"airsign/offline/kiosk"
	"bufio"
	"errors"
	"fmt"
	"strings"

	"airsign/cmd/internal/urwallet"
	"airsign/offline/home"
	"airsign/psbt/descriptor"
	"airsign/ui/qr"
	"airsign/ui/qr/ur"
)

func (c *cli) wallet(args []string) error {
	if len(args) == 0 || args[0] != "add" {
		return usageError("wallet takes a subcommand: wallet add --descriptor D | --bsms FILE")
	}
	fs := newFlags("wallet add")
	desc := fs.String("descriptor", "", "the multisig descriptor to register")
	bsms := fs.String("bsms", "", "a BIP129 (BSMS) descriptor record file to register")
	qrIn := fs.String("qr", "", "QR images holding the descriptor, BSMS record or UR crypto-output (further frames follow as arguments)")
	name := fs.String("name", "", "the wallet's name on this kiosk")
	yes := fs.Bool("yes", false, "register without asking")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	given := 0
	for _, f := range []string{*desc, *bsms, *qrIn} {
		if f != "" {
			given++
		}
	}
	if given != 1 || (fs.NArg() != 0 && *qrIn == "") {
		return usageError("wallet add needs exactly one of --descriptor D, --bsms FILE or --qr IMAGE...")
	}
	h, err := home.Open(c.home)
	if err != nil {
		return err
	}
	var record []byte
	var output *ur.Output
	source := *bsms
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
		case p.Kind == ur.TypeOutput:
			o, err := ur.DecodeOutput(ur.UR{Type: p.Kind, CBOR: p.Data})
			if err != nil {
				return fmt.Errorf("%s: %w", *qrIn, err)
			}
			output = &o
		case p.Kind == qr.KindText && strings.HasPrefix(string(p.Data), "BSMS"):
			record = p.Data
		case p.Kind == qr.KindText:
			*desc = strings.TrimSpace(string(p.Data))
		default:
			return fmt.Errorf("%s holds %s, not a descriptor, BSMS record or crypto-output", *qrIn, p.Kind)
		}
	}
	// parse reads the descriptor for net, or as its keys say (xpub mainnet,
	// tpub testnet) when net is 0.
	parse := func(net descriptor.Network) (*descriptor.Descriptor, error) {
		if output != nil {
			if net == 0 {
				net = descriptor.Testnet
				if len(output.Keys) > 0 && (output.Keys[0].UseInfo == nil || output.Keys[0].UseInfo.Network == 0) {
					net = descriptor.Mainnet
				}
			}
			return urwallet.Descriptor(*output, net)
		}
		if *desc != "" {
			if net == 0 {
				return descriptor.Parse(*desc)
			}
			return descriptor.ParseForNetwork(*desc, net)
		}
		var r *descriptor.BSMSRecord
		if net == 0 {
			r, err = descriptor.ParseBSMS(record)
		} else {
			r, err = descriptor.ParseBSMSForNetwork(record, net)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		return r.Descriptor, nil
	}
	// A tpub does not say which test network it is for: find this kiosk's
	// key first, then read the descriptor again for the network of the
	// kiosk's own wallet.
	d, err := parse(0)
	if err != nil {
		return err
	}
	if !d.Script.Multisig() {
		return errors.New("only multisig wallets are registered with wallet add; a single-key wallet comes from a ceremony on this kiosk")
	}
	own, keyIndex, err := kiosk.OwnCosigner(h, d)
	if err != nil {
		return err
	}
	net, err := descriptor.ParseNetwork(own.Network)
	if err != nil {
		return err
	}
	if d, err = parse(net); err != nil {
		return err
	}
	proof, err := kiosk.CheckOwnKey(own, d.Keys[keyIndex], net, d.Script)
	if err != nil {
		return err
	}
	first, err := d.Address(0, 0)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Multisig wallet: %d of %d, %s on %s\n", d.Threshold, len(d.Keys), d.Script, net)
	for i, k := range d.Keys {
		who := "another station"
		if i == keyIndex {
			who = fmt.Sprintf("THIS KIOSK: wallet %q, share set %s; %s", own.Name, own.ShareSet, proof)
		}
		fmt.Fprintf(c.stdout, "  key %d: [%s]%s\n         %s\n", i+1, k.Origin, k.Key, who)
	}
	fmt.Fprintf(c.stdout, "First receive address (compare it on every cosigner): %s\n", kiosk.GroupAddress(first.EncodeAddress()))
	fmt.Fprintf(c.stdout, "Descriptor: %s\n", d)
	w := home.Wallet{
		Name: *name, Network: net.String(), Script: d.Script.String(), Fingerprint: own.Fingerprint,
		Descriptor: d.String(), ShareSet: own.ShareSet, Threshold: own.Threshold, Total: own.Total,
		Multisig: &home.Multisig{Threshold: d.Threshold, Keys: len(d.Keys), Us: keyIndex + 1},
		Created:  c.now().UTC(),
	}
	if w.Name == "" {
		w.Name = fmt.Sprintf("%s-%dof%d", own.Fingerprint, d.Threshold, len(d.Keys))
	}
	if err := h.CheckNewWallet(w); err != nil {
		return err
	}
	if !*yes {
		fmt.Fprintf(c.stdout, "Register it as %q? Type yes to register: ", w.Name)
		line, _ := bufio.NewReader(c.stdin).ReadString('\n')
		if strings.TrimSpace(line) != "yes" {
			return errors.New("not registered: the answer was not yes")
		}
	}
	if err := h.AddWallet(w); err != nil {
		return err
	}
	if err := h.Log().Append("wallet-add", map[string]any{
		"wallet": w.Name, "descriptor": w.Descriptor, "our_key": keyIndex + 1, "first_address": first.EncodeAddress(),
	}, c.now()); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Registered %q.\n", w.Name)
	return nil
}
