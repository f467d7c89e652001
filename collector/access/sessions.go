package access

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"sync"
	"time"
)

// session is one signed-in browser. It remembers the password hash the
// user signed in with, so that a new password (or a removed user) ends
// it at the next request.
type session struct {
	user    string
	hash    string
	csrf    string
	expires time.Time
}

// sessions keeps sessions in memory, by the SHA-256 of their cookie
// value, so that a memory dump does not hand out cookies. A restart signs
// everyone out. At most max are kept; the one nearest expiry goes first.
// Safe for concurrent use.
type sessions struct {
	mu   sync.Mutex
	byID map[[32]byte]session
	max  int
}

func newSessions(max int) *sessions {
	return &sessions{byID: map[[32]byte]session{}, max: max}
}

// randomString is n random bytes, base64url, for what it names.
func randomString(what string, n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random bytes for the %s: %w", what, err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// start opens a session and answers its cookie value.
func (s *sessions) start(user, hash string, ttl time.Duration, now time.Time) (string, session, error) {
	id, err := randomString("session id", 32)
	if err != nil {
		return "", session{}, err
	}
	csrf, err := randomString("CSRF token", 18)
	if err != nil {
		return "", session{}, err
	}
	ses := session{user: user, hash: hash, csrf: csrf, expires: now.Add(ttl)}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, old := range s.byID {
		if !now.Before(old.expires) {
			delete(s.byID, k)
		}
	}
	for len(s.byID) >= s.max {
		var first [32]byte
		var at time.Time
		for k, old := range s.byID {
			if at.IsZero() || old.expires.Before(at) {
				first, at = k, old.expires
			}
		}
		delete(s.byID, first)
	}
	s.byID[sha256.Sum256([]byte(id))] = ses
	return id, ses, nil
}

// get answers the live session of cookie value id.
func (s *sessions) get(id string, now time.Time) (session, bool) {
	key := sha256.Sum256([]byte(id))
	s.mu.Lock()
	defer s.mu.Unlock()
	ses, ok := s.byID[key]
	if ok && !now.Before(ses.expires) {
		delete(s.byID, key)
		return session{}, false
	}
	return ses, ok
}

// end forgets the session of cookie value id.
func (s *sessions) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, sha256.Sum256([]byte(id)))
}

// count is how many sessions are kept, live or not yet swept.
func (s *sessions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}
