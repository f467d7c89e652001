package alertmanagertest

import "syscall"

// sysProcAttr puts Alertmanager in a process group of its own, so that
// stopping it reaches all of it, and has the kernel kill it when the
// program that started it dies, so that it cannot outlive a crashed test
// binary.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
