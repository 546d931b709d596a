package regtest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/rpcclient"
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
	d *Daemon

	mu    sync.Mutex
	added map[string]bool // peers added with addnode add
}

// Params are the chain parameters of every node the harness starts.
var Params = &chaincfg.RegressionNetParams

const (
	startAttempts = 5
	readyTimeout  = 2 * time.Minute
	stopTimeout   = 10 * time.Second
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// BtcdPath returns the path of the btcd binary the harness runs, building it
// on first use (see the package documentation).
func BtcdPath() (string, error) {
	binOnce.Do(func() { binPath, binErr = findBtcd() })
	return binPath, binErr
}

func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "go"
}

func findBtcd() (string, error) {
	if p := os.Getenv("AIRSIGN_BTCD"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("AIRSIGN_BTCD: %w", err)
		}
		return p, nil
	}
	// A btcd next to the running program: `make build` puts one in bin/
	// beside airsign-coordinator, so the binaries work outside the source
	// tree.
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "btcd")
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	goCmd := goCommand()
	var errs []error
	// `go tool -n btcd` builds the tool into the build cache and prints
	// the cached binary's path.
	cmd := exec.Command(goCmd, "tool", "-n", "btcd")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		p := strings.TrimSpace(lines[len(lines)-1])
		if st, serr := os.Stat(p); serr == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
		errs = append(errs, fmt.Errorf("go tool -n btcd printed %q, not an executable", p))
	} else {
		errs = append(errs, fmt.Errorf("go tool -n btcd: %v: %s", err, stderr.String()))
	}
	// Fallback: build into a stable per-user directory, atomically.
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("airsign-regtest-btcd-%d", os.Getuid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", errors.Join(append(errs, err)...)
	}
	tmp, err := os.CreateTemp(dir, "btcd-build-*")
	if err != nil {
		return "", errors.Join(append(errs, err)...)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	build := exec.Command(goCmd, "build", "-o", tmp.Name(), "github.com/btcsuite/btcd")
	if out, err := build.CombinedOutput(); err != nil {
		return "", errors.Join(append(errs, fmt.Errorf("go build btcd: %v: %s", err, out))...)
	}
	final := filepath.Join(dir, "btcd")
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", errors.Join(append(errs, err)...)
	}
	return final, nil
}

// pickPort is freePort; tests replace it to exercise the retry.
var pickPort = freePort

// freePort returns a loopback address with a port that was free a moment
// ago.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	l.Close()
	return addr, nil
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// Start starts a btcd regtest node (Launch with a Dir under t.TempDir()) and
// stops it when the test ends. It calls t.Fatal if the node does not come
// up.
func Start(t testing.TB, opts Options) *Node {
	t.Helper()
	cfg := DaemonConfig{
		Dir:               filepath.Join(t.TempDir(), "node"),
		MiningAddr:        opts.MiningAddr,
		Listen:            opts.Listen,
		AcceptNonStandard: opts.AcceptNonStandard,
		ExtraArgs:         opts.ExtraArgs,
		ephemeral:         true,
		onRetry: func(err error) {
			t.Logf("regtest: start attempt failed: %v", err)
		},
	}
	if cfg.MiningAddr == "" {
		// A fresh key per node, so two nodes never mine identical
		// blocks (Launch would use HarnessKey(0) for every Dir).
		cfg.MiningAddr = p2pkhAddress(nextHarnessKey()).EncodeAddress()
	}
	d, err := Launch(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n := &Node{d: d, added: map[string]bool{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("regtest: tail of btcd log (%s):\n%s", d.rpcAddr, d.logTail(40))
		}
		select {
		case <-d.Exited():
			// Even a clean exit is a failure: nothing in a test
			// should stop the node but this cleanup.
			t.Errorf("regtest: btcd had already exited: %v", d.exitErr)
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
func (n *Node) Daemon() *Daemon { return n.d }

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
