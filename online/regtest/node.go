package regtest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
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

// Node is a running btcd regtest node owned by one test.
type Node struct {
	rpcAddr    string
	p2pAddr    string
	user       string
	pass       string
	dir        string
	logPath    string
	cmd        *exec.Cmd
	exited     chan struct{} // closed when the process has been reaped
	exitErr    error
	client     *rpcclient.Client
	miningKey  *btcec.PrivateKey // nil if Options.MiningAddr is foreign
	miningAddr btcutil.Address

	mu     sync.Mutex
	added  map[string]bool // peers added with addnode add
	nextCB int32           // next coinbase height Fund looks at
}

// Params are the chain parameters of every node the harness starts.
var Params = &chaincfg.RegressionNetParams

const (
	startAttempts = 5
	readyTimeout  = 60 * time.Second
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

// Start starts a btcd regtest node and stops it when the test ends. It calls
// t.Fatal if the node does not come up.
func Start(t testing.TB, opts Options) *Node {
	t.Helper()
	bin, err := BtcdPath()
	if err != nil {
		t.Fatalf("regtest: finding btcd: %v", err)
	}

	n := &Node{
		user:  "u" + randHex(8),
		pass:  randHex(16),
		added: map[string]bool{},
	}
	if opts.MiningAddr == "" {
		n.miningKey = nextHarnessKey()
		n.miningAddr = p2pkhAddress(n.miningKey)
	} else {
		a, err := btcutil.DecodeAddress(opts.MiningAddr, Params)
		if err != nil {
			t.Fatalf("regtest: Options.MiningAddr %q: %v", opts.MiningAddr, err)
		}
		if !a.IsForNet(Params) {
			t.Fatalf("regtest: Options.MiningAddr %q is not a regtest address", opts.MiningAddr)
		}
		n.miningAddr = a
		n.miningKey = harnessKeyFor(a)
	}

	base := t.TempDir()
	var lastErr error
	for attempt := 0; attempt < startAttempts; attempt++ {
		n.dir = filepath.Join(base, fmt.Sprintf("node%d", attempt))
		err := n.start(bin, opts)
		if err == nil {
			lastErr = nil
			break
		}
		lastErr = err
		t.Logf("regtest: start attempt %d failed: %v", attempt+1, err)
	}
	if lastErr != nil {
		t.Fatalf("regtest: btcd did not start: %v", lastErr)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("regtest: tail of btcd log (%s):\n%s", n.rpcAddr, n.logTail(40))
		}
		if err := n.stop(); err != nil {
			t.Errorf("regtest: stopping btcd: %v", err)
		}
	})

	n.client, err = rpcclient.New(n.ConnConfig(), nil)
	if err != nil {
		t.Fatalf("regtest: rpc client: %v", err)
	}
	// Registered after the stop cleanup, so it runs before it.
	t.Cleanup(n.client.Shutdown)
	return n
}

// start makes one attempt at starting the process and waiting for RPC.
func (n *Node) start(bin string, opts Options) error {
	if err := os.MkdirAll(n.dir, 0o700); err != nil {
		return err
	}
	var err error
	if n.rpcAddr, err = pickPort(); err != nil {
		return err
	}
	args := []string{
		"--regtest",
		"--datadir=" + filepath.Join(n.dir, "data"),
		"--logdir=" + filepath.Join(n.dir, "logs"),
		"--rpclisten=" + n.rpcAddr,
		"--notls",
		"--rpcuser=" + n.user,
		"--rpcpass=" + n.pass,
		"--miningaddr=" + n.miningAddr.EncodeAddress(),
		"--txindex",
		// The default 250 MiB UTXO cache is preallocated and costs ~0.5 s
		// and the memory per node; regtest chains are tiny.
		"--utxocachemaxsize=8",
		"--nodnsseed",
		"--noonion",
		"--debuglevel=MINR=warn", // one info line per mined block is noise
	}
	if !opts.AcceptNonStandard {
		args = append(args, "--rejectnonstd")
	}
	n.p2pAddr = ""
	if opts.Listen {
		if n.p2pAddr, err = pickPort(); err != nil {
			return err
		}
		args = append(args, "--listen="+n.p2pAddr)
	} else {
		args = append(args, "--nolisten")
	}
	args = append(args, opts.ExtraArgs...)

	n.logPath = filepath.Join(n.dir, "btcd.out")
	logf, err := os.Create(n.logPath)
	if err != nil {
		return err
	}
	defer logf.Close() // the child has its own descriptor
	cmd := exec.Command(bin, args...)
	cmd.Dir = n.dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = sysProcAttr()
	// Keep btcd away from the user's ~/.btcd: it reads no config file in
	// regtest mode unless told to, but HOME also decides other defaults.
	cmd.Env = append(os.Environ(), "HOME="+n.dir)
	if err := startCmd(cmd); err != nil {
		return err
	}
	n.cmd = cmd
	n.exited = make(chan struct{})
	go func() {
		n.exitErr = cmd.Wait()
		close(n.exited)
	}()

	deadline := time.Now().Add(readyTimeout)
	for {
		select {
		case <-n.exited:
			return fmt.Errorf("btcd exited (%v) before RPC was ready; log:\n%s", n.exitErr, n.logTail(15))
		default:
		}
		if n.ping() == nil {
			return nil
		}
		if time.Now().After(deadline) {
			n.kill()
			return fmt.Errorf("RPC on %s not ready after %v; log:\n%s", n.rpcAddr, readyTimeout, n.logTail(15))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rawCall does one JSON-RPC call without rpcclient's retry loop.
func (n *Node) rawCall(method string, timeout time.Duration) ([]byte, error) {
	body := fmt.Sprintf(`{"jsonrpc":"1.0","id":1,"method":%q,"params":[]}`, method)
	req, err := http.NewRequest("POST", "http://"+n.rpcAddr, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(n.user, n.pass)
	req.Close = true
	c := &http.Client{Timeout: timeout}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return b, fmt.Errorf("%s: HTTP %s", method, resp.Status)
	}
	return b, nil
}

func (n *Node) ping() error {
	_, err := n.rawCall("getblockcount", time.Second)
	return err
}

func (n *Node) kill() {
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	n.cmd.Process.Kill()
	select {
	case <-n.exited:
	case <-time.After(stopTimeout):
	}
}

func (n *Node) stop() error {
	if n.cmd == nil {
		return nil
	}
	select {
	case <-n.exited:
		return fmt.Errorf("btcd had already exited: %v", n.exitErr)
	default:
	}
	n.rawCall("stop", 5*time.Second) // the reply may race the shutdown
	select {
	case <-n.exited:
	case <-time.After(stopTimeout):
		n.cmd.Process.Kill()
		select {
		case <-n.exited:
		case <-time.After(stopTimeout):
			return fmt.Errorf("btcd pid %d survived SIGKILL", n.cmd.Process.Pid)
		}
		return fmt.Errorf("btcd pid %d ignored stop for %v and was killed", n.cmd.Process.Pid, stopTimeout)
	}
	return nil
}

// logTail returns the last lines of btcd's output.
func (n *Node) logTail(lines int) string {
	b, err := os.ReadFile(n.logPath)
	if err != nil {
		return err.Error()
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// Client returns an RPC client in HTTP POST mode. It is shut down when the
// test ends.
func (n *Node) Client() *rpcclient.Client { return n.client }

// RPCURL returns the RPC endpoint, "http://127.0.0.1:port".
func (n *Node) RPCURL() string { return "http://" + n.rpcAddr }

// RPCHost returns the RPC endpoint as host:port.
func (n *Node) RPCHost() string { return n.rpcAddr }

// ConnConfig returns a fresh rpcclient configuration for the node (HTTP POST
// mode, no TLS), for code that makes its own client.
func (n *Node) ConnConfig() *rpcclient.ConnConfig {
	return &rpcclient.ConnConfig{
		Host:         n.rpcAddr,
		User:         n.user,
		Pass:         n.pass,
		HTTPPostMode: true,
		DisableTLS:   true,
	}
}

// RPCUser returns the RPC user name.
func (n *Node) RPCUser() string { return n.user }

// RPCPass returns the RPC password.
func (n *Node) RPCPass() string { return n.pass }

// P2PAddr returns the P2P listen address, or "" unless Options.Listen.
func (n *Node) P2PAddr() string { return n.p2pAddr }

// PID returns the btcd process id.
func (n *Node) PID() int { return n.cmd.Process.Pid }

// Exited is closed once the btcd process has exited and been reaped.
func (n *Node) Exited() <-chan struct{} { return n.exited }

// LogPath returns the file that receives btcd's stdout and stderr.
func (n *Node) LogPath() string { return n.logPath }

// MiningAddress returns the address the node mines to.
func (n *Node) MiningAddress() btcutil.Address { return n.miningAddr }

// MiningKey returns the test-only private key behind MiningAddress, or nil
// if Options.MiningAddr named an address the harness has no key for.
func (n *Node) MiningKey() *btcec.PrivateKey { return n.miningKey }
