package main

import (
	"errors"
	"fmt"
	"strings"
)

// notAmong is the message for a name that is not one of choices (a
// wallet, a user, a subcommand): msg, then the choices there are, listed
// as what, and the one that was probably meant.
//
//	wallet "tresury" is not registered; wallets: treasury, vault; did you mean treasury?
func notAmong(msg, what, name string, choices []string) string {
	if len(choices) == 0 {
		return msg + "; there are no " + what + " yet"
	}
	msg += "; " + what + ": " + strings.Join(choices, ", ")
	if s := suggest(name, choices); s != "" {
		msg += "; did you mean " + s + "?"
	}
	return msg
}

// unknownSubcommand is the usage error for a subcommand cmd does not have.
func unknownSubcommand(cmd, sub string, subs []string) usageError {
	return usageError(notAmong(fmt.Sprintf("%s has no subcommand %q", cmd, sub), cmd+"'s subcommands", sub, subs))
}

// suggest is the choice name was probably meant to be: the one that differs
// from it only in case, or by one letter left out, added, changed or
// swapped with its neighbour. It is "" when there is none, or more than one.
func suggest(name string, choices []string) string {
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

// checkWallet refuses a wallet that is not registered, naming those that are.
func (c *cli) checkWallet(name string) error {
	ws, err := c.coord.Wallets(c.ctx)
	if err != nil {
		return err
	}
	var names []string
	for _, w := range ws {
		if w.Name == name {
			return nil
		}
		names = append(names, w.Name)
	}
	return errors.New(notAmong(fmt.Sprintf("wallet %q is not registered", name), "wallets", name, names))
}

// checkUser refuses a user who does not exist, naming those who do.
func (c *cli) checkUser(name string) error {
	us, err := c.st.Users(c.ctx)
	if err != nil {
		return err
	}
	var names []string
	for _, u := range us {
		if u.Name == name {
			return nil
		}
		names = append(names, u.Name)
	}
	return errors.New(notAmong(fmt.Sprintf("user %q does not exist", name), "users", name, names))
}
