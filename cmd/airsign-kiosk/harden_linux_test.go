package main

import (
	"syscall"
	"testing"
)

func TestHardenProcessDisablesCoreDumps(t *testing.T) {
	for _, w := range hardenProcess() {
		t.Log(w)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_CORE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur != 0 || lim.Max != 0 {
		t.Errorf("RLIMIT_CORE = %d/%d after hardening, want 0/0", lim.Cur, lim.Max)
	}
	const prGetDumpable = 3
	r, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prGetDumpable, 0, 0)
	if errno != 0 || r != 0 {
		t.Errorf("PR_GET_DUMPABLE = %d (errno %v), want 0", r, errno)
	}
}
