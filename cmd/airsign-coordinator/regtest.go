package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"

	"airsign/online/regtest/daemon"
	"airsign/psbt/descriptor"
)

// regtest runs the embedded node for people trying airsign, the demo and
// the tests: a btcd regtest chain kept in DATADIR/regtest across restarts.
func (c *cli) regtest(args []string) error {
	if c.network != descriptor.Regtest {
		return usageError("regtest commands need --network regtest")
	}
	if len(args) == 0 {
		return usageError("regtest takes a subcommand: start, fund ADDRESS AMOUNT, mine N")
	}
	subs := []string{"start", "fund", "mine"}
	switch args[0] {
	case "start":
		if len(args) != 1 {
			return usageError("regtest start takes no arguments")
		}
		return c.regtestStart()
	case "fund":
		fs := newFlags("regtest fund")
		wallet := fs.String("wallet", "", "")
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		rest := fs.Args()
		if *wallet != "" && len(rest) == 1 {
			// Pay the wallet's next receive address.
			if err := c.open(); err != nil {
				return err
			}
			if err := c.checkWallet(*wallet); err != nil {
				return err
			}
			a, err := c.coord.Receive(c.ctx, *wallet)
			if err != nil {
				return err
			}
			return c.regtestFund(a.Address, rest[0])
		}
		if *wallet != "" || len(rest) != 2 {
			return usageError("regtest fund (ADDRESS | --wallet NAME) AMOUNT")
		}
		return c.regtestFund(rest[0], rest[1])
	case "mine":
		if len(args) != 2 {
			return usageError("regtest mine N")
		}
		n, err := strconv.ParseUint(args[1], 10, 16)
		if err != nil || n == 0 {
			return usageError(fmt.Sprintf("regtest mine %q: give a number of blocks from 1 to 65535", args[1]))
		}
		return c.regtestMine(uint32(n))
	default:
		return unknownSubcommand("regtest", args[0], subs)
	}
}

func (c *cli) regtestStart() error {
	dir := regtestDir(c.datadir)
	// rpc.json exists while the node runs and has replayed its chain, so
	// nobody talks to a node that is gone or still catching up.
	rpcFile := filepath.Join(dir, "rpc.json")
	if err := os.Remove(rpcFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	defer os.Remove(rpcFile)
	fmt.Fprintf(c.stderr, "starting btcd (regtest) in %s ...\n", dir)
	// Listening (on a free loopback port) lets "backend": "filters"
	// follow this node over P2P as it would follow nodes on a real network.
	d, err := daemon.Launch(daemon.Config{Dir: dir, RPCUser: c.rpc.User, RPCPass: c.rpc.Pass, Listen: true})
	if err != nil {
		return err
	}
	defer d.Stop()
	h, err := d.Height()
	if err != nil {
		return err
	}
	if need := daemon.SegwitActivationHeight - 1 - h; need > 0 {
		fmt.Fprintf(c.stderr, "mining %d blocks so that segwit and taproot are active ...\n", need)
		if err := d.ActivateSegwitTaproot(); err != nil {
			return err
		}
	}
	if err := writeRegtestRPC(c.datadir, regtestRPC{URL: d.RPCURL(), User: d.RPCUser(), Pass: d.RPCPass(), Listen: d.RPCHost(),
		P2P: d.P2PAddr()}); err != nil {
		return err
	}
	h, _ = d.Height()
	fmt.Fprintf(c.stdout, "regtest node running at %s (P2P %s), height %d (pid %d)\n", d.RPCURL(), d.P2PAddr(), h, d.PID())
	fmt.Fprintf(c.stdout, "other airsign-coordinator commands with --datadir %s find it on their own; Ctrl-C stops it (the chain is kept)\n", c.datadir)
	select {
	case <-c.ctx.Done():
		fmt.Fprintln(c.stderr, "stopping btcd ...")
	case <-d.Exited():
		return fmt.Errorf("btcd exited on its own; see %s", d.LogPath())
	}
	return d.Stop()
}

func (c *cli) regtestFund(address, amount string) error {
	amt, err := parseAmount(amount)
	if err != nil {
		return usageError(err.Error())
	}
	addr, err := btcutil.DecodeAddress(address, daemon.Params)
	if err != nil || !addr.IsForNet(daemon.Params) {
		return usageError(fmt.Sprintf("regtest fund: %q is not a regtest address", address))
	}
	script, err := txscript.PayToAddrScript(addr)
	if err != nil {
		return err
	}
	d, err := daemon.Attach(regtestDir(c.datadir))
	if err != nil {
		return fmt.Errorf("%w; start it with: airsign-coordinator --datadir %s regtest start", err, c.datadir)
	}
	defer d.Stop()
	op, _, err := d.Fund(script, amt)
	if err != nil {
		return err
	}
	h, _ := d.Height()
	return c.emit(map[string]any{"outpoint": op.String(), "amount_sat": int64(amt), "height": h}, func() {
		fmt.Fprintf(c.stdout, "paid %s to %s in %s, confirmed in block %d\n", btc(amt), address, op, h)
	})
}

func (c *cli) regtestMine(n uint32) error {
	d, err := daemon.Attach(regtestDir(c.datadir))
	if err != nil {
		return fmt.Errorf("%w; start it with: airsign-coordinator --datadir %s regtest start", err, c.datadir)
	}
	defer d.Stop()
	hashes, err := d.Generate(n)
	if err != nil {
		return err
	}
	h, _ := d.Height()
	return c.emit(map[string]any{"mined": len(hashes), "height": h}, func() {
		fmt.Fprintf(c.stdout, "mined %d block(s); height %d\n", len(hashes), h)
	})
}
