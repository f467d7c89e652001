// Package web embeds the collector's dashboard: a single page (plain ES
// modules, no build step) that reads /api/v1 and draws with the vendored
// Chart.js and Leaflet. Everything it loads is in the binary, so it works
// in a ministry network with no internet.
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
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

// Handler mounts the dashboard in assets (Assets(), or a folder with the
// same files) on mux: the page at / and its files under /static/. Vendored
// files never change within a build, so they may be cached; the page and
// our own scripts are revalidated so that an upgraded collector is seen at
// the next load.
func Handler(assets fs.FS) func(mux *http.ServeMux) {
	return func(mux *http.ServeMux) { register(mux, assets) }
}

func register(mux *http.ServeMux, assets fs.FS) {
	files := http.FileServerFS(assets)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, assets, "index.html")
	})
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "vendor/") {
			w.Header().Set("Cache-Control", "public, max-age=86400")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})))
}
