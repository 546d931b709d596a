package cmdline

import (
	"flag"
	"io"
	"slices"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		args []string
		json bool
		in   string
		rest []string
		err  bool
	}{
		{[]string{"a.png", "b.png", "--json"}, true, "", []string{"a.png", "b.png"}, false},
		{[]string{"--in", "x", "a", "-json"}, true, "x", []string{"a"}, false},
		{[]string{"a", "--", "--json", "-b"}, false, "", []string{"a", "--json", "-b"}, false},
		{[]string{"-", "a"}, false, "", []string{"-", "a"}, false},
		{[]string{"a", "--nope"}, false, "", nil, true},
		{[]string{"a", "--in"}, false, "", nil, true},
	} {
		fs := flag.NewFlagSet("cmd", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		json := fs.Bool("json", false, "")
		in := fs.String("in", "", "")
		err := Parse(fs, tc.args)
		if (err != nil) != tc.err {
			t.Errorf("Parse(%q): err %v, want error %v", tc.args, err, tc.err)
			continue
		}
		if err == nil && (*json != tc.json || *in != tc.in || !slices.Equal(fs.Args(), tc.rest) && len(tc.rest)+fs.NArg() > 0) {
			t.Errorf("Parse(%q): json %v in %q args %q; want %v %q %q", tc.args, *json, *in, fs.Args(), tc.json, tc.in, tc.rest)
		}
	}
}

func TestTakeFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		keep    []string
		json    bool
		datadir string
		rest    []string
		err     bool
	}{
		{[]string{"requests", "--json"}, nil, true, "d0", []string{"requests"}, false},
		{[]string{"show", "ID", "--datadir", "x", "-json"}, nil, true, "x", []string{"show", "ID"}, false},
		{[]string{"show", "--datadir=y", "ID"}, nil, false, "y", []string{"show", "ID"}, false},
		{[]string{"approve", "ID", "--user", "bob", "--json"}, []string{"user"}, true, "d0", []string{"approve", "ID", "--user", "bob"}, false},
		{[]string{"withdraw", "--amount", "1", "--", "--json"}, nil, false, "d0", []string{"withdraw", "--amount", "1", "--", "--json"}, false},
		{[]string{"show", "ID", "--datadir"}, nil, false, "", nil, true},
		{[]string{"show", "--json=maybe"}, nil, false, "", nil, true},
	} {
		fs := flag.NewFlagSet("global", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		json := fs.Bool("json", false, "")
		datadir := fs.String("datadir", "d0", "")
		fs.String("user", "", "")
		got, err := TakeFlags(fs, tc.args, tc.keep...)
		if (err != nil) != tc.err {
			t.Errorf("TakeFlags(%q): err %v, want error %v", tc.args, err, tc.err)
			continue
		}
		if err == nil && (!slices.Equal(got, tc.rest) || *json != tc.json || *datadir != tc.datadir) {
			t.Errorf("TakeFlags(%q) = %q json %v datadir %q; want %q %v %q", tc.args, got, *json, *datadir, tc.rest, tc.json, tc.datadir)
		}
	}
}

func TestHelpAsked(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"--help"}, true},
		{[]string{"add", "-h"}, true},
		{[]string{"add", "--", "--help"}, false},
		{[]string{"add", "x"}, false},
	} {
		if got := HelpAsked(tc.args); got != tc.want {
			t.Errorf("HelpAsked(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}

func TestNotAmong(t *testing.T) {
	choices := []string{"treasury", "vault", "vaults"}
	for _, tc := range []struct {
		name, want string
	}{
		{"tresury", `wallet "tresury" is not registered; wallets: treasury, vault, vaults; did you mean treasury?`},
		{"Treasury", `wallet "Treasury" is not registered; wallets: treasury, vault, vaults; did you mean treasury?`},
		{"treasruy", `wallet "treasruy" is not registered; wallets: treasury, vault, vaults; did you mean treasury?`},
		{"vaul", `wallet "vaul" is not registered; wallets: treasury, vault, vaults; did you mean vault?`},
		{"vaultx", `wallet "vaultx" is not registered; wallets: treasury, vault, vaults`}, // two one-edit choices: none suggested
		{"cold", `wallet "cold" is not registered; wallets: treasury, vault, vaults`},
	} {
		if got := NotAmong(`wallet "`+tc.name+`" is not registered`, "wallets", tc.name, choices); got != tc.want {
			t.Errorf("NotAmong(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := NotAmong("x", "wallets", "x", nil); got != "x; there are no wallets yet" {
		t.Errorf("no choices: %q", got)
	}
}
