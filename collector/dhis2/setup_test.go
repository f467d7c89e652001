package dhis2_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/greenpulse-health/greenpulse/collector/dhis2"
	"github.com/greenpulse-health/greenpulse/collector/dhis2/catalog"
	"github.com/greenpulse-health/greenpulse/internal/dhis2api"
	"github.com/greenpulse-health/greenpulse/internal/dhis2test"
)

const (
	token     = "d2pat_setuptest0123456789"
	heramsUID = "HeRAMSattr1" // a custom attribute holding HeRAMS ids
)

// facilities are the seeded org units: the facilities' and one the
// ministry assigns by itself.
var facilities = []dhis2test.OrgUnit{
	{ID: "FacBaghdad1", Code: "BG-001", Name: "Baghdad Teaching Hospital", Parent: "ImspTQPwCqd", Attributes: []dhis2test.AttributeValue{{Attribute: heramsUID, Value: "H-1"}}},
	{ID: "FacBasra002", Code: "BA-002", Name: "Basra PHC 2", Parent: "ImspTQPwCqd", Attributes: []dhis2test.AttributeValue{{Attribute: heramsUID, Value: "H-2"}}},
	{ID: "FacNinev003", Code: "NI-003", Name: "Mosul PHC 3", Parent: "ImspTQPwCqd", Attributes: []dhis2test.AttributeValue{{Attribute: heramsUID, Value: "H-3"}}},
	{ID: "FacOther004", Code: "OT-004", Name: "Ministry's own clinic", Parent: "ImspTQPwCqd"},
}

var ourUnits = []string{"FacBaghdad1", "FacBasra002", "FacNinev003"}

// start returns a DHIS2 double seeded with Iraq and the facilities, and a
// client logged in to it.
func start(t *testing.T) (*dhis2test.Server, *dhis2api.Client) {
	t.Helper()
	srv := dhis2test.Start(t, dhis2test.Options{Token: token})
	srv.AddOrgUnits(append([]dhis2test.OrgUnit{{ID: "ImspTQPwCqd", Code: "IQ", Name: "Iraq", Level: 1}}, facilities...)...)
	return srv, client(t, srv, token)
}

func client(t *testing.T, srv *dhis2test.Server, tok string) *dhis2api.Client {
	t.Helper()
	c, err := dhis2api.New(dhis2api.Config{URL: srv.URL(), Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// setup runs Setup and fails the test on an error.
func setup(t *testing.T, c *dhis2api.Client, o dhis2.SetupOptions) dhis2.SetupReport {
	t.Helper()
	rep, err := dhis2.Setup(context.Background(), c, o)
	if err != nil {
		var buf bytes.Buffer
		rep.Print(&buf)
		t.Fatalf("setup: %v\n%s", err, buf.String())
	}
	return rep
}

// ministryImport commits metadata as the ministry would in its maintenance
// app.
func ministryImport(t *testing.T, c *dhis2api.Client, payload map[string]any) {
	t.Helper()
	resp, err := c.Do(context.Background(), http.MethodPost, "/api/metadata", url.Values{"importMode": {"COMMIT"}}, payload)
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("ministry import: %v %d %s", err, resp.Status, resp.Body)
	}
}

// object returns the stored object with uid, failing the test if there is
// none.
func object(t *testing.T, srv *dhis2test.Server, uid string) map[string]any {
	t.Helper()
	o, ok := srv.Object(uid)
	if !ok {
		t.Fatalf("DHIS2 holds no object %s", uid)
	}
	return o
}

// ids returns the UIDs of a collection of references, or of the member
// property of each (dataSetElements: "dataElement").
func ids(v any, member string) []string {
	var out []string
	list, _ := v.([]any)
	for _, m := range list {
		o, _ := m.(map[string]any)
		if member != "" {
			o, _ = o[member].(map[string]any)
		}
		id, _ := o["id"].(string)
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// imports returns the modes of the metadata imports among reqs.
func imports(reqs []dhis2test.Request) []string {
	var out []string
	for _, r := range reqs {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/api/metadata") {
			q, _ := url.ParseQuery(r.RawQuery)
			out = append(out, q.Get("importMode"))
		}
	}
	return out
}

func elementUIDs(skip ...string) []string {
	var out []string
	for _, e := range catalog.Elements() {
		if !slices.Contains(skip, e.Key) {
			out = append(out, e.UID())
		}
	}
	return out
}

func TestSetupFirstRunCreatesEverything(t *testing.T) {
	srv, c := start(t)
	rep := setup(t, c, dhis2.SetupOptions{OrgUnits: ourUnits})
	if want := len(catalog.Elements()) + 2 + len(catalog.Ratios()) + 1; len(rep.Created) != want || len(rep.Updated)+len(rep.Left) != 0 || !rep.Committed {
		t.Errorf("created %d, updated %d, left %d, committed %v; want %d created", len(rep.Created), len(rep.Updated), len(rep.Left), rep.Committed, want)
	}
	if got := imports(srv.Requests()); !slices.Equal(got, []string{"VALIDATE", "COMMIT"}) {
		t.Errorf("imports %v, want VALIDATE then COMMIT", got)
	}
	for _, e := range catalog.Elements() {
		de := object(t, srv, e.UID())
		for k, want := range map[string]any{"code": e.Code, "name": e.Name, "shortName": e.ShortName, "valueType": e.ValueType,
			"aggregationType": "SUM", "domainType": "AGGREGATE", "zeroIsSignificant": true} {
			if de[k] != want {
				t.Errorf("data element %s: %s = %v, want %v", e.Code, k, de[k], want)
			}
		}
	}
	for code, factor := range map[string]float64{catalog.PercentTypeCode: 100, catalog.NumberTypeCode: 1} {
		if it := object(t, srv, catalog.StableUID(code)); it["factor"] != factor || it["code"] != code {
			t.Errorf("indicator type %s: %v", code, it)
		}
	}
	keyUID := map[string]string{}
	for _, e := range catalog.Elements() {
		keyUID[e.Key] = e.UID()
	}
	for _, r := range catalog.Ratios() {
		ind := object(t, srv, r.UID())
		typ := catalog.StableUID(catalog.NumberTypeCode)
		if r.Percent {
			typ = catalog.StableUID(catalog.PercentTypeCode)
		}
		if ind["numerator"] != "#{"+keyUID[r.Numerator]+"}" || ind["denominator"] != "#{"+keyUID[r.Denominator]+"}" {
			t.Errorf("indicator %s: %v / %v", r.Code, ind["numerator"], ind["denominator"])
		}
		if it, _ := ind["indicatorType"].(map[string]any); it["id"] != typ || ind["code"] != r.Code {
			t.Errorf("indicator %s: type %v, code %v; want type %s", r.Code, ind["indicatorType"], ind["code"], typ)
		}
	}
	ds := object(t, srv, catalog.DefaultDataSet())
	if ds["periodType"] != "Monthly" || ds["code"] != catalog.DataSetCode || ds["name"] != catalog.DataSetName {
		t.Errorf("data set: %v", ds)
	}
	if got, want := ids(ds["dataSetElements"], "dataElement"), sorted(elementUIDs()...); !slices.Equal(got, want) {
		t.Errorf("data set elements %v, want %v", got, want)
	}
	if got, want := ids(ds["organisationUnits"], ""), sorted(ourUnits...); !slices.Equal(got, want) {
		t.Errorf("data set org units %v, want %v", got, want)
	}
	if len(ids(ds["indicators"], "")) != len(catalog.Ratios()) {
		t.Errorf("data set indicators %v", ds["indicators"])
	}
	if rep.OrgUnitsAssigned != 3 || rep.OrgUnitsAdded != 3 || len(rep.OrgUnitsNotFound) != 0 {
		t.Errorf("org units: %d assigned, %d added, not found %v", rep.OrgUnitsAssigned, rep.OrgUnitsAdded, rep.OrgUnitsNotFound)
	}
	if broken := srv.BrokenIndicatorExpressions(); len(broken) != 0 {
		t.Errorf("indicators reference missing data elements: %v", broken)
	}
}

func TestSetupSecondRunLeavesEverything(t *testing.T) {
	srv, c := start(t)
	first := setup(t, c, dhis2.SetupOptions{OrgUnits: ourUnits})
	before := len(srv.Requests())
	rep := setup(t, c, dhis2.SetupOptions{OrgUnits: ourUnits})
	if len(rep.Left) != len(first.Created) || len(rep.Created)+len(rep.Updated) != 0 {
		t.Errorf("second run: %d created, %d updated, %d left; want all %d left", len(rep.Created), len(rep.Updated), len(rep.Left), len(first.Created))
	}
	if got := imports(srv.Requests()[before:]); len(got) != 0 {
		t.Errorf("second run imported %v, want no import", got)
	}
	var buf bytes.Buffer
	rep.Print(&buf)
	if !strings.Contains(buf.String(), "nothing to change") || !strings.Contains(buf.String(), "left") {
		t.Errorf("print:\n%s", buf.String())
	}
}

func TestSetupRestoresOursAndKeepsTheirs(t *testing.T) {
	srv, c := start(t)
	setup(t, c, dhis2.SetupOptions{OrgUnits: ourUnits})
	grid := catalog.Elements()[0]
	de := object(t, srv, grid.UID())
	de["name"] = "Renamed by hand"
	de["translations"] = []any{map[string]any{"property": "NAME", "locale": "ar", "value": "كهرباء الشبكة"}}
	de["url"] = "https://moh.gov.iq/energy"
	ds := object(t, srv, catalog.DefaultDataSet())
	ds["organisationUnits"] = append(ds["organisationUnits"].([]any), map[string]any{"id": "FacOther004"})
	ds["timelyDays"] = 10
	sharing := map[string]any{"owner": "M5zQapPyTZI", "public": "r-r-----", "external": false,
		"users": map[string]any{}, "userGroups": map[string]any{"wl5cDMuUhmF": map[string]any{"id": "wl5cDMuUhmF", "access": "rwrw----"}}}
	ds["sharing"] = sharing
	ministryImport(t, c, map[string]any{"dataElements": []any{de}, "dataSets": []any{ds}})

	rep := setup(t, c, dhis2.SetupOptions{OrgUnits: ourUnits})
	if len(rep.Updated) != 1 || rep.Updated[0].UID != grid.UID() {
		t.Errorf("updated %v, want only %s", rep.Updated, grid.Code)
	}
	de = object(t, srv, grid.UID())
	if de["name"] != grid.Name {
		t.Errorf("name %v, want %q back", de["name"], grid.Name)
	}
	if tr, _ := de["translations"].([]any); len(tr) != 1 || de["url"] != "https://moh.gov.iq/energy" {
		t.Errorf("the ministry's translations and url were lost: %v %v", de["translations"], de["url"])
	}
	ds = object(t, srv, catalog.DefaultDataSet())
	if got := ids(ds["organisationUnits"], ""); !slices.Contains(got, "FacOther004") || len(got) != 4 {
		t.Errorf("org units %v: want ours and FacOther004", got)
	}
	if rep.OrgUnitsKept != 1 || rep.OrgUnitsAdded != 0 {
		t.Errorf("kept %d, added %d; want 1 kept, 0 added", rep.OrgUnitsKept, rep.OrgUnitsAdded)
	}

	// A unit the data set already holds changes nothing.
	rep = setup(t, c, dhis2.SetupOptions{OrgUnits: append(slices.Clone(ourUnits), "FacOther004", "FacBaghdad1")})
	if len(rep.Updated)+len(rep.Created) != 0 || rep.OrgUnitsAssigned != 4 || rep.OrgUnitsKept != 0 {
		t.Errorf("FacOther004 is already assigned: updated %v, assigned %d, kept %d", rep.Updated, rep.OrgUnitsAssigned, rep.OrgUnitsKept)
	}

	// A new facility updates the data set, keeping the ministry's unit,
	// its timelyDays and its sharing.
	srv.AddOrgUnits(dhis2test.OrgUnit{ID: "FacDuhok005", Code: "DU-005", Name: "Duhok PHC 5", Parent: "ImspTQPwCqd"})
	rep = setup(t, c, dhis2.SetupOptions{OrgUnits: append(slices.Clone(ourUnits), "FacDuhok005")})
	if len(rep.Updated) != 1 || rep.Updated[0].Kind != dhis2.KindDataSet || rep.OrgUnitsAdded != 1 || rep.OrgUnitsKept != 1 {
		t.Errorf("new facility: updated %v, added %d, kept %d; want the data set updated, 1 added, 1 kept", rep.Updated, rep.OrgUnitsAdded, rep.OrgUnitsKept)
	}
	ds = object(t, srv, catalog.DefaultDataSet())
	if got, want := ids(ds["organisationUnits"], ""), sorted(append(slices.Clone(ourUnits), "FacOther004", "FacDuhok005")...); !slices.Equal(got, want) {
		t.Errorf("org units %v, want %v", got, want)
	}
	if ds["timelyDays"] != 10.0 {
		t.Errorf("timelyDays %v, want the ministry's 10", ds["timelyDays"])
	}
	if !reflect.DeepEqual(ds["sharing"], sharing) {
		t.Errorf("sharing %v, want the ministry's %v", ds["sharing"], sharing)
	}
}

func TestSetupDryRunChangesNothing(t *testing.T) {
	srv, c := start(t)
	rep := setup(t, c, dhis2.SetupOptions{OrgUnits: ourUnits, DryRun: true})
	if rep.Committed || !rep.DryRun || len(rep.Created) == 0 {
		t.Errorf("dry run: committed %v, created %d", rep.Committed, len(rep.Created))
	}
	if got := imports(srv.Requests()); !slices.Equal(got, []string{"VALIDATE"}) {
		t.Errorf("imports %v, want VALIDATE only", got)
	}
	for _, k := range []string{"dataElements", "indicatorTypes", "indicators", "dataSets"} {
		if n := len(srv.Objects(k)); n != 0 {
			t.Errorf("dry run stored %d %s", n, k)
		}
	}
	var buf bytes.Buffer
	rep.Print(&buf)
	if !strings.Contains(buf.String(), "would create") {
		t.Errorf("print:\n%s", buf.String())
	}
}

func TestSetupMappedElements(t *testing.T) {
	ministry := map[string]any{"id": "MinSolarKWh", "code": "MOH_SOLAR_KWH", "name": "MoH solar energy (kWh)", "shortName": "MoH solar kWh",
		"domainType": "AGGREGATE", "valueType": "NUMBER", "aggregationType": "SUM"}
	for _, tc := range []struct{ scheme, id string }{{"uid", "MinSolarKWh"}, {"code", "MOH_SOLAR_KWH"}} {
		t.Run(tc.scheme, func(t *testing.T) {
			srv, c := start(t)
			ministryImport(t, c, map[string]any{"dataElements": []any{ministry}})
			o := dhis2.SetupOptions{OrgUnits: ourUnits, DataElementIDScheme: tc.scheme, DataElements: map[string]string{"solar_kwh": tc.id}}
			rep := setup(t, c, o)
			if len(rep.Mapped) != 1 || rep.Mapped[0].UID != "MinSolarKWh" || rep.Mapped[0].Key != "solar_kwh" {
				t.Errorf("mapped %+v", rep.Mapped)
			}
			ours := catalog.StableUID("GP_SOLAR_KWH")
			if _, ok := srv.Object(ours); ok {
				t.Errorf("setup created its own solar element although it is mapped")
			}
			if got := object(t, srv, "MinSolarKWh"); got["name"] != ministry["name"] || got["zeroIsSignificant"] == true {
				t.Errorf("setup changed the ministry's element: %v", got)
			}
			ind := object(t, srv, catalog.StableUID("GP_RENEWABLE_SHARE"))
			if ind["numerator"] != "#{MinSolarKWh}" || ind["numeratorDescription"] != ministry["name"] {
				t.Errorf("renewable share numerator %v (%v)", ind["numerator"], ind["numeratorDescription"])
			}
			ds := object(t, srv, catalog.DefaultDataSet())
			if got, want := ids(ds["dataSetElements"], "dataElement"), sorted(append(elementUIDs("solar_kwh"), "MinSolarKWh")...); !slices.Equal(got, want) {
				t.Errorf("data set elements %v, want %v", got, want)
			}
			if broken := srv.BrokenIndicatorExpressions(); len(broken) != 0 {
				t.Errorf("indicators reference missing data elements: %v", broken)
			}
			if again := setup(t, c, o); len(again.Created)+len(again.Updated) != 0 {
				t.Errorf("second run changed %v %v", again.Created, again.Updated)
			}
		})
	}
	t.Run("remapped after a first setup", func(t *testing.T) {
		srv, c := start(t)
		setup(t, c, dhis2.SetupOptions{OrgUnits: ourUnits})
		ministryImport(t, c, map[string]any{"dataElements": []any{ministry}})
		rep := setup(t, c, dhis2.SetupOptions{OrgUnits: ourUnits, DataElements: map[string]string{"solar_kwh": "MinSolarKWh"}})
		var updated []string
		for _, ob := range rep.Updated {
			updated = append(updated, ob.Code)
		}
		if want := []string{"GP_RENEWABLE_SHARE", catalog.DataSetCode}; !slices.Equal(updated, want) {
			t.Errorf("updated %v, want %v", updated, want)
		}
		ds := object(t, srv, catalog.DefaultDataSet())
		if got, want := ids(ds["dataSetElements"], "dataElement"), sorted(append(elementUIDs("solar_kwh"), "MinSolarKWh")...); !slices.Equal(got, want) {
			t.Errorf("data set elements %v, want %v: our solar element leaves, the ministry's joins", got, want)
		}
		if _, ok := srv.Object(catalog.StableUID("GP_SOLAR_KWH")); !ok {
			t.Errorf("our solar element was deleted; it may hold data and must stay")
		}
		if broken := srv.BrokenIndicatorExpressions(); len(broken) != 0 {
			t.Errorf("indicators reference missing data elements: %v", broken)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		_, c := start(t)
		_, err := dhis2.Setup(context.Background(), c, dhis2.SetupOptions{DataElementIDScheme: "code", DataElements: map[string]string{"solar_kwh": "NO_SUCH"}})
		if err == nil || !strings.Contains(err.Error(), "solar_kwh") || !strings.Contains(err.Error(), "NO_SUCH") {
			t.Errorf("error %v, want one naming solar_kwh and NO_SUCH", err)
		}
	})
}

func TestSetupOrgUnitSchemes(t *testing.T) {
	for _, tc := range []struct {
		scheme   string
		ids      []string
		notFound []string // in the order given, once each
	}{
		{"uid", []string{"FacBaghdad1", "FacBasra002", "FacNinev003", "NoSuchUnit1", "not-a-uid", "FacBaghdad1", ""}, []string{"NoSuchUnit1", "not-a-uid"}},
		{"code", []string{"BG-001", "BA-002", "NI-003", "NO-SUCH", "odd,code"}, []string{"NO-SUCH", "odd,code"}},
		{"attribute:" + heramsUID, []string{"H-1", "H-2", "H-3", "H-404"}, []string{"H-404"}},
	} {
		t.Run(tc.scheme, func(t *testing.T) {
			srv, c := start(t)
			rep := setup(t, c, dhis2.SetupOptions{OrgUnits: tc.ids, OrgUnitIDScheme: tc.scheme})
			if !slices.Equal(rep.OrgUnitsNotFound, tc.notFound) || rep.OrgUnitsAssigned != 3 {
				t.Errorf("not found %q, assigned %d; want %q, 3", rep.OrgUnitsNotFound, rep.OrgUnitsAssigned, tc.notFound)
			}
			if got := ids(object(t, srv, catalog.DefaultDataSet())["organisationUnits"], ""); !slices.Equal(got, sorted(ourUnits...)) {
				t.Errorf("data set org units %v, want %v", got, ourUnits)
			}
			var buf bytes.Buffer
			rep.Print(&buf)
			if !strings.Contains(buf.String(), tc.notFound[0]) {
				t.Errorf("print does not name %s:\n%s", tc.notFound[0], buf.String())
			}
		})
	}
}

func TestSetupErrors(t *testing.T) {
	t.Run("401", func(t *testing.T) {
		srv, _ := start(t)
		_, err := dhis2.Setup(context.Background(), client(t, srv, "d2pat_wrong"), dhis2.SetupOptions{})
		if !errors.Is(err, dhis2api.ErrUnauthorized) {
			t.Errorf("error %v, want ErrUnauthorized", err)
		}
	})
	t.Run("validation", func(t *testing.T) {
		srv, c := start(t)
		// The ministry already has a data element with our code: DHIS2
		// refuses a second one.
		grid := catalog.Elements()[0]
		ministryImport(t, c, map[string]any{"dataElements": []any{map[string]any{"id": "MinGridKWh1", "code": grid.Code, "name": "MoH grid", "shortName": "MoH grid",
			"domainType": "AGGREGATE", "valueType": "NUMBER", "aggregationType": "SUM"}}})
		rep, err := dhis2.Setup(context.Background(), c, dhis2.SetupOptions{OrgUnits: ourUnits})
		var ve *dhis2.ValidationError
		if !errors.As(err, &ve) || ve.Mode != "VALIDATE" || len(rep.ValidationErrors) == 0 {
			t.Fatalf("error %v, want a VALIDATE refusal", err)
		}
		if !strings.Contains(err.Error(), grid.Name) {
			t.Errorf("error %q does not name %q", err, grid.Name)
		}
		if got := imports(srv.Requests()); !slices.Equal(got, []string{"COMMIT", "VALIDATE"}) {
			t.Errorf("imports %v: setup must not COMMIT after a refused VALIDATE", got)
		}
	})
	t.Run("unexpected answer", func(t *testing.T) {
		fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"httpStatusCode":400,"status":"ERROR","message":"Unrecognized field"}`))
				return
			}
			kind := strings.TrimPrefix(r.URL.Path, "/api/")
			_, _ = w.Write([]byte(`{"` + kind + `":[]}`))
		}))
		t.Cleanup(fake.Close)
		c, err := dhis2api.New(dhis2api.Config{URL: fake.URL, Token: token})
		if err != nil {
			t.Fatal(err)
		}
		_, err = dhis2.Setup(context.Background(), c, dhis2.SetupOptions{})
		var se *dhis2api.StatusError
		if !errors.As(err, &se) || se.Status != http.StatusBadRequest || !strings.Contains(err.Error(), "Unrecognized field") {
			t.Errorf("error %v, want the 400 as a StatusError", err)
		}
	})
	t.Run("options", func(t *testing.T) {
		srv, c := start(t)
		for _, tc := range []struct {
			o   dhis2.SetupOptions
			bad string // what the error must name
		}{
			{dhis2.SetupOptions{DataSet: "short"}, `"short"`},
			{dhis2.SetupOptions{OrgUnitIDScheme: "name"}, `"name"`},
			{dhis2.SetupOptions{DataElements: map[string]string{"no_such_key": "abcdefghijk"}}, `"no_such_key"`},
			{dhis2.SetupOptions{DataElements: map[string]string{"solar_kwh": "not a uid"}}, `"not a uid"`},
		} {
			_, err := dhis2.Setup(context.Background(), c, tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("%+v: error %v, want one naming %s", tc.o, err, tc.bad)
			}
			if reqs := srv.Requests(); len(reqs) != 0 {
				t.Errorf("%+v: %d request(s) reached DHIS2, want none before the options are valid: %+v", tc.o, len(reqs), reqs)
			}
		}
	})
}
