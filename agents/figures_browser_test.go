package agents_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/greenpulse-health/greenpulse/agents"
	"github.com/greenpulse-health/greenpulse/agents/web"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/internal/browser"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
	"github.com/greenpulse-health/greenpulse/registry"
	"github.com/greenpulse-health/greenpulse/registry/events"
)

// TestFiguresOnTheAgentsPageEqualTheCollectors is a facility manager
// reading the facility's figures on a phone (360 × 740): an agent takes
// a day and a half of a simulated hospital's readings (grid with
// outages, generator and fuel, PV, waste) plus a hand-over burnt in the
// open after 30 hours in store, sends them through a real Mosquitto to a
// real collector and InfluxDB, and the collector's roll-up computes the
// days and the month. The page's figures for today, yesterday and this
// month, in English and in Arabic, equal the collector's facility-level
// indicators from GET /api/v1/indicators to the tenth the page shows; the
// month shows the collector's official figures (the retained figures
// topic) beside them, and its charts. Then the broker stops: the page
// still shows every figure, and says the link is down. It logs how long
// the page took to show its figures.
func TestFiguresOnTheAgentsPageEqualTheCollectors(t *testing.T) {
	stack := teststack.Start(t)
	ccfg := stack.CollectorConfig(t, "..")
	// Roll-ups on, so that the collector's own publisher sends the
	// official month figures after the roll-up below.
	ccfg.Rollup.Enabled = true
	ccfg.HTTP.AdminToken = "figures-test-admin-token"
	teststack.RunCollector(t, ccfg)
	loc, err := ccfg.Rollup.Location()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Load(ccfg.Registry)
	if err != nil {
		t.Fatal(err)
	}
	row, _ := reg.Lookup(facility)

	now := time.Now()
	if local := now.In(loc); local.Hour() == 23 && local.Minute() >= 30 {
		t.Skip("too close to local midnight: today would change between the agent's figures and the collector's roll-up")
	}
	today := events.DateOf(now, loc)
	yesterday := today.AddDays(-1)

	const password = "figures-page-pw"
	cfg := wasteAgentConfig(t, stack.Broker.URL(), password)
	cfg.MQTT.MaxReconnectInterval = time.Second
	cfg.MQTT.AckTimeout = 2 * time.Second // the agent stops quickly with the broker gone
	cfg.Figures.Beds, cfg.Figures.PVkWp = row.Beds, row.PVkWp

	// The history, taken while the agent was offline (its figures saved
	// on Close, read back by the agent that then runs).
	a, err := agents.NewSimulated(cfg, row, "test", agents.NewMetricsDiscard(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	history := a.Simulator().Readings(yesterday.In(loc).Add(-2*time.Hour), now, 5*time.Minute)
	if err := a.Record("simulate", history); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	startAgent(t, cfg)
	agentURL := "http://" + cfg.HTTP.Listen
	teststack.Eventually(t, 15*time.Second, "agent up", func() (bool, string) {
		_, err := web.FetchStatus(cfg.HTTP.Listen)
		return err == nil, fmt.Sprint(err)
	})
	resp := agentCall(t, http.MethodPost, agentURL+"/api/v1/waste", password,
		`{"category":"pathological","treatment":"open_burning","mass_kg":3.5,"stored_hours":30,"note":"pit behind the morgue"}`)
	if body := readAll(resp); resp.StatusCode != http.StatusCreated {
		t.Fatalf("waste entry: %s %s", resp.Status, body)
	}

	// Everything the agent took is in InfluxDB.
	stored := map[string]int{}
	for _, r := range history {
		stored[string(r.Stream)]++
	}
	stored["waste"]++
	for stream, n := range stored {
		teststack.Eventually(t, 60*time.Second, stream+" readings in InfluxDB", func() (bool, string) {
			got := teststack.CountPoints(t, stack.Influx.URL(), stream, map[string]string{"energy": "kwh_total", "solar": "kwh_total", "waste": "mass_kg"}[stream], facility)
			return got == n, fmt.Sprintf("%d of %d", got, n)
		})
	}

	// The running collector's roll-up of yesterday, today and their
	// months, which also publishes the month's official figures.
	api := "http://" + ccfg.HTTP.Listen
	rollURL := api + "/api/v1/rollup?" + url.Values{"from": {yesterday.String()}, "to": {today.AddDays(1).String()}}.Encode()
	req, err := http.NewRequest(http.MethodPost, rollURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+ccfg.HTTP.AdminToken)
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatalf("roll-up: %v", err)
	} else if body := readAll(resp); resp.StatusCode != http.StatusOK {
		t.Fatalf("roll-up: %s %s", resp.Status, body)
	}
	days := collectorValues(t, api, "day", yesterday, today.AddDays(1))
	monthStart := events.Date{Year: today.Year, Month: today.Month, Day: 1}
	months := collectorValues(t, api, "month", monthStart, today.AddDays(1))
	want := map[string]map[indicators.ID]float64{"today": days[today], "yesterday": days[yesterday], "this_month": months[monthStart]}
	for name, v := range want {
		if v[indicators.EnergyKWh] <= 0 || (name != "yesterday" && v[indicators.UnsafeDisposalKg] < 3.5) {
			t.Fatalf("the collector's %s has too little to compare: %v", name, v)
		}
	}

	// The collector's official month figures, from its publisher through
	// the broker's retained figures topic.
	teststack.Eventually(t, 15*time.Second, "the official figures on the agent", func() (bool, string) {
		body := agentGet(t, agentURL+"/api/v1/figures?period=month", password)
		return strings.Contains(body, `"start":"`+monthStart.String()+`"`) && strings.Contains(body, `"connected":true`), body
	})

	b := figuresBrowser(t)
	if err := b.Do(15*time.Second, chromedp.Navigate(agentURL+"/"), chromedp.WaitVisible(chromedp.ID("login-form"))); err != nil {
		t.Fatalf("login form: %v", err)
	}
	logIn(t, b, password)
	waitFor(t, b, `document.body.dataset.figuresReady === "1"`, "the figures")
	checkFigures(t, b, "English", want, row.PVkWp, true)
	if got := eval[int](t, b, `Chart.getChart("fig-chart-energy").data.datasets.length`); got != 4 {
		t.Errorf("the energy chart has %d sources, want grid, generator, other, solar", got)
	}
	if got := eval[int](t, b, `Chart.getChart("fig-chart-waste").data.labels.length`); got != today.Day {
		t.Errorf("the waste chart has %d days, want %d", got, today.Day)
	}
	if got := eval[string](t, b, `document.getElementById("figures-note").textContent`); !strings.Contains(got, "Collector's figures computed") {
		t.Errorf("month note %q", got)
	}
	fitsThePhone(t, b, "English")

	// In Arabic: right to left, Arabic-Indic digits, the same numbers.
	if err := b.Do(10*time.Second, chromedp.Click(chromedp.ID("lang"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, `document.documentElement.dir === "rtl" && document.body.dataset.figuresReady === "1"`, "the figures in Arabic")
	checkFigures(t, b, "Arabic", want, row.PVkWp, true)
	if got := eval[string](t, b, `document.querySelector('#figures tr[data-indicator="waste_kg"] td[data-source="agent"] .n').textContent`); !strings.ContainsAny(got, "٠١٢٣٤٥٦٧٨٩") {
		t.Errorf("the Arabic page writes %q, want Arabic-Indic digits", got)
	}
	fitsThePhone(t, b, "Arabic")
	if err := b.Do(10*time.Second, chromedp.Click(chromedp.ID("lang"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, `document.documentElement.dir === "ltr" && document.body.dataset.figuresReady === "1"`, "the page in English again")

	// How long the page takes to show its figures, logged in, on the
	// phone-sized window: the target is 1 s.
	var took []time.Duration
	var pageMs []int
	for range 5 {
		start := time.Now()
		if err := b.Do(15*time.Second, chromedp.Navigate(agentURL+"/")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b, `document.body.dataset.figuresReady === "1"`, "the figures after a reload")
		took = append(took, time.Since(start))
		pageMs = append(pageMs, eval[int](t, b, `Number(document.body.dataset.figuresReadyMs)`))
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	slices.Sort(pageMs)
	t.Logf("the agent's page with its figures at 360×740: median %s from navigation until the figures show (fastest %s, slowest %s); "+
		"by the page's clock median %d ms (target ≤ 1000 ms)", took[2].Round(time.Millisecond), took[0].Round(time.Millisecond),
		took[4].Round(time.Millisecond), pageMs[2])

	// The link goes down: every figure is still there, and the page says
	// where it comes from.
	if err := stack.Broker.Stop(); err != nil {
		t.Fatal(err)
	}
	teststack.Eventually(t, 30*time.Second, "the agent offline", func() (bool, string) {
		body := agentGet(t, agentURL+"/api/v1/figures?period=day", password)
		return strings.Contains(body, `"connected":false`), body
	})
	if err := b.Do(15*time.Second, chromedp.Navigate(agentURL+"/")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, `document.body.dataset.figuresReady === "1"`, "the figures offline")
	checkFigures(t, b, "English, offline", want, row.PVkWp, true)
	if got := eval[string](t, b, `document.getElementById("figures-note").textContent`); !strings.Contains(got, "The link to the collector is down") {
		t.Errorf("offline note %q", got)
	}
	noConsoleErrorsBut(t, b)
}

// figuresBrowser is Chromium in a 360 × 740 window, the smallest common
// phone.
func figuresBrowser(t *testing.T) *browser.Browser {
	t.Helper()
	if _, err := browser.ExecPath(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	b, err := browser.Start(ctx, t.TempDir(), 360, 740)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	// Headless Chromium keeps its window at least 500 px wide: the
	// viewport of a phone, touch and all, is emulated.
	if err := b.Do(10*time.Second, chromedp.EmulateViewport(360, 740, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
		t.Fatal(err)
	}
	return b
}

// shownRow is one figure as the page shows it.
type shownRow struct {
	ID       string   `json:"id"`
	Agent    []string `json:"agent"`
	Official []string `json:"official"`
	Visible  bool     `json:"visible"`
}

// checkFigures compares each tab of the page with the collector's values:
// every facility-level indicator the collector has is shown, equal to
// the tenth (counts exactly), and nothing it lacks; the month's official
// column too.
func checkFigures(t *testing.T, b *browser.Browser, what string, want map[string]map[indicators.ID]float64, kwp float64, official bool) {
	t.Helper()
	for _, tab := range []struct{ id, period string }{{"fig-tab-today", "today"}, {"fig-tab-yesterday", "yesterday"}, {"fig-tab-month", "this_month"}} {
		if err := b.Do(10*time.Second, chromedp.Click(chromedp.ID(tab.id))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, b, `document.body.dataset.figuresPeriod === "`+tab.period+`"`, what+" "+tab.period)
		var rows []shownRow
		if err := json.Unmarshal([]byte(eval[string](t, b, `JSON.stringify(Array.from(document.querySelectorAll("#figures tr[data-indicator]")).map((tr) => ({
			id: tr.dataset.indicator,
			agent: Array.from(tr.querySelectorAll('td[data-source="agent"] .n')).map((n) => n.textContent),
			official: Array.from(tr.querySelectorAll('td[data-source="official"] .n')).map((n) => n.textContent),
			visible: tr.getBoundingClientRect().height > 0})))`)), &rows); err != nil {
			t.Fatal(err)
		}
		shown := map[string]shownRow{}
		for _, r := range rows {
			shown[r.ID] = r
		}
		exp := want[tab.period]
		for _, d := range indicators.Catalog {
			if d.AreasOnly {
				continue
			}
			v, has := exp[d.ID]
			r, ok := shown[string(d.ID)]
			switch {
			case !has && ok && len(r.Agent) > 0:
				t.Errorf("%s, %s: the page shows %s = %v, the collector has no value", what, tab.period, d.ID, r.Agent)
			case !has:
			case !ok || !r.Visible || len(r.Agent) != 1:
				t.Errorf("%s, %s: %s (collector %v) not shown: %+v", what, tab.period, d.ID, v, r)
			default:
				matches(t, fmt.Sprintf("%s, %s: %s", what, tab.period, d.ID), r.Agent[0], v, d.ID == indicators.StorageExceededCount)
				if tab.period == "this_month" && official {
					if len(r.Official) != 1 {
						t.Errorf("%s: %s has no official figure: %+v", what, d.ID, r)
					} else {
						matches(t, fmt.Sprintf("%s, official: %s", what, d.ID), r.Official[0], v, d.ID == indicators.StorageExceededCount)
					}
				}
			}
		}
		if solar, ok := exp[indicators.SolarKWh]; ok {
			if r := shown["solar_kwh_per_kwp"]; len(r.Agent) == 1 {
				matches(t, what+", "+tab.period+": solar yield", r.Agent[0], solar/kwp, false)
			} else {
				t.Errorf("%s, %s: no solar yield: %+v", what, tab.period, r)
			}
		}
		if r := shown["grid_hours"]; len(r.Agent) != 2 {
			t.Errorf("%s, %s: hours with grid %+v", what, tab.period, r)
		} else if live, covered := shownNumber(t, r.Agent[0]), shownNumber(t, r.Agent[1]); covered <= 0 || live > covered ||
			math.Abs(100*live/covered-exp[indicators.GridAvailabilityPct]) > 1 {
			t.Errorf("%s, %s: %v of %v hours with grid, the collector's availability %v %%", what, tab.period, live, covered, exp[indicators.GridAvailabilityPct])
		}
	}
}

// matches fails the test unless text, a figure the page shows, is value
// to the page's precision (a tenth, or whole for counts).
func matches(t *testing.T, what, text string, value float64, count bool) {
	t.Helper()
	got := shownNumber(t, text)
	tol := 0.05 + 1e-9*math.Abs(value)
	if count {
		tol = 0
	}
	if math.Abs(got-value) > tol+1e-9 {
		t.Errorf("%s: the page shows %q, the collector %v", what, text, value)
	}
}

// shownNumber reads a number as the page writes it in English (1,234.5)
// or Arabic (١٬٢٣٤٫٥).
func shownNumber(t *testing.T, s string) float64 {
	t.Helper()
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '٠' && r <= '٩':
			b.WriteRune('0' + (r - '٠'))
		case r == '٫' || r == '.':
			b.WriteRune('.')
		case r == ',' || r == '٬' || r == '\u00a0' || r == '\u202f' || r == '\u061c' || r == '\u200f':
		default:
			b.WriteRune(r)
		}
	}
	v, err := strconv.ParseFloat(b.String(), 64)
	if err != nil {
		t.Fatalf("the page shows %q, not a number: %v", s, err)
	}
	return v
}

// fitsThePhone fails the test when the page is wider than the window.
func fitsThePhone(t *testing.T, b *browser.Browser, what string) {
	t.Helper()
	if w := eval[int](t, b, `window.innerWidth`); w != 360 {
		t.Fatalf("%s: the window is %d px wide, want 360", what, w)
	}
	if w := eval[int](t, b, `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
		t.Errorf("%s: the page is %d px wider than the 360 px window", what, w)
	}
	// Nor does any table of the figures need scrolling sideways.
	if got := eval[string](t, b, `Array.from(document.querySelectorAll("#figures-card div, #figures-card table")).filter((e) =>
		e.scrollWidth > e.clientWidth + 1).map((e) => e.tagName + "." + e.className).join(", ")`); got != "" {
		t.Errorf("%s: wider than their place: %s", what, got)
	}
}

// collectorValues reads the facility's indicators of period kind for the
// local days [from, to) from the collector's API, by the period's start.
func collectorValues(t *testing.T, api, kind string, from, to events.Date) map[events.Date]map[indicators.ID]float64 {
	t.Helper()
	q := url.Values{"level": {"facility"}, "area": {facility}, "period": {kind}, "from": {from.String()}, "to": {to.String()}}
	resp, err := http.Get(api + "/api/v1/indicators?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(resp)
	var rows []struct {
		Indicator indicators.ID `json:"indicator"`
		Start     string        `json:"start"`
		Value     float64       `json:"value"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &rows) != nil {
		t.Fatalf("collector indicators: %s %s", resp.Status, body)
	}
	out := map[events.Date]map[indicators.ID]float64{}
	for _, r := range rows {
		d, err := events.ParseDate(r.Start[:10])
		if err != nil {
			t.Fatal(err)
		}
		if out[d] == nil {
			out[d] = map[indicators.ID]float64{}
		}
		out[d][r.Indicator] = r.Value
	}
	return out
}

func agentGet(t *testing.T, u, password string) string {
	t.Helper()
	resp, err := tryAgentCall(http.MethodGet, u, password, "")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
