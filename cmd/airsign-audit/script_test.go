package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"airsign/offline/ceremony"
	"airsign/offline/home"
	"airsign/psbt/auditlog"
	"airsign/psbt/descriptor"
	"airsign/shamir"
)

// The script tests run real ceremonies with the real airsign-kiosk, then
// audit what they wrote as an auditor would: testdata/script/*.txtar.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"airsign-audit": func() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

func TestScripts(t *testing.T) {
	bin := t.TempDir()
	build := exec.Command(goCommand(), "build", "-tags", "nogui", "-o", bin, "airsign/cmd/airsign-kiosk")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building airsign-kiosk: %v\n%s", err, out)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", bin+string(os.PathListSeparator)+env.Getenv("PATH"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"tamper":      tamper,
			"resign":      resign,
			"forge":       forge,
			"coordexport": coordexport,
			"coordlog":    coordlog,
			"jsonreport":  jsonreport,
			"csvreport":   csvreport,
			"htmlreport":  htmlreport,
			"words":       words,
			"notprinted":  notprinted,
			"samehead":    samehead,
			"misread":     misread,
			"flip":        flip,
		},
	})
}

func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// tamper IN OUT OLD NEW writes IN to OUT with the first OLD replaced by
// NEW, as someone editing a transcript by hand would.
func tamper(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: tamper IN OUT OLD NEW")
	}
	data := ts.ReadFile(args[0])
	if !strings.Contains(data, args[2]) {
		ts.Fatalf("%s does not contain %q", args[0], args[2])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(strings.Replace(data, args[2], args[3], 1)), 0o644))
}

// testSigner is a device key made for a test.
type testSigner ed25519.PrivateKey

func newSigner(ts *testscript.TestScript) testSigner {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	ts.Check(err)
	return testSigner(priv)
}

func (s testSigner) Sign(msg []byte) []byte { return ed25519.Sign(ed25519.PrivateKey(s), msg) }
func (s testSigner) PublicKey() ed25519.PublicKey {
	return ed25519.PrivateKey(s).Public().(ed25519.PublicKey)
}

// sign makes a transcript.json of t as the kiosk does: the body indented
// as inside the envelope, signed after the transcript signing context.
func sign(ts *testscript.TestScript, t ceremony.Transcript, s testSigner) []byte {
	t.DeviceKeyID = home.KeyID(s.PublicKey())
	t.DevicePublicKey = base64.StdEncoding.EncodeToString(s.PublicKey())
	body, err := json.MarshalIndent(t, "  ", "  ")
	ts.Check(err)
	sig := s.Sign(append([]byte("airsign ceremony transcript v1\n"), body...))
	out, err := json.MarshalIndent(struct {
		Transcript json.RawMessage `json:"transcript"`
		Signature  string          `json:"signature"`
	}{body, base64.StdEncoding.EncodeToString(sig)}, "", "  ")
	ts.Check(err)
	// The result must be what the kiosk's verifier accepts.
	if _, err := ceremony.VerifyTranscript(out, s.PublicKey()); err != nil {
		ts.Fatalf("test signer made a transcript that does not verify: %v", err)
	}
	return append(out, '\n')
}

// resign IN OUT [KEYOUT] re-signs the transcript IN with a new device key,
// as a forger without the kiosk's key would, and writes the new key's
// identity.pub line to KEYOUT.
func resign(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: resign IN OUT [KEYOUT]")
	}
	t, err := ceremony.VerifyTranscript([]byte(ts.ReadFile(args[0])), nil)
	ts.Check(err)
	s := newSigner(ts)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), sign(ts, *t, s), 0o644))
	if len(args) == 3 {
		line := "airsign-kiosk " + home.KeyID(s.PublicKey()) + " " + base64.StdEncoding.EncodeToString(s.PublicKey()) + "\n"
		ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(line), 0o644))
	}
}

// forge OUT VARIANT runs a ceremony in memory with a test device key and
// writes its transcript, signed, with one inconsistency the kiosk would
// never sign: see forgeries.
func forge(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: forge OUT VARIANT")
	}
	change, ok := forgeries[args[1]]
	if !ok {
		ts.Fatalf("unknown variant %q", args[1])
	}
	s := newSigner(ts)
	res, err := ceremony.Run(ceremony.Params{Network: descriptor.Regtest, Script: descriptor.P2WPKH, Threshold: 2, Total: 3, Words: 12, Software: "forge"},
		rand.Reader, time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), s)
	ts.Check(err)
	res.Wipe()
	t := res.Transcript
	change(&t)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), sign(ts, t, s), 0o644))
}

// forgeries change one thing in a genuine transcript.
var forgeries = map[string]func(t *ceremony.Transcript){
	"genuine": func(t *ceremony.Transcript) {},
	"fingerprint": func(t *ceremony.Transcript) {
		t.MasterFingerprint = "0badf00d"
	},
	"xpub": func(t *ceremony.Transcript) {
		// another account's key: a kiosk that reports a key it does not use
		t.AccountXpub = "tpubDC8msFGeGuwnKG9Upg7DM2b4DaRqg3CUZa5g8v2SRQ6K4NSkxUgd7HsL2XVWbVm39yBA4LAxysQAm397zwQSQoQgewGiYZqrA9DsP4zbQ1M"
	},
	"network": func(t *ceremony.Transcript) { t.Network = "mainnet" },
	"threshold": func(t *ceremony.Transcript) {
		t.Threshold = 1
	},
	"duplicate-share": func(t *ceremony.Transcript) {
		t.Shares[2].SHA256 = t.Shares[0].SHA256
	},
	"missing-share": func(t *ceremony.Transcript) {
		t.Shares = t.Shares[:2]
	},
	"cosigner": func(t *ceremony.Transcript) {
		t.Cosigner = strings.Replace(t.Cosigner, "["+t.MasterFingerprint, "[0badf00d", 1)
	},
	"path": func(t *ceremony.Transcript) {
		t.AccountPath = "m/84'/0'/0'"
	},
	"slip132": func(t *ceremony.Transcript) {
		t.AccountSLIP132 = ""
	},
}

// coordexport OUT [NAME NETWORK DESCRIPTOR]... writes what
// `airsign-coordinator --json wallets` prints for those wallets. A
// DESCRIPTOR naming a file is read as a transcript and stands for its
// wallet's descriptor; "multi:K:T1,T2,..." stands for the K-of-n
// wsh(sortedmulti) of the BIP48 cosigner keys of the transcripts T1, T2...
// (or of keys given as [origin]tpub)
func coordexport(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args)%3 != 1 {
		ts.Fatalf("usage: coordexport OUT [NAME NETWORK DESCRIPTOR]...")
	}
	type row struct {
		Name       string `json:"name"`
		Network    string `json:"network"`
		Birthday   int32  `json:"birthday"`
		Descriptor string `json:"descriptor"`
	}
	rows := []row{}
	for i := 1; i < len(args); i += 3 {
		rows = append(rows, row{args[i], args[i+1], 0, walletDescriptor(ts, args[i+2])})
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	ts.Check(enc.Encode(rows))
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b.Bytes(), 0o644))
}

// coordlog OUT KEYOUT [NAME NETWORK DESCRIPTOR]... writes what
// `airsign-coordinator audit export` writes for a coordinator that
// registered those wallets (DESCRIPTOR as for coordexport): an audit log,
// signed by a new identity key whose verifier key goes to KEYOUT, with a
// wallet-add entry for each, and the wallet list.
func coordlog(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args)%3 != 2 {
		ts.Fatalf("usage: coordlog OUT KEYOUT [NAME NETWORK DESCRIPTOR]...")
	}
	s := newSigner(ts)
	l, err := auditlog.Create(filepath.Join(ts.MkAbs(""), "coordlog-"+home.KeyID(s.PublicKey())+".log"), "airsign coordinator "+home.KeyID(s.PublicKey()), s)
	ts.Check(err)
	now := time.Date(2025, 3, 2, 9, 0, 0, 0, time.UTC)
	wallets := []coordinatorWallet{}
	for i := 2; i < len(args); i += 3 {
		desc := walletDescriptor(ts, args[i+2])
		for _, result := range []string{"started", "done"} {
			ts.Check(l.Append("wallet-add", map[string]any{"wallet": args[i], "descriptor": desc, "birthday": 0, "result": result}, now))
		}
		wallets = append(wallets, coordinatorWallet{Name: args[i], Network: args[i+1], Descriptor: desc, Created: now.Format(time.RFC3339)})
	}
	export, err := l.Export(0)
	ts.Check(err)
	out, err := json.MarshalIndent(coordinatorExport{Format: coordinatorExportFormat, Network: "regtest", Wallets: wallets, Log: export}, "", "  ")
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), append(out, '\n'), 0o644))
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(l.VerifierKey()+"\n"), 0o644))
}

// walletDescriptor is a DESCRIPTOR argument of coordexport as a descriptor.
func walletDescriptor(ts *testscript.TestScript, desc string) string {
	if spec, ok := strings.CutPrefix(desc, "multi:"); ok {
		return multisig(ts, spec)
	}
	if _, err := os.Stat(ts.MkAbs(desc)); err == nil {
		t, err := ceremony.VerifyTranscript([]byte(ts.ReadFile(desc)), nil)
		ts.Check(err)
		return t.Descriptor
	}
	return desc
}

func multisig(ts *testscript.TestScript, spec string) string {
	k, files, ok := strings.Cut(spec, ":")
	if !ok {
		ts.Fatalf("multi:%s is not multi:K:T1,T2,...", spec)
	}
	var keys []string
	for _, f := range strings.Split(files, ",") {
		if strings.HasPrefix(f, "[") { // a key of a seed no ceremony made
			keys = append(keys, f+"/<0;1>/*")
			continue
		}
		t, err := ceremony.VerifyTranscript([]byte(ts.ReadFile(f)), nil)
		ts.Check(err)
		keys = append(keys, t.Cosigner+"/<0;1>/*")
	}
	return "wsh(sortedmulti(" + k + "," + strings.Join(keys, ",") + "))"
}

func readShareFile(ts *testscript.TestScript, path string) *shamir.Share {
	s, err := shamir.Parse([]byte(ts.ReadFile(path)))
	ts.Check(err)
	return s
}

func shareWords(ts *testscript.TestScript, path string) []string {
	s := readShareFile(ts, path)
	defer s.Wipe()
	return strings.Fields(string(s.Words()))
}

// words SHARE OUT writes SHARE's words alone to OUT, as a custodian types
// them from a steel plate.
func words(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: words SHARE OUT")
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(strings.Join(shareWords(ts, args[0]), " ")+"\n"), 0o600))
}

// notprinted SHARE fails if the last command's output holds SHARE in any
// form: its QR text, or any two of its words in a row.
func notprinted(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: notprinted SHARE")
	}
	s := readShareFile(ts, args[0])
	qr := string(s.QRText())
	s.Wipe()
	out := strings.ToLower(ts.ReadFile("stdout") + ts.ReadFile("stderr"))
	if strings.Contains(out, strings.ToLower(qr)) || strings.Contains(out, "airsign-share") {
		ts.Fatalf("the output holds the share's QR text")
	}
	// Any three of the share's words in a row, as whole words. (Two would
	// be too few: English output may hold two BIP39 words side by side by
	// chance, "script record", and the share's words are random.)
	tokens := strings.FieldsFunc(out, func(r rune) bool { return r < 'a' || r > 'z' })
	printed := map[string]bool{}
	for i := 0; i+2 < len(tokens); i++ {
		printed[tokens[i]+" "+tokens[i+1]+" "+tokens[i+2]] = true
	}
	w := shareWords(ts, args[0])
	for i := 0; i+2 < len(w); i++ {
		if printed[w[i]+" "+w[i+1]+" "+w[i+2]] {
			ts.Fatalf("the output holds words %d to %d of the share", i+1, i+3)
		}
	}
}

// samehead A B OUT writes (as QR text) a valid share with A's header (set,
// index, threshold, total, wallet fingerprint) and B's secret value: a
// share that claims to be A but is not.
func samehead(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: samehead A B OUT")
	}
	a, b := readShareFile(ts, args[0]), readShareFile(ts, args[1])
	defer a.Wipe()
	defer b.Wipe()
	f := a.Clone()
	f.Y = append([]byte(nil), b.Y...)
	defer f.Wipe()
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), append(f.QRText(), '\n'), 0o600))
}

// misread SHARE N OUT writes SHARE's words to OUT with word N replaced by
// another BIP39 word, as a custodian misreading a steel plate would.
func misread(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: misread SHARE N OUT")
	}
	w := shareWords(ts, args[0])
	n, err := strconv.Atoi(args[1])
	if err != nil || n < 1 || n > len(w) {
		ts.Fatalf("word number %q is not 1 to %d", args[1], len(w))
	}
	if w[n-1] == "zoo" {
		w[n-1] = "abandon"
	} else {
		w[n-1] = "zoo"
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(strings.Join(w, " ")+"\n"), 0o600))
}

// flip IN OLD NEW OUT writes IN with the first OLD replaced by NEW to OUT,
// and fails if OLD is not there: a tampering that is sure to happen.
func flip(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: flip IN OLD NEW OUT")
	}
	data := ts.ReadFile(args[0])
	if !strings.Contains(data, args[1]) {
		ts.Fatalf("%s does not contain %q", args[0], args[1])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[3]), []byte(strings.Replace(data, args[1], args[2], 1)), 0o644))
}

// jsonreport fails unless the last command's stdout is one JSON object
// whose "ok" is the given true or false.
func jsonreport(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: jsonreport OK")
	}
	var v struct {
		OK *bool `json:"ok"`
	}
	dec := json.NewDecoder(strings.NewReader(ts.ReadFile("stdout")))
	if err := dec.Decode(&v); err != nil || dec.More() {
		ts.Fatalf("stdout is not one JSON object: %v", err)
	}
	if v.OK == nil || strconv.FormatBool(*v.OK) != args[0] {
		ts.Fatalf("stdout's ok is not %s", args[0])
	}
}

// csvreport HEADER ROWS fails unless the last command's stdout is CSV
// with the header HEADER (comma-separated) and ROWS rows after it.
func csvreport(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: csvreport HEADER ROWS")
	}
	recs, err := csv.NewReader(strings.NewReader(ts.ReadFile("stdout"))).ReadAll()
	ts.Check(err)
	if len(recs) == 0 || strings.Join(recs[0], ",") != args[0] {
		ts.Fatalf("the CSV's header is not %s", args[0])
	}
	if n := strconv.Itoa(len(recs) - 1); n != args[1] {
		ts.Fatalf("the CSV has %s rows, want %s", n, args[1])
	}
}

// htmlreport FILE fails unless FILE is a well-formed, self-contained
// HTML page: its tags balance, and it has no script, no event handler and
// nothing loaded from elsewhere.
func htmlreport(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: htmlreport FILE")
	}
	page := ts.ReadFile(args[0])
	lower := strings.ToLower(page)
	for _, bad := range []string{"<script", " on", "src=", "href=", "@import", "url("} {
		if bad == " on" {
			if regexp.MustCompile(`<[^>]*\son[a-z]+=`).MatchString(lower) {
				ts.Fatalf("%s has an event handler", args[0])
			}
			continue
		}
		if strings.Contains(lower, bad) {
			ts.Fatalf("%s holds %q", args[0], bad)
		}
	}
	if !strings.HasPrefix(page, "<!DOCTYPE html>") {
		ts.Fatalf("%s is not an HTML page", args[0])
	}
	// The tags balance, apart from the void elements.
	var open []string
	for _, m := range regexp.MustCompile(`<(/?)([a-z0-9]+)[^>]*>`).FindAllStringSubmatch(page, -1) {
		switch tag := m[2]; {
		case tag == "meta" || tag == "br":
		case m[1] == "":
			open = append(open, tag)
		case len(open) == 0 || open[len(open)-1] != tag:
			ts.Fatalf("%s: </%s> closes %v", args[0], tag, open)
		default:
			open = open[:len(open)-1]
		}
	}
	if len(open) != 0 {
		ts.Fatalf("%s: %v left open", args[0], open)
	}
}
