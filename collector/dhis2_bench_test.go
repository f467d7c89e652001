package collector_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/source/simulate"
	"github.com/greenpulse-health/greenpulse/collector"
	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/collector/dhis2"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/internal/dhis2test"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
	"github.com/greenpulse-health/greenpulse/registry"
)

// BenchmarkDHIS2Push2000 measures the targets on 2,000 synthetic
// facilities whose month holds one simulated day, rolled up: a push into
// the DHIS2 double (first: all imported; second: all unchanged) and
// GET /api/v1/export/dhis2 of the collector. It prints figures; it does
// not judge them. Run it with
//
//	go test ./collector -run '^$' -bench DHIS2Push2000 -benchtime 1x
func BenchmarkDHIS2Push2000(b *testing.B) {
	const n = 2000
	s := teststack.Start(b)
	cfg := s.CollectorConfig(b, "..")
	reg := syntheticRegistry(b, &cfg, n)
	loc, _ := cfg.Rollup.Location()
	month := indicators.PeriodOf(indicators.Month, time.Date(2026, 11, 15, 0, 0, 0, 0, loc), loc)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store := influx.New(cfg.InfluxDB, log)
	b.Cleanup(store.Close)
	if err := store.Bootstrap(context.Background()); err != nil {
		b.Fatal(err)
	}
	// One simulated day (and the day before, for counter differences)
	// of every facility, rolled up by the real roll-up into the month.
	start := time.Now()
	day := month.Start.AddDate(0, 0, 14)
	for _, f := range reg.Facilities() {
		teststack.WriteReadings(b, store, simulate.New(f, 7).Readings(day.AddDate(0, 0, -1), day.AddDate(0, 0, 1), 15*time.Minute))
	}
	r, rstore := collector.NewRollup(cfg, loc, reg, log)
	b.Cleanup(rstore.Close)
	teststack.RollUp(b, r, indicators.Periods(indicators.Day, month.Start, month.End, loc), []indicators.Period{month})
	b.Logf("seeded and rolled up %d facilities in %s", n, time.Since(start).Round(time.Second))
	cfg.DHIS2.PushLog = filepath.Join(b.TempDir(), "pushes.jsonl")
	teststack.RunCollector(b, cfg)

	srv := startDHIS2(b, reg, dhis2test.Options{Token: dhis2Token})
	cfg.DHIS2.URL, cfg.DHIS2.Token = srv.URL(), dhis2Token
	client, err := collector.DHIS2Client(cfg.DHIS2, "bench")
	if err != nil {
		b.Fatal(err)
	}
	var units []string
	for _, f := range reg.Facilities() {
		units = append(units, f.DHIS2OrgUnit)
	}
	start = time.Now()
	if _, err := dhis2.Setup(context.Background(), client, dhis2.SetupOptions{OrgUnits: units}); err != nil {
		b.Fatal(err)
	}
	b.Logf("setup with %d org units: %s", len(units), time.Since(start).Round(time.Millisecond))
	p, err := collector.NewDHIS2Pusher(cfg, "bench", collector.NewIndicatorReader(store), reg, dhis2.NewLog(cfg.DHIS2.PushLog), nil, log)
	if err != nil {
		b.Fatal(err)
	}

	b.ResetTimer()
	for range b.N {
		for _, round := range []string{"first (imported)", "second (unchanged)"} {
			start := time.Now()
			rec, err := p.Push(context.Background(), month, "bench", false)
			if err != nil || !rec.OK() {
				b.Fatalf("push: %v %+v", err, rec)
			}
			b.Logf("push %s of %d facilities: %d values in %d requests of %d: %s (imported %d, ignored %d)",
				round, n, rec.Values, rec.Requests, cfg.DHIS2.ChunkSize, time.Since(start).Round(time.Millisecond), rec.Imported, rec.Ignored)
		}
		for i := range 3 {
			start := time.Now()
			resp, err := http.Get("http://" + cfg.HTTP.Listen + "/api/v1/export/dhis2?period=" + dhis2.PeriodID(month))
			if err != nil {
				b.Fatal(err)
			}
			size, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			b.Logf("GET /api/v1/export/dhis2 #%d for %d facilities: %d, %d bytes, %s", i+1, n, resp.StatusCode, size, time.Since(start).Round(time.Millisecond))
		}
	}
}

// syntheticRegistry writes a registry of n synthetic facilities for cfg's
// collector and returns it loaded.
func syntheticRegistry(b *testing.B, cfg *config.Config, n int) *registry.Registry {
	b.Helper()
	var csv bytes.Buffer
	if err := registry.WriteCSV(&csv, registry.Synthesize(n, 1)); err != nil {
		b.Fatal(err)
	}
	cfg.Registry = filepath.Join(b.TempDir(), "facilities.csv")
	if err := os.WriteFile(cfg.Registry, csv.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	reg, err := registry.Load(cfg.Registry)
	if err != nil {
		b.Fatal(err)
	}
	return reg
}
