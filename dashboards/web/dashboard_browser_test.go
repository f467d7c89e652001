package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/greenpulse-health/greenpulse/internal/browser"
	"github.com/greenpulse-health/greenpulse/internal/browser/browsertest"
)

// dashboard is Chromium on a collector's dashboard, for the browser
// tests.
type dashboard struct {
	url     string
	b       *browser.Browser
	downDir string
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

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
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
