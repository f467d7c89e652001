package agents

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/greenpulse-health/greenpulse/agents/config"
	"github.com/greenpulse-health/greenpulse/agents/web"
)

// Serve runs one facility's agent with its web server until ctx ends.
func Serve(ctx context.Context, cfg config.Config, version string, log *slog.Logger) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a, err := New(cfg, version, NewMetrics(reg), log)
	if err != nil {
		return err
	}
	defer a.Close()

	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("http.listen %s: %w", cfg.HTTP.Listen, err)
	}
	srv := &http.Server{
		Handler:           web.Handler(a, webOptions(cfg, a, reg, log)),
		ReadHeaderTimeout: 10 * time.Second,
	}
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Serve(ln) }()
	log.Info("agent http listening", "addr", ln.Addr().String(), "page", "http://"+ln.Addr().String()+"/")
	if cfg.HTTP.Password == "" {
		log.Warn("the waste entry page has no password (http.password): anyone who can reach it can enter waste",
			"addr", ln.Addr().String())
	}

	runErr := a.Run(ctx)

	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	if err := <-httpDone; err != nil && !errors.Is(err, http.ErrServerClosed) {
		runErr = errors.Join(runErr, fmt.Errorf("http server: %w", err))
	}
	return runErr
}

// webOptions configures the agent's web server from cfg: the waste entry
// and meter readings page and API when the manual source is on, behind
// http.password.
func webOptions(cfg config.Config, a *Agent, g prometheus.Gatherer, log *slog.Logger) web.Options {
	opt := web.Options{
		Facility:           cfg.Facility,
		Password:           cfg.HTTP.Password,
		WrongPasswordDelay: web.WrongPasswordDelay,
		Gatherer:           g,
		Logger:             log,
		Alerts:             a,
		Figures:            a,
	}
	if cfg.Sources.Manual.Enabled {
		opt.Waste = a
		opt.Meters = a
	}
	return opt
}
