package store

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// IsPostgresURL reports whether where names a PostgreSQL database (a
// postgres:// or postgresql:// URL) rather than a SQLite file.
func IsPostgresURL(where string) bool {
	return strings.HasPrefix(where, "postgres://") || strings.HasPrefix(where, "postgresql://")
}

// RedactURL is where with any password in it replaced, for messages,
// logs and the audit log: the user's, and every parameter whose name
// says password (password, sslpassword: a client key's passphrase),
// however it is spelled.
func RedactURL(where string) string {
	u, err := url.Parse(where)
	if err != nil {
		return "(a database URL that does not parse)"
	}
	q := u.Query()
	changed := false
	for name := range q {
		if strings.Contains(strings.ToLower(name), "password") || strings.Contains(strings.ToLower(name), "passwd") {
			q[name] = []string{"xxxxx"}
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// maxPostgresConns caps one coordinator's connections, so several of them
// stay well inside the server's max_connections (100 by default).
const maxPostgresConns = 16

func openPostgres(where string) (*Store, error) {
	name := RedactURL(where)
	cfg, err := pgx.ParseConfig(where)
	if err != nil {
		// pgx's message may quote the URL, password included.
		return nil, fmt.Errorf("store: open %s: the PostgreSQL URL does not parse; write it as postgres://user:password@host:port/database?sslmode=...", name)
	}
	raw := stdlib.OpenDB(*cfg)
	raw.SetMaxOpenConns(maxPostgresConns)
	raw.SetMaxIdleConns(4)
	raw.SetConnMaxIdleTime(5 * time.Minute)
	db := newSQLDB(raw, dialectPostgres)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := raw.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: cannot reach the database (is the server running, and the user, password and database right?): %w", name, err)
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", name, err)
	}
	return &Store{db: db, name: name}, nil
}
