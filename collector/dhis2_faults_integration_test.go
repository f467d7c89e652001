package collector_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/collector"
	"github.com/greenpulse-health/greenpulse/collector/dhis2"
	"github.com/greenpulse-health/greenpulse/collector/dhis2/catalog"
	"github.com/greenpulse-health/greenpulse/internal/dhis2api"
	"github.com/greenpulse-health/greenpulse/internal/dhis2test"
)

// pushInto sets up a fresh DHIS2 double with GreenPulse's metadata and
// returns a pusher into it that logs in with token.
func (w *dhis2World) pushInto(t *testing.T, opt dhis2test.Options, token string) (*dhis2test.Server, *dhis2.Pusher, *prometheus.Registry) {
	t.Helper()
	srv := startDHIS2(t, w.reg, opt)
	cfg := w.cfg
	cfg.DHIS2.URL, cfg.DHIS2.Token = srv.URL(), opt.Token
	cfg.DHIS2.Retries, cfg.DHIS2.RetryInitial, cfg.DHIS2.ChunkSize = 3, 10*time.Millisecond, 1000
	client, err := collector.DHIS2Client(cfg.DHIS2, "test")
	if err != nil {
		t.Fatal(err)
	}
	var units []string
	for _, f := range w.reg.Facilities() {
		units = append(units, f.DHIS2OrgUnit)
	}
	if _, err := dhis2.Setup(context.Background(), client, dhis2.SetupOptions{OrgUnits: units}); err != nil {
		t.Fatalf("setup: %v", err)
	}
	cfg.DHIS2.Token = token
	promReg := prometheus.NewRegistry()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := collector.NewDHIS2Pusher(cfg, "test", collector.NewIndicatorReader(w.store), w.reg, dhis2.NewLog(cfg.DHIS2.PushLog), dhis2.NewMetrics(promReg), log)
	if err != nil {
		t.Fatal(err)
	}
	return srv, p, promReg
}

// TestDHIS2PushConflictsAndFaults pushes the month into doubles that
// refuse part of it, fail for a while, speak the pre-2.38 answer or
// refuse the token.
func TestDHIS2PushConflictsAndFaults(t *testing.T) {
	w := startDHIS2World(t)
	ctx := context.Background()
	const token = "d2pat_faults"

	t.Run("values outside the user's hierarchy are refused by name, the rest stored", func(t *testing.T) {
		srv, p, promReg := w.pushInto(t, dhis2test.Options{Token: token}, token)
		srv.RestrictUserTo(govUID("IQ-DA"))
		rec, err := p.Push(ctx, w.month, "test", false)
		if err != nil {
			t.Fatalf("push with conflicts: %v", err)
		}
		muValues, daValues := 0, 0
		for _, c := range rec.Conflicts {
			if !strings.HasPrefix(c.Facility, "MU-") || c.FacilityName == "" || c.ElementName == "" || c.ErrorCode == "" {
				t.Errorf("conflict %+v: want a Muthanna facility and quantity named, with DHIS2's code", c)
			}
		}
		for _, v := range srv.DataValues() {
			if strings.HasPrefix(v.OrgUnit, "Gov") {
				t.Errorf("value at a governorate: %+v", v)
			}
		}
		stored := storedValues(srv)
		for _, f := range w.reg.Facilities() {
			for _, e := range catalog.Elements() {
				if _, ok := stored[[2]string{e.UID(), f.DHIS2OrgUnit}]; ok {
					if f.Governorate == "IQ-MU" {
						muValues++
					} else {
						daValues++
					}
				}
			}
		}
		if muValues != 0 || daValues == 0 || rec.Imported != daValues || rec.Rejected != rec.Values-daValues || len(rec.Conflicts) != rec.Rejected {
			t.Errorf("stored %d Dahuk and %d Muthanna values; record %+v", daValues, muValues, rec)
		}
		if got := counterValue(t, promReg, "greenpulse_collector_dhis2_pushes_total", "conflicts"); got != 1 {
			t.Errorf("pushes_total{result=conflicts} = %v, want 1", got)
		}
	})

	t.Run("a locked period refuses every value without failing the push", func(t *testing.T) {
		srv, p, _ := w.pushInto(t, dhis2test.Options{Token: token}, token)
		srv.LockPeriod("202602")
		rec, err := p.Push(ctx, w.month, "test", false)
		if err != nil || rec.Rejected != rec.Values || rec.Imported != 0 || len(srv.DataValues()) != 0 {
			t.Errorf("push into a locked period: %v, %+v, %d stored", err, rec, len(srv.DataValues()))
		}
	})

	t.Run("5xx answers are retried and the push completes", func(t *testing.T) {
		srv, p, _ := w.pushInto(t, dhis2test.Options{Token: token}, token)
		srv.FailNext(2, http.StatusServiceUnavailable)
		rec, err := p.Push(ctx, w.month, "test", false)
		if err != nil || !rec.OK() || rec.Imported != rec.Values || len(srv.DataValues()) != rec.Values {
			t.Errorf("push after two 503s: %v, %+v, %d stored", err, rec, len(srv.DataValues()))
		}
		failed := 0
		for _, r := range srv.Requests() {
			if r.Path == "/api/dataValueSets" && r.Status == http.StatusServiceUnavailable {
				failed++
			}
		}
		if failed != 2 {
			t.Errorf("%d answers 503, want the 2 asked for", failed)
		}
	})

	t.Run("5xx beyond the retries stops the push and says so", func(t *testing.T) {
		srv, p, _ := w.pushInto(t, dhis2test.Options{Token: token}, token)
		srv.FailNext(100, http.StatusInternalServerError)
		rec, err := p.Push(ctx, w.month, "test", false)
		if err == nil || !strings.Contains(rec.Error, "HTTP 500") || rec.Sent != 0 {
			t.Errorf("push into a failing server: %v, %+v", err, rec)
		}
	})

	t.Run("a DHIS2 before 2.38 answers with the bare summary", func(t *testing.T) {
		srv, p, _ := w.pushInto(t, dhis2test.Options{Token: token, Version: "2.36.11"}, token)
		rec, err := p.Push(ctx, w.month, "test", false)
		if err != nil || !rec.OK() || rec.Imported != rec.Values || len(srv.DataValues()) != rec.Values {
			t.Errorf("push into 2.36: %v, %+v", err, rec)
		}
		srv.RestrictUserTo(govUID("IQ-DA"))
		w.unchangedButRefused(t, p)
	})

	t.Run("a wrong token says so and is never retried", func(t *testing.T) {
		srv, p, _ := w.pushInto(t, dhis2test.Options{Token: token}, "d2pat_wrong")
		rec, err := p.Push(ctx, w.month, "test", false)
		if !errors.Is(err, dhis2api.ErrUnauthorized) || !strings.Contains(rec.Error, "token") || strings.Contains(rec.Error, "d2pat_wrong") {
			t.Errorf("push with a wrong token: %v, record error %q", err, rec.Error)
		}
		n := 0
		for _, r := range srv.Requests() {
			if r.Path == "/api/dataValueSets" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d requests with the wrong token, want 1 (a 401 is not retried)", n)
		}
	})
}

// unchangedButRefused pushes again into a pre-2.38 double that now refuses
// Muthanna: its conflicts carry no indexes, so they are named by org unit.
func (w *dhis2World) unchangedButRefused(t *testing.T, p *dhis2.Pusher) {
	t.Helper()
	rec, err := p.Push(context.Background(), w.month, "test", false)
	if err != nil {
		t.Fatalf("second push into 2.36: %v", err)
	}
	if len(rec.Conflicts) == 0 || rec.Rejected == 0 || rec.Imported != 0 {
		t.Fatalf("second push into 2.36 restricted to Dahuk: %+v", rec)
	}
	for _, c := range rec.Conflicts {
		if !strings.HasPrefix(c.Facility, "MU-") || c.Values == 0 {
			t.Errorf("pre-2.38 conflict %+v: want the Muthanna facility named from its org unit", c)
		}
	}
}

// counterValue returns the value of counter name with a label of value
// label in reg.
func counterValue(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if mf.GetName() == name && l.GetValue() == label {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{%s}", name, label)
	return 0
}
