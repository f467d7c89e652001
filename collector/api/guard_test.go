package api

import (
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/access"
	"github.com/greenpulse-health/greenpulse/registry"
)

// guarded serves a's routes behind the access guard the collector puts in
// front of them, in open mode with no users: anyone reads, and only the
// admin token (when set) runs operator actions.
func guarded(t *testing.T, a *API, reg *registry.Registry, adminToken string) http.Handler {
	t.Helper()
	g, err := access.New(access.Options{Mode: access.ModeOpen, SessionTTL: time.Hour, LoginAttempts: 5, LoginWindow: time.Minute,
		AdminToken: adminToken, Country: "IQ"}, reg, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	a.SetViewer(func(r *http.Request) Viewer { return access.ViewOf(r.Context()) })
	mux := http.NewServeMux()
	a.Register(mux)
	g.Register(mux)
	return g.Wrap(mux)
}
