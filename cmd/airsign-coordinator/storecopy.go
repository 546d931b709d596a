package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"airsign/online/store"
	"airsign/psbt/auditlog"
)

// storeCopyUsage is the synopsis usage errors repeat.
const storeCopyUsage = "store copy --to postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=..."

// storeCmd is `store copy --to URL`: the coordinator's SQLite store, all
// of it, into an empty PostgreSQL database, so that several coordinators
// can share what this one kept (store.Copy). It needs no node: only the
// store, the audit log and who acts.
//
// The audit log, DATADIR/audit.log with a store-copied entry, then moves
// into the database as it would at the first serve on it (openSharedAudit;
// the copy leaves the database's audit_log table empty for it). So from
// the copy on, a coordinator started on the SQLite file again refuses,
// saying where the log went, instead of taking requests the database
// never sees.
func (c *cli) storeCmd(args []string) error {
	if len(args) == 0 {
		return usageError("store takes a subcommand: " + storeCopyUsage)
	}
	if args[0] != "copy" {
		return unknownSubcommand("store", args[0], []string{"copy"})
	}
	flags := newFlags("store copy")
	to := flags.String("to", "", "")
	if err := parseFlags(flags, args[1:]); err != nil {
		return err
	}
	if *to == "" || flags.NArg() != 0 {
		return usageError(storeCopyUsage)
	}
	if !store.IsPostgresURL(*to) {
		return usageError(fmt.Sprintf("store copy --to %s: give a postgres:// URL of an empty database (the copy is for moving to PostgreSQL)", store.RedactURL(*to)))
	}
	from, err := c.storeWhere(c.storeFlag)
	if err != nil {
		return err
	}
	if store.IsPostgresURL(from) {
		return fmt.Errorf("this coordinator's store is PostgreSQL already (%s): store copy moves a SQLite store; from one PostgreSQL database to another, use pg_dump", store.RedactURL(from))
	}
	// store.Open would make an empty database where there is none.
	if _, err := os.Stat(from); err != nil {
		return fmt.Errorf("no store to copy at %s (%v): name the SQLite file with --store FILE, or the data folder with --datadir", from, err)
	}
	src, err := store.Open(from)
	if err != nil {
		return err
	}
	c.st = src
	if err := c.act(store.RoleAdmin); err != nil {
		return err
	}
	// A coordinator beside a SQLite store keeps its log in files; rows in
	// the store's audit_log table are another log, which would meet the
	// files' in the database at the first serve.
	logPath := filepath.Join(c.datadir, "audit.log")
	_, ferr := os.Stat(logPath)
	if ferr != nil && !errors.Is(ferr, fs.ErrNotExist) {
		return ferr
	}
	auditRows, err := src.AuditRows(c.ctx)
	if err != nil {
		return err
	}
	if auditRows > 0 && ferr == nil {
		return fmt.Errorf("%s's audit_log table holds %d rows, and this coordinator's log is %s: the first serve on the database would find two logs; hand both to the auditor and move the one that does not go on aside (the file, or the rows), then copy", from, auditRows, logPath)
	}
	if auditRows == 0 {
		// Open (or start) the log in files before the copy: one that does
		// not verify, or that moved into a database already, stops here.
		if c.auditLog, err = openAudit(c.datadir, src); err != nil {
			return err
		}
	} else {
		// The rows are the log that goes on in the database: they must
		// verify under this coordinator's key before anything is copied,
		// not only when the database opens after.
		idPath := filepath.Join(c.datadir, "identity.key")
		if _, err := os.Stat(idPath); err != nil {
			return fmt.Errorf("%s's audit_log table holds %d rows, signed by a coordinator's identity key, and %s is missing (%v): put the key that signed them there, then copy", from, auditRows, idPath, err)
		}
		id, err := loadIdentity(c.datadir)
		if err != nil {
			return err
		}
		if _, err := auditlog.OpenStorage(src.AuditLog(), auditlog.CoordinatorOrigin+id.keyID(), id); err != nil {
			return fmt.Errorf("%s's audit_log table does not verify as this coordinator's log (key %s): %w; nothing was copied: hand it to the auditor", from, auditlog.KeyName(id.PublicKey()), err)
		}
	}

	// Before Open adds the schema's tables: a wrong URL stops here.
	if err := store.CheckEmpty(c.ctx, *to); err != nil {
		return err
	}
	dst, err := store.Open(*to)
	if err != nil {
		return err
	}
	defer dst.Close()
	rep, err := store.Copy(c.ctx, src, dst)
	if err != nil {
		return err
	}
	counts := map[string]int64{}
	for _, t := range rep.Tables {
		counts[t.Name] = t.Rows
	}
	rec := map[string]any{"from": src.String(), "to": dst.String(), "schema_version": rep.SchemaVersion,
		"rows": rep.Rows(), "tables": counts, "by": c.who}
	if c.auditLog == nil {
		// The store's own log was copied: it goes on in the database.
		if c.auditLog, err = openAudit(c.datadir, dst); err != nil {
			return fmt.Errorf("copied, but the audit log copied into %s does not open: %w", dst, err)
		}
	}
	if err := c.auditLog.Append("store-copied", rec, time.Now()); err != nil {
		return fmt.Errorf("copied to %s, but the copy could not be recorded in the audit log (%w): tell the auditor", dst, err)
	}
	if auditRows == 0 {
		moved, err := openAudit(c.datadir, dst)
		if err != nil {
			return fmt.Errorf("copied to %s, but %s did not move into it (%w): serve on the database moves it; until then a coordinator on %s would go on apart from the database", dst, logPath, err, from)
		}
		// The store's lock ended with the copy: a command run on the
		// SQLite store before the log moved would be in the log and not
		// in the database. Its entries would sit between the copy's and
		// the move's.
		es, err := moved.Entries()
		if err != nil {
			return fmt.Errorf("copied to %s, but its audit log does not read back: %w", dst, err)
		}
		if n := len(es); n < 2 || es[n-1].Kind != auditlog.KindMoved || es[n-2].Kind != "store-copied" {
			return fmt.Errorf("copied to %s, but something was done on %s between the copy and the move of its audit log (the log's entries after store-copied are not only audit-log-moved): what it did is not in the database; tell the auditor, and copy again into an empty database", dst, from)
		}
	}
	return c.emit(map[string]any{"from": src.String(), "to": dst.String(), "schema_version": rep.SchemaVersion,
		"rows": rep.Rows(), "tables": rep.Tables}, func() {
		fmt.Fprintf(c.stdout, "copied %s to %s: %d rows at schema version %d, read back and compared\n", src, dst, rep.Rows(), rep.SchemaVersion)
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		for _, t := range rep.Tables {
			fmt.Fprintf(tw, "  %s\t%d\n", t.Name, t.Rows)
		}
		tw.Flush()
		moved := logPath + " moved into it (audit-log-moved)"
		if auditRows > 0 {
			moved = "the audit log went with the copy"
		}
		fmt.Fprintf(c.stdout, "%s; a coordinator on %s refuses from now on\n", moved, from)
		fmt.Fprintf(c.stdout, "next: give the database as the store (--store URL, or config.json's \"store\") and serve; keep %s as it is, for the record\n", from)
	})
}
