package collector_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector"
	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
	"github.com/greenpulse-health/greenpulse/registry"
	"github.com/greenpulse-health/greenpulse/registry/events"
)

func eventDate(t testing.TB, s string) events.Date {
	t.Helper()
	d, err := events.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// surgeAnswer is what the test reads of GET /api/v1/surge?event=ID.
type surgeAnswer struct {
	Event struct {
		ID       string  `json:"id"`
		Previous *string `json:"previous"`
	} `json:"event"`
	Areas []struct {
		Level string `json:"level"`
		Area  string `json:"area"`
		Days  []struct {
			Day    string                         `json:"day"`
			Values map[string]map[string]*float64 `json:"values"`
		} `json:"days"`
	} `json:"areas"`
	Facilities []struct {
		Facility    string   `json:"facility"`
		SurgeFactor *float64 `json:"surge_factor"`
	} `json:"facilities"`
	Previous *struct {
		Event string `json:"event"`
	} `json:"previous"`
	ComputedAt time.Time `json:"computed_at"`
}

func getSurge(t testing.TB, base, id string) (int, surgeAnswer, string) {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/surge?event=" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var a surgeAnswer
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &a); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
	}
	return resp.StatusCode, a, string(body)
}

// TestSurgeThroughTheCollector configures two years of an event over two
// Karbala facilities, rolls up their waste, and reads the comparison from
// a running collector; a late reading rolled up by POST /api/v1/rollup
// shows in the next answers (the roll-up tells the answer it is stale).
// Rolling up August again takes most of its time: a month reduces each
// of its days.
func TestSurgeThroughTheCollector(t *testing.T) {
	s := startStack(t)
	cfg := s.config(t)
	cfg.Rollup.Enabled = true
	// The start's catch-up covers yesterday and today, not last month
	// too, so that the test's POST /api/v1/rollup is not queued behind it.
	cfg.Rollup.RecentDays = 1
	cfg.HTTP.AdminToken = "surge-admin-token"
	ev := func(id, first, last string) config.Event {
		return config.Event{Event: events.Event{ID: id, Name: id, NameAr: "حدث", Series: "test", Areas: []string{"KA-H-001", "KA-P-001"},
			First: eventDate(t, first), Last: eventDate(t, last)}, BaselineWeeks: 1}
	}
	cfg.Events.List = []config.Event{ev("test-2025", "2025-08-14", "2025-08-16"), ev("test-2026", "2026-08-03", "2026-08-05")}
	loc, _ := cfg.Rollup.Location()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store := influx.New(cfg.InfluxDB, log)
	t.Cleanup(store.Close)
	ctx := context.Background()
	if err := store.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	waste := func(facility, day string, hour int, kg float64) string {
		ts := eventDate(t, day).In(loc).Add(time.Duration(hour) * time.Hour).UnixNano()
		return fmt.Sprintf("waste,facility=%s,category=sharps,treatment=autoclave mass_kg=%g %d\n", facility, kg, ts)
	}
	lp := waste("KA-H-001", "2026-07-27", 9, 10) + waste("KA-H-001", "2026-08-03", 9, 40) + waste("KA-P-001", "2026-08-04", 9, 3) +
		waste("KA-H-001", "2025-08-14", 9, 7)
	if err := store.Write(ctx, []byte(lp)); err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Load(cfg.Registry)
	if err != nil {
		t.Fatal(err)
	}
	roll, rstore := collector.NewRollup(cfg, loc, reg, log)
	t.Cleanup(rstore.Close)
	// The days with readings are enough: a day without waste points
	// counts 0 (months are the collector's POST /api/v1/rollup below).
	for _, d := range []string{"2026-07-27", "2026-08-03", "2026-08-04", "2025-08-14"} {
		if _, err := roll.Period(ctx, indicators.PeriodOf(indicators.Day, eventDate(t, d).In(loc), loc)); err != nil {
			t.Fatal(err)
		}
	}
	runCollector(t, cfg)
	base := "http://" + cfg.HTTP.Listen

	resp, err := http.Get(base + "/api/v1/surge")
	if err != nil {
		t.Fatal(err)
	}
	list, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(list), `"id":"test-2026"`) || !strings.Contains(string(list), `"previous":"test-2025"`) {
		t.Errorf("GET /api/v1/surge: %s", list)
	}
	code, a, body := getSurge(t, base, "test-2026")
	if code != http.StatusOK || a.Areas[0].Level != "event" || a.Previous == nil || a.Previous.Event != "test-2025" {
		t.Fatalf("%d %s", code, body)
	}
	monday := a.Areas[0].Days[0].Values["waste_kg"]
	if *monday["value"] != 40 || *monday["baseline"] != 10 || *monday["ratio"] != 4 || a.Areas[0].Days[0].Values["energy_kwh"]["value"] != nil {
		t.Errorf("event's Monday: %v", a.Areas[0].Days[0].Values)
	}
	if code, _, body := getSurge(t, base, "nope"); code != http.StatusNotFound || !strings.Contains(body, "is not configured") {
		t.Errorf("unknown event: %d %s", code, body)
	}

	// A late reading for Monday, rolled up by hand.
	if err := store.Write(ctx, []byte(waste("KA-H-001", "2026-08-03", 15, 20))); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/rollup?from=2026-08-03&to=2026-08-04", nil)
	req.Header.Set("Authorization", "Bearer surge-admin-token")
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v1/rollup: %v %v", err, resp)
	}
	resp.Body.Close()
	eventually(t, 30*time.Second, "the late reading in the answer", func() (bool, string) {
		_, a, body := getSurge(t, base, "test-2026")
		v := a.Areas[0].Days[0].Values["waste_kg"]["value"]
		return v != nil && *v == 60, body[:min(len(body), 300)]
	})
	if n := teststack.MetricValue(t, cfg.HTTP.Listen, `greenpulse_collector_surge_computations_total{result="ok"}`); n < 2 {
		t.Errorf("%v computations counted, want at least 2", n)
	}
}

// TestSurgeAreasAreCheckedAtStart: an event whose area the registry does
// not know stops the collector before it connects to anything.
func TestSurgeAreasAreCheckedAtStart(t *testing.T) {
	cfg := config.Default()
	cfg.Registry = "../configs/facilities.csv"
	cfg.Events.List = []config.Event{{Event: events.Event{ID: "x-2026", Name: "x", NameAr: "س", Areas: []string{"IQ-KA", "IQ-ZZ"},
		First: eventDate(t, "2026-08-01"), Last: eventDate(t, "2026-08-02")}}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := collector.Run(ctx, cfg, "test", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), `events.list[0].areas[1]: "IQ-ZZ"`) {
		t.Errorf("Run: %v, want the unknown area named", err)
	}
}

// BenchmarkSurgeHTTP2000 measures GET /api/v1/surge?event=ID of a running
// collector for an event over 2,000 synthetic facilities (11 days, 4
// weeks of baseline, every measure every day): how long the first answer
// takes (computed at start, or by that request), then cached answers, as
// the dashboard fetches them (gzip), and their size. It prints figures; it
// does not judge them.
//
//	go test ./collector -run '^$' -bench SurgeHTTP2000 -benchtime 1x
func BenchmarkSurgeHTTP2000(b *testing.B) {
	s := teststack.Start(b)
	cfg := s.CollectorConfig(b, "..")
	reg := syntheticRegistry(b, &cfg, 2000)
	var govs []string
	for _, f := range reg.Facilities() {
		if !slices.Contains(govs, f.Governorate) {
			govs = append(govs, f.Governorate)
		}
	}
	first, last := eventDate(b, "2026-07-25"), eventDate(b, "2026-08-04")
	cfg.Events.List = []config.Event{{Event: events.Event{ID: "bench-2026", Name: "Bench", NameAr: "قياس", Areas: govs, First: first, Last: last}}}
	loc, _ := cfg.Rollup.Location()
	rng := rand.New(rand.NewPCG(3, 4))
	var lp bytes.Buffer
	flush := func() {
		resp, err := http.Post(s.Influx.URL()+"/write?db="+cfg.InfluxDB.IndicatorBucket, "text/plain", bytes.NewReader(lp.Bytes()))
		if err != nil || resp.StatusCode != http.StatusNoContent {
			b.Fatalf("write indicators: %v %v", err, resp)
		}
		resp.Body.Close()
		lp.Reset()
	}
	// The database must exist before the collector creates it.
	if err := influx.New(cfg.InfluxDB, slog.New(slog.NewTextHandler(io.Discard, nil))).Bootstrap(context.Background()); err != nil {
		b.Fatal(err)
	}
	for d := first.AddDays(-28); !last.Before(d); d = d.AddDays(1) {
		ts := d.In(loc).UnixNano()
		for _, f := range reg.Facilities() {
			for _, m := range []string{"waste_kg", "hazardous_waste_kg", "energy_kwh", "generator_fuel_l", "storage_exceeded_count"} {
				fmt.Fprintf(&lp, "indicator,area=%s,indicator=%s,level=facility,period=day value=%.3f,facilities=1i %d\n", f.ID, m, rng.Float64()*100, ts)
			}
			fmt.Fprintf(&lp, "indicator,area=%s,indicator=safely_treated_pct,level=facility,period=day value=90,facilities=1i,numerator=9,denominator=10 %d\n", f.ID, ts)
		}
		flush()
	}
	start := time.Now()
	teststack.RunCollector(b, cfg)
	ready := time.Since(start)
	// get fetches the answer and says how many bytes came over the wire,
	// when the last arrived, and how long Go took to decode them.
	get := func(gz bool) (int, time.Duration, time.Duration) {
		t0 := time.Now()
		req, _ := http.NewRequest(http.MethodGet, "http://"+cfg.HTTP.Listen+"/api/v1/surge?event=bench-2026", nil)
		if gz {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("GET: %v %v", err, resp)
		}
		wire, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			b.Fatal(err)
		}
		fetched := time.Since(t0)
		t1 := time.Now()
		var r io.Reader = bytes.NewReader(wire)
		if resp.Header.Get("Content-Encoding") == "gzip" {
			if r, err = gzip.NewReader(r); err != nil {
				b.Fatal(err)
			}
		}
		var a surgeAnswer
		if err := json.NewDecoder(r).Decode(&a); err != nil || len(a.Facilities) != 2000 {
			b.Fatalf("decode: %v, %d facilities", err, len(a.Facilities))
		}
		return len(wire), fetched, time.Since(t1)
	}
	n, d, dec := get(true)
	b.Logf("collector ready in %s; first answer (the start's computation, or this request's) %d bytes gzipped, in %s after that (decoded in %s)",
		ready.Round(time.Millisecond), n, d.Round(time.Millisecond), dec.Round(time.Millisecond))
	for b.Loop() {
		for range 3 {
			n, d, dec := get(true)
			b.Logf("cached answer, gzip: %d bytes on the wire in %s, decoded by Go in %s", n, d.Round(time.Millisecond), dec.Round(time.Millisecond))
		}
		n, d, dec := get(false)
		b.Logf("cached answer, identity: %d bytes in %s, decoded by Go in %s", n, d.Round(time.Millisecond), dec.Round(time.Millisecond))
	}
}
