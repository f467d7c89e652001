package web_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/greenpulse-health/greenpulse/collector/users"
	"github.com/greenpulse-health/greenpulse/internal/browser"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
)

// signOut signs out with the header's button, waits for the sign-in form
// and checks that the collector has ended the session.
func (d *dashboard) signOut(t *testing.T) {
	t.Helper()
	if err := d.b.Do(10*time.Second, chromedp.Click(chromedp.ID("signout"))); err != nil {
		t.Fatal(err)
	}
	d.waitFor(t, `document.body.dataset.ready === '1' && document.body.dataset.view === 'signin'`, "the sign-in form after signing out")
	if s := pageGet[struct{ Authenticated bool }](t, d, "/api/v1/session"); s.Status != 200 || s.Body.Authenticated {
		t.Errorf("after signing out the session answers %d %+v, want 200, not authenticated", s.Status, s.Body)
	}
}

// signInMessage waits for the sign-in form's answer to a refused try and
// returns its status (401, 429) and text.
func signInMessage(t *testing.T, d *dashboard) (status, text string) {
	t.Helper()
	d.waitFor(t, `['401', '429'].includes(document.getElementById('signin-msg')?.dataset.status)`, "the sign-in form's refusal")
	got := eval[[]string](t, d.b, `[document.getElementById('signin-msg').dataset.status, document.getElementById('signin-msg').textContent]`)
	return got[0], got[1]
}

// linksOutside lists the page's links to a facility or an area not in
// allowed (facility ids, district and governorate codes), and counts the
// links to any.
func linksOutside(t *testing.T, d *dashboard, allowed map[string]bool) (outside []string, links int) {
	t.Helper()
	for _, href := range eval[[]string](t, d.b, `[...document.querySelectorAll('a[href^="#/"]')].map((a) => a.getAttribute('href'))`) {
		path, _, _ := strings.Cut(strings.TrimPrefix(href, "#/"), "?")
		parts := strings.Split(path, "/")
		var code string
		switch {
		case parts[0] == "facility" && len(parts) > 1:
			code = parts[1]
		case parts[0] == "area" && len(parts) > 2:
			code = parts[2]
		default:
			continue
		}
		links++
		if !allowed[code] {
			outside = append(outside, href)
		}
	}
	return outside, links
}

// belowGovernorates lists the page's links to districts and facilities.
const belowGovernorates = `[...document.querySelectorAll('a[href^="#/"]')].map((a) => a.getAttribute('href')).filter((h) => /^#\/(facility|area\/district)\//.test(h))`

// forbiddenURL is the request the facility or area page of code makes
// for the month, to learn that the account may not see it: its console
// error is expected.
func forbiddenURL(level, code string) string {
	return fmt.Sprintf("/api/v1/indicators?level=%s&area=%s&period=month&from=2026-11-01&to=2026-12-01 status of 403", level, code)
}

// TestDashboardAccess: the dashboard as the collector's access control
// shows it. Signing in, and its refusals, in English and Arabic; an
// officer kept to its governorate and a facility's account to its
// facility, another's page saying plainly that it is not allowed;
// signing out forgetting every answer the previous account read; the
// public shown national and governorate figures only.
func TestDashboardAccess(t *testing.T) {
	d := startDashboard(t) // signed in as the planner
	q := "?period=month&date=" + month
	var all []struct{ ID, Governorate, District string }
	getJSON(t, d.url+"/api/v1/facilities", &all)
	// The facilities, districts and governorate an account of Baghdad
	// may be linked to.
	baghdad := map[string]bool{"IQ-BG": true}
	nBaghdad := 0
	for _, f := range all {
		if f.Governorate == "IQ-BG" {
			baghdad[f.ID], baghdad[f.District] = true, true
			nBaghdad++
		}
	}
	if nBaghdad == 0 || nBaghdad == len(all) {
		t.Fatalf("the registry has %d of its %d facilities in Baghdad, want some but not all", nBaghdad, len(all))
	}
	basraName := facilityName(t, "BA-H-001", "en")

	t.Run("sign in: refused, then signed in, in English and Arabic", func(t *testing.T) {
		for _, c := range []struct {
			lang, dir, title, user, label, refused, role string
			wrongUser                                    bool
		}{
			{"en", "ltr", "Sign in to GreenPulse", "User name", "Password", "Wrong user name or password.", "Planner", false},
			// A user name nobody has is refused in the same words: the
			// form does not tell who has an account.
			{"ar", "rtl", "تسجيل الدخول إلى غرين بلس", "اسم المستخدم", "كلمة المرور", "اسم المستخدم أو كلمة المرور غير صحيحة.", "مخطِّط", true},
		} {
			d.open(t, "national", "national"+q+"&lang="+c.lang)
			d.signOut(t)
			// Signed out, any address shows the form, and nothing else.
			d.goTo(t, "signin", "national"+q+"&lang="+c.lang)
			form := eval[map[string]string](t, d.b, `(() => { const f = document.getElementById('signin');
				return {dir: document.documentElement.dir, lang: document.documentElement.lang, title: f.querySelector('h2').textContent,
					user: f.querySelector('label:has([name=user]) span').textContent, password: f.querySelector('label:has([name=password]) span').textContent,
					type: f.elements.password.type, nav: String(document.querySelectorAll('nav, #tiles, canvas').length)}; })()`)
			if form["dir"] != c.dir || form["lang"] != c.lang || form["title"] != c.title || form["user"] != c.user || form["password"] != c.label {
				t.Errorf("%s: the form reads %v", c.lang, form)
			}
			if form["type"] != "password" || form["nav"] != "0" {
				t.Errorf("%s: password field of type %q, %s views' parts shown beside the form", c.lang, form["type"], form["nav"])
			}
			shot(t, d, "dashboard-signin-"+c.lang+".png")
			user, pw := planner, "not-the-password"
			if c.wrongUser {
				user, pw = nobody, password(planner)
			}
			d.submitSignIn(t, user, pw)
			if status, text := signInMessage(t, d); status != "401" || text != c.refused {
				t.Errorf("%s: refused as %s %q, want 401 %q", c.lang, status, text, c.refused)
			}
			d.checkClean(t, "refused sign-in", "/api/v1/login status of 401")
			if s := pageGet[struct{ Authenticated bool }](t, d, "/api/v1/session"); s.Body.Authenticated {
				t.Errorf("%s: a refused sign-in left a session", c.lang)
			}
			d.submitSignIn(t, planner, password(planner))
			d.waitSignedIn(t, planner)
			who := eval[map[string]string](t, d.b, `(() => { const w = document.getElementById('who');
				return {user: w.dataset.user, role: w.querySelector('.who-role').textContent, scope: w.querySelector('.who-scope').textContent,
					view: document.body.dataset.view, lang: document.documentElement.lang, signout: document.getElementById('signout')?.textContent ?? ''}; })()`)
			wantScope, wantOut := "Iraq", "Sign out"
			if c.lang == "ar" {
				wantScope, wantOut = "العراق", "تسجيل الخروج"
			}
			if who["user"] != planner || who["role"] != c.role || who["scope"] != wantScope || who["view"] != "national" || who["lang"] != c.lang || who["signout"] != wantOut {
				t.Errorf("%s: signed in, the page shows %v, want %s, %s, %s, %q on the national view in %s", c.lang, who, planner, c.role, wantScope, wantOut, c.lang)
			}
		}
	})

	t.Run("an officer sees its governorate only", func(t *testing.T) {
		d.open(t, "national", "national"+q+"&lang=en")
		d.signOut(t)
		d.submitSignIn(t, officerBG, password(officerBG))
		d.waitSignedIn(t, officerBG)
		if got := eval[[]string](t, d.b, `[document.body.dataset.view, location.hash]`); got[0] != "area" || !strings.HasPrefix(got[1], "#/area/governorate/IQ-BG?") {
			t.Errorf("the officer of Baghdad starts on %v, want Baghdad's page", got)
		}
		// Every facility of Baghdad, and none of another governorate.
		eval[bool](t, d.b, `(document.querySelector('#facilities')?.closest('.table-wrap').querySelector('button.link')?.click(), true)`)
		rows := eval[[]string](t, d.b, `[...document.querySelectorAll('#facilities tbody tr[data-key]')].map((tr) => tr.dataset.key)`)
		for _, id := range rows {
			if !baghdad[id] {
				t.Errorf("Baghdad's facility table lists %s", id)
			}
		}
		if len(rows) != nBaghdad {
			t.Errorf("Baghdad's facility table lists %d facilities, the registry has %d", len(rows), nBaghdad)
		}
		// linked: the view has links to Baghdad's facilities or areas (the
		// waste tables and the alerts may have no row).
		for _, v := range []struct {
			view, hash string
			linked     bool
		}{
			{"area", "area/governorate/IQ-BG" + q, true},
			{"national", "national" + q, true},
			{"energy", "energy" + q, true},
			{"waste", "waste" + q, false},
			{"reporting", "reporting" + q, true},
			{"alerts", "alerts?lang=en", false},
		} {
			d.open(t, v.view, v.hash)
			outside, links := linksOutside(t, d, baghdad)
			if len(outside) > 0 || (v.linked && links == 0) {
				t.Errorf("%s: %d links to facilities and areas, to another governorate: %v", v.hash, links, outside)
			}
		}
		d.open(t, "national", "national"+q)
		if got := eval[[]string](t, d.b, `[...document.querySelectorAll('#governorates tbody tr[data-key]')].map((tr) => tr.dataset.key)`); fmt.Sprint(got) != "[IQ-BG]" {
			t.Errorf("the officer's national view lists the governorates %v, want only IQ-BG", got)
		}
		if got := eval[string](t, d.b, `document.getElementById('map')?.dataset.markers ?? ''`); got != strconv.Itoa(nBaghdad) {
			t.Errorf("the officer's map shows %s facilities, want Baghdad's %d", got, nBaghdad)
		}
		d.open(t, "reporting", "reporting"+q)
		if n := eval[int](t, d.b, `document.querySelectorAll('#dhis2-push').length`); n != 0 {
			t.Error("an officer is shown the national DHIS2 push log")
		}

		// Another governorate's facility and governorate: not allowed,
		// said plainly, nothing of them shown.
		for _, c := range []struct{ view, hash, url, want string }{
			{"facility", "facility/BA-H-001" + q + "&lang=en", forbiddenURL("facility", "BA-H-001"), "Not allowed for your account."},
			{"facility", "facility/BA-H-001" + q + "&lang=ar", forbiddenURL("facility", "BA-H-001"), "غير مسموح لحسابك."},
			{"area", "area/governorate/IQ-BA" + q + "&lang=en", forbiddenURL("governorate", "IQ-BA"), "Not allowed for your account."},
		} {
			d.open(t, c.view, c.hash, c.url)
			got := eval[map[string]string](t, d.b, `(() => { const e = document.getElementById('forbidden');
				return {reason: e?.dataset.reason ?? '', text: e?.textContent ?? '', body: document.getElementById('view').textContent,
					parts: String(document.querySelectorAll('#view canvas, #view table, #tiles').length)}; })()`)
			if got["reason"] != "scope" || !strings.HasPrefix(got["text"], c.want) || got["parts"] != "0" {
				t.Errorf("%s: shows %v, want only %q", c.hash, got, c.want)
			}
			if strings.Contains(got["body"], basraName) || strings.Contains(got["body"], facilityName(t, "BA-H-001", "ar")) {
				t.Errorf("%s: names the facility: %q", c.hash, got["body"])
			}
		}
		// What the page's own requests get: Baghdad's facilities only.
		fs := pageGet[[]struct{ ID, Governorate string }](t, d, "/api/v1/facilities")
		if fs.Status != 200 || len(fs.Body) != nBaghdad {
			t.Errorf("/api/v1/facilities from the officer's page: %d, %d facilities, want 200 and Baghdad's %d", fs.Status, len(fs.Body), nBaghdad)
		}
		for _, f := range fs.Body {
			if f.Governorate != "IQ-BG" {
				t.Errorf("/api/v1/facilities from the officer's page lists %s of %s", f.ID, f.Governorate)
			}
		}
		// /api/v1/facilities takes no area: one asked for is no way out.
		if fs := pageGet[[]struct{ Governorate string }](t, d, "/api/v1/facilities?area=IQ-BA"); fs.Status != 200 || len(fs.Body) != nBaghdad || fs.Body[0].Governorate != "IQ-BG" {
			t.Errorf("/api/v1/facilities?area=IQ-BA from the officer's page: %d %v, want Baghdad's", fs.Status, fs.Body)
		}
		for _, path := range []string{"/api/v1/alerts?area=IQ-BA", "/api/v1/waste?facility=BA-H-001&from=2026-11-01&to=2026-12-01",
			"/api/v1/indicators?level=facility&within=IQ-BA&period=month&from=2026-11-01&to=2026-12-01"} {
			if st := pageGet[any](t, d, path).Status; st != 403 {
				t.Errorf("%s from the officer's page: %d, want 403", path, st)
			}
		}
		d.checkClean(t, "after the officer's requests", "/api/v1/alerts?area=IQ-BA status of 403",
			"/api/v1/waste?facility=BA-H-001&from=2026-11-01&to=2026-12-01 status of 403",
			"/api/v1/indicators?level=facility&within=IQ-BA&period=month&from=2026-11-01&to=2026-12-01 status of 403")
	})

	t.Run("a facility's account starts on its facility", func(t *testing.T) {
		d.open(t, "national", "national"+q+"&lang=en")
		d.signOut(t)
		d.submitSignIn(t, facilityBG, password(facilityBG))
		d.waitSignedIn(t, facilityBG)
		got := eval[map[string]string](t, d.b, `({view: document.body.dataset.view, hash: location.hash, title: document.querySelector('.view-title h2')?.textContent ?? '',
			role: document.getElementById('who').dataset.role, scope: document.querySelector('#who .who-scope').textContent})`)
		name := facilityName(t, "BG-H-001", "en")
		if got["view"] != "facility" || !strings.HasPrefix(got["hash"], "#/facility/BG-H-001?") || !strings.HasPrefix(got["title"], name) || got["role"] != "facility" || got["scope"] != name {
			t.Errorf("BG-H-001's account starts on %v, want its facility's page", got)
		}
		d.waitFor(t, `document.getElementById('facility-alerts')?.dataset.state === 'shown'`, "the facility's alerts")
		own := map[string]bool{"IQ-BG": true, "BG-H-001": true, districtOf(t, d, "BG-H-001"): true}
		if outside, links := linksOutside(t, d, own); len(outside) > 0 || links == 0 {
			t.Errorf("the facility's page has %d links, to others: %v", links, outside)
		}
		d.open(t, "facility", "facility/BG-H-002"+q+"&lang=en", forbiddenURL("facility", "BG-H-002"))
		if r := eval[string](t, d.b, `document.getElementById('forbidden')?.dataset.reason ?? ''`); r != "scope" {
			t.Errorf("another facility of its governorate: forbidden %q, want scope", r)
		}
	})

	t.Run("signing out forgets the previous account's answers", func(t *testing.T) {
		d.open(t, "national", "national"+q+"&lang=en")
		d.signOut(t)
		d.submitSignIn(t, planner, password(planner))
		d.waitSignedIn(t, planner)
		// All in one life of the page: its cache holds what the planner
		// read of Basra's facility, unless signing out emptied it.
		eval[bool](t, d.b, `(window.pageLife = 'planner', true)`)
		d.goTo(t, "facility", "facility/BA-H-001"+q+"&lang=en")
		if title := eval[string](t, d.b, `document.querySelector('.view-title h2')?.textContent ?? ''`); !strings.HasPrefix(title, basraName) {
			t.Fatalf("the planner's page of BA-H-001 is titled %q", title)
		}
		d.signOut(t)
		d.submitSignIn(t, officerBG, password(officerBG))
		d.waitSignedIn(t, officerBG)
		d.goTo(t, "facility", "facility/BA-H-001"+q+"&lang=en", forbiddenURL("facility", "BA-H-001"))
		got := eval[map[string]string](t, d.b, `({life: window.pageLife ?? '', reason: document.getElementById('forbidden')?.dataset.reason ?? '',
			body: document.getElementById('view').textContent, tiles: String(document.querySelectorAll('#tiles .tile').length)})`)
		if got["life"] != "planner" {
			t.Fatal("the page was loaded again: this test needs one life of the page")
		}
		if got["reason"] != "scope" || got["tiles"] != "0" || strings.Contains(got["body"], basraName) {
			t.Errorf("after the planner, Baghdad's officer is shown BA-H-001's page as %v", got)
		}
	})

	t.Run("public mode shows national and governorate figures only", func(t *testing.T) {
		pub := d.cfg
		pub.Access.Mode = "public"
		port, err := testenv.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		pub.HTTP.Listen = fmt.Sprintf("127.0.0.1:%d", port)
		pub.MQTT.ClientID += "-public"
		teststack.RunCollector(t, pub)
		p := openBrowser(t, "http://"+pub.HTTP.Listen)

		p.open(t, "national", "national"+q+"&lang=en")
		var national []apiRow
		getJSON(t, d.url+"/api/v1/indicators?level=national&period=month&from=2026-11-01&to=2026-12-01", &national)
		tiles := eval[map[string]string](t, p.b, `Object.fromEntries([...document.querySelectorAll('#tiles .tile')].map((e) => [e.dataset.indicator, e.dataset.value]))`)
		checked := 0
		for _, r := range national {
			if v, ok := tiles[r.Indicator]; ok {
				checked++
				if got, err := strconv.ParseFloat(v, 64); err != nil || got != r.Value {
					t.Errorf("public national tile %s: %q, the API %v", r.Indicator, v, r.Value)
				}
			}
		}
		if checked < 5 {
			t.Errorf("only %d public national tiles to compare (%v)", checked, tiles)
		}
		page := eval[map[string]string](t, p.b, `({govs: String(document.querySelectorAll('#governorates tbody tr[data-key]').length),
			markers: document.getElementById('map')?.dataset.markers ?? '', nav: [...document.querySelectorAll('nav a')].map((a) => a.id).join(','),
			signin: document.getElementById('signin-link')?.getAttribute('href') ?? '', signout: String(document.querySelectorAll('#signout').length)})`)
		if links := eval[[]string](t, p.b, belowGovernorates); len(links) > 0 {
			t.Errorf("the public national view links %v", links)
		}
		// A view left out must leave nothing behind, not even the word
		// "null" that Element.append writes for one.
		if strays := eval[[]string](t, p.b, `[...document.querySelectorAll('main *')].filter((e) => [...e.childNodes].some((n) => n.nodeType === 3 && /\bnull\b|\bundefined\b/.test(n.textContent))).map((e) => e.tagName + '#' + e.id)`); len(strays) > 0 {
			t.Errorf("the public national view shows null or undefined in %v", strays)
		}
		if page["govs"] != "18" || page["markers"] != "0" || page["nav"] != "nav-national,nav-events" || !strings.HasPrefix(page["signin"], "#/signin") || page["signout"] != "0" {
			t.Errorf("the public national view: %v, want 18 governorates, no facility, only the national and events links, a Sign in link", page)
		}

		p.open(t, "area", "area/governorate/IQ-BG"+q+"&lang=en")
		var gov []apiRow
		getJSON(t, d.url+"/api/v1/indicators?level=governorate&area=IQ-BG&period=month&from=2026-11-01&to=2026-12-01", &gov)
		tiles = eval[map[string]string](t, p.b, `Object.fromEntries([...document.querySelectorAll('#tiles .tile')].map((e) => [e.dataset.indicator, e.dataset.value]))`)
		checked = 0
		for _, r := range gov {
			if v, ok := tiles[r.Indicator]; ok {
				checked++
				if got, err := strconv.ParseFloat(v, 64); err != nil || got != r.Value {
					t.Errorf("public Baghdad tile %s: %q, the API %v", r.Indicator, v, r.Value)
				}
			}
		}
		if checked < 5 {
			t.Errorf("only %d public Baghdad tiles to compare (%v)", checked, tiles)
		}
		if n := eval[string](t, p.b, `[document.querySelectorAll('#facilities, #districts').length, document.getElementById('map')?.dataset.markers].join(',')`); n != "0,0" {
			t.Errorf("the public Baghdad page shows facility or district tables and markers: %s", n)
		}
		// No facility level, asked or linked.
		asked := eval[[]string](t, p.b, `performance.getEntriesByType('resource').map((e) => e.name).filter((u) => /level=(facility|district)|\/api\/v1\/(facilities|waste|alerts|dhis2)/.test(u))`)
		if len(asked) > 0 {
			t.Errorf("the public pages asked for %v", asked)
		}
		if links := eval[[]string](t, p.b, belowGovernorates); len(links) > 0 {
			t.Errorf("the public Baghdad page links %v", links)
		}
		for _, c := range []struct{ view, hash string }{
			{"facility", "facility/BG-H-001" + q + "&lang=en"},
			{"energy", "energy" + q + "&lang=en"},
			{"alerts", "alerts?lang=en"},
		} {
			p.open(t, c.view, c.hash)
			if got := eval[[]string](t, p.b, `[document.getElementById('forbidden')?.dataset.reason ?? '', document.querySelector('#forbidden a')?.getAttribute('href') ?? '']`); got[0] != "signin" || !strings.HasPrefix(got[1], "#/signin") {
				t.Errorf("public %s: %v, want the way to sign in", c.hash, got)
			}
		}
		district := districtOf(t, d, "BG-H-001")
		p.open(t, "area", "area/district/"+district+q+"&lang=en", forbiddenURL("district", district))
		if r := eval[string](t, p.b, `document.getElementById('forbidden')?.dataset.reason ?? ''`); r != "signin" {
			t.Errorf("public district page: forbidden %q, want signin", r)
		}
		p.open(t, "national", "national"+q+"&lang=ar")
		if got := eval[[]string](t, p.b, `[document.documentElement.dir, document.getElementById('signin-link')?.textContent ?? '']`); got[0] != "rtl" || got[1] != "تسجيل الدخول" {
			t.Errorf("the public national view in Arabic: %v", got)
		}
		// Signed in from there, the planner sees the facilities again.
		if err := p.b.Do(10*time.Second, chromedp.Click(chromedp.ID("signin-link"))); err != nil {
			t.Fatal(err)
		}
		p.waitFor(t, `document.body.dataset.ready === '1' && document.body.dataset.view === 'signin'`, "the sign-in form")
		p.submitSignIn(t, planner, password(planner))
		p.waitSignedIn(t, planner)
		p.open(t, "national", "national"+q+"&lang=en")
		if got := eval[string](t, p.b, `document.getElementById('map')?.dataset.markers ?? ''`); got != strconv.Itoa(len(all)) {
			t.Errorf("signed in on the public collector, the planner's map shows %s facilities, want %d", got, len(all))
		}
	})

	t.Run("open mode shows everything without signing in", func(t *testing.T) {
		open := d.cfg
		open.Access.Mode = "open"
		port, err := testenv.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		open.HTTP.Listen = fmt.Sprintf("127.0.0.1:%d", port)
		open.MQTT.ClientID += "-open"
		teststack.RunCollector(t, open)
		o := openBrowser(t, "http://"+open.HTTP.Listen)
		o.open(t, "national", "national"+q+"&lang=en")
		got := eval[map[string]string](t, o.b, `({markers: document.getElementById('map')?.dataset.markers ?? '', nav: [...document.querySelectorAll('nav a')].map((a) => a.id).join(','),
			signin: String(document.querySelectorAll('#signin-link').length)})`)
		if got["markers"] != strconv.Itoa(len(all)) || got["nav"] != "nav-national,nav-energy,nav-waste,nav-events,nav-reporting,nav-alerts" || got["signin"] != "1" {
			t.Errorf("open mode's national view: %v, want every facility and view, and a Sign in link (for an admin)", got)
		}
		o.open(t, "facility", "facility/BA-H-001"+q+"&lang=en")
		o.open(t, "reporting", "reporting"+q+"&lang=en")
		o.waitFor(t, `document.querySelector('#dhis2-push')?.dataset.state === 'shown'`, "the push line in open mode")
	})

	t.Run("a session ended elsewhere: signed in again, back on the page", func(t *testing.T) {
		d.open(t, "national", "national"+q+"&lang=en")
		d.signOut(t)
		d.submitSignIn(t, officerBA, password(officerBA))
		d.waitSignedIn(t, officerBA)
		// `greenpulse-collector user passwd` ends the account's sessions;
		// the collector reads the changed file within a second.
		f, err := users.Load(d.cfg.Access.UsersFile)
		if err != nil {
			t.Fatal(err)
		}
		const changed = "a-new-password-2026"
		if err := f.SetPassword(officerBA, changed, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := f.Save(d.cfg.Access.UsersFile); err != nil {
			t.Fatal(err)
		}
		teststack.Eventually(t, 10*time.Second, "the session ended", func() (bool, string) {
			s := pageGet[struct{ Authenticated bool }](t, d, "/api/v1/session")
			return !s.Body.Authenticated, fmt.Sprint(s)
		})
		eval[bool](t, d.b, fmt.Sprintf(`(location.hash = %q, true)`, "#/energy"+q+"&lang=en"))
		d.waitFor(t, `document.body.dataset.ready === '1' && document.body.dataset.view === 'signin'`, "the sign-in form after a 401")
		if msg := eval[string](t, d.b, `document.getElementById('signin-msg').textContent`); msg != "Your session has ended: sign in again." {
			t.Errorf("the form says %q after the session ended", msg)
		}
		if err := d.b.Settle(10 * time.Second); err != nil {
			t.Fatal(err)
		}
		for _, e := range d.b.ConsoleErrors() {
			if !strings.Contains(e, "status of 401") {
				t.Errorf("after the session ended: %s", e)
			}
		}
		d.submitSignIn(t, officerBA, changed)
		d.waitSignedIn(t, officerBA)
		if got := eval[[]string](t, d.b, `[document.body.dataset.view, location.hash]`); got[0] != "energy" || !strings.Contains(got[1], "date="+month) {
			t.Errorf("signed in again, the page is %v, want the energy view of %s asked for", got, month)
		}
	})

	// Last: the collector counts failed sign-ins by client address too,
	// and every try here comes from 127.0.0.1.
	t.Run("too many failed sign-ins: the wait is said", func(t *testing.T) {
		d.open(t, "national", "national"+q+"&lang=en")
		d.signOut(t)
		var status, text string
		for i := 0; i < 8 && status != "429"; i++ {
			eval[bool](t, d.b, `(delete document.getElementById('signin-msg').dataset.status, true)`)
			d.submitSignIn(t, throttled, "wrong-password-"+strconv.Itoa(i))
			status, text = signInMessage(t, d)
		}
		m := regexp.MustCompile(`^Too many failed sign-ins: try again in (\d+) seconds?\.$`).FindStringSubmatch(text)
		if status != "429" || m == nil {
			t.Fatalf("after 8 failed sign-ins the form says %s %q, want 429 and the wait", status, text)
		}
		shownWait, _ := strconv.Atoi(m[1])
		// The collector's own Retry-After, asked from the page.
		wait, err := browser.EvalAwait[[]string](d.b, 10*time.Second, fmt.Sprintf(`fetch('/api/v1/login', {method: 'POST', headers: {'Content-Type': 'application/json'},
			body: JSON.stringify({user: %q, password: 'wrong'})}).then((r) => [String(r.status), r.headers.get('Retry-After') ?? ''])`, throttled))
		if err != nil {
			t.Fatal(err)
		}
		retry, err := strconv.Atoi(wait[1])
		if wait[0] != "429" || err != nil || shownWait < retry || shownWait > retry+5 || retry <= 0 {
			t.Errorf("the form says %d s; the collector answers %s with Retry-After %q", shownWait, wait[0], wait[1])
		}
		// In Arabic, with Arabic-Indic digits.
		if err := d.b.Do(10*time.Second, chromedp.Click(chromedp.ID("lang"))); err != nil {
			t.Fatal(err)
		}
		d.waitFor(t, `document.documentElement.lang === 'ar' && document.body.dataset.ready === '1' && document.body.dataset.view === 'signin'`, "the Arabic form")
		d.submitSignIn(t, throttled, "wrong-password-ar")
		status, text = signInMessage(t, d)
		if status != "429" || !strings.HasPrefix(text, "محاولات دخول فاشلة كثيرة: أعد المحاولة بعد ") || !strings.ContainsAny(text, "٠١٢٣٤٥٦٧٨٩") {
			t.Errorf("in Arabic the form says %s %q", status, text)
		}
		d.checkClean(t, "throttled sign-ins", "/api/v1/login status of 401", "/api/v1/login status of 429")
	})
}
