package web_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/greenpulse-health/greenpulse/collector/dhis2"
	"github.com/greenpulse-health/greenpulse/registry"
)

// checkDHIS2Push checks the reporting view's line of the latest DHIS2
// push (from the push log writePushLog wrote before the collector
// started) and its table of refused values, in English and Arabic.
func checkDHIS2Push(t *testing.T, d *dashboard, q string) {
	t.Helper()
	push := func(hash string) map[string]string {
		t.Helper()
		d.open(t, "reporting", hash)
		// The line fills in after the view is drawn, when its fetch answers.
		d.waitFor(t, `document.querySelector('#dhis2-push')?.dataset.state === 'shown'`, "the push line of "+hash)
		return eval[map[string]string](t, d.b, `(() => { const el = document.querySelector('#dhis2-push');
			return {line: el.querySelector('.push-line').textContent, period: el.dataset.period,
				stopped: el.querySelector('.push-stopped')?.textContent ?? ''}; })()`)
	}
	got := push("reporting" + q)
	for _, want := range []string{"DHIS2: November pushed 2 Dec", " 02:00, 1,877 values, 3 conflicts, 1 facility without an org unit"} {
		if !strings.Contains(got["line"], want) {
			t.Errorf("push line %q, want it to hold %q", got["line"], want)
		}
	}
	if got["period"] != "202611" || got["stopped"] != "" {
		t.Errorf("push line shows period %q and error %q, want 202611 and none", got["period"], got["stopped"])
	}
	// The conflicts are in a closed <details>: opened, they show the
	// registry's names, and a message's markup as text.
	if err := d.b.Do(10*time.Second, chromedp.Click(chromedp.CSS("#dhis2-push summary"))); err != nil {
		t.Fatal(err)
	}
	d.waitFor(t, `document.querySelector('#dhis2-conflicts')?.checkVisibility() === true`, "the conflict table shown")
	rows := eval[[][]string](t, d.b, `[...document.querySelectorAll('#dhis2-conflicts tbody tr')].map((tr) => [...tr.cells].map((td) => td.textContent))`)
	if len(rows) != len(pushConflicts) {
		t.Fatalf("conflict table has rows %q, want %d", rows, len(pushConflicts))
	}
	for i, id := range pushConflicts {
		if rows[i][0] != facilityName(t, id, "en") || rows[i][2] != "E7633" {
			t.Errorf("conflict row %d is %q, want %s's name and E7633", i, rows[i], id)
		}
	}
	if rows[0][3] != pushMarkup || eval[int](t, d.b, `document.querySelectorAll('#dhis2-conflicts tbody b').length`) != 0 {
		t.Errorf("conflict message shows %q, want the text %q and no element made of it", rows[0][3], pushMarkup)
	}

	got = push("reporting?period=month&date=" + month + "&lang=ar")
	if !strings.Contains(got["line"], "١٬٨٧٧") || !strings.Contains(got["line"], "تشرين الثاني") {
		t.Errorf("Arabic push line %q, want November (تشرين الثاني) and 1,877 in Arabic-Indic digits (١٬٨٧٧)", got["line"])
	}
	if strings.ContainsAny(strings.ReplaceAll(got["line"], "DHIS2", ""), "0123456789") {
		t.Errorf("Arabic push line %q has Latin digits", got["line"])
	}
	if name := eval[string](t, d.b, `document.querySelector('#dhis2-conflicts tbody td').textContent`); name != facilityName(t, pushConflicts[0], "ar") {
		t.Errorf("Arabic conflict table names %q, want the registry's Arabic name %q", name, facilityName(t, pushConflicts[0], "ar"))
	}
}

// The push log's latest record: its conflicts are of these facilities,
// the first with a message that holds markup.
var pushConflicts = []string{"BG-H-001", "BA-P-001", "NI-H-001"}

const pushMarkup = `Data element <b>GP_SOLAR_KWH</b> is not assigned to the data set`

// writePushLog writes two pushes into the log at path, as the collector's
// pusher would have: October without a flaw, then November with three
// values refused and a facility without an org unit.
func writePushLog(t *testing.T, path string, reg *registry.Registry) {
	t.Helper()
	name := func(id string) string {
		f, ok := reg.Lookup(id)
		if !ok {
			t.Fatalf("%s is not in configs/facilities.csv", id)
		}
		return f.Name
	}
	var conflicts []dhis2.Conflict
	for i, id := range pushConflicts {
		msg := "Period 202611 is locked for data entry"
		if i == 0 {
			msg = pushMarkup
		}
		conflicts = append(conflicts, dhis2.Conflict{Facility: id, FacilityName: name(id), Element: "solar_kwh",
			ElementName: "GreenPulse solar electricity (kWh)", ErrorCode: "E7633", Object: "uid" + id, Message: msg, Values: 1})
	}
	log := dhis2.NewLog(path)
	for _, r := range []dhis2.Record{
		{Time: time.Date(2026, 11, 4, 23, 0, 0, 0, time.UTC), Period: "202610", Trigger: "schedule", Values: 1850, Sent: 1850, Requests: 1,
			ImportCount: dhis2.ImportCount{Imported: 1850}, Conflicts: []dhis2.Conflict{}, Seconds: 3.1},
		{Time: time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC), Period: "202611", Trigger: "schedule", Values: 1877, Sent: 1877, Requests: 1,
			ImportCount: dhis2.ImportCount{Imported: 1700, Updated: 174}, Rejected: 3, Conflicts: conflicts, Seconds: 4.7,
			Unmapped: []dhis2.Unmapped{{Facility: "BG-P-002", Name: name("BG-P-002"), Values: 23, Reason: "no dhis2_org_unit in the registry"}}},
	} {
		if err := log.Append(r); err != nil {
			t.Fatal(err)
		}
	}
}

// facilityName is the name of facility id in lang (en or ar) in the
// registry the collector under test serves.
func facilityName(t *testing.T, id, lang string) string {
	t.Helper()
	reg, err := registry.Load(filepath.Join("..", "..", "configs", "facilities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	f, ok := reg.Lookup(id)
	if !ok {
		t.Fatalf("%s is not in configs/facilities.csv", id)
	}
	if lang == "ar" {
		return f.NameAr
	}
	return f.Name
}
