package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/config"
	"github.com/greenpulse-health/greenpulse/agents/source/manual"
)

// logMeter records one meter reading typed from a display. The running
// agent owns the outbox and the last readings that the entry is checked
// against, so the entry goes to it over HTTP; when no agent runs, the
// command opens them itself.
func logMeter(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("log-meter", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "configs/agent.yaml", "agent configuration file")
	counter := fs.String("counter", "", "what was read: "+strings.Join(manual.CounterNames(), ", "))
	value := fs.String("value", "", "the number on the display: kWh, engine hours, litres, or for tank_level litres or % (see --unit); Arabic-Indic digits and a decimal comma are accepted, thousands separators are not")
	unit := fs.String("unit", "", "tank_level only: L (default) or % (needs sources.manual.meters.tank_litres)")
	at := fs.String("at", "", "when it was read: 2026-11-26 14:30 (local time) or RFC 3339; default now")
	meter := fs.String("meter", "", "the meter, generator or inverter, for a facility with more than one (default main)")
	replaced := fs.Bool("replaced", false, "the meter was replaced or reset: a reading below the last one is right")
	confirm := fs.Bool("confirm", false, "a large increase (or a tank level that rose without a delivery) was checked and is right")
	note := fs.String("note", "", "a note for the facility's own list of readings, not sent (optional)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: greenpulse-agent log-meter --config PATH --counter C --value N [flags]\n\n"+
			"Records a reading typed from a meter's display as the same counter reading a device sends.\n"+
			"A reading below the last one asks whether the meter is new (--replaced); a jump larger than\n"+
			"the facility could use asks for --confirm. See agents/README.md, \"Meter readings typed by staff\".\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	e := manual.MeterEntry{Counter: *counter, Unit: *unit, Meter: *meter, Replaced: *replaced, Confirm: *confirm, Note: *note}
	if *value != "" {
		v, err := manual.ParseTypedNumber(*value)
		if err != nil {
			return fmt.Errorf("--value %w", err)
		}
		e.Value = &v
	}
	if *at != "" {
		t, err := parseLocalTime(*at)
		if err != nil {
			return err
		}
		e.Time = t
	}
	now := time.Now()
	// Plain mistakes are explained here too, even when the agent is down;
	// the checks against the last readings are the agent's.
	if _, err := e.Check(cfg.Facility, now, manual.MeterState{}, cfg.Sources.Manual.Meters); err != nil {
		var q *manual.Question
		if !errors.As(err, &q) {
			return notRecorded(err)
		}
	}
	if e.Time.IsZero() {
		e.Time = now
	}
	ans, ok, err := postMeter(cfg.HTTP.Listen, cfg.HTTP.Password, e)
	if err != nil {
		return err
	}
	where := "sent to the running agent"
	if !ok {
		a, err := openOffline(cfg, stderr)
		if err != nil {
			return err
		}
		defer a.Close()
		res, err := a.RecordMeter(e, now)
		if err != nil {
			return notRecorded(err)
		}
		ans = meterAnswer{Counter: string(res.Counter), Meter: res.Meter, Value: res.Value, Unit: res.Unit, Time: res.Time,
			Sent: res.Reading != nil, Said: res.Said, Warnings: res.Warnings}
		where = "stored in the outbox " + cfg.Outbox.Dir + "; it is sent when the agent runs"
		if !ans.Sent {
			where = "kept in " + cfg.Outbox.Dir
		}
	}
	fmt.Fprintf(stdout, "recorded %s: %s %s %g %s, read at %s (%s)\n",
		cfg.Facility, ans.Counter, ans.Meter, ans.Value, ans.Unit, ans.Time.Local().Format("2006-01-02 15:04"), where)
	for _, s := range ans.Said {
		fmt.Fprintf(stdout, "  %s\n", s)
	}
	for _, w := range ans.Warnings {
		fmt.Fprintf(stdout, "  note: %s\n", w)
	}
	return nil
}

// notRecorded words the agent's refusal of an entry for the command line:
// the problems one a line, or the question with the flag that answers it.
func notRecorded(err error) error {
	var q *manual.Question
	if errors.As(err, &q) {
		return questionError(q.Message, q.Flag)
	}
	return fmt.Errorf("meter reading not recorded:\n  %s", strings.ReplaceAll(err.Error(), "\n", "\n  "))
}

func questionError(message, flag string) error {
	return fmt.Errorf("meter reading not recorded: %s.\n  If it is right, run the same command again with --%s", message, flag)
}

// meterAnswer is the agent's answer to a recorded entry.
type meterAnswer struct {
	Counter  string    `json:"counter"`
	Meter    string    `json:"meter"`
	Value    float64   `json:"value"`
	Unit     string    `json:"unit"`
	Time     time.Time `json:"ts"`
	Sent     bool      `json:"sent"`
	Said     []string  `json:"said"`
	Warnings []string  `json:"warnings"`
}

// postMeter sends e to the running agent at listen. It returns false, nil
// when no agent listens there.
func postMeter(listen, password string, e manual.MeterEntry) (meterAnswer, bool, error) {
	reply, err := postToAgent(listen, password, "/api/v1/meter", e)
	if reply == nil || err != nil {
		return meterAnswer{}, false, err
	}
	var answer struct {
		meterAnswer
		Error    string `json:"error"`
		Question *struct {
			Flag    string `json:"flag"`
			Message string `json:"message"`
		} `json:"question"`
		Problems []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"problems"`
	}
	_ = json.Unmarshal(reply.Body, &answer) // not JSON: the status says enough
	switch {
	case reply.Code == http.StatusCreated:
		return answer.meterAnswer, true, nil
	case reply.Code == http.StatusConflict && answer.Question != nil:
		return meterAnswer{}, true, questionError(answer.Question.Message, answer.Question.Flag)
	case reply.Code == http.StatusUnprocessableEntity && len(answer.Problems) > 0:
		var lines []string
		for _, p := range answer.Problems {
			lines = append(lines, p.Field+": "+p.Message)
		}
		return meterAnswer{}, true, fmt.Errorf("meter reading not recorded:\n  %s", strings.Join(lines, "\n  "))
	case reply.Code == http.StatusUnauthorized:
		answer.Error = fmt.Sprintf("%s (%s)", answer.Error, passwordHint("log-meter"))
	}
	return meterAnswer{}, true, fmt.Errorf("the agent at %s refused the reading (%s): %s", agentAddr(listen), reply.Status, answer.Error)
}
