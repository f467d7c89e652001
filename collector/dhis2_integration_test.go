package collector_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/source/simulate"
	"github.com/greenpulse-health/greenpulse/collector"
	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/collector/dhis2"
	"github.com/greenpulse-health/greenpulse/collector/dhis2/catalog"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/collector/rollup"
	"github.com/greenpulse-health/greenpulse/internal/dhis2test"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
	"github.com/greenpulse-health/greenpulse/registry"
)

const dhis2Token = "d2pat_e2eSecretToken0123456789"

// dhis2World is a rolled-up month of simulated facilities in a real
// InfluxDB, with the collector serving its API.
type dhis2World struct {
	cfg      config.Config
	cfgPath  string
	reg      *registry.Registry
	month    indicators.Period
	store    *influx.Store
	unmapped string // the facility without an org unit
	api      string // http://host:port
}

// startDHIS2World seeds two days of February 2026 for the facilities of
// Dahuk and Al Muthanna (hospitals with beds, centres with and without),
// rolls the month up and starts the collector; one Muthanna centre has no
// org unit.
func startDHIS2World(t *testing.T) *dhis2World {
	t.Helper()
	s := startStack(t)
	w := &dhis2World{unmapped: "MU-P-006"}
	w.cfg = s.config(t)
	w.cfg.Registry = dhis2Registry(t, w.unmapped)
	reg, err := registry.Load(w.cfg.Registry)
	if err != nil {
		t.Fatal(err)
	}
	w.reg = reg
	loc, err := w.cfg.Rollup.Location()
	if err != nil {
		t.Fatal(err)
	}
	w.month = indicators.PeriodOf(indicators.Month, time.Date(2026, 2, 10, 0, 0, 0, 0, loc), loc)

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w.store = influx.New(w.cfg.InfluxDB, log)
	t.Cleanup(w.store.Close)
	if err := w.store.Bootstrap(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, f := range reg.Facilities() {
		teststack.WriteReadings(t, w.store, simulate.New(f, 7).Readings(w.month.Start.AddDate(0, 0, -1), w.month.Start.AddDate(0, 0, 2), 15*time.Minute))
	}
	r, rstore := collector.NewRollup(w.cfg, loc, reg, log)
	t.Cleanup(rstore.Close)
	teststack.RollUp(t, r, indicators.Periods(indicators.Day, w.month.Start, w.month.End, loc), []indicators.Period{w.month})

	w.cfg.DHIS2.PushLog = filepath.Join(t.TempDir(), "dhis2-pushes.jsonl")
	teststack.RunCollector(t, w.cfg)
	w.api = "http://" + w.cfg.HTTP.Listen
	return w
}

// dhis2Registry writes the facilities of two governorates of the shipped
// registry, without the org unit of unmapped, and returns the path.
func dhis2Registry(t *testing.T, unmapped string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "configs", "facilities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		switch {
		case i == 0:
		case strings.HasPrefix(line, unmapped+","):
			line = line[:strings.LastIndex(line, ",")+1]
		case !strings.Contains(line, ",IQ-DA,") && !strings.Contains(line, ",IQ-MU,"):
			continue
		}
		out.WriteString(line + "\n")
	}
	path := filepath.Join(t.TempDir(), "facilities.csv")
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startDHIS2 starts a DHIS2 double holding the registry's hierarchy:
// Iraq, governorates, districts, facilities.
func startDHIS2(t testing.TB, reg *registry.Registry, opt dhis2test.Options) *dhis2test.Server {
	t.Helper()
	srv := dhis2test.Start(t, opt)
	srv.AddOrgUnitLevels(dhis2test.OrgUnitLevel{ID: "LvlCountry1", Name: "Country", Level: 1},
		dhis2test.OrgUnitLevel{ID: "LvlGovern01", Name: "Governorate", Level: 2},
		dhis2test.OrgUnitLevel{ID: "LvlDistric1", Name: "District", Level: 3},
		dhis2test.OrgUnitLevel{ID: "LvlFacilit1", Name: "Facility", Level: 4})
	units := []dhis2test.OrgUnit{{ID: "IraqRoot001", Code: "IQ", Name: "Iraq", ShortName: "Iraq", Level: 1}}
	seen := map[string]bool{}
	for _, f := range reg.Facilities() {
		gov, dist := govUID(f.Governorate), distUID(f.District)
		if !seen[gov] {
			seen[gov] = true
			units = append(units, dhis2test.OrgUnit{ID: gov, Code: f.Governorate, Name: f.Governorate, ShortName: f.Governorate, Level: 2, Parent: "IraqRoot001"})
		}
		if !seen[dist] {
			seen[dist] = true
			units = append(units, dhis2test.OrgUnit{ID: dist, Code: f.District, Name: f.District, ShortName: f.District, Level: 3, Parent: gov})
		}
		ou := f.DHIS2OrgUnit
		if ou == "" {
			ou = "NoMap" + strings.ReplaceAll(f.ID, "-", "")[:6]
		}
		units = append(units, dhis2test.OrgUnit{ID: ou, Code: f.ID, Name: f.Name, ShortName: f.ID, Level: 4, Parent: dist,
			Lat: f.Lat, Lon: f.Lon, HasPoint: true, OpeningDate: "2000-01-01T00:00:00.000"})
	}
	srv.AddOrgUnits(units...)
	return srv
}

func govUID(code string) string { return "Gov" + strings.ReplaceAll(code, "-", "") + "0000" }
func distUID(code string) string {
	return fmt.Sprintf("Dst%-8s", strings.ReplaceAll(code, "-", ""))[:11]
}

// TestDHIS2PushEndToEnd pushes a rolled-up month of simulated facilities
// through `greenpulse-collector dhis2 setup` and `dhis2 push` into the
// DHIS2 double, and checks that what DHIS2 stores is the API's monthly
// values, that DHIS2's own sums and indicators over its hierarchy equal
// GreenPulse's area figures, that a second push changes nothing, and that
// the export and the push log say the same.
func TestDHIS2PushEndToEnd(t *testing.T) {
	w := startDHIS2World(t)
	srv := startDHIS2(t, w.reg, dhis2test.Options{Token: dhis2Token})
	bin := teststack.BuildBinary(t, "../cmd/greenpulse-collector")
	w.writeConfig(t, srv.URL())

	out := w.runCommand(t, bin, "dhis2", "setup")
	for _, want := range []string{"created", "GP_SOLAR_KWH", "GP_RENEWABLE_SHARE", catalog.DataSetCode} {
		if !strings.Contains(out, want) {
			t.Errorf("setup output lacks %q:\n%s", want, out)
		}
	}
	out = w.runCommand(t, bin, "dhis2", "push", "--period", "202602")
	first := w.lastRecord(t)
	if first.Error != "" || first.Rejected != 0 || first.Values == 0 || first.Imported != first.Values || first.Sent != first.Values {
		t.Fatalf("first push: %+v\n%s", first, out)
	}
	if first.Requests < 2 {
		t.Errorf("first push: %d values in %d requests, want several chunks of 100", first.Values, first.Requests)
	}
	if !strings.Contains(out, fmt.Sprintf("imported %d", first.Values)) || !strings.Contains(out, w.unmapped) {
		t.Errorf("push output does not say what was imported and what was not pushed:\n%s", out)
	}
	if len(first.Unmapped) != 1 || first.Unmapped[0].Facility != w.unmapped || first.Unmapped[0].Values == 0 {
		t.Errorf("unmapped %+v, want only %s, with the values it has", first.Unmapped, w.unmapped)
	}

	stored := storedValues(srv)
	if len(stored) != first.Values {
		t.Errorf("DHIS2 holds %d values, the push sent %d", len(stored), first.Values)
	}
	api := w.monthValues(t)
	checkFacilityValues(t, w.reg, srv, stored, api)
	checkAreaFigures(t, w, srv, stored)

	out = w.runCommand(t, bin, "dhis2", "push", "--period", "202602")
	second := w.lastRecord(t)
	if second.Error != "" || second.Imported != 0 || second.Updated != 0 || second.Ignored != second.Values || second.Values != first.Values {
		t.Errorf("second push of the same month: %+v, want every value ignored as unchanged\n%s", second, out)
	}

	checkExport(t, w.api, stored, w.unmapped)
	var pushes []dhis2.Record
	getJSON(t, w.api+"/api/v1/dhis2/pushes", &pushes)
	if len(pushes) != 2 || pushes[0].Ignored != second.Ignored || pushes[1].Imported != first.Imported {
		t.Errorf("/api/v1/dhis2/pushes = %+v, want the two pushes newest first", pushes)
	}
}

// writeConfig writes the collector config the commands run with; the
// token comes from the environment, as the docs advise.
func (w *dhis2World) writeConfig(t *testing.T, dhis2URL string) {
	t.Helper()
	w.cfgPath = filepath.Join(t.TempDir(), "collector.yaml")
	yaml := fmt.Sprintf(`log: {level: warn}
influxdb: {url: %q}
registry: %q
rollup: {state_file: %q}
dhis2:
  url: %q
  retries: 2
  retry_initial: 10ms
  chunk_size: 100
  push_log: %q
`, w.cfg.InfluxDB.URL, w.cfg.Registry, filepath.Join(t.TempDir(), "state.json"), dhis2URL, w.cfg.DHIS2.PushLog)
	if err := os.WriteFile(w.cfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
}

// runCommand runs the collector binary with the config and the token in
// its environment, and checks that the token is nowhere in its output.
func (w *dhis2World) runCommand(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append(args, "--config", w.cfgPath)...)
	cmd.Env = append(os.Environ(), config.EnvDHIS2Token+"="+dhis2Token)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if strings.Contains(string(out), dhis2Token) {
		t.Errorf("%s printed the DHIS2 token", strings.Join(args, " "))
	}
	return string(out)
}

func (w *dhis2World) lastRecord(t *testing.T) dhis2.Record {
	t.Helper()
	recs, _, err := dhis2.NewLog(w.cfg.DHIS2.PushLog).Latest(1)
	if err != nil || len(recs) != 1 {
		t.Fatalf("push log: %v, %d records", err, len(recs))
	}
	return recs[0]
}

// storedValues returns what the double holds, by data element and org
// unit.
func storedValues(srv *dhis2test.Server) map[[2]string]float64 {
	out := map[[2]string]float64{}
	for _, v := range srv.DataValues() {
		var f float64
		fmt.Sscan(v.Value, &f)
		out[[2]string{v.DataElement, v.OrgUnit}] = f
	}
	return out
}

// apiValues are the API's monthly values by indicator, level and area.
type apiValues map[[3]string]float64

func (w *dhis2World) monthValues(t *testing.T) apiValues {
	t.Helper()
	var rows []struct {
		Indicator, Level, Area string
		Value                  float64
	}
	getJSON(t, fmt.Sprintf("%s/api/v1/indicators?period=month&from=%s&to=%s", w.api,
		w.month.Start.Format("2006-01-02"), w.month.End.Format("2006-01-02")), &rows)
	out := apiValues{}
	for _, r := range rows {
		out[[3]string{r.Indicator, r.Level, r.Area}] = r.Value
	}
	if len(out) == 0 {
		t.Fatal("the API has no monthly values")
	}
	return out
}

// near reports whether a pushed value (rounded to its decimals) equals
// ours.
func near(got, want float64) bool {
	return math.Abs(got-want) <= 0.002+1e-6*math.Abs(want)
}

// checkFacilityValues wants every summed quantity of every mapped facility
// as the API has it, and every indicator setup stored in DHIS2, evaluated
// for the facility, equal to ours.
func checkFacilityValues(t *testing.T, reg *registry.Registry, srv *dhis2test.Server, stored map[[2]string]float64, api apiValues) {
	t.Helper()
	checked := 0
	for _, f := range reg.Facilities() {
		if f.DHIS2OrgUnit == "" {
			continue
		}
		for _, e := range catalog.Elements() {
			got, pushed := stored[[2]string{e.UID(), f.DHIS2OrgUnit}]
			want, has := api[[3]string{string(e.Indicator), "facility", f.ID}]
			if e.Part != catalog.Value {
				continue
			}
			if pushed != has || (has && !near(got, want)) {
				t.Errorf("%s %s: DHIS2 has %v (%v), the API %v (%v)", f.ID, e.Code, got, pushed, want, has)
			}
			checked++
		}
		for _, ind := range srv.Objects("indicators") {
			r := ratioOf(t, ind)
			want, has := api[[3]string{string(r.Of), "facility", f.ID}]
			got, _, _, ok := evaluate(t, srv, ind, stored, []string{f.DHIS2OrgUnit})
			if has != ok || (has && !near(got, want)) {
				t.Errorf("%s %s: DHIS2 computes %v (%v), the API has %v (%v)", f.ID, r.Code, got, ok, want, has)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no facility value checked")
	}
}

// checkAreaFigures evaluates, for each governorate and the nation, the
// sums and the indicators that setup stored in DHIS2 (their numerator and
// denominator expressions and their type's factor) over the org units
// DHIS2 has, as its analytics does, and wants GreenPulse's area figures
// less the one facility DHIS2 does not have. The tolerance is what the
// rounding of the summed values to 3 decimals allows.
func checkAreaFigures(t *testing.T, w *dhis2World, srv *dhis2test.Server, stored map[[2]string]float64) {
	t.Helper()
	ours := map[[3]string]rollup.Row{}
	rows, err := rollup.Read(context.Background(), w.store, rollup.Query{Period: indicators.Month, From: w.month.Start, To: w.month.End, Terms: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		ours[[3]string{string(r.Indicator), r.Level, r.Area}] = r
	}
	units := map[[2]string][]string{} // level, area -> org units DHIS2 has
	for _, f := range w.reg.Facilities() {
		if f.DHIS2OrgUnit != "" {
			units[[2]string{"governorate", f.Governorate}] = append(units[[2]string{"governorate", f.Governorate}], f.DHIS2OrgUnit)
			units[[2]string{"national", w.cfg.Rollup.Country}] = append(units[[2]string{"national", w.cfg.Rollup.Country}], f.DHIS2OrgUnit)
		}
	}
	less := func(id indicators.ID, level, area string) (value, num, den float64) {
		a, u := ours[[3]string{string(id), level, area}], ours[[3]string{string(id), "facility", w.unmapped}]
		if f, _ := w.reg.Lookup(w.unmapped); level == "national" || f.Governorate == area {
			return a.Value - u.Value, a.Numerator - u.Numerator, a.Denominator - u.Denominator
		}
		return a.Value, a.Numerator, a.Denominator
	}
	indicatorsStored := srv.Objects("indicators")
	if len(indicatorsStored) != len(catalog.Ratios()) {
		t.Fatalf("DHIS2 holds %d indicators, setup defines %d", len(indicatorsStored), len(catalog.Ratios()))
	}
	checked := 0
	for key, ous := range units {
		level, area := key[0], key[1]
		for _, e := range catalog.Elements() {
			if e.Part != catalog.Value {
				continue
			}
			var sum float64
			for _, ou := range ous {
				sum += stored[[2]string{e.UID(), ou}]
			}
			want, _, _ := less(e.Indicator, level, area)
			if math.Abs(sum-want) > 0.0005*float64(len(ous))+1e-9*math.Abs(want) {
				t.Errorf("%s %s: DHIS2's sum %v, GreenPulse's %v", area, e.Code, sum, want)
			}
			checked++
		}
		for _, ind := range indicatorsStored {
			r := ratioOf(t, ind)
			got, n, d, ok := evaluate(t, srv, ind, stored, ous)
			_, num, den := less(r.Of, level, area)
			def, _ := indicators.Lookup(r.Of)
			if !ok || den == 0 {
				if ok != (den != 0) {
					t.Errorf("%s %s: DHIS2 has a value: %v, GreenPulse a denominator %v", area, r.Code, ok, den)
				}
				continue
			}
			want := def.Scale * num / den
			// Each summed value is off by at most 0.0005; hours are summed
			// from seconds, bed-days are whole.
			e := 0.0005 * float64(len(ous))
			tol := 1e-9 + math.Abs(got/d)*e
			if n != 0 {
				tol += math.Abs(got/n) * e
			}
			if math.Abs(got-want) > tol {
				t.Errorf("%s %s: DHIS2's indicator %v, GreenPulse's %v (tolerance %v)", area, r.Code, got, want, tol)
			} else {
				t.Logf("%s %s: DHIS2 %.3f = GreenPulse %.3f", area, r.Code, got, want)
			}
			checked++
		}
	}
	if checked < 2*(len(catalog.Elements())) {
		t.Errorf("only %d area figures checked", checked)
	}
}

// ratioOf returns the catalog ratio a stored DHIS2 indicator is.
func ratioOf(t *testing.T, ind map[string]any) catalog.Ratio {
	t.Helper()
	for _, r := range catalog.Ratios() {
		if r.UID() == ind["id"] {
			return r
		}
	}
	t.Fatalf("DHIS2 holds an indicator setup did not define: %v", ind["id"])
	return catalog.Ratio{}
}

// evaluate computes a stored DHIS2 indicator over org units: its
// numerator and denominator expressions (#{dataElementUID}, as setup
// writes them) summed over the units, times its type's factor.
func evaluate(t *testing.T, srv *dhis2test.Server, ind map[string]any, stored map[[2]string]float64, units []string) (value, num, den float64, ok bool) {
	t.Helper()
	operand := func(expr any) string {
		s, _ := expr.(string)
		if len(s) != len("#{}")+11 || !strings.HasPrefix(s, "#{") || !strings.HasSuffix(s, "}") {
			t.Fatalf("indicator %v: expression %q is not one data element", ind["code"], s)
		}
		return s[2 : len(s)-1]
	}
	n, d := operand(ind["numerator"]), operand(ind["denominator"])
	for _, ou := range units {
		num += stored[[2]string{n, ou}]
		den += stored[[2]string{d, ou}]
	}
	typ, _ := ind["indicatorType"].(map[string]any)
	it, found := srv.Object(fmt.Sprint(typ["id"]))
	factor, isNum := it["factor"].(float64)
	if !found || !isNum {
		t.Fatalf("indicator %v: type %v has no factor", ind["code"], typ["id"])
	}
	if den == 0 {
		return 0, num, den, false
	}
	return factor * num / den, num, den, true
}

// checkExport wants GET /api/v1/export/dhis2 to be what DHIS2 received, in
// JSON and CSV, with the unmapped facility in its report.
func checkExport(t *testing.T, base string, stored map[[2]string]float64, unmapped string) {
	t.Helper()
	var doc struct {
		DataSet    string
		Period     string
		DataValues []dhis2.DataValue
		Report     dhis2.Report
	}
	start := time.Now()
	getJSON(t, base+"/api/v1/export/dhis2?period=202602", &doc)
	t.Logf("export of %d values in %s", len(doc.DataValues), time.Since(start).Round(time.Millisecond))
	if doc.DataSet != catalog.DefaultDataSet() || doc.Period != "202602" || len(doc.DataValues) != len(stored) {
		t.Errorf("export: data set %q period %q, %d values; want %q 202602 and the %d DHIS2 holds",
			doc.DataSet, doc.Period, len(doc.DataValues), catalog.DefaultDataSet(), len(stored))
	}
	for _, v := range doc.DataValues {
		var f float64
		fmt.Sscan(v.Value, &f)
		if got, ok := stored[[2]string{v.DataElement, v.OrgUnit}]; !ok || got != f {
			t.Errorf("export value %+v: DHIS2 holds %v (%v)", v, got, ok)
		}
	}
	if len(doc.Report.Unmapped) != 1 || doc.Report.Unmapped[0].Facility != unmapped {
		t.Errorf("export report %+v, want %s unmapped", doc.Report, unmapped)
	}
	resp, err := http.Get(base + "/api/v1/export/dhis2?period=202602&format=csv")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || len(rows) != len(stored)+1 || strings.Join(rows[0], ",") != "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value" {
		t.Errorf("export CSV: %v, %d rows, header %v", err, len(rows), rows[:min(1, len(rows))])
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}
