package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// interopDir is testdata/interop from this package.
var interopDir = filepath.Join("..", "..", "..", "testdata", "interop")

// callTimeout bounds one command to a tool: a hung library or Electrum
// fails its case instead of the whole run.
const callTimeout = 90 * time.Second

// maxAnswer caps one answer line from node: a runaway answer is an error,
// not a memory blow-up.
const maxAnswer = 16 << 20

// missingTools says what of node, the npm lockfile's packages and Electrum
// is not installed, as the fix to run.
func missingTools() []string {
	var missing []string
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node (Node.js 20 or later)")
	}
	if _, err := os.Stat(filepath.Join(interopDir, "node_modules", ".package-lock.json")); err != nil {
		missing = append(missing, "testdata/interop/node_modules (make deps runs npm ci there)")
	}
	if _, err := exec.LookPath("electrum"); err != nil {
		missing = append(missing, "electrum (apt-get install --no-install-recommends electrum)")
	}
	return missing
}

// nodeTools is one node process running tools.mjs: commands in, one JSON
// answer line each out, in order.
type nodeTools struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr *bytes.Buffer
	mu     sync.Mutex
	next   int
}

func startNode(t *testing.T) *nodeTools {
	t.Helper()
	cmd := exec.Command("node", "tools.mjs")
	cmd.Dir = interopDir
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	n := &nodeTools{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<16), stderr: &bytes.Buffer{}}
	cmd.Stderr = n.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting node tools.mjs: %v", err)
	}
	t.Cleanup(func() {
		in.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	return n
}

// call runs op with args and decodes its result into result.
func (n *nodeTools) call(op string, args map[string]any, result any) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.next++
	cmd := map[string]any{"id": n.next, "op": op}
	for k, v := range args {
		cmd[k] = v
	}
	line, err := json.Marshal(cmd)
	if err != nil {
		return err
	}
	if _, err := n.in.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("node %s: %v (stderr: %s)", op, err, n.stderr.String())
	}
	type answer struct {
		line []byte
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		var b []byte
		for {
			chunk, isPrefix, err := n.out.ReadLine()
			b = append(b, chunk...)
			if err != nil || !isPrefix {
				got <- answer{b, err}
				return
			}
			if len(b) > maxAnswer {
				got <- answer{nil, fmt.Errorf("answer longer than %d bytes", maxAnswer)}
				return
			}
		}
	}()
	var a answer
	select {
	case a = <-got:
	case <-time.After(callTimeout):
		n.cmd.Process.Kill()
		return fmt.Errorf("node %s: no answer in %v; node killed", op, callTimeout)
	}
	if a.err != nil {
		return fmt.Errorf("node %s: %v (stderr: %s)", op, a.err, n.stderr.String())
	}
	var resp struct {
		ID     int             `json:"id"`
		OK     bool            `json:"ok"`
		Result json.RawMessage `json:"result"`
		Error  string          `json:"error"`
	}
	if err := json.Unmarshal(a.line, &resp); err != nil {
		return fmt.Errorf("node %s: answer %.200q: %v", op, a.line, err)
	}
	if resp.ID != n.next {
		return fmt.Errorf("node %s: answer to command %d, want %d", op, resp.ID, n.next)
	}
	if !resp.OK {
		return errors.New(resp.Error)
	}
	if result == nil {
		return nil
	}
	return json.Unmarshal(resp.Result, result)
}

// electrum runs Debian's Electrum offline on regtest, each wallet a file
// in its own data directory.
type electrum struct {
	dir string
}

// run runs one electrum command and returns its standard output.
func (e *electrum) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	full := append([]string{"--regtest", "--offline", "-D", e.dir}, args...)
	cmd := exec.CommandContext(ctx, "electrum", full...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("electrum %s: %v: %s%s", args[0], err, strings.TrimSpace(out.String()), strings.TrimSpace(errb.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

// runJSON runs an electrum command whose output is JSON.
func (e *electrum) runJSON(result any, args ...string) error {
	out, err := e.run(args...)
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(out), result); err != nil {
		return fmt.Errorf("electrum %s: output %.300q: %v", args[0], out, err)
	}
	return nil
}
