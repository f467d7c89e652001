package httpapi

import (
	"compress/gzip"
	"net/http"
	"strconv"
	"strings"
)

// compress gzips text answers for clients that accept it: the dashboard's
// JSON (2,000 facilities are 847 KB, 156 KB gzipped, as measured) and scripts travel over
// slow links in districts and governorates. Answers that set their own
// Content-Encoding (/metrics does), HEAD requests (their Content-Length
// must be that of the GET's body, not of an empty gzip stream) and range
// requests pass through.
func compress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead || r.Header.Get("Range") != "" || !acceptsGzip(r.Header.Values("Accept-Encoding")) {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Accept-Encoding")
		gw := &gzipWriter{ResponseWriter: w}
		defer gw.close()
		next.ServeHTTP(gw, r)
	})
}

// acceptsGzip reports whether Accept-Encoding allows gzip (RFC 9110
// section 12.5.3): gzip, or x-gzip, or else *, with a q-value above zero.
// A coding named explicitly wins over *, so "*, gzip;q=0" refuses gzip. A
// malformed q-value counts as zero: guessing wrong would send bytes the
// client cannot read.
func acceptsGzip(headers []string) bool {
	gzipQ, starQ := -1.0, -1.0
	for _, h := range headers {
		for _, item := range strings.Split(h, ",") {
			coding, params, _ := strings.Cut(item, ";")
			q := 1.0
			for _, p := range strings.Split(params, ";") {
				name, value, ok := strings.Cut(strings.TrimSpace(p), "=")
				if !ok || !strings.EqualFold(strings.TrimSpace(name), "q") {
					continue
				}
				q = qvalue(strings.TrimSpace(value))
			}
			switch coding = strings.ToLower(strings.TrimSpace(coding)); coding {
			case "gzip", "x-gzip":
				gzipQ = max(gzipQ, q)
			case "*":
				starQ = max(starQ, q)
			}
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return starQ > 0
}

// qvalue parses a weight: 0 to 1 with at most three decimals; anything
// else is 0.
func qvalue(s string) float64 {
	if s == "" || len(s) > 5 || (s[0] != '0' && s[0] != '1') {
		return 0
	}
	q, err := strconv.ParseFloat(s, 64)
	if err != nil || q < 0 || q > 1 {
		return 0
	}
	return q
}

// gzipWriter decides at the first WriteHeader or Write whether to compress:
// only a 200 with a text type and no encoding of its own. It is not safe
// for concurrent use, like the ResponseWriter it wraps.
type gzipWriter struct {
	http.ResponseWriter
	gz      *gzip.Writer
	decided bool
}

func (g *gzipWriter) WriteHeader(code int) {
	if !g.decided {
		g.decided = true
		h := g.Header()
		if code == http.StatusOK && h.Get("Content-Encoding") == "" && compressible(h.Get("Content-Type")) {
			h.Del("Content-Length")
			// Byte ranges of the identity body do not apply to the gzip
			// stream, so the answer must not offer them.
			h.Del("Accept-Ranges")
			// A strong ETag names exact bytes, and these are not the
			// identity body's: weaken it, as nginx does, so that
			// If-None-Match still revalidates but If-Range never mixes
			// the two.
			if etag := h.Get("ETag"); strings.HasPrefix(etag, `"`) {
				h.Set("ETag", "W/"+etag)
			}
			h.Set("Content-Encoding", "gzip")
			g.gz, _ = gzip.NewWriterLevel(g.ResponseWriter, gzip.BestSpeed) // a valid level never errs
		}
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *gzipWriter) Write(p []byte) (int, error) {
	if !g.decided {
		if g.Header().Get("Content-Type") == "" {
			g.Header().Set("Content-Type", http.DetectContentType(p))
		}
		g.WriteHeader(http.StatusOK)
	}
	if g.gz != nil {
		return g.gz.Write(p)
	}
	return g.ResponseWriter.Write(p)
}

func (g *gzipWriter) close() {
	if g.gz != nil {
		_ = g.gz.Close() // the client went away; nothing to tell it
	}
}

func compressible(contentType string) bool {
	for _, p := range []string{"text/", "application/json", "application/javascript", "image/svg+xml", "application/geo+json"} {
		if strings.HasPrefix(contentType, p) {
			return true
		}
	}
	return false
}
