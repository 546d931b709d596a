package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStoreWhere: --store wins over config.json's store, which wins over
// DATADIR/coordinator.db; a relative file is in DATADIR, a PostgreSQL URL
// is taken as it is.
func TestStoreWhere(t *testing.T) {
	const pg = "postgres://airsign@db.example/treasury?sslmode=verify-full"
	for _, c := range []struct {
		what, config, flag, want string
	}{
		{"nothing set", ``, "", "DATADIR/coordinator.db"},
		{"config names PostgreSQL", `{"store": "` + pg + `"}`, "", pg},
		{"config names a file in DATADIR", `{"store": "desk2.db"}`, "", "DATADIR/desk2.db"},
		{"config names a file elsewhere", `{"store": "/srv/airsign/coordinator.db"}`, "", "/srv/airsign/coordinator.db"},
		{"the flag wins", `{"store": "desk2.db"}`, pg, pg},
	} {
		t.Run(c.what, func(t *testing.T) {
			dir := t.TempDir()
			if c.config != "" {
				if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(c.config), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := (&cli{datadir: dir}).storeWhere(c.flag)
			if want := filepath.FromSlash(strings.Replace(c.want, "DATADIR", dir, 1)); err != nil || got != want {
				t.Errorf("storeWhere(%q) = %q, %v; want %q", c.flag, got, err, want)
			}
		})
	}
}
