package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/greenpulse-health/greenpulse/agents"
	"github.com/greenpulse-health/greenpulse/agents/config"
)

// agentReply is the running agent's answer to an entry posted to it.
type agentReply struct {
	Code   int
	Status string // "422 Unprocessable Entity"
	Body   []byte // at most 1 MiB
}

// postToAgent posts v as JSON to path on the agent whose web server
// listens on listen (http.listen of the configuration), with the page's
// password when one is set. It returns nil, nil when no agent listens
// there, so that the command can do the agent's work itself.
func postToAgent(listen, password, path string, v any) (*agentReply, error) {
	addr := agentAddr(listen)
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("send to the agent at %s: %w", addr, err)
	}
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("send to the agent at %s: %w", addr, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if password != "" {
		req.Header.Set("Authorization", "Bearer "+password)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, nil
		}
		return nil, fmt.Errorf("send to the agent at %s: %w", addr, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read the answer of the agent at %s: %w", addr, err)
	}
	return &agentReply{Code: resp.StatusCode, Status: resp.Status, Body: data}, nil
}

// agentAddr is where a command on this computer reaches an agent that
// listens on listen. An empty or unspecified host (":8081",
// "0.0.0.0:8081", "[::]:8081") means every interface, loopback included,
// and is reached at 127.0.0.1.
func agentAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen // config.Validate refuses it; the request says why
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// passwordHint says, after an agent's 401, where cmd took the password
// from.
func passwordHint(cmd string) string {
	return fmt.Sprintf("%s sends http.password of its config file, or %s", cmd, config.EnvHTTPPassword)
}

// openOffline opens the agent's outbox and lists for a one-shot entry when
// no agent runs. The simulator is off (it would only take the time to
// model the facility); Modbus devices stay configured, which opens no
// link (only Run polls them) but keeps a typed reading off a meter a
// device reads, as the running agent does.
func openOffline(cfg config.Config, stderr io.Writer) (*agents.Agent, error) {
	cfg.Sources.Simulate.Enabled = false
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return agents.New(cfg, version, agents.NewMetricsDiscard(), log)
}
