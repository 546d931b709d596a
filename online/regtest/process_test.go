package regtest

import (
	"airsign/online/regtest/internal/txtest"
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const childEnv = "AIRSIGN_REGTEST_CHILD"

// TestNodeDiesWithTestBinary re-runs this test binary as a child that starts
// a node, SIGKILLs the child (no cleanup can run), and checks that btcd
// dies too (PR_SET_PDEATHSIG).
func TestNodeDiesWithTestBinary(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		n := Start(t, Options{})
		fmt.Printf("BTCD_PID=%d\n", n.PID())
		os.Stdout.Sync()
		time.Sleep(time.Minute) // killed by the parent long before
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("parent-death signal is Linux only")
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestNodeDiesWithTestBinary$", "-test.v")
	// The child's t.TempDir lands in ours, so it is removed although the
	// child never gets to clean up.
	cmd.Env = append(os.Environ(), childEnv+"=1", "TMPDIR="+t.TempDir())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	pid := 0
	sc := bufio.NewScanner(out)
	deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "BTCD_PID="); ok {
			pid, _ = strconv.Atoi(v)
			break
		}
	}
	deadline.Stop()
	if pid == 0 {
		t.Fatal("child did not report a btcd pid")
	}
	if txtest.ProcessGone(pid) {
		t.Fatalf("btcd %d not running while the child lives", pid)
	}
	cmd.Process.Kill()
	cmd.Wait()
	// btcd is reparented and dies; a zombie is dead but not yet reaped by
	// its new parent.
	for end := time.Now().Add(time.Minute); !txtest.ProcessGone(pid) && !txtest.IsZombie(pid); {
		if time.Now().After(end) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("btcd %d survived its parent being killed", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
