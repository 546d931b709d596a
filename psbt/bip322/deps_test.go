package bip322

import (
	"go/build"
	"strings"
	"testing"
)

// TestImports states the package's import policy (DESIGN.md): the kiosk
// will link it, so it imports the standard library, btcd's modules and
// airsign/psbt only, and nothing that opens sockets or runs programs.
func TestImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range pkg.Imports {
		std := !strings.Contains(strings.Split(path, "/")[0], ".") && !strings.HasPrefix(path, "airsign")
		switch {
		case path == "net" || path == "net/http" || path == "crypto/tls" || path == "os/exec":
			t.Errorf("package bip322 imports %s, which the kiosk must not link", path)
		case !std && !strings.HasPrefix(path, "github.com/btcsuite/btcd/") && path != "airsign/psbt":
			t.Errorf("package bip322 imports %s; it may import only std, btcd and airsign/psbt", path)
		}
	}
}
