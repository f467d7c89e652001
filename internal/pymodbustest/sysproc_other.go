//go:build unix && !linux

package pymodbustest

import "syscall"

// sysProcAttr puts a server in a process group of its own, so that stop
// reaches all of it. Only Linux can also tie its life to ours; elsewhere
// pymodbus still exits when its stdin closes, but socat would live on after
// a crashed test binary.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
