package surge

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
)

// fakeScope sees the national aggregates, one governorate's areas and its
// facilities, like an officer.
type fakeScope struct{ gov string }

func (s fakeScope) SeesRow(level, area string) bool {
	switch level {
	case "national":
		return true
	case "governorate":
		return area == s.gov
	case "district":
		return strings.HasPrefix(area, s.gov[3:]+"-")
	}
	return strings.HasPrefix(area, s.gov[3:]+"-")
}
func (s fakeScope) SeesFacility(id string) bool { return strings.HasPrefix(id, s.gov[3:]+"-") }

// publicScope sees the national and governorate aggregates only, as
// public mode does.
type publicScope struct{}

func (publicScope) SeesRow(level, _ string) bool {
	return level == "national" || level == "governorate"
}
func (publicScope) SeesFacility(string) bool { return false }

func TestSurgeScoped(t *testing.T) {
	r := &fakeReader{}
	r.point(indicators.HazardousWasteKg, "KA-H-001", "2026-08-03", 5)
	r.point(indicators.HazardousWasteKg, "NA-H-001", "2026-08-03", 9)
	a := answer(t, newSurge(t, r), "test-2026")
	names := func(a *Answer) string {
		var out []string
		for _, x := range a.Areas {
			out = append(out, x.Area)
		}
		for _, f := range a.Facilities {
			out = append(out, f.Facility)
		}
		return strings.Join(out, ",") + " exceeded " + strings.Join(a.Exceeded, ",")
	}
	for _, tt := range []struct {
		name     string
		sc       Scope
		facility bool
		want     string
	}{
		{"officer of Karbala", fakeScope{"IQ-KA"}, true, "test-2026,IQ-KA,KA-KRB,KA-H-001,KA-P-001 exceeded KA-H-001"},
		{"officer of Najaf, no facility rows", fakeScope{"IQ-NA"}, false, "test-2026,IQ-NA,NA-NJF exceeded "},
		{"public: the governorates hold only some of their facilities", publicScope{}, false, "test-2026 exceeded "},
	} {
		if got := names(a.Scoped(tt.sc, tt.facility)); got != tt.want {
			t.Errorf("%s sees %s, want %s", tt.name, got, tt.want)
		}
	}
	if got := names(a); got != "test-2026,IQ-KA,IQ-NA,KA-KRB,NA-NJF,NA-H-001,KA-H-001,KA-P-001 exceeded NA-H-001,KA-H-001" {
		t.Errorf("Scoped changed the whole answer: %s", got)
	}
	// An event that lists one facility of Karbala and all of Najaf: its
	// Karbala row is that facility's own figures, which the public must
	// not see under the governorate's name; Najaf's row is Najaf's.
	mixed := testEvent()
	mixed.ID, mixed.Areas = "mixed-2026", []string{"KA-H-001", "IQ-NA"}
	m := answer(t, newSurge(t, r, mixed), "mixed-2026")
	if got := names(m.Scoped(publicScope{}, false)); got != "mixed-2026,IQ-NA exceeded " {
		t.Errorf("the public sees %s, want mixed-2026,IQ-NA", got)
	}
	if got := names(m.Scoped(fakeScope{"IQ-KA"}, true)); !strings.Contains(got, "IQ-KA,") {
		t.Errorf("Karbala's officer, who sees KA-H-001, does not see its row: %s", got)
	}
	// An event of one governorate is that governorate's figures.
	one := testEvent()
	one.ID, one.Areas = "karbala-2026", []string{"IQ-KA"}
	b := answer(t, newSurge(t, r, one), "karbala-2026")
	if got := names(b.Scoped(fakeScope{"IQ-NA"}, true)); strings.Contains(got, "karbala-2026") {
		t.Errorf("Najaf's officer sees Karbala's event total: %s", got)
	}
}

// TestSurgeCache: answers come from the cache until MaxAge; an older one
// is served while a new one is computed; Invalidate of an event's days
// makes the next request compute again.
func TestSurgeCache(t *testing.T) {
	r := &fakeReader{}
	r.point(indicators.WasteKg, "KA-H-001", "2026-08-03", 1)
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	s := New(r, testRegistry(t), []Event{testEvent()}, Options{Location: baghdad, MaxAge: time.Minute, Now: clock}, discard)
	reads := func() int { r.mu.Lock(); defer r.mu.Unlock(); return r.reads }
	first := answer(t, s, "test-2026")
	if reads() != 2 {
		t.Fatalf("%d reads, want the measures and the safely treated share", reads())
	}
	answer(t, s, "test-2026")
	if reads() != 2 {
		t.Errorf("a second request read again: %d reads", reads())
	}
	r.mu.Lock()
	r.rows[0].Value = 2
	r.mu.Unlock()
	advance(2 * time.Minute)
	if got := answer(t, s, "test-2026"); !got.ComputedAt.Equal(first.ComputedAt) {
		t.Errorf("an old answer is served while the new one is computed, got one of %s", got.ComputedAt)
	}
	waitFor(t, func() bool {
		a := answer(t, s, "test-2026")
		return a.Facilities[1].Days[0].Values[0].Value == 2 && a.ComputedAt.Equal(now)
	})
	before := reads()
	// A day outside the event and its baseline leaves the answer fresh.
	// (A stale one would be served at once and recomputed meanwhile, so
	// counting reads right after would not tell.)
	s.Invalidate(time.Date(2026, 9, 1, 0, 0, 0, 0, baghdad), time.Date(2026, 9, 2, 0, 0, 0, 0, baghdad))
	s.mu.Lock()
	stale := s.cache["test-2026"].core.stale
	s.mu.Unlock()
	if stale {
		t.Errorf("invalidating a day outside the event made its answer stale")
	}
	answer(t, s, "test-2026")
	s.Invalidate(time.Date(2026, 7, 25, 0, 0, 0, 0, baghdad), time.Date(2026, 7, 26, 0, 0, 0, 0, baghdad))
	waitFor(t, func() bool { answer(t, s, "test-2026"); return reads() == before+2 })
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
