package main

import (
	"errors"
	"net/url"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"airsign/online/regtest"
	"airsign/online/store/pgtest"
)

// TestStoreCopyScript runs testdata/storecopy.txtar, which moves a SQLite
// coordinator to PostgreSQL: the scripts of TestScripts have no database
// server, so this one starts its own and hands the script an empty
// database's URL as $PGURL, and the same with a password in it (which
// the server, trusting its socket, does not ask for) as $PGURL_PW.
func TestStoreCopyScript(t *testing.T) {
	if testing.Short() {
		t.Skip("starts btcd and PostgreSQL")
	}
	srv, err := pgtest.Start()
	if errors.Is(err, pgtest.ErrUnavailable) {
		pgtest.Unavailable(t, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() })
	btcd, err := regtest.BtcdPath()
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Files: []string{"testdata/storecopy.txtar"},
		Setup: func(env *testscript.Env) error {
			env.Setenv("USER", "alice")
			env.Setenv("AIRSIGN_BTCD", btcd)
			db := srv.NewDatabase(t, "")
			u, err := url.Parse(db)
			if err != nil {
				return err
			}
			env.Setenv("PGURL", db)
			u.User = url.UserPassword(u.User.Username(), "s3cret")
			env.Setenv("PGURL_PW", u.String())
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitnode":   waitnode,
			"servedport": servedport,
			"api":        apiCall,
			"jsonenv":    jsonenv,
		},
	})
}
