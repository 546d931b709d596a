package main

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"

	"airsign/offline/hd"
	"airsign/offline/home"
	"airsign/psbt"
	"airsign/psbt/descriptor"
	"airsign/shamir"
)

// exitRefused is inspect's and sign's exit code for a PSBT that is refused.
const exitRefused = 2

// refusedError carries a refusal out of inspect and sign: the review was
// printed, and the exit code is exitRefused.
type refusedError struct{ msg string }

func (e refusedError) Error() string { return e.msg }

// loadedPSBT is a decoded PSBT with the registered wallet it belongs to.
type loadedPSBT struct {
	packet  *btcpsbt.Packet
	hash    [32]byte
	wallet  *home.Wallet
	desc    *descriptor.Descriptor
	summary *psbt.Summary
}

// loadPSBT reads and decodes a PSBT (binary, base64 or hex) and analyzes it
// against the named wallet or, without a name, against the registered
// wallet whose coins it spends.
func loadPSBT(h *home.Home, path, walletName string) (*loadedPSBT, error) {
	data, err := readFileLimited(path, psbt.MaxPSBTBytes, "PSBT")
	if err != nil {
		return nil, err
	}
	p, err := psbt.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	l := &loadedPSBT{packet: p, hash: sha256.Sum256(data)}
	var candidates []home.Wallet
	if walletName != "" {
		w, err := h.Wallet(walletName)
		if err != nil {
			return nil, err
		}
		candidates = []home.Wallet{*w}
	} else if candidates, err = h.Wallets(); err != nil {
		return nil, err
	}
	if len(candidates) == 0 {
		return nil, errors.New("no wallet is registered on this kiosk; run a ceremony first")
	}
	var first *loadedPSBT
	for i := range candidates {
		w := &candidates[i]
		net, err := descriptor.ParseNetwork(w.Network)
		if err != nil {
			return nil, err
		}
		d, err := descriptor.ParseForNetwork(w.Descriptor, net)
		if err != nil {
			return nil, fmt.Errorf("wallet %q: %w", w.Name, err)
		}
		s, err := psbt.Analyze(p, d, psbt.DefaultPolicy)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		cand := &loadedPSBT{packet: p, hash: l.hash, wallet: w, desc: d, summary: s}
		if first == nil {
			first = cand
		}
		for _, in := range s.Inputs {
			if in.Ours {
				return cand, nil
			}
		}
	}
	// Nothing of ours: review against the first (or named) wallet, which
	// refuses with no-input-of-this-wallet and says why.
	return first, nil
}

func (c *cli) inspect(args []string) error {
	fs := newFlags("inspect")
	in := fs.String("in", "", "the PSBT file (binary, base64 or hex)")
	walletName := fs.String("wallet", "", "the wallet to check against (default: the one whose coins it spends)")
	asJSON := fs.Bool("json", false, "print a machine-readable summary")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *in == "" || fs.NArg() != 0 {
		return usageError("inspect needs --in FILE and no other arguments")
	}
	h, err := home.Open(c.home)
	if err != nil {
		return err
	}
	l, err := loadPSBT(h, *in, *walletName)
	if err != nil {
		return err
	}
	if *asJSON {
		data, err := toJSON(l.wallet, l.summary, l.hash)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s\n", data)
	} else {
		writeReview(c.stdout, l.wallet, l.summary, l.hash)
	}
	verdict := "signable"
	if !l.summary.Signable() {
		verdict = "refused"
	}
	if err := h.Log().Append("inspect", map[string]any{
		"psbt_sha256": fmt.Sprintf("%x", l.hash), "txid": l.summary.TxID.String(), "wallet": l.wallet.Name,
		"verdict": verdict, "refusals": codes(l.summary.Refusals), "warnings": codes(l.summary.Warnings),
	}, c.now()); err != nil {
		return err
	}
	if !l.summary.Signable() {
		return refusedError{"the PSBT is refused: " + firstReason(l.summary)}
	}
	return nil
}

func firstReason(s *psbt.Summary) string {
	if len(s.Refusals) > 0 {
		return s.Refusals[0].Message
	}
	return "nothing in it is this wallet's to sign"
}

func (c *cli) sign(args []string) error {
	fs := newFlags("sign")
	in := fs.String("in", "", "the PSBT file (binary, base64 or hex)")
	out := fs.String("out", "", "where to write the signed PSBT (must not exist; .psbt writes binary, anything else base64)")
	walletName := fs.String("wallet", "", "the wallet to sign with (default: the one whose coins it spends)")
	var shareFiles multiFlag
	fs.Var(&shareFiles, "share", "a share file or QR image (repeat for each share)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *in == "" || *out == "" || fs.NArg() != 0 {
		return usageError("sign needs --in FILE, --out FILE and --share FILE for each share")
	}
	if len(shareFiles) == 0 {
		return usageError("sign needs the custodians' shares: --share FILE, once per share")
	}
	if _, err := os.Lstat(*out); err == nil {
		return fmt.Errorf("%s already exists; it is not overwritten", *out)
	}
	h, err := home.Open(c.home)
	if err != nil {
		return err
	}
	l, err := loadPSBT(h, *in, *walletName)
	if err != nil {
		return err
	}
	writeReview(c.stdout, l.wallet, l.summary, l.hash)
	logSign := func(result string, reason string, shares []*shamir.Share, signedHash string) error {
		entry := map[string]any{
			"psbt_sha256": fmt.Sprintf("%x", l.hash), "txid": l.summary.TxID.String(), "wallet": l.wallet.Name,
			"result": result, "shares": shareNames(shares),
		}
		if reason != "" {
			entry["reason"] = reason
		}
		if signedHash != "" {
			entry["signed_psbt_sha256"] = signedHash
			entry["spent_sat"] = int64(l.summary.Spent)
			entry["fee_sat"] = int64(l.summary.Fee)
		}
		return h.Log().Append("sign", entry, c.now())
	}
	if !l.summary.Signable() {
		reason := firstReason(l.summary)
		return errors.Join(refusedError{"the PSBT is refused, nothing was signed: " + reason}, logSign("refused", reason, nil, ""))
	}

	var shares []*shamir.Share
	defer func() {
		for _, s := range shares {
			s.Wipe()
		}
	}()
	for _, path := range shareFiles {
		s, err := readShare(path)
		if err != nil {
			return errors.Join(err, logSign("failed", err.Error(), shares, ""))
		}
		shares = append(shares, s)
	}
	signed, err := c.signWithShares(l, shares)
	if err != nil {
		return errors.Join(err, logSign("failed", err.Error(), shares, ""))
	}
	var data []byte
	if strings.HasSuffix(*out, ".psbt") {
		data = signed
	} else {
		data = []byte(base64.StdEncoding.EncodeToString(signed) + "\n")
	}
	if err := writeExclusive(*out, data); err != nil {
		return errors.Join(err, logSign("failed", err.Error(), shares, ""))
	}
	sum := sha256.Sum256(data)
	if err := logSign("signed", "", shares, fmt.Sprintf("%x", sum)); err != nil {
		return err
	}
	n := 0
	for _, in := range l.summary.Inputs {
		if in.Ours {
			n++
		}
	}
	fmt.Fprintf(c.stdout, "\nSigned %d input(s) with shares %s of set %s; the seed was wiped from memory.\nSigned PSBT: %s\n", n, strings.Join(shareNames(shares), ", "), l.wallet.ShareSet, *out)
	return nil
}

// signWithShares rebuilds the wallet's key from shares for one signing,
// proves it is the registered wallet's, signs, and wipes it.
func (c *cli) signWithShares(l *loadedPSBT, shares []*shamir.Share) ([]byte, error) {
	if got := shares[0].SetName(); got != l.wallet.ShareSet {
		return nil, fmt.Errorf("share %d is of set %s; wallet %q is activated by set %s", shares[0].Index, got, l.wallet.Name, l.wallet.ShareSet)
	}
	entropy, err := shamir.Combine(shares, hd.EntropyFingerprint)
	if err != nil {
		return nil, err
	}
	defer hd.Wipe(entropy)
	master, err := hd.MasterFromEntropy(entropy, l.desc.Network)
	if err != nil {
		return nil, err
	}
	defer master.Wipe()
	account, err := master.Account(l.desc.Script, 0)
	if err != nil {
		return nil, err
	}
	if account.String() != l.desc.String() {
		return nil, fmt.Errorf("the shares rebuild fingerprint %x but not wallet %q's account key", master.Fingerprint(), l.wallet.Name)
	}
	if _, err := psbt.Sign(l.packet, l.desc, psbt.DefaultPolicy, master); err != nil {
		return nil, err
	}
	return psbt.Encode(l.packet)
}

func writeExclusive(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}
