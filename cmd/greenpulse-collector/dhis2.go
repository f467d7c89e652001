package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/greenpulse-health/greenpulse/collector"
	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/collector/dhis2"
	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/registry"
)

const dhis2Usage = `usage: greenpulse-collector dhis2 <command> [flags]

commands:
  setup --config PATH [--dry-run]
      create or update in DHIS2 the data elements, indicator types,
      indicators and monthly data set GreenPulse pushes into (idempotent)
  push --config PATH --period YYYYMM [--dry-run] [--rollup]
      send one month's indicators (POST /api/dataValueSets), record the
      push in dhis2.push_log, print what DHIS2 did
`

// runDHIS2 runs the dhis2 subcommands.
func runDHIS2(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, dhis2Usage)
		return fmt.Errorf("dhis2: no command given")
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet("dhis2 "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "configs/collector.yaml", "configuration file")
	dryRun := fs.Bool("dry-run", false, "ask DHIS2 to check everything and change nothing")
	period := fs.String("period", "", "push: the month to push, YYYYMM")
	reroll := fs.Bool("rollup", false, "push: roll the month up again first (late data), as the schedule does")
	switch cmd {
	case "setup", "push":
	case "help", "-h", "--help":
		fmt.Fprint(stdout, dhis2Usage)
		return nil
	default:
		fmt.Fprint(stderr, dhis2Usage)
		return fmt.Errorf("dhis2: unknown command %q", cmd)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	reg, err := registry.Load(cfg.Registry)
	if err != nil {
		return fmt.Errorf("registry %s: %w", cfg.Registry, err)
	}
	log := cfg.Log.New(stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cmd == "setup" {
		return dhis2Setup(ctx, cfg, reg, *dryRun, stdout)
	}
	return dhis2Push(ctx, cfg, reg, *period, *dryRun, *reroll, stdout, log)
}

func dhis2Setup(ctx context.Context, cfg config.Config, reg *registry.Registry, dryRun bool, stdout io.Writer) error {
	client, err := collector.DHIS2Client(cfg.DHIS2, version)
	if err != nil {
		return err
	}
	m := collector.DHIS2Mapping(cfg.DHIS2)
	var units []string
	for _, f := range reg.Facilities() {
		units = append(units, m.OrgUnit(f))
	}
	rep, err := dhis2.Setup(ctx, client, dhis2.SetupOptions{
		DataSet: cfg.DHIS2.DataSet, DataElements: cfg.DHIS2.DataElements, DataElementIDScheme: cfg.DHIS2.DataElementIDScheme,
		OrgUnits: units, OrgUnitIDScheme: cfg.DHIS2.OrgUnitIDScheme, DryRun: dryRun,
	})
	rep.Print(stdout)
	return err
}

func dhis2Push(ctx context.Context, cfg config.Config, reg *registry.Registry, period string, dryRun, reroll bool,
	stdout io.Writer, log *slog.Logger) error {
	loc, err := cfg.Rollup.Location()
	if err != nil {
		return err
	}
	if period == "" {
		return fmt.Errorf("--period is required, e.g. --period %s", time.Now().In(loc).AddDate(0, -1, 0).Format("200601"))
	}
	month, err := dhis2.ParsePeriod(period, loc)
	if err != nil {
		return fmt.Errorf("--period: %w", err)
	}
	store := influx.New(cfg.InfluxDB, log)
	defer store.Close()
	if reroll {
		r, rstore := collector.NewRollup(cfg, loc, reg, log)
		defer rstore.Close()
		res, err := r.Range(ctx, month.Start, month.End)
		if err != nil {
			return fmt.Errorf("roll-up of %s: %w", period, err)
		}
		fmt.Fprintf(stdout, "rolled up %d periods of %s\n", len(res), period)
	}
	pusher, err := collector.NewDHIS2Pusher(cfg, version, collector.NewIndicatorReader(store), reg, dhis2.NewLog(cfg.DHIS2.PushLog), nil, log)
	if err != nil {
		return err
	}
	rec, err := pusher.Push(ctx, month, "command", dryRun)
	printRecord(stdout, rec)
	return err
}

// printRecord says what a push did, for the person who ran it.
func printRecord(w io.Writer, r dhis2.Record) {
	mode := ""
	if r.DryRun {
		mode = " (dry run: DHIS2 stored nothing)"
	}
	fmt.Fprintf(w, "DHIS2 push of %s%s: %d values in %d requests, %.1f s\n", r.Period, mode, r.Values, r.Requests, r.Seconds)
	fmt.Fprintf(w, "  imported %d, updated %d, ignored %d (unchanged or refused), deleted %d; refused %d\n",
		r.Imported, r.Updated, r.Ignored, r.Deleted, r.Rejected)
	for _, c := range r.Conflicts {
		who := c.Object
		if c.Facility != "" {
			who = fmt.Sprintf("%s (%s)", c.FacilityName, c.Facility)
		}
		what := ""
		if c.ElementName != "" {
			what = ", " + c.ElementName
		}
		fmt.Fprintf(w, "  conflict %s: %s%s: %s\n", c.ErrorCode, who, what, c.Message)
	}
	for _, u := range r.Unmapped {
		fmt.Fprintf(w, "  not pushed: %s (%s), %d values: %s\n", u.Name, u.Facility, u.Values, u.Reason)
	}
	if len(r.Incomplete) > 0 {
		fmt.Fprintf(w, "  %d facilities lack ratio parts (rolled up by an older version): run with --rollup\n", len(r.Incomplete))
	}
	if r.Error != "" {
		fmt.Fprintf(w, "  stopped: %s (%d of %d values sent)\n", r.Error, r.Sent, r.Values)
	}
}

// printDHIS2Check says what check-config found of the dhis2 section, so
// that an operator sees facilities that would not be pushed before a push.
func printDHIS2Check(w io.Writer, cfg config.Config, reg *registry.Registry) {
	if !cfg.DHIS2.Configured() {
		fmt.Fprintln(w, "dhis2: no server configured (the export at /api/v1/export/dhis2 still works)")
		return
	}
	m := collector.DHIS2Mapping(cfg.DHIS2)
	without := 0
	for _, f := range reg.Facilities() {
		if m.OrgUnit(f) == "" {
			without++
		}
	}
	schedule := "schedule off (dhis2.enabled: false)"
	if cfg.DHIS2.Enabled {
		schedule = fmt.Sprintf("schedule %q", cfg.DHIS2.Schedule)
	}
	fmt.Fprintf(w, "dhis2: %s, data set %s, org units by %s, %d of %d facilities without an org unit, %s\n",
		cfg.DHIS2.URL, cfg.DHIS2.DataSet, cfg.DHIS2.OrgUnitIDScheme, without, reg.Len(), schedule)
}
