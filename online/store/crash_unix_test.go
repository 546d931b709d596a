//go:build unix

package store

import (
	"context"
	"os"
	"os/exec"
	"reflect"
	"syscall"
	"testing"
)

const crashEnv = "AIRSIGN_STORE_CRASH_DB"

// TestApplyKilled kills a real process with SIGKILL in the middle of
// ApplyBlock's transaction (after the block row and credits are written,
// before Commit) and checks that the database it leaves behind opens in
// exactly the state before the block.
//
// This is the strongest fault a test can produce here: the OS stops the
// process at once, with SQLite's file handles, locks and WAL as they were.
// Power loss or a kernel crash (lost page cache, torn or reordered writes, a
// disk that lies about fsync) needs a VM or a fault-injecting block device,
// which a unit test does not have; for those we rely on SQLite's own tested
// WAL recovery and synchronous=FULL. On PostgreSQL the server rolls back
// the dead client's transaction.
func TestApplyKilled(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		if path := os.Getenv(crashEnv); path != "" {
			crashChild(t, path)
			return
		}
		ctx := context.Background()
		s, path := newStore(t)
		addWallet(t, s, "w")
		if err := s.ApplyBlock(ctx, update(1, []UTXO{utxo("w", op(1, 0), 1000)})); err != nil {
			t.Fatal(err)
		}
		before := snap(t, s, "w")
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}

		cmd := exec.Command(os.Args[0], "-test.run=^TestApplyKilled$/^"+backendOf(t).String()+"$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+path)
		out, err := cmd.CombinedOutput()
		ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("child did not die by SIGKILL: %v\n%s", err, out)
		}

		s2, err := Open(path)
		if err != nil {
			t.Fatalf("reopen after crash: %v", err)
		}
		defer s2.Close()
		if after := snap(t, s2, "w"); !reflect.DeepEqual(after, before) {
			t.Errorf("state after killed apply = %+v, want %+v", after, before)
		}
		b2 := update(2, []UTXO{utxo("w", op(2, 0), 500)})
		if err := s2.ApplyBlock(ctx, b2); err != nil {
			t.Fatalf("applying the block again after the crash: %v", err)
		}
	})
}

func crashChild(t *testing.T, path string) {
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.hook = func(at string) {
		if at == "spends" {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // wait for the signal; never reach Commit
		}
	}
	cs := make([]UTXO, 2000) // enough rows that pages are dirty in the cache
	for i := range cs {
		cs[i] = utxo("w", op(2, uint32(i)), 500)
	}
	s.ApplyBlock(context.Background(), update(2, cs, Spend{OutPoint: op(1, 0), Tx: h('t', 2)}))
	t.Fatal("ApplyBlock returned in the crash child; the hook should have killed it")
}
