package access

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/greenpulse-health/greenpulse/collector/users"
)

func TestCSRF(t *testing.T) {
	f := newFixture(t, defaultOptions(), false)
	root, amal := f.login("root"), f.login("amal")
	tests := []struct {
		desc   string
		method string
		header http.Header
		code   int
	}{
		{"GET without the header", http.MethodGet, root.header(false), http.StatusOK},
		{"HEAD without the header", http.MethodHead, root.header(false), http.StatusOK},
		{"POST without the header", http.MethodPost, root.header(false), http.StatusForbidden},
		{"POST with a wrong one", http.MethodPost, hdr("Cookie", root.cookie, CSRFHeader, "not-the-token"), http.StatusForbidden},
		{"POST with an empty one", http.MethodPost, hdr("Cookie", root.cookie, CSRFHeader, ""), http.StatusForbidden},
		{"POST with another session's", http.MethodPost, hdr("Cookie", root.cookie, CSRFHeader, amal.csrf), http.StatusForbidden},
		{"POST with the session's", http.MethodPost, root.header(true), http.StatusOK},
		{"PUT without the header", http.MethodPut, root.header(false), http.StatusForbidden},
		{"DELETE without the header", http.MethodDelete, root.header(false), http.StatusForbidden},
		{"POST from a foreign Origin", http.MethodPost, hdr("Cookie", root.cookie, CSRFHeader, root.csrf, "Origin", "https://evil.example"), http.StatusForbidden},
		{"POST from a look-alike Origin", http.MethodPost, hdr("Cookie", root.cookie, CSRFHeader, root.csrf, "Origin", f.srv.URL+".evil.example"), http.StatusForbidden},
		{"POST from Origin null", http.MethodPost, hdr("Cookie", root.cookie, CSRFHeader, root.csrf, "Origin", "null"), http.StatusForbidden},
		{"POST from this site's Origin", http.MethodPost, hdr("Cookie", root.cookie, CSRFHeader, root.csrf, "Origin", f.srv.URL), http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			a := f.do(tt.method, "/api/v1/rollup", "", tt.header)
			if a.code != tt.code {
				t.Fatalf("%s: %d %s, want %d", tt.method, a.code, a.body, tt.code)
			}
			if a.code == http.StatusForbidden && tt.method == http.MethodPost && !strings.Contains(a.errorText(), CSRFHeader) && !strings.Contains(a.errorText(), "Origin") {
				t.Errorf("403 body %s names neither %s nor Origin", a.body, CSRFHeader)
			}
		})
	}
	// The session answer's csrf is the login's.
	var ans sessionAnswer
	if err := json.Unmarshal(f.do(http.MethodGet, "/api/v1/session", "", root.header(false)).body, &ans); err != nil || ans.CSRF != root.csrf {
		t.Errorf("session csrf = %q, %v; want the login's %q", ans.CSRF, err, root.csrf)
	}
}

func TestTokens(t *testing.T) {
	f := newFixture(t, defaultOptions(), false)
	bearer := hdr("Authorization", "Bearer "+f.token)
	want := Principal{Name: "basra-script", Role: RoleToken, Scope: "IQ-BA", Via: "token"}
	for _, h := range []http.Header{bearer, hdr("Authorization", "bearer "+f.token)} {
		if code, p := f.whoami("/api/v1/facilities", h); code != http.StatusOK || p != want {
			t.Errorf("GET with the token (%s): %d %+v, want %+v", h.Get("Authorization")[:6], code, p, want)
		}
	}
	// Read-only: the view refuses the roll-up (no CSRF is asked of a token).
	if a := f.do(http.MethodPost, "/api/v1/rollup", "", bearer); a.code != http.StatusForbidden || a.errorText() != "roll-ups are for admins" {
		t.Errorf("POST with the token: %d %s, want the view's 403", a.code, a.body)
	}
	signedIn := f.login("amal")
	for _, tt := range []struct {
		desc string
		h    http.Header
	}{
		{"unknown token", hdr("Authorization", "Bearer gp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")},
		{"the token's sha256", hdr("Authorization", "Bearer "+tokenSum(f.token))},
		{"token without its prefix", hdr("Authorization", "Bearer "+strings.TrimPrefix(f.token, "gp_"))},
		{"Basic", hdr("Authorization", "Basic YW1hbDpwbGFubmVyIHBhc3N3b3JkIDE=")},
		{"Bearer alone", hdr("Authorization", "Bearer")},
		{"Bearer and a space", hdr("Authorization", "Bearer ")},
		// A wrong credential is not anonymity, even with a good cookie.
		{"unknown token with a session", hdr("Authorization", "Bearer gp_nope", "Cookie", signedIn.cookie)},
	} {
		for _, path := range []string{"/api/v1/facilities", "/api/v1/session", "/api/v1/catalog"} {
			a := f.do(http.MethodGet, path, "", tt.h)
			if a.code != http.StatusUnauthorized || a.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s, GET %s: %d %s, want 401 with WWW-Authenticate", tt.desc, path, a.code, a.body)
			}
		}
	}

	f.editUsers(func(file *users.File) error { return file.RemoveToken("basra-script") })
	f.eventually("a revoked token is refused", func() bool {
		a := f.do(http.MethodGet, "/api/v1/facilities", "", bearer)
		return a.code == http.StatusUnauthorized && strings.Contains(a.errorText(), "revoked")
	})
}

func tokenSum(secret string) string {
	s := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(s[:])
}

func TestAdminToken(t *testing.T) {
	f := newFixture(t, defaultOptions(), false)
	h := hdr("Authorization", "Bearer "+adminToken)
	want := Principal{Name: "admin-token", Role: users.Admin, Scope: "IQ", Via: "admin-token"}
	if code, p := f.whoami("/api/v1/facilities", h); code != http.StatusOK || p != want {
		t.Errorf("GET with the admin token: %d %+v", code, p)
	}
	// An operator action, without CSRF: a script is no browser.
	if a := f.do(http.MethodPost, "/api/v1/rollup", "", h); a.code != http.StatusOK {
		t.Errorf("POST rollup with the admin token: %d %s", a.code, a.body)
	}
	for _, bad := range []string{adminToken + "x", adminToken[:len(adminToken)-1], strings.ToUpper(adminToken)} {
		if code, _ := f.whoami("/api/v1/facilities", hdr("Authorization", "Bearer "+bad)); code != http.StatusUnauthorized {
			t.Errorf("admin token %q: %d, want 401", bad, code)
		}
	}
	// Without an admin token configured, no bearer is the admin.
	opts := defaultOptions()
	opts.AdminToken = ""
	f2 := newFixture(t, opts, false)
	if code, _ := f2.whoami("/api/v1/facilities", h); code != http.StatusUnauthorized {
		t.Errorf("no admin token configured: %d, want 401", code)
	}
}

func TestProxy(t *testing.T) {
	opts := defaultOptions()
	opts.ProxyHeader = "X-Remote-User"
	opts.ProxyTrusted = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	f := newFixture(t, opts, false)
	tests := []struct {
		desc string
		user string
		code int
		want Principal
	}{
		{"known user", "omar", http.StatusOK, Principal{Name: "omar", Role: users.Officer, Scope: "IQ-BG", Via: "proxy"}},
		{"spaces trimmed", "  fatima ", http.StatusOK, Principal{Name: "fatima", Role: users.Facility, Scope: "BG-H-001", Via: "proxy"}},
		{"unknown user", "zaid", http.StatusUnauthorized, Principal{}},
		{"a token's name", "basra-script", http.StatusUnauthorized, Principal{}},
		{"no header: nobody", "", http.StatusUnauthorized, Principal{}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			h := http.Header{}
			if tt.user != "" {
				h.Set("X-Remote-User", tt.user)
			}
			code, p := f.whoami("/api/v1/facilities", h)
			if code != tt.code || p != tt.want {
				t.Errorf("%d %+v, want %d %+v", code, p, tt.code, tt.want)
			}
		})
	}
	if a := f.do(http.MethodGet, "/api/v1/session", "", hdr("X-Remote-User", "zaid")); a.code != http.StatusUnauthorized || !strings.Contains(a.errorText(), `"zaid"`) {
		t.Errorf("unknown proxy user's session: %d %s", a.code, a.body)
	}

	// The proxy's user posts with the CSRF token of its session answer.
	root := hdr("X-Remote-User", "root")
	var ans sessionAnswer
	if err := json.Unmarshal(f.do(http.MethodGet, "/api/v1/session", "", root).body, &ans); err != nil {
		t.Fatal(err)
	}
	if !ans.Authenticated || ans.Via != "proxy" || ans.User != "root" || ans.CSRF == "" {
		t.Fatalf("proxy session answer = %+v", ans)
	}
	if a := f.do(http.MethodPost, "/api/v1/rollup", "", root); a.code != http.StatusForbidden {
		t.Errorf("proxy POST without CSRF: %d, want 403", a.code)
	}
	var omarAns sessionAnswer
	_ = json.Unmarshal(f.do(http.MethodGet, "/api/v1/session", "", hdr("X-Remote-User", "omar")).body, &omarAns)
	if a := f.do(http.MethodPost, "/api/v1/rollup", "", hdr("X-Remote-User", "root", CSRFHeader, omarAns.CSRF)); a.code != http.StatusForbidden {
		t.Errorf("proxy POST with another user's CSRF: %d, want 403", a.code)
	}
	if a := f.do(http.MethodPost, "/api/v1/rollup", "", hdr("X-Remote-User", "root", CSRFHeader, ans.CSRF)); a.code != http.StatusOK {
		t.Errorf("proxy POST with its CSRF: %d %s", a.code, a.body)
	}

	// From an address the proxy does not connect from, the header is anyone's to forge.
	opts.ProxyTrusted = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	untrusted := newFixture(t, opts, false)
	for _, user := range []string{"root", "zaid"} {
		if code, _ := untrusted.whoami("/api/v1/facilities", hdr("X-Remote-User", user)); code != http.StatusUnauthorized {
			t.Errorf("untrusted proxy header %q: %d, want 401 as nobody", user, code)
		}
		var ans sessionAnswer
		a := untrusted.do(http.MethodGet, "/api/v1/session", "", hdr("X-Remote-User", user))
		if err := json.Unmarshal(a.body, &ans); err != nil || a.code != http.StatusOK || ans.Authenticated {
			t.Errorf("untrusted proxy header %q: session %d %+v", user, a.code, ans)
		}
	}
	// A signed-in user behind the untrusted "proxy" is still that user.
	s := untrusted.login("omar")
	h := s.header(false)
	h.Set("X-Remote-User", "root")
	if code, p := untrusted.whoami("/api/v1/facilities", h); code != http.StatusOK || p.Name != "omar" || p.Via != "session" {
		t.Errorf("session with a forged proxy header: %d %+v", code, p)
	}
}
