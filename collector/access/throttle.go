package access

import (
	"sync"
	"time"
)

// throttle counts failed sign-ins by key (a user name, a client address)
// and says how long a key must wait once it has failed too often within
// the window. It keeps at most maxKeys keys, forgetting the stalest, so
// that a flood of made-up names cannot grow it without bound. Safe for
// concurrent use.
type throttle struct {
	mu       sync.Mutex
	window   time.Duration
	failures map[string][]time.Time // oldest first, within the window
	maxKeys  int
}

func newThrottle(window time.Duration, maxKeys int) *throttle {
	return &throttle{window: window, failures: map[string][]time.Time{}, maxKeys: maxKeys}
}

// wait answers how long key must wait at now before another try, given
// that it may fail limit times within the window; 0 lets it try.
func (t *throttle) wait(key string, limit int, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	fails := t.recent(key, now)
	if len(fails) < limit {
		return 0
	}
	// The try becomes possible when the oldest failure that counts
	// leaves the window.
	return fails[len(fails)-limit].Add(t.window).Sub(now)
}

// fail records a failure of key at now.
func (t *throttle) fail(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fails := t.recent(key, now)
	if len(fails) >= 64 { // beyond any limit: keep the newest
		fails = fails[1:]
	}
	if _, known := t.failures[key]; !known && len(t.failures) >= t.maxKeys {
		t.forgetStalest()
	}
	t.failures[key] = append(fails, now)
}

// reset forgets key's failures: it signed in.
func (t *throttle) reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failures, key)
}

// recent drops key's failures older than the window; t.mu is held.
func (t *throttle) recent(key string, now time.Time) []time.Time {
	fails := t.failures[key]
	i := 0
	for i < len(fails) && now.Sub(fails[i]) >= t.window {
		i++
	}
	if i == len(fails) {
		delete(t.failures, key)
		return nil
	}
	fails = fails[i:]
	t.failures[key] = fails
	return fails
}

// forgetStalest drops the key whose last failure is oldest; t.mu is held.
func (t *throttle) forgetStalest() {
	var stalest string
	var at time.Time
	for k, fails := range t.failures {
		if last := fails[len(fails)-1]; stalest == "" || last.Before(at) {
			stalest, at = k, last
		}
	}
	delete(t.failures, stalest)
}
