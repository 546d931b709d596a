package webauthn

import (
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports states the package's import policy: the kiosk links it, so
// its non-test files import the Go standard library only, and nothing that
// opens sockets or runs programs.
func TestImports(t *testing.T) {
	forbidden := map[string]bool{"net": true, "net/http": true, "crypto/tls": true, "os/exec": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case forbidden[path]:
				t.Errorf("%s imports %s, which the kiosk must not link", name, path)
			case !isStd(path):
				t.Errorf("%s imports %s; package webauthn may import only the standard library", name, path)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no non-test files found")
	}
}

// isStd reports whether path is a standard library package: its first
// element has no dot, and the Go toolchain finds it in GOROOT.
func isStd(path string) bool {
	if strings.Contains(strings.Split(path, "/")[0], ".") || path == "airsign" || strings.HasPrefix(path, "airsign/") {
		return false
	}
	p, err := build.Import(path, "", build.FindOnly)
	return err == nil && p.Goroot
}
