package pymodbustest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// process is pymodbus or socat, in a process group of its own. With
// control set, its stdin takes commands and its stdout gives one line per
// command (pymodbus); its stderr, and stdout otherwise, go to logPath,
// appended across restarts. Its methods are not safe for concurrent use;
// Server serialises them.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	control bool

	stdin   io.WriteCloser
	lines   chan string   // stdout lines, closed at EOF (control only)
	done    chan struct{} // closed when cmd has exited
	waitErr error         // cmd.Wait's result, valid once done is closed
}

func (p *process) start() error {
	log, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open %s log: %w", p.name, err)
	}
	fmt.Fprintf(log, "--- %s: %s\n", time.Now().Format(time.RFC3339Nano), strings.Join(p.cmd.Args, " "))
	p.cmd.Stderr = log
	p.cmd.Stdout = log
	var stdout io.ReadCloser
	if p.control {
		if p.stdin, err = p.cmd.StdinPipe(); err != nil {
			log.Close()
			return fmt.Errorf("%s stdin: %w", p.name, err)
		}
		p.cmd.Stdout = nil
		if stdout, err = p.cmd.StdoutPipe(); err != nil {
			log.Close()
			return fmt.Errorf("%s stdout: %w", p.name, err)
		}
	}
	p.cmd.SysProcAttr = sysProcAttr()
	// The parent-death signal belongs to the thread that forks; keep this
	// goroutine on one thread until the fork is done.
	runtime.LockOSThread()
	err = p.cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		log.Close()
		return fmt.Errorf("start %s (%s): %w", p.name, p.cmd.Path, err)
	}
	p.done = make(chan struct{})
	readDone := make(chan struct{})
	if p.control {
		p.lines = make(chan string, 16)
		go func() {
			defer close(readDone)
			defer close(p.lines)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				p.lines <- sc.Text()
			}
		}()
	} else {
		close(readDone)
	}
	go func() {
		// Wait closes stdout once the process has exited; reading it to
		// the end first keeps the last lines.
		<-readDone
		p.waitErr = p.cmd.Wait()
		log.Close()
		close(p.done)
	}()
	return nil
}

// ready waits for the line that starts with "ready" and returns it.
func (p *process) ready(within time.Duration) (string, error) {
	timer := time.NewTimer(within)
	defer timer.Stop()
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				<-p.done
				_ = p.stop()
				return "", fmt.Errorf("%s exited during start-up (%v)", p.name, p.waitErr)
			}
			if strings.HasPrefix(line, "ready") {
				return line, nil
			}
		case <-timer.C:
			_ = p.stop()
			return "", fmt.Errorf("%s did not say it was ready within %s", p.name, within)
		}
	}
}

// waitFor polls cond until it holds, the process exits or within ends.
func (p *process) waitFor(within time.Duration, cond func() bool) error {
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-p.done:
			return fmt.Errorf("%s exited during start-up (%v)\n%s", p.name, p.waitErr, p.logTail())
		case <-deadline.C:
			return fmt.Errorf("%s not ready within %s\n%s", p.name, within, p.logTail())
		case <-tick.C:
		}
	}
	return nil
}

// command sends cmd as one JSON line and waits for the answer.
func (p *process) command(cmd map[string]any) error {
	line, err := json.Marshal(cmd)
	if err != nil {
		return err
	}
	if _, err := p.stdin.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("send to %s: %w\n%s", p.name, err, p.logTail())
	}
	timer := time.NewTimer(5 * time.Second)
	defer timer.Stop()
	select {
	case answer, ok := <-p.lines:
		switch {
		case !ok:
			<-p.done
			return fmt.Errorf("%s exited (%v)\n%s", p.name, p.waitErr, p.logTail())
		case answer == "ok":
			return nil
		default:
			return errors.New(strings.TrimPrefix(answer, "error "))
		}
	case <-timer.C:
		return fmt.Errorf("%s did not answer within 5 s\n%s", p.name, p.logTail())
	}
}

// stop kills the process group and waits for it. Finding that the process
// had exited on its own is an error.
func (p *process) stop() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s had exited on its own (%v)\n%s", p.name, p.waitErr, p.logTail())
	default:
	}
	// Nothing to save, so no grace: SIGKILL is what a power cut does.
	if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill %s process group %d: %w", p.name, p.cmd.Process.Pid, err)
	}
	if p.control {
		p.stdin.Close()
		// Unread lines must not hold the reader, and so Wait, back.
		go func() {
			for range p.lines {
			}
		}()
	}
	<-p.done
	return nil
}

// exitCode returns the exit status once the process has exited, else -1.
func (p *process) exitCode() int {
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	default:
		return -1
	}
}

func (p *process) logTail() string {
	if tail := tailOf(p.logPath); tail != "" {
		return fmt.Sprintf("--- end of %s:\n%s", p.logPath, tail)
	}
	return fmt.Sprintf("(%s is empty)", p.logPath)
}

// tailOf returns the last 30 lines of the file at path, or "".
func tailOf(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}
