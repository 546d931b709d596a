package main

import (
	"airsign/cmd/internal/qrfiles"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

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
	policy  psbt.Policy
	source  string // the file, or how many QR frames of which format
}

// policyFor is the analysis policy for a registered wallet: the default
// caps, and this kiosk's own key named by its fingerprint, which a multisig
// needs to know which cosigner signs here.
func policyFor(w *home.Wallet) (psbt.Policy, error) {
	pol := psbt.DefaultPolicy
	fp, err := hex.DecodeString(w.Fingerprint)
	if err != nil || len(fp) != 4 {
		return pol, fmt.Errorf("wallet %q has a malformed fingerprint %q", w.Name, w.Fingerprint)
	}
	pol.Cosigner = [4]byte(fp)
	return pol, nil
}

// loadPSBT reads and decodes a PSBT (binary, base64 or hex) and analyzes it
// against the named wallet or, without a name, against the registered
// wallet whose coins it spends.
func loadPSBT(h *home.Home, src psbtSource, walletName string) (*loadedPSBT, error) {
	data, path, err := src.read()
	if err != nil {
		return nil, err
	}
	p, err := psbt.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	l := &loadedPSBT{packet: p, hash: sha256.Sum256(data), source: path}
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
		pol, err := policyFor(w)
		if err != nil {
			return nil, err
		}
		s, err := psbt.Analyze(p, d, pol)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		cand := &loadedPSBT{packet: p, hash: l.hash, source: l.source, wallet: w, desc: d, summary: s, policy: pol}
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

// psbtInputFlags are the flags inspect and sign share to say where the PSBT
// comes from and which wallet checks it.
type psbtInputFlags struct {
	in, camera, wallet *string
	timeout            *time.Duration
}

func addPSBTInputFlags(fs *flag.FlagSet) psbtInputFlags {
	return psbtInputFlags{
		in:      fs.String("in", "", "the PSBT file (binary, base64 or hex), or QR images (further frames follow as arguments)"),
		camera:  fs.String("camera", "", "scan the PSBT with this V4L2 camera (e.g. /dev/video0) instead of --in"),
		timeout: fs.Duration("timeout", 2*time.Minute, "how long --camera waits for a complete transfer"),
		wallet:  fs.String("wallet", "", "the wallet to check against (default: the one whose coins it spends)"),
	}
}

// given says whether exactly one PSBT source was named.
func (f psbtInputFlags) given() bool { return (*f.in == "") != (*f.camera == "") }

// load reads the PSBT from the named source and analyzes it.
func (f psbtInputFlags) load(c *cli, h *home.Home, frames []string) (*loadedPSBT, error) {
	src := psbtSource{paths: append([]string{*f.in}, frames...), camera: *f.camera, timeout: *f.timeout, log: c.stderr}
	return loadPSBT(h, src, *f.wallet)
}

func (c *cli) inspect(args []string) error {
	fs := newFlags("inspect")
	src := addPSBTInputFlags(fs)
	asJSON := fs.Bool("json", false, "print a machine-readable summary")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !src.given() {
		return usageError("inspect needs --in FILE (or --in FRAME FRAME...), or --camera DEVICE")
	}
	h, err := home.Open(c.home)
	if err != nil {
		return err
	}
	l, err := src.load(c, h, fs.Args())
	if err != nil {
		return err
	}
	if *asJSON {
		data, err := toJSON(l.wallet, l.summary, l.hash, l.source)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s\n", data)
	} else {
		fmt.Fprintf(c.stdout, "read from %s\n", l.source)
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
	src := addPSBTInputFlags(fs)
	out := fs.String("out", "", "where to write the signed PSBT (must not exist; .psbt writes binary, anything else base64)")
	qrOut := fs.String("qr-out", "", "a new folder for the signed PSBT as QR frames (frame-NNN.png and animated.gif)")
	qrFormat := fs.String("qr-format", "ur", "QR format for --qr-out: ur, bbqr or base64")
	maxFragment := fs.Int("max-fragment", 0, "largest UR fragment in bytes (default 200)")
	urType := fs.String("ur-type", "crypto-psbt", "UR type of the signed PSBT: crypto-psbt, or psbt for wallets that want the newer name")
	fps := fs.Int("fps", 5, "frames per second of animated.gif")
	var shareFiles multiFlag
	fs.Var(&shareFiles, "share", "a share file or QR image (repeat for each share)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !src.given() || (*out == "" && *qrOut == "") {
		return usageError("sign needs --in FILE or --camera DEVICE, --out FILE or --qr-out DIR, and --share FILE for each share")
	}
	if len(shareFiles) == 0 {
		return usageError("sign needs the custodians' shares: --share FILE, once per share")
	}
	for _, o := range []string{*out, *qrOut} {
		if _, err := os.Lstat(o); o != "" && err == nil {
			return fmt.Errorf("%s already exists; it is not overwritten", o)
		}
	}
	h, err := home.Open(c.home)
	if err != nil {
		return err
	}
	l, err := src.load(c, h, fs.Args())
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "read from %s\n", l.source)
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
	data := []byte(base64.StdEncoding.EncodeToString(signed) + "\n")
	if strings.HasSuffix(*out, ".psbt") {
		data = signed
	}
	if *out != "" {
		if err := qrfiles.WriteExclusive(*out, data); err != nil {
			return errors.Join(err, logSign("failed", err.Error(), shares, ""))
		}
	}
	frames := 0
	if *qrOut != "" {
		if frames, err = qrfiles.WritePSBT(*qrOut, signed, qrfiles.QROptions{Format: *qrFormat, URType: *urType, MaxFragment: *maxFragment, FPS: *fps}); err != nil {
			return errors.Join(err, logSign("failed", err.Error(), shares, ""))
		}
	}
	sum := sha256.Sum256(signed)
	if err := logSign("signed", "", shares, fmt.Sprintf("%x", sum)); err != nil {
		return err
	}
	n := 0
	for _, in := range l.summary.Inputs {
		if in.Ours {
			n++
		}
	}
	fmt.Fprintf(c.stdout, "\nSigned %d input(s) with shares %s of set %s; the seed was wiped from memory.\n", n, strings.Join(shareNames(shares), ", "), l.wallet.ShareSet)
	if *out != "" {
		fmt.Fprintf(c.stdout, "Signed PSBT: %s\n", *out)
	}
	if *qrOut != "" {
		fmt.Fprintf(c.stdout, "Signed PSBT as %d %s QR frame(s): %s (frame-*.png, animated.gif)\n", frames, *qrFormat, *qrOut)
	}
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
	if err := proveAccount(master, l.wallet, l.desc); err != nil {
		return nil, err
	}
	if _, err := psbt.Sign(l.packet, l.desc, l.policy, master); err != nil {
		return nil, err
	}
	return psbt.Encode(l.packet)
}

// proveAccount checks that master derives the wallet's account key (for a
// multisig, this kiosk's cosigner key), so shares of another wallet with a
// colliding fingerprint can never sign.
func proveAccount(master *hd.Master, w *home.Wallet, d *descriptor.Descriptor) error {
	if w.Multisig == nil {
		account, err := master.Account(d.Script, 0)
		if err != nil {
			return err
		}
		if account.String() != d.String() {
			return fmt.Errorf("the shares rebuild fingerprint %x but not wallet %q's account key", master.Fingerprint(), w.Name)
		}
		return nil
	}
	us := w.Multisig.Us - 1
	if us < 0 || us >= len(d.Keys) {
		return fmt.Errorf("wallet %q names key %d of %d as this kiosk's", w.Name, w.Multisig.Us, len(d.Keys))
	}
	k := d.Keys[us]
	priv, err := master.DerivePrivate(k.Origin.Path)
	if err != nil {
		return err
	}
	defer priv.Zero()
	want, err := k.Key.ECPubKey()
	if err != nil {
		return err
	}
	if !priv.PubKey().IsEqual(want) {
		return fmt.Errorf("the shares rebuild fingerprint %x but not this kiosk's key %d in wallet %q", master.Fingerprint(), w.Multisig.Us, w.Name)
	}
	return nil
}
