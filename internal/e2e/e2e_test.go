// Package e2e tests the whole path: simulated facility agents publish
// through a real Mosquitto to the collector, which stores the readings in a
// real InfluxDB, rolls them up into indicators and serves them on its API.
// The expected indicators are computed here, independently of the
// database, from the very readings the agents published.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/agents"
	agentconfig "github.com/greenpulse-health/greenpulse/agents/config"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
)

type apiRow struct {
	Indicator  string  `json:"indicator"`
	Level      string  `json:"level"`
	Area       string  `json:"area"`
	Start      string  `json:"start"`
	Value      float64 `json:"value"`
	Facilities int     `json:"facilities"`
}

func TestAgentsToIndicators(t *testing.T) {
	s := teststack.Start(t)
	ccfg := s.CollectorConfig(t, filepath.Join("..", ".."))
	ccfg.Rollup.Enabled = true
	ccfg.HTTP.AdminToken = "e2e-token"
	teststack.RunCollector(t, ccfg)
	loc, err := ccfg.Rollup.Location()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Load(ccfg.Registry)
	if err != nil {
		t.Fatal(err)
	}

	now := time.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	days := []indicators.Period{
		indicators.PeriodOf(indicators.Day, today.AddDate(0, 0, -2), loc),
		indicators.PeriodOf(indicators.Day, today.AddDate(0, 0, -1), loc),
	}
	ids := []string{"BG-H-001", "BG-H-002"}
	published := map[string][]reading.Reading{}
	for _, id := range ids {
		f, ok := reg.Lookup(id)
		if !ok {
			t.Fatalf("%s not in the registry", id)
		}
		cfg := agentconfig.Default()
		cfg.Facility = id
		cfg.MQTT.Broker = s.Broker.URL()
		cfg.MQTT.ClientID = "e2e-" + id
		cfg.MQTT.MaxReconnectInterval = time.Second
		cfg.Outbox.Dir = filepath.Join(t.TempDir(), "outbox")
		cfg.Sources.Simulate = agentconfig.Simulate{Enabled: true, Interval: time.Hour, Seed: 7}
		cfg.Sources.Manual.Enabled = false
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		a, err := agents.NewSimulated(cfg, f, "e2e", agents.NewMetrics(prometheus.NewRegistry()), log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		// A day before the first rolled-up day gives its first counter pair.
		rs := a.Simulator().Readings(days[0].Start.AddDate(0, 0, -1), today, 15*time.Minute)
		if err := a.Record("simulate", rs); err != nil {
			t.Fatal(err)
		}
		published[id] = rs
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			<-done
		})
	}
	want := 0
	for _, rs := range published {
		want += len(rs)
	}
	teststack.Eventually(t, 120*time.Second, "published history stored", func() (bool, string) {
		n := 0
		for _, id := range ids {
			n += teststack.CountPoints(t, s.Influx.URL(), "energy", "kwh_total", id) +
				teststack.CountPoints(t, s.Influx.URL(), "solar", "kwh_total", id) +
				teststack.CountPoints(t, s.Influx.URL(), "waste", "mass_kg", id)
		}
		// The live source adds a tick of today: at least the history.
		return n >= want, fmt.Sprintf("%d of %d", n, want)
	})

	post, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("http://%s/api/v1/rollup?from=%s&to=%s", ccfg.HTTP.Listen,
		days[0].Start.Format("2006-01-02"), today.Format("2006-01-02")), nil)
	post.Header.Set("Authorization", "Bearer e2e-token")
	resp, err := http.DefaultClient.Do(post)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v1/rollup: %s %s", resp.Status, body)
	}

	compared := 0
	for _, day := range days {
		q := url.Values{"period": {"day"}, "from": {day.Start.Format("2006-01-02")}, "to": {day.End.Format("2006-01-02")}}
		resp, err := http.Get("http://" + ccfg.HTTP.Listen + "/api/v1/indicators?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		var rows []apiRow
		err = json.NewDecoder(resp.Body).Decode(&rows)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]apiRow{}
		for _, r := range rows {
			got[r.Indicator+" "+r.Level+" "+r.Area] = r
		}
		area := indicators.Terms{}
		for _, id := range ids {
			f, _ := reg.Lookup(id)
			in := expectedInput(published[id], day)
			in.Beds, in.Days = f.Beds, 1
			terms := indicators.Facility(in, indicators.DefaultParams())
			area.Add(terms)
			for _, v := range terms.Values(false) {
				compare(t, day, got, v, "facility", id)
				compared++
			}
		}
		gov, _ := reg.Lookup(ids[0])
		for _, v := range area.Values(true) {
			if v.ID == indicators.ReportingPct {
				continue // the governorate has more facilities than the two simulated
			}
			compare(t, day, got, v, "governorate", gov.Governorate)
			compared++
		}
	}
	// Two hospitals with grid, generator, solar and waste: most of the
	// catalog for each, two days, plus their governorate.
	if compared < 2*3*15 {
		t.Errorf("only %d indicator values compared; the simulated days should give about %d", compared, 2*3*18)
	}
	t.Logf("%d indicator values match the reference computed from the published readings", compared)
}

func compare(t *testing.T, day indicators.Period, got map[string]apiRow, v indicators.Value, level, area string) {
	t.Helper()
	k := string(v.ID) + " " + level + " " + area
	g, ok := got[k]
	if !ok {
		t.Errorf("%s: %s missing from the API, want %v", day, k, v.Value)
		return
	}
	if math.Abs(g.Value-v.Value) > 1e-6*math.Max(1, math.Abs(v.Value)) || g.Facilities != v.Facilities {
		t.Errorf("%s: %s = %v from %d facilities, want %v from %d", day, k, g.Value, g.Facilities, v.Value, v.Facilities)
	}
}

// expectedInput computes a facility's input for day straight from the
// published readings with the reference rules: every counter series, every
// grid meter's availability, every waste event.
func expectedInput(rs []reading.Reading, day indicators.Period) indicators.FacilityInput {
	type key struct{ stream, meter, source, field string }
	counters := map[key][]indicators.Sample{}
	avail := map[string][]indicators.Sample{}
	var keys []key
	in := indicators.FacilityInput{}
	waste := map[[2]string]*indicators.WasteClass{}
	var order [][2]string
	for _, r := range rs {
		meter := r.Tag("meter")
		if r.Stream == reading.Solar {
			meter = r.Tag("inverter")
		}
		for _, f := range r.Fields {
			switch {
			case r.Stream != reading.Waste && (f.Key == "kwh_total" || f.Key == "fuel_l_total"):
				k := key{string(r.Stream), meter, r.Tag("source"), f.Key}
				if _, ok := counters[k]; !ok {
					keys = append(keys, k)
				}
				counters[k] = append(counters[k], indicators.Sample{Time: r.Time, Value: f.Num})
			case f.Key == "available" && r.Tag("source") == "grid":
				v := 0.0
				if f.Bool {
					v = 1
				}
				avail[meter] = append(avail[meter], indicators.Sample{Time: r.Time, Value: v})
			}
		}
		if r.Stream == reading.Waste && !r.Time.Before(day.Start) && r.Time.Before(day.End) {
			c := [2]string{r.Tag("category"), r.Tag("treatment")}
			w, ok := waste[c]
			if !ok {
				w = &indicators.WasteClass{Category: c[0], Treatment: c[1]}
				waste[c] = w
				order = append(order, c)
			}
			m, _ := r.Field("mass_kg")
			w.Kg += m.Num
			w.Events++
			if h, ok := r.Field("stored_hours"); ok && h.Num > indicators.DefaultParams().StorageLimitHours {
				w.StorageExceeded++
			}
			in.Reported = true
		}
		if r.Stream != reading.Waste && !r.Time.Before(day.Start) && r.Time.Before(day.End) {
			in.Reported = true
		}
	}
	meters := map[[2]string]*indicators.Meter{}
	var morder [][2]string
	for _, k := range keys {
		inc, ok := indicators.CounterIncrease(counters[k], day.Start, day.End)
		if !ok {
			continue
		}
		if k.stream == string(reading.Solar) {
			in.Solar = append(in.Solar, indicators.Counter{Increase: inc, OK: true})
			continue
		}
		mk := [2]string{k.meter, k.source}
		m, seen := meters[mk]
		if !seen {
			m = &indicators.Meter{Source: k.source}
			meters[mk] = m
			morder = append(morder, mk)
		}
		if k.field == "fuel_l_total" {
			m.Fuel = indicators.Counter{Increase: inc, OK: true}
		} else {
			m.KWh = indicators.Counter{Increase: inc, OK: true}
		}
	}
	for _, mk := range morder {
		in.Meters = append(in.Meters, *meters[mk])
	}
	for _, samples := range avail {
		live, covered := indicators.Availability(samples, day.Start, day.End)
		in.Meters = append(in.Meters, indicators.Meter{Source: "grid", Live: live, Covered: covered})
	}
	for _, c := range order {
		in.Waste = append(in.Waste, *waste[c])
	}
	return in
}
