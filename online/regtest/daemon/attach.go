package daemon

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/rpcclient"
)

// ErrNotRunning means Attach found no node answering for a Dir.
var ErrNotRunning = errors.New("no regtest node is running on this folder")

// Attach connects to the node another process launched on the persistent
// dir, so a second command (the coordinator's `regtest fund` and `regtest
// mine`) can mine and fund on it. The returned Daemon does not own the
// process: Stop only closes its RPC client. The owning Daemon keeps
// chain.dat current (it polls for blocks mined through other clients).
func Attach(dir string) (*Daemon, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("regtest: %w", err)
	}
	st, err := readState(abs)
	if err != nil {
		return nil, fmt.Errorf("regtest: %w", err)
	}
	if st.RPCListen == "" {
		return nil, fmt.Errorf("regtest: %s: %w (no node was ever launched there)", abs, ErrNotRunning)
	}
	d := &Daemon{dir: abs, rpcAddr: st.RPCListen, user: st.RPCUser, pass: st.RPCPass,
		logPath: filepath.Join(abs, "btcd.out")}
	if st.MiningAddr != "" {
		a, err := btcutil.DecodeAddress(st.MiningAddr, Params)
		if err != nil {
			return nil, fmt.Errorf("regtest: %s: mining address %q: %w", abs, st.MiningAddr, err)
		}
		d.miningAddr = a
		d.miningKey = harnessKeyFor(a)
	}
	if err := d.ping(); err != nil {
		return nil, fmt.Errorf("regtest: %s: %w: nothing answers at %s (%v)", abs, ErrNotRunning, d.rpcAddr, err)
	}
	if d.client, err = rpcclient.New(d.ConnConfig(), nil); err != nil {
		return nil, fmt.Errorf("regtest: rpc client: %w", err)
	}
	return d, nil
}
