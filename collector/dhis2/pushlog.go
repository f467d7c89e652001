package dhis2

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
)

// Log is the push log: one JSON line per push, appended, so that the
// serve process's schedule and a `dhis2 push` by hand add to the same
// file. It is safe for concurrent use within a process; across processes
// each line is one write to a file opened for appending.
type Log struct {
	path string
	mu   sync.Mutex
}

// NewLog returns the log kept at path.
func NewLog(path string) *Log { return &Log{path: path} }

// Append adds r as the last line.
func (l *Log) Append(r Record) error {
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode push record: %w", err)
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("open push log: %w", err)
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return fmt.Errorf("write push log %s: %w", l.path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close push log %s: %w", l.path, err)
	}
	return nil
}

// maxLogLine bounds one record as read back. A record keeps at most
// maxConflicts conflicts (about 150 KB); the bound only keeps a damaged
// file from being read whole into one line.
const maxLogLine = 64 << 20

// Latest returns up to n records, newest first. A missing log has none. A
// line that is not a record (a write cut short by a crash) is skipped and
// counted in the error-free second result.
func (l *Log) Latest(n int) (records []Record, skipped int, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	data, err := os.ReadFile(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		return []Record{}, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read push log: %w", err)
	}
	var all []Record
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxLogLine)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil || r.Period == "" {
			skipped++
			continue
		}
		all = append(all, r)
	}
	if err := sc.Err(); err != nil {
		return nil, skipped, fmt.Errorf("read push log %s: %w", l.path, err)
	}
	out := make([]Record, 0, min(n, len(all)))
	for i := len(all) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, all[i])
	}
	return out, skipped, nil
}
