package grafana

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/greenpulse-health/greenpulse/registry"
)

// board is the part of Grafana's dashboard JSON model the tests read.
type board struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int         `json:"id"`
	Type       string      `json:"type"`
	Title      string      `json:"title"`
	Datasource *datasource `json:"datasource"`
	Targets    []target    `json:"targets"`
	Panels     []panel     `json:"panels"` // a collapsed row's panels
}

type target struct {
	RefID      string      `json:"refId"`
	Query      string      `json:"query"`
	Datasource *datasource `json:"datasource"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type variable struct {
	Type       string          `json:"type"`
	Name       string          `json:"name"`
	Query      json.RawMessage `json:"query"`
	Datasource *datasource     `json:"datasource"`
	Current    struct {
		Value any `json:"value"`
	} `json:"current"`
}

// dashboardDS is how every panel and query names its data source: the
// dashboard's datasource variable, so that a site picks its own.
const dashboardDS = "${DS_INFLUXDB}"

// loaded is one dashboard file.
type loaded struct {
	file  string
	board board
	raw   map[string]any
}

// fluxQuery is one Flux query of a dashboard and where it sits.
type fluxQuery struct {
	where string // panel title and refId, or the variable's name
	flux  string
	// variable is the template variable the query fills, if any.
	variable string
}

func loadDashboards(t *testing.T) []loaded {
	t.Helper()
	files, err := filepath.Glob("*.json")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var out []loaded
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		l := loaded{file: f}
		if err := json.Unmarshal(b, &l.board); err != nil {
			t.Fatalf("%s: malformed dashboard JSON: %v", f, err)
		}
		if err := json.Unmarshal(b, &l.raw); err != nil {
			t.Fatalf("%s: malformed dashboard JSON: %v", f, err)
		}
		out = append(out, l)
	}
	for _, want := range []string{"national.json", "facility.json"} {
		found := false
		for _, l := range out {
			found = found || l.file == want
		}
		if !found {
			t.Errorf("dashboard %s is missing", want)
		}
	}
	return out
}

// allPanels returns every panel but rows, including those in collapsed rows.
func (b board) allPanels() []panel {
	var out []panel
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			out = append(out, p)
		}
	}
	walk(b.Panels)
	return out
}

// queries returns every Flux query of the dashboard: each panel target's
// and each query variable's.
func (l loaded) queries(t *testing.T) []fluxQuery {
	t.Helper()
	var out []fluxQuery
	for _, p := range l.board.allPanels() {
		for _, tg := range p.Targets {
			out = append(out, fluxQuery{where: fmt.Sprintf("panel %q (query %s)", p.Title, tg.RefID), flux: tg.Query})
		}
	}
	for _, v := range l.board.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q string
		if err := json.Unmarshal(v.Query, &q); err != nil {
			t.Errorf("%s: variable %s: query is not a Flux string: %s", l.file, v.Name, v.Query)
			continue
		}
		out = append(out, fluxQuery{where: fmt.Sprintf("variable %q", v.Name), flux: q, variable: v.Name})
	}
	return out
}

var (
	// templateRef is a dashboard variable as the dashboards write it.
	templateRef = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)
	// fromBucket is every from() of a query.
	fromBucket = regexp.MustCompile(`from\(bucket:\s*([^)]*)\)`)
)

// TestDashboards checks the dashboards' structure without a database: valid
// JSON, every panel with a Flux query on the dashboard's data source
// variable, buckets read through variables, only defined variables used,
// and the InfluxDB 1.8 rules the roll-up learnt (see collector/rollup).
func TestDashboards(t *testing.T) {
	dsUID := provisionedDatasourceUID(t)
	uids := map[string]string{}
	for _, l := range loadDashboards(t) {
		b := l.board
		if b.UID == "" || b.Title == "" {
			t.Errorf("%s: uid %q, title %q: both are required", l.file, b.UID, b.Title)
		}
		if other, ok := uids[b.UID]; ok {
			t.Errorf("%s and %s share uid %q", other, l.file, b.UID)
		}
		uids[b.UID] = l.file
		if b.SchemaVersion < 36 || b.SchemaVersion > 41 {
			t.Errorf("%s: schemaVersion %d, want a Grafana 10/11 model (36–41)", l.file, b.SchemaVersion)
		}
		vars := map[string]variable{}
		for _, v := range b.Templating.List {
			vars[v.Name] = v
		}
		ds, ok := vars["DS_INFLUXDB"]
		if !ok || ds.Type != "datasource" || string(ds.Query) != `"influxdb"` {
			t.Errorf("%s: want a datasource variable DS_INFLUXDB of type influxdb, got %+v", l.file, ds)
		} else if ds.Current.Value != dsUID {
			t.Errorf("%s: DS_INFLUXDB defaults to %v, want the provisioned data source %q", l.file, ds.Current.Value, dsUID)
		}
		ids := map[int]bool{}
		for _, p := range b.Panels {
			if ids[p.ID] {
				t.Errorf("%s: panel id %d used twice", l.file, p.ID)
			}
			ids[p.ID] = true
		}
		for _, p := range b.allPanels() {
			if p.Title == "" {
				t.Errorf("%s: panel %d has no title", l.file, p.ID)
			}
			if len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no query", l.file, p.Title)
			}
			if p.Datasource == nil || p.Datasource.UID != dashboardDS || p.Datasource.Type != "influxdb" {
				t.Errorf("%s: panel %q: datasource %+v, want influxdb %s", l.file, p.Title, p.Datasource, dashboardDS)
			}
			for _, tg := range p.Targets {
				if tg.Datasource == nil || tg.Datasource.UID != dashboardDS {
					t.Errorf("%s: panel %q query %s: datasource %+v, want %s", l.file, p.Title, tg.RefID, tg.Datasource, dashboardDS)
				}
			}
		}
		for _, v := range b.Templating.List {
			if v.Type == "query" && (v.Datasource == nil || v.Datasource.UID != dashboardDS) {
				t.Errorf("%s: variable %s: datasource %+v, want %s", l.file, v.Name, v.Datasource, dashboardDS)
			}
		}
		for _, q := range l.queries(t) {
			checkQuery(t, l.file, q, vars)
		}
		checkGovernorateNames(t, l.file, l.raw)
	}
}

// checkQuery applies the rules every dashboard query follows.
func checkQuery(t *testing.T, file string, q fluxQuery, vars map[string]variable) {
	t.Helper()
	bad := func(format string, args ...any) {
		t.Errorf("%s: %s: %s\n%s", file, q.where, fmt.Sprintf(format, args...), q.flux)
	}
	if strings.TrimSpace(q.flux) == "" {
		bad("empty query")
		return
	}
	for _, m := range templateRef.FindAllStringSubmatch(q.flux, -1) {
		if _, ok := vars[m[1]]; !ok {
			bad("uses ${%s}, which the dashboard does not define", m[1])
		}
	}
	if rest := templateRef.ReplaceAllString(q.flux, ""); strings.Contains(rest, "$") || strings.Contains(rest, "[[") {
		bad("uses a variable form other than ${name}")
	}
	froms := fromBucket.FindAllStringSubmatch(q.flux, -1)
	if len(froms) == 0 {
		bad("reads no bucket")
	}
	for _, m := range froms {
		if b := strings.TrimSpace(m[1]); b != `"${raw_bucket}"` && b != `"${indicator_bucket}"` {
			bad("from(bucket: %s): read buckets through ${raw_bucket} or ${indicator_bucket}, so a site can rename them", b)
		}
	}
	// InfluxDB 1.8 refuses a from() shared by several range() calls, and
	// its range() returns a point stamped exactly at stop.
	if n, r := strings.Count(q.flux, "from("), strings.Count(q.flux, "range("); n != r {
		bad("%d from() and %d range(): give every from() its own range()", n, r)
	}
	if strings.Contains(q.flux, "stop: v.timeRangeStop)") && q.variable == "" && !strings.Contains(q.flux, "r._time < v.timeRangeStop") {
		bad("range(stop: v.timeRangeStop) without filter r._time < v.timeRangeStop: InfluxDB 1.8 returns the point at stop")
	}
}

// checkGovernorateNames compares every value mapping that names
// governorates with the registry's table of ISO 3166-2:IQ codes.
func checkGovernorateNames(t *testing.T, file string, raw map[string]any) {
	t.Helper()
	want := map[string]string{}
	for _, g := range registry.Governorates() {
		want[g.Code] = g.Name
	}
	found := 0
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if opts, ok := x["options"].(map[string]any); ok && x["type"] == "value" {
				if _, ok := opts["IQ-BG"]; ok {
					found++
					for code, name := range want {
						o, _ := opts[code].(map[string]any)
						if o == nil || o["text"] != name {
							t.Errorf("%s: governorate mapping: %s is %v, want %q (registry)", file, code, o, name)
						}
					}
					if len(opts) != len(want) {
						t.Errorf("%s: governorate mapping has %d codes, the registry %d", file, len(opts), len(want))
					}
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(raw)
	if file == "national.json" && found == 0 {
		t.Errorf("%s: no governorate name mapping", file)
	}
}

// provisionedDatasourceUID reads the example data source provisioning and
// checks that it is a Flux InfluxDB data source.
func provisionedDatasourceUID(t *testing.T) string {
	t.Helper()
	var ds struct {
		Datasources []struct {
			UID      string         `yaml:"uid"`
			Type     string         `yaml:"type"`
			URL      string         `yaml:"url"`
			JSONData map[string]any `yaml:"jsonData"`
			Secure   map[string]any `yaml:"secureJsonData"`
		} `yaml:"datasources"`
	}
	readYAML(t, filepath.Join("provisioning", "datasources", "greenpulse.yaml"), &ds)
	if len(ds.Datasources) != 1 {
		t.Fatalf("provisioning/datasources: want one data source, got %d", len(ds.Datasources))
	}
	d := ds.Datasources[0]
	if d.Type != "influxdb" || d.JSONData["version"] != "Flux" || d.UID == "" || d.URL == "" || d.Secure["token"] == nil {
		t.Errorf("provisioning/datasources: want an influxdb data source with uid, url, version Flux and a token, got %+v", d)
	}
	var dash struct {
		Providers []struct {
			Type    string         `yaml:"type"`
			Options map[string]any `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, filepath.Join("provisioning", "dashboards", "greenpulse.yaml"), &dash)
	if len(dash.Providers) != 1 || dash.Providers[0].Type != "file" || dash.Providers[0].Options["path"] == nil {
		t.Errorf("provisioning/dashboards: want one file provider with a path, got %+v", dash.Providers)
	}
	return d.UID
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// grafanaMacro is how Grafana's InfluxDB data source finds the Flux
// macros it replaces on the server: any identifier, a dot, an identifier
// (pkg/tsdb/influxdb/flux/macros.go), so that a record field named like a
// macro (r.bucket) would be replaced too.
var grafanaMacro = regexp.MustCompile(`([a-zA-Z]+)\.([a-zA-Z]+)`)

// expand does to a dashboard query what Grafana does before InfluxDB sees
// it: the frontend replaces the dashboard variables, then the data source
// replaces the Flux macros with the time range (RFC 3339 in UTC), the
// interval (a Go duration string) and the data source's buckets and
// organization, quoted.
func expand(flux string, vars map[string]string, from, to time.Time, interval time.Duration, defaultBucket, org string) (string, error) {
	var missing []string
	out := templateRef.ReplaceAllStringFunc(flux, func(m string) string {
		name := templateRef.FindStringSubmatch(m)[1]
		v, ok := vars[name]
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("no value for variables %v", missing)
	}
	out = grafanaMacro.ReplaceAllStringFunc(out, func(m string) string {
		switch grafanaMacro.FindStringSubmatch(m)[2] {
		case "timeRangeStart":
			return from.UTC().Format(time.RFC3339Nano)
		case "timeRangeStop":
			return to.UTC().Format(time.RFC3339Nano)
		case "windowPeriod":
			return interval.String()
		case "bucket", "defaultBucket":
			return `"` + defaultBucket + `"`
		case "organization":
			return `"` + org + `"`
		}
		return m
	})
	return out, nil
}

func TestExpand(t *testing.T) {
	from := time.Date(2026, 10, 31, 21, 0, 0, 0, time.UTC)
	to := from.Add(36 * time.Hour)
	got, err := expand(`from(bucket: "${indicator_bucket}") |> range(start: v.timeRangeStart, stop: v.timeRangeStop)
  |> filter(fn: (r) => r.area == "${facility}" and r._time < v.timeRangeStop)
  |> aggregateWindow(every: v.windowPeriod, fn: mean) |> experimental.subDuration`,
		map[string]string{"indicator_bucket": "ind", "facility": "BG-H-001"}, from, to, time.Hour, "def", "org")
	want := `from(bucket: "ind") |> range(start: 2026-10-31T21:00:00Z, stop: 2026-11-02T09:00:00Z)
  |> filter(fn: (r) => r.area == "BG-H-001" and r._time < 2026-11-02T09:00:00Z)
  |> aggregateWindow(every: 1h0m0s, fn: mean) |> experimental.subDuration`
	if err != nil || got != want {
		t.Errorf("expand:\n%s (%v)\nwant\n%s", got, err, want)
	}
	if _, err := expand(`"${nope}"`, nil, from, to, time.Hour, "", ""); err == nil {
		t.Error("expand with an undefined variable: no error")
	}
}
