// Package httpapi serves the collector's HTTP endpoints: /metrics for
// Prometheus, /healthz (the process is alive) and /readyz (it can do its
// job: the broker is connected and InfluxDB answers).
package httpapi

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check is one readiness condition; nil means ready.
type Check func(ctx context.Context) error

// Server is the collector's HTTP server.
type Server struct {
	srv    *http.Server
	mux    *http.ServeMux
	checks map[string]Check
	log    *slog.Logger
	// certFile and keyFile, when set, make it serve HTTPS.
	certFile, keyFile string
}

// New builds the server; checks are evaluated on every /readyz. With
// withPProf, Go's profiler is served under /debug/pprof/. Each mount adds
// routes, such as the API's.
func New(listen string, withPProf bool, gatherer prometheus.Gatherer, checks map[string]Check, log *slog.Logger, mounts ...func(*http.ServeMux)) *Server {
	s := &Server{checks: checks, log: log}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", s.ready)
	if withPProf {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	for _, mount := range mounts {
		mount(mux)
	}
	s.mux = mux
	// The server's own complaints (TLS handshakes, malformed requests)
	// go to our log, not to stderr's.
	s.srv = &http.Server{Addr: listen, Handler: compress(mux), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	return s
}

// Guard puts wrap (collector/access) in front of every route, inside the
// compression. Call it before Serve.
func (s *Server) Guard(wrap func(http.Handler) http.Handler) {
	s.srv.Handler = compress(wrap(s.mux))
}

// UseTLS makes the server speak HTTPS with the PEM certificate and key
// files. Call it before Serve.
func (s *Server) UseTLS(certFile, keyFile string) { s.certFile, s.keyFile = certFile, keyFile }

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	result := map[string]string{}
	status := http.StatusOK
	for name, check := range s.checks {
		if err := check(ctx); err != nil {
			result[name] = err.Error()
			status = http.StatusServiceUnavailable
		} else {
			result[name] = "ok"
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(result)
}

// Listen binds the address, so that a port in use is reported at start.
func (s *Server) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.srv.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on http.listen %s: %w", s.srv.Addr, err)
	}
	return ln, nil
}

// Serve serves on ln until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	scheme := "http"
	if s.certFile != "" {
		scheme = "https"
		s.srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		go func() { errc <- s.srv.ServeTLS(ln, s.certFile, s.keyFile) }()
	} else {
		go func() { errc <- s.srv.Serve(ln) }()
	}
	s.log.Info("http listening", "addr", ln.Addr().String(), "scheme", scheme)
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}
