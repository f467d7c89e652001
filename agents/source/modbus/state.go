package modbus

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"sync"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/source/modbus/preset"
	"github.com/greenpulse-health/greenpulse/internal/atomicfile"
)

// StateFile is the name of the file, in the outbox folder, that keeps what
// the source must remember across restarts: each device's last published
// counters (so that one bad read right after a restart is not taken for a
// reset) and its serial number.
const StateFile = "modbus-state.json"

// deviceState is what is kept of one device.
type deviceState struct {
	Identity string             `json:"identity,omitempty"`
	Counters map[string]float64 `json:"counters,omitempty"`
	// CountersAt is when each counter last moved, so that a leap right
	// after a restart is still caught.
	CountersAt map[string]time.Time `json:"counters_at,omitempty"`
	// Fuel is the litres a generator controller's level drops added up to.
	Fuel *preset.FuelState `json:"fuel,omitempty"`
}

// stateEvery bounds how often the state file is written: counters change
// at every poll, and an SD card should not be rewritten every 10 s for a
// state that only guards. A crash loses at most this much of it, which
// costs nothing: the guard then compares with a slightly older, lower
// counter, and the fuel count takes up the level drop since then.
const stateEvery = time.Minute

// stateStore keeps the devices' state in a file; the buses' goroutines
// share it.
type stateStore struct {
	path    string
	mu      sync.Mutex
	all     map[string]deviceState
	pending bool      // changes not yet written
	written time.Time // when the file was last written
}

// openState reads path; a missing file is an empty state, an unreadable
// one is reported so that the caller can log it and start afresh.
func openState(path string) (*stateStore, error) {
	st := &stateStore{path: path, all: map[string]deviceState{}}
	if path == "" {
		return st, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read modbus state: %w", err)
	}
	if err := json.Unmarshal(data, &st.all); err != nil {
		st.all = map[string]deviceState{}
		return st, fmt.Errorf("modbus state %s: %w", path, err)
	}
	return st, nil
}

func (s *stateStore) get(device string) deviceState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.all[device]
}

// put records the state of a round's devices, by name, and writes the
// file if anything changed and it was not written in the last stateEvery;
// a device's new identity (a meter replaced) is written at once.
func (s *stateStore) put(round map[string]deviceState, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	urgent := false
	for name, ds := range round {
		if old, ok := s.all[name]; !ok || !equalState(old, ds) {
			urgent = urgent || old.Identity != ds.Identity
			s.all[name] = ds
			s.pending = true
		}
	}
	if !s.pending || (!urgent && now.Sub(s.written) < stateEvery) {
		return nil
	}
	s.written = now
	return s.writeLocked()
}

// flush writes what put has not written yet.
func (s *stateStore) flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.pending {
		return nil
	}
	return s.writeLocked()
}

func (s *stateStore) writeLocked() error {
	if s.path == "" {
		s.pending = false
		return nil
	}
	data, err := json.Marshal(s.all)
	if err != nil {
		return fmt.Errorf("encode modbus state: %w", err)
	}
	if err := atomicfile.Write(s.path, data); err != nil {
		return fmt.Errorf("write modbus state: %w", err) // still pending: tried again later
	}
	s.pending = false
	return nil
}

func equalState(a, b deviceState) bool {
	if a.Identity != b.Identity || !maps.Equal(a.Counters, b.Counters) || !maps.EqualFunc(a.CountersAt, b.CountersAt, time.Time.Equal) {
		return false
	}
	if (a.Fuel == nil) != (b.Fuel == nil) {
		return false
	}
	return a.Fuel == nil || *a.Fuel == *b.Fuel
}

// restore takes up what was kept of the device.
func (d *device) restore(ds deviceState) {
	d.identity = ds.Identity
	for f, v := range ds.Counters {
		d.guards[f] = &counterGuard{last: v, lastAt: ds.CountersAt[f], started: true}
	}
	if p, ok := d.poller.(*presetPoller); ok && ds.Fuel != nil {
		p.fuel.Restore(*ds.Fuel)
	}
}

// state is what must be kept of the device now.
func (d *device) state() deviceState {
	ds := deviceState{Identity: d.identity}
	for f, g := range d.guards {
		if g.started {
			if ds.Counters == nil {
				ds.Counters, ds.CountersAt = map[string]float64{}, map[string]time.Time{}
			}
			ds.Counters[f] = g.last
			if !g.lastAt.IsZero() {
				ds.CountersAt[f] = g.lastAt
			}
		}
	}
	if p, ok := d.poller.(*presetPoller); ok && p.opt.TankLitres > 0 {
		fs := p.fuel.State()
		ds.Fuel = &fs
	}
	return ds
}
