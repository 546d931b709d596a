package main

import (
	"fmt"

	"airsign/cmd/internal/qrfiles"
	"airsign/offline/kiosk"
)

// bsmsCmd is this kiosk's side of a BIP129 (BSMS) multisig setup. Round 1:
// key-record signs the kiosk's BIP48 key for the coordinator's session.
// Round 2 is wallet add --bsms/--qr with the session's --token.
func (c *cli) bsmsCmd(args []string) error {
	if len(args) > 0 && args[0] != "key-record" {
		return unknownSubcommand("bsms", args[0], []string{"key-record"})
	}
	if len(args) == 0 {
		return usageError("bsms takes a subcommand: bsms key-record --wallet NAME --token TOKEN --share SHARE... (--out FILE | --qr-out FILE.png)")
	}
	fs := newFlags("bsms key-record")
	walletName := fs.String("wallet", "", "the single-key wallet whose BIP48 key joins the multisig")
	tokenText := fs.String("token", "", "the session TOKEN the coordinator's bsms start showed (00: no encryption)")
	description := fs.String("description", "", "how the coordinator will name this key (default: airsign WALLET FINGERPRINT)")
	out := fs.String("out", "", "a new file for the key record")
	qrOut := fs.String("qr-out", "", "a new PNG file with the key record as a QR code")
	var shareFiles multiFlag
	fs.Var(&shareFiles, "share", "a share file or QR image (repeat for each share)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *walletName == "" || *tokenText == "" || len(shareFiles) == 0 || (*out == "" && *qrOut == "") || fs.NArg() != 0 {
		return usageError("bsms key-record --wallet NAME --token TOKEN --share SHARE... (--out FILE | --qr-out FILE.png) [--description TEXT]")
	}
	token, err := kiosk.ParseBSMSToken(*tokenText)
	if err != nil {
		return err
	}
	if err := qrfiles.RefuseExisting(*out, *qrOut); err != nil {
		return err
	}
	h, err := c.openHome()
	if err != nil {
		return err
	}
	if err := c.airGap(h); err != nil {
		return err
	}
	w, err := findWallet(h, *walletName)
	if err != nil {
		return err
	}
	shares, wipe, err := readShares(shareFiles)
	defer wipe()
	if err != nil {
		return err
	}
	record, err := c.station(h).BSMSKeyRecord(w, shares, token, *description)
	if err != nil {
		return err
	}
	if err := qrfiles.WriteText(*out, *qrOut, record); err != nil {
		return err
	}
	how := "plain (the session has no encryption)"
	if len(token) != 1 {
		how = "encrypted with the session TOKEN"
	}
	fmt.Fprintf(c.stdout, "BSMS key record for wallet %q, %s:\n  key %s\n", w.Name, how, w.Cosigner)
	for _, o := range []string{*out, *qrOut} {
		if o != "" {
			fmt.Fprintf(c.stdout, "  written to %s\n", o)
		}
	}
	fmt.Fprintln(c.stdout, "Carry it to the coordinator (bsms add-key); then register the descriptor record it returns with wallet add --token.")
	return nil
}
