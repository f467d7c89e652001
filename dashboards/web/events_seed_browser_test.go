package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector"
	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/internal/browser"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
	"github.com/greenpulse-health/greenpulse/registry"
	"github.com/greenpulse-health/greenpulse/registry/events"
)

// The Events view's tests configure three events over the repository's
// registry: the same gathering in Karbala and Najaf's main district in
// two years (the later one compared with the earlier), and a two-day one
// of two Baghdad hospitals with no earlier one. A baseline week keeps the
// data to write and roll up small; the 2026 gathering has two, so that
// its baseline days have a band.
const (
	shrine2025 = "shrine-2025"
	shrine2026 = "shrine-2026"
	clinic2026 = "clinic-2026"
)

func testEvents(t *testing.T) config.Events {
	t.Helper()
	day := func(s string) events.Date {
		d, err := events.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	ev := func(id, name, nameAr, series string, areas []string, first, last string) config.Event {
		return config.Event{Event: events.Event{ID: id, Name: name, NameAr: nameAr, Series: series, Areas: areas,
			First: day(first), Last: day(last), Source: "browser test"}}
	}
	shrine := []string{"IQ-KA", "NA-NJF"}
	list := config.Events{BaselineWeeks: 1, List: []config.Event{
		ev(shrine2025, "Shrine visit 2025", "زيارة المرقد ٢٠٢٥", "shrine", shrine, "2025-08-06", "2025-08-08"),
		ev(shrine2026, "Shrine visit 2026", "زيارة المرقد ٢٠٢٦", "shrine", shrine, "2026-07-27", "2026-07-29"),
		ev(clinic2026, "Hospital open days", "أيام المستشفى المفتوحة", "", []string{"BG-H-001", "BG-H-002"}, "2026-07-25", "2026-07-26"),
	}}
	list.List[1].BaselineWeeks = 2
	return list
}

// eventStack is the users-mode collector with the test events (Chromium
// signed in to it as the planner) and a public-mode one beside it on the
// same database.
type eventStack struct {
	*dashboard
	publicURL string
}

// startEventStack seeds readings for the events' facilities over each
// event and its baseline week, rolls them up with the real roll-up, and
// starts both collectors and Chromium.
func startEventStack(t *testing.T) *eventStack {
	t.Helper()
	t0 := time.Now()
	stack := teststack.Start(t)
	if _, err := browser.ExecPath(); err != nil {
		t.Fatal(err) // integration tests are on: CI installs chromium
	}
	cfg := stack.CollectorConfig(t, filepath.Join("..", ".."))
	withUsers(t, &cfg)
	cfg.Events = testEvents(t)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Load(cfg.Registry)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := cfg.Rollup.Location()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store := influx.New(cfg.InfluxDB, log)
	t.Cleanup(store.Close)
	ctx := context.Background()
	if err := store.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	list := cfg.Events.Events()
	var days []indicators.Period
	for _, w := range [][2]string{{"2025-07-30", "2025-08-08"}, {"2026-07-13", "2026-07-29"}} {
		from, _ := events.ParseDate(w[0])
		to, _ := events.ParseDate(w[1])
		writeEventReadings(t, store, loc, reg, list, from, to)
		days = append(days, indicators.Periods(indicators.Day, from.In(loc), to.AddDays(1).In(loc), loc)...)
	}
	roll, rstore := collector.NewRollup(cfg, loc, reg, log)
	t.Cleanup(rstore.Close)
	teststack.RollUp(t, roll, days, nil)
	t.Logf("seeded and rolled up %d days in %s", len(days), time.Since(t0).Round(time.Millisecond))

	teststack.RunCollector(t, cfg)
	public := cfg
	public.Access.Mode = config.AccessPublic
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	public.HTTP.Listen = fmt.Sprintf("127.0.0.1:%d", port)
	public.MQTT.ClientID += "-public"
	teststack.RunCollector(t, public)
	d := openBrowser(t, "http://"+cfg.HTTP.Listen)
	d.cfg = cfg
	d.signIn(t, planner, "en")
	t.Logf("collectors and chromium up in %s", time.Since(t0).Round(time.Millisecond))
	return &eventStack{dashboard: d, publicURL: "http://" + public.HTTP.Listen}
}

// writeEventReadings writes a day of readings for every facility of the
// events, from one day before from to to (inclusive): waste hand-overs
// (infectious autoclaved, sharps incinerated, general to landfill), a
// grid meter read every six hours and, at hospitals, a generator with
// its fuel. On an event's days everything grows by the day's surge; the
// infectious waste of every third facility then outgrows its autoclave,
// and the rest goes to landfill untreated. KA-P-003 has no meter at all
// and KA-P-002's meter sends nothing on an event's second day: the
// view must show unknown values as unknown.
func writeEventReadings(t *testing.T, store *influx.Store, loc *time.Location, reg *registry.Registry, list []events.Event, from, to events.Date) {
	t.Helper()
	var lp strings.Builder
	line := func(d events.Date, hour float64, format string, args ...any) {
		ts := d.In(loc).Add(time.Duration(hour * float64(time.Hour))).UnixNano()
		fmt.Fprintf(&lp, format+" %d\n", append(args, ts)...)
	}
	for i, f := range reg.Facilities() {
		in := -1
		for k, e := range list {
			if e.Includes(f) {
				in = k
			}
		}
		if in < 0 {
			continue
		}
		rng := rand.New(rand.NewPCG(uint64(i), 15))
		size := 1.0
		if f.Type == "hospital" {
			size = 6
		}
		var grid, gen, fuel float64
		for d := from.AddDays(-1); !to.Before(d); d = d.AddDays(1) {
			surge, nth := 1.0, -1
			for _, e := range list {
				if e.Includes(f) && !d.Before(e.First) && !e.Last.Before(d) {
					nth = e.First.DaysUntil(d)
					surge = []float64{1.8, 2.6, 3.2}[nth]
					if f.District == "NA-NJF" {
						surge = []float64{1.3, 1.6, 1.9}[nth]
					}
				}
			}
			weekly := 1 + 0.25*float64(d.Weekday()%3)
			w := "waste,facility=%s,category=%s,treatment=%s mass_kg=%.3f,stored_hours=%.1f"
			infectious := size * (4 + 2*rng.Float64()) * weekly * surge
			capacity := size * 7.5
			if i%3 == 0 && infectious > capacity {
				line(d, 8, w, f.ID, "infectious", "autoclave", capacity, 4.0)
				line(d, 11, w, f.ID, "infectious", "landfill", infectious-capacity, 20.0)
			} else {
				line(d, 8, w, f.ID, "infectious", "autoclave", infectious, 4.0)
			}
			line(d, 10, w, f.ID, "sharps", "incineration", size*(1+rng.Float64())*surge, 6.0)
			stored := 6.0
			if nth >= 0 && f.Type == "hospital" {
				stored = 30 // beyond the 24 h limit
			}
			line(d, 14, w, f.ID, "general", "landfill", size*(10+5*rng.Float64())*weekly*surge, stored)
			if f.ID == "KA-P-003" || f.ID == "KA-P-002" && nth == 1 {
				continue
			}
			for h := 0.5; h < 24; h += 6 {
				grid += size * (40 + 10*rng.Float64()) * surge
				line(d, h, "energy,facility=%s,meter=main,source=grid kwh_total=%.3f", f.ID, grid)
				if f.Type == "hospital" {
					kwh := size * (4 + 2*rng.Float64()) * surge
					gen, fuel = gen+kwh, fuel+0.3*kwh
					line(d, h, "energy,facility=%s,meter=gen,source=generator kwh_total=%.3f,fuel_l_total=%.3f", f.ID, gen, fuel)
				}
			}
		}
	}
	if err := store.Write(context.Background(), []byte(lp.String())); err != nil {
		t.Fatalf("write the events' readings: %v", err)
	}
}
