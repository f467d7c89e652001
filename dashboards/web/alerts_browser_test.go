package web_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/greenpulse-health/greenpulse/collector/alerts"
	"github.com/greenpulse-health/greenpulse/internal/browser"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
	"github.com/greenpulse-health/greenpulse/registry"
)

var screenshots = flag.Bool("screenshots", false, "write the alerts and events views' screenshots into docs/screenshots")

// alertStack is a collector with alerts on (seeded by writeAlertState,
// plus one raised by its own rule from an event sent through the
// broker), a collector with alerts off, both requiring sign-in
// (withUsers), and Chromium signed in to the first as the admin.
type alertStack struct {
	*dashboard
	offURL string
	// raised is the alert the collector's rule raised from the broker's
	// event.
	raised string
}

func startAlertStack(t *testing.T) *alertStack {
	t.Helper()
	stack := teststack.Start(t)
	if _, err := browser.ExecPath(); err != nil {
		t.Fatal(err) // integration tests are on: CI installs chromium
	}
	cfg := stack.CollectorConfig(t, filepath.Join("..", ".."))
	withUsers(t, &cfg)
	reg, err := registry.Load(cfg.Registry)
	if err != nil {
		t.Fatal(err)
	}
	writeAlertState(t, cfg.Alerts.StateFile, reg, time.Now())
	teststack.RunCollector(t, cfg)
	url := "http://" + cfg.HTTP.Listen

	// An open-dumping hand-over through the broker, as an agent sends it:
	// the collector's rule writes the alert's messages.
	const raised = "open_dumping.NI-H-001"
	pub := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(stack.Broker.URL()).SetClientID("agent-NI-H-001"))
	if tok := pub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect publisher: %v", tok.Error())
	}
	t.Cleanup(func() { pub.Disconnect(100) })
	payload := fmt.Sprintf(`{"ts":%d,"category":"sharps","treatment":"open_dumping","mass_kg":4.5,"id":"alerts-view-1"}`, time.Now().UnixMilli())
	if tok := pub.Publish("greenpulse/NI-H-001/waste", 1, false, payload); !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	teststack.Eventually(t, 60*time.Second, "the broker's event raised "+raised, func() (bool, string) {
		list := apiAlerts(t, url, "facility=NI-H-001&state=active")
		for _, a := range list {
			if a.ID == raised {
				return true, ""
			}
		}
		return false, fmt.Sprint(list)
	})

	// Started after the event, so that it cannot take it from a shared
	// subscription.
	off := cfg
	off.Alerts.Enabled = false
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	off.HTTP.Listen = fmt.Sprintf("127.0.0.1:%d", port)
	off.MQTT.ClientID += "-alerts-off"
	teststack.RunCollector(t, off)
	d := openBrowser(t, url)
	d.cfg = cfg
	d.signIn(t, admin, "en")
	return &alertStack{dashboard: d, offURL: "http://" + off.HTTP.Listen, raised: raised}
}

// seededAlert is an alert of the state file, at hours before now.
type seededAlert struct {
	rule, facility string
	severity       alerts.Severity
	state          alerts.State
	first, last    float64 // hours ago
	cleared        float64 // hours ago, when cleared
	count          int
	msg, msgAr     string
	ack            *alerts.Ack
}

// seeded alerts: active ones in Baghdad (IQ-BG) and Basra (IQ-BA), the
// facility page's BG-H-001 with three cleared ones, one acknowledged, and
// of a rule neither the collector nor the page knows (the collector clears
// the active one at its start).
var seededAlerts = []seededAlert{
	{rule: "open_burning", facility: "BG-H-001", severity: alerts.Critical, state: alerts.ActiveUnacknowledged, first: 3, last: 1, count: 2,
		msg: "Open burning of infectious waste (12.5 kg) reported", msgAr: "تم الإبلاغ عن حرق مكشوف لنفايات infectious (12.5 كغ)"},
	{rule: "storage_exceeded", facility: "BG-H-001", severity: alerts.Warning, state: alerts.Cleared, first: 50, last: 49, cleared: 26, count: 1,
		msg: "infectious waste stored 60 h before treatment, beyond the 48 h limit", msgAr: "خُزنت نفايات infectious لمدة 60 ساعة قبل المعالجة، متجاوزةً الحد البالغ 48 ساعة"},
	{rule: "open_dumping", facility: "BG-H-001", severity: alerts.Critical, state: alerts.Cleared, first: 100, last: 99, cleared: 90, count: 1,
		msg: "Open dumping of general waste (3 kg) reported", msgAr: "تم الإبلاغ عن رمي مكشوف لنفايات general (3 كغ)"},
	// Newer than BG-H-001's active alert: its page lists it after.
	{rule: unknownRule, facility: "BG-H-001", severity: alerts.Info, state: alerts.Cleared, first: 2, last: 1.5, cleared: 0.5, count: 1,
		msg: "Vaccine fridge above 8 °C", msgAr: "ثلاجة اللقاحات فوق 8 درجات"},
	{rule: "storage_exceeded", facility: "BG-P-001", severity: alerts.Warning, state: alerts.ActiveAcknowledged, first: 5, last: 5, count: 1,
		msg: "sharps waste stored 72 h before treatment, beyond the 48 h limit", msgAr: "خُزنت نفايات sharps لمدة 72 ساعة قبل المعالجة، متجاوزةً الحد البالغ 48 ساعة",
		ack: &alerts.Ack{By: "Dr. Salma", Comment: "waste contractor called"}},
	{rule: "open_burning", facility: "BA-H-001", severity: alerts.Critical, state: alerts.ActiveUnacknowledged, first: 2, last: 2, count: 1,
		msg: "Open burning of pathological waste (7 kg) reported", msgAr: "تم الإبلاغ عن حرق مكشوف لنفايات pathological (7 كغ)"},
	{rule: "storage_exceeded", facility: "BA-P-001", severity: alerts.Warning, state: alerts.ActiveUnacknowledged, first: 6, last: 4, count: 3,
		msg: "general waste stored 50 h before treatment, beyond the 48 h limit", msgAr: "خُزنت نفايات general لمدة 50 ساعة قبل المعالجة، متجاوزةً الحد البالغ 48 ساعة"},
	{rule: "cold_chain_breach", facility: "BA-P-002", severity: alerts.Info, state: alerts.ActiveUnacknowledged, first: 8, last: 8, count: 1,
		msg: "Vaccine fridge above 8 °C", msgAr: "ثلاجة اللقاحات فوق 8 درجات"},
}

// unknownRule is the seeded rule the dashboard has no name for.
const unknownRule = "cold_chain_breach"

// writeAlertState writes seededAlerts into the collector's alert state
// file at path, as its store writes it, with times before now.
func writeAlertState(t *testing.T, path string, reg *registry.Registry, now time.Time) {
	t.Helper()
	now = now.UTC().Truncate(time.Second)
	ago := func(h float64) time.Time { return now.Add(-time.Duration(h * float64(time.Hour))) }
	var list []alerts.Alert
	for _, s := range seededAlerts {
		f, ok := reg.Lookup(s.facility)
		if !ok {
			t.Fatalf("%s is not in configs/facilities.csv", s.facility)
		}
		a := alerts.Alert{ID: alerts.ID(s.rule, s.facility), Rule: s.rule, Facility: s.facility, District: f.District, Governorate: f.Governorate,
			Severity: s.severity, Message: s.msg, MessageAr: s.msgAr, FirstSeen: ago(s.first), LastSeen: ago(s.last), Count: s.count, State: s.state}
		if s.ack != nil {
			a.Ack = &alerts.Ack{By: s.ack.By, At: ago(s.first - 1), Comment: s.ack.Comment}
		}
		if s.state == alerts.Cleared {
			at := ago(s.cleared)
			a.ClearedAt = &at
		}
		list = append(list, a)
	}
	b, err := json.Marshal(map[string]any{"format": 1, "alerts": list})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// apiAlerts answers GET /api/v1/alerts?query of the collector at url.
func apiAlerts(t *testing.T, url, query string) []alerts.Alert {
	t.Helper()
	var list []alerts.Alert
	getJSON(t, url+"/api/v1/alerts?"+query, &list)
	return list
}

// ids are the alerts' ids, in order.
func ids(list []alerts.Alert) []string {
	out := make([]string, 0, len(list))
	for _, a := range list {
		out = append(out, a.ID)
	}
	return out
}

// shot saves the window into docs/screenshots/name when -screenshots is
// given.
func shot(t *testing.T, d *dashboard, name string) {
	t.Helper()
	if !*screenshots {
		return
	}
	png, err := d.b.Screenshot(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "docs", "screenshots", name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s (%d KB)", path, len(png)/1024)
}

// checkAck acknowledges two alerts through the page's form as their
// facilities' own accounts, with the session and no token field: the
// first in English by BA-H-001's account, the second in Arabic by
// BA-P-001's. A planner reads the alerts but has no button; a facility's
// account sees only its facility's alerts, and the API refuses it
// another's.
func checkAck(t *testing.T, d *dashboard) {
	t.Helper()
	const first, second = "open_burning.BA-H-001", "storage_exceeded.BA-P-001"
	form := func(id string) string { return fmt.Sprintf(`.ack-form[data-id=%q]`, id) }
	openForm := func(id string) {
		t.Helper()
		if err := d.b.Do(10*time.Second, chromedp.Click(chromedp.CSS(fmt.Sprintf(`tr[data-id=%q] .ack-open`, id)))); err != nil {
			t.Fatal(err)
		}
		d.waitFor(t, fmt.Sprintf(`document.querySelector('%s') !== null`, form(id)), "the form of "+id)
	}
	// checkForm checks that the form of id asks for nothing but a
	// comment, and names the account it goes as.
	checkForm := func(id, user string) {
		t.Helper()
		f := eval[map[string]any](t, d.b, fmt.Sprintf(`(() => { const f = document.querySelector('%s');
			return {fields: [...f.querySelectorAll('input, select, textarea')].map((e) => e.name + ':' + e.type), as: f.querySelector('.ack-as')?.textContent ?? ''}; })()`, form(id)))
		if fmt.Sprint(f["fields"]) != "[comment:text]" {
			t.Errorf("the form of %s has the fields %v, want only the comment (no token, no name)", id, f["fields"])
		}
		if as, _ := f["as"].(string); !strings.Contains(as, user) {
			t.Errorf("the form of %s says %q, want it to name %s", id, as, user)
		}
	}
	comment := func(id, text string) {
		t.Helper()
		if err := d.b.Do(10*time.Second, chromedp.SendKeys(chromedp.CSS(form(id)+" [name=comment]"), text)); err != nil {
			t.Fatal(err)
		}
	}
	submit := func(id string) {
		t.Helper()
		if err := d.b.Do(10*time.Second, chromedp.Click(chromedp.CSS(form(id)+" .ack-send"))); err != nil {
			t.Fatal(err)
		}
	}
	acked := func(id, by, prefix, comment string) {
		t.Helper()
		d.waitFor(t, fmt.Sprintf(`document.querySelector('tr[data-id=%q]')?.dataset.state === 'active_acknowledged'`, id), id+" acknowledged on the page")
		got := eval[string](t, d.b, fmt.Sprintf(`document.querySelector('tr[data-id=%q] [data-col=ack]').textContent`, id))
		if !strings.HasPrefix(got, prefix) || !strings.HasSuffix(got, comment) {
			t.Errorf("%s: the row says %q, want %q…%q", id, got, prefix, comment)
		}
		var a alerts.Alert
		for _, x := range apiAlerts(t, d.url, "state=active_acknowledged") {
			if x.ID == id {
				a = x
			}
		}
		if a.Ack == nil || a.Ack.By != by || a.Ack.Comment != comment {
			t.Errorf("%s: the API has %+v, want it acknowledged by %s with %q", id, a, by, comment)
		}
	}

	// A planner reads every alert, and may acknowledge none.
	d.signIn(t, planner, "en")
	d.open(t, "alerts", "alerts?lang=en")
	if n := eval[[]int](t, d.b, `[document.querySelectorAll('#alerts tbody tr[data-state=active_unacknowledged]').length, document.querySelectorAll('.ack-open').length]`); n[0] == 0 || n[1] != 0 {
		t.Errorf("a planner sees %d unacknowledged alerts and %d buttons to acknowledge, want some and none", n[0], n[1])
	}

	// BA-H-001's account lists its facility's alerts only, and
	// acknowledges its own.
	d.signIn(t, facilityBA, "en")
	d.open(t, "alerts", "alerts?lang=en")
	rows := shownAlerts(t, d, "#alerts")
	if want := ids(apiAlerts(t, d.url, "state=active&facility=BA-H-001")); !slices.Equal(rowIDs(rows), want) || len(want) == 0 {
		t.Errorf("BA-H-001's account sees the alerts %v, want its facility's %v", rowIDs(rows), want)
	}
	openForm(first)
	checkForm(first, facilityBA)
	comment(first, "contractor on the way")
	submit(first)
	acked(first, facilityBA, "Acknowledged by "+facilityBA+", ", "contractor on the way")
	d.checkClean(t, "after acknowledging")

	// The same with BA-P-001's account, in Arabic.
	d.signIn(t, facilityBP, "ar")
	d.open(t, "alerts", "alerts?lang=ar")
	openForm(second)
	checkForm(second, facilityBP)
	comment(second, "تم الاتصال")
	submit(second)
	acked(second, facilityBP, "أقرّ به "+facilityBP+"، ", "تم الاتصال")
	d.checkClean(t, "after acknowledging in Arabic")

	// Another facility's alert is unknown to this account (404, as one
	// that does not exist, so that alerts elsewhere cannot be probed), and
	// stays unacknowledged.
	post := func(id string, withCSRF bool) int {
		t.Helper()
		status, err := browser.EvalAwait[int](d.b, 10*time.Second, fmt.Sprintf(`fetch('/api/v1/session').then((r) => r.json()).then((s) =>
			fetch('/api/v1/alerts/' + encodeURIComponent(%q) + '/ack', {method: 'POST', headers: {'Content-Type': 'application/json', ...(%t ? {'X-CSRF-Token': s.csrf} : {})},
				body: JSON.stringify({by: 'x', comment: 'not mine'})})).then((r) => r.status)`, id, withCSRF))
		if err != nil {
			t.Fatal(err)
		}
		return status
	}
	if st := post("open_burning.BG-H-001", true); st != 404 {
		t.Errorf("BA-P-001's account acknowledging BG-H-001's alert: %d, want 404", st)
	}
	if a := apiAlerts(t, d.url, "facility=BG-H-001&state=active"); len(a) == 0 || a[0].Ack != nil {
		t.Errorf("BG-H-001's alerts after another facility's try: %+v", a)
	}
	// A POST with the session's cookie but without its CSRF token is
	// refused before it reaches the alert, its own facility's as it is.
	if st := post(second, false); st != 403 {
		t.Errorf("an acknowledgement without X-CSRF-Token: %d, want 403", st)
	}
	d.checkClean(t, "the refused acknowledgements", "/api/v1/alerts/open_burning.BG-H-001/ack status of 404", "/api/v1/alerts/"+second+"/ack status of 403")
	// Nothing of the session is in storage or the address, and its cookie
	// is out of the page's reach (HttpOnly).
	csrf := pageGet[struct{ CSRF string }](t, d, "/api/v1/session").Body.CSRF
	leak := eval[string](t, d.b, `JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + location.href + document.cookie`)
	if csrf == "" || strings.Contains(leak, csrf) || strings.Contains(leak, "greenpulse_session") {
		t.Errorf("the session is stored, in the address or readable by scripts (CSRF token %q): %s", csrf, leak)
	}
	// The other refusals, in both languages.
	got, err := browser.EvalAwait[[]string](d.b, 10*time.Second, `Promise.all([import('/static/js/views/alertlist.js'), import('/static/js/i18n.js')]).then(([m, i]) =>
		['en', 'ar'].flatMap((l) => [403, 409].map((status) => m.ackErrorText(new i.I18n(l), {status, message: 'x'}))))`)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"may not acknowledge", "cleared", "لا يسمح حسابك", "زال"} {
		if !strings.Contains(got[i], want) {
			t.Errorf("refusal %d reads %q, want it to say %q", i, got[i], want)
		}
	}
}
