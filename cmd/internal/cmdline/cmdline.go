// Package cmdline holds what airsign's command lines share: flags read in
// any order among the arguments, the request for a command's help, and
// messages that list the choices when a name is not one of them.
package cmdline

import (
	"flag"
	"fmt"
	"slices"
	"strings"
)

// Parse parses a command's flags and arguments in any order, as
// people type them: `inspect --in a.png b.png --json` and `audit witness
// FILE --auditor-key KEY` both work. "--" ends the flags: what follows is
// an argument even if it begins with "-". fs.Args() are the arguments, in
// order. (The standard flag package stops at the first argument; the
// global flags and approver's --station keep that, since a subcommand
// and its own flags follow them.)
func Parse(fs *flag.FlagSet, args []string) error {
	var pos []string
	for len(args) > 0 {
		a := args[0]
		if a == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos, args = append(pos, a), args[1:]
			continue
		}
		// One flag at a time, with its value when it takes one.
		n := 1
		if f := fs.Lookup(strings.TrimPrefix(a[1:], "-")); f != nil && !isBoolFlag(f) && len(args) > 1 {
			n = 2
		}
		if err := fs.Parse(args[:n]); err != nil {
			return fmt.Errorf("%s: %v", fs.Name(), err)
		}
		args = args[n:]
	}
	return fs.Parse(append([]string{"--"}, pos...)) // sets fs.Args()
}

// TakeFlags takes out of a command's arguments, up to a "--", the flags fs
// defines ("-name", "--name", "--name=value", "--name value"), except those
// named in keep, and parses them into fs; it returns the arguments left.
// People put global flags after the command (`requests --datadir D
// --json`); keep names the command's own flags that share a global's name,
// which stay the command's.
func TakeFlags(fs *flag.FlagSet, args []string, keep ...string) ([]string, error) {
	var rest []string
	for len(args) > 0 {
		a := args[0]
		if a == "--" {
			return append(rest, args...), nil
		}
		name, _, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		f := fs.Lookup(name)
		if len(a) < 2 || a[0] != '-' || f == nil || slices.Contains(keep, name) {
			rest, args = append(rest, a), args[1:]
			continue
		}
		n := 1
		if !hasValue && !isBoolFlag(f) {
			if len(args) < 2 {
				return nil, fmt.Errorf("flag needs an argument: %s", a)
			}
			n = 2
		}
		if err := fs.Parse(args[:n]); err != nil {
			return nil, err
		}
		args = args[n:]
	}
	return rest, nil
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// HelpAsked says whether a command's arguments ask for its usage: -h,
// -help or --help, before any "--".
func HelpAsked(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// NotAmong is the message for a name that is not one of choices (a
// wallet, a user, a subcommand): msg, then the choices there are, listed
// as what, and the one that was probably meant.
//
//	wallet "tresury" is not registered; wallets: treasury, vault; did you mean treasury?
func NotAmong(msg, what, name string, choices []string) string {
	if len(choices) == 0 {
		return msg + "; there are no " + what + " yet"
	}
	msg += "; " + what + ": " + strings.Join(choices, ", ")
	if s := Suggest(name, choices); s != "" {
		msg += "; did you mean " + s + "?"
	}
	return msg
}

// Suggest is the choice name was probably meant to be: the one that differs
// from it only in case, or by one letter left out, added, changed or
// swapped with its neighbour. It is "" when there is none, or more than one.
func Suggest(name string, choices []string) string {
	var found string
	for _, c := range choices {
		if c == name || !oneEdit(strings.ToLower(name), strings.ToLower(c)) {
			continue
		}
		if found != "" {
			return ""
		}
		found = c
	}
	return found
}

// oneEdit says whether a and b are equal or one edit apart: a letter left
// out, added or changed, or two neighbours swapped.
func oneEdit(a, b string) bool {
	x, y := []rune(a), []rune(b)
	if len(x) > len(y) {
		x, y = y, x
	}
	switch len(y) - len(x) {
	case 0:
		var diff []int
		for i := range x {
			if x[i] != y[i] {
				diff = append(diff, i)
			}
		}
		return len(diff) <= 1 ||
			len(diff) == 2 && diff[1] == diff[0]+1 && x[diff[0]] == y[diff[1]] && x[diff[1]] == y[diff[0]]
	case 1:
		i := 0
		for i < len(x) && x[i] == y[i] {
			i++
		}
		return string(x[i:]) == string(y[i+1:])
	}
	return false
}
