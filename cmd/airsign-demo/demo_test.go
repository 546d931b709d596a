package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"airsign/offline/ceremony"
)

// The demo is the README's main command: run it end to end with freshly
// built binaries and check the story's outcomes, so a change that breaks
// it fails make test, not a reader's first try.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries and runs a regtest node")
	}
	bin := t.TempDir()
	// As make demo builds them: the kiosk without its GUI (-tags nogui).
	for _, pkg := range []string{"airsign/cmd/airsign-kiosk", "airsign/cmd/airsign-coordinator", "airsign/cmd/airsign-audit"} {
		if out, err := exec.Command("go", "build", "-tags", "nogui", "-o", bin, pkg).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, "btcd"), "github.com/btcsuite/btcd").CombinedOutput(); err != nil {
		t.Fatalf("go build btcd: %v\n%s", err, out)
	}
	var out bytes.Buffer
	if err := demo(&out, bin, filepath.Join(t.TempDir(), "demo-run")); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		`Shares 1, 3 of set [0-9a-f]{4} rebuild wallet "treasury"|OK: shares 1, 3 of set`,
		`who cannot also approve it \(four eyes\)`,
		`PASS  approvals: 2 of 2 required approvals \(bob: station, carol: station\)`,
		`Verdict: signable`,
		`broadcast; it confirms when a block includes it`,
		`treasury +confirmed \(1\) +0\.20000000 BTC`,
		`treasury +0\.29999\d{3} BTC +0\.00000000 BTC +0\.00000000 BTC`,
		`OK: the transcript verifies and agrees with itself`,
		`OK: every entry is covered by the log's signed checkpoint`,
		`the wallet list checked against the coordinator's signed log`,
		`OK: the coordinator watches exactly the wallets the ceremonies created`,
		`approvals 2 of 2 \(bob, carol; the coordinator's: bob, carol\), kiosk entry \d+`,
		`OK: 1 withdrawals reconcile`,
	} {
		if !regexp.MustCompile(want).Match(out.Bytes()) {
			t.Errorf("the demo's output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("demo output:\n%s", out.String())
	}
}

// The demo's dice pass the kiosk's check every time: it rolls again, as a
// custodian would, when fair rolls happen to look patterned.
func TestDiceRollsPassTheKiosksCheck(t *testing.T) {
	for i := 0; i < 200; i++ {
		rolls, err := diceRolls(100, 256)
		if err != nil {
			t.Fatal(err)
		}
		vals, err := ceremony.ParseDice([]byte(rolls))
		if err != nil || len(vals) != 100 {
			t.Fatalf("rolls %q: %d values, %v", rolls, len(vals), err)
		}
		if err := ceremony.CheckDice(vals, 256); err != nil {
			t.Fatalf("rolls %q refused: %v", rolls, err)
		}
	}
}
