package store

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestRebind(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`a = ? AND b = ?`, `a = $1 AND b = $2`},
		{`a = ?1 OR ?1 = '' AND b = ?2`, `a = $1 OR $1 = '' AND b = $2`},
		{`a = ?3 AND b = ?`, `a = $3 AND b = $4`}, // as SQLite numbers a bare ? after ?3
		{`a = '?' AND b = ?`, `a = '?' AND b = $1`},
		{`a = 'it''s ?' AND b = ?`, `a = 'it''s ?' AND b = $1`},
		{`?10, ?`, `$10, $11`},
	} {
		if got := dialectPostgres.rebind(c.in); got != c.want {
			t.Errorf("rebind(%q) = %q, want %q", c.in, got, c.want)
		}
		if got := dialectSQLite.rebind(c.in); got != c.in {
			t.Errorf("SQLite rebind(%q) = %q, want it unchanged", c.in, got)
		}
	}
}

func TestArgsStoreBooleansAsIntegers(t *testing.T) {
	in := []any{true, "x", false, 7}
	got := dialectPostgres.args(in)
	if want := []any{1, "x", 0, 7}; !reflect.DeepEqual(got, want) {
		t.Errorf("args(%v) = %v, want %v", in, got, want)
	}
	if !reflect.DeepEqual(in, []any{true, "x", false, 7}) {
		t.Errorf("args changed its input to %v", in)
	}
}

// TestWritesGoThroughInTx keeps every transaction of the store on inTx,
// which runs again the ones PostgreSQL aborts for losing a race: a
// transaction begun by hand would fail on the first conflict instead.
// Only migrateStep begins its own (read committed, under a lock).
func TestWritesGoThroughInTx(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var begun []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "dialect.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, ".BeginTx(") {
				begun = append(begun, fmt.Sprintf("%s:%d: %s", f, i+1, strings.TrimSpace(line)))
			}
		}
	}
	if len(begun) != 1 || !strings.HasPrefix(begun[0], "store.go:") || !strings.HasSuffix(begun[0], "tx, err := db.BeginTx(ctx, opts)") {
		t.Errorf("transactions begun outside inTx: %q; want only migrateStep's in store.go; use s.inTx", begun)
	}
}

var updateGolden = flag.Bool("update", false, "rewrite testdata/schema.postgres.sql")

// TestPostgresSchemaGolden shows the schema PostgreSQL gets, step by step,
// so that a change to the translation or a new step is read by a person
// (go test -update rewrites it); the PostgreSQL tests check that it runs.
func TestPostgresSchemaGolden(t *testing.T) {
	var b strings.Builder
	for i, m := range migrations {
		fmt.Fprintf(&b, "-- step %d\n%s\n", i+1, strings.TrimSpace(dialectPostgres.schema(m)))
	}
	path := filepath.Join("testdata", "schema.postgres.sql")
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run TestPostgresSchemaGolden -update writes it)", err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("PostgreSQL schema differs from %s; if the change is meant, rerun with -update and review the diff", path)
	}
	for _, banned := range []string{"BLOB", "STRICT", "NOCASE", " INTEGER"} {
		if strings.Contains(b.String(), banned) {
			t.Errorf("PostgreSQL schema still says %q", banned)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://airsign:s3cret@db.example:5432/treasury?sslmode=verify-full", "postgres://airsign:xxxxx@db.example:5432/treasury?sslmode=verify-full"},
		{"postgres://db.example/treasury?user=airsign&password=s3cret", "postgres://db.example/treasury?password=xxxxx&user=airsign"},
		{"postgresql://airsign@/treasury?host=/run/postgresql", "postgresql://airsign@/treasury?host=/run/postgresql"},
		{"postgres://airsign@db.example/treasury?sslmode=verify-full&sslkey=/k.pem&sslpassword=keypass", "postgres://airsign@db.example/treasury?sslkey=%2Fk.pem&sslmode=verify-full&sslpassword=xxxxx"},
		{"postgres://db.example/treasury?PassWord=s3cret&Password=again", "postgres://db.example/treasury?PassWord=xxxxx&Password=xxxxx"},
	} {
		if got := RedactURL(c.in); got != c.want {
			t.Errorf("RedactURL(%q) = %q, want %q", c.in, got, c.want)
		}
		if !IsPostgresURL(c.in) {
			t.Errorf("IsPostgresURL(%q) = false", c.in)
		}
	}
	if IsPostgresURL("/var/lib/airsign/coordinator.db") {
		t.Error("a file path taken for a PostgreSQL URL")
	}
}
