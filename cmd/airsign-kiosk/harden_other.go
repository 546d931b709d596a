//go:build !linux

package main

func hardenProcess() []string {
	return []string{"memory locking and core-dump protection are only implemented on Linux"}
}
