package dhis2

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/internal/dhis2api"
	"github.com/greenpulse-health/greenpulse/internal/dhis2test"
)

const pushToken = "d2pat_pushtest"

// pushWorld is the three facilities of testRegistry, their stored month
// and a DHIS2 double set up for them.
type pushWorld struct {
	srv    *dhis2test.Server
	client *dhis2api.Client
	rows   storedRows
	month  indicators.Period
	log    *Log
}

func newPushWorld(t *testing.T, version string) *pushWorld {
	t.Helper()
	srv := dhis2test.Start(t, dhis2test.Options{Token: pushToken, Version: version})
	srv.AddOrgUnits(
		dhis2test.OrgUnit{ID: "IraqRoot001", Name: "Iraq", ShortName: "Iraq", Level: 1},
		dhis2test.OrgUnit{ID: "AbCdEfGhIj1", Name: "Baghdad Teaching Hospital", ShortName: "BTH", Level: 2, Parent: "IraqRoot001"},
		dhis2test.OrgUnit{ID: "AbCdEfGhIj3", Name: "Old PHC Centre", ShortName: "Old PHC", Level: 2, Parent: "IraqRoot001"},
	)
	c, err := dhis2api.New(dhis2api.Config{URL: srv.URL(), Token: pushToken, Retries: 0})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Setup(context.Background(), c, SetupOptions{OrgUnits: []string{"AbCdEfGhIj1", "AbCdEfGhIj3"}}); err != nil {
		t.Fatalf("setup: %v", err)
	}
	loc, _ := time.LoadLocation("Asia/Baghdad")
	month, _ := ParsePeriod("202610", loc)
	return &pushWorld{srv: srv, client: c, month: month, log: NewLog(t.TempDir() + "/pushes.jsonl"), rows: storedRows{
		{Facility: "BG-H-001", Indicator: indicators.GridKWh, Value: 1234.5},
		{Facility: "BG-H-001", Indicator: indicators.GridAvailabilityPct, Value: 50, Numerator: 36000, Denominator: 72000, HasTerms: true},
		{Facility: "BG-H-001", Indicator: indicators.StorageExceededCount, Value: 0},
		{Facility: "BG-P-001", Indicator: indicators.SolarKWh, Value: 10}, // no org unit
		{Facility: "BG-P-002", Indicator: indicators.WasteKg, Value: 3},
	}}
}

func (w *pushWorld) pusher(t *testing.T, chunk int) *Pusher {
	t.Helper()
	return NewPusher(w.client, w.rows, testRegistry(t), PusherOptions{
		Mapping:   Mapping{DataSet: "zycBYpH67gd", OrgUnitIDScheme: "uid", DataElementIDScheme: "uid"},
		ChunkSize: chunk, Recorder: w.log,
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// TestPushInBothAnswerShapes pushes into a DHIS2 of 2.38 or later (the
// summary wrapped in a WebMessage, 409 on conflicts) and into one before
// (the bare summary, conflicts naming only an object): a clean push is
// OK, a refused one is not, whichever shape says so.
func TestPushInBothAnswerShapes(t *testing.T) {
	for _, version := range []string{"2.40.4", "2.36.11"} {
		t.Run(version, func(t *testing.T) {
			w := newPushWorld(t, version)
			p := w.pusher(t, 2)
			rec, err := p.Push(context.Background(), w.month, "test", false)
			if err != nil || !rec.OK() || rec.Values != 5 || rec.Imported != 5 || rec.Requests != 3 || len(w.srv.DataValues()) != 5 {
				t.Fatalf("clean push: %v %+v, %d stored", err, rec, len(w.srv.DataValues()))
			}
			if len(rec.Unmapped) != 1 || rec.Unmapped[0].Facility != "BG-P-001" {
				t.Errorf("unmapped %+v, want BG-P-001", rec.Unmapped)
			}

			w.srv.RestrictUserTo("AbCdEfGhIj3")
			rec, err = p.Push(context.Background(), w.month, "test", false)
			if err != nil || rec.OK() || rec.Rejected != 4 {
				t.Fatalf("push outside the user's hierarchy: %v %+v, want 4 refused and not OK", err, rec)
			}
			for _, c := range rec.Conflicts {
				if c.Facility != "BG-H-001" || c.FacilityName != "Baghdad Teaching Hospital" {
					t.Errorf("conflict %+v: want the hospital named", c)
				}
			}
			recs, _, err := w.log.Latest(10)
			if err != nil || len(recs) != 2 || recs[0].OK() || !recs[1].OK() {
				t.Errorf("push log: %v, %d records", err, len(recs))
			}

			// Before 2.38 a locked period's conflict names only the period.
			locked := newPushWorld(t, version)
			locked.srv.LockPeriod("202610")
			rec, err = locked.pusher(t, 2).Push(context.Background(), locked.month, "test", false)
			if err != nil || rec.OK() || rec.Rejected != 5 || len(rec.Conflicts) == 0 || rec.Imported+rec.Updated != 0 || len(locked.srv.DataValues()) != 0 {
				t.Errorf("push into a locked period: %v %+v, want every value refused and not OK", err, rec)
			}
		})
	}
}

func TestPushStopsOnAFailureAndSaysHowFar(t *testing.T) {
	w := newPushWorld(t, "2.40.4")
	w.srv.FailNext(1, http.StatusBadGateway)
	p := w.pusher(t, 2)
	rec, err := p.Push(context.Background(), w.month, "test", false)
	if err == nil || rec.Sent != 0 || rec.Requests != 1 || rec.OK() {
		t.Errorf("push into a 502: %v %+v", err, rec)
	}
	w.srv.FailNext(0, 0)
	rec, err = p.Push(context.Background(), w.month, "test", true)
	if err != nil || !rec.DryRun || rec.Values != 5 || len(w.srv.DataValues()) != 0 {
		t.Errorf("dry run: %v %+v, %d stored", err, rec, len(w.srv.DataValues()))
	}
}

// TestScheduledPushIsTriedAgain fails the scheduled push twice: it is sent
// again after each failure and lands on the third try.
func TestScheduledPushIsTriedAgain(t *testing.T) {
	w := newPushWorld(t, "2.40.4")
	w.srv.FailNext(2, http.StatusServiceUnavailable)
	s, err := NewScheduler(w.pusher(t, 100), SchedulerOptions{Specs: []string{"0 2 5 * *"}, Location: w.month.Start.Location(),
		Retries: 3, RetryAfter: time.Millisecond}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return w.month.End.AddDate(0, 0, 4) }
	s.run("schedule")
	recs, _, _ := w.log.Latest(10)
	if len(recs) != 3 || recs[0].Trigger != "retry" || !recs[0].OK() || recs[1].Error == "" || recs[2].Trigger != "schedule" || recs[2].Error == "" {
		t.Errorf("records %+v: want two failures, the first scheduled, then a retry that landed", recs)
	}
	if len(w.srv.DataValues()) != 5 {
		t.Errorf("%d values stored after the retries, want 5", len(w.srv.DataValues()))
	}
}
