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

// limited is one key of a try and how many failures it may have within
// the window.
type limited struct {
	key   string
	limit int
}

// take answers how long the try must wait at now, or, when every key may
// try, 0 and counts the try as a failure of each key at once: a try is a
// failure until it succeeds (forgive), so that tries sent side by side
// cannot all pass the check before any of them has failed.
func (t *throttle) take(now time.Time, keys ...limited) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var wait time.Duration
	for _, k := range keys {
		fails := t.recent(k.key, now)
		if len(fails) >= k.limit {
			// The try becomes possible when the oldest failure that
			// counts leaves the window.
			wait = max(wait, fails[len(fails)-k.limit].Add(t.window).Sub(now))
		}
	}
	if wait > 0 {
		return wait
	}
	for _, k := range keys {
		t.failLocked(k, now)
	}
	return 0
}

// forgive takes back the failure that take counted for key at at: the
// try succeeded.
func (t *throttle) forgive(key string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fails := t.failures[key]
	for i := len(fails) - 1; i >= 0; i-- {
		if fails[i].Equal(at) {
			fails = append(fails[:i], fails[i+1:]...)
			break
		}
	}
	if len(fails) == 0 {
		delete(t.failures, key)
	} else {
		t.failures[key] = fails
	}
}

// failLocked records a failure of k at now, keeping only the newest
// k.limit, which are all take looks at; t.mu is held.
func (t *throttle) failLocked(k limited, now time.Time) {
	fails := t.recent(k.key, now)
	if len(fails) >= k.limit {
		fails = fails[len(fails)-k.limit+1:]
	}
	if _, known := t.failures[k.key]; !known && len(t.failures) >= t.maxKeys {
		t.forgetStalest()
	}
	t.failures[k.key] = append(fails, now)
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
