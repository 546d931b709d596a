package main

import (
	"airsign/cmd/internal/qrfiles"
	"bufio"
	"encoding/hex"
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
	own, keyIndex, err := ownCosigner(h, d)
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
	proof, err := checkOwnKey(own, d.Keys[keyIndex], net, d.Script)
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
	fmt.Fprintf(c.stdout, "First receive address (compare it on every cosigner): %s\n", groupAddress(first.EncodeAddress()))
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

// ownCosigner finds the key of a multisig that belongs to one of this
// kiosk's own single-key wallets (its share sets), by master fingerprint.
func ownCosigner(h *home.Home, d *descriptor.Descriptor) (*home.Wallet, int, error) {
	ws, err := h.Wallets()
	if err != nil {
		return nil, 0, err
	}
	var fps []string
	for i := range ws {
		w := &ws[i]
		if w.Multisig != nil {
			continue
		}
		raw, err := hex.DecodeString(w.Fingerprint)
		if err != nil || len(raw) != 4 {
			continue
		}
		if idx, ok := d.KeyFor([4]byte(raw)); ok {
			return w, idx, nil
		}
		fps = append(fps, w.Fingerprint)
	}
	var theirs []string
	for _, k := range d.Keys {
		theirs = append(theirs, hex.EncodeToString(k.Origin.Fingerprint[:]))
	}
	return nil, 0, fmt.Errorf("none of the multisig's keys (fingerprints %s) is this kiosk's (its share sets have %s): register it on a cosigner's kiosk", strings.Join(theirs, ", "), orNone(fps))
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// checkOwnKey compares the multisig's key for this kiosk with the BIP48 key
// the kiosk's ceremony exported. A fingerprint alone is easy to spoof
// (BIP129); the exact key is not.
func checkOwnKey(own *home.Wallet, k descriptor.Key, net descriptor.Network, script descriptor.ScriptType) (string, error) {
	want := fmt.Sprintf("[%s]%s", k.Origin, k.Key)
	if own.Cosigner == want {
		return "key matches the BIP48 key of its ceremony", nil
	}
	if script == descriptor.P2WSHMulti {
		return "", fmt.Errorf("the multisig names this kiosk's fingerprint %s but key %s, not the BIP48 key its ceremony exported (%s): refusing a spoofed or mistyped key", own.Fingerprint, want, own.Cosigner)
	}
	// The ceremony exports the P2WSH cosigner key (…/2'); other BIP48 types
	// are checked by path here and against the shares at the first signing.
	path := k.Origin.Path
	if len(path) != 4 || path[0] != 48+descriptor.Hardened || path[1] != net.CoinType()+descriptor.Hardened || path[3] != script.BIP48Type()+descriptor.Hardened {
		return "", fmt.Errorf("this kiosk's key in the multisig has path %s, not a BIP48 %s path", k.Origin, script)
	}
	return "fingerprint and BIP48 path match; the key is proven against the shares at signing", nil
}
