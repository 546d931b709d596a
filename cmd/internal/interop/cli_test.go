package interop

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"

	"airsign/online/regtest"
)

// coordinatorCLI is the airsign-coordinator binary built from this tree,
// run against the suite's btcd with its own data directory (its own
// SQLite database).
type coordinatorCLI struct {
	bin, datadir string
	node         *regtest.Node
}

// buildCoordinator builds airsign-coordinator into a temporary folder.
func (s *suite) buildCoordinator() (*coordinatorCLI, error) {
	bin := filepath.Join(s.t.TempDir(), "airsign-coordinator")
	build := exec.Command(goCommand(), "build", "-o", bin, "airsign/cmd/airsign-coordinator")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building airsign-coordinator: %v\n%s", err, out)
	}
	c := &coordinatorCLI{bin: bin, datadir: s.t.TempDir(), node: s.w.node}
	// "airsign-coordinator 0.1.0-dev (go1.26.8)"
	v, _, err := c.run("version")
	if f := strings.Fields(v); len(f) > 1 {
		s.versions["airsign-coordinator"] = f[1]
	}
	return c, err
}

// goCommand is the go command of the toolchain running the test.
func goCommand() string {
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// run runs one command as the machine's administrator; the error of a
// failed command carries its standard error.
func (c *coordinatorCLI) run(args ...string) (stdout, stderr string, err error) {
	full := append([]string{"--datadir", c.datadir, "--network", "regtest", "--rpc-url", c.node.RPCURL(),
		"--rpc-user", c.node.RPCUser(), "--rpc-pass", c.node.RPCPass(), "--as-admin"}, args...)
	cmd := exec.Command(c.bin, full...)
	cmd.Env = append(os.Environ(), "USER=interop")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	if err != nil {
		err = fmt.Errorf("airsign-coordinator %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), errb.String(), err
}

// runJSON runs a command with --json and decodes its output.
func (c *coordinatorCLI) runJSON(result any, args ...string) error {
	out, _, err := c.run(append([]string{"--json"}, args...)...)
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(out), result); err != nil {
		return fmt.Errorf("airsign-coordinator %s --json: %.200q: %v", args[0], out, err)
	}
	return nil
}

// held says what the wallet's requests hold: how many requests there are
// and the value their coins reserve.
func (c *coordinatorCLI) held(wallet string) (requests int, reserved int64, err error) {
	var reqs []map[string]any
	if err := c.runJSON(&reqs, "requests", "--wallet", wallet); err != nil {
		return 0, 0, err
	}
	var bal []struct {
		Reserved int64 `json:"reserved_sat"`
	}
	if err := c.runJSON(&bal, "balance", "--wallet", wallet); err != nil {
		return 0, 0, err
	}
	if len(bal) != 1 {
		return 0, 0, fmt.Errorf("balance --wallet %s lists %d wallets, want 1", wallet, len(bal))
	}
	return len(reqs), bal[0].Reserved, nil
}

func (s *suite) cliCases() {
	s.run("withdraw-out-existing", "airsign-coordinator", s.withdrawOutExisting)
}

// withdrawOutExisting is issue 21 item 8: withdraw --out FILE, where FILE
// exists, fails, and must leave no request and no coin reserved, and FILE
// as it was. A withdrawal to a new file then holds its coin, which shows
// the check sees a reservation when there is one.
func (s *suite) withdrawOutExisting() error {
	c, err := s.buildCoordinator()
	if err != nil {
		return err
	}
	fp, acct, err := accountKey(foreignSeed("cli"), 84, 1, 0)
	if err != nil {
		return err
	}
	pub, err := acct.Neuter()
	if err != nil {
		return err
	}
	const wallet = "cli"
	if _, _, err := c.run("wallet", "add", "--name", wallet, "--descriptor", fmt.Sprintf("wpkh([%x/84'/1'/0']%s/<0;1>/*)", fp, pub),
		"--birthday", fmt.Sprint(s.w.node.Height(s.t))); err != nil {
		return err
	}
	var recv struct {
		Address string `json:"address"`
	}
	if err := c.runJSON(&recv, "receive", "--wallet", wallet); err != nil {
		return err
	}
	a, err := btcutil.DecodeAddress(recv.Address, regtest.Params)
	if err != nil {
		return fmt.Errorf("receive --json: %v", err)
	}
	script, err := txscript.PayToAddrScript(a)
	if err != nil {
		return err
	}
	s.w.node.Fund(s.t, script, coinValue)
	s.w.node.Generate(s.t, 1)

	dir := s.t.TempDir()
	existing := filepath.Join(dir, "existing.psbt")
	const kept = "an earlier request's PSBT\n"
	if err := os.WriteFile(existing, []byte(kept), 0o600); err != nil {
		return err
	}
	withdraw := func(out string) (string, error) {
		_, stderr, err := c.run("withdraw", "--wallet", wallet, "--to", s.w.node.MiningAddress().String(),
			"--amount", btcAmount(coinValue/2), "--feerate", "2", "--out", out)
		return stderr, err
	}
	stderr, err := withdraw(existing)
	if err == nil {
		return fmt.Errorf("withdraw --out %s succeeded over an existing file", existing)
	}
	if !strings.Contains(stderr, existing) {
		return fmt.Errorf("withdraw --out EXISTING failed without naming the file: %s", strings.TrimSpace(stderr))
	}
	if got, _ := os.ReadFile(existing); string(got) != kept {
		return fmt.Errorf("withdraw --out EXISTING changed the file to %.80q", got)
	}
	n, reserved, err := c.held(wallet)
	if err != nil {
		return err
	}
	if n != 0 || reserved != 0 {
		return fmt.Errorf("after withdraw --out EXISTING failed, the wallet has %d request(s) holding %d sat (want none)", n, reserved)
	}
	if _, err := withdraw(filepath.Join(dir, "new.psbt")); err != nil {
		return err
	}
	if n, reserved, err = c.held(wallet); err != nil {
		return err
	}
	if n != 1 || reserved != int64(coinValue) {
		return fmt.Errorf("after withdraw --out NEW, the wallet has %d request(s) holding %d sat, want 1 holding %d", n, reserved, int64(coinValue))
	}
	return nil
}
