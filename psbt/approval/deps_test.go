package approval

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports states the package's import policy: the kiosk links it, so
// it imports the standard library and btcd only, and nothing that opens
// sockets or runs programs; and its own webauthn package and
// psbt/amount, which hold to the same. Tests may also import airsign/psbt.
func TestImports(t *testing.T) {
	forbidden := map[string]bool{"net": true, "net/http": true, "crypto/tls": true, "os/exec": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
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
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			btcd := strings.HasPrefix(path, "github.com/btcsuite/btcd/")
			std := !strings.Contains(strings.Split(path, "/")[0], ".") && !strings.HasPrefix(path, "airsign")
			own := path == "airsign/psbt/approval/webauthn" || path == "airsign/psbt/amount"
			switch {
			case forbidden[path]:
				t.Errorf("%s imports %s, which the kiosk must not link", name, path)
			case !std && !btcd && !own:
				t.Errorf("%s imports %s; package approval may import only std, btcd, its webauthn package and psbt/amount", name, path)
			}
			if path == "github.com/btcsuite/btcd/btcutil/psbt" && (imp.Name == nil || imp.Name.Name != "btcpsbt") {
				t.Errorf("%s imports btcd's psbt package without the alias btcpsbt", name)
			}
		}
	}
}
