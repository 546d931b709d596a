package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"airsign/cmd/internal/qrfiles"
	"airsign/offline/home"
	"airsign/offline/kiosk"
)

// proofInput is what load returns for a PSBT that signs a BIP-322 message
// or proof of reserves: sign takes it to signProof, every other command
// refuses it with the reason.
type proofInput struct {
	data   []byte
	source string
	err    error
}

func (p *proofInput) Error() string {
	return p.err.Error() + ": airsign-kiosk sign reviews and signs it"
}

func (p *proofInput) Unwrap() error { return p.err }

// proofOutput is where sign writes a signed proof.
type proofOutput struct {
	out, qrOut string
	qr         qrfiles.QROptions
	shareFiles []string
}

// signProof reviews and signs a BIP-322 message signature or proof of
// reserves: the message and the coins, never a withdrawal's review.
func (c *cli) signProof(h *home.Home, in *proofInput, o proofOutput) error {
	pr, err := kiosk.LoadProof(h, in.data, in.source, c.now())
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "read from %s\nchecked against wallet %q (%s)\n\n", pr.Source, pr.Wallet.Name, pr.Wallet.Network)
	for _, line := range pr.Lines() {
		fmt.Fprintln(c.stdout, line)
	}
	fmt.Fprintln(c.stdout, "\nNothing is paid: the transaction signed spends a coin that cannot exist, and can never be mined.")
	for _, r := range pr.Refusals {
		fmt.Fprintln(c.stdout, "REFUSED: "+r)
	}
	if o.qrOut != "" {
		if err := o.qr.Check(in.data); err != nil {
			return err
		}
	}
	req := kiosk.SignRequest{}
	if len(pr.Refusals) == 0 {
		shares, wipe, err := readShares(o.shareFiles)
		defer wipe()
		req.Shares, req.ReadErr = shares, err
	}
	signed, err := c.station(h).SignProof(pr, req)
	var refusal *kiosk.Refusal
	switch {
	case errors.As(err, &refusal):
		return refusedError{"the PSBT is refused, nothing was signed: " + refusal.Reason}
	case err != nil:
		return err
	}
	data := []byte(base64.StdEncoding.EncodeToString(signed) + "\n")
	if strings.HasSuffix(o.out, ".psbt") {
		data = signed
	}
	if o.out != "" {
		if err := qrfiles.WriteExclusive(o.out, data); err != nil {
			return err
		}
	}
	frames := 0
	if o.qrOut != "" {
		if frames, err = qrfiles.WritePSBT(o.qrOut, signed, o.qr); err != nil {
			return err
		}
	}
	fmt.Fprintf(c.stdout, "\n%s: signed with shares %s of set %s; the seed was wiped from memory.\n", pr.Kind(), strings.Join(shareNames(req.Shares), ", "), pr.Wallet.ShareSet)
	if o.out != "" {
		fmt.Fprintf(c.stdout, "Signed PSBT: %s\n", o.out)
	}
	if o.qrOut != "" {
		fmt.Fprintf(c.stdout, "Signed PSBT as %d %s QR frame(s): %s\n", frames, o.qr.Format, o.qrOut)
	}
	// A single-sig wallet's signature is complete here; a multisig's
	// cosigners sign too, and the coordinator's finalize combines them.
	if sig, ok := kiosk.Finished(signed); ok && pr.Kind() == kiosk.KindSignMessage {
		if sig.Simple != "" {
			fmt.Fprintf(c.stdout, "BIP-322 signature (simple): %s\n", sig.Simple)
		} else {
			fmt.Fprintf(c.stdout, "BIP-322 signature (full): %s\n", sig.Full)
		}
	} else if !ok {
		fmt.Fprintln(c.stdout, "The other cosigners sign it too; the coordinator's finalize then makes the signature.")
	}
	return nil
}
