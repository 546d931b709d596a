package main

import (
	"airsign/online/store"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"airsign/cmd/internal/qrfiles"
	"airsign/psbt/auditlog"
)

// identity is the coordinator's ed25519 key, which signs its audit log's
// checkpoints. It is made on first use and kept in DATADIR/identity.key
// (mode 0600); it guards evidence, not funds.
type identity struct{ key ed25519.PrivateKey }

func (i identity) Sign(msg []byte) []byte       { return ed25519.Sign(i.key, msg) }
func (i identity) PublicKey() ed25519.PublicKey { return i.key.Public().(ed25519.PublicKey) }

func (i identity) keyID() string {
	sum := sha256.Sum256(i.PublicKey())
	return hex.EncodeToString(sum[:8])
}

func loadIdentity(datadir string) (identity, error) {
	path := filepath.Join(datadir, "identity.key")
	data, err := qrfiles.ReadFileLimited(path, 1024, "identity key")
	if errors.Is(err, fs.ErrNotExist) {
		seed := make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			return identity{}, err
		}
		if err := qrfiles.WriteExclusive(path, []byte(base64.StdEncoding.EncodeToString(seed)+"\n")); err != nil {
			return identity{}, err
		}
		if err := os.Chmod(path, 0o600); err != nil {
			return identity{}, err
		}
		return identity{ed25519.NewKeyFromSeed(seed)}, nil
	}
	if err != nil {
		return identity{}, err
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return identity{}, fmt.Errorf("%s is not a coordinator identity key", path)
	}
	return identity{ed25519.NewKeyFromSeed(seed)}, nil
}

// openAudit opens (or starts) the coordinator's audit log. A log that does
// not verify stops the coordinator, as on the kiosk.
func openAudit(datadir string) (*auditlog.Log, error) {
	id, err := loadIdentity(datadir)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(datadir, "audit.log")
	origin := auditlog.CoordinatorOrigin + id.keyID()
	l, err := auditlog.Open(path, origin, id)
	if errors.Is(err, fs.ErrNotExist) {
		return auditlog.Create(path, origin, id)
	}
	if err != nil {
		return nil, fmt.Errorf("the coordinator's audit log does not verify: %w; nothing more is done until an auditor has looked at it", err)
	}
	return l, nil
}

// auditCmd is `audit key`, `audit verify` and `audit export --out FILE
// [--since N] [--chain FILE]`. The export holds the log and the registered
// wallets (see coordinatorExport); the chain file the wallets' confirmed
// transactions with their proofs (see chainFile).
func (c *cli) auditCmd(args []string) error {
	if len(args) == 0 {
		return usageError("audit takes a subcommand: key, verify, export --out FILE [--since N] [--chain FILE]")
	}
	l := c.auditLog
	switch args[0] {
	case "key":
		fmt.Fprintln(c.stdout, l.VerifierKey())
		return nil
	case "verify":
		data, err := l.Export(0)
		if err != nil {
			return err
		}
		rep, err := auditlog.VerifyExport(data, l.VerifierKey(), nil)
		if err != nil {
			return fmt.Errorf("the audit log does not verify: %w", err)
		}
		fmt.Fprintf(c.stdout, "audit log %q verifies: %d entries, root %s\n", rep.Origin, rep.Size, base64.StdEncoding.EncodeToString(rep.Root[:]))
		return nil
	case "export":
		fs := newFlags("audit export")
		out := fs.String("out", "", "")
		since := fs.String("since", "0", "")
		chainOut := fs.String("chain", "", "")
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		n, err := strconv.ParseInt(*since, 10, 64)
		if *out == "" || fs.NArg() != 0 || err != nil || n < 0 {
			return usageError("audit export --out FILE [--since N] [--chain FILE]")
		}
		if err := c.act(store.RoleViewer); err != nil {
			return err
		}
		data, err := c.coordinatorExportFile(l, n)
		if err != nil {
			return err
		}
		if err := qrfiles.WriteExclusive(*out, data); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "wrote %s: entries %d to %d and the registered wallets; verify with airsign-audit verify-log --log-key %s\n", *out, n, l.Len()-1, l.VerifierKey())
		fmt.Fprintf(c.stdout, "cross-check the wallets with the ceremonies: airsign-audit cross-check --transcripts DIR --coordinator-export %s --log-key %s\n", *out, l.VerifierKey())
		rec := map[string]any{"file": filepath.Base(*out), "since": n, "size": l.Len(), "user": c.who}
		if *chainOut != "" {
			data, err := c.chainFile()
			if err != nil {
				return fmt.Errorf("the chain file: %w", err)
			}
			if err := qrfiles.WriteExclusive(*chainOut, data); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "wrote %s: the wallets' confirmed transactions with their proofs; reconcile with airsign-audit reconcile --coordinator-export %s --coordinator-key %s --chain %s --kiosk-export FILE --kiosk-key KEY\n",
				*chainOut, *out, l.VerifierKey(), *chainOut)
			rec["chain_file"] = filepath.Base(*chainOut)
		}
		return c.coord.Record("audit-export", rec)
	}
	return usageError("audit takes a subcommand: key, verify, export --out FILE [--since N] [--chain FILE]")
}
