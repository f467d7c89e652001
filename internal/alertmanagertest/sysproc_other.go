//go:build unix && !linux

package alertmanagertest

import "syscall"

// sysProcAttr puts Alertmanager in a process group of its own, so that
// stopping it reaches all of it. Only Linux can also tie its life to ours;
// here a test binary that crashes before its cleanups run leaves it
// running.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
