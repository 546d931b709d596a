package regtest

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/rpcclient"

	"airsign/online/regtest/daemon"
)

// Options configures Start.
type Options struct {
	// MiningAddr receives the coinbase of every block the node mines. Empty
	// means a P2PKH address of a test-only key the harness holds, which is
	// what Fund needs; with any other address Fund cannot spend coinbases.
	MiningAddr string
	// ExtraArgs are appended to btcd's command line (for example
	// "--addrindex").
	ExtraArgs []string
	// Listen makes the node accept P2P connections on a loopback port
	// (P2PAddr), for two-node tests. Without it the node runs --nolisten,
	// but it can still connect out to a listening node.
	Listen bool
	// AcceptNonStandard keeps btcd's regtest default of accepting
	// non-standard transactions (dust outputs, unknown scripts, ...).
	// Without it the node runs --rejectnonstd, so the mempool, and with it
	// TestMempoolAccept and Send, applies mainnet policy.
	AcceptNonStandard bool
}

// Node is a running btcd regtest node owned by one test: a Daemon whose
// methods call t.Fatal instead of returning errors, stopped by t.Cleanup.
type Node struct {
	d *daemon.Daemon

	mu    sync.Mutex
	added map[string]bool // peers added with addnode add
}

// Params are the chain parameters of every node the harness starts
// (daemon.Params).
var Params = daemon.Params

// SegwitActivationHeight is daemon.SegwitActivationHeight: the first block
// at which segwit and taproot are enforced on regtest.
const SegwitActivationHeight = daemon.SegwitActivationHeight

// CoinbaseMaturity is daemon.CoinbaseMaturity: the confirmations a coinbase
// needs before it can be spent.
const CoinbaseMaturity = daemon.CoinbaseMaturity

// BtcdPath returns the path of the btcd binary the harness runs, building it
// on first use (see daemon.BtcdPath).
func BtcdPath() (string, error) { return daemon.BtcdPath() }

// HarnessKey returns the i-th test-only key (see daemon.HarnessKey). Node
// number i started in this process without Options.MiningAddr mines to its
// P2PKH address.
func HarnessKey(i int) *btcec.PrivateKey { return daemon.HarnessKey(i) }

// HarnessAddress returns the P2PKH address of HarnessKey(i), a mining
// address Fund can spend from (see daemon.HarnessAddress).
func HarnessAddress(i int) btcutil.Address { return daemon.HarnessAddress(i) }

// Start starts a btcd regtest node (daemon.Launch with an Ephemeral Dir
// under t.TempDir(), so the node mines to a harness key of its own) and
// stops it when the test ends. It calls t.Fatal if the node does not come
// up.
func Start(t testing.TB, opts Options) *Node {
	t.Helper()
	d, err := daemon.Launch(daemon.Config{
		Dir:               filepath.Join(t.TempDir(), "node"),
		MiningAddr:        opts.MiningAddr,
		Listen:            opts.Listen,
		AcceptNonStandard: opts.AcceptNonStandard,
		ExtraArgs:         opts.ExtraArgs,
		Ephemeral:         true,
		OnRetry: func(err error) {
			t.Logf("regtest: start attempt failed: %v", err)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	n := &Node{d: d, added: map[string]bool{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("regtest: tail of btcd log (%s):\n%s", d.RPCHost(), d.LogTail(40))
		}
		select {
		case <-d.Exited():
			// Even a clean exit is a failure: nothing in a test
			// should stop the node but this cleanup.
			t.Errorf("regtest: btcd had already exited: %v", d.ExitErr())
			d.Stop()
			return
		default:
		}
		if err := d.Stop(); err != nil {
			t.Errorf("regtest: stopping btcd: %v", err)
		}
	})
	return n
}

// Daemon returns the node's Daemon, for the error-returning API.
func (n *Node) Daemon() *daemon.Daemon { return n.d }

// Dir returns the node's directory under t.TempDir().
func (n *Node) Dir() string { return n.d.Dir() }

// Client returns an RPC client in HTTP POST mode. It is shut down when the
// test ends.
func (n *Node) Client() *rpcclient.Client { return n.d.Client() }

// RPCURL returns the RPC endpoint, "http://127.0.0.1:port".
func (n *Node) RPCURL() string { return n.d.RPCURL() }

// RPCHost returns the RPC endpoint as host:port.
func (n *Node) RPCHost() string { return n.d.RPCHost() }

// ConnConfig returns a fresh rpcclient configuration for the node (HTTP POST
// mode, no TLS), for code that makes its own client.
func (n *Node) ConnConfig() *rpcclient.ConnConfig { return n.d.ConnConfig() }

// RPCUser returns the RPC user name.
func (n *Node) RPCUser() string { return n.d.RPCUser() }

// RPCPass returns the RPC password.
func (n *Node) RPCPass() string { return n.d.RPCPass() }

// P2PAddr returns the P2P listen address, or "" unless Options.Listen.
func (n *Node) P2PAddr() string { return n.d.P2PAddr() }

// PID returns the btcd process id.
func (n *Node) PID() int { return n.d.PID() }

// Exited is closed once the btcd process has exited and been reaped.
func (n *Node) Exited() <-chan struct{} { return n.d.Exited() }

// LogPath returns the file that receives btcd's stdout and stderr.
func (n *Node) LogPath() string { return n.d.LogPath() }

// MiningAddress returns the address the node mines to.
func (n *Node) MiningAddress() btcutil.Address { return n.d.MiningAddress() }

// MiningKey returns the test-only private key behind MiningAddress, or nil
// if Options.MiningAddr named an address the harness has no key for.
func (n *Node) MiningKey() *btcec.PrivateKey { return n.d.MiningKey() }
