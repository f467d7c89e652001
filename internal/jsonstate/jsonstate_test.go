package jsonstate

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type doc struct {
	Format int      `json:"format"`
	Names  []string `json:"names"`
}

func TestSaveThenLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	var d doc
	if ok, err := Load(path, 1, &d, slog.New(slog.DiscardHandler), "state", "starting empty"); ok || err != nil {
		t.Fatalf("Load with no file: %v, %v; want false, nil", ok, err)
	}
	if err := Save(path, doc{Format: 1, Names: []string{"a", "b"}}); err != nil {
		t.Fatal(err)
	}
	if ok, err := Load(path, 1, &d, slog.New(slog.DiscardHandler), "state", "starting empty"); !ok || err != nil || strings.Join(d.Names, ",") != "a,b" {
		t.Fatalf("Load: %v, %v, %+v", ok, err, d)
	}
}

func TestBadFileIsKeptAside(t *testing.T) {
	tests := []struct{ name, content, why string }{
		{"not JSON", "{oops", "invalid character"},
		{"unknown format", `{"format": 2, "names": []}`, "unknown format 2"},
		{"no format", `{"names": []}`, "unknown format 0"},
		{"does not fit", `{"format": 1, "names": "a"}`, "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			var d doc
			ok, err := Load(path, 1, &d, slog.New(slog.NewTextHandler(&logs, nil)), "the list", "starting an empty one")
			if ok || err != nil {
				t.Fatalf("Load: %v, %v; want false, nil", ok, err)
			}
			if w := logs.String(); !strings.Contains(w, `msg="the list unreadable; starting an empty one"`) || !strings.Contains(w, tt.why) {
				t.Errorf("warning %q, want it to say why (%s)", w, tt.why)
			}
			if kept, err := os.ReadFile(path + BadSuffix); err != nil || string(kept) != tt.content {
				t.Errorf("kept as %q, %v", kept, err)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("the bad file is still at %s: %v", path, err)
			}
		})
	}
}

func TestUnreadableFileIsAnError(t *testing.T) {
	dir := t.TempDir() // a folder where a file is expected cannot be read
	var d doc
	if ok, err := Load(dir, 1, &d, slog.New(slog.DiscardHandler), "state", "starting empty"); ok || err == nil {
		t.Fatalf("Load of a folder: %v, %v; want an error", ok, err)
	}
}
