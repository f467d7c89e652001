package access

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/users"
)

func TestLoginCookie(t *testing.T) {
	tests := []struct {
		desc           string
		tls, secure    bool
		wantSecureFlag bool
	}{
		{"plain HTTP", false, false, false},
		{"TLS", true, false, true},
		{"plain HTTP with secure_cookies", false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			opts := defaultOptions()
			opts.SecureCookies = tt.secure
			f := newFixture(t, opts, tt.tls)
			a := f.tryLogin("amal", passwords["amal"])
			if a.code != http.StatusOK {
				t.Fatalf("login: %d %s", a.code, a.body)
			}
			var c *http.Cookie
			for _, k := range a.resp.Cookies() {
				if k.Name == CookieName {
					c = k
				}
			}
			if c == nil {
				t.Fatalf("no %s cookie in %v", CookieName, a.header["Set-Cookie"])
			}
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure != tt.wantSecureFlag {
				t.Errorf("cookie %q: want HttpOnly, SameSite=Strict, Path=/, Secure %v", a.header.Get("Set-Cookie"), tt.wantSecureFlag)
			}
			if c.MaxAge != 12*3600 {
				t.Errorf("cookie Max-Age = %d, want the session's 43200", c.MaxAge)
			}
			if len(c.Value) < 40 {
				t.Errorf("cookie value %q is short", c.Value)
			}
			var ans sessionAnswer
			if err := json.Unmarshal(a.body, &ans); err != nil {
				t.Fatal(err)
			}
			if !ans.Authenticated || ans.User != "amal" || ans.Role != "planner" || ans.Scope != "IQ" || ans.Via != "session" || len(ans.CSRF) < 20 {
				t.Errorf("login answer = %+v", ans)
			}
			if cc := a.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
				t.Errorf("login Cache-Control = %q, want no-store", cc)
			}
			code, p := f.whoami("/api/v1/facilities", hdr("Cookie", CookieName+"="+c.Value))
			want := Principal{Name: "amal", Role: users.Planner, Scope: "IQ", Via: "session"}
			if code != http.StatusOK || p != want {
				t.Errorf("GET with the cookie: %d %+v, want %+v", code, p, want)
			}
		})
	}
}

func TestLoginRefused(t *testing.T) {
	f := newFixture(t, defaultOptions(), false)
	tests := []struct {
		desc    string
		body    string
		header  http.Header
		code    int
		wantErr string
	}{
		{"wrong password", loginBody("amal", "planner password 2"), nil, http.StatusUnauthorized, "wrong user name or password"},
		{"unknown user", loginBody("zaid", "planner password 1"), nil, http.StatusUnauthorized, "wrong user name or password"},
		{"another user's password", loginBody("amal", passwords["root"]), nil, http.StatusUnauthorized, "wrong user name or password"},
		{"a token as password", loginBody("basra-script", f.token), nil, http.StatusUnauthorized, "wrong user name or password"},
		{"empty body", "", nil, http.StatusBadRequest, "body"},
		{"not JSON", "user=amal&password=x", nil, http.StatusBadRequest, "body"},
		{"no password", `{"user":"amal"}`, nil, http.StatusBadRequest, "body"},
		{"no user", `{"password":"planner password 1"}`, nil, http.StatusBadRequest, "body"},
		{"unknown field", `{"user":"amal","password":"planner password 1","remember":true}`, nil, http.StatusBadRequest, "body"},
		{"foreign Origin", loginBody("amal", passwords["amal"]), hdr("Origin", "https://evil.example"), http.StatusForbidden, "Origin"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			a := f.do(http.MethodPost, "/api/v1/login", tt.body, tt.header)
			if a.code != tt.code || !strings.Contains(a.errorText(), tt.wantErr) {
				t.Errorf("login: %d %s, want %d with %q", a.code, a.body, tt.code, tt.wantErr)
			}
			if sc := a.header.Get("Set-Cookie"); sc != "" {
				t.Errorf("a refused sign-in set a cookie: %s", sc)
			}
		})
	}
	if n := f.g.sessions.count(); n != 0 {
		t.Errorf("refused sign-ins left %d sessions", n)
	}
	// A same-site Origin is fine.
	if a := f.do(http.MethodPost, "/api/v1/login", loginBody("amal", passwords["amal"]), hdr("Origin", f.srv.URL)); a.code != http.StatusOK {
		t.Errorf("login with this site's Origin: %d %s", a.code, a.body)
	}
}

func TestThrottleUser(t *testing.T) {
	f := newFixture(t, defaultOptions(), false)
	for range 5 {
		f.expectLogin("amal", "wrong password!", http.StatusUnauthorized)
	}
	// Now even the right password waits, and so does the name in another case.
	for _, name := range []string{"amal", "AMAL"} {
		a := f.expectLogin(name, passwords["amal"], http.StatusTooManyRequests)
		if ra := a.header.Get("Retry-After"); ra != "900" {
			t.Errorf("Retry-After = %q, want 900 (seconds left of the 15 min window)", ra)
		}
		if !strings.Contains(a.errorText(), "too many failed sign-ins") {
			t.Errorf("429 body %s", a.body)
		}
	}
	// Another user from the same address is not held back.
	f.login("omar")

	f.clock.add(10 * time.Minute)
	if a := f.expectLogin("amal", passwords["amal"], http.StatusTooManyRequests); a.header.Get("Retry-After") != "300" {
		t.Errorf("Retry-After after 10 min = %q, want 300", a.header.Get("Retry-After"))
	}
	f.clock.add(5*time.Minute + time.Second)
	f.expectLogin("amal", passwords["amal"], http.StatusOK)
}

func TestThrottleClient(t *testing.T) {
	f := newFixture(t, defaultOptions(), false)
	for range 5 {
		f.expectLogin("amal", "wrong password!", http.StatusUnauthorized)
	}
	f.expectLogin("amal", "wrong password!", http.StatusTooManyRequests)
	// The address may fail 4 × 5 = 20 times: 15 more, by other names.
	for _, u := range []struct {
		name  string
		fails int
	}{{"omar", 4}, {"fatima", 4}, {"root", 4}, {"nobody-at-all", 3}} {
		for range u.fails {
			f.expectLogin(u.name, "wrong password!", http.StatusUnauthorized)
		}
	}
	// 20 failures: the address waits, whoever it names.
	a := f.expectLogin("root", passwords["root"], http.StatusTooManyRequests)
	if ra := a.header.Get("Retry-After"); ra != "900" {
		t.Errorf("Retry-After = %q, want 900", ra)
	}
	f.clock.add(15*time.Minute + time.Second)
	f.login("root")
}

func TestThrottleBehindProxy(t *testing.T) {
	tests := []struct {
		desc    string
		trusted []netip.Prefix
		// whether failures from one forwarded address hold back another
		shared bool
	}{
		{"trusted proxy: by forwarded address", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}, false},
		{"untrusted peer: X-Forwarded-For ignored", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			opts := defaultOptions()
			// One failure per name, four per address.
			opts.LoginAttempts = 1
			opts.ProxyHeader, opts.ProxyTrusted = "X-Remote-User", tt.trusted
			f := newFixture(t, opts, false)
			from := func(addr, name, password string) int {
				return f.do(http.MethodPost, "/api/v1/login", loginBody(name, password), hdr("X-Forwarded-For", "203.0.113.9, "+addr)).code
			}
			for i, name := range []string{"omar", "fatima", "root", "nobody"} {
				if code := from("198.51.100.1", name, "wrong password!"); code != http.StatusUnauthorized {
					t.Fatalf("failure %d: %d", i+1, code)
				}
			}
			want := http.StatusOK
			if tt.shared {
				want = http.StatusTooManyRequests
			}
			if code := from("198.51.100.2", "amal", passwords["amal"]); code != want {
				t.Errorf("sign-in from another forwarded address: %d, want %d", code, want)
			}
		})
	}
}

func TestThrottleResetBySuccess(t *testing.T) {
	f := newFixture(t, defaultOptions(), false)
	for range 4 {
		f.expectLogin("amal", "wrong password!", http.StatusUnauthorized)
	}
	f.login("amal")
	// The count starts again: five more tries before the wait.
	for range 5 {
		f.expectLogin("amal", "wrong password!", http.StatusUnauthorized)
	}
	f.expectLogin("amal", passwords["amal"], http.StatusTooManyRequests)
}

// BenchmarkLogin measures POST /api/v1/login end to end, bcrypt included:
// the target is at most 100 ms per sign-in.
func BenchmarkLogin(b *testing.B) {
	f := newFixture(b, defaultOptions(), false)
	body := loginBody("amal", passwords["amal"])
	for b.Loop() {
		if a := f.do(http.MethodPost, "/api/v1/login", body, nil); a.code != http.StatusOK {
			b.Fatalf("login: %d %s", a.code, a.body)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/login")
}
