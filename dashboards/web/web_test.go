package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// maxVendoredBytes is the budget for third-party assets: what a
// facility's slow link must carry on a first visit.
const maxVendoredBytes = 1_500_000

func TestVendoredAssetsFitTheBudget(t *testing.T) {
	var vendored, own int64
	err := fs.WalkDir(Assets(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if strings.HasPrefix(path, "vendor/") {
			vendored += info.Size()
		} else {
			own += info.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("vendored %d bytes, our own %d bytes", vendored, own)
	if vendored > maxVendoredBytes {
		t.Errorf("vendored assets are %d bytes, over the %d budget", vendored, maxVendoredBytes)
	}
	if vendored == 0 || own == 0 {
		t.Errorf("embedded nothing (vendored %d, own %d)", vendored, own)
	}
}

// TestEveryReferencedFileIsServed follows the page's script and style
// links and the modules' imports: a missing file is a blank dashboard
// offline, where no CDN can stand in.
func TestEveryReferencedFileIsServed(t *testing.T) {
	srv := dashboardServer(t, Assets())
	get := func(path string) (string, string) {
		t.Helper()
		resp, body := fetch(t, srv, path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		return body, resp.Header.Get("Content-Type")
	}
	page, ctype := get("/")
	if !strings.HasPrefix(ctype, "text/html") {
		t.Errorf("/ is %s", ctype)
	}
	refs := regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 4 {
		t.Fatalf("index.html links %d files", len(refs))
	}
	seen := map[string]bool{}
	queue := []string{}
	for _, r := range refs {
		queue = append(queue, r[1])
	}
	imports := regexp.MustCompile(`from '(\.{1,2}/[^']+)'`)
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if seen[p] {
			continue
		}
		seen[p] = true
		body, ctype := get(p)
		if strings.HasSuffix(p, ".js") && !strings.HasPrefix(ctype, "text/javascript") {
			t.Errorf("%s is served as %q; browsers refuse modules that are not JavaScript", p, ctype)
		}
		dir := p[:strings.LastIndex(p, "/")]
		for _, m := range imports.FindAllStringSubmatch(body, -1) {
			rel := m[1]
			base := dir
			for strings.HasPrefix(rel, "../") {
				base, rel = base[:strings.LastIndex(base, "/")], rel[3:]
			}
			queue = append(queue, base+"/"+strings.TrimPrefix(rel, "./"))
		}
	}
	if !seen["/static/js/views/facility.js"] {
		t.Errorf("the import walk did not reach the views: %v", seen)
	}
	get("/static/vendor/iraq-governorates.geojson")
}

// fetch GETs path from srv with the given header lines ("Name: value")
// and returns the answer with its body read.
func fetch(t *testing.T, srv *httptest.Server, path string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range header {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func dashboardServer(t *testing.T, assets fs.FS) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	Handler(assets)(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestRevalidation checks that every file, vendored ones included, is
// revalidated (no-cache) and that revalidation of an unchanged file is a
// 304 without a body, by the file's ETag.
func TestRevalidation(t *testing.T) {
	srv := dashboardServer(t, Assets())
	for path, file := range map[string]string{
		"/":                               "index.html",
		"/static/js/main.js":              "js/main.js",
		"/static/app.css":                 "app.css",
		"/static/vendor/leaflet.js":       "vendor/leaflet.js",
		"/static/vendor/chart.umd.min.js": "vendor/chart.umd.min.js",
		"/static/vendor/iraq-governorates.geojson": "vendor/iraq-governorates.geojson",
	} {
		t.Run(path, func(t *testing.T) {
			content, err := fs.ReadFile(Assets(), file)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(content)
			want := `"` + hex.EncodeToString(sum[:8]) + `"`
			resp, body := fetch(t, srv, path)
			etag := resp.Header.Get("ETag")
			if resp.StatusCode != http.StatusOK || body != string(content) || etag != want {
				t.Fatalf("%s, ETag %q, %d bytes; want 200, ETag %s and the file's %d bytes", resp.Status, etag, len(body), want, len(content))
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
				t.Errorf("Cache-Control %q, want no-cache: the URL carries no version", cc)
			}
			for _, tc := range []struct {
				ifNoneMatch string
				code        int
			}{
				{etag, http.StatusNotModified},
				{"W/" + etag, http.StatusNotModified}, // what a browser holds after a gzipped answer
				{`"0000000000000000", ` + etag, http.StatusNotModified},
				{`"0000000000000000"`, http.StatusOK},
			} {
				resp, body := fetch(t, srv, path, "If-None-Match: "+tc.ifNoneMatch)
				if resp.StatusCode != tc.code || (tc.code == http.StatusNotModified && body != "") {
					t.Errorf("If-None-Match %s: %s with %d bytes, want %d", tc.ifNoneMatch, resp.Status, len(body), tc.code)
				}
				if got := resp.Header.Get("ETag"); got != etag {
					t.Errorf("If-None-Match %s: ETag %q, want %s", tc.ifNoneMatch, got, etag)
				}
			}
		})
	}
}

// TestFolderIsRevalidatedByDate serves the dashboard from a folder, as
// http.dashboard_dir does: an edited file must be seen at the next load,
// so folder files are revalidated by their modification time.
func TestFolderIsRevalidatedByDate(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "index.html")
	write := func(text string, mtime time.Time) {
		t.Helper()
		if err := os.WriteFile(page, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(page, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	write("<p>before</p>", time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC))
	srv := dashboardServer(t, os.DirFS(dir))
	first, _ := fetch(t, srv, "/")
	lastModified := first.Header.Get("Last-Modified")
	if lastModified == "" {
		t.Fatalf("no Last-Modified: %v", first.Header)
	}
	if resp, _ := fetch(t, srv, "/", "If-Modified-Since: "+lastModified); resp.StatusCode != http.StatusNotModified {
		t.Errorf("unchanged page: %s, want 304", resp.Status)
	}
	write("<p>after</p>", time.Date(2026, 11, 1, 9, 5, 0, 0, time.UTC))
	conditions := []string{"If-Modified-Since: " + lastModified}
	if etag := first.Header.Get("ETag"); etag != "" {
		conditions = append(conditions, "If-None-Match: "+etag)
	}
	resp, body := fetch(t, srv, "/", conditions...)
	if resp.StatusCode != http.StatusOK || body != "<p>after</p>" {
		t.Errorf("edited page: %s %q, want 200 with the edit", resp.Status, body)
	}
}

func TestNoFolderListings(t *testing.T) {
	srv := dashboardServer(t, Assets())
	for _, path := range []string{"/static/", "/static/js/", "/static/js", "/static/vendor/", "/static/js/views", "/static/nothing.js", "/static/js/../../web.go"} {
		resp, body := fetch(t, srv, path)
		if resp.StatusCode != http.StatusNotFound || strings.Contains(body, "<a href") {
			t.Errorf("%s: %s %.60q, want 404", path, resp.Status, body)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no X-Content-Type-Options: nosniff", path)
		}
	}
}

// TestSecurityHeaders checks the page's Content-Security-Policy and that
// the page keeps to it: no inline script or event handler, and nothing
// loaded from elsewhere.
func TestSecurityHeaders(t *testing.T) {
	srv := dashboardServer(t, Assets())
	resp, page := fetch(t, srv, "/")
	want := "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
	if got := resp.Header.Get("Content-Security-Policy"); got != want {
		t.Errorf("Content-Security-Policy %q\nwant %q", got, want)
	}
	for _, path := range []string{"/", "/static/js/main.js", "/static/vendor/leaflet.css"} {
		if resp, _ := fetch(t, srv, path); resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q, want nosniff", path, resp.Header.Get("X-Content-Type-Options"))
		}
	}
	for _, tag := range regexp.MustCompile(`(?is)<script\b[^>]*>`).FindAllString(page, -1) {
		if !strings.Contains(tag, `src="/static/`) {
			t.Errorf("%s: the policy allows no inline script", tag)
		}
	}
	if m := regexp.MustCompile(`(?i)\son[a-z]+=`).FindString(page); m != "" {
		t.Errorf("inline event handler %q: the policy blocks it", m)
	}
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[1], "/static/") && !strings.HasPrefix(m[1], "data:") {
			t.Errorf("the page loads %s, which the policy blocks", m[1])
		}
	}
}
