package provision

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/greenpulse-health/greenpulse/internal/atomicfile"
	"github.com/greenpulse-health/greenpulse/reading"
)

// stateFormat is the version of provision-state.json this code writes.
const stateFormat = 1

// state is provision-state.json: every secret provision made, so that a
// rerun keeps them. It is the one file to back up; every other file under
// the output folder is written again from it and the registry.
type state struct {
	Format    int    `json:"format"`
	Broker    string `json:"broker"`
	TopicRoot string `json:"topic_root"`
	TLS       bool   `json:"tls"`
	// Collector is the collector's broker account (CollectorUser).
	Collector *account `json:"collector,omitempty"`
	// Server is the broker's TLS certificate (no password).
	Server *account `json:"server,omitempty"`
	// Facilities holds one account per facility id, including those no
	// longer in the registry (kept so that a facility that comes back keeps
	// its secret; they leave the password file).
	Facilities map[string]*account `json:"facilities"`
}

// account is one broker login and, with TLS, its certificate.
type account struct {
	Password string    `json:"password,omitempty"`
	Hash     string    `json:"hash,omitempty"` // the password file field, kept so the file stays byte-identical
	Created  time.Time `json:"created"`
	Rotated  time.Time `json:"rotated,omitzero"`
	// Cert and Key are the PEM certificate and private key; Serial (hex)
	// and NotAfter repeat what the certificate says, for people and tools.
	Cert     string    `json:"cert,omitempty"`
	Key      string    `json:"key,omitempty"`
	Serial   string    `json:"serial,omitempty"`
	NotAfter time.Time `json:"not_after,omitzero"`
	Host     string    `json:"host,omitempty"` // server certificate only
}

// parseState decodes provision-state.json strictly: unknown fields, a
// format other than stateFormat, and accounts that fail check are errors,
// never a reason to start afresh (which would replace every secret).
func parseState(data []byte) (*state, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s state
	if err := dec.Decode(&s); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data after the JSON document")
	}
	if s.Format != stateFormat {
		return nil, fmt.Errorf("unknown format %d (want %d)", s.Format, stateFormat)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	s.normalize()
	return &s, nil
}

// normalize makes every time UTC, as this code writes them, so that a
// hand-edited offset survives a save and a reload unchanged.
func (s *state) normalize() {
	for _, a := range append([]*account{s.Collector, s.Server}, mapValues(s.Facilities)...) {
		if a != nil {
			a.Created, a.Rotated, a.NotAfter = a.Created.UTC(), a.Rotated.UTC(), a.NotAfter.UTC()
		}
	}
}

func mapValues(m map[string]*account) []*account {
	v := make([]*account, 0, len(m))
	for _, a := range m {
		v = append(v, a)
	}
	return v
}

// check validates what a rerun relies on.
func (s *state) check() error {
	var errs []error
	checkAcct := func(name string, a *account, login bool) {
		if a == nil {
			errs = append(errs, fmt.Errorf("%s: null", name))
			return
		}
		if login {
			if len(a.Password) != 24 || strings.Trim(a.Password, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
				errs = append(errs, fmt.Errorf("%s: password is not 24 URL-safe characters", name))
			} else if !strings.HasPrefix(a.Hash, "$7$101$") {
				errs = append(errs, fmt.Errorf("%s: hash is not $7$101$…", name))
			} else if ok, err := VerifyPassword(a.Hash, a.Password); err != nil || !ok {
				errs = append(errs, fmt.Errorf("%s: hash does not match the password", name))
			}
		}
		for _, tm := range []time.Time{a.Created, a.Rotated, a.NotAfter} {
			if y := tm.UTC().Year(); y < 1 || y > 9999 {
				errs = append(errs, fmt.Errorf("%s: a time is outside the years 1-9999", name))
				break
			}
		}
		if (a.Cert == "") != (a.Key == "") {
			errs = append(errs, fmt.Errorf("%s: cert and key go together", name))
		}
		if a.Cert != "" {
			if _, err := parseCert([]byte(a.Cert)); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
		}
	}
	if s.Collector != nil {
		checkAcct("collector", s.Collector, true)
	}
	if s.Server != nil {
		checkAcct("server", s.Server, false)
	}
	for id, a := range s.Facilities {
		if !reading.ValidName(id) {
			errs = append(errs, fmt.Errorf("facility %q: not a valid facility id", id))
			continue
		}
		checkAcct("facility "+id, a, true)
	}
	return errors.Join(errs...)
}

// loadState reads the state at path; no file gives an empty state.
func loadState(path string) (*state, bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return emptyState(), false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read state %s: %w", path, err)
	}
	s, err := parseState(data)
	if err != nil {
		// The decoder's messages quote no values, so no secret leaks here.
		return nil, false, fmt.Errorf("state %s: %w (fix or restore it from a backup; deleting it would replace every password and certificate)", path, err)
	}
	if s.Facilities == nil {
		s.Facilities = map[string]*account{}
	}
	return s, true, nil
}

func emptyState() *state {
	return &state{Format: stateFormat, Facilities: map[string]*account{}}
}

// hasCert says whether any account holds a certificate (signed by ca/).
func (s *state) hasCert() bool {
	if s.Collector != nil && s.Collector.Cert != "" || s.Server != nil && s.Server.Cert != "" {
		return true
	}
	for _, a := range s.Facilities {
		if a != nil && a.Cert != "" {
			return true
		}
	}
	return false
}

func saveState(path string, s *state) error {
	data, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(data, '\n'))
}
