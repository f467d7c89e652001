// Package browsertest holds the test helpers shared by the browser tests
// of the dashboard and of the agent's waste page.
package browsertest

import (
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/internal/browser"
)

// Eval evaluates js in the page and fails the test when it cannot.
func Eval[T any](t testing.TB, b *browser.Browser, js string) T {
	t.Helper()
	v, err := browser.Eval[T](b, 10*time.Second, js)
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// WaitFor waits up to 20 s for the JavaScript condition js, and fails the
// test, saying what was awaited, when it does not come.
func WaitFor(t testing.TB, b *browser.Browser, js, what string) {
	t.Helper()
	if err := b.WaitFor(20*time.Second, js); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
