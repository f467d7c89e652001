package alertlist

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/internal/jsonstate"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func open(t *testing.T, dir, facility string) *List {
	t.Helper()
	l, err := Open(dir, facility, quiet())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestRestartKeepsTheList: an agent restarted (while offline) shows the
// list it last received, and when; the file is the agent's only.
func TestRestartKeepsTheList(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 12, 1, 10, 6, 0, 0, time.FixedZone("AST", 3*3600))
	l := open(t, dir, "BG-H-001")
	if v := l.View(); len(v.Alerts) != 0 || v.Alerts == nil || !v.ReceivedAt.IsZero() {
		t.Fatalf("a new list: %+v", v)
	}
	bad := with(t, `{"id":"open_dumping.BG-H-001","severity":"urgent"}`)
	if err := l.Update([]byte("["+good+","+bad+"]"), at); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", info.Mode().Perm())
	}

	v := open(t, dir, "BG-H-001").View()
	if len(v.Alerts) != 1 || v.Alerts[0].ID != "open_burning.BG-H-001" || !v.ReceivedAt.Equal(at) || v.Skipped != 1 {
		t.Errorf("after a restart: %+v", v)
	}
}

func TestUpdate(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		payload string
		wantErr bool
		want    int // alerts listed after the update
		wantAt  time.Time
	}{
		{"a list replaces the one before", "[" + good + "]", false, 1, at.Add(time.Minute)},
		{"[] clears it", "[]", false, 0, at.Add(time.Minute)},
		{"a refused message keeps the one before", `{"alerts":[]}`, true, 2, at},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			l := open(t, dir, "BG-H-001")
			two := "[" + good + "," + with(t, `{"id":"open_dumping.BG-H-001"}`) + "]"
			if err := l.Update([]byte(two), at); err != nil {
				t.Fatal(err)
			}
			err := l.Update([]byte(tt.payload), at.Add(time.Minute))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Update: %v, want error %v", err, tt.wantErr)
			}
			for _, v := range []View{l.View(), open(t, dir, "BG-H-001").View()} {
				if len(v.Alerts) != tt.want || !v.ReceivedAt.Equal(tt.wantAt) {
					t.Errorf("list %d alerts received %v, want %d received %v", len(v.Alerts), v.ReceivedAt, tt.want, tt.wantAt)
				}
			}
		})
	}
}

func TestOpenSetsAsideWhatItCannotUse(t *testing.T) {
	tests := []struct {
		name     string
		content  string
		setAside bool
	}{
		{"not JSON", "{", true},
		{"an alert that fails its check", `{"format":1,"received_at":"2026-12-01T10:00:00Z","alerts":[{"id":"x","facility":"BG-H-001","severity":"urgent"}]}`, true},
		{"no received_at", `{"format":1,"alerts":[]}`, true},
		{"another format", `{"format":9,"received_at":"2026-12-01T10:00:00Z","alerts":[]}`, true},
		{"another facility's", `{"format":1,"received_at":"2026-12-01T10:00:00Z","alerts":[` + good + `]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			v := open(t, dir, "BG-H-002").View()
			if len(v.Alerts) != 0 || !v.ReceivedAt.IsZero() {
				t.Errorf("started with %+v", v)
			}
			if _, err := os.Stat(path + jsonstate.BadSuffix); (err == nil) != tt.setAside {
				t.Errorf("set aside: %v, want %v", err == nil, tt.setAside)
			}
		})
	}
}
