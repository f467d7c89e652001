package grafana

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/source/simulate"
	"github.com/greenpulse-health/greenpulse/collector"
	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
	"github.com/greenpulse-health/greenpulse/registry"
)

// simSeed is the simulator seed of the demo facilities.
const simSeed = 7

// TestQueriesReturnRows runs every Flux query of every dashboard, as Grafana
// would send it, against a real InfluxDB 1.8 holding a few simulated
// facilities' readings of the last three days and the roll-up of the
// month (or two) that holds the last two whole days, and wants at least one
// row from each.
func TestQueriesReturnRows(t *testing.T) {
	testenv.RequireIntegration(t)
	dashboards := loadDashboards(t)
	ctx := context.Background()
	start := time.Now()

	cfg := config.Default()
	db := testenv.StartInfluxDB(t)
	cfg.InfluxDB.URL = db.URL()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store := influx.New(cfg.InfluxDB, log)
	t.Cleanup(store.Close)
	if err := store.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Load(filepath.Join("..", "..", "configs", "facilities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	loc, err := cfg.Rollup.Location()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	first := today.AddDate(0, 0, -2) // the first rolled-up day

	shown, others := demoFacilities(t, reg, first, today)
	for _, f := range append([]registry.Facility{shown}, others...) {
		// A day before the first rolled-up day gives its first counter pairs.
		rs := simulate.New(f, simSeed).Readings(first.AddDate(0, 0, -1), now, 15*time.Minute)
		teststack.WriteReadings(t, store, rs)
	}
	seeded := time.Now()
	// The dashboards' time range: from the start of the first day's month,
	// so that the monthly panels see a month, to now.
	from := time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, loc)
	r, rstore := collector.NewRollup(cfg, loc, reg, log)
	t.Cleanup(rstore.Close)
	months := indicators.Periods(indicators.Month, first, today, loc)
	teststack.RollUp(t, r, indicators.Periods(indicators.Day, months[0].Start, months[len(months)-1].End, loc), months)
	rolled := time.Now()
	vars := map[string]string{
		"raw_bucket":       cfg.InfluxDB.Bucket,
		"indicator_bucket": cfg.InfluxDB.IndicatorBucket,
		"facility":         shown.ID,
	}
	queries := 0
	for _, l := range dashboards {
		for _, q := range l.queries(t) {
			queries++
			flux, err := expand(q.flux, vars, from, now, time.Hour, cfg.InfluxDB.IndicatorBucket, cfg.InfluxDB.Org)
			if err != nil {
				t.Errorf("%s (%q): %s: %v", l.file, l.board.Title, q.where, err)
				continue
			}
			values, err := run(ctx, store, flux)
			switch {
			case err != nil:
				t.Errorf("%s (%q): %s: %v\n%s", l.file, l.board.Title, q.where, err, flux)
			case len(values) == 0:
				t.Errorf("%s (%q): %s: no rows\n%s", l.file, l.board.Title, q.where, flux)
			case q.variable == "facility" && !slices.Contains(values, shown.ID):
				t.Errorf("%s (%q): %s: %d values without %s, which has indicators", l.file, l.board.Title, q.where, len(values), shown.ID)
			default:
				t.Logf("%s: %s: %d rows", l.file, q.where, len(values))
			}
		}
	}
	t.Logf("%d queries; facility %s and %d others: database started and seeded in %s, rolled up in %s, queried in %s",
		queries, shown.ID, len(others), seeded.Sub(start).Round(time.Millisecond),
		rolled.Sub(seeded).Round(time.Millisecond), time.Since(rolled).Round(time.Millisecond))
}

// demoFacilities picks the facility the facility dashboard is tested on (a
// hospital with solar, a battery and a generator, so that every panel has
// data) and a few others: one that burns or dumps waste in the open in the
// rolled-up days, so that unsafe disposal has a value, and a facility of
// two other governorates.
func demoFacilities(t *testing.T, reg *registry.Registry, first, end time.Time) (registry.Facility, []registry.Facility) {
	t.Helper()
	var shown registry.Facility
	var burner, basra, nineveh *registry.Facility
	for _, f := range reg.Facilities() {
		sim := simulate.New(f, simSeed)
		if shown.ID == "" && f.Type == registry.TypeHospital && f.PVkWp > 0 && sim.HasBattery() && sim.HasGenerator() {
			shown = f
			continue
		}
		if burner == nil && burnsInTheOpen(sim, first, end) {
			burner = &f
			continue
		}
		if basra == nil && f.Governorate == "IQ-BA" {
			basra = &f
		}
		if nineveh == nil && f.Governorate == "IQ-NI" {
			nineveh = &f
		}
	}
	if shown.ID == "" {
		t.Fatal("no hospital of the registry has solar, a battery and a generator under the simulator")
	}
	var others []registry.Facility
	for _, f := range []*registry.Facility{burner, basra, nineveh} {
		if f != nil {
			others = append(others, *f)
		}
	}
	if burner == nil {
		t.Log("no simulated facility disposes of waste in the open in the rolled-up days")
	}
	return shown, others
}

// burnsInTheOpen reports whether the simulated facility hands waste over
// to open burning or dumping on a local day in [first, end).
func burnsInTheOpen(sim *simulate.Sim, first, end time.Time) bool {
	for d := first; d.Before(end); d = d.AddDate(0, 0, 1) {
		for _, e := range sim.WasteEvents(d) {
			if tr := e.Tag("treatment"); tr == "open_burning" || tr == "open_dumping" {
				return true
			}
		}
	}
	return false
}

// run runs a Flux query and returns one string per row: the row's _value,
// or its first string column's for a variable's query.
func run(ctx context.Context, store *influx.Store, flux string) ([]string, error) {
	res, err := store.Query(ctx, flux)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	var out []string
	for res.Next() {
		out = append(out, fmt.Sprint(res.Record().ValueByKey("_value")))
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
