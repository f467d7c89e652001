package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/greenpulse-health/greenpulse/agents"
	"github.com/greenpulse-health/greenpulse/agents/config"
	"github.com/greenpulse-health/greenpulse/agents/source/manual"
	"github.com/greenpulse-health/greenpulse/reading"
)

func loadConfig(cmd string, args []string, stderr io.Writer) (config.Config, string, error) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "configs/agent.yaml", "configuration file")
	if err := fs.Parse(args); err != nil {
		return config.Config{}, "", err
	}
	cfg, err := config.Load(*path)
	return cfg, *path, err
}

// logWaste records one waste hand-over. A running agent owns the outbox, so
// the entry goes to it over HTTP; when no agent runs, straight to the outbox.
func logWaste(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("log-waste", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "configs/agent.yaml", "agent configuration file")
	category := fs.String("category", "", "waste category: "+strings.Join(reading.WasteCategories, ", "))
	treatment := fs.String("treatment", "", "treatment: "+strings.Join(reading.WasteTreatments, ", "))
	kg := fs.Float64("kg", 0, "weight in kilograms")
	stored := fs.Float64("stored-hours", -1, "hours the waste was stored before treatment (optional)")
	at := fs.String("at", "", "when it was handed over or treated: 2026-11-26 14:30 (local time) or RFC 3339; default now")
	id := fs.String("id", "", "your reference for this hand-over (optional)")
	note := fs.String("note", "", "a note for the facility's own list of entries, not sent (optional)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	e := manual.Entry{Category: *category, Treatment: *treatment, MassKg: *kg, ID: *id, Note: *note}
	if *stored >= 0 {
		e.StoredHours = stored
	}
	if *at != "" {
		t, err := parseLocalTime(*at)
		if err != nil {
			return err
		}
		e.Time = t
	}
	// Validate here too, so a typo is explained even when the agent is down.
	r, err := e.Reading(cfg.Facility, time.Now())
	if err != nil {
		return fmt.Errorf("waste not recorded:\n  %s", strings.ReplaceAll(err.Error(), "\n", "\n  "))
	}
	e.Time = r.Time
	if ok, err := postToAgent(cfg.HTTP.Listen, cfg.HTTP.Password, e); ok || err != nil {
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "recorded %s: %g kg %s, %s, at %s (sent to the running agent)\n",
			cfg.Facility, e.MassKg, r.Tag("category"), r.Tag("treatment"), r.Time.Local().Format("2006-01-02 15:04"))
		return nil
	}
	m := agents.NewMetricsDiscard()
	cfg.Sources.Simulate.Enabled = false
	a, err := agents.New(cfg, version, m, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.RecordWaste(r, e.Note); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "recorded %s: %g kg %s, %s, at %s (stored in the outbox %s; it is sent when the agent runs)\n",
		cfg.Facility, e.MassKg, r.Tag("category"), r.Tag("treatment"), r.Time.Local().Format("2006-01-02 15:04"), cfg.Outbox.Dir)
	return nil
}

// postToAgent sends e to the agent at addr, with the page's password when
// one is set. It returns false, nil when no agent listens there.
func postToAgent(addr, password string, e manual.Entry) (bool, error) {
	body, _ := json.Marshal(e)
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/api/v1/waste", bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("send to the agent at %s: %w", addr, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if password != "" {
		req.Header.Set("Authorization", "Bearer "+password)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return false, nil
		}
		return false, fmt.Errorf("send to the agent at %s: %w", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusCreated {
		return true, nil
	}
	var answer struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&answer)
	if resp.StatusCode == http.StatusUnauthorized {
		answer.Error = fmt.Sprintf("%s (log-waste sends http.password of its config file, or %s)", answer.Error, config.EnvHTTPPassword)
	}
	return true, fmt.Errorf("the agent at %s refused the entry (%s): %s", addr, resp.Status, answer.Error)
}

func parseLocalTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
		var t time.Time
		var err error
		if layout == time.RFC3339 {
			t, err = time.Parse(layout, s)
		} else {
			t, err = time.ParseInLocation(layout, s, time.Local)
		}
		if err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--at %q: write the time as 2026-11-26 14:30 (local) or 2026-11-26T14:30:00+03:00", s)
}
