package web

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/greenpulse-health/greenpulse/reading"
)

// The element ids that browser tests and app.js rely on.
var (
	loginIDs = []string{"login-form", "password", "login-submit"}
	wasteIDs = []string{"waste-form", "category", "mass_kg", "treatment", "stored_hours", "note", "submit",
		"err-category", "err-mass_kg", "err-treatment", "err-stored_hours", "err-note", "result", "recent", "recent-status"}
)

var idAttr = regexp.MustCompile(`\bid="([^"]+)"`)

// ids returns the element ids of page, failing the test on a repeated one.
func ids(t *testing.T, page string) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for _, m := range idAttr.FindAllStringSubmatch(page, -1) {
		if seen[m[1]] {
			t.Errorf("id %q appears twice", m[1])
		}
		seen[m[1]] = true
	}
	return seen
}

func TestPage(t *testing.T) {
	tests := []struct {
		name     string
		password string
		headers  []string
		code     int
		want     []string // ids
		absent   []string // ids
	}{
		{"no password", "", nil, http.StatusOK, append([]string{"unprotected"}, wasteIDs...), append([]string{"logout"}, loginIDs...)},
		{"not logged in", password, nil, http.StatusOK, loginIDs, append([]string{"unprotected"}, wasteIDs...)},
		{"logged in", password, []string{basic("", password)}, http.StatusOK, append([]string{"logout"}, wasteIDs...), append([]string{"unprotected"}, loginIDs...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(t, &fakeAgent{}, tt.password)
			for _, path := range []string{"/", "/waste"} {
				rec := do(t, h, http.MethodGet, path, "", tt.headers...)
				if rec.Code != tt.code || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
					t.Fatalf("GET %s: %d %q", path, rec.Code, rec.Header().Get("Content-Type"))
				}
				if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
					t.Errorf("GET %s: Content-Security-Policy %q", path, csp)
				}
				page := rec.Body.String()
				got := ids(t, page)
				for _, id := range tt.want {
					if !got[id] {
						t.Errorf("GET %s: no element #%s", path, id)
					}
				}
				for _, id := range tt.absent {
					if got[id] {
						t.Errorf("GET %s: element #%s should not be there", path, id)
					}
				}
				for _, want := range []string{`name="viewport"`, "BG-H-001"} {
					if !strings.Contains(page, want) {
						t.Errorf("GET %s: page lacks %s", path, want)
					}
				}
				if strings.Contains(page, "http://") || strings.Contains(page, "https://") {
					t.Errorf("GET %s: the page refers to another site; it must work offline", path)
				}
			}
		})
	}
	if rec := do(t, newHandler(t, &fakeAgent{}, ""), http.MethodGet, "/other", ""); rec.Code != http.StatusNotFound {
		t.Errorf("GET /other: %d, want 404", rec.Code)
	}
}

// TestPageMenus checks that the menus offer exactly the contract's values,
// after an empty choice, so that nothing is sent by accident.
// In Arabic too: the labels change, the values stay the contract's.
func TestPageMenus(t *testing.T) {
	for _, accept := range []string{"en", "ar-IQ"} {
		page := do(t, newHandler(t, &fakeAgent{}, ""), http.MethodGet, "/", "", "Accept-Language: "+accept).Body.String()
		menus := []struct {
			id     string
			values []string
		}{
			{"category", reading.WasteCategories},
			{"treatment", reading.WasteTreatments},
		}
		value := regexp.MustCompile(`<option value="([^"]*)">([^<]+)</option>`)
		for _, m := range menus {
			start := strings.Index(page, `<select id="`+m.id+`"`)
			end := strings.Index(page[start:], "</select>")
			if start < 0 || end < 0 {
				t.Fatalf("%s: no select #%s", accept, m.id)
			}
			var got []string
			for _, o := range value.FindAllStringSubmatch(page[start:start+end], -1) {
				got = append(got, o[1])
				if o[1] != "" && (o[2] == o[1] && strings.Contains(o[1], "_")) {
					t.Errorf("%s: #%s: option %q has no label", accept, m.id, o[1])
				}
			}
			want := append([]string{""}, m.values...)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%s: #%s offers %q, want %q", accept, m.id, got, want)
			}
		}
	}
}

var htmlTag = regexp.MustCompile(`<html lang="([^"]*)" dir="([^"]*)">`)

// TestPageLanguage checks that the page, the login form first, comes out
// in the language that the cookie chose, else in the one the browser
// prefers, else in English.
func TestPageLanguage(t *testing.T) {
	english := []string{`lang="en" dir="ltr"`, "<h2>Log in</h2>", `lang="ar">العربية</button>`}
	arabic := []string{`lang="ar" dir="rtl"`, "<h2>تسجيل الدخول</h2>", `<label for="password">كلمة المرور</label>`, `lang="en">English</button>`}
	tests := []struct {
		name    string
		headers []string
		want    []string
	}{
		{"nothing said", nil, english},
		{"Iraqi Arabic browser", []string{"Accept-Language: ar-IQ,ar;q=0.9,en;q=0.8"}, arabic},
		{"Arabic alone", []string{"Accept-Language: ar"}, arabic},
		{"English first", []string{"Accept-Language: en-GB,en;q=0.9,ar;q=0.8"}, english},
		{"Arabic weighed higher", []string{"Accept-Language: en;q=0.5, ar-IQ;q=0.7"}, arabic},
		{"French first, then Arabic", []string{"Accept-Language: fr-FR, ar;q=0.5"}, arabic},
		{"Kurdish only", []string{"Accept-Language: ckb-IQ"}, english},
		{"not Arabic though it starts with ar", []string{"Accept-Language: arn"}, english},
		{"Arabic refused", []string{"Accept-Language: ar;q=0"}, english},
		{"cookie", []string{"Cookie: " + LangCookie + "=ar"}, arabic},
		{"cookie wins over the browser", []string{"Cookie: " + LangCookie + "=en", "Accept-Language: ar-IQ"}, english},
		{"unknown cookie value", []string{"Cookie: " + LangCookie + "=fr", "Accept-Language: ar-IQ"}, arabic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(t, newHandler(t, &fakeAgent{}, password), http.MethodGet, "/", "", tt.headers...)
			page := rec.Body.String()
			if rec.Code != http.StatusOK || !ids(t, page)["login-form"] {
				t.Fatalf("GET /: %d, no login form", rec.Code)
			}
			for _, want := range tt.want {
				if !strings.Contains(page, want) {
					t.Errorf("the login page lacks %s", want)
				}
			}
			if m := htmlTag.FindStringSubmatch(page); m == nil {
				t.Error("no <html lang dir>")
			}
			if v := rec.Header().Get("Vary"); !strings.Contains(v, "Accept-Language") || !strings.Contains(v, "Cookie") {
				t.Errorf("Vary: %q", v)
			}
		})
	}

	// After a wrong password, the form comes back in the same language.
	rec := do(t, newHandler(t, &fakeAgent{}, password), http.MethodPost, "/login", "password=wrong",
		"Content-Type: application/x-www-form-urlencoded", "Cookie: "+LangCookie+"=ar")
	if page := rec.Body.String(); rec.Code != http.StatusUnauthorized || !strings.Contains(page, `dir="rtl"`) || !strings.Contains(page, "كلمة المرور غير صحيحة") {
		t.Errorf("wrong password in Arabic: %d %s", rec.Code, page)
	}
}

// TestArabicPage checks the waste form in Arabic: its words, the ids and
// the messages it hands app.js.
func TestArabicPage(t *testing.T) {
	rec := do(t, newHandler(t, &fakeAgent{}, password), http.MethodGet, "/", "", basic("", password), "Accept-Language: ar-IQ")
	page := rec.Body.String()
	got := ids(t, page)
	for _, id := range append([]string{"logout", "lang", "page-words"}, wasteIDs...) {
		if !got[id] {
			t.Errorf("no element #%s", id)
		}
	}
	for _, want := range []string{
		`<html lang="ar" dir="rtl">`, `<label for="mass_kg">الوزن بالكيلوغرام</label>`, `<option value="sharps">أدوات حادة (إبر، شفرات)</option>`,
		`<option value="autoclave">تعقيم بالبخار (أوتوكليف)</option>`, "آخر ٢٠ إدخالاً", "<th>الحالة</th>", "تسجيل الخروج",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the Arabic page lacks %s", want)
		}
	}
	// The messages reach the script as JSON, whatever the template's
	// escaping did to them.
	m := regexp.MustCompile(`(?s)<script type="application/json" id="page-words">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no #page-words")
	}
	var words script
	if err := json.Unmarshal([]byte(m[1]), &words); err != nil {
		t.Fatalf("#page-words is not JSON: %v\n%s", err, m[1])
	}
	if words.Locale != "ar-IQ" || words.Text["sent"] != "أُرسل" || words.Fields["mass_kg"] == "" || words.Categories["pharmaceutical"] != "صيدلانية" {
		t.Errorf("#page-words: %+v", words)
	}
}

func TestLangSwitch(t *testing.T) {
	h := newHandler(t, &fakeAgent{}, password) // the login form switches too: no password needed
	tests := []struct {
		form string
		code int
		want string // the cookie's value
	}{
		{"lang=ar", http.StatusSeeOther, "ar"},
		{"lang=en", http.StatusSeeOther, "en"},
		{"lang=fr", http.StatusBadRequest, ""},
		{"", http.StatusBadRequest, ""},
		{"lang=%zz", http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		resp := do(t, h, http.MethodPost, "/lang", tt.form, "Content-Type: application/x-www-form-urlencoded").Result()
		var got *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == LangCookie {
				got = c
			}
		}
		if resp.StatusCode != tt.code || (got == nil) != (tt.want == "") {
			t.Errorf("POST /lang %q: %d, cookie %v", tt.form, resp.StatusCode, got)
			continue
		}
		if got == nil {
			continue
		}
		if got.Value != tt.want || got.Path != "/" || got.MaxAge < 30*24*60*60 || resp.Header.Get("Location") != "/" {
			t.Errorf("POST /lang %q: cookie %v, Location %q", tt.form, got, resp.Header.Get("Location"))
		}
		page := do(t, h, http.MethodGet, "/", "", "Cookie: "+got.String()).Body.String()
		if m := htmlTag.FindStringSubmatch(page); m == nil || m[1] != tt.want {
			t.Errorf("after POST /lang %q the page is %v", tt.form, m)
		}
	}
}

// TestWords checks that both languages word everything: every value of
// the contract, every message the script asks for, every field.
func TestWords(t *testing.T) {
	js, err := pageFS.ReadFile("page/static/app.js")
	if err != nil {
		t.Fatal(err)
	}
	// page.js asks with the waste form's words too, for what both forms share.
	shared, err := pageFS.ReadFile("page/static/page.js")
	if err != nil {
		t.Fatal(err)
	}
	js = append(js, shared...)
	var keys []string
	for _, m := range regexp.MustCompile(`\bt\("(\w+)"`).FindAllStringSubmatch(string(js), -1) {
		keys = append(keys, m[1])
	}
	keys = append(keys, "queued", "sent", "queued_title", "sent_title") // the list's states, by their names
	if len(keys) < 10 {
		t.Fatalf("found only %q in app.js", keys)
	}
	en := wordsFor(english, 200, 20)
	for _, l := range []lang{english, arabic} {
		w := wordsFor(l, 200, 20)
		v := reflect.ValueOf(*w)
		for i := range v.NumField() {
			if f := v.Field(i); f.Kind() == reflect.String && f.String() == "" {
				t.Errorf("%s: %s is empty", l, v.Type().Field(i).Name)
			}
		}
		for _, c := range w.Columns {
			if c == "" {
				t.Errorf("%s: a column has no heading", l)
			}
		}
		for name, labels := range map[string]map[string]label{"category": w.Categories, "treatment": w.Treatments} {
			values := reading.WasteCategories
			if name == "treatment" {
				values = reading.WasteTreatments
			}
			for _, value := range values {
				if labels[value].Name == "" {
					t.Errorf("%s: %s %q has no label", l, name, value)
				}
			}
		}
		for _, k := range keys {
			if w.Script[k] == "" {
				t.Errorf("%s: app.js asks for message %q", l, k)
			}
		}
		if len(w.Script) != len(en.Script) {
			t.Errorf("%s has %d messages for app.js, English %d", l, len(w.Script), len(en.Script))
		}
		for _, state := range []string{"queued", "sent"} {
			if !strings.Contains(string(w.States), "<strong>"+w.Script[state]+"</strong>") {
				t.Errorf("%s: the hint under the list does not name the state %q as the list does (%q)", l, state, w.Script[state])
			}
		}
	}
	ar := wordsFor(arabic, 200, 20)
	for _, f := range []string{"category", "mass_kg", "treatment", "stored_hours", "note", "ts", "id"} {
		if ar.Fields[f] == "" {
			t.Errorf("ar: nothing to say about a problem with %s", f)
		}
	}
	if !strings.Contains(ar.NoteHint, "٢٠٠") || !strings.Contains(ar.Recent, "٢٠") {
		t.Errorf("ar: numbers not in Arabic-Indic digits: %q, %q", ar.NoteHint, ar.Recent)
	}
}

func FuzzAcceptLang(f *testing.F) {
	for _, s := range []string{"", "ar-IQ", "en-GB,en;q=0.9,ar;q=0.8", "ar;q=0", "ar;q=NaN", "ar;q=1e400", "*", "ar_IQ;level=1;q=0.4, en;q=0.3", ",,;;=q"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		got := acceptLang(header)
		if got != english && got != arabic {
			t.Fatalf("acceptLang(%q) = %q", header, got)
		}
		if got == arabic && !strings.Contains(strings.ToLower(header), "ar") {
			t.Fatalf("acceptLang(%q) is Arabic", header)
		}
	})
}
