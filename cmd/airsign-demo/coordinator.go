package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// coordinatorTour is the demo's second half: the online coordinator on a
// regtest node, the treasury users, a withdrawal carried to the kiosk and
// back as QR frames, and the auditor.
func (r *runner) coordinatorTour() error {
	kiosk := r.kiosk
	// Who acts is proven: a user by their API token, the machine's
	// administrator by --as-admin (recorded as local-admin:$USER); reading
	// needs neither.
	coord := func(who string, args ...string) []string {
		cmd := []string{"airsign-coordinator", "--datadir", "coord"}
		switch who {
		case "":
		case "admin":
			cmd = append(cmd, "--as-admin")
		default:
			cmd = append(cmd, "--token-file", who+".token")
		}
		return append(cmd, args...)
	}
	audit := func(args ...string) []string { return append([]string{"airsign-audit"}, args...) }

	r.step(9, "The online coordinator starts a btcd regtest node of its own (the chain is kept in coord/regtest) and mines past segwit and taproot activation.")
	fmt.Fprintf(r.out, "  $ airsign-coordinator --datadir coord regtest start &\n")
	node := exec.Command(filepath.Join(r.bin, "airsign-coordinator"), "--datadir", "coord", "regtest", "start")
	node.Dir = r.dir
	var nodeOut lockedBuffer // written by exec's copying goroutines while we read it
	node.Stdout, node.Stderr = &nodeOut, &nodeOut
	if err := node.Start(); err != nil {
		return err
	}
	defer func() {
		node.Process.Signal(syscall.SIGINT)
		done := make(chan struct{})
		go func() { node.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			node.Process.Kill()
		}
	}()
	// Ready once rpc.json is written and the node has said so (its last
	// line of the start-up message).
	rpc := filepath.Join(r.dir, "coord", "regtest", "rpc.json")
	for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		if _, err := os.Stat(rpc); err == nil && strings.Contains(nodeOut.String(), "Ctrl-C stops it") {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the regtest node did not start in 5 minutes:\n%s", nodeOut.String())
		}
	}
	r.show([]byte(nodeOut.String()))

	r.step(10, "The coordinator registers the watch-only wallet by reading the kiosk's export QR image: public keys only.")
	if _, err := r.run(nil, 0, coord("", "wallet", "add", "--name", "treasury", "--qr", "ceremony/watch-only-ur.png")...); err != nil {
		return err
	}

	r.step(11, "Treasury users: Alice requests withdrawals; Bob and Carol approve them, each on an approver station: their own offline laptop,\nwhich keeps their approval key sealed under their passphrase (argon2id) and never shows it to the coordinator.")
	for _, u := range [][2]string{{"alice", "requester"}, {"bob", "approver"}, {"carol", "approver"}} {
		out, err := r.run(nil, 0, coord("admin", "user", "add", u[0], "--role", u[1])...)
		if err != nil {
			return err
		}
		// The token (the output's last line) is the user's proof of who
		// they are at the command line, as at the API.
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if err := os.WriteFile(filepath.Join(r.dir, u[0]+".token"), []byte(lines[len(lines)-1]+"\n"), 0o600); err != nil {
			return err
		}
	}
	// station is an airsign-kiosk approver command on who's station.
	station := func(who string, args ...string) []string {
		cmd := append([]string{"airsign-kiosk"}, r.kioskFlags...)
		return append(append(cmd, "approver", "--station", who+"-station"), args...)
	}
	passphrase := func(who string) string { return who + "'s long station passphrase\n" }
	for _, u := range []string{"bob", "carol"} {
		if _, err := r.runShown([]byte(passphrase(u)+passphrase(u)), "(passphrase typed twice) | ", 0, station(u, "init", "--name", u, "--qr-out", u+"-station-key.png")...); err != nil {
			return err
		}
		if _, err := r.run(nil, 0, station(u, "wallet", "add", "--name", "treasury", "--network", "regtest", "--qr", "ceremony/watch-only.png")...); err != nil {
			return err
		}
		if _, err := r.run(nil, 0, coord("admin", "user", "station-key", u, u+"-station-key.png", "--label", u+"'s laptop")...); err != nil {
			return err
		}
	}

	r.step(12, "On the kiosk, the custodians (two shares: the quorum that moves the funds) enroll Bob's and Carol's station keys from their QR codes\nand set the wallet's policy: at most 0.3 BTC a transaction, 0.5 BTC a day, and two approvals for anything, made on approver\nstations or with security keys (the default: a key sealed on the coordinator would count only where the policy names it).")
	quorum := []string{"--share", "ceremony/share-1.txt", "--share", "ceremony/share-3.png"}
	for _, u := range []string{"bob", "carol"} {
		if _, err := r.run(nil, 0, kiosk(append([]string{"approvers", "add", u, u + "-station-key.png", "--wallet", "treasury"}, quorum...)...)...); err != nil {
			return err
		}
	}
	if _, err := r.run(nil, 0, kiosk(append([]string{"policy", "set", "--wallet", "treasury", "--max-tx", "30000000", "--max-24h", "50000000",
		"--require-approvals", "2"}, quorum...)...)...); err != nil {
		return err
	}

	r.step(13, "A deposit: the node pays 0.5 BTC to the wallet's next receive address and mines it; the coordinator's watcher sees it confirm.")
	if _, err := r.run(nil, 0, coord("", "regtest", "fund", "--wallet", "treasury", "0.5")...); err != nil {
		return err
	}
	if _, err := r.run(nil, 0, coord("", "balance", "--wallet", "treasury")...); err != nil {
		return err
	}

	r.step(14, "Alice asks for 0.2 BTC to a supplier. Alice cannot approve her own request (four eyes). Bob and Carol scan the request's QR code\nat their stations, which show what it pays as computed from the transaction and the wallet, and show their approvals as QR codes\nthat the coordinator reads.")
	out, err := r.run(nil, 0, coord("alice", "withdraw", "--wallet", "treasury", "--to", "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080",
		"--amount", "0.2", "--feerate", "5", "--out", "request.psbt", "--qr-out", "request")...)
	if err != nil {
		return err
	}
	id := regexp.MustCompile(`wd-[0-9a-f]{12}`).Find(out)
	if id == nil {
		return fmt.Errorf("no request id in the withdraw output")
	}
	req := string(id)
	if _, err := r.runShown([]byte("alice's password\n"), "(password) | ", 1, coord("", "approve", req, "--user", "alice")...); err != nil {
		return err
	}
	for _, u := range []string{"bob", "carol"} {
		if _, err := r.runShown([]byte(passphrase(u)+"yes\n"), "(passphrase, then yes) | ", 0, station(u, "approve", "--in", "request/animated.gif", "--qr-out", u+"-approval.png")...); err != nil {
			return err
		}
		if _, err := r.run(nil, 0, coord("", "approve", req, "--station-approval", u+"-approval.png")...); err != nil {
			return err
		}
	}
	r.say("The request's PSBT now carries both approvals. It crosses the air gap as animated UR QR codes (%s/withdrawal/animated.gif and frame PNGs):", r.dir)
	if _, err := r.run(nil, 0, coord("", "show", req, "--qr-out", "withdrawal")...); err != nil {
		return err
	}

	r.step(15, "At the kiosk: it reads the QR frames, re-derives every input and the change, proves the amounts, and checks the policy and the approvals itself.")
	if _, err := r.run(nil, 0, kiosk("inspect", "--in", "withdrawal/animated.gif")...); err != nil {
		return err
	}
	r.say("Alice and Carol bring their shares; the kiosk rebuilds the key in memory, signs, wipes it, and shows the signed PSBT as QR frames.")
	if _, err := r.run(nil, 0, kiosk("sign", "--in", "withdrawal/animated.gif", "--share", "ceremony/share-1.txt", "--share", "ceremony/share-3.png", "--qr-out", "signed")...); err != nil {
		return err
	}

	r.step(16, "Back online: the coordinator reads the signed frames, checks every signature and that it is the transaction it built, broadcasts, and a block confirms it.")
	if _, err := r.run(nil, 0, coord("", "finalize", "--broadcast", "signed/animated.gif")...); err != nil {
		return err
	}
	if _, err := r.run(nil, 0, coord("", "regtest", "mine", "1")...); err != nil {
		return err
	}
	if _, err := r.run(nil, 0, coord("", "requests")...); err != nil {
		return err
	}
	if _, err := r.run(nil, 0, coord("", "balance", "--wallet", "treasury")...); err != nil {
		return err
	}

	r.step(17, "The auditor, offline, with no secret: the ceremony transcript against the kiosk's device key, Bob's share against the transcript (nothing combined, nothing printed),\nboth audit logs against their devices' keys, and the coordinator's wallets against the ceremonies.")
	if _, err := r.run(nil, 0, audit("verify-transcript", "--device-key", "kiosk/identity.pub", "ceremony/transcript.json")...); err != nil {
		return err
	}
	if _, err := r.run(nil, 0, audit("check-share", "ceremony/transcript.json", "ceremony/share-2.txt")...); err != nil {
		return err
	}
	kkey, err := r.run(nil, 0, kiosk("audit", "key")...)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(r.dir, "kiosk.key"), kkey, 0o644); err != nil {
		return err
	}
	if _, err := r.run(nil, 0, kiosk("audit", "export", "--out", "kiosk-audit.json")...); err != nil {
		return err
	}
	if _, err := r.run(nil, 0, audit("verify-log", "--log-key", "kiosk.key", "--checkpoint-out", "kiosk-checkpoint.txt", "kiosk-audit.json")...); err != nil {
		return err
	}
	ckey, err := r.run(nil, 0, coord("", "audit", "key")...)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(r.dir, "coord.key"), ckey, 0o644); err != nil {
		return err
	}
	if _, err := r.run(nil, 0, coord("admin", "audit", "export", "--out", "coord-audit.json", "--chain", "chain.json")...); err != nil {
		return err
	}
	if _, err := r.run(nil, 0, audit("verify-log", "--log-key", "coord.key", "--checkpoint-out", "coord-checkpoint.txt", "coord-audit.json")...); err != nil {
		return err
	}
	r.say("The coordinator's export also lists the wallets it watches. From the two devices' files alone, with no node: the coordinator watches\nexactly the wallets the ceremonies created, and its wallet list is the one its signed log registered.")
	if _, err := r.run(nil, 0, audit("cross-check", "--device-key", "kiosk/identity.pub", "--transcripts", "ceremony",
		"--coordinator-export", "coord-audit.json", "--log-key", "coord.key")...); err != nil {
		return err
	}
	r.say("Last, the two logs and the chain together: the kiosk's signature, the coordinator's request, approvals and broadcast, and the\ntransaction in its block (chain.json, written with the coordinator's export, proves it by merkle branch and block header).")
	if _, err := r.run(nil, 0, audit("reconcile", "--kiosk-export", "kiosk-audit.json", "--kiosk-key", "kiosk.key",
		"--coordinator-export", "coord-audit.json", "--coordinator-key", "coord.key", "--chain", "chain.json")...); err != nil {
		return err
	}
	r.say("The regtest node stops now; its chain stays in %s/coord/regtest.", r.dir)
	return nil
}

// runShown is run with a note of what is typed on standard input instead of
// the input itself (passwords are not shown).
func (r *runner) runShown(stdin []byte, what string, wantExit int, args ...string) ([]byte, error) {
	fmt.Fprintf(r.out, "  $ %s%s\n", what, strings.Join(args, " "))
	return r.runQuiet(stdin, wantExit, args...)
}

// lockedBuffer is a bytes.Buffer that one goroutine may write while another
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
