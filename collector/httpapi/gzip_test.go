package httpapi

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
	srv := httptest.NewServer(compress(mux))
	t.Cleanup(srv.Close)

	for _, tc := range []struct {
		path, accept string
		wantGzip     bool
	}{
		{"/json", "gzip, deflate", true},
		{"/json", "", false},
		{"/png", "gzip", false},
		{"/own", "gzip", false},
		{"/missing", "gzip", false},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+tc.path, nil)
		if tc.accept != "" {
			req.Header.Set("Accept-Encoding", tc.accept)
		}
		// A transport that leaves Accept-Encoding alone and does not
		// decompress, so the test sees the bytes on the wire.
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = resp.Body
		gotGzip := resp.Header.Get("Content-Encoding") == "gzip"
		if gotGzip != tc.wantGzip {
			t.Errorf("%s with Accept-Encoding %q: Content-Encoding %q", tc.path, tc.accept, resp.Header.Get("Content-Encoding"))
		}
		if gotGzip {
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			r = zr
		}
		got, err := io.ReadAll(r)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(got), body[:100]) {
			t.Errorf("%s: body %.80q…", tc.path, got)
		}
	}
}
