// Command airsign-audit is the auditor's tool: it checks, offline and
// without any of the kiosk's secrets, what a kiosk produced. It verifies a
// signed ceremony transcript and its internal consistency, tells whether a
// share a custodian presents belongs to a ceremony (without combining
// anything and without printing the share), cross-checks the wallets a
// coordinator watches against the ceremonies that created them, and
// verifies a kiosk's audit-log export, whose checkpoint it can cosign as a
// witness with the auditor's own key (witness-key, witness). See
// `airsign-audit help` and docs/auditor-guide.md.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const version = "0.1.0-dev"

const usage = `Usage:
    airsign-audit COMMAND [flags] ARGS

Commands:
    verify-transcript [--device-key KEY] [REPORT] TRANSCRIPT
            check a ceremony transcript: its signature by the kiosk's device
            key, and that its descriptor, account key, fingerprints, paths,
            network, threshold and share records agree with each other
    check-share [--device-key KEY] [REPORT] TRANSCRIPT SHAREFILE
            tell whether a share (its words file or QR image) belongs to the
            ceremony: compares its digest, set, threshold, total and wallet
            fingerprint with the transcript. Nothing is combined and the
            share is neither printed nor kept
    cross-check --transcripts DIR --coordinator-export FILE [--log-key KEY] [--device-key KEY] [REPORT]
            compare the wallets the coordinator watches (FILE is what
            'airsign-coordinator audit export --out FILE' wrote, or the
            output of 'airsign-coordinator --json wallets') with the wallets
            the ceremonies in DIR (every *.json transcript below it) created:
            reports matches, wallets no ceremony created (extra) and
            ceremonies whose wallet is not watched (missing). With the
            coordinator's log key, the export's wallet list is checked
            against the wallet registrations of its signed log
    verify-log --log-key KEY [--trusted CHECKPOINT] [--checkpoint-out FILE] [REPORT] EXPORT
            verify an audit-log export (airsign-kiosk audit export,
            airsign-coordinator audit export): every entry is covered by the
            device's signed checkpoint, and with
            --trusted (the checkpoint kept from the last audit) nothing
            before it was changed, removed or forked; prints the entries
    reconcile --kiosk-export FILE --kiosk-key KEY --coordinator-export FILE --coordinator-key KEY
              [--chain FILE | --rpc-url URL --rpc-user USER --rpc-pass PASS] [REPORT]
            match the kiosk's signatures with the coordinator's requests,
            approvals and broadcasts and the chain's transactions, and the
            checkpoints each side recorded of the other's log (carried in
            every PSBT) with the other's export; lists every withdrawal and
            flags what does not match. The chain is the file the
            coordinator's 'audit export --chain FILE' wrote (airsign-chain/1,
            each transaction proven by its merkle branch and block header),
            or the auditor's own node, read from the wallets' birthday
    witness-key --name NAME --private FILE --public FILE
            make the auditor's own signing key (once)
    witness --log-key KEY --auditor-key PRIVATE_FILE --out FILE [--trusted CHECKPOINT] EXPORT
            verify the export, then cosign its checkpoint; imported on the
            kiosk (airsign-kiosk audit witness), it makes a later rollback or
            rewrite of the log refuse to open
    verify-reserves --proof FILE --challenge TEXT --snapshot FILE [REPORT]
            check a proof of reserves (BIP-322, as the coordinator's finalize
            printed it) for your challenge against a UTXO snapshot (the
            coordinator's prove-reserves --snapshot, or one from your own
            node): the amount proven, unspent at the snapshot's block
    verify-message --address A --message M --signature S [REPORT]
            check a BIP-322 message signature (simple, full, or legacy P2PKH)
    version

REPORT is how a check reports: --format text (the default), json or csv
(--json is --format json), and --html FILE to also write a one-page HTML
summary (self-contained, no scripts) for a person to read or print.

The log KEY is the device's note verifier key (airsign-kiosk audit key,
airsign-coordinator audit key), as text or a file holding it.

KEY is the kiosk's device public key: best its identity.pub file, copied
from the kiosk when it was initialized, or the key as 64 hex digits or
base64. The 16-hex-digit key id the kiosk prints is accepted too, but it
is only a 64-bit hash of the key: prefer the whole key. Without
--device-key a transcript is checked against the key it names itself, which
proves it was not edited, not which device made it.

Exit status: 0 when everything checked out, 1 when a problem was found or a
file could not be read, 2 for a usage error.
`

const (
	exitOK      = 0
	exitProblem = 1
	exitUsage   = 2
)

type usageError string

func (e usageError) Error() string { return string(e) }

// errProblem is returned after a report that already names the problems.
var errProblem = errors.New("problems found")

type cli struct {
	stdout, stderr io.Writer
}

func run(args []string, stdout, stderr io.Writer) int {
	c := &cli{stdout: stdout, stderr: stderr}
	err := c.run(args)
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "airsign-audit: error: %s\n\n%s", ue, usage)
		return exitUsage
	case errors.Is(err, errProblem):
		return exitProblem
	default:
		fmt.Fprintf(stderr, "airsign-audit: error: %v\n", err)
		return exitProblem
	}
}

func (c *cli) run(args []string) error {
	if len(args) == 0 {
		return usageError("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(c.stdout, usage)
		return nil
	case "version":
		fmt.Fprintf(c.stdout, "airsign-audit %s (%s)\n", version, runtime.Version())
		return nil
	case "verify-transcript":
		return c.verifyTranscript(rest)
	case "check-share":
		return c.checkShare(rest)
	case "cross-check":
		return c.crossCheck(rest)
	case "verify-log":
		return c.verifyLog(rest)
	case "reconcile":
		return c.reconcile(rest)
	case "witness-key":
		return c.witnessKey(rest)
	case "witness":
		return c.witness(rest)
	case "verify-reserves":
		return c.verifyReserves(rest)
	case "verify-message":
		return c.verifyMessage(rest)
	}
	return usageError(fmt.Sprintf("unknown command %q", cmd))
}

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses flags given before or after the positional arguments,
// so that `check-share T S --json` works as people type it.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError(fmt.Sprintf("%s: %v", fs.Name(), err))
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
