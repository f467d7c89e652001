package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/ingest"
	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
)

func status(online bool) reading.AgentStatus { return reading.AgentStatus{Online: &online} }

// sending is an online status whose agent says the broker acknowledged
// sent readings since it started.
func sending(sent int64) reading.AgentStatus {
	s := status(true)
	s.Sent = &sent
	return s
}

// sent says the agent had n readings acknowledged since it came online.
func sent(s agentSeen, n int64) agentSeen { s.sent, s.sentKnown = n, true; return s }

func TestOnlineButSilent(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	for _, tc := range []struct {
		name   string
		seen   agentSeen
		silent bool
	}{
		{"online, readings arriving", sent(agentSeen{status: status(true), onlineSince: ago(time.Hour), lastReading: ago(time.Minute)}, 40), false},
		{"online longer than the grace, sending, nothing arrives", sent(agentSeen{status: status(true), onlineSince: ago(DefaultSilentGrace + time.Second)}, 40), true},
		{"online exactly the grace, sending, nothing arrives", sent(agentSeen{status: status(true), onlineSince: ago(DefaultSilentGrace)}, 1), true},
		{"online, nothing to send (idle, not silent)", sent(agentSeen{status: status(true), onlineSince: ago(time.Hour)}, 0), false},
		{"online, count not reported", agentSeen{status: status(true), onlineSince: ago(time.Hour)}, false},
		{"online, last reading from before it came online", sent(agentSeen{status: status(true), onlineSince: ago(time.Hour), lastReading: ago(2 * time.Hour)}, 40), true},
		{"online, a reading just before the status", sent(agentSeen{status: status(true), onlineSince: ago(time.Hour), lastReading: ago(time.Hour + silentSlack/2)}, 40), false},
		{"offline", sent(agentSeen{status: status(false), onlineSince: ago(time.Hour)}, 40), false},
		{"status without online", sent(agentSeen{status: reading.AgentStatus{Version: "1.0"}, onlineSince: ago(time.Hour)}, 40), false},
		{"online, status too recent", sent(agentSeen{status: status(true), onlineSince: ago(DefaultSilentGrace - time.Second)}, 40), false},
		{"online since unknown", sent(agentSeen{status: status(true)}, 40), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			since, silent := onlineButSilent(tc.seen, now, DefaultSilentGrace)
			if silent != tc.silent {
				t.Fatalf("silent = %v, want %v", silent, tc.silent)
			}
			if silent && !since.Equal(tc.seen.onlineSince) {
				t.Errorf("silent since %v, want the start of the online run %v", since, tc.seen.onlineSince)
			}
		})
	}
}

// TestSeenFromStatusBook checks what the API reads from the collector's
// own book: since when the agent has been online (not its last status,
// which it republishes every minute), and when readings arrived (not
// their timestamps, which a backlog has old).
func TestSeenFromStatusBook(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name   string
		feed   func(b *ingest.StatusBook)
		silent bool
	}{
		{"online an hour, sending, no reading", func(b *ingest.StatusBook) {
			b.Set("F", sending(0), now.Add(-time.Hour))
			b.Set("F", sending(120), now.Add(-time.Minute))
		}, true},
		{"online an hour, nothing sent", func(b *ingest.StatusBook) {
			b.Set("F", sending(7), now.Add(-time.Hour))
			b.Set("F", sending(7), now.Add(-time.Minute))
		}, false},
		{"online an hour, an agent that reports no count", func(b *ingest.StatusBook) {
			b.Set("F", status(true), now.Add(-time.Hour))
			b.Set("F", status(true), now.Add(-time.Minute))
		}, false},
		{"online an hour, a reading arriving now", func(b *ingest.StatusBook) {
			b.Set("F", sending(0), now.Add(-time.Hour))
			b.Set("F", sending(50), now.Add(-time.Minute))
			b.SawReading("F", now.Add(-30*time.Second), now)
		}, false},
		{"online an hour, a backlog of old timestamps arriving now", func(b *ingest.StatusBook) {
			b.Set("F", sending(0), now.Add(-time.Hour))
			b.Set("F", sending(5000), now.Add(-time.Minute))
			b.SawReading("F", now.Add(-72*time.Hour), now)
		}, false},
		{"online, then offline, then online again recently", func(b *ingest.StatusBook) {
			b.Set("F", sending(0), now.Add(-2*time.Hour))
			b.Set("F", status(false), now.Add(-time.Hour))
			b.Set("F", sending(10), now.Add(-2*time.Minute))
			b.Set("F", sending(30), now.Add(-time.Minute))
		}, false},
		{"offline an hour", func(b *ingest.StatusBook) {
			b.Set("F", status(false), now.Add(-time.Hour))
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := ingest.NewStatusBook()
			tc.feed(b)
			if _, silent := onlineButSilent(seen(b, "F"), time.Now(), DefaultSilentGrace); silent != tc.silent {
				t.Errorf("silent = %v, want %v", silent, tc.silent)
			}
		})
	}
}

// timestampsOnly is a Facilities that tells no arrival times or online
// runs: the API cannot tell what the agent sent, so judges nobody.
type timestampsOnly struct{ b *ingest.StatusBook }

func (f timestampsOnly) LastReading(id string) (time.Time, bool) { return f.b.LastReading(id) }
func (f timestampsOnly) Status(id string) (reading.AgentStatus, time.Time, bool) {
	return f.b.Status(id)
}

func TestSeenWithoutArrivals(t *testing.T) {
	now := time.Now()
	b := ingest.NewStatusBook()
	b.Set("G", sending(0), now.Add(-time.Hour))
	b.Set("G", sending(100), now.Add(-time.Minute))
	if _, silent := onlineButSilent(seen(timestampsOnly{b}, "G"), now, DefaultSilentGrace); silent {
		t.Error("judged silent without knowing what the agent sent since it came online")
	}
	if _, silent := onlineButSilent(seen(b, "G"), now, DefaultSilentGrace); !silent {
		t.Error("the book itself knows: 100 sent, none arrived")
	}
}

func TestFacilitiesOnlineButSilent(t *testing.T) {
	reg, err := registry.Load(filepath.Join("..", "..", "configs", "facilities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	book := ingest.NewStatusBook()
	book.Set("BG-H-001", sending(0), now.Add(-time.Hour)) // online, sending, nothing arrives
	book.Set("BG-H-001", sending(60), now.Add(-time.Minute))
	book.Set("BG-H-002", sending(0), now.Add(-time.Hour)) // online, readings arrive
	book.Set("BG-H-002", sending(60), now.Add(-time.Minute))
	book.SawReading("BG-H-002", now.Add(-time.Minute), now)
	book.Set("BG-P-001", sending(0), now.Add(-5*time.Minute)) // online, too recently to tell
	book.Set("BG-P-001", sending(5), now.Add(-time.Minute))
	book.Set("BG-P-002", status(false), now.Add(-time.Hour)) // offline
	book.SawReading("BA-H-001", now.Add(-time.Minute), now)  // readings, no status
	book.Set("BA-P-001", sending(3), now.Add(-time.Hour))    // online, nothing to send
	book.Set("BA-P-001", sending(3), now.Add(-time.Minute))

	list := func(a *API) (map[string]facility, map[string]map[string]json.RawMessage) {
		t.Helper()
		mux := http.NewServeMux()
		a.Register(mux)
		srv := httptest.NewServer(mux)
		defer srv.Close()
		_, _, body := get(t, srv.URL+"/api/v1/facilities", "")
		var typed []facility
		var raw []map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &typed); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(body), &raw); err != nil {
			t.Fatal(err)
		}
		byID, rawByID := map[string]facility{}, map[string]map[string]json.RawMessage{}
		for i, f := range typed {
			byID[f.ID], rawByID[f.ID] = f, raw[i]
		}
		return byID, rawByID
	}

	facs, raw := list(New(&fakeIndicators{}, book, reg, baghdad))
	for id, f := range facs {
		want := id == "BG-H-001"
		if f.OnlineButSilent != want {
			t.Errorf("%s: online_but_silent %v, want %v", id, f.OnlineButSilent, want)
		}
		if want {
			if f.SilentSince == nil || !f.SilentSince.Equal(now.Add(-time.Hour)) {
				t.Errorf("%s: silent_since %v, want the status's arrival %v", id, f.SilentSince, now.Add(-time.Hour))
			}
			continue
		}
		// Omitted, not false or null, for every other facility.
		for _, key := range []string{"online_but_silent", "silent_since"} {
			if v, ok := raw[id][key]; ok {
				t.Errorf("%s: %s is %s, want it omitted", id, key, v)
			}
		}
	}

	// A shorter grace, as the browser test sets: the facility online for
	// five minutes is now silent too.
	short := New(&fakeIndicators{}, book, reg, baghdad)
	short.SetSilentGrace(time.Minute)
	facs, _ = list(short)
	for _, id := range []string{"BG-H-001", "BG-P-001"} {
		if !facs[id].OnlineButSilent {
			t.Errorf("grace 1m: %s not online but silent", id)
		}
	}
	for _, id := range []string{"BG-H-002", "BG-P-002", "BA-H-001", "BA-P-001"} {
		if facs[id].OnlineButSilent {
			t.Errorf("grace 1m: %s online but silent", id)
		}
	}
}
