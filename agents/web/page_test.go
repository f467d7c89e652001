package web

import (
	"net/http"
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
func TestPageMenus(t *testing.T) {
	page := do(t, newHandler(t, &fakeAgent{}, ""), http.MethodGet, "/", "").Body.String()
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
			t.Fatalf("no select #%s", m.id)
		}
		var got []string
		for _, o := range value.FindAllStringSubmatch(page[start:start+end], -1) {
			got = append(got, o[1])
			if o[1] != "" && (o[2] == o[1] && strings.Contains(o[1], "_")) {
				t.Errorf("#%s: option %q has no label", m.id, o[1])
			}
		}
		want := append([]string{""}, m.values...)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("#%s offers %q, want %q", m.id, got, want)
		}
	}
}
