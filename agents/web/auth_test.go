package web

import (
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

const password = "s3cret-pass"

// login posts the login form with pw and returns the answer.
func login(t testing.TB, h http.Handler, pw string) *http.Response {
	t.Helper()
	form := url.Values{"password": {pw}}.Encode()
	return do(t, h, http.MethodPost, "/login", form, "Content-Type: application/x-www-form-urlencoded").Result()
}

// sessionCookie logs in with the right password and returns the cookie.
func sessionCookie(t testing.TB, h http.Handler) *http.Cookie {
	t.Helper()
	for _, c := range login(t, h, password).Cookies() {
		if c.Name == CookieName {
			return c
		}
	}
	t.Fatal("login set no session cookie")
	return nil
}

func basic(user, pw string) string {
	return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))
}

func TestLogin(t *testing.T) {
	tests := []struct {
		name       string
		password   string // configured
		form       string
		code       int
		wantCookie bool
		contains   string
	}{
		{name: "right password", password: password, form: "password=" + password, code: http.StatusSeeOther, wantCookie: true},
		{name: "wrong password", password: password, form: "password=s3cret-pas", code: http.StatusUnauthorized, contains: `id="login-error"`},
		{name: "no password field", password: password, form: "pass=" + password, code: http.StatusUnauthorized, contains: `id="login-form"`},
		{name: "password twice, the first wrong", password: password, form: "password=x&password=" + password, code: http.StatusUnauthorized},
		{name: "bad form encoding", password: password, form: "password=%zz", code: http.StatusBadRequest},
		{name: "form too large", password: password, form: "password=" + strings.Repeat("x", 5000), code: http.StatusBadRequest},
		{name: "no password configured", form: "password=anything", code: http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(t, &fakeAgent{}, tt.password)
			rec := do(t, h, http.MethodPost, "/login", tt.form, "Content-Type: application/x-www-form-urlencoded")
			if rec.Code != tt.code || !strings.Contains(rec.Body.String(), tt.contains) {
				t.Fatalf("got %d %s, want %d containing %q", rec.Code, rec.Body, tt.code, tt.contains)
			}
			var cookie *http.Cookie
			for _, c := range rec.Result().Cookies() {
				if c.Name == CookieName {
					cookie = c
				}
			}
			if (cookie != nil) != tt.wantCookie {
				t.Fatalf("session cookie %v, want one: %v", cookie, tt.wantCookie)
			}
			if cookie == nil {
				return
			}
			if !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/" ||
				cookie.MaxAge != int(SessionTTL/time.Second) || len(cookie.Value) < 26 {
				t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/, 12 h, a long token", cookie)
			}
			if loc := rec.Header().Get("Location"); loc != "/" {
				t.Errorf("redirect to %q, want /", loc)
			}
		})
	}
}

func TestAccess(t *testing.T) {
	h := newHandler(t, &fakeAgent{}, password)
	cookie := "Cookie: " + CookieName + "=" + sessionCookie(t, h).Value
	entry := `{"category":"sharps","treatment":"autoclave","mass_kg":1}`

	tests := []struct {
		name   string
		header string
		ok     bool
	}{
		{"nothing", "", false},
		{"session cookie", cookie, true},
		{"made-up cookie", "Cookie: " + CookieName + "=AAAAAAAAAAAAAAAAAAAAAAAAAA", false},
		{"basic", basic("staff", password), true},
		{"basic without a user name", basic("", password), true},
		{"basic, wrong password", basic("staff", "s3cret-pas"), false},
		{"bearer", "Authorization: Bearer " + password, true},
		{"bearer, lower case", "Authorization: bearer " + password, true},
		{"bearer, wrong password", "Authorization: Bearer " + password + "x", false},
		{"bearer, empty", "Authorization: Bearer ", false},
		{"other scheme", "Authorization: Token " + password, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hs []string
			if tt.header != "" {
				hs = append(hs, tt.header)
			}
			rec := post(t, h, entry, hs...)
			if want := map[bool]int{true: http.StatusCreated, false: http.StatusUnauthorized}[tt.ok]; rec.Code != want {
				t.Errorf("POST /api/v1/waste: %d %s, want %d", rec.Code, rec.Body, want)
			}
			if !tt.ok && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer ") {
				t.Errorf("401 without a Bearer challenge: %v", rec.Header())
			}
			rec = do(t, h, http.MethodGet, "/api/v1/waste/recent", "", hs...)
			if want := map[bool]int{true: http.StatusOK, false: http.StatusUnauthorized}[tt.ok]; rec.Code != want {
				t.Errorf("GET /api/v1/waste/recent: %d, want %d", rec.Code, want)
			}
			page := do(t, h, http.MethodGet, "/", "", hs...).Body.String()
			if got := strings.Contains(page, `id="waste-form"`); got != tt.ok {
				t.Errorf("GET / shows the waste form: %v, want %v", got, tt.ok)
			}
			if got := strings.Contains(page, `id="login-form"`); got == tt.ok {
				t.Errorf("GET / shows the login form: %v, want %v", got, !tt.ok)
			}
			for _, open := range []string{"/metrics", "/healthz"} {
				if rec := do(t, h, http.MethodGet, open, "", hs...); rec.Code != http.StatusOK {
					t.Errorf("GET %s: %d, want 200 whatever the credentials", open, rec.Code)
				}
			}
		})
	}
}

func TestNoPasswordIsOpenAndSaysSo(t *testing.T) {
	h := newHandler(t, &fakeAgent{}, "")
	if rec := post(t, h, `{"category":"sharps","treatment":"autoclave","mass_kg":1}`); rec.Code != http.StatusCreated {
		t.Errorf("POST without a password configured: %d", rec.Code)
	}
	page := do(t, h, http.MethodGet, "/", "").Body.String()
	for _, want := range []string{`id="waste-form"`, `id="unprotected"`, "has no password"} {
		if !strings.Contains(page, want) {
			t.Errorf("page without a password lacks %s", want)
		}
	}
	if strings.Contains(page, `id="logout"`) {
		t.Error("page without a password offers to log out")
	}
	protected := do(t, newHandler(t, &fakeAgent{}, password), http.MethodGet, "/", "", basic("", password)).Body.String()
	if strings.Contains(protected, `id="unprotected"`) || !strings.Contains(protected, `id="logout"`) {
		t.Error("page with a password says it is unprotected, or offers no logout")
	}
}

func TestSessionExpiresAndLogout(t *testing.T) {
	var mu sync.Mutex
	clock := now
	h := Handler(&fakeAgent{}, Options{
		Facility: "BG-H-001", Waste: &fakeAgent{}, Password: password, SessionTTL: time.Hour,
		Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler),
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return clock },
	})
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	recent := func(cookie *http.Cookie) int {
		t.Helper()
		return do(t, h, http.MethodGet, "/api/v1/waste/recent", "", "Cookie: "+CookieName+"="+cookie.Value).Code
	}

	first := sessionCookie(t, h)
	if first.MaxAge != 3600 {
		t.Errorf("cookie max age %d, want 3600", first.MaxAge)
	}
	advance(59 * time.Minute)
	second := sessionCookie(t, h)
	if first.Value == second.Value {
		t.Fatal("two logins got the same token")
	}
	if recent(first) != http.StatusOK {
		t.Fatal("session refused before its expiry")
	}
	advance(time.Minute)
	if code := recent(first); code != http.StatusUnauthorized {
		t.Fatalf("expired session: %d, want 401", code)
	}
	if recent(second) != http.StatusOK {
		t.Fatal("the younger session expired with the older one")
	}
	rec := do(t, h, http.MethodPost, "/logout", "", "Cookie: "+CookieName+"="+second.Value)
	if rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("logout: %d %v", rec.Code, rec.Header())
	}
	if code := recent(second); code != http.StatusUnauthorized {
		t.Fatalf("session after logout: %d, want 401", code)
	}
}

// TestManySessionsStayBounded checks that logins past maxSessions forget
// the sessions closest to expiry, and expired ones first.
func TestManySessionsStayBounded(t *testing.T) {
	clock := now
	a := newAuth(Options{Password: password, SessionTTL: time.Hour, Now: func() time.Time { return clock }})
	var tokens []string
	for range maxSessions + 10 {
		token, _ := a.start()
		tokens = append(tokens, token)
		clock = clock.Add(time.Second)
	}
	if n := len(a.sessions); n != maxSessions {
		t.Errorf("%d sessions kept, want %d", n, maxSessions)
	}
	for i, token := range tokens {
		if want := i >= 10; a.valid(token) != want {
			t.Errorf("session %d valid: %v, want %v", i, !want, want)
		}
	}
	clock = clock.Add(time.Hour)
	a.start()
	if n := len(a.sessions); n != 1 {
		t.Errorf("%d sessions after all others expired, want 1", n)
	}
}

// TestWrongPasswordIsSlow checks that a wrong password is answered only
// after the delay, and a right one at once.
func TestWrongPasswordIsSlow(t *testing.T) {
	const delay = 100 * time.Millisecond
	h := Handler(&fakeAgent{}, Options{Facility: "BG-H-001", Password: password, WrongPasswordDelay: delay,
		Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)})
	tests := []struct {
		name string
		send func() int
		slow bool
	}{
		{"wrong form", func() int { return login(t, h, "nope").StatusCode }, true},
		{"wrong bearer", func() int {
			return do(t, h, http.MethodGet, "/api/v1/waste/recent", "", "Authorization: Bearer nope").Code
		}, true},
		{"right form", func() int { return login(t, h, password).StatusCode }, false},
		{"no credentials", func() int { return do(t, h, http.MethodGet, "/api/v1/waste/recent", "").Code }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			tt.send()
			took := time.Since(start)
			if tt.slow && took < delay {
				t.Errorf("answered after %v, want at least %v", took, delay)
			}
			if !tt.slow && took >= delay {
				t.Errorf("answered after %v, want no delay", took)
			}
		})
	}
}

// FuzzLogin posts arbitrary form bodies to /login: it must never panic, and
// start a session only for a body whose password field is the password.
func FuzzLogin(f *testing.F) {
	for _, s := range []string{
		"password=" + password, "password=", "password=s3cret-pass&password=x", "password=%73%33cret-pass",
		"password=%zz", "=&&=", "password=s3cret+pass", strings.Repeat("a=b&", 100),
	} {
		f.Add(s)
	}
	h := newHandler(f, &fakeAgent{}, password)
	f.Fuzz(func(t *testing.T, body string) {
		rec := do(t, h, http.MethodPost, "/login", body, "Content-Type: application/x-www-form-urlencoded")
		var cookie bool
		for _, c := range rec.Result().Cookies() {
			cookie = cookie || c.Name == CookieName && c.Value != ""
		}
		vals, err := url.ParseQuery(body)
		right := err == nil && len(body) <= 4<<10 && vals.Get("password") == password
		if cookie != right || (rec.Code == http.StatusSeeOther) != right {
			t.Fatalf("body %q: %d, cookie %v; want a session only for the right password", body, rec.Code, cookie)
		}
	})
}
