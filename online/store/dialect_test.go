package store

import (
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
