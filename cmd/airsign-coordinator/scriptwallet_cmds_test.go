package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"airsign/offline/hd"
	"airsign/psbt"
	"airsign/psbt/descriptor"
)

// The kiosk's registration of wallets with spending paths is not in
// airsign-kiosk yet; until it is, these two commands stand in for a
// kiosk: the seed is a test seed, the signing and its refusals are the
// kiosk's own code (psbt.SignScriptWallet).

// testSeed is the test-only master of seed byte s (entropy s repeated).
func testSeed(ts *testscript.TestScript, s string) *hd.Master {
	n, err := strconv.ParseUint(s, 10, 8)
	ts.Check(err)
	m, err := hd.MasterFromEntropy(bytes.Repeat([]byte{byte(n)}, 16), descriptor.Regtest)
	ts.Check(err)
	return m
}

// testkey SEED OUT writes the BIP48 cosigner key of a test seed as a
// kiosk's watch-only.txt has it (a bip48-cosigner line).
func testkey(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: testkey SEED OUT")
	}
	m := testSeed(ts, args[0])
	defer m.Wipe()
	origin, key, err := m.CosignerKey(0)
	ts.Check(err)
	text := fmt.Sprintf("# test seed %s\nbip48-cosigner: [%s]%s\n", args[0], origin, key)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(text), 0o644))
}

// signscript POLICY SEED IN OUT signs the PSBT file IN (base64) for the
// wallet of the policy file with a test seed, as a kiosk registered with
// that policy does, and writes the signed PSBT to OUT. A refusal fails the
// command and prints the kiosk's findings (code: message) to stdout.
func signscript(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: signscript POLICY SEED IN OUT")
	}
	w, _, err := descriptor.ParseWalletPolicyJSON([]byte(ts.ReadFile(args[0])), descriptor.Regtest)
	ts.Check(err)
	m := testSeed(ts, args[1])
	defer m.Wipe()
	p, err := psbt.Decode([]byte(strings.TrimSpace(ts.ReadFile(args[2]))))
	ts.Check(err)
	pol := psbt.DefaultPolicy
	pol.Cosigner = m.Fingerprint()
	s, err := psbt.SignScriptWallet(p, w, pol, m)
	if s != nil {
		fmt.Fprintf(ts.Stdout(), "Spending path: %s\n", s.Path)
		for _, r := range s.Refusals {
			fmt.Fprintf(ts.Stdout(), "REFUSED %s: %s\n", r.Code, r.Message)
		}
	}
	if err != nil {
		if !neg {
			ts.Fatalf("the kiosk refuses: %v", err)
		}
		return
	}
	if neg {
		ts.Fatalf("the kiosk signed; want a refusal")
	}
	raw, err := psbt.Encode(p)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[3]), raw, 0o644))
}
