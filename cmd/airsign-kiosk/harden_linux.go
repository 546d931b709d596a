package main

import (
	"fmt"
	"syscall"
)

// hardenProcess keeps secrets in memory from reaching the disk: no core
// dumps (RLIMIT_CORE 0, and not dumpable, which also keeps other users'
// debuggers out), and all memory locked against swap when the process may
// lock without limit. Locking with a finite RLIMIT_MEMLOCK would make the Go
// runtime fail its next heap growth, so then it only warns.
func hardenProcess() []string {
	var warnings []string
	if err := syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{}); err != nil {
		warnings = append(warnings, fmt.Sprintf("cannot disable core dumps: %v", err))
	}
	const prSetDumpable = 4
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetDumpable, 0, 0); errno != 0 {
		warnings = append(warnings, fmt.Sprintf("cannot mark the process non-dumpable: %v", errno))
	}
	var lim syscall.Rlimit
	const rlimitMemlock = 8
	if err := syscall.Getrlimit(rlimitMemlock, &lim); err == nil && (lim.Cur == ^uint64(0) || syscall.Geteuid() == 0) {
		if err := syscall.Mlockall(syscall.MCL_CURRENT | syscall.MCL_FUTURE); err != nil {
			warnings = append(warnings, fmt.Sprintf("memory is not locked against swap: %v", err))
		}
	} else {
		warnings = append(warnings, fmt.Sprintf("memory is not locked against swap (RLIMIT_MEMLOCK is %d bytes): run as root, set the limit to unlimited, or disable swap on the kiosk", lim.Cur))
	}
	return warnings
}
