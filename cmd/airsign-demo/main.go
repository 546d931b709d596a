// Command airsign-demo is what `make demo` runs: a narrated walk through the
// whole product with the real binaries in a fresh folder, as operators would
// type it: the kiosk's seed ceremony and share health check; a btcd regtest
// node and the coordinator watching the wallet; a deposit; a withdrawal
// approved by two treasury users under the kiosk's policy; the kiosk
// signing from QR frames; the broadcast and confirmation; and the auditor
// verifying the transcript, a share and both audit logs, and cross-checking
// the coordinator's wallets with the ceremony from the two exports alone.
package main

import (
	"bytes"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"airsign/offline/ceremony"
	kioskpkg "airsign/offline/kiosk"
	"airsign/shamir"
)

func main() {
	bin := flag.String("bin", "bin", "folder holding the airsign binaries")
	dir := flag.String("dir", "demo-run", "folder for the demo's files (emptied first)")
	flag.Parse()
	if err := demo(os.Stdout, *bin, *dir); err != nil {
		fmt.Fprintf(os.Stderr, "airsign-demo: error: %v\n", err)
		os.Exit(1)
	}
}

type runner struct {
	out io.Writer
	bin string
	dir string
	// kioskFlags go before every airsign-kiosk command: --allow-network
	// on a connected machine.
	kioskFlags []string
}

// kiosk is an airsign-kiosk command line on the demo's kiosk home.
func (r *runner) kiosk(args ...string) []string {
	return append(append([]string{"airsign-kiosk", "--home", "kiosk"}, r.kioskFlags...), args...)
}

func demo(out io.Writer, bin, dir string) error {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	r := &runner{out: out, bin: bin, dir: dir}
	kiosk := r.kiosk

	r.say("airsign demo: a 2-of-3 seed ceremony on the offline kiosk, a share health check, then a withdrawal across the air gap\non a real btcd regtest node, approved, signed, broadcast and audited.\nEverything happens in %s/ so you can look at the files afterwards.", dir)

	if up, err := kioskpkg.InterfacesUp(); err != nil || len(up) > 0 {
		r.say("This demo machine is connected (%s up); a real signing station is not. The kiosk refuses to make or use a key while a network interface is up, so here every kiosk command runs with --allow-network, and the kiosk's audit log records each override.", strings.Join(up, ", "))
		r.kioskFlags = []string{"--allow-network"}
	}

	r.step(1, "Set up the kiosk: it gets its own ed25519 device key (which signs ceremony transcripts) and an empty, hash-chained audit log.")
	if _, err := r.run(nil, 0, kiosk("init")...); err != nil {
		return err
	}

	r.step(2, "The seed ceremony. Three custodians, any two of whom can rebuild the seed. A custodian throws a die 100 times and types the rolls; they are mixed into the machine's randomness, so neither source alone decides the seed.")
	rolls, err := diceRolls(100, 256)
	if err != nil {
		return err
	}
	if _, err := r.run([]byte(rolls), 0, kiosk("ceremony", "--network", "regtest", "--script", "p2wpkh",
		"--threshold", "2", "--shares", "3", "--words", "24", "--dice", "-",
		"--custodian", "Alice", "--custodian", "Bob", "--custodian", "Carol",
		"--name", "treasury", "--out", "ceremony")...); err != nil {
		return err
	}
	r.say("The kiosk read every share back from its text file and its QR image and recombined the set before it called the ceremony done.\nThe seed itself was never written anywhere and is gone from memory.")

	r.step(3, "What Alice takes home: her share as words (for a steel plate) and as a QR card (%s/ceremony/share-1.png).", dir)
	card, err := os.ReadFile(filepath.Join(dir, "ceremony", "share-1.txt"))
	if err != nil {
		return err
	}
	r.show(card)

	r.step(4, "What the online coordinator gets: public keys only (watch-only.txt; watch-only.png has the descriptor as a QR code).")
	watch, err := os.ReadFile(filepath.Join(dir, "ceremony", "watch-only.txt"))
	if err != nil {
		return err
	}
	r.show(watch)

	r.step(5, "The kiosk now knows the wallet, by its descriptor. No secret is kept.")
	if _, err := r.run(nil, 0, kiosk("wallets")...); err != nil {
		return err
	}

	r.step(6, "Share health check: Alice brings her words, Carol her QR card. The kiosk recombines them in memory, checks they rebuild this very wallet, and wipes the seed.")
	if _, err := r.run(nil, 0, kiosk("shares", "verify", "ceremony/share-1.txt", "ceremony/share-3.png")...); err != nil {
		return err
	}

	r.step(7, "Bob alone cannot rebuild anything, and the kiosk says so.")
	if _, err := r.run(nil, 1, kiosk("shares", "verify", "ceremony/share-2.txt")...); err != nil {
		return err
	}

	r.step(8, "Bob misread one word of his steel plate. The share's checksum catches it and says which word to look at.")
	if err := misreadWord(filepath.Join(dir, "ceremony", "share-2.txt"), filepath.Join(dir, "bob-misread.txt"), 5); err != nil {
		return err
	}
	if _, err := r.run(nil, 1, kiosk("shares", "verify", "ceremony/share-1.txt", "bob-misread.txt")...); err != nil {
		return err
	}

	if err := r.coordinatorTour(); err != nil {
		return err
	}

	r.say("Done. Files in %s/: ceremony/ (shares, watch-only export, signed transcript), kiosk/ (device key, wallets, policy, audit log),\ncoord/ (the coordinator's database, regtest chain and audit log), withdrawal/ and signed/ (the QR frames that crossed the air gap),\nand the auditor's exports (coord-audit.json holds the coordinator's log and wallets, chain.json the withdrawal's proof on the chain) and kept checkpoints.", dir)
	return nil
}

func (r *runner) say(format string, args ...any) {
	fmt.Fprintf(r.out, "\n"+format+"\n", args...)
}

func (r *runner) step(n int, format string, args ...any) {
	fmt.Fprintf(r.out, "\n== Step %d ==\n"+format+"\n", append([]any{n}, args...)...)
}

// show prints a command's output indented, cutting lines long enough to
// wrap twice (audit entries) so the story stays readable.
func (r *runner) show(data []byte) {
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		if len(line) > 200 {
			line = line[:197] + "…"
		}
		fmt.Fprintf(r.out, "    %s\n", line)
	}
}

// run runs one of our binaries in the demo folder, shows the command and its
// output, and checks its exit code.
func (r *runner) run(stdin []byte, wantExit int, args ...string) ([]byte, error) {
	shown := strings.Join(args, " ")
	if stdin != nil {
		shown = "(rolls typed in) | " + shown
	}
	fmt.Fprintf(r.out, "  $ %s\n", shown)
	return r.runQuiet(stdin, wantExit, args...)
}

// runQuiet is run without showing the command.
func (r *runner) runQuiet(stdin []byte, wantExit int, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(r.bin, args[0]), args[1:]...)
	cmd.Dir = r.dir
	cmd.Stdin = bytes.NewReader(stdin)
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	err := cmd.Run()
	r.show(buf.Bytes())
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		return nil, err
	}
	if code != wantExit {
		return nil, fmt.Errorf("%s exited with %d, want %d", args[0], code, wantExit)
	}
	return buf.Bytes(), nil
}

// diceRolls throws n fair dice for a bits-bit seed, as a custodian would.
//
// Fair rolls look patterned to the kiosk's dice check now and then (about 1
// time in 5000), as they would to a custodian rolling real dice, who would
// roll again: so does the demo, up to 20 times.
func diceRolls(n, bits int) (string, error) {
	var err error
	for try := 0; try < 20; try++ {
		var b strings.Builder
		for i := 0; i < n; i++ {
			v, rerr := rand.Int(rand.Reader, big.NewInt(6))
			if rerr != nil {
				return "", rerr
			}
			b.WriteByte(byte('1' + v.Int64()))
		}
		vals, perr := ceremony.ParseDice([]byte(b.String()))
		if perr != nil {
			return "", perr
		}
		if err = ceremony.CheckDice(vals, bits); err == nil {
			return b.String(), nil
		}
	}
	return "", fmt.Errorf("20 sets of dice rolls were refused, the last with: %v", err)
}

// misreadWord writes the words of the share in src to dst with word n
// replaced by another, as a custodian misreading a steel plate would.
func misreadWord(src, dst string, n int) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	s, err := shamir.Parse(data)
	if err != nil {
		return err
	}
	words := strings.Fields(string(s.Words()))
	if n < 1 || n > len(words) {
		return fmt.Errorf("%s has no word %d", src, n)
	}
	if words[n-1] == "zoo" {
		words[n-1] = "abandon"
	} else {
		words[n-1] = "zoo"
	}
	return os.WriteFile(dst, []byte(strings.Join(words, " ")+"\n"), 0o600)
}
