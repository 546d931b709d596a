package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"airsign/cmd/internal/qrfiles"
	"airsign/psbt/auditlog"
	"airsign/ui/qr"
	"airsign/ui/qr/bbqr"
)

const auditUsage = "audit takes a subcommand: audit export --out FILE [--qr-out DIR] [--since N] | audit verify | audit key | audit witness FILE --auditor-key KEY"

// auditCmd runs the audit subcommands:
//
//	audit export --out FILE [--qr-out DIR] [--since N]
//	audit verify
//	audit key
//	audit witness FILE --auditor-key KEY
func (c *cli) auditCmd(args []string) error {
	if len(args) == 0 {
		return usageError(auditUsage)
	}
	switch args[0] {
	case "export":
		return c.auditExport(args[1:])
	case "verify":
		return c.auditVerify(args[1:])
	case "key":
		return c.auditKey(args[1:])
	case "witness":
		return c.auditWitness(args[1:])
	}
	return unknownSubcommand("audit", args[0], []string{"export", "verify", "key", "witness"})
}

// auditWitness imports a checkpoint an auditor cosigned (airsign-audit
// witness): from then on the kiosk refuses a log rolled back to before it
// or rewritten since.
func (c *cli) auditWitness(args []string) error {
	fs := newFlags("audit witness")
	auditor := fs.String("auditor-key", "", "the auditor's note verifier key (from airsign-audit witness-key)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *auditor == "" {
		return usageError("audit witness FILE --auditor-key KEY")
	}
	file := fs.Arg(0)
	data, err := qrfiles.ReadFileLimited(file, 64<<10, "witnessed checkpoint")
	if err != nil {
		return err
	}
	key := strings.TrimSpace(*auditor)
	if kb, err := qrfiles.ReadFileLimited(key, 4096, "auditor key"); err == nil {
		key = strings.TrimSpace(string(kb))
	}
	h, err := c.openHome()
	if err != nil {
		return err
	}
	cp, err := c.station(h).ImportWitness(data, key)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "witness imported: an auditor saw this log at %d entries; a log rolled back before that or rewritten is refused from now on\n", cp.Size)
	return nil
}

// auditExport writes the self-contained export (auditlog.Export) to --out
// and, with --qr-out, as BBQr text QR frames and an animated GIF into a new
// folder. It logs that it did.
func (c *cli) auditExport(args []string) error {
	fs := newFlags("audit export")
	out := fs.String("out", "", "export file to write (must not exist)")
	qrOut := fs.String("qr-out", "", "folder (must not exist) for QR frames and an animated GIF")
	since := fs.Int64("since", 0, "first record to include: the size of the checkpoint the auditor holds")
	fps := fs.Int("fps", 4, "frames per second of the animated GIF")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError(fmt.Sprintf("audit export takes no arguments, got %q", fs.Args()))
	}
	if *out == "" && *qrOut == "" {
		return usageError("audit export needs --out FILE and/or --qr-out DIR")
	}
	if *since < 0 {
		return usageError("--since must not be negative")
	}
	h, err := c.openHome()
	if err != nil {
		return err
	}
	st := c.station(h)
	data, rep, err := st.AuditExport(*since)
	if err != nil {
		return err
	}
	var frames int
	if *qrOut != "" {
		parts, err := bbqr.Split(data, bbqr.Text, bbqr.Options{MaxVersion: 25})
		if err != nil {
			return err
		}
		opt := qr.ImageOptions{Level: qr.Low, ModulePixels: 6}
		pngs, err := qr.FramePNGs(parts, opt)
		if err != nil {
			return err
		}
		gif, err := qr.AnimatedGIF(parts, opt, *fps)
		if err != nil {
			return err
		}
		if err := os.Mkdir(*qrOut, 0o755); err != nil {
			return fmt.Errorf("QR output folder: %w (it must not exist yet)", err)
		}
		for i, png := range pngs {
			if err := qrfiles.WriteExclusive(filepath.Join(*qrOut, fmt.Sprintf("frame-%03d.png", i+1)), png); err != nil {
				return err
			}
		}
		if err := qrfiles.WriteExclusive(filepath.Join(*qrOut, "animated.gif"), gif); err != nil {
			return err
		}
		frames = len(parts)
	}
	if *out != "" {
		if err := qrfiles.WriteExclusive(*out, data); err != nil {
			return fmt.Errorf("writing the export: %w", err)
		}
	}
	root := base64.StdEncoding.EncodeToString(rep.Root[:])
	file := ""
	if *out != "" {
		file = filepath.Base(*out)
	}
	if err := st.Exported(rep, file, frames); err != nil {
		return err
	}
	if *out != "" {
		fmt.Fprintf(c.stdout, "wrote %s: records %d to %d of %d\n", *out, rep.Since, rep.Size-1, rep.Size)
	}
	if *qrOut != "" {
		fmt.Fprintf(c.stdout, "wrote %d BBQr text QR frames and animated.gif to %s\n", frames, *qrOut)
	}
	fmt.Fprintf(c.stdout, "checkpoint: size %d, root %s\nan auditor verifies it with the device verifier key %s\nnext time, export with --since %d\n",
		rep.Size, root, h.VerifierKey(), rep.Size)
	return nil
}

// auditVerify checks the log on this kiosk: home.Open already verified it
// against its signed checkpoints; this also runs the auditor's check on a
// full export, and prints the state an auditor can compare.
func (c *cli) auditVerify(args []string) error {
	fs := newFlags("audit verify")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError("audit verify takes no arguments")
	}
	h, err := c.openHome()
	if err != nil {
		return err
	}
	data, err := h.Log().Export(0)
	if err != nil {
		return err
	}
	rep, err := auditlog.VerifyExport(data, h.VerifierKey(), nil)
	if err != nil {
		return fmt.Errorf("the audit log does not verify: %w", err)
	}
	fmt.Fprintf(c.stdout, "audit log verifies: %d entries, every one covered by checkpoints signed by the device key\n", rep.Size)
	fmt.Fprintf(c.stdout, "origin: %s\nsize: %d\nroot: %s\nverifier key: %s\n", rep.Origin, rep.Size, base64.StdEncoding.EncodeToString(rep.Root[:]), h.VerifierKey())
	fmt.Fprintf(c.stdout, "latest checkpoint:\n%s", rep.Checkpoint)
	return nil
}

// auditKey prints the device's note verifier key, which an auditor records
// at the ceremony and verifies every export with.
func (c *cli) auditKey(args []string) error {
	fs := newFlags("audit key")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError("audit key takes no arguments")
	}
	h, err := c.openHome()
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, h.VerifierKey())
	return nil
}
