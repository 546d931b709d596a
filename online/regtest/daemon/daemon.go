package daemon

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
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
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/rpcclient"
)

// Params are the chain parameters of every node Launch starts.
var Params = &chaincfg.RegressionNetParams

const (
	startAttempts = 5
	readyTimeout  = 2 * time.Minute
	stopTimeout   = 10 * time.Second
)

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

// Config configures Launch.
type Config struct {
	// Dir holds everything of the node: btcd's data (Dir/data), its logs
	// (Dir/logs), the copy of its stdout and stderr (Dir/btcd.out) and
	// Dir/regtest.json, which remembers the RPC address, credentials and
	// mining address for the next Launch on the same Dir. Launching again
	// on a Dir resumes its chain. Empty means a new temporary directory
	// that Stop removes.
	Dir string
	// MiningAddr receives the coinbase of every block the node mines; with
	// an address the package holds no key for, Fund cannot spend
	// coinbases. Empty means the address Dir/regtest.json remembers, else
	// a P2PKH address of a harness key, which is what Fund needs:
	// HarnessKey(0) for a persistent Dir (so the chain stays spendable
	// across restarts), the next unused harness key of the process for a
	// temporary or Ephemeral one (so two such nodes never mine identical
	// blocks).
	MiningAddr string
	// RPCListen is the RPC address, "127.0.0.1:PORT". If it is set and the
	// port is taken, Launch fails with an error that says so. Empty means
	// the address Dir/regtest.json remembers if that port is free, else a
	// free loopback port (so after a restart RPCURL may change; read it
	// back).
	RPCListen string
	// RPCUser and RPCPass are the RPC credentials. Empty means the ones
	// Dir/regtest.json remembers, else random ones.
	RPCUser, RPCPass string
	// Listen makes the node accept P2P connections on a loopback port
	// (P2PAddr). Without it the node runs --nolisten, but it can still
	// connect out to a listening node.
	Listen bool
	// AcceptNonStandard keeps btcd's regtest default of accepting
	// non-standard transactions (dust outputs, unknown scripts, ...).
	// Without it the node runs --rejectnonstd, so the mempool, and with it
	// TestMempoolAccept and Send, applies mainnet policy.
	AcceptNonStandard bool
	// ExtraArgs are appended to btcd's command line (for example
	// "--addrindex").
	ExtraArgs []string
	// Log, if set, also receives btcd's stdout and stderr; they always go
	// to Dir/btcd.out too (appended across launches).
	Log io.Writer

	// OnRetry, if set, is told why a start attempt failed before the next
	// one.
	OnRetry func(error)
	// Ephemeral skips chain.dat, regtest.json and the Dir lock, for a
	// fresh Dir that is never launched again and that the caller removes
	// (the test harness's t.TempDir()).
	Ephemeral bool
}

// Daemon is a running btcd regtest process. Its methods are safe for
// concurrent use and return errors.
type Daemon struct {
	rpcAddr    string
	p2pAddr    string
	user       string
	pass       string
	dir        string
	ownDir     bool // Dir was created by Launch; Stop removes it
	logPath    string
	cmd        *exec.Cmd
	exited     chan struct{} // closed when the process has been reaped
	exitErr    error
	client     *rpcclient.Client
	miningKey  *btcec.PrivateKey // nil if the mining address is foreign
	miningAddr btcutil.Address

	lock     *os.File    // flock on Dir/lock; nil if ephemeral
	store    *chainStore // nil if ephemeral
	pollStop chan struct{}
	pollDone chan struct{}

	fundMu sync.Mutex
	nextCB int32 // lowest coinbase height Fund may still find unspent (a hint)

	stopOnce sync.Once
	stopErr  error
}

// stateFile is the name, in Dir, of the file that remembers the settings of
// the last Launch.
const stateFile = "regtest.json"

type daemonState struct {
	RPCListen  string `json:"rpc_listen"`
	RPCUser    string `json:"rpc_user"`
	RPCPass    string `json:"rpc_pass"`
	MiningAddr string `json:"mining_addr"`
}

func readState(dir string) (daemonState, error) {
	var st daemonState
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("%s: %w", filepath.Join(dir, stateFile), err)
	}
	return st, nil
}

func writeState(dir string, st daemonState) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, stateFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, stateFile))
}

// ErrRPCPortInUse is returned (wrapped) by Launch when
// Config.RPCListen names a port that is already taken.
var ErrRPCPortInUse = errors.New("RPC port in use")

// Launch starts a btcd regtest node and waits until its RPC answers. The
// caller must Stop it. On Linux the process is killed if the calling
// process dies (see the package documentation).
func Launch(cfg Config) (*Daemon, error) {
	return launchDaemon(cfg)
}

func launchDaemon(cfg Config) (_ *Daemon, err error) {
	bin, err := BtcdPath()
	if err != nil {
		return nil, fmt.Errorf("regtest: finding btcd: %w", err)
	}
	d := &Daemon{}
	if cfg.Dir == "" {
		if d.dir, err = os.MkdirTemp("", "airsign-regtest-"); err != nil {
			return nil, fmt.Errorf("regtest: %w", err)
		}
		d.ownDir = true
	} else {
		if d.dir, err = filepath.Abs(cfg.Dir); err != nil {
			return nil, fmt.Errorf("regtest: %w", err)
		}
		if err := os.MkdirAll(d.dir, 0o700); err != nil {
			return nil, fmt.Errorf("regtest: %w", err)
		}
	}
	persistent := !d.ownDir && !cfg.Ephemeral
	if persistent {
		if d.lock, err = lockDir(filepath.Join(d.dir, "lock")); err != nil {
			return nil, fmt.Errorf("regtest: %w", err)
		}
	}
	defer func() {
		if err != nil && d.lock != nil {
			d.lock.Close()
		}
		if err != nil && d.ownDir {
			os.RemoveAll(d.dir)
		}
	}()
	st, err := readState(d.dir)
	if err != nil {
		return nil, fmt.Errorf("regtest: %w", err)
	}

	d.user = firstNonEmpty(cfg.RPCUser, st.RPCUser, "u"+randHex(8))
	d.pass = firstNonEmpty(cfg.RPCPass, st.RPCPass, randHex(16))
	switch ma := firstNonEmpty(cfg.MiningAddr, st.MiningAddr); {
	case ma != "":
		a, err := btcutil.DecodeAddress(ma, Params)
		if err != nil {
			return nil, fmt.Errorf("regtest: mining address %q: %w", ma, err)
		}
		if !a.IsForNet(Params) {
			return nil, fmt.Errorf("regtest: mining address %q is not a regtest address", ma)
		}
		d.miningAddr = a
		d.miningKey = harnessKeyFor(a)
	case d.ownDir || cfg.Ephemeral:
		d.miningKey = nextHarnessKey()
		d.miningAddr = p2pkhAddress(d.miningKey)
	default:
		d.miningAddr = HarnessAddress(0)
		d.miningKey = harnessKeyFor(d.miningAddr)
	}

	explicit := cfg.RPCListen != ""
	d.rpcAddr = firstNonEmpty(cfg.RPCListen, st.RPCListen)
	var errs []error
	for attempt := 0; attempt < startAttempts; attempt++ {
		if explicit {
			if err := portFree(d.rpcAddr); err != nil {
				return nil, fmt.Errorf("regtest: Config.RPCListen %s: %w: %v", d.rpcAddr, ErrRPCPortInUse, err)
			}
		} else if attempt > 0 || d.rpcAddr == "" || portFree(d.rpcAddr) != nil {
			if d.rpcAddr, err = pickPort(); err != nil {
				return nil, fmt.Errorf("regtest: %w", err)
			}
		}
		err := d.start(bin, cfg)
		if err == nil {
			break
		}
		errs = append(errs, fmt.Errorf("attempt %d: %w", attempt+1, err))
		var ee *exitedEarly
		if explicit || !errors.As(err, &ee) {
			// Only a port chosen here is worth another try: a clash
			// on it is a race with another process, while an
			// explicit port or a hung btcd would fail again.
			return nil, fmt.Errorf("regtest: btcd did not start: %w", errors.Join(errs...))
		}
		if attempt == startAttempts-1 {
			return nil, fmt.Errorf("regtest: btcd did not start: %w", errors.Join(errs...))
		}
		if cfg.OnRetry != nil {
			cfg.OnRetry(err)
		}
	}

	d.client, err = rpcclient.New(d.ConnConfig(), nil)
	if err != nil {
		d.kill()
		return nil, fmt.Errorf("regtest: rpc client: %w", err)
	}
	if persistent {
		store, blocks, err := openChainStore(filepath.Join(d.dir, chainFile))
		if err == nil {
			d.store = store
			err = replay(d.client, blocks)
		}
		if err != nil {
			d.Stop()
			return nil, fmt.Errorf("regtest: resuming the chain of %s: %w", d.dir, err)
		}
		d.pollStop, d.pollDone = make(chan struct{}), make(chan struct{})
		go d.poll()
		err = writeState(d.dir, daemonState{
			RPCListen:  d.rpcAddr,
			RPCUser:    d.user,
			RPCPass:    d.pass,
			MiningAddr: d.miningAddr.EncodeAddress(),
		})
		if err != nil {
			d.Stop()
			return nil, fmt.Errorf("regtest: %w", err)
		}
	}
	return d, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// portFree reports, by binding it for a moment, whether addr can be
// listened on.
func portFree(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return l.Close()
}

// exitedEarly is start's error when btcd exits before its RPC is ready.
type exitedEarly struct {
	exitErr error
	log     string
}

func (e *exitedEarly) Error() string {
	return fmt.Sprintf("btcd exited (%v) before RPC was ready; log:\n%s", e.exitErr, e.log)
}

// start makes one attempt at starting the process and waiting for RPC.
func (d *Daemon) start(bin string, cfg Config) error {
	var err error
	args := []string{
		"--regtest",
		"--datadir=" + filepath.Join(d.dir, "data"),
		"--logdir=" + filepath.Join(d.dir, "logs"),
		"--rpclisten=" + d.rpcAddr,
		"--notls",
		"--rpcuser=" + d.user,
		"--rpcpass=" + d.pass,
		"--miningaddr=" + d.miningAddr.EncodeAddress(),
		"--txindex",
		// The default 250 MiB UTXO cache is preallocated and costs ~0.5 s
		// and the memory per node; regtest chains are tiny.
		"--utxocachemaxsize=8",
		"--nodnsseed",
		"--noonion",
		"--debuglevel=MINR=warn", // one info line per mined block is noise
	}
	if !cfg.AcceptNonStandard {
		args = append(args, "--rejectnonstd")
	}
	d.p2pAddr = ""
	if cfg.Listen {
		if d.p2pAddr, err = pickPort(); err != nil {
			return err
		}
		args = append(args, "--listen="+d.p2pAddr)
	} else {
		args = append(args, "--nolisten")
	}
	args = append(args, cfg.ExtraArgs...)

	d.logPath = filepath.Join(d.dir, "btcd.out")
	logf, err := os.OpenFile(d.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "=== regtest: %s starting btcd, rpc %s\n", time.Now().Format(time.RFC3339), d.rpcAddr)
	cmd := exec.Command(bin, args...)
	cmd.Dir = d.dir
	if cfg.Log != nil {
		w := io.MultiWriter(logf, cfg.Log)
		cmd.Stdout, cmd.Stderr = w, w
	} else {
		cmd.Stdout, cmd.Stderr = logf, logf
	}
	cmd.SysProcAttr = sysProcAttr()
	// Keep btcd away from the user's ~/.btcd: it reads no config file in
	// regtest mode unless told to, but HOME also decides other defaults.
	cmd.Env = append(os.Environ(), "HOME="+d.dir)
	if err := startCmd(cmd); err != nil {
		logf.Close()
		return err
	}
	d.cmd = cmd
	exited := make(chan struct{})
	d.exited = exited
	go func() {
		// Wait also waits for the copying to cfg.Log to finish.
		d.exitErr = cmd.Wait()
		logf.Close()
		close(exited)
	}()

	deadline := time.Now().Add(readyTimeout)
	for {
		select {
		case <-exited:
			return &exitedEarly{exitErr: d.exitErr, log: d.logTail(15)}
		default:
		}
		if d.ping() == nil {
			return nil
		}
		if time.Now().After(deadline) {
			d.kill()
			return fmt.Errorf("RPC on %s not ready after %v; log:\n%s", d.rpcAddr, readyTimeout, d.logTail(15))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rawCall does one JSON-RPC call without rpcclient's retry loop.
func (d *Daemon) rawCall(method string, timeout time.Duration) ([]byte, error) {
	body := fmt.Sprintf(`{"jsonrpc":"1.0","id":1,"method":%q,"params":[]}`, method)
	req, err := http.NewRequest("POST", "http://"+d.rpcAddr, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(d.user, d.pass)
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

func (d *Daemon) ping() error {
	_, err := d.rawCall("getblockcount", time.Second)
	return err
}

func (d *Daemon) kill() {
	if d.cmd == nil || d.cmd.Process == nil {
		return
	}
	d.cmd.Process.Kill()
	select {
	case <-d.exited:
	case <-time.After(stopTimeout):
	}
}

// pollInterval is how often a persistent daemon copies new blocks to
// chain.dat (Generate and Fund also do it at once, Stop at the end).
const pollInterval = time.Second

func (d *Daemon) poll() {
	defer close(d.pollDone)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		select {
		case <-d.pollStop:
			return
		case <-d.exited:
			return
		case <-tick.C:
			d.store.sync(d.client) // errors resurface in Stop
		}
	}
}

// save copies new main-chain blocks to chain.dat (persistent daemons only).
func (d *Daemon) save() error {
	if d.store == nil {
		return nil
	}
	if err := d.store.sync(d.client); err != nil {
		return fmt.Errorf("regtest: saving the chain to %s: %w", filepath.Join(d.dir, chainFile), err)
	}
	return nil
}

// Stop shuts btcd down: for a persistent Dir it first saves the chain to
// chain.dat, then sends the `stop` RPC (SIGINT if RPC fails), then SIGKILL
// if the process is still there after 10 s. It waits until the process is
// reaped, shuts down the RPC client, releases the Dir and, if Launch
// created Dir, removes it. It returns an error if saving failed, if btcd
// had to be killed, or if it had already exited with a failure before
// Stop. Calling it again returns the first call's result.
func (d *Daemon) Stop() error {
	d.stopOnce.Do(func() {
		var errs []error
		if d.pollStop != nil {
			close(d.pollStop)
			<-d.pollDone
		}
		select {
		case <-d.exited:
		default:
			errs = append(errs, d.save())
		}
		errs = append(errs, d.stop())
		if d.store != nil {
			errs = append(errs, d.store.close())
		}
		if d.lock != nil {
			errs = append(errs, d.lock.Close())
		}
		if d.ownDir {
			errs = append(errs, os.RemoveAll(d.dir))
		}
		d.stopErr = errors.Join(errs...)
	})
	return d.stopErr
}

func (d *Daemon) stop() error {
	if d.client != nil {
		d.client.Shutdown()
	}
	if d.cmd == nil {
		return nil
	}
	select {
	case <-d.exited:
		if d.exitErr != nil {
			return fmt.Errorf("regtest: btcd had already exited: %v", d.exitErr)
		}
		return nil
	default:
	}
	if _, err := d.rawCall("stop", 5*time.Second); err != nil {
		// The reply may race the shutdown; SIGINT is harmless then.
		d.cmd.Process.Signal(os.Interrupt)
	}
	select {
	case <-d.exited:
	case <-time.After(stopTimeout):
		d.cmd.Process.Kill()
		select {
		case <-d.exited:
		case <-time.After(stopTimeout):
			return fmt.Errorf("regtest: btcd pid %d survived SIGKILL", d.cmd.Process.Pid)
		}
		return fmt.Errorf("regtest: btcd pid %d ignored stop for %v and was killed", d.cmd.Process.Pid, stopTimeout)
	}
	return nil
}

// logTail returns the last lines of btcd's output.
func (d *Daemon) logTail(lines int) string {
	b, err := os.ReadFile(d.logPath)
	if err != nil {
		return err.Error()
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// LogTail returns the last lines of btcd's stdout and stderr.
func (d *Daemon) LogTail(lines int) string { return d.logTail(lines) }

// Client returns the daemon's RPC client (HTTP POST mode). Stop shuts it
// down.
func (d *Daemon) Client() *rpcclient.Client { return d.client }

// RPCURL returns the RPC endpoint, "http://127.0.0.1:port".
func (d *Daemon) RPCURL() string { return "http://" + d.rpcAddr }

// RPCHost returns the RPC endpoint as host:port.
func (d *Daemon) RPCHost() string { return d.rpcAddr }

// ConnConfig returns a fresh rpcclient configuration for the node (HTTP POST
// mode, no TLS), for code that makes its own client.
func (d *Daemon) ConnConfig() *rpcclient.ConnConfig {
	return &rpcclient.ConnConfig{
		Host:         d.rpcAddr,
		User:         d.user,
		Pass:         d.pass,
		HTTPPostMode: true,
		DisableTLS:   true,
	}
}

// RPCUser returns the RPC user name.
func (d *Daemon) RPCUser() string { return d.user }

// RPCPass returns the RPC password.
func (d *Daemon) RPCPass() string { return d.pass }

// Dir returns the node's directory (see Config.Dir).
func (d *Daemon) Dir() string { return d.dir }

// P2PAddr returns the P2P listen address, or "" unless Config.Listen.
func (d *Daemon) P2PAddr() string { return d.p2pAddr }

// PID returns the btcd process id.
func (d *Daemon) PID() int {
	if d.cmd == nil {
		return 0 // attached: another process owns btcd
	}
	return d.cmd.Process.Pid
}

// Exited is closed once the btcd process has exited and been reaped.
func (d *Daemon) Exited() <-chan struct{} { return d.exited }

// ExitErr returns the error the btcd process exited with, nil for a clean
// exit. It is nil too while the process runs and for an attached Daemon.
func (d *Daemon) ExitErr() error {
	select {
	case <-d.exited:
		return d.exitErr
	default:
		return nil
	}
}

// LogPath returns the file that receives btcd's stdout and stderr.
func (d *Daemon) LogPath() string { return d.logPath }

// MiningAddress returns the address the node mines to.
func (d *Daemon) MiningAddress() btcutil.Address { return d.miningAddr }

// MiningKey returns the test-only private key behind MiningAddress, or nil
// if the mining address is not a harness key's.
func (d *Daemon) MiningKey() *btcec.PrivateKey { return d.miningKey }
