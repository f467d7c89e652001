package web_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/collector/users"
	"github.com/greenpulse-health/greenpulse/internal/browser"
	"github.com/greenpulse-health/greenpulse/internal/browser/browsertest"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
)

// dashboard is Chromium on a collector's dashboard, for the browser
// tests.
type dashboard struct {
	url     string
	b       *browser.Browser
	downDir string
	// cfg is the collector's configuration, for a test that starts
	// another one beside it (startDashboard sets it).
	cfg config.Config
}

// testAdminToken is http.admin_token of the browser tests' collectors.
// The tests' own reads of the API (getJSON, readURL) carry it, as a
// script would; the page never does.
const testAdminToken = "browser-test-admin-token"

// The accounts of the users file of the browser tests' collectors
// (withUsers); each one's password is password(name).
const (
	planner    = "amal"       // national
	officerBG  = "omar"       // Baghdad, IQ-BG
	officerBA  = "basma"      // Basra, IQ-BA
	facilityBG = "fatima"     // BG-H-001, in Baghdad
	facilityBA = "hadi"       // BA-H-001, in Basra
	facilityBP = "rana"       // BA-P-001, in Basra
	admin      = "adil"       // national, acknowledges anything
	throttled  = "sami.k"     // the sign-in test fails it until it must wait
	nobody     = "not-a-user" // in no users file
)

var accounts = []struct {
	name  string
	role  users.Role
	scope string
}{
	{planner, users.Planner, "IQ"},
	{officerBG, users.Officer, "IQ-BG"},
	{officerBA, users.Officer, "IQ-BA"},
	{facilityBG, users.Facility, "BG-H-001"},
	{facilityBA, users.Facility, "BA-H-001"},
	{facilityBP, users.Facility, "BA-P-001"},
	{admin, users.Admin, "IQ"},
	{throttled, users.Planner, "IQ"},
}

// password is the password of account name.
func password(name string) string { return "pw-" + name + "-2026!" }

// withUsers makes cfg's collector require sign-in (access.mode users)
// with the accounts, in a users file of the test's temp dir, and sets
// the admin token the tests' own API reads carry.
func withUsers(t *testing.T, cfg *config.Config) {
	t.Helper()
	cfg.Access.Mode = "users"
	cfg.Access.UsersFile = filepath.Join(t.TempDir(), "users.json")
	cfg.HTTP.AdminToken = testAdminToken
	for _, a := range accounts {
		if err := users.Add(cfg.Access.UsersFile, a.name, a.role, a.scope, password(a.name)); err != nil {
			t.Fatal(err)
		}
	}
}

// signIn signs in as account name through the dashboard's form in lang
// (en or ar) and waits for the page the account starts on.
func (d *dashboard) signIn(t *testing.T, name, lang string) {
	t.Helper()
	d.open(t, "signin", "signin?lang="+lang)
	d.submitSignIn(t, name, password(name))
	d.waitSignedIn(t, name)
}

// submitSignIn types name and pw into the sign-in form shown and sends
// it.
func (d *dashboard) submitSignIn(t *testing.T, name, pw string) {
	t.Helper()
	eval[bool](t, d.b, `(() => { const f = document.getElementById('signin'); f.elements.user.value = ''; f.elements.password.value = ''; return true; })()`)
	if err := d.b.Do(10*time.Second, chromedp.SendKeys(chromedp.ID("signin-user"), name),
		chromedp.SendKeys(chromedp.ID("signin-password"), pw), chromedp.Click(chromedp.ID("signin-send"))); err != nil {
		t.Fatal(err)
	}
}

// waitSignedIn waits until the page has left the sign-in form for a view
// drawn for account name, and checks it loaded cleanly.
func (d *dashboard) waitSignedIn(t *testing.T, name string) {
	t.Helper()
	js := fmt.Sprintf(`document.body.dataset.ready === '1' && document.body.dataset.view !== 'signin' && document.getElementById('who')?.dataset.user === %q`, name)
	if err := d.b.WaitFor(20*time.Second, js); err != nil {
		page, _ := browser.Eval[string](d.b, 5*time.Second, `JSON.stringify({view: document.body.dataset.view, ready: document.body.dataset.ready, hash: location.hash,
			said: document.getElementById('signin-msg')?.textContent, who: document.getElementById('who')?.dataset.user, text: document.getElementById('app')?.textContent.slice(0, 300)})`)
		t.Fatalf("%s did not sign in: the page shows %s; console: %q", name, page, d.b.ConsoleErrors())
	}
	d.checkClean(t, "signed in as "+name)
}

// goTo changes the page's address to hash (after #/) without loading the
// page again, as a click on a link does, and waits until view is drawn
// anew: the page's memory (its cache of answers) stays.
func (d *dashboard) goTo(t *testing.T, view, hash string, expected ...string) {
	t.Helper()
	eval[bool](t, d.b, fmt.Sprintf(`(() => { document.getElementById('view').dataset.old = '1'; location.hash = %q; return true; })()`, "#/"+hash))
	d.waitFor(t, fmt.Sprintf(`!document.querySelector('#view[data-old]') && document.body.dataset.ready === '1' && document.body.dataset.view === %q`, view), "the view of "+hash)
	d.checkClean(t, hash, expected...)
}

// pageAnswer is what a fetch from the page answered.
type pageAnswer[T any] struct {
	Status int
	Body   T
}

// pageGet fetches path from the page, as its own code does (with its
// cookie), and decodes the JSON answer.
func pageGet[T any](t *testing.T, d *dashboard, path string) pageAnswer[T] {
	t.Helper()
	got, err := browser.EvalAwait[pageAnswer[T]](d.b, 10*time.Second, fmt.Sprintf(`fetch(%q).then(async (r) => ({Status: r.status, Body: await r.json().catch(() => null)}))`, path))
	if err != nil {
		t.Fatalf("fetch %s from the page: %v", path, err)
	}
	return got
}

// openBrowser starts Chromium for the dashboard at url, saving downloads
// into a temp dir.
func openBrowser(t *testing.T, url string) *dashboard {
	t.Helper()
	bctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	b, err := browser.Start(bctx, t.TempDir(), 1280, 900)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	d := &dashboard{url: url, b: b, downDir: t.TempDir()}
	if err := b.SaveDownloads(d.downDir); err != nil {
		t.Fatal(err)
	}
	return d
}

// downloadCSV clicks the button with id button, waits for the browser to
// save file, and returns its records.
func (d *dashboard) downloadCSV(t *testing.T, button, file string) [][]string {
	t.Helper()
	if err := d.b.Do(10*time.Second, chromedp.Click(chromedp.ID(button))); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(d.downDir, file)
	teststack.Eventually(t, 10*time.Second, "CSV downloaded", func() (bool, string) {
		_, err := os.Stat(path)
		return err == nil, fmt.Sprint(err)
	})
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// open loads a view fresh and waits until it is drawn with no error on
// the page or in the console (but the failed requests expected, see
// checkClean).
func (d *dashboard) open(t *testing.T, view, hash string, expected ...string) {
	t.Helper()
	if err := d.b.Do(time.Minute, chromedp.Navigate("about:blank"), chromedp.Navigate(d.url+"/#/"+hash), browser.WaitReady(view)); err != nil {
		t.Fatalf("open %s: %v", hash, err)
	}
	d.checkClean(t, hash, expected...)
}

// checkClean fails the test for errors on the page or in the console.
// Chromium logs every error answer as "Failed to load resource"; those of
// requests whose URL and status are in expected (such as
// "/api/v1/alerts?state=active status of 404", an answer the API
// documents) are not errors.
func (d *dashboard) checkClean(t *testing.T, what string, expected ...string) {
	t.Helper()
	if err := d.b.Settle(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	errs := slices.DeleteFunc(d.b.ConsoleErrors(), func(e string) bool {
		return strings.Contains(e, "Failed to load resource") && slices.ContainsFunc(expected, func(x string) bool {
			url, status, _ := strings.Cut(x, " ")
			return strings.Contains(e, url+":") && strings.Contains(e, status)
		})
	})
	if len(errs) > 0 {
		t.Errorf("%s: console errors:\n%s", what, strings.Join(errs, "\n"))
	}
	if msg := eval[string](t, d.b, `document.querySelector('.error')?.textContent ?? ''`); msg != "" {
		t.Errorf("%s: the page shows an error: %s", what, msg)
	}
}

func (d *dashboard) waitFor(t *testing.T, js, what string) {
	t.Helper()
	browsertest.WaitFor(t, d.b, js, what)
}

func eval[T any](t *testing.T, b *browser.Browser, js string) T {
	t.Helper()
	return browsertest.Eval[T](t, b, js)
}

// getJSON reads url with the admin token into v: what the API holds,
// whoever the page is signed in as.
func getJSON(t *testing.T, url string, v any) {
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
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s %s", url, resp.Status, body)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}
