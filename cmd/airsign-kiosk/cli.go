package main

import (
	"airsign/cmd/internal/cmdline"
	"airsign/cmd/internal/qrfiles"
	"airsign/offline/kiosk"
	"bufio"
	"bytes"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"airsign/offline/ceremony"
	"airsign/offline/hd"
	"airsign/offline/home"
	"airsign/psbt/descriptor"
	"airsign/shamir"
	"airsign/ui/qr"
)

const version = "0.1.0-dev"

const usage = `Usage:
    airsign-kiosk [--home DIR] [--kiosk] [--allow-network] [--idle D] [--export DIR] [app]
                  the signing station's app (with no command when a display is there)
    airsign-kiosk [--home DIR] [--passphrase-file FILE|-] init [--seal]
    airsign-kiosk [--home DIR] --passphrase-file FILE|- seal
    airsign-kiosk [--home DIR] ceremony --network NET --script TYPE --threshold K --shares N --out OUTDIR
                  [--words 12|24] [--dice ROLLS|-] [--mnemonic-file FILE|-]
                  [--custodian NAME]... [--name NAME]
    airsign-kiosk [--home DIR] wallets
    airsign-kiosk [--home DIR] wallet add (--descriptor D | --bsms FILE | --policy FILE | --qr IMAGE...) [--token TOKEN]
                  [--name NAME] [--yes]
    airsign-kiosk [--home DIR] wallet export --wallet NAME --out DIR
    airsign-kiosk [--home DIR] bsms key-record --wallet NAME --token TOKEN --share SHARE...
                  (--out FILE | --qr-out FILE.png) [--description TEXT]
    airsign-kiosk [--home DIR] shares verify [--wallet NAME] SHARE...
    airsign-kiosk [--home DIR] inspect [--approval FILE]... (--in FILE|FRAME... | --camera DEV) [--wallet NAME] [--json]
    airsign-kiosk [--home DIR] sign (--in FILE|FRAME... | --camera DEV) --share SHARE [--share SHARE]...
                  (--out FILE | --qr-out DIR [--qr-format ur|bbqr|base64] [--ur-type crypto-psbt|psbt]
                  [--max-fragment N] [--fps N])
                  [--wallet NAME] [--approval FILE]...
    airsign-kiosk [--home DIR] policy show --wallet NAME
    airsign-kiosk [--home DIR] policy set --wallet NAME [--max-tx SATS] [--max-24h SATS] [--max-fee SATS]
                  [--max-feerate SAT_PER_VB] [--allow ADDR]... [--script TYPE]...
                  [--require-approvals M [--approvals-above SATS]
                   [--approver-kind station|webauthn|coordinator-sealed]... [--sealed-approvals-max SATS]
                   [--webauthn-require-uv]] [--allow-foreign-inputs] [--max-change-ahead N]
                  [--path primary|recovery] --share SHARE...
    airsign-kiosk [--home DIR] suspend --wallet NAME --recovery ADDR... --share SHARE...
    airsign-kiosk [--home DIR] unsuspend --wallet NAME --share SHARE...
    airsign-kiosk [--home DIR] approvers list | approvers add NAME KEY [--kind KIND] --wallet W --share SHARE...
                  | approvers remove NAME --wallet W --share SHARE...
    airsign-kiosk [--home DIR] retire-set --wallet NAME --reason TEXT --share SHARE...
    airsign-kiosk [--home DIR] audit export --out FILE [--qr-out DIR] [--since N] [--fps N]
    airsign-kiosk [--home DIR] audit verify | audit key | audit witness FILE --auditor-key KEY
    airsign-kiosk approver [--station DIR] init --name NAME [--qr-out FILE.png]
    airsign-kiosk approver [--station DIR] wallet add --name NAME [--network NET] (--descriptor D | --qr IMAGE...)
    airsign-kiosk approver [--station DIR] approve (--in FILE|FRAME... | --camera DEV) [--request ID]
                  [--expires 8h] (--out FILE | --qr-out FILE.png)
    airsign-kiosk approver [--station DIR] show
    airsign-kiosk version

Flags may come before or after a command's arguments (and after --in's
frames); -- ends them. COMMAND --help prints the command's usage.

The kiosk home (--home, default $AIRSIGN_HOME or ~/.airsign-kiosk) holds the
device identity, registered wallets and the audit log. It never holds a seed.

init          create the device identity key and an empty audit log.
ceremony      make a new seed (or split an existing one with --mnemonic-file),
              split it into N shares of which any K rebuild it, write
              share-<i>.txt and share-<i>.png for each custodian, the
              watch-only export and the signed transcript into OUTDIR (which
              must not exist), and register the wallet.
              NET: mainnet, testnet, testnet4, signet, regtest.
              TYPE: p2wpkh, p2tr, p2sh-p2wpkh, p2pkh.
              --dice mixes die rolls (digits 1-6; - reads them from standard
              input) into the machine's randomness; 12 words need 50 rolls,
              24 words 100.
wallets       list registered wallets: name, script, network, fingerprint,
              descriptor.
wallet add    register a multisig wallet (wsh or sh(wsh) sortedmulti, as a
              descriptor, a BIP129 BSMS record, or QR images of either or of a
              UR crypto-output) that one of this kiosk's own
              keys is a cosigner of: shows every cosigner's key and which is
              this kiosk's, and registers after you type yes (or with --yes).
              An encrypted BSMS record is opened with the session's --token.
              A wallet with spending paths (--policy FILE, --descriptor or
              --qr: a BIP-388 policy as JSON, or a wsh miniscript or taproot
              descriptor, e.g. 2 of 3 with a timelocked recovery key) is
              shown path by path, its locks in blocks and about how long,
              with the policy hash every signer compares.
wallet export write a registered wallet's watch-only export into DIR (new):
              descriptors, UR crypto-output (also one per branch, 0/* and
              1/*, for registries without <0;1> child pairs), UR
              output-descriptor, for single-sig UR crypto-account and
              account-descriptor, an Electrum wallet file (not taproot) and
              for multisig a Coldcard setup file. A ceremony writes the same.
              A wallet with spending paths: its BIP-388 policy (policy.json
              and policy.png, which the other signers register), the
              descriptor and the policy hash.
bsms          BIP129 multisig setup, Round 1: key-record rebuilds the wallet's
              key from its shares, signs its BIP48 cosigner key for the
              coordinator's session (encrypted unless the TOKEN is 00) and
              writes it as text and/or a QR image. Round 2 is wallet add.
shares verify health check: recombine the given shares (text files or QR
              images) in memory, check they rebuild a registered wallet,
              report which share is bad if not. Writes nothing but an audit
              line.
inspect       review a PSBT (binary, base64 or hex, or QR images: PNG/JPEG
              frames or an animated GIF in UR, BBQr, pMofN or base64) against the registered
              wallet whose coins it spends: every input and output re-derived,
              amounts and fee proven, refusals with their reasons. Exit 0 when
              signable, 2 when refused.
sign          refuse exactly what inspect refuses; otherwise rebuild the key
              from the shares in memory, sign the wallet's inputs, write the
              signed PSBT to --out (a new file; .psbt is binary, anything else
              base64) and/or as QR frames and an animated GIF to --qr-out (a
              new folder), and wipe the key.
policy        the wallet's spending policy: per-transaction and 24-hour limits
              (from this kiosk's own ledger of what it signed), fee caps,
              allowed destinations and script types, required approvals.
              inspect shows each rule's verdict; sign refuses a violation.
              Changing it (policy set, suspend, unsuspend, approvers add or
              remove, retire-set) needs the wallet's share quorum and is
              logged with the rules before and after. A wallet with a
              timelocked recovery path has rules for it of their own
              (policy set --path recovery); while it has rules but none for
              that path, a recovery spend is refused.
approvers     the treasury approvers whose approvals count for a wallet, each
              with where its key is kept: station (an offline approver
              station, airsign-kiosk approver), webauthn (a security key or
              passkey registered on the coordinator's web page) or
              coordinator-sealed (sealed under a password on the
              coordinator, which a compromised coordinator can use). KEY is
              the text the station or the coordinator prints
              (station:ed25519:HEX, webauthn:RPID:COSE,
              coordinator-sealed:ed25519:HEX), a file or QR image of it, or a
              bare ed25519 key with --kind. A policy counts station and
              webauthn approvals unless it names its kinds (--approver-kind).
suspend       sign nothing from the wallet but a sweep to the recovery
              addresses, until unsuspend.
retire-set    refuse the shares of the wallet's set from now on (after a
              re-ceremony).
audit         the audit log is a Merkle log with checkpoints signed by the
              device key. export writes the latest signed checkpoint, the
              entries from index --since (the size of the checkpoint the
              auditor holds) and a consistency proof to --out (a new file)
              and/or as BBQr QR frames to --qr-out (a new folder); verify
              checks the log here; key prints the device's verifier key,
              which the auditor records and checks every export with.
approver      an approver station: a treasury approver's own offline computer
              (--station, default $AIRSIGN_STATION or ~/.airsign-station).
              init makes its ed25519 key, sealed under a passphrase read twice
              from standard input, and prints it (station:ed25519:HEX, and as
              a QR image with --qr-out) for the kiosk's approvers add. wallet
              add registers a wallet's watch-only descriptor. approve reads
              the passphrase from standard input's first line, reads the
              withdrawal's PSBT (as inspect does), shows what it pays as
              computed here from the PSBT and the wallet's descriptor, asks
              for yes on the next line, and writes the approval as text and/or
              one QR code, which the coordinator's page or the kiosk
              (inspect and sign --approval) scans; it is logged in the
              station's approvals.log. show prints the key, the wallets and
              the approvals made.
--approval    an approval from an approver station (its text file or QR
              image), added to the PSBT before inspect or sign reviews it, as
              the coordinator adds them.
--allow-network
              ceremony, shares verify, sign, bsms key-record and every
              quorum change make or use a key, and refuse to while a network
              interface other than loopback is up (as the app does). This
              override lets them, and each use is written to the audit log.
              approver init and approve refuse the same way (the station
              keeps no audit log: the override is only warned about).
`

// exit codes
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	home           string
	now            func() time.Time
	// command is the command and subcommand run, for the audit log.
	command string
	// allowNetwork is --allow-network; interfaces reports the interfaces
	// up (nil: /sys/class/net).
	allowNetwork bool
	interfaces   func() ([]string, error)
	// passphraseFile is --passphrase-file: where the sealed device key's
	// passphrase is read from ("-": one line of standard input).
	passphraseFile string
	passphrase     []byte
}

// readPassphrase reads the passphrase once, from --passphrase-file.
func (c *cli) readPassphrase() ([]byte, error) {
	if c.passphrase != nil || c.passphraseFile == "" {
		return c.passphrase, nil
	}
	var p []byte
	if c.passphraseFile == "-" {
		// One line only: the command may read more of standard input.
		br := bufio.NewReader(c.stdin)
		line, err := br.ReadSlice('\n')
		if err != nil && !(errors.Is(err, io.EOF) && len(line) > 0) {
			return nil, fmt.Errorf("reading the passphrase from standard input: %w", err)
		}
		p = bytes.Clone(line)
		clear(line)
		c.stdin = br
	} else {
		var err error
		if p, err = qrfiles.ReadFileLimited(c.passphraseFile, 1024, "passphrase"); err != nil {
			return nil, err
		}
	}
	n := len(p)
	for n > 0 && (p[n-1] == '\n' || p[n-1] == '\r') {
		n--
	}
	c.passphrase = p[:n]
	return c.passphrase, nil
}

// openHome opens the kiosk home, with the passphrase of a sealed device key.
func (c *cli) openHome() (*home.Home, error) {
	p, err := c.readPassphrase()
	if err != nil {
		return nil, err
	}
	return home.OpenWith(c.home, home.Options{Passphrase: p})
}

// airGap is the check every command that makes or uses a key runs before
// it reads a share or a seed: the app's, with the same override, logged.
// station is the kiosk core driven from the command line: every operation
// and its audit entry.
func (c *cli) station(h *home.Home) kiosk.Station {
	return kiosk.Station{Home: h, Via: kiosk.ViaCLI, Now: c.now}
}

func (c *cli) airGap(h *home.Home) error {
	return kiosk.CheckAirGap(h, c.interfaces, c.allowNetwork, c.command, c.now())
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runWith(&cli{stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now}, args)
}

// commandName is the command and, for those that have one, its subcommand:
// "sign", "policy set".
func commandName(args []string) string {
	if len(args) == 0 {
		return "app"
	}
	switch args[0] {
	case "policy", "shares", "bsms", "approvers", "audit", "wallet":
		if len(args) > 1 {
			return args[0] + " " + args[1]
		}
	}
	return args[0]
}

// runWith runs the command line with c's streams, clock and interfaces.
func runWith(c *cli, args []string) int {
	stdout, stderr := c.stdout, c.stderr
	fs := flag.NewFlagSet("airsign-kiosk", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.home, "home", defaultHome(), "kiosk home folder")
	fs.StringVar(&c.passphraseFile, "passphrase-file", "", "the sealed device key's passphrase: a file, or - for one line of standard input")
	gui := addAppFlags(fs)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	if err != nil {
		return c.usageError(err.Error())
	}
	args = fs.Args()
	// A command's usage, before its home or station is opened: asking
	// is harmless.
	switch {
	case len(args) > 1 && args[0] == "help":
		return c.help(args[1:])
	case len(args) > 0 && cmdline.HelpAsked(args[1:]):
		return c.help(args)
	}
	defer func() { clear(c.passphrase) }()
	c.allowNetwork = *gui.allowNetwork
	c.command = commandName(args)
	if len(args) == 0 {
		if !hasDisplay() {
			return c.usageError("no command given, and no display for the app")
		}
		args = []string{"app"}
	}
	switch args[0] {
	case "ceremony", "shares", "sign", "app", "policy", "approvers", "suspend", "unsuspend", "retire-set", "bsms", "approver":
		// these hold seeds and shares in memory
		for _, w := range hardenProcess() {
			fmt.Fprintf(stderr, "airsign-kiosk: warning: %s\n", w)
		}
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "app":
		err = c.app(gui, rest)
	case "init":
		err = c.init(rest)
	case "seal":
		err = c.sealCmd(rest)
	case "ceremony":
		err = c.ceremony(rest)
	case "wallets":
		err = c.wallets(rest)
	case "shares":
		if len(rest) > 0 && rest[0] != "verify" {
			return c.usageError(string(unknownSubcommand("shares", rest[0], []string{"verify"})))
		}
		if len(rest) == 0 {
			return c.usageError("shares takes a subcommand: shares verify SHARE...")
		}
		err = c.sharesVerify(rest[1:])
	case "inspect":
		err = c.inspect(rest)
	case "wallet":
		err = c.wallet(rest)
	case "bsms":
		err = c.bsmsCmd(rest)
	case "sign":
		err = c.sign(rest)
	case "policy":
		err = c.policyCmd(rest)
	case "approvers":
		err = c.approversCmd(rest)
	case "suspend", "unsuspend":
		err = c.suspendCmd(cmd, rest)
	case "retire-set":
		err = c.retireCmd(rest)
	case "audit":
		err = c.auditCmd(rest)
	case "approver":
		err = c.approverCmd(rest)
	case "version":
		fmt.Fprintf(stdout, "airsign-kiosk %s (%s)\n", version, runtime.Version())
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		return c.usageError(unknownCommand(cmd))
	}
	var ue usageError
	if errors.As(err, &ue) {
		return c.usageError(string(ue))
	}
	var re refusedError
	if errors.As(err, &re) {
		fmt.Fprintf(stderr, "airsign-kiosk: %v\n", err)
		return exitRefused
	}
	if err != nil {
		fmt.Fprintf(stderr, "airsign-kiosk: error: %v\n", err)
		return exitError
	}
	return exitOK
}

// commands are the commands, as the usage lists them.
var commands = []string{"app", "init", "seal", "ceremony", "wallets", "wallet", "bsms", "shares", "inspect", "sign",
	"policy", "suspend", "unsuspend", "approvers", "retire-set", "audit", "approver", "version", "help"}

func unknownCommand(cmd string) string {
	msg := fmt.Sprintf("unknown command %q", cmd)
	if s := cmdline.Suggest(cmd, commands); s != "" {
		msg += "; did you mean " + s + "?"
	}
	return msg
}

// help prints the usage of the command args name.
func (c *cli) help(args []string) int {
	u := commandUsage(args)
	if u == "" {
		return c.usageError(unknownCommand(args[0]))
	}
	fmt.Fprint(c.stdout, u)
	return exitOK
}

type usageError string

func (e usageError) Error() string { return string(e) }

func (c *cli) usageError(msg string) int {
	fmt.Fprintf(c.stderr, "airsign-kiosk: error: %s\n\n%s", msg, usage)
	return exitUsage
}

func defaultHome() string {
	if h := os.Getenv("AIRSIGN_HOME"); h != "" {
		return h
	}
	if d, err := os.UserHomeDir(); err == nil {
		return filepath.Join(d, ".airsign-kiosk")
	}
	return ".airsign-kiosk"
}

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses a command's flags and arguments in any order
// (cmdline.Parse); a bad flag is a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := cmdline.Parse(fs, args); err != nil {
		return usageError(err.Error())
	}
	return nil
}

func (c *cli) init(args []string) error {
	fs := newFlags("init")
	seal := fs.Bool("seal", false, "seal the device key under the passphrase of --passphrase-file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError("init takes no arguments but --seal")
	}
	var opt home.Options
	if *seal {
		if c.passphraseFile == "" {
			return usageError("init --seal needs the passphrase: --passphrase-file FILE (or - for standard input), before init")
		}
		p, err := c.readPassphrase()
		if err != nil {
			return err
		}
		opt.Passphrase = p
	}
	h, err := home.InitWith(c.home, rand.Reader, c.now(), opt)
	if err != nil {
		return err
	}
	sealed := "in plain PEM (anyone with the disk can use it: init --seal, or seal, to seal it)"
	if h.Sealed() {
		sealed = "sealed under the passphrase (argon2id)"
	}
	fmt.Fprintf(c.stdout, "kiosk home %s initialized\ndevice key %s, %s\naudit verifier key %s\n", c.home, h.KeyID(), sealed, h.VerifierKey())
	return nil
}

// sealCmd seals a plain device key under the passphrase, in place.
func (c *cli) sealCmd(args []string) error {
	fs := newFlags("seal")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 || c.passphraseFile == "" {
		return usageError("seal needs the new passphrase: airsign-kiosk --passphrase-file FILE seal")
	}
	h, err := home.Open(c.home)
	if err != nil {
		return err
	}
	p, err := c.readPassphrase()
	if err != nil {
		return err
	}
	if err := h.Seal(p, rand.Reader, c.now(), home.DefaultKDF); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "device key %s sealed: every command now needs --passphrase-file\n", h.KeyID())
	return nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func (c *cli) ceremony(args []string) error {
	fs := newFlags("ceremony")
	network := fs.String("network", "", descriptor.NetworkChoices)
	script := fs.String("script", "", "p2wpkh, p2tr, p2sh-p2wpkh or p2pkh")
	threshold := fs.Int("threshold", 0, "shares needed to rebuild the seed")
	total := fs.Int("shares", 0, "shares to make")
	out := fs.String("out", "", "output folder (must not exist)")
	words := fs.Int("words", 24, "mnemonic length of a new seed: 12 or 24")
	dice := fs.String("dice", "", "die rolls to mix in, or - to read them from standard input")
	mnemonicFile := fs.String("mnemonic-file", "", "split this existing mnemonic instead (- for standard input)")
	name := fs.String("name", "", "wallet name on this kiosk")
	var custodians multiFlag
	fs.Var(&custodians, "custodian", "custodian of the next share (repeat once per share)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError(fmt.Sprintf("ceremony takes no arguments, got %q", fs.Args()))
	}
	if *out == "" {
		return usageError("ceremony needs --out OUTDIR")
	}
	if *dice == "-" && *mnemonicFile == "-" {
		return usageError("--dice - and --mnemonic-file - cannot both read standard input")
	}
	net, err := descriptor.ParseNetwork(*network)
	if err != nil {
		return err
	}
	st, err := descriptor.ParseScriptType(*script)
	if err != nil {
		return err
	}
	h, err := c.openHome()
	if err != nil {
		return err
	}
	if err := c.airGap(h); err != nil {
		return err
	}
	p := ceremony.Params{
		Network: net, Script: st, Threshold: *threshold, Total: *total, Words: *words,
		Custodians: custodians, Name: *name,
		Software: fmt.Sprintf("airsign-kiosk %s (%s)", version, runtime.Version()),
	}
	if *dice != "" {
		text := []byte(*dice)
		if *dice == "-" {
			if text, err = qrfiles.ReadLimited(c.stdin, 4096, "dice rolls"); err != nil {
				return err
			}
		}
		if p.Dice, err = ceremony.ParseDice(text); err != nil {
			return err
		}
		defer hd.Wipe(p.Dice)
		defer hd.Wipe(text)
	}
	if *mnemonicFile != "" {
		var m []byte
		if *mnemonicFile == "-" {
			m, err = qrfiles.ReadLimited(c.stdin, 4096, "mnemonic")
		} else {
			m, err = qrfiles.ReadFileLimited(*mnemonicFile, 4096, "mnemonic")
		}
		if err != nil {
			return err
		}
		defer hd.Wipe(m)
		p.Mnemonic = m
	}
	if _, err := os.Lstat(*out); err == nil {
		return fmt.Errorf("output folder %s already exists: airsign never writes over shares; choose a new folder", *out)
	}
	if p.InUse, err = h.ShareSetsInUse(); err != nil {
		return err
	}
	res, err := ceremony.Run(p, rand.Reader, c.now(), h)
	if err != nil {
		return err
	}
	defer res.Wipe()
	w := res.Wallet()
	if err := h.CheckNewWallet(w); err != nil {
		return err
	}
	if res.Extra, err = urExport(res.Descriptor); err != nil {
		return err
	}
	if err := res.Write(*out, qrImager{}); err != nil {
		return err
	}
	if err := c.station(h).RecordCeremony(res); err != nil {
		return err
	}
	t := res.Transcript
	fmt.Fprintf(c.stdout, "ceremony %s done (%s seed)\n", t.CeremonyID, t.Kind)
	fmt.Fprintf(c.stdout, "wallet %q registered: %s %s, master fingerprint %s\n", t.WalletName, t.Network, t.Script, t.MasterFingerprint)
	fmt.Fprintf(c.stdout, "share set %s: %d shares, any %d rebuild the seed; every share was read back and the set recombined\n", t.ShareSet, t.Total, t.Threshold)
	for _, s := range t.Shares {
		who := ""
		if s.Custodian != "" {
			who = " for " + s.Custodian
		}
		fmt.Fprintf(c.stdout, "  %s%s  sha256 %s\n", filepath.Join(*out, fmt.Sprintf("share-%d.txt", s.Index)), who, s.SHA256)
	}
	fmt.Fprintf(c.stdout, "watch-only export: %s (for other wallets: watch-only-ur*.png, watch-only-output-descriptor.png, watch-only-account*.png, watch-only-electrum.json)\n", filepath.Join(*out, "watch-only.txt"))
	fmt.Fprintf(c.stdout, "transcript:        %s\n", filepath.Join(*out, "transcript.json"))
	fmt.Fprintf(c.stdout, "descriptor: %s\n", t.Descriptor)
	return nil
}

func (c *cli) wallets(args []string) error {
	fs := newFlags("wallets")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	h, err := c.openHome()
	if err != nil {
		return err
	}
	ws, err := h.Wallets()
	if err != nil {
		return err
	}
	if len(ws) == 0 {
		fmt.Fprintln(c.stderr, "no wallets registered yet; run a ceremony first")
	}
	for _, w := range ws {
		fmt.Fprintf(c.stdout, "%s\t%s\t%s\t%s\t%s\n", w.Name, w.Script, w.Network, w.Fingerprint, w.Descriptor)
	}
	return nil
}

func (c *cli) sharesVerify(args []string) error {
	fs := newFlags("shares verify")
	walletName := fs.String("wallet", "", "the wallet the shares should rebuild")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError("shares verify needs the share files (text or QR images)")
	}
	h, err := c.openHome()
	if err != nil {
		return err
	}
	if err := c.airGap(h); err != nil {
		return err
	}
	var shares []*shamir.Share
	defer func() {
		for _, s := range shares {
			s.Wipe()
		}
	}()
	// A failed check is evidence too: every outcome gets its audit line.
	check := kiosk.SharesCheck{Wallet: *walletName}
	for _, path := range fs.Args() {
		s, err := readShare(path)
		if err != nil {
			check.ReadErr = err
			break
		}
		shares = append(shares, s)
	}
	check.Shares = shares
	w, err := c.station(h).VerifyShares(check)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "OK: shares %s of set %s rebuild wallet %q (fingerprint %s); the seed was wiped from memory\n",
		strings.Join(shareNames(shares), ", "), w.ShareSet, w.Name, w.Fingerprint)
	return nil
}

func shareNames(shares []*shamir.Share) []string {
	var names []string
	for _, s := range shares {
		names = append(names, fmt.Sprintf("%d", s.Index))
	}
	return names
}

// readShares reads each share file or QR image; wipe zeroes every share
// read, and is to be deferred even when err is not nil.
func readShares(paths []string) (shares []*shamir.Share, wipe func(), err error) {
	wipe = func() {
		for _, s := range shares {
			s.Wipe()
		}
	}
	for _, path := range paths {
		s, err := readShare(path)
		if err != nil {
			return shares, wipe, err
		}
		shares = append(shares, s)
	}
	return shares, wipe, nil
}

// readShare reads a share from a text file or a QR image.
func readShare(path string) (*shamir.Share, error) {
	data, err := qrfiles.ReadFileLimited(path, qr.MaxImageBytes, "share")
	if err != nil {
		return nil, err
	}
	defer hd.Wipe(data)
	if qrfiles.IsImage(data) {
		text, err := qr.DecodeFile(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		defer hd.Wipe(text)
		data = text
	}
	s, err := shamir.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// qrImager draws share cards and exports as QR images for the ceremony.
type qrImager struct{}

func (qrImager) PNG(content []byte) ([]byte, error) {
	return qr.PNG(content, qr.ImageOptions{Level: qr.Medium, ModulePixels: 8})
}

func (qrImager) ReadPNG(data []byte) ([]byte, error) { return qr.DecodeFile(data) }
