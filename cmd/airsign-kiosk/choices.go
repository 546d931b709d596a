package main

import (
	"airsign/cmd/internal/cmdline"
	"errors"
	"fmt"

	"airsign/offline/home"
)

// unknownSubcommand is the usage error for a subcommand cmd does not have.
func unknownSubcommand(cmd, sub string, subs []string) usageError {
	return usageError(cmdline.NotAmong(fmt.Sprintf("%s has no subcommand %q", cmd, sub), cmd+"'s subcommands", sub, subs))
}

// findWallet is h.Wallet, naming the wallets there are when name is not one.
func findWallet(h *home.Home, name string) (*home.Wallet, error) {
	w, err := h.Wallet(name)
	if err == nil {
		return w, nil
	}
	ws, lerr := h.Wallets()
	if lerr != nil {
		return nil, err
	}
	var names []string
	for _, x := range ws {
		if x.Name == name {
			return nil, err
		}
		names = append(names, x.Name)
	}
	return nil, errors.New(cmdline.NotAmong(fmt.Sprintf("wallet %q is not registered", name), "wallets", name, names))
}
