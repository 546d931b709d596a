package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"airsign/shamir"
)

// The script tests drive airsign-kiosk as an operator would, in the style of
// age's cmd/age/testdata: testdata/script/*.txtar.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"airsign-kiosk": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"misread":   misread,
			"swapwords": swapwords,
		},
	})
}

// misread SHARE N OUT writes SHARE's words to OUT with word N replaced by
// another BIP39 word, as a custodian misreading a steel plate would.
func misread(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: misread SHARE N OUT")
	}
	words := shareWords(ts, args[0])
	n := atoi(ts, args[1])
	if words[n-1] == "zoo" {
		words[n-1] = "abandon"
	} else {
		words[n-1] = "zoo"
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(strings.Join(words, " ")+"\n"), 0o600))
}

// swapwords SHARE I J OUT writes SHARE's words to OUT with words I and J
// swapped.
func swapwords(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: swapwords SHARE I J OUT")
	}
	words := shareWords(ts, args[0])
	i, j := atoi(ts, args[1])-1, atoi(ts, args[2])-1
	if words[i] == words[j] {
		ts.Fatalf("words %d and %d are the same; pick others", i+1, j+1)
	}
	words[i], words[j] = words[j], words[i]
	ts.Check(os.WriteFile(ts.MkAbs(args[3]), []byte(strings.Join(words, " ")+"\n"), 0o600))
}

func shareWords(ts *testscript.TestScript, path string) []string {
	s, err := shamir.Parse([]byte(ts.ReadFile(path)))
	ts.Check(err)
	return strings.Fields(string(bytes.Clone(s.Words())))
}

func atoi(ts *testscript.TestScript, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		ts.Fatalf("%s: %v", s, fmt.Errorf("want a word number from 1"))
	}
	return n
}
