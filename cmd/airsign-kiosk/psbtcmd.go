package main

import (
	"airsign/cmd/internal/qrfiles"
	"airsign/offline/kiosk"
	"airsign/offline/policy"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"airsign/offline/home"
	"airsign/psbt"
	"airsign/shamir"
)

// exitRefused is inspect's and sign's exit code for a PSBT that is refused.
const exitRefused = 2

// refusedError carries a refusal out of inspect and sign: the review was
// printed, and the exit code is exitRefused.
type refusedError struct{ msg string }

func (e refusedError) Error() string { return e.msg }

// psbtInputFlags are the flags inspect and sign share to say where the PSBT
// comes from and which wallet checks it.
type psbtInputFlags struct {
	in, camera, wallet *string
	timeout            *time.Duration
	// approvals are files or QR images of approvals from approver
	// stations, attached to the PSBT before it is reviewed.
	approvals *multiFlag
}

func addPSBTInputFlags(fs *flag.FlagSet) psbtInputFlags {
	f := psbtInputFlags{
		in:      fs.String("in", "", "the PSBT file (binary, base64 or hex), or QR images (further frames follow as arguments)"),
		camera:  fs.String("camera", "", "scan the PSBT with this V4L2 camera (e.g. /dev/video0) instead of --in"),
		timeout: fs.Duration("timeout", 2*time.Minute, "how long --camera waits for a complete transfer"),
		wallet:  fs.String("wallet", "", "the wallet to check against (default: the one whose coins it spends)"),
	}
	f.approvals = new(multiFlag)
	fs.Var(f.approvals, "approval", "an approval from an approver station: its text file or QR image (repeat for each)")
	return f
}

// given says whether exactly one PSBT source was named.
func (f psbtInputFlags) given() bool { return (*f.in == "") != (*f.camera == "") }

// load reads the PSBT from the named source, analyzes it, and attaches the
// approvals of --approval.
func (f psbtInputFlags) load(c *cli, h *home.Home, frames []string) (*kiosk.Loaded, error) {
	if *f.wallet != "" {
		if _, err := findWallet(h, *f.wallet); err != nil {
			return nil, err
		}
	}
	src := psbtSource{paths: append([]string{*f.in}, frames...), camera: *f.camera, timeout: *f.timeout, log: c.stderr}
	data, source, err := src.read()
	if err != nil {
		return nil, err
	}
	l, err := kiosk.LoadPSBT(h, data, source, *f.wallet, c.now())
	if errors.Is(err, kiosk.ErrProofPSBT) {
		return nil, &proofInput{data: data, source: source, err: err}
	}
	if err != nil {
		return nil, err
	}
	if err := attachApprovals(l, *f.approvals); err != nil {
		return nil, err
	}
	return l, nil
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
	h, err := c.openHome()
	if err != nil {
		return err
	}
	l, err := src.load(c, h, fs.Args())
	if err != nil {
		return err
	}
	r, err := c.station(h).Inspect(l)
	if err != nil {
		return err
	}
	if r.Tampered != nil {
		return r.Tampered
	}
	if *asJSON {
		data, err := toJSON(l.Wallet, l.Summary, l.Hash, l.Source, r.Policy)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s\n", data)
	} else {
		fmt.Fprintf(c.stdout, "read from %s\n", l.Source)
		writeReview(c.stdout, l.Wallet, l.Summary, l.Hash, r.Policy)
		writeSignedBefore(c.stdout, r.SignedBefore)
	}
	if !r.Signable() {
		return refusedError{"the PSBT is refused: " + r.Reason()}
	}
	return nil
}

// writeSignedBefore prints what this kiosk signed before of the same
// transaction or its coins.
func writeSignedBefore(w io.Writer, before []string) {
	for _, b := range before {
		fmt.Fprintf(w, "SIGNED BEFORE: %s\n", b)
	}
}

// writePolicyVerdict prints the wallet policy's rules, each passing or not.
func writePolicyVerdict(w io.Writer, v policy.Verdict) {
	if len(v.Rules) == 0 {
		fmt.Fprintf(w, "Policy: none set for this wallet\n")
		return
	}
	fmt.Fprintf(w, "Policy:\n")
	for _, r := range v.Rules {
		mark := "PASS"
		if !r.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %s  %s: %s\n", mark, r.Name, r.Detail)
	}
}

func (c *cli) sign(args []string) error {
	fs := newFlags("sign")
	src := addPSBTInputFlags(fs)
	out := fs.String("out", "", "where to write the signed PSBT (must not exist; .psbt writes binary, anything else base64)")
	qrOut := fs.String("qr-out", "", "a new folder for the signed PSBT as QR frames (frame-NNN.png and animated.gif)")
	qrFormat := fs.String("qr-format", "ur", "QR format for --qr-out: ur, bbqr or base64")
	maxFragment := fs.Int("max-fragment", 0, "largest UR fragment in bytes (default: what QR version 15 holds; BBQr parts always fit version 15)")
	urType := fs.String("ur-type", "crypto-psbt", "UR type of the signed PSBT: crypto-psbt, or psbt for wallets that want the newer name")
	fps := fs.Int("fps", 5, "frames per second of animated.gif")
	again := fs.Bool("again", false, "sign although this kiosk signed the transaction, or a coin it spends, before")
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
	l, err := src.load(c, h, fs.Args())
	if pi := (*proofInput)(nil); errors.As(err, &pi) {
		return c.signProof(h, pi, proofOutput{out: *out, qrOut: *qrOut, shareFiles: shareFiles,
			qr: qrfiles.QROptions{Format: *qrFormat, URType: *urType, MaxFragment: *maxFragment, FPS: *fps}})
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "read from %s\n", l.Source)
	st := c.station(h)
	r, err := kiosk.ReviewPSBT(h, l, c.now())
	if err != nil {
		return err
	}
	if r.Tampered == nil {
		writeReview(c.stdout, l.Wallet, l.Summary, l.Hash, r.Policy)
		writeSignedBefore(c.stdout, r.SignedBefore)
	}
	var shares []*shamir.Share
	defer func() {
		for _, s := range shares {
			s.Wipe()
		}
	}()
	// The QR options are checked before any share is read: a signature
	// counts against the limits as soon as it exists, so it must not be
	// made for an output that then cannot be written.
	qrOpt := qrfiles.QROptions{Format: *qrFormat, URType: *urType, MaxFragment: *maxFragment, FPS: *fps}
	if *qrOut != "" {
		unsigned, err := psbt.Encode(l.Packet)
		if err == nil {
			err = qrOpt.Check(unsigned)
		}
		if err != nil {
			return err
		}
	}
	// A refused PSBT needs no shares: Sign refuses it (and logs) before it
	// looks at them.
	req := kiosk.SignRequest{Again: *again}
	if r.Signable() && (len(r.SignedBefore) == 0 || *again) {
		for _, path := range shareFiles {
			s, err := readShare(path)
			if err != nil {
				req.ReadErr = err
				break
			}
			shares = append(shares, s)
		}
	}
	req.Shares = shares
	signed, _, err := st.Sign(l, req)
	var refusal *kiosk.Refusal
	switch {
	case errors.As(err, &refusal) && refusal.Again:
		return refusedError{"nothing was signed: " + refusal.Reason + "; if it is to be signed again, check why with the coordinator and run sign again with --again"}
	case errors.As(err, &refusal):
		return refusedError{"the PSBT is refused, nothing was signed: " + refusal.Reason}
	case err != nil:
		return err
	}
	data := []byte(base64.StdEncoding.EncodeToString(signed) + "\n")
	if strings.HasSuffix(*out, ".psbt") {
		data = signed
	}
	if *out != "" {
		if err := qrfiles.WriteExclusive(*out, data); err != nil {
			return st.OutputFailed(l, err)
		}
	}
	frames := 0
	if *qrOut != "" {
		if frames, err = qrfiles.WritePSBT(*qrOut, signed, qrOpt); err != nil {
			return st.OutputFailed(l, err)
		}
	}
	n := 0
	for _, in := range l.Summary.Inputs {
		if in.Ours {
			n++
		}
	}
	fmt.Fprintf(c.stdout, "\nSigned %d input(s) with shares %s of set %s; the seed was wiped from memory.\n", n, strings.Join(shareNames(shares), ", "), l.Wallet.ShareSet)
	if *out != "" {
		fmt.Fprintf(c.stdout, "Signed PSBT: %s\n", *out)
	}
	if *qrOut != "" {
		fmt.Fprintf(c.stdout, "Signed PSBT as %d %s QR frame(s): %s (frame-*.png, animated.gif)\n", frames, *qrFormat, *qrOut)
	}
	return nil
}
