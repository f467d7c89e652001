package rollup

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
	"github.com/greenpulse-health/greenpulse/registry"
)

var baghdad = time.FixedZone("Asia/Baghdad", 3*3600)

// discard is the logger of tests that do not look at logs.
var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// startStore starts InfluxDB 1.8 and returns a bootstrapped store.
func startStore(t *testing.T) *influx.Store {
	t.Helper()
	testenv.RequireIntegration(t)
	db := testenv.StartInfluxDB(t)
	cfg := config.Default().InfluxDB
	cfg.URL = db.URL()
	s := influx.New(cfg, discard)
	t.Cleanup(s.Close)
	if err := s.Bootstrap(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// newRollup returns a Rollup over the facilities of configs/facilities.csv,
// with SPEC's parameters and local days in Baghdad, and that registry.
func newRollup(t *testing.T, s Store) (*Rollup, *registry.Registry) {
	t.Helper()
	reg, err := registry.Load(filepath.Join("..", "..", "configs", "facilities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return New(s, reg, Options{Params: indicators.DefaultParams(), Location: baghdad, Country: "IQ"}, discard), reg
}

type point struct {
	line string
	t    string
}

func write(t *testing.T, s *influx.Store, pts []point) {
	t.Helper()
	var b strings.Builder
	for _, p := range pts {
		fmt.Fprintf(&b, "%s %d\n", p.line, at(p.t).UnixNano())
	}
	if err := s.Write(context.Background(), []byte(b.String())); err != nil {
		t.Fatal(err)
	}
}

// TestReduceMatchesTheRules writes one facility's readings around the local
// day 2026-11-26 (UTC [11-25 21:00, 11-26 21:00)) and checks the database's
// reduction against the arithmetic of SPEC's rules, written out here.
func TestReduceMatchesTheRules(t *testing.T) {
	s := startStore(t)
	grid := "energy,facility=BG-H-001,meter=main,source=grid "
	gen := "energy,facility=BG-H-001,meter=gen1,source=generator "
	solar := "solar,facility=BG-H-001,inverter=main "
	write(t, s, []point{
		// grid counter: 110-100 (later reading 22:00Z is 01:00 local, in the day) + reset to 3 (counts 3) + 8-3 = 18
		{grid + "kwh_total=100", "2026-11-25T20:00:00Z"},
		{grid + "kwh_total=110", "2026-11-25T22:00:00Z"},
		{grid + "kwh_total=3", "2026-11-26T01:00:00Z"},
		{grid + "kwh_total=8", "2026-11-26T02:00:00Z"},
		{grid + "kwh_total=9", "2026-11-26T21:00:00Z"}, // next local day: not counted
		// grid availability: live 5+15+5+15+5 = 45 min of 5+15+5+15+15+15+5 = 75 min covered
		{grid + "available=true", "2026-11-25T20:50:00Z"},  // holds 20:50-21:05, 5 min in the day
		{grid + "available=true", "2026-11-25T22:00:00Z"},  // 15 min (next sample 1 h 40 later)
		{grid + "available=true", "2026-11-25T23:40:00Z"},  // 5 min until the next
		{grid + "available=false", "2026-11-25T23:45:00Z"}, // 15 min down
		{grid + "available=false", "2026-11-26T01:00:00Z"}, // 15 min down
		{grid + "available=true", "2026-11-26T02:00:00Z"},  // 15 min
		{grid + "available=true", "2026-11-26T20:55:00Z"},  // last: 5 min until the day ends
		// generator: 80-50 = 30 kWh, 19-10 = 9 L
		{gen + "kwh_total=50,fuel_l_total=10", "2026-11-25T21:30:00Z"},
		{gen + "kwh_total=80,fuel_l_total=19", "2026-11-26T03:00:00Z"},
		// solar: the earlier reading is 47 h older, still within 48 h: 1040-1000 = 40
		{solar + "kwh_total=1000", "2026-11-24T10:15:00Z"},
		{solar + "kwh_total=1040", "2026-11-26T09:15:00Z"},
		// waste: 5 + 20 + 3 kg in the day, two above a 24 h storage limit? only the 30 h one
		{"waste,facility=BG-H-001,category=sharps,treatment=autoclave mass_kg=5,stored_hours=30", "2026-11-26T06:00:00Z"},
		{"waste,facility=BG-H-001,category=general,treatment=landfill mass_kg=20", "2026-11-26T07:00:00Z"},
		{"waste,facility=BG-H-001,category=infectious,treatment=open_burning mass_kg=3,stored_hours=10", "2026-11-26T08:00:00Z"},
		{"waste,facility=BG-H-001,category=infectious,treatment=open_burning mass_kg=4", "2026-11-26T08:30:00Z"},
		{"waste,facility=BG-H-001,category=general,treatment=landfill mass_kg=99", "2026-11-26T21:30:00Z"}, // next day
		// a facility whose only reading has no predecessor: reported, no increase
		{"solar,facility=BG-H-002,inverter=main kwh_total=5", "2026-11-26T12:00:00Z"},
	})
	day := indicators.PeriodOf(indicators.Day, at("2026-11-26T12:00:00Z"), baghdad)
	inputs, err := Reduce(context.Background(), s, "greenpulse", day, 24)
	if err != nil {
		t.Fatal(err)
	}
	in := inputs["BG-H-001"]
	if in == nil || !in.Reported {
		t.Fatalf("BG-H-001: %+v", inputs)
	}
	got := map[string]string{}
	for _, m := range in.Meters {
		if m.KWh.OK {
			got[m.Source] = fmt.Sprintf("kwh %v fuel %v/%v", m.KWh.Increase, m.Fuel.Increase, m.Fuel.OK)
		}
	}
	want := map[string]string{"grid": "kwh 18 fuel 0/false", "generator": "kwh 30 fuel 9/true"}
	// Availability arrives as its own grid entry (the formulas sum grid meters).
	var live, covered time.Duration
	for _, m := range in.Meters {
		live += m.Live
		covered += m.Covered
	}
	if live != 45*time.Minute || covered != 75*time.Minute {
		t.Errorf("grid live %s of %s covered, want 45m0s of 1h15m0s", live, covered)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("meters %v, want %v", got, want)
	}
	if len(in.Solar) != 1 || in.Solar[0].Increase != 40 {
		t.Errorf("solar %+v, want one inverter with 40 kWh", in.Solar)
	}
	wasteBy := map[string]indicators.WasteClass{}
	for _, w := range in.Waste {
		wasteBy[w.Category+"/"+w.Treatment] = w
	}
	wantWaste := map[string]indicators.WasteClass{
		"sharps/autoclave":        {Category: "sharps", Treatment: "autoclave", Kg: 5, Events: 1, StorageExceeded: 1},
		"general/landfill":        {Category: "general", Treatment: "landfill", Kg: 20, Events: 1},
		"infectious/open_burning": {Category: "infectious", Treatment: "open_burning", Kg: 7, Events: 2},
	}
	if fmt.Sprint(wasteBy) != fmt.Sprint(wantWaste) {
		t.Errorf("waste\n got %+v\nwant %+v", wasteBy, wantWaste)
	}
	if other := inputs["BG-H-002"]; other == nil || !other.Reported || len(other.Solar) != 0 {
		t.Errorf("BG-H-002 (one reading, no predecessor): %+v, want reported without an increase", other)
	}
}
