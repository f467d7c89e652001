package alertmanager

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/greenpulse-health/greenpulse/internal/alertmanagertest"
)

func burning(facility string) Alert {
	return Alert{
		Labels: map[string]string{
			"alertname": "OpenBurning", "rule": "open_burning", "severity": "critical",
			"facility": facility, "district": "karbala-centre", "governorate": "karbala",
		},
		Annotations: map[string]string{
			"summary":    "Open burning of waste reported",
			"summary_ar": "تم الإبلاغ عن حرق مكشوف للنفايات",
		},
		GeneratorURL: "http://collector.example/alerts?facility=" + facility,
	}
}

func newClient(t *testing.T, cfg Config) (*Client, *Metrics) {
	t.Helper()
	m := NewMetrics(prometheus.NewRegistry())
	c, err := New(cfg, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, m
}

// runNotifier runs n until the test ends or stop is called.
func runNotifier(t *testing.T, n *Notifier) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Notifier.Run() = %v", err)
		}
	}
	t.Cleanup(func() {
		if ctx.Err() == nil {
			stop()
		}
	})
	return stop
}

// TestSendFiring: a firing alert is listed active and notified as firing,
// labels, annotations (Arabic included) and generator URL intact.
func TestSendFiring(t *testing.T) {
	am := alertmanagertest.Start(t)
	c, m := newClient(t, Config{URLs: []string{am.URL()}})
	a := burning("kr-001")
	if err := c.Send(context.Background(), []Alert{a}); err != nil {
		t.Fatal(err)
	}
	listed := am.WaitAlerts(t, 5*time.Second, func(as []alertmanagertest.Alert) bool {
		_, ok := alertmanagertest.Find(as, a.Labels)
		return ok
	})
	got, _ := alertmanagertest.Find(listed, a.Labels)
	if got.Status.State != "active" || got.Annotations["summary_ar"] != a.Annotations["summary_ar"] || got.GeneratorURL != a.GeneratorURL {
		t.Errorf("listed %+v", got)
	}
	_, notified := am.WaitNotification(t, 10*time.Second, alertmanagertest.Labeled("firing", a.Labels))
	if notified.Annotations["summary"] != a.Annotations["summary"] || notified.GeneratorURL != a.GeneratorURL {
		t.Errorf("notified %+v", notified)
	}
	if v := testutil.ToFloat64(m.notifications.WithLabelValues("ok")); v != 1 {
		t.Errorf("notifications ok = %v, want 1", v)
	}
}

// TestNotifierResolve: an alert the notifier fired and then resolved is
// notified resolved and no longer listed.
func TestNotifierResolve(t *testing.T) {
	am := alertmanagertest.Start(t)
	c, m := newClient(t, Config{URLs: []string{am.URL()}, ResendEvery: time.Minute})
	n := NewNotifier(c)
	runNotifier(t, n)
	a := burning("kr-002")
	n.Firing(a)
	am.WaitNotification(t, 10*time.Second, alertmanagertest.Labeled("firing", a.Labels))
	if v := testutil.ToFloat64(m.active); v != 1 {
		t.Errorf("notifier active = %v, want 1", v)
	}
	end := time.Now()
	n.Resolved(a.Labels, end)
	_, resolved := am.WaitNotification(t, 10*time.Second, alertmanagertest.Labeled("resolved", a.Labels))
	if resolved.EndsAt.Sub(end).Abs() > time.Millisecond {
		t.Errorf("resolved endsAt = %s, want %s", resolved.EndsAt, end)
	}
	am.WaitAlerts(t, 5*time.Second, func(as []alertmanagertest.Alert) bool {
		_, ok := alertmanagertest.Find(as, a.Labels)
		return !ok
	})
}

// TestNotifierResendKeepsActive: re-sends keep an alert active past the
// EndsAt of its first send; when the notifier stops (the collector died),
// Alertmanager resolves it by itself.
func TestNotifierResendKeepsActive(t *testing.T) {
	am := alertmanagertest.Start(t)
	const every = 300 * time.Millisecond
	c, _ := newClient(t, Config{URLs: []string{am.URL()}, ResendEvery: every})
	n := NewNotifier(c)
	stop := runNotifier(t, n)
	a := burning("kr-003")
	n.Firing(a)
	first := am.WaitAlerts(t, 5*time.Second, func(as []alertmanagertest.Alert) bool {
		_, ok := alertmanagertest.Find(as, a.Labels)
		return ok
	})
	firstEnd := mustFind(t, first, a.Labels).EndsAt
	if d := time.Until(firstEnd); d <= 0 || d > 4*every {
		t.Fatalf("first EndsAt %s is %s from now, want within 4×%s", firstEnd, d, every)
	}
	// Still listed, with a later EndsAt, once the first has passed.
	am.WaitAlerts(t, 10*time.Second, func(as []alertmanagertest.Alert) bool {
		got, ok := alertmanagertest.Find(as, a.Labels)
		return ok && time.Now().After(firstEnd.Add(every)) && got.EndsAt.After(firstEnd)
	})
	if len(am.Notifications()) != 1 {
		t.Errorf("notifications = %+v, want the one firing", am.Notifications())
	}
	stop()
	am.WaitNotification(t, 4*every+10*time.Second, alertmanagertest.Labeled("resolved", a.Labels))
}

// TestSendHAPairOneDown: an unreachable second URL does not stop delivery
// to the first; the error names it, password redacted, and it is counted.
func TestSendHAPairOneDown(t *testing.T) {
	am := alertmanagertest.Start(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	ln.Close()
	c, m := newClient(t, Config{URLs: []string{am.URL(), "http://ops:s3cret@" + down}})
	a := burning("kr-004")
	err = c.Send(context.Background(), []Alert{a})
	if err == nil {
		t.Fatal("Send() with one URL down = nil")
	}
	msg := err.Error()
	if !strings.Contains(msg, "http://ops:xxxxx@"+down+"/api/v2/alerts") || strings.Contains(msg, "s3cret") || strings.Contains(msg, am.URL()) {
		t.Errorf("Send() = %v, want only the down URL named, password redacted", err)
	}
	am.WaitAlerts(t, 5*time.Second, func(as []alertmanagertest.Alert) bool {
		_, ok := alertmanagertest.Find(as, a.Labels)
		return ok
	})
	am.WaitNotification(t, 10*time.Second, alertmanagertest.Labeled("firing", a.Labels))
	for result, want := range map[string]float64{"ok": 1, "error": 1} {
		if v := testutil.ToFloat64(m.notifications.WithLabelValues(result)); v != want {
			t.Errorf("notifications %s = %v, want %v", result, v, want)
		}
	}
}

// TestSendRejected: alerts Alertmanager refuses (400) are reported with
// its reason and not retried.
func TestSendRejected(t *testing.T) {
	am := alertmanagertest.Start(t)
	target, err := url.Parse(am.URL())
	if err != nil {
		t.Fatal(err)
	}
	var posts atomic.Int32
	proxy := httputil.NewSingleHostReverseProxy(target)
	counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			posts.Add(1)
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(counting.Close)
	c, _ := newClient(t, Config{URLs: []string{counting.URL}})
	now := time.Now()
	tests := []struct {
		name  string
		alert Alert
		want  string
	}{
		{"empty labels", Alert{Labels: map[string]string{}}, "at least one label pair required"},
		{"ends before it starts", Alert{Labels: map[string]string{"alertname": "x"}, StartsAt: now, EndsAt: now.Add(-time.Hour)},
			"start time must be before end time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := posts.Load()
			err := c.Send(context.Background(), []Alert{tt.alert})
			if err == nil || !strings.Contains(err.Error(), "400 Bad Request") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Send() = %v, want 400 with %q", err, tt.want)
			}
			if got := posts.Load() - before; got != 1 {
				t.Errorf("POSTs = %d, want 1 (a 4xx is not retried)", got)
			}
		})
	}
}

func mustFind(t *testing.T, as []alertmanagertest.Alert, labels map[string]string) alertmanagertest.Alert {
	t.Helper()
	a, ok := alertmanagertest.Find(as, labels)
	if !ok {
		t.Fatalf("alert %v not listed", labels)
	}
	return a
}
