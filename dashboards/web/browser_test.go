package web_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/greenpulse-health/greenpulse/agents/source/simulate"
	"github.com/greenpulse-health/greenpulse/collector"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/internal/browser"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
	"github.com/greenpulse-health/greenpulse/registry"
)

// The seeded days: two local days of November 2026, so that the month
// view and the day view both have values.
const (
	seedFrom = "2026-11-10"
	seedTo   = "2026-11-12"
	month    = "2026-11"
)

// seeded facilities: hospitals and centres with and without solar, in two
// governorates, so that the area tables and the energy view have rows.
var seeded = []string{"BG-H-001", "BG-H-002", "BG-P-001", "BG-P-002", "BA-H-001", "BA-P-001", "BA-P-002", "NI-H-001"}

// startDashboard seeds InfluxDB with two simulated days of a few registry
// facilities, rolls them up, writes a DHIS2 push log (writePushLog), runs
// the collector with sign-in required (withUsers), opens Chromium on it
// and signs in as the planner.
func startDashboard(t *testing.T) *dashboard {
	t.Helper()
	t0 := time.Now()
	stack := teststack.Start(t)
	t.Logf("broker and database up in %s", time.Since(t0).Round(time.Millisecond))
	if _, err := browser.ExecPath(); err != nil {
		t.Fatal(err) // integration tests are on: CI installs chromium
	}
	cfg := stack.CollectorConfig(t, filepath.Join("..", ".."))
	withUsers(t, &cfg)
	reg, err := registry.Load(cfg.Registry)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DHIS2.PushLog = filepath.Join(t.TempDir(), "dhis2-pushes.jsonl")
	writePushLog(t, cfg.DHIS2.PushLog, reg)
	loc, err := cfg.Rollup.Location()
	if err != nil {
		t.Fatal(err)
	}
	from, _ := time.ParseInLocation(time.DateOnly, seedFrom, loc)
	to, _ := time.ParseInLocation(time.DateOnly, seedTo, loc)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store := influx.New(cfg.InfluxDB, log)
	t.Cleanup(store.Close)
	if err := store.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range seeded {
		f, ok := reg.Lookup(id)
		if !ok {
			t.Fatalf("%s is not in configs/facilities.csv", id)
		}
		// From a day before, so that counters have a reading before the
		// first seeded midnight, as a facility that has been running has.
		teststack.WriteReadings(t, store, simulate.New(f, 1).Readings(from.AddDate(0, 0, -1), to, 5*time.Minute))
	}
	t.Logf("seeded in %s", time.Since(t0).Round(time.Millisecond))
	roll, rstore := collector.NewRollup(cfg, loc, reg, log)
	t.Cleanup(rstore.Close)
	if _, err := roll.Range(ctx, from, to); err != nil {
		t.Fatal(err)
	}
	t.Logf("rolled up in %s", time.Since(t0).Round(time.Millisecond))
	teststack.RunCollector(t, cfg)
	t.Logf("collector ready in %s", time.Since(t0).Round(time.Millisecond))
	d := openBrowser(t, "http://"+cfg.HTTP.Listen)
	d.cfg = cfg
	t.Logf("chromium started in %s", time.Since(t0).Round(time.Millisecond))
	d.signIn(t, planner, "en")
	return d
}

type apiRow struct {
	Indicator string  `json:"indicator"`
	Area      string  `json:"area"`
	Value     float64 `json:"value"`
}

// shown parses a figure as the page writes it in English or Arabic.
func shown(text string) (value float64, decimals int, err error) {
	r := strings.NewReplacer("٬", "", ",", "", "٫", ".", "\u00a0", "", "\u200f", "", "\u061c", "")
	s := r.Replace(strings.TrimSpace(text))
	var b strings.Builder
	for _, c := range s {
		if c >= '٠' && c <= '٩' {
			c = '0' + (c - '٠')
		}
		b.WriteRune(c)
	}
	s = b.String()
	if i := strings.IndexByte(s, '.'); i >= 0 {
		decimals = len(s) - i - 1
	}
	value, err = strconv.ParseFloat(s, 64)
	return value, decimals, err
}

// wantDecimals is the dashboard's rule (I18n.decimals in i18n.js).
func wantDecimals(v float64, unit string) int {
	switch a := math.Abs(v); {
	case unit == "%":
		return 1
	case unit == "events":
		return 0
	case a >= 100:
		return 0
	case a >= 10:
		return 1
	}
	return 2
}

// checkFigure says whether text shows v: the rule's number of decimals,
// and within half a unit of the last one.
func checkFigure(text string, v float64, unit string) error {
	got, dec, err := shown(text)
	if err != nil {
		return fmt.Errorf("%q is not a number: %w", text, err)
	}
	want := wantDecimals(v, unit)
	if dec != want || math.Abs(got-v) > 0.5*math.Pow10(-want)+1e-9 {
		return fmt.Errorf("shows %q, API says %v (%d decimals)", text, v, want)
	}
	return nil
}

func TestDashboard(t *testing.T) {
	d := startDashboard(t)
	var catalog []struct {
		ID     string `json:"id"`
		Unit   string `json:"unit"`
		NameAr string `json:"name_ar"`
	}
	getJSON(t, d.url+"/api/v1/catalog", &catalog)
	units := map[string]string{}
	for _, c := range catalog {
		units[c.ID] = c.Unit
	}
	q := "?period=month&date=" + month + "&lang=en"

	t.Run("every view loads cleanly", func(t *testing.T) {
		for _, v := range []struct{ view, hash, content string }{
			{"national", "national" + q, "#governorates tbody tr:not(.empty)"},
			{"national", "national?period=day&date=2026-11-11&lang=en&ind=grid_availability_pct", "#governorates tbody tr:not(.empty)"},
			{"area", "area/governorate/IQ-BG" + q, "#facilities tbody tr:not(.empty)"},
			{"area", "area/district/" + districtOf(t, d, "BG-H-001") + q, "#facilities tbody tr:not(.empty)"},
			{"facility", "facility/BG-H-001" + q, "#daily tbody tr:not(.empty)"},
			{"energy", "energy" + q, "#facilities tbody tr:not(.empty)"},
			{"waste", "waste" + q + "&ind=safely_treated_pct", "#unsafe tbody tr"},
			{"waste", "waste" + q + "&ind=safely_treated_pct", "#storage tbody tr"},
			{"reporting", "reporting" + q, "#offline tbody tr"},
			{"national", "national?period=month&date=" + month + "&lang=ar&ind=co2e_energy_kg", "#governorates tbody tr:not(.empty)"},
		} {
			d.open(t, v.view, v.hash)
			if n := eval[int](t, d.b, fmt.Sprintf(`document.querySelectorAll(%q).length`, v.content)); n == 0 {
				t.Errorf("%s: nothing matches %s", v.hash, v.content)
			}
			if n := eval[int](t, d.b, `document.querySelectorAll('canvas').length`); n == 0 {
				t.Errorf("%s: no chart or map drawn", v.hash)
			}
			// Offline networks: everything must come from the collector.
			if out := eval[[]string](t, d.b, `performance.getEntriesByType('resource').map((e) => e.name).filter((u) => !u.startsWith(location.origin))`); len(out) > 0 {
				t.Errorf("%s: loaded from elsewhere: %v", v.hash, out)
			}
		}
	})

	t.Run("the map draws every facility in view", func(t *testing.T) {
		var fs []struct{ ID, Governorate string }
		getJSON(t, d.url+"/api/v1/facilities", &fs)
		inBaghdad := 0
		for _, f := range fs {
			if f.Governorate == "IQ-BG" {
				inBaghdad++
			}
		}
		for _, v := range []struct {
			view, hash string
			want       int
		}{
			{"national", "national" + q, len(fs)},
			{"area", "area/governorate/IQ-BG" + q, inBaghdad},
			{"area", "area/governorate/IQ-BG" + q + "&ind=reporting_pct", inBaghdad},
		} {
			d.open(t, v.view, v.hash)
			if got := eval[string](t, d.b, `document.getElementById('map')?.dataset.markers ?? ''`); got != fmt.Sprint(v.want) {
				t.Errorf("%s: %q facilities on the map, want %d", v.hash, got, v.want)
			}
		}
		// No facility has a reporting_pct: its markers are grey, not another
		// indicator's colours.
		if n := eval[int](t, d.b, `document.querySelectorAll('.legend').length && [...document.querySelectorAll('.legend i')].length`); n != 0 {
			t.Errorf("reporting_pct drill-down shows a colour ramp for facilities (%d swatches)", n)
		}
	})

	t.Run("figures match the API", func(t *testing.T) {
		d.open(t, "national", "national"+q)
		var national, gov []apiRow
		getJSON(t, d.url+"/api/v1/indicators?level=national&period=month&from=2026-11-01&to=2026-12-01", &national)
		getJSON(t, d.url+"/api/v1/indicators?level=governorate&indicator=renewable_share_pct&period=month&from=2026-11-01&to=2026-12-01", &gov)
		if len(national) == 0 || len(gov) != 3 {
			t.Fatalf("seeded data gave %d national and %d governorate values, want some and 3", len(national), len(gov))
		}
		tiles := eval[map[string]string](t, d.b, `Object.fromEntries([...document.querySelectorAll('#tiles .tile')].map((e) => [e.dataset.indicator, e.querySelector('.tile-value').textContent]))`)
		checked := 0
		for _, r := range national {
			text, ok := tiles[r.Indicator]
			if !ok {
				continue
			}
			checked++
			if err := checkFigure(text, r.Value, units[r.Indicator]); err != nil {
				t.Errorf("national tile %s: %v", r.Indicator, err)
			}
		}
		if checked < 5 {
			t.Errorf("only %d national tiles had an API value to compare (tiles %v)", checked, tiles)
		}
		cells := eval[map[string]string](t, d.b, `Object.fromEntries([...document.querySelectorAll('#governorates tbody tr')].map((tr) => [tr.dataset.key, tr.querySelector('[data-col=renewable_share_pct]').textContent]))`)
		// Every governorate has a row (reporting_pct is 0 where no facility
		// reported); only those with a value show a figure.
		byArea := map[string]float64{}
		for _, r := range gov {
			byArea[r.Area] = r.Value
		}
		if len(cells) != 18 {
			t.Errorf("governorate table has %d rows, want 18", len(cells))
		}
		for area, text := range cells {
			v, ok := byArea[area]
			switch {
			case !ok && text != "–":
				t.Errorf("governorate %s shows %q for renewable share, the API has no value", area, text)
			case ok:
				if err := checkFigure(text, v, "%"); err != nil {
					t.Errorf("governorate %s renewable share: %v", area, err)
				}
			}
		}

		d.open(t, "facility", "facility/BG-H-001"+q)
		var fac []apiRow
		getJSON(t, d.url+"/api/v1/indicators?level=facility&area=BG-H-001&period=month&from=2026-11-01&to=2026-12-01", &fac)
		tiles = eval[map[string]string](t, d.b, `Object.fromEntries([...document.querySelectorAll('#tiles .tile')].map((e) => [e.dataset.indicator, e.querySelector('.tile-value').textContent]))`)
		checked = 0
		for _, r := range fac {
			if text, ok := tiles[r.Indicator]; ok {
				checked++
				if err := checkFigure(text, r.Value, units[r.Indicator]); err != nil {
					t.Errorf("facility tile %s: %v", r.Indicator, err)
				}
			}
		}
		if checked < 5 {
			t.Errorf("only %d facility tiles had an API value to compare", checked)
		}
		var waste []struct {
			Category, Treatment string
			MassKg              float64 `json:"mass_kg"`
		}
		getJSON(t, d.url+"/api/v1/waste?facility=BG-H-001&from=2026-11-01&to=2026-12-01", &waste)
		rows := eval[map[string]string](t, d.b, `Object.fromEntries([...document.querySelectorAll('#waste tbody tr')].map((tr) => [tr.dataset.key, tr.querySelector('[data-col=mass_kg]').textContent]))`)
		if len(waste) == 0 || len(rows) != len(waste) {
			t.Fatalf("waste table has %d rows, API %d", len(rows), len(waste))
		}
		for _, w := range waste {
			if err := checkFigure(rows[w.Category+"/"+w.Treatment], w.MassKg, "kg"); err != nil {
				t.Errorf("waste %s/%s: %v", w.Category, w.Treatment, err)
			}
		}

		// The waste view lists exactly the facilities the API has unsafe
		// disposal or storage breaches for.
		d.open(t, "waste", "waste"+q)
		for _, tc := range []struct{ table, indicator string }{{"unsafe", "unsafe_disposal_kg"}, {"storage", "storage_exceeded_count"}} {
			var api []apiRow
			getJSON(t, d.url+"/api/v1/indicators?level=facility&indicator="+tc.indicator+"&period=month&from=2026-11-01&to=2026-12-01", &api)
			var want []string
			for _, r := range api {
				if r.Value > 0 {
					want = append(want, r.Area)
				}
			}
			got := eval[[]string](t, d.b, fmt.Sprintf(`[...document.querySelectorAll('#%s tbody tr[data-key]')].map((tr) => tr.dataset.key).filter(Boolean)`, tc.table))
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s table lists %v, the API has %s > 0 for %v", tc.table, got, tc.indicator, want)
			}
		}

		// The reporting tiles count the registry's facilities by what the
		// API says of their agents (none reported to this collector).
		var fs []struct {
			LastReading *string         `json:"last_reading"`
			Agent       json.RawMessage `json:"agent_status"`
		}
		getJSON(t, d.url+"/api/v1/facilities", &fs)
		unknown := 0
		for _, f := range fs {
			if f.LastReading == nil && (f.Agent == nil || string(f.Agent) == "null") {
				unknown++
			}
		}
		d.open(t, "reporting", "reporting"+q)
		tiles = eval[map[string]string](t, d.b, `Object.fromEntries([...document.querySelectorAll('#agent-states .tile')].map((e) => [e.dataset.state, e.dataset.value]))`)
		if tiles["unknown"] != fmt.Sprint(unknown) || unknown == 0 {
			t.Errorf("reporting tiles %v, want unknown=%d of %d", tiles, unknown, len(fs))
		}
	})

	t.Run("reporting shows the latest DHIS2 push", func(t *testing.T) { checkDHIS2Push(t, d, q) })

	t.Run("language switch flips direction", func(t *testing.T) {
		d.open(t, "national", "national"+q)
		if dir := eval[string](t, d.b, `document.documentElement.dir`); dir != "ltr" {
			t.Fatalf("English page has dir=%q", dir)
		}
		english := eval[string](t, d.b, `document.querySelector('#tiles .tile .tile-value').textContent`)
		// The switch changes the address; the view redraws on hashchange,
		// after the click returns.
		if err := d.b.Do(30*time.Second, chromedp.Click(chromedp.ID("lang"))); err != nil {
			t.Fatal(err)
		}
		d.waitFor(t, `document.documentElement.lang === "ar" && document.body.dataset.ready === "1"`, "the Arabic page drawn")
		d.checkClean(t, "after the switch to Arabic")
		state := eval[map[string]string](t, d.b, `({dir: document.documentElement.dir, lang: document.documentElement.lang,
			name: document.querySelector('#tiles .tile .tile-name').textContent, id: document.querySelector('#tiles .tile').dataset.indicator,
			value: document.querySelector('#tiles .tile .tile-value').textContent, nav: document.querySelector('#nav-national').textContent})`)
		if state["dir"] != "rtl" || state["lang"] != "ar" {
			t.Errorf("after the switch: dir=%q lang=%q, want rtl ar", state["dir"], state["lang"])
		}
		named := false
		for _, c := range catalog {
			if c.ID == state["id"] {
				named = true
				if state["name"] != c.NameAr {
					t.Errorf("tile %s is named %q, the catalog's Arabic name is %q", c.ID, state["name"], c.NameAr)
				}
			}
		}
		if !named {
			t.Errorf("the first tile's indicator %q is not in the catalog", state["id"])
		}
		if !strings.ContainsAny(state["value"], "٠١٢٣٤٥٦٧٨٩") {
			t.Errorf("Arabic tile value %q has no Arabic-Indic digits", state["value"])
		}
		en, _, err1 := shown(english)
		ar, _, err2 := shown(state["value"])
		if err1 != nil || err2 != nil || en != ar {
			t.Errorf("the same figure reads %q in English and %q in Arabic", english, state["value"])
		}
		if state["nav"] == "National" {
			t.Error("navigation still in English")
		}
		if err := d.b.Do(30*time.Second, chromedp.Click(chromedp.ID("lang"))); err != nil {
			t.Fatal(err)
		}
		d.waitFor(t, `document.documentElement.lang === "en" && document.body.dataset.ready === "1"`, "the English page drawn")
		if dir := eval[string](t, d.b, `document.documentElement.dir`); dir != "ltr" {
			t.Errorf("back in English the page has dir=%q", dir)
		}
	})

	t.Run("CSV download holds what is shown", func(t *testing.T) {
		d.open(t, "national", "national"+q)
		rows := eval[int](t, d.b, `document.querySelectorAll('#governorates tbody tr').length`)
		recs := d.downloadCSV(t, "csv", "greenpulse-national-"+month+".csv")
		if len(recs) != rows+1 || strings.TrimPrefix(recs[0][0], "\ufeff") != "name" || recs[0][1] != "area" || recs[0][2] != string(indicators.RenewableSharePct) {
			t.Fatalf("CSV has %d lines (want %d) and header %v", len(recs), rows+1, recs[0])
		}
		// Raw values, full precision: exactly the API's.
		var gov []apiRow
		getJSON(t, d.url+"/api/v1/indicators?level=governorate&indicator=renewable_share_pct&period=month&from=2026-11-01&to=2026-12-01", &gov)
		byArea := map[string]float64{}
		for _, r := range gov {
			byArea[r.Area] = r.Value
		}
		for _, rec := range recs[1:] {
			v, ok := byArea[rec[1]]
			switch {
			case !ok && rec[2] != "":
				t.Errorf("CSV %s: renewable share %q, the API has none", rec[1], rec[2])
			case ok:
				if got, err := strconv.ParseFloat(rec[2], 64); err != nil || got != v {
					t.Errorf("CSV %s: renewable share %q, the API %v", rec[1], rec[2], v)
				}
			}
		}
	})

	t.Run("CSV cells cannot become formulas", func(t *testing.T) {
		d.open(t, "national", "national"+q)
		got, err := browser.EvalAwait[string](d.b, 10*time.Second, `import('/static/js/widgets.js').then((m) => new m.Table('t', [{key: 'name'}, {key: 'v', numeric: true}],
			[{name: '=HYPERLINK("http://x")', v: -3}, {name: '+SUM(A1)', v: 1.5}, {name: 'a\rb', v: 0}, {name: 'Al-Karkh, west', v: 2}]).csv())`)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(strings.NewReader(got)).ReadAll()
		if err != nil {
			t.Fatalf("%q: %v", got, err)
		}
		want := [][]string{{"name", "v"}, {`'=HYPERLINK("http://x")`, "-3"}, {"'+SUM(A1)", "1.5"}, {"a\rb", "0"}, {"Al-Karkh, west", "2"}}
		if fmt.Sprint(recs) != fmt.Sprint(want) {
			t.Errorf("CSV\n%q\nreads %q, want %q", got, recs, want)
		}
	})

	t.Run("dates are the collector's, whatever the browser's timezone", func(t *testing.T) {
		// In Dubai (UTC+4) a local midnight is 23:00 the day before in
		// Baghdad: a date read as an instant shows the previous day.
		if err := d.b.SetTimezone("Asia/Dubai"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = d.b.SetTimezone("") })
		for _, v := range []struct{ view, hash, want string }{
			{"national", "national" + q, "November 2026"},
			{"national", "national?period=day&date=2026-11-01&lang=en", "1 Nov 2026"},
			{"facility", "facility/BG-H-001?period=day&date=2026-11-01&lang=en", "1 Nov 2026"},
		} {
			d.open(t, v.view, v.hash)
			if title := eval[string](t, d.b, `document.querySelector('.view-title h2').textContent`); !strings.HasSuffix(title, v.want) {
				t.Errorf("%s in Dubai: title %q, want it to end with %q", v.hash, title, v.want)
			}
		}
		// An instant, though, is shown in the collector's timezone: the push
		// at 23:00 UTC started at 02:00 in Baghdad, 03:00 in Dubai.
		d.open(t, "reporting", "reporting"+q)
		d.waitFor(t, `document.querySelector('#dhis2-push')?.dataset.state === 'shown'`, "the push line")
		if line := eval[string](t, d.b, `document.querySelector('#dhis2-push .push-line').textContent`); !strings.Contains(line, " 02:00,") {
			t.Errorf("push line in Dubai %q, want the Baghdad time 02:00", line)
		}
	})
}

func districtOf(t *testing.T, d *dashboard, id string) string {
	t.Helper()
	var fs []struct{ ID, District string }
	getJSON(t, d.url+"/api/v1/facilities", &fs)
	for _, f := range fs {
		if f.ID == id {
			return f.District
		}
	}
	t.Fatalf("%s not in /api/v1/facilities", id)
	return ""
}
