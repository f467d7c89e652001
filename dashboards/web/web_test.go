package web

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
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
	mux := http.NewServeMux()
	Handler(Assets())(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	get := func(path string) (string, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		return b.String(), resp.Header.Get("Content-Type")
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
