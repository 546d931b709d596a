package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/online/coordinator"
	"airsign/online/regtest"
)

// The bar for a deployment of several coordinators: the watcher
// moves to a surviving process within this long after its holder dies.
const takeoverBound = 15 * time.Second

// sharedDescriptor is a regtest watch-only wallet (the BIP-84 account of
// the "abandon ... about" test seed): withdrawals are only built here,
// never signed.
const sharedDescriptor = "wpkh([73c5da0a/84'/1'/0']tpubDC8msFGeGuwnKG9Upg7DM2b4DaRqg3CUZa5g8v2SRQ6K4NSkxUgd7HsL2XVWbVm39yBA4LAxysQAm397zwQSQoQgewGiYZqrA9DsP4zbQ1M/<0;1>/*)"

// foreignAddress is where the withdrawals pay: nobody's wallet here.
const foreignAddress = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"

// TestTwoCoordinatorsOnePostgres is the deployment issue 24 asks for: two
// `airsign-coordinator serve` processes, each with a data folder of its
// own, on one PostgreSQL database and one btcd regtest node. 32
// withdrawals made at once through both never reserve a coin twice, and
// every coin ends up reserved by exactly one request. Killing the process
// that holds the watcher lease moves the watch to the other within 15 s,
// and a deposit the dead watcher had seen in a block that a reorg then
// orphaned (made while nobody watched) is counted once, in its new block.
func TestTwoCoordinatorsOnePostgres(t *testing.T) {
	d := startDeployment(t, true)
	const coins, coinSat = 5, 10_000_000
	outpoints := d.fund(t, coins, coinSat)
	d.waitBalance(t, coins*coinSat)

	// 32 requests at once, alternating between the two processes, each
	// needing one coin of the handful.
	const requests = 32
	type result struct {
		status int
		body   []byte
	}
	results := make([]result, requests)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i].status, results[i].body = d.procs[i%2].try(d.token, "POST", "/api/v1/withdrawals", withdrawalBody)
		}()
	}
	close(start)
	wg.Wait()
	reservedBy := map[wire.OutPoint]string{}
	reserve := func(id string, ins []wire.OutPoint) {
		t.Helper()
		for _, op := range ins {
			if other, ok := reservedBy[op]; ok {
				t.Errorf("coin %v reserved by %s and by %s", op, other, id)
			}
			reservedBy[op] = id
		}
	}
	made := 0
	for i, r := range results {
		switch code := errorCode(r.body); {
		case r.status == http.StatusCreated:
			id, ins := withdrawalInputs(t, r.body)
			reserve(id, ins)
			made++
		case r.status == http.StatusConflict && (code == "insufficient_funds" || code == "conflict"):
		default:
			t.Errorf("withdrawal %d through process %d: %d %s; want 201, or 409 when the coins are taken", i, i%2+1, r.status, r.body)
		}
	}
	if made == 0 {
		t.Fatal("none of the 32 withdrawals was made")
	}
	// A request refused for a coin another took at the same moment may
	// leave coins free: take them one by one until none is left.
	for range coins {
		status, body := d.procs[0].try(d.token, "POST", "/api/v1/withdrawals", withdrawalBody)
		if status == http.StatusConflict && errorCode(body) == "insufficient_funds" {
			break
		}
		if status != http.StatusCreated {
			t.Fatalf("withdrawal after the burst: %d %s", status, body)
		}
		id, ins := withdrawalInputs(t, body)
		reserve(id, ins)
	}
	for _, op := range outpoints {
		if _, ok := reservedBy[op]; !ok {
			t.Errorf("coin %v is reserved by no request, yet the last withdrawal found no free coin", op)
		}
	}
	if len(reservedBy) != coins {
		t.Errorf("%d coins reserved, want the %d funded", len(reservedBy), coins)
	}
	var bal balanceJSON
	d.procs[1].get(t, d.token, "/api/v1/wallets/treasury/balance", &bal)
	if bal.Reserved != coins*coinSat {
		t.Errorf("balance through process 2: reserved_sat %d, want %d", bal.Reserved, coins*coinSat)
	}
	t.Logf("32 withdrawals at once through two processes: %d made, %d refused (coins taken)", made, requests-made)

	// A deposit the watcher counts in a block that a reorg then orphans,
	// while no process watches.
	report := d.failoverAcrossReorg(t, 7_000_000)
	t.Logf("watcher lease taken over %s after the kill, the survivor at the node's tip %s after the kill",
		report.takeover.Round(time.Millisecond), report.caughtUp.Round(time.Millisecond))
	if report.takeover > takeoverBound {
		t.Errorf("the watcher lease moved %s after its holder died, want within %s", report.takeover, takeoverBound)
	}

	// One audit log for the deployment, nothing in it torn by the kill:
	// with the survivor stopped, both machines verify the same log.
	report.survivor.cmd.Process.Signal(syscall.SIGINT)
	<-report.survivor.exited
	verified := [2]string{}
	for i, p := range d.procs {
		verified[i] = string(p.cli(t, "audit", "verify"))
	}
	t.Logf("coordinator 1: %s", verified[0])
	if verified[0] != verified[1] || !strings.Contains(verified[0], "verifies") {
		t.Errorf("audit verify: coordinator 1 says %q, coordinator 2 %q; want one log that verifies", verified[0], verified[1])
	}
}

// BenchmarkTwoCoordinators measures the deployment of the test above.
// withdraw: withdrawals a second made through both processes at once by
// 1, 4 and 16 clients, each request taking a fresh coin (they are
// cancelled between rounds, off the clock), and how often a client had to
// ask again because another request took its coin at the same moment.
// failover: the seconds from killing the watcher's process until the other
// holds the lease (takeover-s) and has synced the six blocks mined
// meanwhile (catchup-s).
func BenchmarkTwoCoordinators(b *testing.B) {
	for _, clients := range []int{1, 4, 16} {
		// A deployment each: a request costs more as the audit logs
		// grow (see docs/BENCHMARKS.md), so each starts with short ones.
		b.Run(fmt.Sprintf("withdraw/clients=%d", clients), func(b *testing.B) {
			d := startDeployment(b, false)
			const coins, coinSat = 48, 1_000_000
			d.fund(b, coins, coinSat)
			d.waitBalance(b, coins*coinSat)
			b.ResetTimer()
			made, retries := d.withdrawRounds(b, clients, coins)
			b.ReportMetric(float64(made)/b.Elapsed().Seconds(), "withdrawals/s")
			b.ReportMetric(float64(retries)/float64(made), "retries/withdrawal")
		})
	}
	b.Run("failover", func(b *testing.B) {
		d := startDeployment(b, false)
		var takeover, caughtUp time.Duration
		for i := range b.N {
			r := d.failover(b, 6)
			takeover += r.takeover
			caughtUp += r.caughtUp
			if i < b.N-1 {
				d.start(b, r.killed)
			}
		}
		b.ReportMetric(takeover.Seconds()/float64(b.N), "takeover-s")
		b.ReportMetric(caughtUp.Seconds()/float64(b.N), "catchup-s")
	})
}

// withdrawRounds makes b.N withdrawals through the two processes with
// clients at once, in rounds of at most one request per coin; after each
// round it cancels them, off the clock, to free the coins again. It
// returns the withdrawals made and the times a client asked again.
func (d *deployment) withdrawRounds(b *testing.B, clients, coins int) (made int, retries int64) {
	var busy atomic.Int64
	for made < b.N {
		jobs := make(chan struct{}, coins)
		for range min(b.N-made, coins) {
			jobs <- struct{}{}
		}
		close(jobs)
		ids := make(chan string, coins)
		errs := make(chan error, clients)
		var wg sync.WaitGroup
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := d.procs[c%2]
				for range jobs {
					status, body := p.try(d.token, "POST", "/api/v1/withdrawals", withdrawalBody)
					// A coin another request took at the same moment,
					// after the coordinator's own retries: the client
					// asks again, as a program would.
					for status == http.StatusConflict && errorCode(body) == "conflict" {
						busy.Add(1)
						status, body = p.try(d.token, "POST", "/api/v1/withdrawals", withdrawalBody)
					}
					switch {
					case status == http.StatusCreated:
						var w struct{ ID string }
						json.Unmarshal(body, &w)
						ids <- w.ID
					case status == http.StatusConflict && errorCode(body) == "insufficient_funds":
						// Coin selection took two coins for one request;
						// the next round makes up for it.
					default:
						errs <- fmt.Errorf("withdrawal through coordinator %d: %d %s", p.n, status, body)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(ids)
		b.StopTimer()
		select {
		case err := <-errs:
			b.Fatal(err)
		default:
		}
		round := 0
		for id := range ids {
			d.procs[0].call(b, d.token, "POST", "/api/v1/withdrawals/"+id+"/cancel", nil, nil)
			round++
		}
		if round == 0 {
			b.Fatal("a round with every coin free made no withdrawal")
		}
		made += round
		b.StartTimer()
	}
	return made, busy.Load()
}

// withdrawalBody asks for one coin's worth: a fee rate above the long-term
// rate keeps coin selection from adding inputs it does not need.
const withdrawalBody = `{"wallet":"treasury","to":"` + foreignAddress + `","amount_sat":200000,"feerate_sat_vb":20}`

// deployment is PostgreSQL, a btcd regtest node and two serve processes.
type deployment struct {
	node  *regtest.Node
	other *regtest.Node // a second node, only to make reorgs; nil without
	db    *sql.DB       // the shared database, to read who holds the lease
	url   string
	bin   string
	procs [2]*coordProc
	token string // a requester's API token
}

// startDeployment starts it all; process 1 holds the watcher lease when it
// returns. withOther starts a second node for reorgs.
func startDeployment(tb testing.TB, withOther bool) *deployment {
	tb.Helper()
	srv := startPostgres(tb)
	// serve runs as the real program: testscript.Main (TestMain) put
	// this test binary on PATH as airsign-coordinator.
	bin, err := exec.LookPath("airsign-coordinator")
	if err != nil {
		tb.Fatalf("airsign-coordinator is not on PATH (TestMain puts it there): %v", err)
	}
	d := &deployment{url: srv.NewDatabase(tb, ""), bin: bin}
	d.db, err = sql.Open("pgx", d.url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.db.Close() })

	d.node = regtest.Start(tb, regtest.Options{Listen: withOther})
	regtest.ActivateSegwitTaproot(tb, d.node)
	if withOther {
		d.other = regtest.Start(tb, regtest.Options{Listen: true})
		d.other.Connect(tb, d.node)
		d.other.WaitForTip(tb, d.node.BestHash(tb), 2*time.Minute)
	}

	// Each process has a data folder of its own, as on two machines: the
	// first names the database in config.json, the second with --store.
	dirs := [2]string{filepath.Join(tb.TempDir(), "coordinator1"), filepath.Join(tb.TempDir(), "coordinator2")}
	for i, dir := range dirs {
		cfg := map[string]any{"network": "regtest", "rpc_url": d.node.RPCURL(), "rpc_user": d.node.RPCUser(), "rpc_pass": d.node.RPCPass()}
		if i == 0 {
			cfg["store"] = d.url
		}
		data, _ := json.Marshal(cfg)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	d.procs[0] = &coordProc{datadir: dirs[0], n: 1}
	d.procs[1] = &coordProc{datadir: dirs[1], n: 2, store: d.url}

	// The wallet and the user, made once, are both processes'.
	d.procs[0].cli(tb, "wallet", "add", "--name", "treasury", "--descriptor", sharedDescriptor, "--birthday", strconv.Itoa(int(d.node.Height(tb))))
	// One deployment, one identity: the second machine gets a copy of
	// the key the first made (docs/operations.md).
	key, err := os.ReadFile(filepath.Join(dirs[0], "identity.key"))
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dirs[1], "identity.key"), key, 0o600); err != nil {
		tb.Fatal(err)
	}
	var user struct{ Token string }
	if err := json.Unmarshal(d.procs[1].cli(tb, "--as-admin", "--json", "user", "add", "alice", "--role", "requester"), &user); err != nil || user.Token == "" {
		tb.Fatalf("user add --json: %v", err)
	}
	d.token = user.Token

	d.start(tb, d.procs[0])
	d.waitHolder(tb, d.procs[0], time.Minute)
	d.start(tb, d.procs[1])
	return d
}

// coordProc is one coordinator: its data folder and, while it serves, its
// process.
type coordProc struct {
	n       int    // 1 or 2, for messages
	datadir string // its own folder: identity key, audit log, config.json
	store   string // --store, if given

	cmd    *exec.Cmd
	exited chan struct{}
	base   string // http://127.0.0.1:PORT
	log    string
}

// args are the global flags before a command.
func (p *coordProc) args(cmd ...string) []string {
	args := []string{"--datadir", p.datadir}
	if p.store != "" {
		args = append(args, "--store", p.store)
	}
	return append(args, cmd...)
}

// cli runs a command of airsign-coordinator on p's data folder, in this
// process, and returns its standard output.
func (p *coordProc) cli(tb testing.TB, cmd ...string) []byte {
	tb.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), p.args(cmd...), &stdout, &stderr); code != exitOK {
		tb.Fatalf("coordinator %d: %s: exit %d\n%s", p.n, strings.Join(cmd, " "), code, stderr.Bytes())
	}
	return stdout.Bytes()
}

// start runs `serve` for p and waits until it listens.
func (d *deployment) start(tb testing.TB, p *coordProc) {
	tb.Helper()
	addrFile := filepath.Join(p.datadir, "served.addr")
	os.Remove(addrFile)
	p.log = filepath.Join(p.datadir, fmt.Sprintf("serve-%d.log", time.Now().UnixNano()))
	logf, err := os.Create(p.log)
	if err != nil {
		tb.Fatal(err)
	}
	defer logf.Close()
	p.cmd = exec.Command(d.bin, p.args("serve", "--listen", "127.0.0.1:0", "--addr-file", addrFile, "--sync-interval", "1s")...)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	// Killed with this test binary, whatever happens to it.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	cmd, exited := p.cmd, make(chan struct{})
	p.exited = exited
	go func() {
		cmd.Wait()
		close(exited)
	}()
	tb.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if tb.Failed() {
			b, _ := os.ReadFile(p.log)
			tb.Logf("coordinator %d (pid %d) said:\n%s", p.n, cmd.Process.Pid, b)
		}
	})
	for deadline := time.Now().Add(time.Minute); ; {
		if b, err := os.ReadFile(addrFile); err == nil {
			p.base = "http://" + strings.TrimSpace(string(b))
			return
		}
		select {
		case <-exited:
			b, _ := os.ReadFile(p.log)
			tb.Fatalf("coordinator %d exited at start:\n%s", p.n, b)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("coordinator %d did not listen within a minute", p.n)
		}
	}
}

var apiClient = &http.Client{Timeout: time.Minute}

// try calls the API and returns the status and body; a failure to call is
// status 0 with the error as the body.
func (p *coordProc) try(token, method, path, body string) (int, []byte) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, p.base+path, r)
	if err != nil {
		return 0, []byte(err.Error())
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := apiClient.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, []byte(err.Error())
	}
	return resp.StatusCode, b
}

// call is try for a call that must succeed; it decodes the answer into out.
func (p *coordProc) call(tb testing.TB, token, method, path string, body, out any) {
	tb.Helper()
	in := ""
	if body != nil {
		b, _ := json.Marshal(body)
		in = string(b)
	}
	status, b := p.try(token, method, path, in)
	if status/100 != 2 {
		tb.Fatalf("coordinator %d: %s %s: %d %s", p.n, method, path, status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			tb.Fatalf("coordinator %d: %s %s: %v in %s", p.n, method, path, err, b)
		}
	}
}

func (p *coordProc) get(tb testing.TB, token, path string, out any) {
	tb.Helper()
	p.call(tb, token, "GET", path, nil, out)
}

type balanceJSON struct {
	Confirmed int64 `json:"confirmed_sat"`
	Reserved  int64 `json:"reserved_sat"`
	Tip       int32 `json:"tip"`
}

type utxoJSON struct {
	TxID   string `json:"txid"`
	Vout   uint32 `json:"vout"`
	Value  int64  `json:"value_sat"`
	Height int32  `json:"height"`
}

type historyJSON struct {
	TxID     string `json:"txid"`
	Height   int32  `json:"height"`
	Received int64  `json:"received_sat"`
}

// errorCode is the code of an API error body, or "".
func errorCode(body []byte) string {
	var e struct{ Code string }
	json.Unmarshal(body, &e)
	return e.Code
}

// withdrawalInputs are the id of a made request and the coins its PSBT
// spends.
func withdrawalInputs(tb testing.TB, body []byte) (string, []wire.OutPoint) {
	tb.Helper()
	var w struct {
		ID   string
		PSBT string
	}
	if err := json.Unmarshal(body, &w); err != nil {
		tb.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(w.PSBT)
	if err != nil {
		tb.Fatalf("request %s: psbt: %v", w.ID, err)
	}
	p, err := btcpsbt.NewFromRawBytes(bytes.NewReader(raw), false)
	if err != nil {
		tb.Fatalf("request %s: psbt: %v", w.ID, err)
	}
	var ins []wire.OutPoint
	for _, in := range p.UnsignedTx.TxIn {
		ins = append(ins, in.PreviousOutPoint)
	}
	return w.ID, ins
}

// receiveScript is the output script of the wallet's next receive address,
// asked of process 2 (any process answers for the one wallet).
func (d *deployment) receiveScript(tb testing.TB) []byte {
	tb.Helper()
	var a struct{ Address string }
	d.procs[1].call(tb, d.token, "POST", "/api/v1/wallets/treasury/receive", struct{}{}, &a)
	addr, err := btcutil.DecodeAddress(a.Address, regtest.Params)
	if err != nil {
		tb.Fatal(err)
	}
	script, err := txscript.PayToAddrScript(addr)
	if err != nil {
		tb.Fatal(err)
	}
	return script
}

// fund pays n coins of sat each to the wallet, each confirmed in a block
// of its own.
func (d *deployment) fund(tb testing.TB, n int, sat int64) []wire.OutPoint {
	tb.Helper()
	var ops []wire.OutPoint
	for range n {
		op, _ := d.node.Fund(tb, d.receiveScript(tb), btcutil.Amount(sat))
		ops = append(ops, op)
	}
	return ops
}

// waitBalance waits until the watcher has synced to the node's tip with
// sat confirmed in the wallet.
func (d *deployment) waitBalance(tb testing.TB, sat int64) {
	tb.Helper()
	tip := d.node.Height(tb)
	var bal balanceJSON
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		d.procs[0].get(tb, d.token, "/api/v1/wallets/treasury/balance", &bal)
		if bal.Tip >= tip && bal.Confirmed == sat {
			return
		}
	}
	tb.Fatalf("after a minute: balance %d sat confirmed at block %d, want %d at %d", bal.Confirmed, bal.Tip, sat, tip)
}

// holder is the coordinator process holding the watcher lease, or nil.
func (d *deployment) holder(tb testing.TB) *coordProc {
	tb.Helper()
	var holder string
	var expires int64
	err := d.db.QueryRow(`SELECT holder, expires FROM leases WHERE name = $1`, coordinator.WatcherLease).Scan(&holder, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		tb.Fatal(err)
	}
	// LeaseHolderID is host/pid/random; a released lease has expired.
	parts := strings.Split(holder, "/")
	if len(parts) != 3 || expires <= time.Now().UnixNano() {
		return nil
	}
	for _, p := range d.procs {
		if p.cmd != nil && strconv.Itoa(p.cmd.Process.Pid) == parts[1] {
			return p
		}
	}
	return nil
}

// waitHolder waits until p holds the watcher lease and returns when it
// did.
func (d *deployment) waitHolder(tb testing.TB, p *coordProc, within time.Duration) time.Time {
	tb.Helper()
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if d.holder(tb) == p {
			return time.Now()
		}
	}
	tb.Fatalf("coordinator %d did not take the watcher lease within %s", p.n, within)
	return time.Time{}
}

// waitTip waits until the shared database has been synced to height,
// as p's health endpoint says, and returns when it was.
func (d *deployment) waitTip(tb testing.TB, p *coordProc, height int32, within time.Duration) time.Time {
	tb.Helper()
	var h struct{ Tip int32 }
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		p.get(tb, "", "/api/v1/health", &h)
		if h.Tip >= height {
			return time.Now()
		}
	}
	tb.Fatalf("coordinator %d: synced to block %d after %s, want %d", p.n, h.Tip, within, height)
	return time.Time{}
}

// failoverReport says how a failover went.
type failoverReport struct {
	killed, survivor *coordProc
	at               time.Time     // when the killed process was gone
	takeover         time.Duration // from then until the survivor held the lease
	caughtUp         time.Duration // from then until it had synced to the node's tip
}

// kill kills the process holding the watcher lease, as a crash or a power
// cut would: its lease is not released but runs out.
func (d *deployment) kill(tb testing.TB) *failoverReport {
	tb.Helper()
	r := &failoverReport{killed: d.holder(tb)}
	if r.killed == nil {
		tb.Fatal("no coordinator holds the watcher lease")
	}
	r.survivor = d.procs[0]
	if r.killed == d.procs[0] {
		r.survivor = d.procs[1]
	}
	r.killed.cmd.Process.Kill()
	<-r.killed.exited
	r.at = time.Now()
	return r
}

// takeOver waits for the survivor of a kill to hold the lease and to have
// synced to tip, and records how long each took. It waits a minute for
// each, so that a slow takeover is measured rather than cut off.
func (d *deployment) takeOver(tb testing.TB, r *failoverReport, tip int32) {
	tb.Helper()
	r.takeover = d.waitHolder(tb, r.survivor, time.Minute).Sub(r.at)
	r.caughtUp = d.waitTip(tb, r.survivor, tip, time.Minute).Sub(r.at)
}

// failover kills the watcher's process, mines blocks meanwhile and waits
// for the other to take the watch and catch up.
func (d *deployment) failover(tb testing.TB, blocks uint32) *failoverReport {
	tb.Helper()
	r := d.kill(tb)
	d.node.Generate(tb, blocks)
	d.takeOver(tb, r, d.node.Height(tb))
	return r
}

// failoverAcrossReorg pays sat to the wallet in a block of the
// coordinators' node only, waits until the watcher has counted it there,
// kills the watcher's process, and meanwhile makes the other node's
// longer chain win (btcd has no invalidateblock): the deposit's block is
// orphaned and the deposit confirmed again in a later block. The survivor
// must take over and count the deposit once, in its new block.
func (d *deployment) failoverAcrossReorg(tb testing.TB, sat int64) *failoverReport {
	tb.Helper()
	a, b := d.node, d.other
	var before balanceJSON
	d.procs[0].get(tb, d.token, "/api/v1/wallets/treasury/balance", &before)
	b.WaitForTip(tb, a.BestHash(tb), 2*time.Minute)
	script := d.receiveScript(tb)
	a.DisconnectAll(tb)
	b.DisconnectAll(tb)
	fork := a.Height(tb)
	op, tx := a.Fund(tb, script, btcutil.Amount(sat)) // mined in a block b never sees
	stale, staleHash := a.Height(tb), a.BestHash(tb)
	d.waitTip(tb, d.procs[0], stale, time.Minute)
	if got := d.countDeposit(tb, op, stale); got != 1 {
		tb.Fatalf("before the kill: the deposit %v is listed %d times at block %d, want once", op, got, stale)
	}

	r := d.kill(tb)
	b.Generate(tb, uint32(stale-fork)+2) // longer than a's side of the fork
	a.Connect(tb, b)
	a.WaitForTip(tb, b.BestHash(tb), 2*time.Minute)
	if main, err := a.Client().GetBlockHash(int64(stale)); err != nil || main.IsEqual(staleHash) {
		tb.Fatalf("the deposit's block at %d is still in the main chain after the reorg (%v)", stale, err)
	}
	// Back in a's mempool after the reorg; sending it again is harmless.
	a.TrySend(tx)
	mined := a.Generate(tb, 1)[0]
	blk, err := a.Client().GetBlock(mined)
	if err != nil {
		tb.Fatal(err)
	}
	if !slices.ContainsFunc(blk.Transactions, func(tx *wire.MsgTx) bool { return tx.TxHash() == op.Hash }) {
		tb.Fatalf("the deposit %v was not mined again after the reorg", op.Hash)
	}
	tip := a.Height(tb)
	d.takeOver(tb, r, tip)

	if got := d.countDeposit(tb, op, tip); got != 1 {
		tb.Errorf("after the failover: the deposit %v is listed %d times at block %d, want once", op, got, tip)
	}
	var hist struct{ History []historyJSON }
	r.survivor.get(tb, d.token, "/api/v1/wallets/treasury/history", &hist)
	seen := 0
	for _, h := range hist.History {
		if h.TxID == op.Hash.String() {
			seen++
			if h.Height != tip || h.Received != sat {
				tb.Errorf("history: deposit %s at block %d receiving %d sat, want block %d and %d sat", h.TxID, h.Height, h.Received, tip, sat)
			}
		}
	}
	if seen != 1 {
		tb.Errorf("history lists the deposit %d times, want once", seen)
	}
	var after balanceJSON
	r.survivor.get(tb, d.token, "/api/v1/wallets/treasury/balance", &after)
	if after.Confirmed-before.Confirmed != sat {
		tb.Errorf("confirmed balance grew by %d sat across the failover, want the deposit's %d", after.Confirmed-before.Confirmed, sat)
	}
	return r
}

// countDeposit is how many times the wallet's coins list op at height
// (through either process: they share the database).
func (d *deployment) countDeposit(tb testing.TB, op wire.OutPoint, height int32) int {
	tb.Helper()
	var u struct{ UTXOs []utxoJSON }
	d.procs[1].get(tb, d.token, "/api/v1/wallets/treasury/utxos", &u)
	n := 0
	for _, c := range u.UTXOs {
		if c.TxID == op.Hash.String() && c.Vout == op.Index {
			if c.Height != height {
				tb.Errorf("deposit %v listed at block %d, want %d", op, c.Height, height)
			}
			n++
		}
	}
	return n
}
