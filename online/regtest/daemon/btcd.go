package daemon

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// BtcdPath returns the path of the btcd binary Launch runs, building it on
// first use (see the package documentation).
func BtcdPath() (string, error) {
	binOnce.Do(func() { binPath, binErr = findBtcd() })
	return binPath, binErr
}

func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "go"
}

func findBtcd() (string, error) {
	if p := os.Getenv("AIRSIGN_BTCD"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("AIRSIGN_BTCD: %w", err)
		}
		return p, nil
	}
	// A btcd next to the running program: `make build` puts one in bin/
	// beside airsign-coordinator, so the binaries work outside the source
	// tree.
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "btcd")
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	goCmd := goCommand()
	var errs []error
	// `go tool -n btcd` builds the tool into the build cache and prints
	// the cached binary's path.
	cmd := exec.Command(goCmd, "tool", "-n", "btcd")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		p := strings.TrimSpace(lines[len(lines)-1])
		if st, serr := os.Stat(p); serr == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
		errs = append(errs, fmt.Errorf("go tool -n btcd printed %q, not an executable", p))
	} else {
		errs = append(errs, fmt.Errorf("go tool -n btcd: %v: %s", err, stderr.String()))
	}
	// Fallback: build into a stable per-user directory, atomically.
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("airsign-regtest-btcd-%d", os.Getuid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", errors.Join(append(errs, err)...)
	}
	tmp, err := os.CreateTemp(dir, "btcd-build-*")
	if err != nil {
		return "", errors.Join(append(errs, err)...)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	build := exec.Command(goCmd, "build", "-o", tmp.Name(), "github.com/btcsuite/btcd")
	if out, err := build.CombinedOutput(); err != nil {
		return "", errors.Join(append(errs, fmt.Errorf("go build btcd: %v: %s", err, out))...)
	}
	final := filepath.Join(dir, "btcd")
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", errors.Join(append(errs, err)...)
	}
	return final, nil
}
