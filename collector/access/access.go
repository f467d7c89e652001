// Package access decides who may read the collector's dashboard and API
// and what they see: users who sign in (a session cookie), read-only API
// tokens and the admin token (Authorization: Bearer), an authenticating
// reverse proxy's header, and — by mode — the public or anyone at all.
//
// Guard.Wrap recognises the principal of every request and hands the API
// a View of it (ViewOf); the API narrows its answers by the view. Guard's
// own routes are POST /api/v1/login, POST /api/v1/logout and
// GET /api/v1/session.
//
//	request → Wrap: Bearer token? proxy header? session cookie? mode?
//	        → 401 for a guarded path nobody may read, 403 for a POST
//	          without its CSRF header → the API with ViewOf(ctx)
package access

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/users"
	"github.com/greenpulse-health/greenpulse/registry"
)

// Modes, as the collector's access.mode.
const (
	ModeUsers  = "users"
	ModePublic = "public"
	ModeOpen   = "open"
)

// CookieName is the session cookie's name.
const CookieName = "greenpulse_session"

// CSRFHeader carries the session's CSRF token on every POST a browser
// sends with the session cookie.
const CSRFHeader = "X-CSRF-Token"

// Options configure a Guard.
type Options struct {
	Mode          string
	UsersFile     string
	SessionTTL    time.Duration
	SecureCookies bool
	// LoginAttempts failures of one user name within LoginWindow make it
	// wait; one client address may fail four times as often, since many
	// people may sign in from behind one office address.
	LoginAttempts int
	LoginWindow   time.Duration
	ProxyHeader   string
	ProxyTrusted  []netip.Prefix
	AdminToken    string
	// Country is the national area code (the roll-up's), IQ.
	Country string
}

// Guard authenticates requests. Safe for concurrent use.
type Guard struct {
	opts     Options
	places   *places
	users    *userFile
	sessions *sessions
	throttle *throttle
	// bcrypt is a semaphore: sign-ins hash one per core at most, so that
	// a burst of them cannot take the machine from ingest.
	bcrypt  chan struct{}
	csrfKey []byte
	metrics *Metrics
	log     *slog.Logger
	now     func() time.Time
}

// New builds a Guard over the registry's areas and reads the users file.
func New(opts Options, reg *registry.Registry, m *Metrics, log *slog.Logger) (*Guard, error) {
	uf, err := openUserFile(opts.UsersFile, log)
	if err != nil {
		return nil, err
	}
	key, err := randomString("proxy users' CSRF key", 32)
	if err != nil {
		return nil, err
	}
	// At least one try: a zero limit would lock everyone out (Validate
	// refuses it; a caller that skips the config gets one).
	opts.LoginAttempts = max(opts.LoginAttempts, 1)
	g := &Guard{opts: opts, places: newPlaces(reg, opts.Country), users: uf, sessions: newSessions(10_000),
		throttle: newThrottle(opts.LoginWindow, 50_000), bcrypt: make(chan struct{}, runtime.GOMAXPROCS(0)),
		csrfKey: []byte(key), metrics: m, log: log, now: time.Now}
	if opts.Mode != ModeOpen && len(uf.current(time.Now()).Users) == 0 && opts.ProxyHeader == "" {
		log.Warn("no users yet: nobody can sign in to the dashboard; add one with greenpulse-collector user add",
			"users_file", opts.UsersFile, "mode", opts.Mode)
	}
	return g, nil
}

type viewKey struct{}

// ViewOf answers the view Wrap put in ctx; outside Wrap, nobody's.
func ViewOf(ctx context.Context) *View {
	if v, ok := ctx.Value(viewKey{}).(*View); ok {
		return v
	}
	return &View{places: &places{}}
}

// Register mounts the sign-in routes.
func (g *Guard) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/login", g.login)
	mux.HandleFunc("POST /api/v1/logout", g.logout)
	mux.HandleFunc("GET /api/v1/session", g.session)
}

// openPath says whether path answers anyone: signing in, and the
// indicator catalog, which holds definitions, no figures.
func openPath(path string) bool {
	switch path {
	case "/api/v1/login", "/api/v1/logout", "/api/v1/session", "/api/v1/catalog":
		return true
	}
	return false
}

// publicPath says whether path answers public visitors; the API narrows
// them to national and governorate aggregates (for a mass gathering: the
// whole event and its governorates).
func publicPath(path string) bool {
	return path == "/api/v1/indicators" || path == "/api/v1/areas" || path == "/api/v1/surge"
}

// Wrap recognises each request's principal and puts its View in the
// request's context, refusing what nobody of that kind may reach.
func (g *Guard) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		guarded := strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/debug/pprof")
		p, ses, err := g.recognise(r)
		if err != nil {
			if guarded {
				g.deny(w, http.StatusUnauthorized, err)
				return
			}
			// The dashboard's files and the health routes answer anyone;
			// a stale credential must not break them.
			p, ses = Principal{}, session{}
		}
		if guarded {
			// Answers differ by who asks: no cache may hand one person's
			// to another.
			w.Header().Set("Cache-Control", "private, no-store")
			w.Header().Add("Vary", "Cookie, Authorization")
		}
		switch {
		case !guarded || openPath(path):
		case p.Via == "":
			g.deny(w, http.StatusUnauthorized, errors.New("sign in required (POST /api/v1/login), or Authorization: Bearer <token>"))
			return
		case p.Role == RolePublic && !publicPath(path):
			g.deny(w, http.StatusUnauthorized, errors.New("sign in required: public access shows national and governorate figures only"))
			return
		case strings.HasPrefix(path, "/debug/pprof") && p.Role != users.Admin && p.Role != RoleOpen:
			g.deny(w, http.StatusForbidden, errors.New("the profiler is for admins"))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && (p.Via == "session" || p.Via == "proxy") && !openPath(path) {
			if err := g.checkCSRF(r, p, ses); err != nil {
				g.deny(w, http.StatusForbidden, err)
				return
			}
		}
		view := newView(p, g.places, g.opts.Mode == ModePublic)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), viewKey{}, view)))
	})
}

// recognise answers the principal of r and, for a session, the session.
// A credential that is presented and wrong is an error, not anonymity:
// a script with a revoked token should hear so.
func (g *Guard) recognise(r *http.Request) (Principal, session, error) {
	now := g.now()
	file := g.users.current(now)
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, secret, _ := strings.Cut(auth, " ")
		if !strings.EqualFold(scheme, "Bearer") || secret == "" {
			return Principal{}, session{}, errors.New("Authorization: want Bearer <token>")
		}
		if g.opts.AdminToken != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(g.opts.AdminToken)) == 1 {
			return Principal{Name: "admin-token", Role: users.Admin, Scope: users.National, Via: "admin-token"}, session{}, nil
		}
		if t, ok := file.MatchToken(secret); ok {
			return Principal{Name: t.Name, Role: RoleToken, Scope: t.Scope, Via: "token"}, session{}, nil
		}
		return Principal{}, session{}, errors.New("Authorization: Bearer token unknown or revoked")
	}
	if g.opts.ProxyHeader != "" && g.fromProxy(r) {
		if name := strings.TrimSpace(r.Header.Get(g.opts.ProxyHeader)); name != "" {
			u, ok := file.User(name)
			if !ok {
				return Principal{}, session{}, fmt.Errorf("%s: %q has no GreenPulse account (greenpulse-collector user add)", g.opts.ProxyHeader, name)
			}
			return Principal{Name: u.Name, Role: u.Role, Scope: u.Scope, Via: "proxy"}, session{}, nil
		}
	}
	if c, err := r.Cookie(CookieName); err == nil && c.Value != "" {
		if ses, ok := g.sessions.get(c.Value, now); ok {
			if u, ok := file.User(ses.user); ok && u.Hash == ses.hash {
				return Principal{Name: u.Name, Role: u.Role, Scope: u.Scope, Via: "session"}, ses, nil
			}
			g.sessions.end(c.Value) // the password changed or the user went
		}
	}
	switch g.opts.Mode {
	case ModeOpen:
		return Principal{Name: "open", Role: RoleOpen, Scope: users.National, Via: "open"}, session{}, nil
	case ModePublic:
		return Principal{Role: RolePublic, Via: "public"}, session{}, nil
	}
	return Principal{}, session{}, nil
}

// fromProxy says whether r came from a trusted proxy's address.
func (g *Guard) fromProxy(r *http.Request) bool {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	addr := ap.Addr().Unmap()
	for _, p := range g.opts.ProxyTrusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// client is the address a sign-in is throttled by: the peer, or behind a
// trusted proxy the last address it added to X-Forwarded-For.
func (g *Guard) client(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if g.fromProxy(r) {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			if last := strings.TrimSpace(parts[len(parts)-1]); last != "" {
				return last
			}
		}
	}
	return host
}

// csrfOf is the CSRF token of a principal: a session's own, or for a
// proxy's user one derived from its name, since the proxy's cookie is as
// ambient as ours.
func (g *Guard) csrfOf(p Principal, ses session) string {
	if p.Via == "session" {
		return ses.csrf
	}
	if p.Via == "proxy" {
		m := hmac.New(sha256.New, g.csrfKey)
		m.Write([]byte("proxy\x00" + p.Name))
		return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	return ""
}

// checkCSRF refuses a browser's POST from another site: it must carry the
// CSRF token, and its Origin, when sent, must be this host.
func (g *Guard) checkCSRF(r *http.Request, p Principal, ses session) error {
	if err := g.sameOrigin(r); err != nil {
		return err
	}
	want := g.csrfOf(p, ses)
	if got := r.Header.Get(CSRFHeader); got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return fmt.Errorf("%s header required: send the csrf value of GET /api/v1/session with every POST", CSRFHeader)
	}
	return nil
}

// sameOrigin refuses a request whose Origin is another site. The site is
// the Host the browser asked for: behind a trusted proxy that rewrites
// Host, the X-Forwarded-Host it passes on.
func (g *Guard) sameOrigin(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	host := r.Host
	if fwd := r.Header.Get("X-Forwarded-Host"); fwd != "" && g.fromProxy(r) {
		host = strings.TrimSpace(strings.Split(fwd, ",")[0])
	}
	u, err := url.Parse(origin)
	if err != nil || !strings.EqualFold(u.Host, host) {
		return fmt.Errorf("Origin %q is not this site (%s)", origin, host)
	}
	return nil
}

func (g *Guard) deny(w http.ResponseWriter, code int, err error) {
	g.metrics.denied(code)
	if code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="greenpulse"`)
	}
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
