package pymodbustest

import "syscall"

// sysProcAttr puts a server in a process group of its own, so that stop
// reaches all of it, and has the kernel kill it when the thread that started
// it dies, so that it cannot outlive a crashed test binary.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
