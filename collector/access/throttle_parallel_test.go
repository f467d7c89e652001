package access

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/users"
	"github.com/greenpulse-health/greenpulse/registry"
)

// TestThrottleHoldsForTriesSideBySide sends many wrong passwords for one
// user at once: only the limit of them may reach bcrypt; the rest wait,
// as they would one after another. A right password is then refused too
// until the window passes, and a success from the same address as the
// failures does not count against it.
func TestThrottleHoldsForTriesSideBySide(t *testing.T) {
	reg, err := registry.Load(filepath.Join("..", "..", "configs", "facilities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "users.json")
	for _, name := range []string{"amal", "salma"} {
		if err := users.Add(path, name, users.Planner, "", "side-by-side-password"); err != nil {
			t.Fatal(err)
		}
	}
	const limit = 5
	g, err := New(Options{Mode: ModeUsers, UsersFile: path, SessionTTL: time.Hour, LoginAttempts: limit, LoginWindow: 15 * time.Minute, Country: "IQ"},
		reg, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	g.Register(mux)
	h := g.Wrap(mux)
	login := func(user, password string) int {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/login", strings.NewReader(`{"user":"`+user+`","password":"`+password+`"}`))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}

	const tries = 40
	codes := make(chan int, tries)
	var wg sync.WaitGroup
	for range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- login("amal", "wrong-password-guess")
		}()
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[http.StatusUnauthorized] != limit || count[http.StatusTooManyRequests] != tries-limit {
		t.Errorf("%d wrong passwords side by side: %v, want %d × 401 and %d × 429", tries, count, limit, tries-limit)
	}
	if code := login("amal", "side-by-side-password"); code != http.StatusTooManyRequests {
		t.Errorf("the right password within the window: %d, want 429", code)
	}
	// Another user from the same address: the address has failed 5 of its
	// 20, so salma signs in, and her success does not use up the address.
	for i := range 3 * limit {
		if code := login("salma", "side-by-side-password"); code != http.StatusOK {
			t.Fatalf("salma's sign-in %d from the address of the failures: %d", i+1, code)
		}
	}
}
