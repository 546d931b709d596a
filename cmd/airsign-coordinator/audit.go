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
	"slices"
	"strconv"
	"strings"
	"time"

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

// openAudit opens (or starts) the coordinator's audit log: DATADIR/audit.log
// beside a SQLite store, which one machine owns; the database's audit_log
// table when the store is shared (PostgreSQL), the one log of every
// coordinator on it (openSharedAudit). A log that does not verify stops
// the coordinator, as on the kiosk.
func openAudit(datadir string, st *store.Store) (*auditlog.Log, error) {
	if st.Shared() {
		return openSharedAudit(datadir, st)
	}
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
	if to, moved := l.Moved(); moved {
		return nil, fmt.Errorf("%s was moved into %s, where this coordinator's log goes on (its last entry says so): give that database as the store (--store, or config.json's store)", path, to)
	}
	return l, nil
}

// seenFile keeps, on each machine, the latest checkpoint of the shared log
// this machine saw (a carried checkpoint: verifier key, newline, note).
// The database's log must still hold it: whoever can change the database
// but not this machine cannot cut the log back, or put an older backup in
// its place, unnoticed.
const seenFile = "audit-shared.checkpoint"

// openSharedAudit opens the log in the database, which every coordinator
// sharing it signs with one identity key: it refuses another key (copy
// identity.key from a coordinator of the deployment), and makes no key of
// its own when the log exists already. The first coordinator on an empty
// database moves DATADIR/audit.log into it, if it has one, so the log an
// auditor knows goes on; later, DATADIR/audit.log must be that moved log.
func openSharedAudit(datadir string, st *store.Store) (*auditlog.Log, error) {
	db := st.AuditLog()
	idPath := filepath.Join(datadir, "identity.key")
	if _, err := os.Stat(idPath); errors.Is(err, fs.ErrNotExist) {
		keys, _, err := auditlog.StartedBy(db)
		if err == nil {
			return nil, fmt.Errorf("%s is missing, and the coordinators sharing the database sign its audit log (%s) with key %s: copy identity.key from one of them into %s (mode 0600), so that this one signs the same log", idPath, db, strings.Join(keys, ", "), datadir)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	id, err := loadIdentity(datadir)
	if err != nil {
		return nil, err
	}
	origin := auditlog.CoordinatorOrigin + id.keyID()
	seenPath := filepath.Join(datadir, seenFile)
	seen, err := os.ReadFile(seenPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	filePath := filepath.Join(datadir, "audit.log")
	_, ferr := os.Stat(filePath)
	if ferr != nil && !errors.Is(ferr, fs.ErrNotExist) {
		return nil, ferr
	}

	l, err := auditlog.OpenStorage(db, origin, id)
	switch {
	case errors.Is(err, fs.ErrNotExist) && seen != nil:
		return nil, fmt.Errorf("%s holds no audit log, but this machine saw one there (%s): the database was emptied or replaced; nothing more is done until an auditor has looked (then move %s aside)", db, seenPath, seenPath)
	case errors.Is(err, fs.ErrNotExist) && ferr == nil:
		f, err := auditlog.Open(filePath, origin, id)
		if err != nil {
			return nil, fmt.Errorf("%s is to move into %s, and does not verify: %w; nothing more is done until an auditor has looked at it", filePath, db, err)
		}
		if l, err = f.MoveTo(db, time.Now()); err != nil {
			return nil, err
		}
	case errors.Is(err, fs.ErrNotExist):
		l, err = auditlog.CreateStorage(db, origin, id)
		if errors.Is(err, fs.ErrExist) { // another coordinator just did
			l, err = auditlog.OpenStorage(db, origin, id)
		}
		if err != nil {
			return nil, err
		}
	case err != nil:
		name := auditlog.KeyName(id.PublicKey())
		if keys, dbOrigin, serr := auditlog.StartedBy(db); serr == nil && (dbOrigin != origin || !slices.Contains(keys, name)) {
			return nil, fmt.Errorf("the coordinators sharing the database sign its audit log (%s) with key %s (log %q), and this coordinator's %s is key %s: all of them sign the one log with one key; copy identity.key from one of them (keep this one, and any log it signed, for the auditor)", db, strings.Join(keys, ", "), dbOrigin, idPath, name)
		}
		return nil, fmt.Errorf("the coordinators' audit log does not verify: %w; nothing more is done until an auditor has looked at it", err)
	}
	if ferr == nil {
		if err := movedHere(l, filePath, origin, id); err != nil {
			return nil, err
		}
	}
	if seen != nil {
		vkey, note, _ := strings.Cut(string(seen), "\n")
		c, err := auditlog.OpenCarried(vkey, []byte(note))
		if err == nil {
			err = l.CheckSigned(c)
		}
		if err != nil {
			return nil, fmt.Errorf("the coordinators' audit log does not hold what this machine saw of it (%s): %w; it was cut back or rewritten, or the database restored from an older backup; nothing more is done until an auditor has looked (then move %s aside)", seenPath, err, seenPath)
		}
	}
	return l, writeSeen(datadir, l)
}

// writeSeen keeps l's latest checkpoint as this machine's view of the
// shared log (seenFile), written whole or not at all.
func writeSeen(datadir string, l *auditlog.Log) error {
	cp, err := l.Checkpoint()
	if err != nil {
		return err
	}
	seenPath := filepath.Join(datadir, seenFile)
	tmp := seenPath + ".new"
	if err := os.WriteFile(tmp, append([]byte(l.VerifierKey()+"\n"), cp.Note...), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, seenPath)
}

// movedHere checks that DATADIR/audit.log is the log the database's went
// on from: moved, and held by it.
func movedHere(l *auditlog.Log, path, origin string, id identity) error {
	f, err := auditlog.Open(path, origin, id)
	if err == nil {
		if _, moved := f.Moved(); !moved {
			err = errors.New("it was not moved into the database")
		}
	}
	var cp auditlog.Checkpoint
	if err == nil {
		cp, err = f.Checkpoint()
	}
	if err == nil {
		err = l.CheckSigned(auditlog.Carried{VerifierKey: f.VerifierKey(), Checkpoint: cp})
	}
	if err != nil {
		return fmt.Errorf("%s is not the log the database's goes on from (%v): it is this coordinator's log from before it shared the database, which the auditor needs: hand it to them (audit export, with the SQLite store it was kept with), then move it and %s aside", path, err, filepath.Base(auditlog.CheckpointsPath(path)))
	}
	return nil
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
