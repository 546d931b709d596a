package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"airsign/cmd/internal/chainproof"
	"airsign/offline/hd"
	regtestnode "airsign/online/regtest"
	"airsign/psbt"
	"airsign/psbt/descriptor"
	"airsign/shamir"
)

// The regtest scripts (testdata/regtest/*.txtar) run withdrawals through
// the real kiosk and coordinator on a real btcd regtest node, then
// reconcile what the two logs and the chain say, as an auditor would.
func TestRegtestScripts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts btcd and builds airsign-kiosk and airsign-coordinator")
	}
	bin := t.TempDir()
	build := exec.Command(goCommand(), "build", "-tags", "nogui", "-o", bin, "airsign/cmd/airsign-kiosk", "airsign/cmd/airsign-coordinator")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building airsign-kiosk and airsign-coordinator: %v\n%s", err, out)
	}
	btcd, err := regtestnode.BtcdPath()
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/regtest",
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", bin+string(os.PathListSeparator)+env.Getenv("PATH"))
			env.Setenv("USER", "alice")
			env.Setenv("AIRSIGN_BTCD", btcd)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitnode":    waitnode,
			"rpcenv":      rpcenv,
			"outsidesign": outsidesign,
			"recordedit":  recordedit,
			"chainedit":   chainedit,
			"jsonreport":  jsonreport,
			"csvreport":   csvreport,
			"htmlreport":  htmlreport,
		},
	})
}

// waitnode DATADIR waits until `airsign-coordinator regtest start` has
// written the node's RPC address.
func waitnode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitnode DATADIR")
	}
	path := filepath.Join(ts.MkAbs(args[0]), "regtest", "rpc.json")
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	ts.Fatalf("%s did not appear in 5 minutes: the regtest node did not start", path)
}

// rpcenv DATADIR sets $RPCURL, $RPCUSER and $RPCPASS to the regtest
// node's, as the auditor would be given their own node's.
func rpcenv(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: rpcenv DATADIR")
	}
	var r struct{ URL, User, Pass string }
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(filepath.Join(args[0], "regtest", "rpc.json"))), &r))
	ts.Setenv("RPCURL", r.URL)
	ts.Setenv("RPCUSER", r.User)
	ts.Setenv("RPCPASS", r.Pass)
}

// outsidesign PSBT WALLETS SHARE SHARE OUT signs PSBT with the wallet's
// key rebuilt from two shares, outside the kiosk, as someone holding the
// seed would: nothing is logged. WALLETS is `airsign-coordinator --json
// wallets`; its first wallet is the one signed for.
func outsidesign(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 5 {
		ts.Fatalf("usage: outsidesign PSBT WALLETS SHARE SHARE OUT")
	}
	p, err := psbt.Decode([]byte(ts.ReadFile(args[0])))
	ts.Check(err)
	var ws []coordinatorWallet
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[1])), &ws))
	d, err := descriptor.ParseForNetwork(ws[0].Descriptor, descriptor.Regtest)
	ts.Check(err)
	shares := []*shamir.Share{readShareFile(ts, args[2]), readShareFile(ts, args[3])}
	entropy, err := shamir.Combine(shares, hd.EntropyFingerprint)
	ts.Check(err)
	master, err := hd.MasterFromEntropy(entropy, descriptor.Regtest)
	ts.Check(err)
	defer master.Wipe()
	_, err = psbt.Sign(p, d, psbt.Policy{}, master)
	ts.Check(err)
	out, err := psbt.Encode(p)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[4]), out, 0o600))
}

// chainedit IN OUT tx|height writes the chain file IN to OUT with its
// first transaction's lock time, or its height, one more, as someone
// editing the file by hand would.
func chainedit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: chainedit IN OUT tx|height")
	}
	f, err := chainproof.Decode([]byte(ts.ReadFile(args[0])))
	ts.Check(err)
	t := &f.Transactions[0]
	switch args[2] {
	case "tx":
		// The lock time is the last 8 hex digits, little-endian.
		n, err := strconv.ParseUint(t.Hex[len(t.Hex)-8:len(t.Hex)-6], 16, 8)
		ts.Check(err)
		t.Hex = t.Hex[:len(t.Hex)-8] + strconv.FormatUint(0x100|(n+1)&0xff, 16)[1:] + t.Hex[len(t.Hex)-6:]
	case "height":
		t.Height++
	default:
		ts.Fatalf("chainedit: tx or height")
	}
	out, err := json.Marshal(f)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), out, 0o644))
}

// recordedit IN OUT writes the coordinator's audit export IN to OUT with the amount of
// the first output of its first broadcast record one satoshi more, as
// someone editing the coordinator's record without its key would.
func recordedit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: recordedit IN OUT")
	}
	var export map[string]any
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &export))
	log, _ := export["log"].(map[string]any) // the coordinator's export holds its log
	records, _ := log["records"].([]any)
	for i, r := range records {
		line, _ := r.(string)
		if !strings.Contains(line, `"kind":"broadcast"`) {
			continue
		}
		at := strings.Index(line, `"amount_sat":`)
		if at < 0 {
			continue
		}
		at += len(`"amount_sat":`)
		end := at
		for end < len(line) && line[end] >= '0' && line[end] <= '9' {
			end++
		}
		n, err := strconv.ParseInt(line[at:end], 10, 64)
		ts.Check(err)
		records[i] = line[:at] + strconv.FormatInt(n+1, 10) + line[end:]
		out, err := json.Marshal(export)
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(args[1]), out, 0o644))
		return
	}
	ts.Fatalf("recordedit: %s has no broadcast record with an output", args[0])
}
