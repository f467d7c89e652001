package access

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/users"
	"github.com/greenpulse-health/greenpulse/registry"
)

// TestSignInFromOtherSitesAndStaleCredentials: a cross-site form cannot
// sign in (its body type is text/plain), a proxy that rewrites Host is
// judged by the X-Forwarded-Host it passes on only when trusted, and a
// wrong bearer token does not break the dashboard's files or /healthz.
func TestSignInFromOtherSitesAndStaleCredentials(t *testing.T) {
	reg, err := registry.Load(filepath.Join("..", "..", "configs", "facilities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "users.json")
	if err := users.Add(path, "amal", users.Planner, "", "origin-test-password"); err != nil {
		t.Fatal(err)
	}
	g, err := New(Options{Mode: ModeUsers, UsersFile: path, SessionTTL: time.Hour, LoginAttempts: 50, LoginWindow: time.Minute, Country: "IQ",
		ProxyTrusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32")}}, reg, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	g.Register(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("GET /api/v1/facilities", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("[]")) })
	h := g.Wrap(mux)
	body := `{"user":"amal","password":"origin-test-password"}`
	tests := []struct {
		name                     string
		method, path, ctype, bdy string
		remote, origin, fwdHost  string
		auth                     string
		code                     int
	}{
		{"JSON sign-in", "POST", "/api/v1/login", "application/json", body, "192.0.2.9:5000", "http://collector.example", "", "", 200},
		{"cross-site form", "POST", "/api/v1/login", "text/plain", body, "192.0.2.9:5000", "", "", "", 415},
		{"urlencoded form", "POST", "/api/v1/login", "application/x-www-form-urlencoded", body, "192.0.2.9:5000", "", "", "", 415},
		{"another site's Origin", "POST", "/api/v1/login", "application/json", body, "192.0.2.9:5000", "http://evil.example", "", "", 403},
		{"trusted proxy rewrote Host", "POST", "/api/v1/login", "application/json", body, "10.0.0.1:5000", "https://greenpulse.health.gov.iq", "greenpulse.health.gov.iq", "", 200},
		{"untrusted X-Forwarded-Host", "POST", "/api/v1/login", "application/json", body, "192.0.2.9:5000", "https://evil.example", "evil.example", "", 403},
		{"stale token on /healthz", "GET", "/healthz", "", "", "192.0.2.9:5000", "", "", "Bearer gp_revoked", 200},
		{"stale token on the dashboard", "GET", "/", "", "", "192.0.2.9:5000", "", "", "Bearer gp_revoked", 404},
		{"stale token on the API", "GET", "/api/v1/facilities", "", "", "192.0.2.9:5000", "", "", "Bearer gp_revoked", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "http://collector.example"+tt.path, strings.NewReader(tt.bdy))
			req.RemoteAddr = tt.remote
			for k, v := range map[string]string{"Content-Type": tt.ctype, "Origin": tt.origin, "X-Forwarded-Host": tt.fwdHost, "Authorization": tt.auth} {
				if v != "" {
					req.Header.Set(k, v)
				}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.code {
				t.Errorf("%d %s, want %d", rec.Code, rec.Body, tt.code)
			}
		})
	}
}
