package shamir_test

// TestIndependentRecombiner checks docs/share-format.md against an
// implementation written from the document alone: docs/recombine.py, a
// stdlib-only Python recovery tool. Shares made by this package must
// recombine there to the right mnemonic, and damaged, missing, mixed or
// forged shares must be refused there too.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"airsign/shamir"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/tyler-smith/go-bip39"
	"github.com/tyler-smith/go-bip39/wordlists"
)

// The SHA-256 of BIP39's english.txt, as the document gives it.
const indepWordlistSHA256 = "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda"

const indepScript = "../docs/recombine.py"

type indepEnv struct {
	python   string
	wordlist string
	dir      string
}

func newIndepEnv(t *testing.T) *indepEnv {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("AIRSIGN_REQUIRE_TOOLS") != "" {
			t.Fatalf("python3 not found and AIRSIGN_REQUIRE_TOOLS is set: %v", err)
		}
		t.Skip("python3 not found; set AIRSIGN_REQUIRE_TOOLS to make this a failure")
	}
	// Resolve wrappers such as pyenv's shim once: they cost more than the runs.
	if out, err := exec.Command(python, "-c", "import sys; print(sys.executable)").Output(); err == nil {
		if exe := strings.TrimSpace(string(out)); exe != "" {
			python = exe
		}
	}
	dir := t.TempDir()
	list := []byte(strings.Join(wordlists.English, "\n") + "\n")
	sum := sha256.Sum256(list)
	if got := hex.EncodeToString(sum[:]); got != indepWordlistSHA256 {
		t.Fatalf("go-bip39 English word list has SHA-256 %s, want %s", got, indepWordlistSHA256)
	}
	doc, err := os.ReadFile("../docs/share-format.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(doc, []byte(indepWordlistSHA256)) {
		t.Errorf("docs/share-format.md does not give the word list hash %s in full", indepWordlistSHA256)
	}
	wl := filepath.Join(dir, "english.txt")
	if err := os.WriteFile(wl, list, 0o600); err != nil {
		t.Fatal(err)
	}
	return &indepEnv{python: python, wordlist: wl, dir: dir}
}

// run runs recombine.py on the given share texts, each in its own file.
func (e *indepEnv) run(t *testing.T, texts ...[]byte) (stdout, stderr string, err error) {
	t.Helper()
	sub, err := os.MkdirTemp(e.dir, "run")
	if err != nil {
		t.Fatal(err)
	}
	args := []string{indepScript, "--wordlist", e.wordlist}
	for i, text := range texts {
		name := filepath.Join(sub, fmt.Sprintf("share-%d.txt", i+1))
		if err := os.WriteFile(name, text, 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, name)
	}
	var out, errOut bytes.Buffer
	cmd := exec.Command(e.python, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

func indepFingerprint(t *testing.T, entropy []byte) [4]byte {
	t.Helper()
	mnemonic, err := bip39.NewMnemonic(entropy)
	if err != nil {
		t.Fatal(err)
	}
	master, err := hdkeychain.NewMaster(bip39.NewSeed(mnemonic, ""), &chaincfg.MainNetParams)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := master.ECPubKey()
	if err != nil {
		t.Fatal(err)
	}
	var fp [4]byte
	copy(fp[:], btcutil.Hash160(pub.SerializeCompressed()))
	return fp
}

// indepEntropy is deterministic so that a failure can be reproduced.
func indepEntropy(label string, n int) []byte {
	sum := sha256.Sum256([]byte("airsign independent recombiner: " + label))
	return sum[:n]
}

// indepSplit splits entropy with the set id given (Split reads it from rand).
func indepSplit(t *testing.T, entropy []byte, k, n int, fp [4]byte, setID uint16) []*shamir.Share {
	t.Helper()
	shares, err := shamir.Split(entropy, k, n, fp, bytes.NewReader([]byte{byte(setID >> 8), byte(setID)}))
	if err != nil {
		t.Fatal(err)
	}
	return shares
}

var indepNumbered = regexp.MustCompile(`^\d+\.`)

// indepForm writes a share in one of the forms the document names.
func indepForm(t *testing.T, s *shamir.Share, form string) []byte {
	t.Helper()
	switch form {
	case "file":
		return s.File("Test Custodian", time.Date(2025, 11, 25, 14, 3, 0, 0, time.UTC))
	case "file-bare": // no optional lines
		return s.File("", time.Time{})
	case "words":
		return append(s.Words(), '\n')
	case "qr":
		return append(s.QRText(), '\n')
	case "qr-lower": // readers accept lowercase and = padding
		q := string(s.QRText())
		i := strings.Index(q, ":") + 1
		pad := strings.Repeat("=", (8-(len(q)-i)%8)%8)
		return []byte(q[:i] + strings.ToLower(q[i:]) + pad + "\n")
	case "qr-lower-prefix": // the whole line lowercase, outer whitespace
		return []byte(" \t" + strings.ToLower(string(s.QRText())) + " \r\n")
	case "file-qr-only": // a file without words, header respaced and in capitals
		return []byte(fmt.Sprintf("\ufeffAIRSIGN SEED SHARE\r\nSET %04X share %02d of %d (any %d recombine)\r\n\r\n  %s\r\n",
			s.SetID, s.Index, s.Total, s.Threshold, s.QRText()))
	case "words-leading-zeros": // "01. word", numbers on some words only
		var b strings.Builder
		for i, w := range strings.Fields(string(s.Words())) {
			if i%2 == 0 {
				fmt.Fprintf(&b, "%02d. ", i+1)
			}
			b.WriteString(w + "\n")
		}
		return []byte(b.String())
	case "words-abbrev": // numbered "1.word", first four letters, upper case, one per line
		var b strings.Builder
		for i, w := range strings.Fields(string(s.Words())) {
			if len(w) > 4 {
				w = w[:4]
			}
			fmt.Fprintf(&b, "%d.%s\n", i+1, strings.ToUpper(w))
		}
		return []byte(b.String())
	case "words-some-numbered": // only every fourth word numbered, as on some plates
		var b strings.Builder
		for i, w := range strings.Fields(string(s.Words())) {
			if i%4 == 0 {
				fmt.Fprintf(&b, "\n%d. ", i+1)
			}
			b.WriteString(w + " ")
		}
		return []byte(b.String())
	case "words-numbered": // "1. word" with irregular whitespace
		var b strings.Builder
		for i, w := range strings.Fields(string(s.Words())) {
			fmt.Fprintf(&b, "%d.  %s\t", i+1, w)
			if i%5 == 4 {
				b.WriteString("\r\n")
			}
		}
		return []byte(b.String())
	}
	t.Fatalf("unknown form %q", form)
	return nil
}

func TestIndependentRecombiner(t *testing.T) {
	env := newIndepEnv(t)

	// Each run starts a Python interpreter: run them in parallel.
	t.Run("self-test", func(t *testing.T) {
		t.Parallel()
		out, err := exec.Command(env.python, indepScript, "--self-test", "--wordlist", env.wordlist).CombinedOutput()
		if err != nil {
			t.Fatalf("recombine.py --self-test: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "fingerprint 05d027a5: ok") {
			t.Errorf("self-test did not check the worked example:\n%s", out)
		}
	})

	good := []struct {
		name  string
		size  int
		k, n  int
		use   []int // 0-based share positions handed to the tool, in that order
		forms []string
	}{
		{"2of3 16 bytes file form", 16, 2, 3, []int{0, 2}, []string{"file", "file"}},
		{"3of5 32 bytes mixed forms", 32, 3, 5, []int{4, 0, 2}, []string{"words", "qr", "file"}},
		{"2of2 20 bytes", 20, 2, 2, []int{1, 0}, []string{"qr", "words-abbrev"}},
		{"3of4 24 bytes", 24, 3, 4, []int{0, 1, 3}, []string{"qr-lower", "file-bare", "words-numbered"}},
		{"2of3 28 bytes", 28, 2, 3, []int{1, 2}, []string{"file", "words-some-numbered"}},
		{"2of3 all three shares", 16, 2, 3, []int{0, 1, 2}, []string{"file", "qr", "words"}},
		{"2of3 reading rules", 20, 2, 3, []int{2, 1, 0}, []string{"qr-lower-prefix", "file-qr-only", "words-leading-zeros"}},
		{"16of16 32 bytes", 32, 16, 16, []int{15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
			[]string{"file", "qr", "words", "file-bare", "qr-lower", "words-abbrev", "words-numbered", "file",
				"qr", "words", "file", "qr", "words", "file", "qr", "words"}},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			entropy := indepEntropy(tc.name, tc.size)
			mnemonic, err := bip39.NewMnemonic(entropy)
			if err != nil {
				t.Fatal(err)
			}
			shares := indepSplit(t, entropy, tc.k, tc.n, indepFingerprint(t, entropy), 0x7f3a)
			var texts [][]byte
			for i, pos := range tc.use {
				texts = append(texts, indepForm(t, shares[pos], tc.forms[i]))
			}
			stdout, stderr, err := env.run(t, texts...)
			if err != nil {
				t.Fatalf("recombine.py failed: %v\nstderr: %s", err, stderr)
			}
			if stdout != mnemonic+"\n" {
				t.Errorf("recombine.py printed %q, want %q", stdout, mnemonic+"\n")
			}
			if !strings.Contains(stderr, "seed") {
				t.Errorf("no warning on stderr that the output is the wallet seed: %q", stderr)
			}
		})
	}

	// Refusals: the tool must exit non-zero and print nothing on stdout.
	entropy := indepEntropy("refusals", 16)
	fp := indepFingerprint(t, entropy)
	setA := indepSplit(t, entropy, 2, 3, fp, 0x1111)
	setB := indepSplit(t, entropy, 2, 3, fp, 0x2222)
	sameID := indepSplit(t, entropy, 2, 3, fp, 0x1111) // another split, same set id
	five := indepSplit(t, indepEntropy("refusals 32", 32), 3, 5, indepFingerprint(t, indepEntropy("refusals 32", 32)), 0x3333)

	// One word changed to its neighbour in the list.
	words := strings.Fields(string(setA[0].Words()))
	words[4] = wordlists.English[(indepIndexOf(wordlists.English, words[4])+1)%2048]
	changedWord := []byte(strings.Join(words, " ") + "\n")

	// A share of the other split whose x differs from setA[0]'s.
	var other *shamir.Share
	for _, s := range sameID[1:] {
		if s.X != setA[0].X {
			other = s
			break
		}
	}

	// A forged y with a valid CRC: only the fingerprint commitment catches it.
	forged := setA[1].Clone()
	forged.Y[3] ^= 0x5a

	// Shares committing to another wallet's fingerprint.
	wrongFP := indepSplit(t, entropy, 2, 3, [4]byte{0xde, 0xad, 0xbe, 0xef}, 0x4444)

	// A file whose words and QR line are different shares.
	file := string(setA[0].File("", time.Time{}))
	qrIdx := strings.Index(file, "AIRSIGN-SHARE:")
	mixedFile := []byte(file[:qrIdx] + string(setA[1].QRText()) + "\n")

	// Odd texts the document refuses rather than guess.
	qrA := string(setA[0].QRText())
	twenty := indepSplit(t, indepEntropy("leftover", 20), 2, 3, fp, 0x5555)
	q20 := []byte(twenty[0].QRText()) // 34 bytes: 55 characters, 3 leftover bits
	q20[len(q20)-1] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", q20[len(q20)-1])|1]
	// A share's words with the Kelvin sign for a "k", and a share of its set
	// to go with it. The words carry y values from crypto/rand (hashicorp's
	// split), so a share has a "k" only now and then: split until one does.
	// A 2-of-3 split has no such first share about one time in three; 200
	// splits in a row without one is below 1e-80.
	var kelvin, kelvinPartner []byte
	for try := 0; kelvin == nil && try < 200; try++ {
		set := indepSplit(t, entropy, 2, 3, fp, 0x6666)
		if w := string(set[0].Words()); strings.Contains(w, "k") {
			kelvin = []byte(strings.Replace(w, "k", "\u212a", 1))
			kelvinPartner = set[1].QRText()
		}
	}
	if kelvin == nil {
		t.Fatal("200 splits gave no share with a word containing a k")
	}
	headerOther := bytes.Replace(setA[0].File("", time.Time{}), []byte("share 1 of 3"), []byte("share 2 of 3"), 1)

	bad := []struct {
		name   string
		texts  [][]byte
		stderr string // a fragment the message must contain
	}{
		{"too few shares", [][]byte{five[0].File("", time.Time{}), five[3].QRText()}, "too few"},
		{"one word changed", [][]byte{changedWord, setA[1].Words()}, "checksum"},
		{"two different sets", [][]byte{setA[0].QRText(), setB[1].QRText()}, "another set"},
		{"another split with the same set id", [][]byte{setA[0].QRText(), other.QRText()}, "fingerprint"},
		{"forged share", [][]byte{setA[0].Words(), forged.QRText()}, "fingerprint"},
		{"forged share among three", [][]byte{setA[0].Words(), forged.QRText(), setA[2].QRText()},
			"share 2 of set 1111 do(es) not fit"},
		{"wrong fingerprint commitment", [][]byte{wrongFP[0].QRText(), wrongFP[2].Words()}, "fingerprint"},
		{"same share twice", [][]byte{setA[0].Words(), setA[0].QRText()}, "twice"},
		{"words and QR line disagree", [][]byte{mixedFile, setA[2].Words()}, "not the same share"},
		{"QR with wrong padding", [][]byte{[]byte(qrA + "=="), setA[1].Words()}, "not base32"},
		{"QR with non-zero leftover bits", [][]byte{q20, twenty[1].Words()}, "not base32"},
		{"QR with an inner space", [][]byte{[]byte(qrA[:30] + " " + qrA[30:]), setA[1].Words()}, "not base32"},
		{"words separated by no-break spaces", [][]byte{bytes.ReplaceAll(setA[0].Words(), []byte(" "), []byte("\u00a0")), setA[1].Words()},
			"no share has that many"},
		{"words separated by line separators", [][]byte{bytes.ReplaceAll(setA[0].Words(), []byte(" "), []byte("\u2028")), setA[1].Words()},
			"no share has that many"},
		{"Kelvin sign for k", [][]byte{kelvin, kelvinPartner}, "is not a BIP39 English word"},
		{"Arabic-Indic digit numbering", [][]byte{append([]byte("\u0661."), setA[0].Words()...), setA[1].Words()},
			"word 1 is not a BIP39 English word"},
		{"header names another share", [][]byte{headerOther, setA[2].Words()}, "says share number 2"},
		{"number without a word", [][]byte{append(setA[0].Words(), " 23."...), setA[1].Words()}, "not followed by a word"},
		{"numbering skips", [][]byte{bytes.Replace(indepForm(t, setA[0], "words-abbrev"), []byte("\n7."), []byte("\n8."), 1),
			setA[1].Words()}, "is numbered 8"},
	}
	for _, tc := range bad {
		t.Run("refuse "+tc.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, err := env.run(t, tc.texts...)
			if err == nil {
				t.Fatalf("recombine.py accepted the shares and printed %q", stdout)
			}
			if stdout != "" {
				t.Errorf("recombine.py printed on stdout while failing: %q", stdout)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr %q does not mention %q", stderr, tc.stderr)
			}
		})
	}
}

func indepIndexOf(list []string, w string) int {
	for i, v := range list {
		if v == w {
			return i
		}
	}
	return -1
}
