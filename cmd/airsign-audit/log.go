package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"airsign/cmd/internal/qrfiles"
	"airsign/psbt/auditlog"
	"airsign/psbt/fileio"
)

// maxLogExportBytes bounds an audit-log export read from a file.
const maxLogExportBytes = 256 << 20

// readKey reads a note key given as itself or as a file holding it.
func readKey(arg, what string) (string, error) {
	if arg == "" {
		return "", usageError("give the " + what)
	}
	if data, err := qrfiles.ReadFileLimited(arg, 4096, what+" file"); err == nil {
		return strings.TrimSpace(string(data)), nil
	} else if !os.IsNotExist(err) && strings.Contains(arg, string(os.PathSeparator)) {
		return "", err
	}
	return strings.TrimSpace(arg), nil
}

// verifyLogFile reads and verifies an export.
func verifyLogFile(path, keyArg, trustedPath string) (auditlog.Report, error) {
	key, err := readKey(keyArg, "kiosk's verifier key (--log-key, printed by airsign-kiosk audit key)")
	if err != nil {
		return auditlog.Report{}, err
	}
	data, err := qrfiles.ReadFileLimited(path, maxLogExportBytes, "audit log export")
	if err != nil {
		return auditlog.Report{}, err
	}
	if data, err = unwrapLogExport(data); err != nil {
		return auditlog.Report{}, fmt.Errorf("%s: %w", path, err)
	}
	var trusted []byte
	if trustedPath != "" {
		if trusted, err = qrfiles.ReadFileLimited(trustedPath, 64<<10, "trusted checkpoint"); err != nil {
			return auditlog.Report{}, err
		}
	}
	rep, err := auditlog.VerifyExport(data, key, trusted)
	if err != nil {
		return rep, fmt.Errorf("%s does not verify: %w", path, err)
	}
	return rep, nil
}

// verifyLog is `verify-log EXPORT --log-key KEY [--trusted CHECKPOINT]
// [--checkpoint-out FILE] [--format text|json|csv] [--html FILE]`.
func (c *cli) verifyLog(args []string) error {
	fs := newFlags("verify-log")
	keyArg := fs.String("log-key", "", "")
	trusted := fs.String("trusted", "", "")
	cpOut := fs.String("checkpoint-out", "", "")
	of := addOutputFlags(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("verify-log takes one export file")
	}
	o, err := of.output()
	if err != nil {
		return err
	}
	s := summary{Check: "verify-log", Subject: "audit log export " + pos[0], Columns: []string{"seq", "time", "kind", "data"}}
	rep, err := verifyLogFile(pos[0], *keyArg, *trusted)
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			return err
		}
		s.Verdict = fmt.Sprintf("PROBLEM: %v", err)
		if o.format == "csv" {
			fmt.Fprintln(c.stderr, s.Verdict)
		}
		if err := c.report(o, map[string]any{"ok": false, "file": pos[0], "problem": err.Error()}, func() { fmt.Fprintln(c.stdout, s.Verdict) }, s); err != nil {
			return err
		}
		return errProblem
	}
	if *cpOut != "" {
		if err := qrfiles.WriteExclusive(*cpOut, rep.Checkpoint); err != nil {
			return err
		}
	}
	root := base64.StdEncoding.EncodeToString(rep.Root[:])
	signed := fmt.Sprintf("log %q signed by %s: %d entries, root %s", rep.Origin, rep.Key, rep.Size, root)
	trust := "no trusted checkpoint given: keep this one (--checkpoint-out) and pass it as --trusted next time, so a rollback or a fork shows"
	if rep.TrustedSize >= 0 {
		trust = fmt.Sprintf("consistent with the trusted checkpoint at %d entries: nothing before it was changed or removed", rep.TrustedSize)
	}
	s.OK, s.Verdict = true, "OK: every entry is covered by the log's signed checkpoint"
	s.Facts = []fact{{"log", signed}, {"trusted checkpoint", trust}, {"entries", fmt.Sprintf("%d to %d", rep.Since, rep.Size-1)}}
	for _, e := range rep.Entries {
		s.Rows = append(s.Rows, []string{strconv.FormatUint(e.Seq, 10), e.Time.UTC().Format("2006-01-02 15:04:05Z"), e.Kind, string(e.Data)})
	}
	v := map[string]any{"ok": true, "origin": rep.Origin, "key": rep.Key, "size": rep.Size,
		"root": root, "since": rep.Since, "trusted_size": rep.TrustedSize,
		"checkpoint": string(rep.Checkpoint), "entries": rep.Entries}
	return c.report(o, v, func() {
		fmt.Fprintln(c.stdout, signed)
		fmt.Fprintln(c.stdout, trust)
		fmt.Fprintf(c.stdout, "entries %d to %d:\n", rep.Since, rep.Size-1)
		for _, e := range rep.Entries {
			fmt.Fprintf(c.stdout, "  %5d  %s  %-16s %s\n", e.Seq, e.Time.UTC().Format("2006-01-02 15:04:05Z"), e.Kind, e.Data)
		}
		fmt.Fprintln(c.stdout, s.Verdict)
	}, s)
}

// witnessKey is `witness-key --name NAME --private FILE --public FILE`:
// the auditor's own note key pair.
func (c *cli) witnessKey(args []string) error {
	fs := newFlags("witness-key")
	name := fs.String("name", "", "")
	priv := fs.String("private", "", "")
	pub := fs.String("public", "", "")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *name == "" || *priv == "" || *pub == "" {
		return usageError("witness-key --name NAME --private FILE --public FILE")
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, *name)
	if err != nil {
		return err
	}
	if err := fileio.WriteNew(*priv, []byte(skey+"\n"), 0o600); err != nil {
		return err
	}
	if err := qrfiles.WriteExclusive(*pub, []byte(vkey+"\n")); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "auditor key %s: private key in %s (keep it off the kiosk), verifier key in %s:\n%s\n", *name, *priv, *pub, vkey)
	return nil
}

// witness is `witness EXPORT --log-key KEY --auditor-key PRIVATE --out FILE
// [--trusted CHECKPOINT]`: verify the export, then cosign its checkpoint.
func (c *cli) witness(args []string) error {
	fs := newFlags("witness")
	keyArg := fs.String("log-key", "", "")
	auditorArg := fs.String("auditor-key", "", "")
	trusted := fs.String("trusted", "", "")
	out := fs.String("out", "", "")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *out == "" || *auditorArg == "" {
		return usageError("witness EXPORT --log-key KEY --auditor-key PRIVATE_KEY_FILE --out FILE [--trusted CHECKPOINT]")
	}
	rep, err := verifyLogFile(pos[0], *keyArg, *trusted)
	if err != nil {
		fmt.Fprintf(c.stdout, "PROBLEM: %v\n", err)
		return errProblem
	}
	skey, err := readKey(*auditorArg, "auditor's private key")
	if err != nil {
		return err
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return fmt.Errorf("auditor key: %v", err)
	}
	key, _ := readKey(*keyArg, "kiosk's verifier key")
	cosigned, err := auditlog.Cosign(rep.Checkpoint, key, signer)
	if err != nil {
		return err
	}
	if err := qrfiles.WriteExclusive(*out, cosigned); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "witnessed %q at %d entries as %s: %s\n", rep.Origin, rep.Size, signer.Name(), *out)
	fmt.Fprintln(c.stdout, "import it on the kiosk: airsign-kiosk audit witness FILE --auditor-key YOUR_VERIFIER_KEY")
	return nil
}
