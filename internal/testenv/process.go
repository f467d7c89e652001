// Package testenv starts real Mosquitto and InfluxDB 1.8 processes on free
// loopback ports, in folders of their own, for integration tests and
// benchmarks. Nothing here talks to a service that someone started by hand:
// a broker that already listens on 1883 is never used.
//
// The plain API (NewMosquitto, NewInfluxDB, Start, Stop, Kill) returns errors
// for programs such as the benchmark; StartMosquitto and StartInfluxDB wrap it
// for tests, failing the test and registering cleanups.
//
// Each server runs in its own process group, so Stop and Kill reach all of
// it, and on Linux it is killed if the program that started it dies (a test
// binary that panics or times out leaves nothing behind).
package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrNotInstalled is wrapped by MosquittoPath and InfluxdPath when the
// binary is not found; scripts/install-deps.sh installs both.
var ErrNotInstalled = errors.New("not installed (run scripts/install-deps.sh)")

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago. It is
// safe for concurrent use.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free loopback port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// process is one server process in its own process group. Its methods are
// safe for concurrent use: mu serialises start, stop and kill, so a Stop
// that runs while Start waits for readiness waits its turn.
type process struct {
	name     string
	bin      string
	args     []string
	env      []string // nil: inherit the environment
	addr     string   // host:port it listens on; must be free before start
	outPath  string   // the process's stdout and stderr
	logPaths []string // logs to show, in this order, when something fails

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when cmd has exited
	waitErr error         // cmd.Wait's result, valid once done is closed
}

// start runs the process and polls ready until it succeeds. If the process
// exits, ready does not succeed within the given time, or ctx ends, the
// process is killed and the error includes the end of its logs.
func (p *process) start(ctx context.Context, within time.Duration, ready func(context.Context) error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		if !p.exitedLocked() {
			return fmt.Errorf("start %s: already running (pid %d)", p.name, p.cmd.Process.Pid)
		}
		p.cmd = nil // it died on its own; a restart is what the caller wants
	}
	// Something else on the port would answer the readiness check for us.
	if dialable(p.addr) == nil {
		return fmt.Errorf("start %s: %s is already in use by another process", p.name, p.addr)
	}
	out, err := os.OpenFile(p.outPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open %s output log: %w", p.name, err)
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = p.env
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = sysProcAttr()
	// The parent-death signal belongs to the thread that forks; keep this
	// goroutine on one thread until the fork is done (the thread lives on
	// after UnlockOSThread, as Go never ends unlocked threads).
	runtime.LockOSThread()
	err = cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		out.Close()
		return fmt.Errorf("start %s (%s): %w", p.name, p.bin, err)
	}
	done := make(chan struct{})
	go func() {
		p.waitErr = cmd.Wait()
		out.Close()
		close(done)
	}()
	p.cmd, p.done = cmd, done

	if err := p.waitReady(ctx, within, ready); err != nil {
		p.signalLocked(syscall.SIGKILL, 5*time.Second)
		return fmt.Errorf("start %s on %s: %w\n%s", p.name, p.addr, err, p.logTail())
	}
	return nil
}

// waitReady polls ready every 50 ms until it succeeds, the process exits, or
// ctx or the deadline ends.
func (p *process) waitReady(ctx context.Context, within time.Duration, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := ready(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("exited during start-up (%v): last check: %w", p.waitErr, err)
		case <-ctx.Done():
			return fmt.Errorf("not ready within %s (%w): last check: %w", within, ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// stop sends sig to the process group and waits until the process exits,
// escalating to SIGKILL after grace. Stopping a process that is not running
// is not an error; finding that it had died on its own is.
func (p *process) stop(sig syscall.Signal, grace time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return nil
	}
	if p.exitedLocked() {
		p.cmd = nil
		return fmt.Errorf("%s had exited on its own (%v)\n%s", p.name, p.waitErr, p.logTail())
	}
	return p.signalLocked(sig, grace)
}

func (p *process) signalLocked(sig syscall.Signal, grace time.Duration) error {
	pid := p.cmd.Process.Pid
	p.cmd = nil
	if err := syscall.Kill(-pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal %s process group %d: %w", p.name, pid, err)
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-p.done:
		return nil
	case <-timer.C:
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	<-p.done
	return fmt.Errorf("%s did not exit within %s of %s; killed it", p.name, grace, sig)
}

// pid returns the process id, or 0 when the process is not running.
func (p *process) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.exitedLocked() {
		return 0
	}
	return p.cmd.Process.Pid
}

func (p *process) exitedLocked() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// logTail returns the last lines of each log, for error messages.
func (p *process) logTail() string {
	var b strings.Builder
	for _, path := range p.logPaths {
		data, err := os.ReadFile(path)
		if err != nil || len(strings.TrimSpace(string(data))) == 0 {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if len(lines) > 20 {
			lines = lines[len(lines)-20:]
		}
		fmt.Fprintf(&b, "--- end of %s:\n%s\n", path, strings.Join(lines, "\n"))
	}
	if b.Len() == 0 {
		return "(its logs are empty)"
	}
	return b.String()
}

func dialable(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}
