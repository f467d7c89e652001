package dhis2

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLogKeepsPushesNewestFirst(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pushes.jsonl")
	l := NewLog(path)
	if recs, _, err := l.Latest(5); err != nil || len(recs) != 0 {
		t.Fatalf("missing log: %v, %v", recs, err)
	}
	for i, p := range []string{"202609", "202610", "202611"} {
		if err := l.Append(Record{Time: time.Unix(int64(i), 0).UTC(), Period: p, Values: i,
			Conflicts: []Conflict{{Facility: "F", Message: "m", Values: 1}}}); err != nil {
			t.Fatal(err)
		}
	}
	// A crash half-way through a line leaves a line that is not a record.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"time":"2026-12-0` + "\n")
	f.Close()

	recs, skipped, err := l.Latest(2)
	if err != nil || skipped != 1 || len(recs) != 2 || recs[0].Period != "202611" || recs[1].Period != "202610" || recs[0].Conflicts[0].Facility != "F" {
		t.Errorf("Latest(2) = %+v, skipped %d, %v", recs, skipped, err)
	}
	if err := l.Append(Record{Period: "202612"}); err != nil {
		t.Fatal(err)
	}
	if recs, _, _ := l.Latest(1); len(recs) != 1 || recs[0].Period != "202612" {
		t.Errorf("after a cut line, the next push is %+v", recs)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm()&0o007 != 0 {
		t.Errorf("push log mode %v: others may read it", info.Mode())
	}
}
