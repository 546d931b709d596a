package daemon

import (
	"airsign/online/regtest/internal/txtest"
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/wire"
)

// launch is Launch for tests: it fails the test on error and stops the
// daemon at the end (a second Stop is harmless).
func launch(t *testing.T, cfg Config) *Daemon {
	t.Helper()
	d, err := Launch(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("btcd log tail:\n%s", d.LogTail(30))
		}
		d.Stop()
	})
	return d
}

func mustHeight(t *testing.T, d *Daemon) int32 {
	t.Helper()
	h, err := d.Height()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// fundInputs funds script and returns the coinbase outpoints it spent.
func fundInputs(t *testing.T, d *Daemon, script []byte, amount btcutil.Amount) (wire.OutPoint, []wire.OutPoint) {
	t.Helper()
	op, tx, err := d.Fund(script, amount)
	if err != nil {
		t.Fatal(err)
	}
	var ins []wire.OutPoint
	for _, in := range tx.TxIn {
		ins = append(ins, in.PreviousOutPoint)
	}
	return op, ins
}

// TestDaemonPersistentDir runs a Daemon without the testing wrapper on a
// persistent Dir, restarts it and checks that the chain, the credentials
// and Fund survive the restart without double-spending a coinbase.
func TestDaemonPersistentDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "chain")
	start := time.Now()
	d := launch(t, Config{Dir: dir})
	t.Logf("first Launch took %v", time.Since(start))
	if d.Dir() != dir || d.PID() == 0 {
		t.Fatalf("Dir %q PID %d", d.Dir(), d.PID())
	}
	if got, want := d.MiningAddress().EncodeAddress(), HarnessAddress(0).EncodeAddress(); got != want {
		t.Fatalf("mining address %s, want HarnessAddress(0) %s", got, want)
	}
	if !strings.HasPrefix(d.RPCURL(), "http://127.0.0.1:") || d.RPCUser() == "" || d.RPCPass() == "" {
		t.Fatalf("rpc %s user %q pass %q", d.RPCURL(), d.RPCUser(), d.RPCPass())
	}
	if _, err := d.Generate(3); err != nil {
		t.Fatal(err)
	}

	k := txtest.Key("daemon")
	script := txtest.P2WPKHScript(t, k, Params)
	op1, ins1 := fundInputs(t, d, script, 1_0000_0000)
	_, ins2 := fundInputs(t, d, script, 60*btcutil.SatoshiPerBitcoin) // two coinbases
	spent := map[wire.OutPoint]bool{}
	for _, in := range append(ins1, ins2...) {
		if spent[in] {
			t.Fatalf("coinbase %v spent twice before the restart", in)
		}
		spent[in] = true
	}
	if err := d.ActivateSegwitTaproot(); err != nil {
		t.Fatal(err)
	}
	height := mustHeight(t, d)
	best, err := d.BestHash()
	if err != nil {
		t.Fatal(err)
	}
	url, user, pass, pid := d.RPCURL(), d.RPCUser(), d.RPCPass(), d.PID()

	start = time.Now()
	if err := d.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	t.Logf("Stop took %v", time.Since(start))
	if err := d.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	select {
	case <-d.Exited():
	default:
		t.Fatal("Exited not closed after Stop")
	}
	if !txtest.ProcessGone(pid) {
		t.Fatalf("btcd %d still running after Stop", pid)
	}

	start = time.Now()
	d2 := launch(t, Config{Dir: dir})
	t.Logf("second Launch (replaying %d blocks) took %v", height, time.Since(start))
	if h := mustHeight(t, d2); h != height {
		t.Fatalf("height after restart %d, want %d", h, height)
	}
	if b, err := d2.BestHash(); err != nil || *b != *best {
		t.Fatalf("tip after restart %v (%v), want %v", b, err, best)
	}
	if d2.RPCUser() != user || d2.RPCPass() != pass {
		t.Fatal("credentials not remembered in Dir")
	}
	if d2.RPCURL() != url {
		t.Logf("RPC moved from %s to %s (the old port was taken)", url, d2.RPCURL())
	}
	for _, f := range []string{"segwit", "taproot"} {
		if s, err := d2.SoftForkStatus(f); err != nil || s != "active" {
			t.Fatalf("%s after restart: %q %v", f, s, err)
		}
	}
	out, err := d2.Client().GetTxOut(&op1.Hash, op1.Index, false)
	if err != nil || out == nil || out.Value != 1 {
		t.Fatalf("funded output after restart: %+v %v", out, err)
	}

	// Fund after the restart spends coinbases no earlier Fund spent: the
	// node accepting the transaction already proves it, the inputs say so
	// directly.
	start = time.Now()
	op3, ins3 := fundInputs(t, d2, script, 70*btcutil.SatoshiPerBitcoin)
	t.Logf("Fund after restart (scans from height 1) took %v", time.Since(start))
	for _, in := range ins3 {
		if spent[in] {
			t.Fatalf("Fund after restart reused coinbase %v", in)
		}
	}
	if h := mustHeight(t, d2); h != height+1 {
		t.Fatalf("Fund after restart mined to %d, want %d (coinbases were mature)", h, height+1)
	}

	// Witness spends work on the resumed chain (segwit is active).
	prev, err := d2.Client().GetRawTransaction(&op3.Hash)
	if err != nil {
		t.Fatal(err)
	}
	spend := txtest.SpendTo(prev.MsgTx(), op3, txtest.P2WPKHScript(t, txtest.Key("dest"), Params), 500)
	txtest.SignP2WPKH(t, spend, prev.MsgTx().TxOut[op3.Index], k)
	if _, err := d2.Send(spend); err != nil {
		t.Fatalf("witness spend on the resumed chain: %v", err)
	}
	if _, err := d2.Generate(1); err != nil {
		t.Fatal(err)
	}
	if err := d2.Stop(); err != nil {
		t.Fatal(err)
	}

	// A third start sees both the chain and the spend.
	d3 := launch(t, Config{Dir: dir})
	if h := mustHeight(t, d3); h != height+2 {
		t.Fatalf("height after second restart %d, want %d", h, height+2)
	}
	h := spend.TxHash()
	if _, err := d3.Client().GetRawTransaction(&h); err != nil {
		t.Fatalf("spend lost in restart: %v", err)
	}
}

// TestDaemonTempDir checks the defaults: a temporary Dir removed on Stop,
// a fresh harness key, and Log receiving btcd's output.
func TestDaemonTempDir(t *testing.T) {
	t.Parallel()
	var log syncBuffer
	d := launch(t, Config{Log: &log})
	dir := d.Dir()
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
	if harnessKeyFor(d.MiningAddress()) == nil || d.MiningKey() == nil {
		t.Fatal("temporary daemon does not mine to a harness key")
	}
	if _, _, err := d.Fund(txtest.P2WPKHScript(t, txtest.Key("tmp"), Params), btcutil.SatoshiPerBitcoin); err != nil {
		t.Fatal(err)
	}
	if err := d.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := d.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary Dir %s left behind: %v", dir, err)
	}
	if !strings.Contains(log.String(), "RPC server listening on "+d.RPCHost()) {
		t.Fatalf("Log did not get btcd's output:\n%s", log.String())
	}
	if _, err := d.Height(); err == nil {
		t.Fatal("RPC still works after Stop")
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDaemonRPCPortTaken: an explicit RPCListen that is taken is an error
// (ErrRPCPortInUse); a port only remembered in Dir is replaced by a free
// one.
func TestDaemonRPCPortTaken(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().String()

	dir := filepath.Join(t.TempDir(), "chain")
	_, err = Launch(Config{Dir: dir, RPCListen: taken})
	t.Logf("explicit taken port: %v", err)
	if !errors.Is(err, ErrRPCPortInUse) || !strings.Contains(err.Error(), taken) {
		t.Fatalf("Launch on a taken RPCListen = %v, want ErrRPCPortInUse naming %s", err, taken)
	}

	// An explicit free port is used and remembered. A port free a moment
	// ago may be taken by another process before btcd binds it (and an
	// explicit port is never moved): then the test picks another.
	var free string
	var d *Daemon
	for try := 1; d == nil; try++ {
		if free, err = freePort(); err != nil {
			t.Fatal(err)
		}
		d, err = Launch(Config{Dir: dir, RPCListen: free})
		if errors.Is(err, ErrRPCPortInUse) && try < 5 {
			t.Logf("%s was taken before btcd bound it; trying another port", free)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { d.Stop() })
	if d.RPCHost() != free {
		t.Fatalf("RPCHost %s, want %s", d.RPCHost(), free)
	}
	if _, err := d.Generate(2); err != nil {
		t.Fatal(err)
	}
	if err := d.Stop(); err != nil {
		t.Fatal(err)
	}
	var st daemonState
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &st); err != nil || st.RPCListen != free {
		t.Fatalf("%s: %s (%v)", stateFile, b, err)
	}

	// Somebody takes the remembered port: the next Launch moves.
	l2, err := net.Listen("tcp", free)
	if err != nil {
		t.Skipf("could not take the freed port %s: %v", free, err)
	}
	defer l2.Close()
	d2 := launch(t, Config{Dir: dir})
	if d2.RPCHost() == free {
		t.Fatal("daemon claims a taken port")
	}
	if h := mustHeight(t, d2); h != 2 {
		t.Fatalf("height %d after moving ports, want 2", h)
	}
	t.Logf("remembered port %s taken; moved to %s", free, d2.RPCHost())
}

// TestDaemonDirLocked: two daemons never share a Dir (the second btcd would
// delete the first one's block database).
func TestDaemonDirLocked(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "chain")
	d := launch(t, Config{Dir: dir})
	if _, err := d.Generate(1); err != nil {
		t.Fatal(err)
	}
	_, err := Launch(Config{Dir: dir})
	t.Logf("second Launch on the same Dir: %v", err)
	if err == nil || !strings.Contains(err.Error(), "another daemon is running") {
		t.Fatalf("second Launch on a Dir in use = %v", err)
	}
	if h := mustHeight(t, d); h != 1 {
		t.Fatalf("first daemon at height %d after the refused Launch", h)
	}
}

// TestLaunchRetriesWhenPortTaken makes the first attempt use a port that is
// already bound: btcd exits, and Launch retries with fresh ports.
func TestLaunchRetriesWhenPortTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	calls := 0
	pickPort = func() (string, error) {
		calls++
		if calls == 1 {
			return l.Addr().String(), nil
		}
		return freePort()
	}
	defer func() { pickPort = freePort }()
	d := launch(t, Config{})
	if d.RPCHost() == l.Addr().String() {
		t.Fatal("node claims the taken port")
	}
	if calls < 2 {
		t.Fatalf("pickPort called %d times", calls)
	}
	if _, err := d.Generate(1); err != nil {
		t.Fatal(err)
	}
}

const daemonChildEnv = "AIRSIGN_REGTEST_DAEMON_CHILD"

// TestDaemonDiesWithProcess re-runs the test binary as a child that
// launches a Daemon on a persistent Dir (no testing wrapper involved), mines
// and is SIGKILLed: btcd must die with it (PR_SET_PDEATHSIG), the Dir lock
// must be released, and the blocks Generate returned must survive.
func TestDaemonDiesWithProcess(t *testing.T) {
	if dir := os.Getenv(daemonChildEnv); dir != "" {
		d, err := Launch(Config{Dir: dir})
		if err != nil {
			fmt.Printf("ERR=%v\n", err)
			return
		}
		if _, err := d.Generate(7); err != nil {
			fmt.Printf("ERR=%v\n", err)
			return
		}
		fmt.Printf("BTCD_PID=%d\n", d.PID())
		os.Stdout.Sync()
		time.Sleep(time.Minute) // killed by the parent long before
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("parent-death signal is Linux only")
	}
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "chain")
	cmd := exec.Command(os.Args[0], "-test.run=^TestDaemonDiesWithProcess$", "-test.v")
	cmd.Env = append(os.Environ(), daemonChildEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	pid := 0
	sc := bufio.NewScanner(out)
	deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "BTCD_PID="); ok {
			pid, _ = strconv.Atoi(v)
			break
		}
		if strings.HasPrefix(sc.Text(), "ERR=") {
			t.Fatalf("child: %s", sc.Text())
		}
	}
	deadline.Stop()
	if pid == 0 {
		t.Fatal("child did not report a btcd pid")
	}
	if txtest.ProcessGone(pid) {
		t.Fatalf("btcd %d not running while the child lives", pid)
	}
	cmd.Process.Kill()
	cmd.Wait()
	for end := time.Now().Add(time.Minute); !txtest.ProcessGone(pid) && !txtest.IsZombie(pid); {
		if time.Now().After(end) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("btcd %d survived the process that launched it", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	d := launch(t, Config{Dir: dir})
	if h := mustHeight(t, d); h != 7 {
		t.Fatalf("height %d after the launching process was killed, want 7", h)
	}
}
