package access

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/collector/users"
)

// Metrics count sign-ins and refusals. Safe for concurrent use.
type Metrics struct {
	logins   *prometheus.CounterVec
	deniedBy *prometheus.CounterVec
}

// NewMetrics registers the access metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenpulse_collector_access_logins_total",
			Help: "Sign-ins by result: ok, wrong (user name or password), throttled (too many failures).",
		}, []string{"result"}),
		deniedBy: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenpulse_collector_access_denied_total",
			Help: "Requests refused before the API: 401 (nobody recognised) or 403 (not allowed, or a POST without its CSRF token).",
		}, []string{"status"}),
	}
	for _, r := range []string{"ok", "wrong", "throttled"} {
		m.logins.WithLabelValues(r)
	}
	reg.MustRegister(m.logins, m.deniedBy)
	return m
}

func (m *Metrics) login(result string) {
	if m != nil {
		m.logins.WithLabelValues(result).Inc()
	}
}

func (m *Metrics) denied(code int) {
	if m != nil {
		m.deniedBy.WithLabelValues(strconv.Itoa(code)).Inc()
	}
}

type loginRequest struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// sessionAnswer is GET /api/v1/session's body, and a sign-in's.
type sessionAnswer struct {
	Mode          string          `json:"mode"`
	Authenticated bool            `json:"authenticated"`
	User          string          `json:"user"`
	Role          string          `json:"role"`
	Scope         string          `json:"scope"`
	Via           string          `json:"via"`
	CSRF          string          `json:"csrf"`
	Can           map[string]bool `json:"can"`
}

func (g *Guard) answer(p Principal, ses session) sessionAnswer {
	v := newView(p, g.places, g.opts.Mode == ModePublic)
	return sessionAnswer{Mode: g.opts.Mode, Authenticated: p.Authenticated(), User: p.Name, Role: string(p.Role),
		Scope: v.Scope(), Via: p.Via, CSRF: g.csrfOf(p, ses),
		Can: map[string]bool{
			ReadFacilities: v.May(ReadFacilities), ReadAlerts: v.May(ReadAlerts), Acknowledge: v.May(Acknowledge),
			RunRollup: v.May(RunRollup), ReadDHIS2: v.May(ReadDHIS2),
		}}
}

// maxLoginBody bounds a sign-in's body: a name and a password.
const maxLoginBody = 4 << 10

// parseLogin reads a sign-in's body: one JSON object with a user name and
// a password, nothing else.
func parseLogin(body io.Reader) (loginRequest, error) {
	var req loginRequest
	dec := json.NewDecoder(io.LimitReader(body, maxLoginBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || strings.TrimSpace(req.User) == "" || req.Password == "" {
		return loginRequest{}, errors.New(`body: want a JSON object {"user": "…", "password": "…"}`)
	}
	req.User = strings.TrimSpace(req.User)
	return req, nil
}

func (g *Guard) login(w http.ResponseWriter, r *http.Request) {
	if err := g.sameOrigin(r); err != nil {
		g.deny(w, http.StatusForbidden, err)
		return
	}
	// A form on another site can post text that parses as JSON, but
	// only as text/plain or a form type: a browser sends JSON only after
	// asking first (CORS preflight), and always names the type.
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": fmt.Sprintf("Content-Type %q: want application/json", ct)})
		return
	}
	req, err := parseLogin(r.Body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	now := g.now()
	userKey, clientKey := "user\x00"+strings.ToLower(req.User), "client\x00"+g.client(r)
	// The try counts as a failure from here until it succeeds.
	if wait := g.throttle.take(now, limited{userKey, g.opts.LoginAttempts}, limited{clientKey, 4 * g.opts.LoginAttempts}); wait > 0 {
		g.metrics.login("throttled")
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "too many failed sign-ins: try again in " + strconv.Itoa(secs) + " s"})
		return
	}
	var u users.User
	var ok bool
	select {
	case g.bcrypt <- struct{}{}:
		u, ok = g.users.current(now).Verify(req.User, req.Password)
		<-g.bcrypt
	case <-r.Context().Done():
		return
	}
	if !ok {
		g.metrics.login("wrong")
		// The name may be a password typed in the wrong box: log neither.
		g.log.Info("sign-in refused", "client", g.client(r))
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "wrong user name or password"})
		return
	}
	g.throttle.reset(userKey)
	g.throttle.forgive(clientKey, now)
	// A new sign-in in this browser ends the one it had, so that no
	// session outlives its cookie being replaced.
	if c, err := r.Cookie(CookieName); err == nil {
		g.sessions.end(c.Value)
	}
	id, ses, err := g.sessions.start(u.Name, u.Hash, g.opts.SessionTTL, g.now())
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	g.metrics.login("ok")
	g.log.Info("signed in", "user", u.Name, "role", u.Role)
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil || g.opts.SecureCookies, MaxAge: int(g.opts.SessionTTL.Seconds())})
	writeJSON(w, http.StatusOK, g.answer(Principal{Name: u.Name, Role: u.Role, Scope: u.Scope, Via: "session"}, ses))
}

func (g *Guard) logout(w http.ResponseWriter, r *http.Request) {
	if err := g.sameOrigin(r); err != nil {
		g.deny(w, http.StatusForbidden, err)
		return
	}
	if c, err := r.Cookie(CookieName); err == nil {
		g.sessions.end(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil || g.opts.SecureCookies, MaxAge: -1})
	w.WriteHeader(http.StatusNoContent)
}

func (g *Guard) session(w http.ResponseWriter, r *http.Request) {
	p, ses, err := g.recognise(r)
	if err != nil {
		g.deny(w, http.StatusUnauthorized, err)
		return
	}
	writeJSON(w, http.StatusOK, g.answer(p, ses))
}
