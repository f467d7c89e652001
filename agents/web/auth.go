package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// CookieName is the name of the session cookie that POST /login sets.
const CookieName = "greenpulse_session"

// maxSessions bounds the logins kept in memory; past it the one closest to
// expiry goes. A facility has a handful of phones.
const maxSessions = 256

// auth guards the waste page and API with the configured password: a
// session cookie from POST /login, or the password itself as HTTP Basic
// (any user name) or Bearer, for tools. Sessions live in memory, so a
// restarted agent asks staff to log in again. It is safe for concurrent use.
type auth struct {
	want  [sha256.Size]byte // of the password; compared in constant time
	open  bool              // no password: everything is allowed
	delay time.Duration
	ttl   time.Duration
	now   func() time.Time
	log   *slog.Logger

	// slow holds one wrong password's delay at a time, so parallel
	// guesses wait in line rather than each waiting alone.
	slow chan struct{}

	mu       sync.Mutex
	sessions map[string]time.Time // token → expiry
}

func newAuth(opt Options) *auth {
	return &auth{
		want:     sha256.Sum256([]byte(opt.Password)),
		open:     opt.Password == "",
		delay:    opt.WrongPasswordDelay,
		ttl:      opt.SessionTTL,
		now:      opt.Now,
		log:      opt.Logger,
		slow:     make(chan struct{}, 1),
		sessions: make(map[string]time.Time),
	}
}

// right compares pw with the password in constant time: both are hashed
// first, so not even the length shows.
func (a *auth) right(pw string) bool {
	got := sha256.Sum256([]byte(pw))
	return subtle.ConstantTimeCompare(got[:], a.want[:]) == 1
}

// wrong logs a wrong password and waits out the delay, in line with other
// wrong passwords, or until the client gives up.
func (a *auth) wrong(r *http.Request, how string) {
	a.log.Warn("wrong password for the waste entry page", "remote", r.RemoteAddr, "via", how)
	if a.delay > 0 {
		wait(r.Context(), a.slow, a.delay)
	}
}

// wait takes the one place in line, sleeps d and gives the place back, or
// returns early when ctx ends.
func wait(ctx context.Context, line chan struct{}, d time.Duration) {
	select {
	case line <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-line }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// allowed reports whether r may use the page and the waste API.
func (a *auth) allowed(r *http.Request) bool {
	if a.open {
		return true
	}
	if c, err := r.Cookie(CookieName); err == nil && a.valid(c.Value) {
		return true
	}
	pw, how, ok := credentials(r)
	if !ok {
		return false
	}
	if a.right(pw) {
		return true
	}
	a.wrong(r, how)
	return false
}

// credentials returns the password that r carries in its Authorization
// header, as Basic (any user name) or Bearer.
func credentials(r *http.Request) (pw, how string, ok bool) {
	if _, pw, ok := r.BasicAuth(); ok {
		return pw, "basic", true
	}
	h := r.Header.Get("Authorization")
	if scheme, token, found := strings.Cut(h, " "); found && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(token), "bearer", true
	}
	return "", "", false
}

// require answers 401 to a request that is not allowed, before next.
func (a *auth) require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.allowed(r) {
			// Bearer rather than Basic, so that a browser whose session
			// ended shows the page's own login instead of its dialog.
			w.Header().Set("WWW-Authenticate", `Bearer realm="greenpulse-agent"`)
			writeJSON(w, http.StatusUnauthorized, map[string]any{
				"error": "log in first: open the agent's page, or send the password (http.password) as HTTP Basic or Bearer"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// logout ends the session of r and clears its cookie.
func (a *auth) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(CookieName); err == nil {
		a.mu.Lock()
		delete(a.sessions, c.Value)
		a.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// start creates a session and returns its token and expiry. It forgets
// expired sessions, and the one closest to expiry when there are too many.
func (a *auth) start() (string, time.Time) {
	token := rand.Text() // 130 random bits
	now := a.now()
	expires := now.Add(a.ttl)
	a.mu.Lock()
	defer a.mu.Unlock()
	var soonest string
	for t, exp := range a.sessions {
		if !exp.After(now) {
			delete(a.sessions, t)
		} else if soonest == "" || exp.Before(a.sessions[soonest]) {
			soonest = t
		}
	}
	if len(a.sessions) >= maxSessions {
		delete(a.sessions, soonest)
	}
	a.sessions[token] = expires
	return token, expires
}

// valid reports whether token is a live session.
func (a *auth) valid(token string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	exp, ok := a.sessions[token]
	if ok && !exp.After(a.now()) {
		delete(a.sessions, token)
		return false
	}
	return ok
}
