package httpapi

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCompress(t *testing.T) {
	body := strings.Repeat(`{"id":"BG-H-001","name":"Baghdad Teaching Hospital"},`, 200)
	mux := http.NewServeMux()
	mux.HandleFunc("/json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	})
	mux.HandleFunc("/png", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = io.WriteString(w, body)
	})
	mux.HandleFunc("/own", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Encoding", "identity")
		_, _ = io.WriteString(w, body)
	})
	mux.HandleFunc("/missing", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, body, http.StatusNotFound)
	})
	// /file is served as the dashboard serves its files: ServeContent
	// offers ranges and answers them with 206.
	mux.HandleFunc("/file", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("ETag", `"0123456789abcdef"`)
		http.ServeContent(w, r, "file.js", time.Time{}, strings.NewReader(body))
	})
	srv := httptest.NewServer(compress(mux))
	t.Cleanup(srv.Close)

	for _, tc := range []struct {
		method, path, accept, rng string
		wantCode                  int
		wantGzip                  bool
		wantRanges                string // Accept-Ranges
		wantETag                  string
	}{
		{method: "GET", path: "/json", accept: "gzip, deflate", wantGzip: true},
		{method: "GET", path: "/json", accept: ""},
		{method: "GET", path: "/json", accept: "GZIP;Q=0.5", wantGzip: true},
		{method: "GET", path: "/json", accept: "x-gzip", wantGzip: true},
		{method: "GET", path: "/json", accept: "gzip;q=0"},
		{method: "GET", path: "/json", accept: "gzip; q=0.000, deflate"},
		{method: "GET", path: "/json", accept: "*", wantGzip: true},
		{method: "GET", path: "/json", accept: "*;q=0"},
		{method: "GET", path: "/json", accept: "*, gzip;q=0"},
		{method: "GET", path: "/json", accept: "gzip;q=0, *"},
		{method: "GET", path: "/json", accept: "identity, *;q=0.1", wantGzip: true},
		{method: "GET", path: "/json", accept: "gzip;q=2"},
		{method: "GET", path: "/json", accept: "gzipped, deflate"},
		{method: "HEAD", path: "/json", accept: "gzip"},
		{method: "GET", path: "/png", accept: "gzip"},
		{method: "GET", path: "/own", accept: "gzip"},
		{method: "GET", path: "/missing", accept: "gzip", wantCode: http.StatusNotFound},
		{method: "GET", path: "/file", accept: "gzip", wantGzip: true, wantETag: `W/"0123456789abcdef"`},
		{method: "GET", path: "/file", accept: "", wantRanges: "bytes", wantETag: `"0123456789abcdef"`},
		{method: "HEAD", path: "/file", accept: "gzip", wantRanges: "bytes", wantETag: `"0123456789abcdef"`},
		{method: "GET", path: "/file", accept: "gzip", rng: "bytes=0-99", wantCode: http.StatusPartialContent, wantRanges: "bytes", wantETag: `"0123456789abcdef"`},
	} {
		name := tc.method + " " + tc.path + " Accept-Encoding " + strconv.Quote(tc.accept)
		if tc.rng != "" {
			name += " Range " + tc.rng
		}
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			if tc.accept != "" {
				req.Header.Set("Accept-Encoding", tc.accept)
			}
			if tc.rng != "" {
				req.Header.Set("Range", tc.rng)
			}
			// A transport that leaves Accept-Encoding alone and does not
			// decompress, so the test sees the bytes on the wire.
			resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if want := max(tc.wantCode, http.StatusOK); resp.StatusCode != want {
				t.Errorf("status %d, want %d", resp.StatusCode, want)
			}
			h := resp.Header
			if gotGzip := h.Get("Content-Encoding") == "gzip"; gotGzip != tc.wantGzip {
				t.Errorf("Content-Encoding %q, want gzip %v", h.Get("Content-Encoding"), tc.wantGzip)
			}
			if got := h.Get("Accept-Ranges"); got != tc.wantRanges {
				t.Errorf("Accept-Ranges %q, want %q", got, tc.wantRanges)
			}
			if got := h.Get("ETag"); got != tc.wantETag {
				t.Errorf("ETag %q, want %q", got, tc.wantETag)
			}
			var r io.Reader = resp.Body
			if tc.wantGzip {
				zr, err := gzip.NewReader(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				r = zr
			}
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.method == http.MethodHead:
				// Content-Length is the GET body's, or unknown (-1) when the
				// handler wrote more than the server buffers.
				if len(got) != 0 || (resp.ContentLength != -1 && resp.ContentLength != int64(len(body))) {
					t.Errorf("HEAD: Content-Length %d and %d body bytes, want %d (or unknown) and none", resp.ContentLength, len(got), len(body))
				}
			case tc.rng != "":
				if string(got) != body[:100] {
					t.Errorf("range body %.80q…", got)
				}
			case !strings.Contains(string(got), body[:100]):
				t.Errorf("body %.80q…", got)
			}
		})
	}
}

func TestAcceptsGzip(t *testing.T) {
	for _, tc := range []struct {
		headers []string
		want    bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"gzip"}, true},
		{[]string{"deflate", "gzip;q=0.3"}, true},
		{[]string{"gzip;q=0", "*"}, false},
		{[]string{"gzip;q=0.001"}, true},
		{[]string{"gzip;q=1.000"}, true},
		{[]string{"gzip;q=1.0001"}, false},
		{[]string{"gzip;q="}, false},
		{[]string{"gzip;q=-1"}, false},
		{[]string{"gzip;level=1"}, true},
		{[]string{"br;q=1, *;q=0.5"}, true},
		{[]string{"identity"}, false},
	} {
		if got := acceptsGzip(tc.headers); got != tc.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tc.headers, got, tc.want)
		}
	}
}
