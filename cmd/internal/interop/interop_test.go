package interop

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// pending are the cases that fail until a fix of issue 21 lands, each with
// the item that fixes it. Such a case still runs and prints FAIL (pending:
// …) without failing the test; one that passes fails the test until its
// name is taken off this list, so the list only shrinks and hides no
// regression. Keys are "case tool".
//
// Empty since the last fixes landed; a tool's known limitation is a case
// that checks the limitation (export-import/ur-output-tr-unsupported), not
// an entry here.
var pending = map[string]string{}

// casesFlag runs only the cases whose "case tool" matches, to work on a
// few: go test -run TestInterop ./cmd/internal/interop -args -interop.cases=multisig
var casesFlag = flag.String("interop.cases", "", "run only the interop cases whose \"case tool\" matches this regular expression")

// result is one case's outcome for one tool.
type result struct {
	name, tool string
	err        error
}

// suite runs the cases in order and reports each as it ends.
type suite struct {
	t        *testing.T
	only     *regexp.Regexp // nil: every case
	w        *world
	js       *nodeTools
	el       *electrum
	versions map[string]string // by tool name as printed
	results  []result
}

// toolPackages maps a case's tool to the package whose version it reports.
var toolPackages = map[string]string{
	"bitcoinjs":    "bitcoinjs-lib",
	"scure":        "@scure/btc-signer",
	"bitcoinerlab": "@bitcoinerlab/descriptors",
	"caravan":      "@caravan/psbt",
	"caravan-btc":  "@caravan/bitcoin",
	"bc-ur":        "@ngraveio/bc-ur",
	"keystone":     "@keystonehq/bc-ur-registry",
	"bbqr":         "bbqr",
	"bip322-js":    "bip322-js",
}

// version is the tool's version; a case of two tools ("bitcoinjs+electrum")
// has both.
func (s *suite) version(tool string) string {
	if a, b, ok := strings.Cut(tool, "+"); ok {
		return s.version(a) + "+" + b + "@" + s.version(b)
	}
	if v, ok := s.versions[tool]; ok {
		return v
	}
	return "?"
}

// run runs one case for one tool and prints its line.
func (s *suite) run(name, tool string, f func() error) {
	s.t.Helper()
	if s.only != nil && !s.only.MatchString(name+" "+tool) {
		return
	}
	err := f()
	s.results = append(s.results, result{name, tool, err})
	key := name + " " + tool
	why, isPending := pending[key]
	line := fmt.Sprintf("%s@%s", tool, s.version(tool))
	switch {
	case err == nil && !isPending:
		fmt.Printf("PASS %s %s\n", name, line)
	case err == nil:
		fmt.Printf("PASS %s %s (listed as pending: %s)\n", name, line, why)
		s.t.Errorf("%s now passes: take it off the pending list in interop_test.go", key)
	case isPending:
		fmt.Printf("FAIL (pending: %s) %s %s: %v\n", why, name, line, err)
	default:
		fmt.Printf("FAIL %s %s: %v\n", name, line, err)
		s.t.Errorf("%s %s: %v", name, line, err)
	}
}

// TestInterop is the conformance suite: make interop runs it with -v, and
// make test with the rest. Without node, its npm packages or Electrum it
// skips, and fails under AIRSIGN_REQUIRE_TOOLS=1 (CI).
func TestInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("the conformance suite starts btcd, node and Electrum; not with -short")
	}
	if missing := missingTools(); len(missing) > 0 {
		msg := "interop: missing " + strings.Join(missing, ", ") + "; make deps installs them"
		if os.Getenv("AIRSIGN_REQUIRE_TOOLS") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	s := &suite{t: t, js: startNode(t), el: &electrum{dir: t.TempDir()}, versions: map[string]string{}}
	if *casesFlag != "" {
		var err error
		if s.only, err = regexp.Compile(*casesFlag); err != nil {
			t.Fatalf("-interop.cases: %v", err)
		}
	}
	var npm map[string]string
	if err := s.js.call("versions", nil, &npm); err != nil {
		t.Fatalf("node tools: %v", err)
	}
	for tool, pkg := range toolPackages {
		s.versions[tool] = npm[pkg]
	}
	ev, err := s.el.run("version")
	if err != nil {
		t.Fatal(err)
	}
	s.versions["electrum"] = ev
	s.versions["qrencode"] = qrencodeVersion()
	s.w = newWorld(t)

	s.qrCases()
	s.exportCases()
	s.kioskCases()
	s.coordinatorCases()
	s.multisigCases()
	s.cliCases()
	s.bip322Cases()

	ran := map[string]bool{}
	for _, r := range s.results {
		ran[r.name+" "+r.tool] = true
	}
	var stale []string
	for k := range pending {
		if !ran[k] && s.only == nil {
			stale = append(stale, k)
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Errorf("pending cases that no longer exist (take them off the list): %s", strings.Join(stale, "; "))
	}
	s.summary()
}

// summary prints the matrix's counts, as docs/interop.md shows them.
func (s *suite) summary() {
	var pass, fail, pend int
	tools := map[string]bool{}
	for _, r := range s.results {
		tools[r.tool] = true
		switch _, p := pending[r.name+" "+r.tool]; {
		case r.err == nil:
			pass++
		case p:
			pend++
		default:
			fail++
		}
	}
	var names []string
	for tool := range tools {
		names = append(names, tool+"@"+s.version(tool))
	}
	slices.Sort(names)
	// Not "N passed, N failed": CI reads such a line as the run's own count.
	fmt.Printf("interop summary: pass %d, fail %d, pending %d; tools %s\n", pass, fail, pend, strings.Join(names, " "))
}
