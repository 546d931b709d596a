package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"airsign/cmd/internal/qrfiles"
	"airsign/offline/approver"
	"airsign/offline/kiosk"
	"airsign/psbt/approval"
	"airsign/psbt/descriptor"
	"airsign/ui/qr"
)

// approverCmd is `approver [--station DIR] init | wallet add | approve |
// show`: the approver station (offline/approver), the approver's own
// offline computer that scans a withdrawal's PSBT, shows what it pays as
// computed here from the wallet's watch-only descriptor, and signs the
// approval with a key that never leaves it. Only QR codes (or files) cross:
// the PSBT in, the approval out, to the coordinator's page or to the kiosk
// (inspect/sign --approval).
func (c *cli) approverCmd(args []string) error {
	fs := newFlags("approver")
	dir := fs.String("station", defaultStation(), "the approver station's folder")
	// Up to the subcommand only: its flags are its own.
	if err := fs.Parse(args); err != nil {
		return usageError(fmt.Sprintf("approver: %v", err))
	}
	args = fs.Args()
	if len(args) == 0 {
		return usageError("approver takes a subcommand: init, wallet add, approve or show")
	}
	sub, rest := args[0], args[1:]
	if sub == "wallet" {
		if len(rest) == 0 || rest[0] != "add" {
			return usageError("approver wallet takes a subcommand: wallet add --name NAME (--descriptor D | --qr IMAGE...)")
		}
		sub, rest = "wallet add", rest[1:]
	}
	switch sub {
	case "init":
		return c.approverInit(dir, rest)
	case "wallet add":
		return c.approverWalletAdd(dir, rest)
	case "approve":
		return c.approverApprove(dir, rest)
	case "show":
		return c.approverShow(dir, rest)
	}
	return unknownSubcommand("approver", sub, []string{"init", "wallet add", "approve", "show"})
}

// defaultStation is the station folder when --station is not given.
func defaultStation() string {
	if d := os.Getenv("AIRSIGN_STATION"); d != "" {
		return d
	}
	if d, err := os.UserHomeDir(); err == nil {
		return filepath.Join(d, ".airsign-station")
	}
	return ".airsign-station"
}

// approverFlags is a subcommand's flag set; it takes --station too, after
// the subcommand.
func approverFlags(name string, dir *string) *flag.FlagSet {
	fs := newFlags("approver " + name)
	fs.StringVar(dir, "station", *dir, "the approver station's folder")
	return fs
}

// openStation opens the station with the command's clock.
func (c *cli) openStation(dir string) (*approver.Station, error) {
	st, err := approver.Open(dir)
	if err != nil {
		return nil, err
	}
	st.Now = c.now
	return st, nil
}

// stationAirGap refuses to make or use the station's key while a network
// interface other than loopback is up, unless --allow-network is given: an
// approver station is offline, as the kiosk is.
func (c *cli) stationAirGap() error {
	interfaces := c.interfaces
	if interfaces == nil {
		interfaces = kiosk.InterfacesUp
	}
	up, err := interfaces()
	what := strings.Join(up, ", ")
	if err != nil {
		what = "cannot tell: " + err.Error()
	}
	if len(up) == 0 && err == nil {
		return nil
	}
	if !c.allowNetwork {
		return fmt.Errorf("%w: a network interface is up (%s); an approver station makes and uses its key offline: disconnect it, or give --allow-network (before approver) to override", kiosk.ErrConnected, what)
	}
	fmt.Fprintf(c.stderr, "airsign-kiosk: warning: using the station's key while connected (%s), as --allow-network says\n", what)
	return nil
}

// readSecretLine reads one line of br without its line end. The reader's
// buffer is cleared of it: it is a passphrase.
func readSecretLine(br *bufio.Reader, what string) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	defer clear(line)
	if errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("the %s is longer than %d bytes", what, br.Size())
	}
	if err != nil && !(errors.Is(err, io.EOF) && len(line) > 0) {
		return nil, fmt.Errorf("reading the %s from standard input: %w", what, err)
	}
	n := len(line)
	for n > 0 && (line[n-1] == '\n' || line[n-1] == '\r') {
		n--
	}
	if n == 0 {
		return nil, fmt.Errorf("the %s is empty", what)
	}
	return bytes.Clone(line[:n]), nil
}

func (c *cli) approverInit(dir *string, args []string) error {
	fs := approverFlags("init", dir)
	name := fs.String("name", "", "the approver's name, as the kiosk will enroll the key")
	qrOut := fs.String("qr-out", "", "write the key's text as a QR image (a new PNG file) for the kiosk to scan")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *name == "" || fs.NArg() != 0 {
		return usageError("approver init needs --name NAME (and takes the passphrase twice on standard input)")
	}
	if err := approver.CheckName(*name); err != nil {
		return err
	}
	if err := qrfiles.RefuseExisting(*qrOut); err != nil {
		return err
	}
	if err := c.stationAirGap(); err != nil {
		return err
	}
	br := bufio.NewReaderSize(c.stdin, 4096)
	fmt.Fprintf(c.stderr, "Passphrase for the station's key (at least %d characters): ", approver.MinPassphrase)
	p1, err := readSecretLine(br, "passphrase")
	if err != nil {
		return err
	}
	defer clear(p1)
	fmt.Fprint(c.stderr, "\nThe passphrase again: ")
	p2, err := readSecretLine(br, "repeated passphrase")
	if err != nil {
		return err
	}
	defer clear(p2)
	fmt.Fprintln(c.stderr)
	if !bytes.Equal(p1, p2) {
		return errors.New("the two passphrases differ; no station was made")
	}
	key, err := approver.Init(*dir, *name, p1, rand.Reader, approver.DefaultKDF)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "approver station %s made for %s; its key is sealed under the passphrase (argon2id)\n", *dir, *name)
	fmt.Fprintf(c.stdout, "key %s\n", key)
	fmt.Fprintf(c.stdout, "fingerprint %s\n", key.Fingerprint())
	enroll := key.String()
	if *qrOut != "" {
		if err := writeOneQR(*qrOut, key.String()); err != nil {
			return fmt.Errorf("the station was made, but its key's QR image was not written: %w (approver show prints the key)", err)
		}
		fmt.Fprintf(c.stdout, "the key as a QR code: %s\n", *qrOut)
		enroll = *qrOut
	}
	fmt.Fprintf(c.stdout, "enroll it on the kiosk, with the wallet's quorum: airsign-kiosk approvers add %s %s --wallet WALLET --share SHARE...\n", *name, enroll)
	return nil
}

// writeOneQR writes text as one QR code to the new PNG file path, and reads
// it back: what the other side scans must be what was meant.
func writeOneQR(path, text string) error {
	png, err := qr.PNG([]byte(text), qr.ImageOptions{Level: qr.Medium, ModulePixels: 6})
	if err != nil {
		return fmt.Errorf("%w: it does not fit one QR code; write it with --out instead", err)
	}
	back, err := qr.DecodeFile(png)
	if err != nil || string(back) != text {
		return fmt.Errorf("the QR image drawn for %s does not read back (%v)", path, err)
	}
	return qrfiles.WriteExclusive(path, png)
}

func (c *cli) approverWalletAdd(dir *string, args []string) error {
	fs := approverFlags("wallet add", dir)
	name := fs.String("name", "", "the wallet's name on this station")
	desc := fs.String("descriptor", "", "the wallet's watch-only descriptor")
	qrIn := fs.String("qr", "", "QR images of the descriptor, a UR crypto-output or a BSMS record (further frames follow as arguments)")
	network := fs.String("network", "mainnet", "the wallet's network: "+descriptor.NetworkChoices)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *name == "" || (*desc == "") == (*qrIn == "") || (fs.NArg() != 0 && *qrIn == "") {
		return usageError("approver wallet add needs --name NAME and exactly one of --descriptor D or --qr IMAGE...")
	}
	net, err := descriptor.ParseNetwork(*network)
	if err != nil {
		return usageError(err.Error())
	}
	st, err := c.openStation(*dir)
	if err != nil {
		return err
	}
	text, source := *desc, "the descriptor given"
	if *qrIn != "" {
		source = *qrIn
		if text, err = qrfiles.DescriptorFromQR(append([]string{*qrIn}, fs.Args()...), net); err != nil {
			return err
		}
	}
	w, err := st.AddWallet(*name, text, net)
	if err != nil {
		networkGiven := false
		fs.Visit(func(f *flag.Flag) { networkGiven = networkGiven || f.Name == "network" })
		if !networkGiven && strings.Contains(text, "tpub") {
			err = fmt.Errorf("%w (a tpub is for a test network: give it with --network testnet, testnet4, signet or regtest)", err)
		}
		if *qrIn != "" {
			return fmt.Errorf("%s: %w", source, err)
		}
		return err
	}
	d, err := w.Parse()
	if err != nil {
		return err
	}
	id := kiosk.WalletID(d)
	fmt.Fprintf(c.stdout, "wallet %q added from %s: %s on %s, master fingerprint %x, wallet id %s\n", w.Name, source, d.Script, w.Network, d.MasterFingerprint(), id)
	if addr, err := d.Address(0, 0); err == nil {
		fmt.Fprintf(c.stdout, "first receive address (compare it with the kiosk's watch-only export): %s\n", kiosk.GroupAddress(addr.EncodeAddress()))
	}
	fmt.Fprintf(c.stdout, "descriptor: %s\n", w.Descriptor)
	return nil
}

func (c *cli) approverApprove(dir *string, args []string) error {
	fs := approverFlags("approve", dir)
	in := fs.String("in", "", "the PSBT file (binary, base64 or hex), or QR images (further frames follow as arguments)")
	camera := fs.String("camera", "", "scan the PSBT with this V4L2 camera (e.g. /dev/video0) instead of --in")
	timeout := fs.Duration("timeout", 2*time.Minute, "how long --camera waits for a complete transfer")
	request := fs.String("request", "", "the withdrawal request's id, when the PSBT does not name it")
	expires := fs.Duration("expires", approver.DefaultExpiry, "how long the approval is valid (at most 168h)")
	out := fs.String("out", "", "write the approval's text to this new file")
	qrOut := fs.String("qr-out", "", "write the approval as one QR code to this new PNG file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*in == "") == (*camera == "") || (*out == "" && *qrOut == "") || (fs.NArg() != 0 && *in == "") {
		return usageError("approver approve needs --in FILE (or --in FRAME FRAME...) or --camera DEVICE, and --out FILE or --qr-out FILE.png")
	}
	if *expires <= 0 || *expires > approver.MaxExpiry {
		return usageError(fmt.Sprintf("--expires %s: an approval is valid for more than 0 and at most %s", *expires, approver.MaxExpiry))
	}
	if err := qrfiles.RefuseExisting(*out, *qrOut); err != nil {
		return err
	}
	st, err := c.openStation(*dir)
	if err != nil {
		return err
	}
	if err := c.stationAirGap(); err != nil {
		return err
	}
	br := bufio.NewReaderSize(c.stdin, 4096)
	fmt.Fprint(c.stderr, "Passphrase for the station's key: ")
	pass, err := readSecretLine(br, "passphrase")
	if err != nil {
		return err
	}
	defer clear(pass)
	fmt.Fprintln(c.stderr)

	src := psbtSource{paths: append([]string{*in}, fs.Args()...), camera: *camera, timeout: *timeout, log: c.stderr}
	data, source, err := src.read()
	if err != nil {
		return err
	}
	r, err := st.Review(data, *request)
	if err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	fmt.Fprintf(c.stdout, "read from %s\n", source)
	writeApproverReview(c.stdout, r)
	if err := r.Problem(); err != nil {
		if errors.Is(err, approver.ErrNoRequest) {
			return fmt.Errorf("%w: give the request's id as the coordinator shows it, with --request ID", err)
		}
		return refusedError{"nothing was approved: " + err.Error()}
	}
	until := time.Unix(c.now().Add(*expires).Unix(), 0).UTC()
	fmt.Fprintf(c.stdout, "\n%s approves exactly these outputs and this fee for request %q, valid until %s (%s).\n", st.Name(), r.Request, until.Format(time.DateTime+" UTC"), *expires)
	fmt.Fprint(c.stdout, "Approve? Type yes to approve: ")
	answer, err := br.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && answer != "") {
		answer = ""
	}
	fmt.Fprintln(c.stdout)
	if strings.TrimSpace(answer) != "yes" {
		return errors.New("not approved: the answer was not yes")
	}
	a, err := st.Approve(r, pass, until)
	if err != nil {
		return fmt.Errorf("not approved: %w", err)
	}
	text := approval.MarshalTransfer(a)
	if *out != "" {
		if err := qrfiles.WriteExclusive(*out, []byte(text+"\n")); err != nil {
			return fmt.Errorf("approved (and logged), but not written: %w", err)
		}
	}
	if *qrOut != "" {
		if err := writeOneQR(*qrOut, text); err != nil {
			return fmt.Errorf("approved (and logged), but not written: %w", err)
		}
	}
	fmt.Fprintf(c.stdout, "Approved by %s (key %s): transaction %s, request %q, until %s.\n", st.Name(), st.Key().Fingerprint(), r.TxID, r.Request, until.Format(time.DateTime+" UTC"))
	if *out != "" {
		fmt.Fprintf(c.stdout, "approval: %s\n", *out)
	}
	if *qrOut != "" {
		fmt.Fprintf(c.stdout, "approval as a QR code: %s (show it to the coordinator's page, or scan it at the kiosk: inspect/sign --approval)\n", *qrOut)
	}
	return nil
}

// writeApproverReview prints what the station computed of the PSBT.
func writeApproverReview(w io.Writer, r *approver.Review) {
	s := r.Summary
	fmt.Fprintf(w, "PSBT sha256 %x\n", r.PSBTHash)
	req := r.Request
	if req == "" {
		req = "(none named)"
	}
	fmt.Fprintf(w, "withdrawal request %s\n", req)
	fmt.Fprintf(w, "transaction %s on %s, from wallet %q (wallet id %s)\n\n", s.TxID, s.Network, r.Wallet.Name, r.WalletID)
	writeTransaction(w, s, "NOT this wallet's")
}

func (c *cli) approverShow(dir *string, args []string) error {
	fs := approverFlags("show", dir)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError("approver show takes no arguments")
	}
	st, err := c.openStation(*dir)
	if err != nil {
		return err
	}
	ws, err := st.Wallets()
	if err != nil {
		return err
	}
	recs, err := st.Approvals()
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "approver station %s\n", st.Dir())
	fmt.Fprintf(c.stdout, "name         %s\n", st.Name())
	fmt.Fprintf(c.stdout, "key          %s\n", st.Key())
	fmt.Fprintf(c.stdout, "fingerprint  %s\n", st.Key().Fingerprint())
	if len(ws) == 0 {
		fmt.Fprintln(c.stdout, "wallets      none yet: approver wallet add --name NAME (--descriptor D | --qr IMAGE)")
	} else {
		fmt.Fprintf(c.stdout, "wallets (%d):\n", len(ws))
		for _, w := range ws {
			id, err := w.ID()
			if err != nil {
				id = "unreadable: " + err.Error()
			}
			fmt.Fprintf(c.stdout, "  %s  %s  wallet id %s  %s\n", w.Name, w.Network, id, w.Descriptor)
		}
	}
	fmt.Fprintf(c.stdout, "approvals    %d made (log: %s)\n", len(recs), filepath.Join(st.Dir(), "approvals.log"))
	for _, r := range recs {
		fmt.Fprintf(c.stdout, "  %s  %s  request %q  transaction %s  until %s\n", r.Time.Format(time.DateTime), r.Wallet, r.Request, r.TxID, r.Expires.Format(time.DateTime))
	}
	return nil
}

// readApproval reads an approval's text form (approval.MarshalTransfer),
// as an approver station writes it: a text file or a QR image of it.
func readApproval(path string) (approval.Approval, error) {
	text, err := qrfiles.ReadText(path, "approval")
	if err != nil {
		return approval.Approval{}, fmt.Errorf("--approval %w", err)
	}
	a, err := approval.ParseTransfer(text)
	if err != nil {
		return approval.Approval{}, fmt.Errorf("--approval %s: %w", path, err)
	}
	return a, nil
}

// attachApprovals adds the approvals of files to the loaded PSBT, as the
// coordinator attaches them, before the kiosk reviews it: they count
// exactly as if they had come inside the PSBT. One that does not parse is
// refused; one for another transaction is attached and does not count, and
// the review says why.
func attachApprovals(l *kiosk.Loaded, paths []string) error {
	for _, path := range paths {
		a, err := readApproval(path)
		if err != nil {
			return err
		}
		if err := approval.Attach(l.Packet, a); err != nil {
			return fmt.Errorf("--approval %s: %w", path, err)
		}
	}
	return nil
}
