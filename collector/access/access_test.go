package access

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/users"
)

// The test users: one of every role, and a token of Basra.
var passwords = map[string]string{
	"amal":   "planner password 1",
	"root":   "admin password 12",
	"omar":   "officer password 1",
	"fatima": "facility password 1",
}

const adminToken = "admin-secret-token-for-tests"

type testFile struct {
	data  []byte
	token string // basra-script's secret, scope IQ-BA
}

// baseUsers is the users file every fixture starts from, hashed once.
var baseUsers = sync.OnceValues(func() (testFile, error) {
	now := time.Now()
	f := &users.File{}
	for _, u := range []struct {
		name  string
		role  users.Role
		scope string
	}{{"amal", users.Planner, ""}, {"root", users.Admin, ""}, {"omar", users.Officer, "IQ-BG"}, {"fatima", users.Facility, "BG-H-001"}} {
		if err := f.AddUser(u.name, u.role, u.scope, passwords[u.name], now); err != nil {
			return testFile{}, err
		}
	}
	token, err := f.AddToken("basra-script", "IQ-BA", now)
	if err != nil {
		return testFile{}, err
	}
	data, err := json.MarshalIndent(f, "", "  ")
	return testFile{data: data, token: token}, err
})

// clock is the Guard's time in tests, moved by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a Guard in front of a handler that answers the principal of
// its view as JSON, and refuses POST /api/v1/rollup to those the view
// does not let run it, as the API does.
type fixture struct {
	t     testing.TB
	g     *Guard
	clock *clock
	srv   *httptest.Server
	path  string
	token string
}

func defaultOptions() Options {
	return Options{Mode: ModeUsers, SessionTTL: 12 * time.Hour, LoginAttempts: 5, LoginWindow: 15 * time.Minute,
		AdminToken: adminToken, Country: "IQ"}
}

func newFixture(t testing.TB, opts Options, tls bool) *fixture {
	t.Helper()
	base, err := baseUsers()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "users.json")
	if err := os.WriteFile(path, base.data, 0o600); err != nil {
		t.Fatal(err)
	}
	opts.UsersFile = path
	g, err := New(opts, loadRegistry(t), nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Now()}
	g.now = c.now
	mux := http.NewServeMux()
	g.Register(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		v := ViewOf(r.Context())
		if r.Method == http.MethodPost && r.URL.Path == "/api/v1/rollup" && !v.May(RunRollup) {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "roll-ups are for admins"})
			return
		}
		writeJSON(w, http.StatusOK, v.Principal())
	})
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(g.Wrap(mux))
	} else {
		srv = httptest.NewServer(g.Wrap(mux))
	}
	t.Cleanup(srv.Close)
	return &fixture{t: t, g: g, clock: c, srv: srv, path: path, token: base.token}
}

type answer struct {
	code   int
	header http.Header
	body   []byte
	resp   *http.Response
}

func (a answer) errorText() string {
	var e struct{ Error string }
	_ = json.Unmarshal(a.body, &e)
	return e.Error
}

// hdr makes a header of key, value pairs.
func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func (f *fixture) do(method, path, body string, h http.Header) answer {
	f.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, r)
	if err != nil {
		f.t.Fatal(err)
	}
	for k, vs := range h {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return answer{code: resp.StatusCode, header: resp.Header, body: data, resp: resp}
}

func loginBody(name, password string) string {
	b, _ := json.Marshal(map[string]string{"user": name, "password": password})
	return string(b)
}

func (f *fixture) tryLogin(name, password string) answer {
	f.t.Helper()
	return f.do(http.MethodPost, "/api/v1/login", loginBody(name, password), nil)
}

func (f *fixture) expectLogin(name, password string, code int) answer {
	f.t.Helper()
	a := f.tryLogin(name, password)
	if a.code != code {
		f.t.Fatalf("login %s: %d %s, want %d", name, a.code, a.body, code)
	}
	return a
}

// signedIn is a browser's session: its cookie header and CSRF token.
type signedIn struct {
	cookie string
	csrf   string
}

// header is the session's request header, with its CSRF token if csrf.
func (s signedIn) header(csrf bool) http.Header {
	h := hdr("Cookie", s.cookie)
	if csrf {
		h.Set(CSRFHeader, s.csrf)
	}
	return h
}

func (f *fixture) login(name string) signedIn {
	f.t.Helper()
	a := f.tryLogin(name, passwords[name])
	if a.code != http.StatusOK {
		f.t.Fatalf("login %s: %d %s", name, a.code, a.body)
	}
	var ans sessionAnswer
	if err := json.Unmarshal(a.body, &ans); err != nil {
		f.t.Fatal(err)
	}
	for _, c := range a.resp.Cookies() {
		if c.Name == CookieName {
			return signedIn{cookie: CookieName + "=" + c.Value, csrf: ans.CSRF}
		}
	}
	f.t.Fatalf("login %s: no %s cookie", name, CookieName)
	return signedIn{}
}

// whoami answers the status and, on 200, the principal of a GET of path.
func (f *fixture) whoami(path string, h http.Header) (int, Principal) {
	f.t.Helper()
	a := f.do(http.MethodGet, path, "", h)
	var p Principal
	if a.code == http.StatusOK {
		if err := json.Unmarshal(a.body, &p); err != nil {
			f.t.Fatalf("GET %s: %v: %s", path, err, a.body)
		}
	}
	return a.code, p
}

// editUsers changes the users file as `greenpulse-collector user …` does.
func (f *fixture) editUsers(edit func(*users.File) error) {
	f.t.Helper()
	file, err := users.Load(f.path)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := edit(file); err != nil {
		f.t.Fatal(err)
	}
	if err := file.Save(f.path); err != nil {
		f.t.Fatal(err)
	}
}

// eventually moves the Guard's clock past the users file's once-a-second
// check until cond holds, failing after a real deadline: the file's
// modification time, which the check compares, is the real clock's.
func (f *fixture) eventually(what string, cond func() bool) {
	f.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		f.clock.add(1100 * time.Millisecond)
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("%s: not within 5 s", what)
		}
		<-tick.C
	}
}

func TestModes(t *testing.T) {
	tests := []struct {
		mode    string
		method  string
		path    string
		code    int
		wantVia string
	}{
		{ModeUsers, "GET", "/api/v1/facilities", 401, ""},
		{ModeUsers, "GET", "/api/v1/indicators", 401, ""},
		{ModeUsers, "GET", "/api/v1/areas", 401, ""},
		{ModeUsers, "GET", "/api/v1/alerts", 401, ""},
		{ModeUsers, "POST", "/api/v1/rollup", 401, ""},
		{ModeUsers, "GET", "/api/v1/catalog", 200, ""},
		{ModeUsers, "GET", "/api/v1/session", 200, ""},
		{ModeUsers, "GET", "/", 200, ""},
		{ModeUsers, "GET", "/index.html", 200, ""},
		{ModePublic, "GET", "/api/v1/indicators", 200, "public"},
		{ModePublic, "GET", "/api/v1/areas", 200, "public"},
		{ModePublic, "GET", "/api/v1/catalog", 200, "public"},
		{ModePublic, "GET", "/api/v1/session", 200, ""},
		{ModePublic, "GET", "/api/v1/facilities", 401, ""},
		{ModePublic, "GET", "/api/v1/alerts", 401, ""},
		{ModePublic, "GET", "/api/v1/waste", 401, ""},
		{ModePublic, "GET", "/api/v1/export/dhis2", 401, ""},
		{ModePublic, "GET", "/api/v1/dhis2/pushes", 401, ""},
		{ModePublic, "POST", "/api/v1/rollup", 401, ""},
		{ModePublic, "GET", "/debug/pprof/", 401, ""},
		{ModeUsers, "GET", "/debug/pprof/", 401, ""},
		{ModeOpen, "GET", "/api/v1/facilities", 200, "open"},
		{ModeOpen, "GET", "/api/v1/export/dhis2", 200, "open"},
		{ModeOpen, "GET", "/debug/pprof/", 200, "open"},
		// Operator actions still need an admin.
		{ModeOpen, "POST", "/api/v1/rollup", 403, ""},
	}
	fixtures := map[string]*fixture{}
	for _, mode := range []string{ModeUsers, ModePublic, ModeOpen} {
		opts := defaultOptions()
		opts.Mode = mode
		fixtures[mode] = newFixture(t, opts, false)
	}
	for _, tt := range tests {
		t.Run(tt.mode+" "+tt.method+" "+tt.path, func(t *testing.T) {
			a := fixtures[tt.mode].do(tt.method, tt.path, "", nil)
			if a.code != tt.code {
				t.Fatalf("%d %s, want %d", a.code, a.body, tt.code)
			}
			if a.code == http.StatusUnauthorized && (a.header.Get("WWW-Authenticate") == "" || a.errorText() == "") {
				t.Errorf("401 without WWW-Authenticate or an error: %v %s", a.header, a.body)
			}
			if tt.wantVia != "" {
				var p Principal
				if err := json.Unmarshal(a.body, &p); err != nil || p.Via != tt.wantVia {
					t.Errorf("principal %s, want via %q", a.body, tt.wantVia)
				}
			}
			guarded := strings.HasPrefix(tt.path, "/api/") || strings.HasPrefix(tt.path, "/debug/")
			if cc := a.header.Get("Cache-Control"); guarded && !strings.Contains(cc, "no-store") {
				t.Errorf("Cache-Control = %q on a guarded path", cc)
			}
		})
	}
	// The profiler is for admins, in any mode.
	f := fixtures[ModeUsers]
	if code, _ := f.whoami("/debug/pprof/", f.login("amal").header(false)); code != http.StatusForbidden {
		t.Errorf("a planner on /debug/pprof/: %d, want 403", code)
	}
	if code, _ := f.whoami("/debug/pprof/", f.login("root").header(false)); code != http.StatusOK {
		t.Errorf("an admin on /debug/pprof/: %d, want 200", code)
	}
}

func TestSessionAnswer(t *testing.T) {
	fixtures := map[string]*fixture{}
	for _, mode := range []string{ModeUsers, ModePublic, ModeOpen} {
		opts := defaultOptions()
		opts.Mode = mode
		fixtures[mode] = newFixture(t, opts, false)
	}
	f := fixtures[ModeUsers]
	type can struct{ facilities, alerts, ack, rollup, dhis2 bool }
	sessions := map[string]signedIn{}
	for name := range passwords {
		sessions[name] = f.login(name)
	}
	tests := []struct {
		desc                         string
		mode                         string
		header                       http.Header
		authenticated                bool
		user, role, scope, via, csrf string
		can                          can
	}{
		{"nobody", ModeUsers, nil, false, "", "", "", "", "", can{}},
		{"public", ModePublic, nil, false, "", "public", "public", "public", "", can{}},
		{"open", ModeOpen, nil, false, "open", "open", "IQ", "open", "", can{true, true, false, false, true}},
		{"planner", ModeUsers, sessions["amal"].header(false), true, "amal", "planner", "IQ", "session", sessions["amal"].csrf, can{true, true, false, false, true}},
		{"admin", ModeUsers, sessions["root"].header(false), true, "root", "admin", "IQ", "session", sessions["root"].csrf, can{true, true, true, true, true}},
		{"officer", ModeUsers, sessions["omar"].header(false), true, "omar", "officer", "IQ-BG", "session", sessions["omar"].csrf, can{true, true, false, false, false}},
		{"facility", ModeUsers, sessions["fatima"].header(false), true, "fatima", "facility", "BG-H-001", "session", sessions["fatima"].csrf, can{true, true, true, false, false}},
		{"token", ModeUsers, hdr("Authorization", "Bearer "+f.token), true, "basra-script", "token", "IQ-BA", "token", "", can{true, true, false, false, false}},
		{"admin token", ModeUsers, hdr("Authorization", "Bearer "+adminToken), true, "admin-token", "admin", "IQ", "admin-token", "", can{true, true, true, true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			a := fixtures[tt.mode].do(http.MethodGet, "/api/v1/session", "", tt.header)
			if a.code != http.StatusOK {
				t.Fatalf("%d %s", a.code, a.body)
			}
			var raw map[string]json.RawMessage
			if err := json.Unmarshal(a.body, &raw); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"mode", "authenticated", "user", "role", "scope", "via", "csrf", "can"} {
				if _, ok := raw[k]; !ok {
					t.Errorf("no %q in %s", k, a.body)
				}
			}
			// The keys are checked above by name; the values decode into
			// the answer's own type.
			var got sessionAnswer
			if err := json.Unmarshal(a.body, &got); err != nil {
				t.Fatal(err)
			}
			if got.Mode != tt.mode || got.Authenticated != tt.authenticated || got.User != tt.user || got.Role != tt.role ||
				got.Scope != tt.scope || got.Via != tt.via || got.CSRF != tt.csrf {
				t.Errorf("session = %s\nwant mode %s authenticated %v user %q role %q scope %q via %q csrf %q",
					a.body, tt.mode, tt.authenticated, tt.user, tt.role, tt.scope, tt.via, tt.csrf)
			}
			wantCan := map[string]bool{"facilities": tt.can.facilities, "alerts": tt.can.alerts, "ack": tt.can.ack, "rollup": tt.can.rollup, "dhis2": tt.can.dhis2}
			if len(got.Can) != len(wantCan) {
				t.Errorf("can = %v, want %v", got.Can, wantCan)
			}
			for k, w := range wantCan {
				if got.Can[k] != w {
					t.Errorf("can.%s = %v, want %v", k, got.Can[k], w)
				}
			}
		})
	}
}
