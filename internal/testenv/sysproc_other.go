//go:build unix && !linux

package testenv

import "syscall"

// sysProcAttr puts the server in a process group of its own, so that Stop
// and Kill reach all of it. Only Linux can also tie its life to ours; here a
// test binary that crashes before its cleanups run leaves it running.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
