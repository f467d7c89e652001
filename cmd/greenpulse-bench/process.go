package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// child is a process the bench started: an agent, the collector, Telegraf.
type child struct{ cmd *exec.Cmd }

func (c child) pid() int { return c.cmd.Process.Pid }

// stop asks the process to end (SIGTERM, so that it drains as in service)
// and kills it if it has not within 30 s.
func (c child) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}

// peakRSS reads the kernel's high-water mark of a process's resident set.
func peakRSS(pid int) int64 {
	return procStatusBytes(pid, "VmHWM:")
}

func procStatusBytes(pid int, key string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// cpuUse is CPU seconds by process: consumer, influxd, mosquitto and load
// (the bench itself: the load generator, and the bare subscriber in its
// run).
type cpuUse map[string]float64

// cpuMeter reports the CPU time each process used since it was made, so
// that the figures show where a 2-core machine's time goes.
type cpuMeter struct {
	pids  map[string]int
	start map[string]float64
}

func newCPUMeter(pids map[string]int) *cpuMeter {
	c := &cpuMeter{pids: pids, start: map[string]float64{}}
	for name, pid := range pids {
		c.start[name] = cpuSeconds(pid)
	}
	return c
}

func (c *cpuMeter) since() cpuUse {
	u := cpuUse{}
	for name, pid := range c.pids {
		u[name] = cpuSeconds(pid) - c.start[name]
	}
	return u
}

// cpuSeconds reads utime+stime from /proc/<pid>/stat (clock ticks of 1/100 s
// on Linux).
func cpuSeconds(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the parenthesised command name, which may hold spaces.
	rest := string(data[strings.LastIndexByte(string(data), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), ":"))
		}
	}
	return "unknown CPU"
}

// machineBusySeconds reads, from the first line of /proc/stat, the CPU
// seconds all cores together have spent on anything but idling and waiting
// for I/O since boot: the machine's own count, which includes what no
// measured process shows (the kernel's network work, other processes).
func machineBusySeconds() float64 {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0
	}
	var busy float64
	for i, v := range f[1:] {
		n, _ := strconv.ParseFloat(v, 64)
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		if i >= 8 { // guest time is counted in user time already
			break
		}
		busy += n
	}
	return busy / 100
}
