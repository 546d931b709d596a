//go:build !linux

package daemon

import (
	"os/exec"
	"syscall"
)

// sysProcAttr has no parent-death signal outside Linux: t.Cleanup still stops
// the node, but a test binary killed from outside can leave btcd running.
func sysProcAttr() *syscall.SysProcAttr { return nil }

func startCmd(cmd *exec.Cmd) error { return cmd.Start() }
