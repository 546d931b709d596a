package main

import (
	"airsign/cmd/internal/cmdline"
	"errors"
	"fmt"
)

// unknownSubcommand is the usage error for a subcommand cmd does not have.
func unknownSubcommand(cmd, sub string, subs []string) usageError {
	return usageError(cmdline.NotAmong(fmt.Sprintf("%s has no subcommand %q", cmd, sub), cmd+"'s subcommands", sub, subs))
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
	return errors.New(cmdline.NotAmong(fmt.Sprintf("wallet %q is not registered", name), "wallets", name, names))
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
	return errors.New(cmdline.NotAmong(fmt.Sprintf("user %q does not exist", name), "users", name, names))
}
