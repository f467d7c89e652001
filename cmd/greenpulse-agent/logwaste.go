package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/config"
	"github.com/greenpulse-health/greenpulse/agents/source/manual"
	"github.com/greenpulse-health/greenpulse/reading"
)

// logWaste records one waste hand-over. A running agent owns the outbox, so
// the entry goes to it over HTTP; when no agent runs, straight to the outbox.
func logWaste(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("log-waste", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "configs/agent.yaml", "agent configuration file")
	category := fs.String("category", "", "waste category: "+strings.Join(reading.WasteCategories, ", "))
	treatment := fs.String("treatment", "", "treatment: "+strings.Join(reading.WasteTreatments, ", "))
	kg := fs.String("kg", "", "weight in kilograms, e.g. 12.5 (Arabic-Indic digits and a decimal comma are fine)")
	stored := fs.String("stored-hours", "", "hours the waste was stored before treatment (optional)")
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
	e := manual.Entry{Category: *category, Treatment: *treatment, ID: *id, Note: *note}
	// The same rules as the page's: "12,400" or 1e3 is refused, not guessed.
	if *kg != "" {
		if e.MassKg, err = manual.ParseTypedNumber(*kg); err != nil {
			return fmt.Errorf("--kg %w", err)
		}
	}
	if *stored != "" {
		h, err := manual.ParseTypedNumber(*stored)
		if err != nil {
			return fmt.Errorf("--stored-hours %w", err)
		}
		e.StoredHours = &h
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
	if ok, err := postWaste(cfg.HTTP.Listen, cfg.HTTP.Password, e); ok || err != nil {
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "recorded %s: %g kg %s, %s, at %s (sent to the running agent)\n",
			cfg.Facility, e.MassKg, r.Tag("category"), r.Tag("treatment"), r.Time.Local().Format("2006-01-02 15:04"))
		return nil
	}
	a, err := openOffline(cfg, stderr)
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

// postWaste sends e to the running agent at listen. It returns false,
// nil when no agent listens there.
func postWaste(listen, password string, e manual.Entry) (bool, error) {
	reply, err := postToAgent(listen, password, "/api/v1/waste", e)
	if reply == nil || err != nil {
		return false, err
	}
	if reply.Code == http.StatusCreated {
		return true, nil
	}
	var answer struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(reply.Body, &answer) // not JSON: the status says enough
	if reply.Code == http.StatusUnauthorized {
		answer.Error = fmt.Sprintf("%s (%s)", answer.Error, passwordHint("log-waste"))
	}
	return true, fmt.Errorf("the agent at %s refused the entry (%s): %s", agentAddr(listen), reply.Status, answer.Error)
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
