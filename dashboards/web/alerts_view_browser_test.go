package web_test

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/greenpulse-health/greenpulse/collector/alerts"
)

// alertRow is a row of an alerts table as the page shows it.
type alertRow struct {
	ID, State, Severity, Badge, Facility, Href, Area, Rule, Message, Ack, Button string
}

// shownAlerts reads the rows of the alerts table sel.
func shownAlerts(t *testing.T, d *dashboard, sel string) []alertRow {
	t.Helper()
	return eval[[]alertRow](t, d.b, fmt.Sprintf(`[...document.querySelectorAll('%s tbody tr[data-id]')].map((tr) => {
		const c = (k) => tr.querySelector('[data-col=' + k + ']');
		return {ID: tr.dataset.id, State: tr.dataset.state, Severity: tr.dataset.severity, Badge: c('severity').textContent,
			Facility: c('facility').textContent, Href: c('facility').querySelector('a')?.getAttribute('href') ?? '',
			Area: c('area').textContent, Rule: c('message').querySelector('.rule-name').textContent,
			Message: c('message').querySelector('.alert-message').textContent, Ack: c('ack').textContent,
			Button: c('ack').querySelector('button.ack-open')?.textContent ?? ''};
	})`, sel))
}

func rowIDs(rows []alertRow) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}

// pick changes the filter select id to value and waits for the view
// drawn anew.
func pick(t *testing.T, d *dashboard, id, value string) {
	t.Helper()
	eval[bool](t, d.b, fmt.Sprintf(`(() => { document.getElementById('view').dataset.old = '1'; const s = document.getElementById(%q);
		s.value = %q; s.dispatchEvent(new Event('change')); return true; })()`, id, value))
	d.waitFor(t, `!document.querySelector('#view[data-old]') && document.body.dataset.ready === '1'`, "the view redrawn after "+id+"="+value)
	d.checkClean(t, id+"="+value)
}

// checkRows compares the rows of the alerts table with the API's list
// (same alerts, same order) and each row's text with its alert.
func checkRows(t *testing.T, what, lang string, rows []alertRow, want []alerts.Alert) {
	t.Helper()
	if got, w := rowIDs(rows), ids(want); !slices.Equal(got, w) {
		t.Fatalf("%s: rows %v, the API lists %v", what, got, w)
	}
	for i, a := range want {
		r := rows[i]
		msg := a.Message
		if lang == "ar" {
			msg = a.MessageAr
		}
		if r.Message != msg || r.State != string(a.State) || r.Severity != string(a.Severity) ||
			r.Facility != facilityName(t, a.Facility, lang) || r.Href == "" || !strings.Contains(r.Href, "#/facility/"+a.Facility+"?") {
			t.Errorf("%s: row %d %+v does not show alert %+v", what, i, r, a)
		}
		if (a.State == alerts.ActiveUnacknowledged) != (r.Button != "") {
			t.Errorf("%s: row %s in state %s has button %q", what, a.ID, a.State, r.Button)
		}
	}
}

func TestAlertsView(t *testing.T) {
	s := startAlertStack(t)
	d := s.dashboard
	active := apiAlerts(t, d.url, "state=active")
	if len(active) < 5 {
		t.Fatalf("the API lists %d active alerts, want the seeded ones and the raised one: %v", len(active), ids(active))
	}

	t.Run("lists the active alerts newest first in English", func(t *testing.T) {
		d.open(t, "alerts", "alerts?lang=en")
		rows := shownAlerts(t, d, "#alerts")
		checkRows(t, "active", "en", rows, active)
		byID := map[string]alertRow{}
		for _, r := range rows {
			byID[r.ID] = r
		}
		if r := byID["open_burning.BG-H-001"]; r.Badge != "Critical" || r.Rule != "Open burning" || r.Area != districtName(t, d, "BG-H-001", "en")+", Baghdad" {
			t.Errorf("open burning row %+v, want a Critical badge, the rule's name and the district, governorate", r)
		}
		if r := byID["storage_exceeded.BG-P-001"]; !strings.HasPrefix(r.Ack, "Acknowledged by Dr. Salma, ") || !strings.HasSuffix(r.Ack, "waste contractor called") {
			t.Errorf("acknowledged row says %q", r.Ack)
		}
		// A rule this collector does not know was cleared at its start;
		// among the cleared alerts it shows by its id.
		if _, ok := byID[unknownRule+".BA-P-002"]; ok {
			t.Errorf("an alert of a rule the collector does not know is still active")
		}
		if r := byID[s.raised]; !strings.Contains(r.Message, "4.5 kg") {
			t.Errorf("the collector's own alert reads %q", r.Message)
		}
		counts := eval[map[string]string](t, d.b, `Object.fromEntries([...document.querySelectorAll('#alert-counts .tile')].map((e) => [e.dataset.severity, e.dataset.value]))`)
		want := map[string]int{}
		for _, a := range active {
			want[string(a.Severity)]++
		}
		for _, sev := range []string{"critical", "warning", "info"} {
			if counts[sev] != fmt.Sprint(want[sev]) {
				t.Errorf("%s count %q, the API has %d", sev, counts[sev], want[sev])
			}
		}
		if n := eval[string](t, d.b, `document.querySelector('#f-rule option[value=agent_silent]')?.textContent ?? ''`); n != "Agent silent or offline" {
			t.Errorf("the rule filter names agent_silent %q", n)
		}
		shot(t, d, "dashboard-alerts.png")
		d.open(t, "alerts", "alerts?lang=en&state=cleared")
		cleared := map[string]alertRow{}
		for _, r := range shownAlerts(t, d, "#alerts") {
			cleared[r.ID] = r
		}
		if r := cleared[unknownRule+".BA-P-002"]; r.Rule != unknownRule {
			t.Errorf("a rule without a name is shown as %q, want its id", r.Rule)
		}
	})

	t.Run("the governorate filter changes the rows and stays in the address", func(t *testing.T) {
		d.open(t, "alerts", "alerts?lang=en")
		before := rowIDs(shownAlerts(t, d, "#alerts"))
		pick(t, d, "f-area", "IQ-BA")
		basra := apiAlerts(t, d.url, "state=active&area=IQ-BA")
		rows := shownAlerts(t, d, "#alerts")
		checkRows(t, "Basra", "en", rows, basra)
		if len(rows) == 0 || slices.Equal(rowIDs(rows), before) {
			t.Errorf("Basra shows %v, all governorates %v", rowIDs(rows), before)
		}
		hash := eval[string](t, d.b, `location.hash`)
		if !strings.Contains(hash, "area=IQ-BA") {
			t.Fatalf("the address %q does not hold the filter", hash)
		}
		// The address, shared, opens the same selection.
		d.open(t, "alerts", strings.TrimPrefix(hash, "#/"))
		if got := rowIDs(shownAlerts(t, d, "#alerts")); !slices.Equal(got, ids(basra)) || eval[string](t, d.b, `document.getElementById('f-area').value`) != "IQ-BA" {
			t.Errorf("the shared address shows %v, want %v", got, ids(basra))
		}
		pick(t, d, "f-area", "IQ-BG")
		checkRows(t, "Baghdad", "en", shownAlerts(t, d, "#alerts"), apiAlerts(t, d.url, "state=active&area=IQ-BG"))
	})

	t.Run("state, severity and rule filters", func(t *testing.T) {
		for _, c := range []struct{ hash, query, rule string }{
			{"state=cleared", "state=cleared", ""},
			{"state=active_unacknowledged", "state=active_unacknowledged", ""},
			{"state=active_acknowledged", "state=active_acknowledged", ""},
			{"state=all&severity=warning", "severity=warning", ""},
			{"state=all&rule=open_burning", "", "open_burning"},
			{"severity=critical&area=IQ-BG", "state=active&severity=critical&area=IQ-BG", ""},
		} {
			d.open(t, "alerts", "alerts?lang=en&"+c.hash)
			var want []alerts.Alert
			for _, a := range apiAlerts(t, d.url, c.query) {
				if c.rule == "" || a.Rule == c.rule {
					want = append(want, a)
				}
			}
			if len(want) == 0 {
				t.Fatalf("%s: the API has no alerts to show", c.hash)
			}
			checkRows(t, c.hash, "en", shownAlerts(t, d, "#alerts"), want)
		}
	})

	t.Run("CSV of the same selection", func(t *testing.T) {
		d.open(t, "alerts", "alerts?lang=en&state=all&area=IQ-BG")
		href := eval[string](t, d.b, `document.getElementById('alerts-csv').href`)
		shown := rowIDs(shownAlerts(t, d, "#alerts"))
		if got := csvIDs(t, readURL(t, href)); !slices.Equal(got, shown) {
			t.Errorf("the CSV at %s lists %v, the page %v", href, got, shown)
		}
		// By rule and severity too, which the API selects as the page does.
		d.open(t, "alerts", "alerts?lang=en&state=all&rule=open_burning&severity=critical")
		href = eval[string](t, d.b, `document.getElementById('alerts-csv').href`)
		shown = rowIDs(shownAlerts(t, d, "#alerts"))
		if got := csvIDs(t, readURL(t, href)); len(shown) == 0 || !slices.Equal(got, shown) {
			t.Errorf("the CSV at %s lists %v, the page %v", href, got, shown)
		}
	})

	t.Run("Arabic", func(t *testing.T) {
		d.open(t, "alerts", "alerts?lang=ar")
		if dir := eval[string](t, d.b, `document.documentElement.dir`); dir != "rtl" {
			t.Errorf("Arabic page has dir=%q", dir)
		}
		rows := shownAlerts(t, d, "#alerts")
		checkRows(t, "Arabic", "ar", rows, active)
		for _, r := range rows {
			if r.ID == "open_burning.BG-H-001" && (r.Badge != "حرج" || r.Rule != "حرق مكشوف" || !strings.HasSuffix(r.Area, "، بغداد")) {
				t.Errorf("Arabic open burning row %+v", r)
			}
		}
		if n := eval[string](t, d.b, `document.querySelector('#alert-counts .tile .tile-value').textContent`); !strings.ContainsAny(n, "٠١٢٣٤٥٦٧٨٩") {
			t.Errorf("Arabic count %q has no Arabic-Indic digits", n)
		}
		if n := eval[string](t, d.b, `document.querySelector('#f-area option[value="IQ-BA"]').textContent`); n != "البصرة" {
			t.Errorf("the governorate filter names Basra %q", n)
		}
		pick(t, d, "f-area", "IQ-BA")
		checkRows(t, "Arabic Basra", "ar", shownAlerts(t, d, "#alerts"), apiAlerts(t, d.url, "state=active&area=IQ-BA"))
		d.open(t, "alerts", "alerts?lang=ar")
		shot(t, d, "dashboard-alerts-ar.png")
	})

	t.Run("facility page shows its alerts", func(t *testing.T) {
		d.open(t, "facility", "facility/BG-H-001?lang=en")
		d.waitFor(t, `document.getElementById('facility-alerts')?.dataset.state === 'shown'`, "the facility's alerts")
		d.checkClean(t, "facility alerts")
		all := apiAlerts(t, d.url, "facility=BG-H-001")
		var want, cleared []alerts.Alert
		for _, a := range all {
			if a.State == alerts.Cleared {
				cleared = append(cleared, a)
			} else {
				want = append(want, a)
			}
		}
		slices.SortFunc(cleared, func(a, b alerts.Alert) int { return b.ClearedAt.Compare(*a.ClearedAt) })
		want = append(want, cleared...)
		if len(want) < 3 || len(cleared) < 2 {
			t.Fatalf("the API lists %v for BG-H-001, want the seeded active and cleared ones", ids(all))
		}
		rows := shownAlerts(t, d, "#facility-alert-list")
		checkRows(t, "facility", "en", rows, want)
		if !strings.HasPrefix(eval[string](t, d.b, `document.querySelector('#facility-alert-list tr[data-state=cleared] [data-col=state]').textContent`), "Cleared ") {
			t.Error("a cleared row does not say when it cleared")
		}
		d.open(t, "facility", "facility/BG-H-001?lang=ar")
		d.waitFor(t, `document.getElementById('facility-alerts')?.dataset.state === 'shown'`, "the facility's alerts in Arabic")
		checkRows(t, "facility in Arabic", "ar", shownAlerts(t, d, "#facility-alert-list"), want)
	})

	t.Run("acknowledge", func(t *testing.T) { checkAck(t, d) })

	t.Run("alerts off", func(t *testing.T) {
		off := &dashboard{url: s.offURL, b: d.b, downDir: d.downDir}
		req, err := http.NewRequest(http.MethodGet, s.offURL+"/api/v1/alerts", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+testAdminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("alerts off: the API answers %s, want 404", resp.Status)
		}
		// Its sessions are its own: the page signs in to it. (Cookies are
		// the host's, whatever the port: this one replaces the other
		// collector's, so this subtest comes last.)
		off.signIn(t, admin, "en")
		for lang, want := range map[string]string{"en": "Alerts are turned off in this collector", "ar": "التنبيهات معطّلة في هذا المجمّع"} {
			off.open(t, "alerts", "alerts?lang="+lang, "/api/v1/alerts?state=active status of 404")
			if got := eval[string](t, d.b, `document.getElementById('alerts-off')?.textContent ?? ''`); !strings.HasPrefix(got, want) {
				t.Errorf("%s: alerts off reads %q, want %q…", lang, got, want)
			}
			facility404 := "/api/v1/alerts?facility=BG-H-001 status of 404"
			off.open(t, "facility", "facility/BG-H-001?lang="+lang, facility404)
			off.waitFor(t, `document.getElementById('facility-alerts')?.dataset.state === 'off'`, "the facility page's alerts off")
			off.checkClean(t, "facility page with alerts off", facility404)
			if got := eval[string](t, d.b, `document.querySelector('#facility-alerts .hint').textContent`); !strings.HasPrefix(got, want) {
				t.Errorf("%s: the facility page says %q with alerts off", lang, got)
			}
		}
	})
}

// districtName is the district of facility id as the page names it.
func districtName(t *testing.T, d *dashboard, id, lang string) string {
	t.Helper()
	var areas struct {
		Districts []struct{ Code, Name, NameAr string }
	}
	getJSON(t, d.url+"/api/v1/areas", &areas)
	code := districtOf(t, d, id)
	for _, a := range areas.Districts {
		if a.Code == code {
			if lang == "ar" {
				return a.NameAr
			}
			return a.Name
		}
	}
	return code
}

// readURL reads url with the admin token, as getJSON does.
func readURL(t *testing.T, url string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("GET %s: %s %s %v", url, resp.Status, resp.Header.Get("Content-Type"), err)
	}
	return string(b)
}

// csvIDs are the ids of an alerts CSV, checking its header is the API's.
func csvIDs(t *testing.T, text string) []string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatalf("CSV %q: %v", text, err)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != "id,rule,facility,district,governorate,severity,state,first_seen,last_seen,count,message,message_ar,ack_by,ack_at,ack_comment,cleared_at" {
		t.Fatalf("CSV header %v", recs)
	}
	var out []string
	for _, r := range recs[1:] {
		out = append(out, r[0])
	}
	return out
}
