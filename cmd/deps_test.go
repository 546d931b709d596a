package cmd

// This test states the module's import policy, in the manner of Go's own
// go/build/deps_test.go: the kiosk is offline by construction, so its core
// cannot even link the network stack, and each layer of DESIGN.md imports
// only what its row allows.

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
)

// layers lists, for each folder of the module, the import-path prefixes its
// non-test code may import besides the standard library. A prefix ending in
// "/" matches everything below it; otherwise it matches exactly or as a parent.
var layers = []struct {
	dir   string
	allow []string
}{
	// psbt/auditlog, the Merkle log both sides keep, needs tlog and note.
	{"airsign/psbt", []string{"airsign/psbt", "github.com/btcsuite/", "golang.org/x/mod/sumdb/note", "golang.org/x/mod/sumdb/tlog"}},
	{"airsign/shamir", []string{"airsign/shamir", "github.com/hashicorp/vault/shamir", "github.com/tyler-smith/go-bip39"}},
	// The key core needs btcd for keys and go-bip39 for its word list;
	// argon2 and chacha20poly1305 seal the device key under the operator's
	// passphrase (offline/home).
	{"airsign/offline", []string{"airsign/offline", "airsign/psbt", "airsign/shamir", "github.com/btcsuite/", "github.com/tyler-smith/go-bip39",
		"golang.org/x/crypto/argon2", "golang.org/x/crypto/chacha20poly1305"}},
	// argon2 seals the approval keys under their users' passwords.
	// online/web serves ui/web's pages and assets. online/store speaks to
	// PostgreSQL through pgx (several coordinators on one database).
	{"airsign/online", []string{"airsign/online", "airsign/psbt", "airsign/ui/qr", "airsign/ui/web", "github.com/btcsuite/", "modernc.org/", "golang.org/x/crypto/argon2", "github.com/jackc/pgx/v5"}},
	{"airsign/ui/qr", []string{"airsign/ui/qr", "github.com/skip2/go-qrcode", "github.com/makiuchi-d/gozxing", "github.com/blackjack/webcam"}},
	// urwallet joins descriptors (psbt) and UR types (ui/qr), which must
	// not know each other; the kiosk app and the coordinator both use it.
	{"airsign/ui/urwallet", []string{"airsign/ui/urwallet", "airsign/psbt", "airsign/ui/qr", "github.com/btcsuite/"}},
	{"airsign/ui/kioskapp", []string{"airsign/ui/kioskapp", "airsign/offline", "airsign/psbt", "airsign/shamir", "airsign/ui/qr", "airsign/ui/urwallet", "fyne.io/fyne/v2"}},
	{"airsign/ui/web", nil},
	// Homes of shared values, each narrower than its layer: amounts (both
	// sides' one parser and formatter), the exclusive-create writer, and
	// WebAuthn verification, which the kiosk links, need nothing of ours.
	{"airsign/psbt/amount", []string{"github.com/btcsuite/btcd/btcutil"}},
	{"airsign/psbt/fileio", nil},
	{"airsign/psbt/approval/webauthn", nil},
	// The approver station is offline and knows no GUI or QR code.
	{"airsign/offline/approver", []string{"airsign/offline/home", "airsign/offline/kiosk", "airsign/psbt", "github.com/btcsuite/"}},
	// One error-to-HTTP mapping for the API and the pages.
	{"airsign/online/httperr", []string{"airsign/online/chain", "airsign/online/coordinator", "airsign/online/store", "airsign/psbt"}},
	// The btcd launcher programs use, apart from the test harness over it.
	{"airsign/online/regtest/daemon", []string{"github.com/btcsuite/"}},
	// The camera-frame reader: pixels in, text out.
	{"airsign/ui/qr/camread", []string{"github.com/makiuchi-d/gozxing"}},
	{"airsign/cmd", []string{""}}, // wiring: everything
}

// kioskCore must not reach these even transitively.
var kioskCore = []string{"airsign/offline", "airsign/psbt", "airsign/shamir", "airsign/ui/qr"}

var networkPackages = []string{"net/http", "crypto/tls", "os/exec"}

// guiAllowList is the only way the kiosk binary may reach networkPackages:
// fyne's core links net/http, so the GUI layer stays thin and is named here.
var guiAllowList = []string{"fyne.io/"}

// kioskDirect are packages no package of ours that the kiosk links may
// import directly.
var kioskDirect = append([]string{"net"}, networkPackages...)

// testOnly are the packages no program (nothing under airsign/cmd/) may
// link, matched exactly: package testing and the regtest test harness. The
// coordinator's regtest commands use the harness's launcher,
// airsign/online/regtest/daemon, which imports neither.
var testOnly = []string{"testing", "airsign/online/regtest"}

type pkg struct {
	ImportPath string
	Standard   bool
	Imports    []string
	Deps       []string
}

func matches(path, prefix string) bool {
	if prefix == "" {
		return true
	}
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(path, prefix)
	}
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

func matchesAny(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if matches(path, p) {
			return true
		}
	}
	return false
}

// violations applies the policy to a package graph and returns one sentence
// per broken rule, sorted.
func violations(pkgs map[string]*pkg) []string {
	var out []string
	for _, p := range pkgs {
		if !strings.HasPrefix(p.ImportPath, "airsign/") {
			continue
		}
		// layering
		for _, l := range layers {
			if !matches(p.ImportPath, l.dir) {
				continue
			}
			for _, imp := range p.Imports {
				if dep := pkgs[imp]; dep != nil && dep.Standard {
					continue
				}
				if !matchesAny(imp, l.allow) {
					out = append(out, p.ImportPath+" imports "+imp+", which "+l.dir+" may not import")
				}
			}
		}
		if matches(p.ImportPath, "airsign/offline") || matches(p.ImportPath, "airsign/online") {
			for _, imp := range p.Imports {
				if matches(p.ImportPath, "airsign/offline") && matches(imp, "airsign/online") ||
					matches(p.ImportPath, "airsign/online") && matches(imp, "airsign/offline") {
					out = append(out, p.ImportPath+" imports "+imp+": offline and online never import each other")
				}
			}
		}
		// programs never link test code
		if matches(p.ImportPath, "airsign/cmd") {
			for _, d := range p.Deps {
				if slices.Contains(testOnly, d) {
					out = append(out, p.ImportPath+" links "+d+" (through "+strings.Join(path(pkgs, p.ImportPath, d, nil), " -> ")+"): programs never link test code")
				}
			}
		}
		// the kiosk core never reaches the network stack or the coordinator
		if matchesAny(p.ImportPath, kioskCore) {
			for _, d := range p.Deps {
				if matchesAny(d, networkPackages) || matches(d, "airsign/online") {
					out = append(out, p.ImportPath+" reaches "+d+" (through "+strings.Join(path(pkgs, p.ImportPath, d, nil), " -> ")+"): the kiosk core must stay offline")
				}
			}
		}
	}
	// the kiosk binary reaches the network stack only through the GUI allow-list
	if _, ok := pkgs["airsign/cmd/airsign-kiosk"]; ok {
		for _, forbidden := range networkPackages {
			if via := path(pkgs, "airsign/cmd/airsign-kiosk", forbidden, guiAllowList); via != nil {
				out = append(out, "airsign-kiosk reaches "+forbidden+" outside the GUI allow-list: "+strings.Join(via, " -> "))
			}
		}
		reach := map[string]bool{"airsign/cmd/airsign-kiosk": true}
		for _, d := range pkgs["airsign/cmd/airsign-kiosk"].Deps {
			reach[d] = true
		}
		for path := range reach {
			p := pkgs[path]
			if p == nil || !strings.HasPrefix(path, "airsign/") {
				continue
			}
			for _, imp := range p.Imports {
				if matchesAny(imp, kioskDirect) || matches(imp, "airsign/online") {
					out = append(out, path+" imports "+imp+" and is linked into airsign-kiosk")
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// path finds an import chain from one package to another that does not pass
// through avoid, or nil.
func path(pkgs map[string]*pkg, from, to string, avoid []string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == to {
			var chain []string
			for c := cur; c != ""; c = prev[c] {
				chain = append([]string{c}, chain...)
			}
			return chain
		}
		p := pkgs[cur]
		if p == nil {
			continue
		}
		for _, imp := range p.Imports {
			if _, seen := prev[imp]; seen || matchesAny(imp, avoid) {
				continue
			}
			prev[imp] = cur
			queue = append(queue, imp)
		}
	}
	return nil
}

func loadPackages(t *testing.T) map[string]*pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Standard,Imports,Deps", "airsign/...")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]*pkg{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs[p.ImportPath] = &p
	}
	return pkgs
}

func TestImportPolicy(t *testing.T) {
	pkgs := loadPackages(t)
	if pkgs["airsign/cmd/airsign-kiosk"] == nil || pkgs["airsign/offline/ceremony"] == nil || pkgs["airsign/cmd/airsign-coordinator"] == nil {
		t.Fatal("go list did not report the kiosk's and the coordinator's packages; the policy would check nothing")
	}
	for _, v := range violations(pkgs) {
		t.Error(v)
	}
}

// The policy must be able to fail: each rule is shown a graph that breaks it.
func TestImportPolicyCatches(t *testing.T) {
	std := func(path string, imports ...string) *pkg {
		return &pkg{ImportPath: path, Standard: true, Imports: imports}
	}
	graph := func(ps ...*pkg) map[string]*pkg {
		m := map[string]*pkg{}
		for _, p := range ps {
			m[p.ImportPath] = p
		}
		// fill Deps as go list would
		for _, p := range ps {
			seen := map[string]bool{}
			var walk func(string)
			walk = func(s string) {
				for _, i := range m[s].Imports {
					if !seen[i] {
						seen[i] = true
						walk(i)
					}
				}
			}
			walk(p.ImportPath)
			for d := range seen {
				p.Deps = append(p.Deps, d)
			}
		}
		return m
	}
	tests := []struct {
		name  string
		graph map[string]*pkg
		want  string
	}{
		{
			"core reaches net/http through std",
			graph(&pkg{ImportPath: "airsign/psbt/x", Imports: []string{"expvar"}}, std("expvar", "net/http"), std("net/http")),
			"airsign/psbt/x reaches net/http (through airsign/psbt/x -> expvar -> net/http)",
		},
		{
			"offline imports online",
			graph(&pkg{ImportPath: "airsign/offline/a", Imports: []string{"airsign/online/b"}}, &pkg{ImportPath: "airsign/online/b"}),
			"offline and online never import each other",
		},
		{
			"shamir imports btcd",
			graph(&pkg{ImportPath: "airsign/shamir", Imports: []string{"github.com/btcsuite/btcd/btcec/v2"}}, &pkg{ImportPath: "github.com/btcsuite/btcd/btcec/v2"}),
			"airsign/shamir imports github.com/btcsuite/btcd/btcec/v2, which airsign/shamir may not import",
		},
		{
			"kiosk links net directly",
			graph(&pkg{ImportPath: "airsign/cmd/airsign-kiosk", Imports: []string{"net"}}, std("net")),
			"airsign/cmd/airsign-kiosk imports net and is linked into airsign-kiosk",
		},
		{
			"coordinator links the test harness",
			graph(&pkg{ImportPath: "airsign/cmd/airsign-coordinator", Imports: []string{"airsign/online/regtest"}},
				&pkg{ImportPath: "airsign/online/regtest", Imports: []string{"testing"}}, std("testing")),
			"airsign/cmd/airsign-coordinator links airsign/online/regtest (through airsign/cmd/airsign-coordinator -> airsign/online/regtest): programs never link test code",
		},
		{
			"audit links testing",
			graph(&pkg{ImportPath: "airsign/cmd/airsign-audit", Imports: []string{"testing"}}, std("testing")),
			"airsign/cmd/airsign-audit links testing (through airsign/cmd/airsign-audit -> testing)",
		},
		{
			"kiosk reaches net/http outside fyne",
			graph(&pkg{ImportPath: "airsign/cmd/airsign-kiosk", Imports: []string{"example.com/telemetry"}}, &pkg{ImportPath: "example.com/telemetry", Imports: []string{"net/http"}}, std("net/http")),
			"airsign-kiosk reaches net/http outside the GUI allow-list: airsign/cmd/airsign-kiosk -> example.com/telemetry -> net/http",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(violations(tt.graph), "\n")
			if !strings.Contains(got, tt.want) {
				t.Errorf("violations:\n%s\nwant one containing %q", got, tt.want)
			}
		})
	}
	// and through fyne it is allowed
	ok := graph(&pkg{ImportPath: "airsign/cmd/airsign-kiosk", Imports: []string{"fyne.io/fyne/v2/app"}}, &pkg{ImportPath: "fyne.io/fyne/v2/app", Imports: []string{"net/http"}}, std("net/http"))
	if v := violations(ok); len(v) != 0 {
		t.Errorf("fyne's net/http reported: %v", v)
	}
	// and the harness's launcher is not the harness
	launcher := graph(&pkg{ImportPath: "airsign/cmd/airsign-coordinator", Imports: []string{"airsign/online/regtest/daemon"}}, &pkg{ImportPath: "airsign/online/regtest/daemon"})
	if v := violations(launcher); len(v) != 0 {
		t.Errorf("the launcher reported as the harness: %v", v)
	}
}
