// Package web embeds the collector's dashboard: a single page (plain ES
// modules, no build step) that reads /api/v1 and draws with the vendored
// Chart.js and Leaflet. Everything it loads is in the binary, so it works
// in a ministry network with no internet.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// Assets returns the dashboard's files, rooted at the folder that holds
// index.html. It is safe for concurrent use.
func Assets() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embed pattern above guarantees the folder
	}
	return sub
}

// contentSecurityPolicy lets the page load only its own files and talk
// only to its own API. Styles may be inline because Leaflet and Chart.js
// set style attributes; scripts may not, and the page has none. The icon
// is a data: URL.
const contentSecurityPolicy = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

// Handler mounts the dashboard in assets (Assets(), or a folder with the
// same files) on mux: the page at / and its files under /static/.
//
// Every answer is Cache-Control: no-cache, vendored files included: their
// URLs carry no version, so a cached copy could outlive an upgrade of the
// collector and run against a newer page. Revalidation is cheap instead:
// each file has a strong ETag (the start of its SHA-256), computed here
// once, and a browser that holds the current copy gets 304 Not Modified.
// Files without a modification time (the embedded ones) get the ETag;
// files of a folder are revalidated by Last-Modified, so that an edit is
// seen at the next load.
func Handler(assets fs.FS) func(mux *http.ServeMux) {
	d := &dashboard{assets: assets, etags: hashFiles(assets)}
	return d.register
}

// dashboard serves the files of assets. It is safe for concurrent use:
// nothing changes after Handler built it.
type dashboard struct {
	assets fs.FS
	etags  map[string]string // by path in assets
}

// hashFiles returns a quoted ETag for every file of assets that has no
// modification time. A file it cannot read gets none: serving it reports
// the error to the browser that asks for it (a dashboard_dir that does not
// exist is a page of 404s, not a collector that will not start).
func hashFiles(assets fs.FS) map[string]string {
	etags := map[string]string{}
	_ = fs.WalkDir(assets, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil // an unreadable folder is skipped, as said above
		}
		info, err := d.Info()
		if err != nil || !info.ModTime().IsZero() {
			return nil
		}
		b, err := fs.ReadFile(assets, name)
		if err != nil {
			return nil
		}
		sum := sha256.Sum256(b)
		etags[name] = `"` + hex.EncodeToString(sum[:])[:16] + `"`
		return nil
	})
	return etags
}

func (d *dashboard) register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
		d.serve(w, r, "index.html")
	})
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.serve(w, r, r.URL.Path)
	})))
}

// serve answers with the file name of the assets; a folder, or a name
// that is not a path inside them, is not found: the dashboard lists no
// folders.
func (d *dashboard) serve(w http.ResponseWriter, r *http.Request, name string) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if !fs.ValidPath(name) {
		http.NotFound(w, r)
		return
	}
	f, err := d.assets.Open(name)
	if err != nil {
		notServed(w, r, name, err)
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		notServed(w, r, name, err)
		return
	}
	if info.IsDir() {
		http.NotFound(w, r)
		return
	}
	content, ok := f.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(f)
		if err != nil {
			notServed(w, r, name, err)
			return
		}
		content = bytes.NewReader(b)
	}
	w.Header().Set("Cache-Control", "no-cache")
	if etag, ok := d.etags[name]; ok {
		// ServeContent answers If-None-Match from this header.
		w.Header().Set("ETag", etag)
	}
	http.ServeContent(w, r, name, info.ModTime(), content)
}

// notServed answers for a file that could not be opened or read.
func notServed(w http.ResponseWriter, r *http.Request, name string, err error) {
	if errors.Is(err, fs.ErrNotExist) {
		http.NotFound(w, r)
		return
	}
	http.Error(w, fmt.Sprintf("read dashboard file %q: %v", name, err), http.StatusInternalServerError)
}
