package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/greenpulse-health/greenpulse/internal/browser"
)

// TestEventsView checks the Events view against GET /api/v1/surge of a
// real collector whose roll-up computed the events' days from readings:
// every total, ratio and exceeded facility shown is the API's, in
// English and Arabic, for the planner, an officer and the public, and
// the page fits a phone's width.
func TestEventsView(t *testing.T) {
	s := startEventStack(t)
	d := s.dashboard
	var catalog []struct{ ID, Unit string }
	getJSON(t, d.url+"/api/v1/catalog", &catalog)
	units := map[string]string{}
	for _, c := range catalog {
		units[c.ID] = c.Unit
	}
	answerOf := func(t *testing.T, d *dashboard, id string) surgeAnswer {
		t.Helper()
		got := pageGet[surgeAnswer](t, d, "/api/v1/surge?event="+id)
		if got.Status != 200 {
			t.Fatalf("GET /api/v1/surge?event=%s from the page: %d", id, got.Status)
		}
		return got.Body
	}
	page := func(t *testing.T, d *dashboard) eventPage {
		t.Helper()
		return eval[eventPage](t, d.b, readEventPage)
	}

	t.Run("the numbers are the API's, in English and Arabic", func(t *testing.T) {
		for _, lang := range []string{"en", "ar"} {
			d.open(t, "events", "events/"+shrine2026+"?lang="+lang)
			a := answerOf(t, d, shrine2026)
			// What the data was seeded to exercise.
			if a.Previous == nil || a.Previous.Event != shrine2025 || len(a.Exceeded) == 0 || len(a.Facilities) != 15 {
				t.Fatalf("the answer has previous %v, exceeded %v and %d facilities: the seeded data should give the 2025 event, some and 15",
					a.Previous, a.Exceeded, len(a.Facilities))
			}
			if ka, _ := a.row("KA-P-003"); ka.Total["energy_kwh"].Value != nil {
				t.Fatalf("KA-P-003 has no meter, yet the answer's energy total is %v", show(ka.Total["energy_kwh"].Value))
			}
			if c := a.Areas[0].Days[0].Values["waste_kg"]; a.Baseline.Weeks != 2 || c.Min == nil || c.Max == nil || *c.Min == *c.Max {
				t.Fatalf("the first day's baseline band over %d weeks is %s–%s: two weeks of noisy data should give a band", a.Baseline.Weeks, show(c.Min), show(c.Max))
			}
			p := page(t, d)
			checkEventPage(t, lang, p, a, units, shrine2026, "waste_kg")
			name := map[string]string{"en": "Shrine visit 2026", "ar": "زيارة المرقد ٢٠٢٦"}[lang]
			if !strings.HasPrefix(p.Title, name) || p.Dir != map[string]string{"en": "ltr", "ar": "rtl"}[lang] {
				t.Errorf("%s: title %q dir %s", lang, p.Title, p.Dir)
			}
			if lang == "ar" && !strings.ContainsAny(p.Totals["waste_kg"].Value, "٠١٢٣٤٥٦٧٨٩") {
				t.Errorf("Arabic total %q has no Arabic-Indic digits", p.Totals["waste_kg"].Value)
			}
			shot(t, d, map[string]string{"en": "events.png", "ar": "events-ar.png"}[lang])
		}
	})

	t.Run("a measure, an area and a facility picked", func(t *testing.T) {
		d.open(t, "events", "events/"+shrine2026+"?lang=en&measure=energy_kwh&sel=KA-KRB")
		a := answerOf(t, d, shrine2026)
		checkEventPage(t, "energy of KA-KRB", page(t, d), a, units, "KA-KRB", "energy_kwh")
		// The measure picker, then a facility of the exceeded list: each
		// redraws the view from the same answer.
		pick(t, d, "measure", "generator_fuel_l")
		checkEventPage(t, "fuel of KA-KRB", page(t, d), a, units, "KA-KRB", "generator_fuel_l")
		first := a.Exceeded[0]
		eval[bool](t, d.b, `(() => { document.getElementById('view').dataset.old = '1'; document.querySelector('#exceeded tbody tr[data-key] a').click(); return true; })()`)
		d.waitFor(t, `!document.querySelector('#view[data-old]') && document.body.dataset.ready === '1'`, "the view redrawn for "+first)
		d.checkClean(t, "facility "+first)
		checkEventPage(t, "fuel of "+first, page(t, d), a, units, first, "generator_fuel_l")
		if got := eval[string](t, d.b, `document.getElementById('timeline-of').value`); got != first {
			t.Errorf("the timeline's list shows %q, want the facility picked, %s", got, first)
		}
		// KA-P-002's meter sent nothing on the event's second day: that
		// day is a gap, not a zero.
		d.open(t, "events", "events/"+shrine2026+"?lang=en&measure=energy_kwh&sel=KA-P-002")
		p := page(t, d)
		checkEventPage(t, "energy of KA-P-002", p, a, units, "KA-P-002", "energy_kwh")
		if p.Timeline.Data[3][1] != nil {
			t.Errorf("KA-P-002's energy on the second day shows %v, want a gap", *p.Timeline.Data[3][1])
		}
	})

	t.Run("an event without one a year earlier says so", func(t *testing.T) {
		d.open(t, "events", "events/"+clinic2026+"?lang=en")
		a := answerOf(t, d, clinic2026)
		p := page(t, d)
		checkEventPage(t, clinic2026, p, a, units, clinic2026, "waste_kg")
		if want := "No earlier event of this series is configured: nothing to compare with."; p.NoPrev != want {
			t.Errorf("note %q, want %q", p.NoPrev, want)
		}
	})

	t.Run("an event that is not configured says so", func(t *testing.T) {
		d.open(t, "events", "events/no-such-event?lang=en", "/api/v1/surge?event=no-such-event 404")
		note := eval[string](t, d.b, `document.getElementById('unknown-event')?.textContent ?? ''`)
		if want := "Event no-such-event is not configured here: pick one of the list."; note != want {
			t.Errorf("note %q, want %q", note, want)
		}
		if n := eval[int](t, d.b, `document.querySelectorAll('#event option:not([disabled])').length`); n != 3 {
			t.Errorf("the picker offers %d events, want the 3 configured", n)
		}
	})

	t.Run("the first view is the latest event begun; the picker changes it", func(t *testing.T) {
		d.open(t, "national", "national?lang=en")
		if text := eval[string](t, d.b, `document.getElementById('nav-events')?.textContent ?? ''`); text != "Events" {
			t.Fatalf("navigation link %q, want Events", text)
		}
		d.goTo(t, "events", "events?lang=en")
		if got := eval[string](t, d.b, `document.getElementById('event').value`); got != shrine2026 {
			t.Errorf("the view opened on %q, want %s (begun last)", got, shrine2026)
		}
		pick(t, d, "event", shrine2025)
		a := answerOf(t, d, shrine2025)
		if a.Previous != nil {
			t.Errorf("%s has a previous event %s", shrine2025, a.Previous.Event)
		}
		checkEventPage(t, shrine2025, page(t, d), a, units, shrine2025, "waste_kg")
		if !strings.Contains(eval[string](t, d.b, `location.hash`), "#/events/"+shrine2025+"?") {
			t.Errorf("address %s, want the event's", eval[string](t, d.b, `location.hash`))
		}
	})

	t.Run("the CSV link is the API's CSV", func(t *testing.T) {
		d.open(t, "events", "events/"+shrine2026+"?lang=en")
		p := page(t, d)
		if p.CSV != "/api/v1/surge?event="+shrine2026+"&format=csv" {
			t.Fatalf("CSV link %q", p.CSV)
		}
		text, err := browser.EvalAwait[string](d.b, 10*time.Second, fmt.Sprintf(`fetch(%q).then((r) => r.text())`, p.CSV))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(text, "\ufeff")), "\n")
		a := answerOf(t, d, shrine2026)
		// A row per area or facility, day (and total) and measure.
		want := (len(a.Areas) + len(a.Facilities)) * (len(a.Days) + 1) * len(a.Measures)
		if lines[0] != "level,area,day,measure,value,baseline,baseline_min,baseline_max,ratio" || len(lines)-1 != want {
			t.Errorf("CSV header %q and %d rows, want the contract's header and %d rows", lines[0], len(lines)-1, want)
		}

		// The header's Download CSV: the areas table, raw numbers.
		recs := d.downloadCSV(t, "csv", "greenpulse-events-"+shrine2026+"-areas.csv")
		if len(recs) != len(a.Areas)+1 || strings.TrimPrefix(recs[0][0], "\ufeff") != "level" || recs[0][4] != "waste_kg_value" {
			t.Fatalf("areas CSV has %d lines (want %d) and header %v", len(recs), len(a.Areas)+1, recs[0])
		}
		for i, r := range a.Areas {
			rec := recs[i+1]
			for k, m := range a.Measures {
				c := r.Total[m]
				for j, v := range []*float64{c.Value, c.Baseline, c.Ratio} {
					if cell := rec[4+3*k+j]; cell != show(v) && !(v == nil && cell == "") {
						t.Errorf("areas CSV %s %s column %s: %q, the API %s", r.code(), m, recs[0][4+3*k+j], cell, show(v))
					}
				}
			}
		}
	})

	t.Run("a phone's width: no sideways scrolling", func(t *testing.T) {
		if err := d.b.Do(10*time.Second, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulatePortrait)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = d.b.Do(10*time.Second, chromedp.ResetViewport()) })
		for _, lang := range []string{"en", "ar"} {
			d.open(t, "events", "events/"+shrine2026+"?lang="+lang)
			w := eval[map[string]int](t, d.b, `({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
				widest: Math.max(...[...document.querySelectorAll('#view > *')].map((e) => Math.ceil(e.getBoundingClientRect().width)))})`)
			if w["scroll"] > w["client"] || w["client"] > 400 || w["widest"] > w["client"] {
				t.Errorf("%s at 390 px: page %d px wide in a %d px window (widest part %d px)", lang, w["scroll"], w["client"], w["widest"])
			}
			checkEventPage(t, lang+" on a phone", page(t, d), answerOf(t, d, shrine2026), units, shrine2026, "waste_kg")
			if lang == "ar" {
				shot(t, d, "events-phone-ar.png")
			}
		}
	})

	t.Run("public mode: governorates coloured, no facility", func(t *testing.T) {
		resp, err := http.Get(s.publicURL + "/api/v1/surge?event=" + shrine2026)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("public mode: GET /api/v1/surge?event= answers %s to a visitor: collector/access's publicPath must let the public read it "+
				"(the contract: governorate and event-level areas, no facility rows)", resp.Status)
		}
		pub := &dashboard{url: s.publicURL, b: d.b, downDir: d.downDir}
		pub.open(t, "events", "events/"+shrine2026+"?lang=en")
		a := answerOf(t, pub, shrine2026)
		if len(a.Facilities) != 0 || len(a.Areas) == 0 {
			t.Fatalf("the public answer has %d facilities and %d areas", len(a.Facilities), len(a.Areas))
		}
		p := page(t, pub)
		checkEventPage(t, "public", p, a, units, shrine2026, "waste_kg")
		govs := 0
		for _, r := range a.Areas {
			if r.Level == "governorate" {
				govs++
			}
		}
		// Karbala is in the event whole; of Najaf only the district
		// NA-NJF, whose figure the public does not see under the
		// governorate's name.
		if p.Govs != fmt.Sprint(govs) || govs != 1 {
			t.Errorf("the public map colours %s governorates, the answer has %d (want Karbala)", p.Govs, govs)
		}
		if eval[string](t, d.b, `document.getElementById('exceeded-signin')?.textContent ?? ''`) == "" {
			t.Error("the public page does not say that facilities need signing in")
		}
	})

	t.Run("an officer sees their governorate's part", func(t *testing.T) {
		d.signIn(t, officerBG, "en")
		// Of a Karbala and Najaf event, Baghdad's officer sees the event's
		// totals (an aggregate over two governorates, as the nation's)
		// and none of its governorates, districts or facilities.
		d.open(t, "events", "events/"+shrine2026+"?lang=en")
		a := answerOf(t, d, shrine2026)
		if len(a.Areas) != 1 || a.Areas[0].Level != "event" || len(a.Facilities) != 0 {
			t.Fatalf("Baghdad's officer gets %d areas and %d facilities of a Karbala and Najaf event, want its totals only", len(a.Areas), len(a.Facilities))
		}
		checkEventPage(t, "officer elsewhere", page(t, d), a, units, shrine2026, "waste_kg")
		if eval[string](t, d.b, `document.getElementById('exceeded-scope')?.textContent ?? ''`) == "" {
			t.Error("no note that none of the event's facilities is in the officer's scope")
		}
		d.open(t, "events", "events/"+clinic2026+"?lang=ar")
		a = answerOf(t, d, clinic2026)
		checkEventPage(t, "officer", page(t, d), a, units, clinic2026, "waste_kg")
	})
}
