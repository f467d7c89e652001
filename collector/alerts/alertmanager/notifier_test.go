package alertmanager

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestNotifierSendsChanges checks what the notifier sends between
// re-sends, against a fake Alertmanager: new and changed alerts and
// resolutions, each once, and nothing for an unchanged Firing.
func TestNotifierSendsChanges(t *testing.T) {
	batches := make(chan []Alert, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b []Alert
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			t.Errorf("decode batch: %v", err)
		}
		batches <- b
	}))
	defer srv.Close()
	c, err := New(Config{URLs: []string{srv.URL}, ResendEvery: time.Hour}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := NewNotifier(c)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run() = %v", err)
		}
	}()
	next := func(t *testing.T) []Alert {
		t.Helper()
		select {
		case b := <-batches:
			return b
		case <-time.After(5 * time.Second):
			t.Fatal("no batch within 5s")
			return nil
		}
	}

	labels := map[string]string{"alertname": "OpenBurning", "facility": "f1"}
	start := time.Now().Add(-time.Minute)
	n.Firing(Alert{Labels: labels, Annotations: map[string]string{"summary": "one"}, StartsAt: start})
	b := next(t)
	if len(b) != 1 || b[0].Annotations["summary"] != "one" || !b[0].StartsAt.Equal(start) {
		t.Fatalf("first batch = %+v", b)
	}
	if ahead := time.Until(b[0].EndsAt); ahead < 3*time.Hour || ahead > 4*time.Hour {
		t.Errorf("EndsAt is %s ahead, want 4×ResendEvery", ahead)
	}

	// Unchanged: nothing; then changed: sent, StartsAt kept.
	n.Firing(Alert{Labels: labels, Annotations: map[string]string{"summary": "one"}, StartsAt: start})
	n.Firing(Alert{Labels: labels, Annotations: map[string]string{"summary": "two"}})
	b = next(t)
	if len(b) != 1 || b[0].Annotations["summary"] != "two" || !b[0].StartsAt.Equal(start) {
		t.Fatalf("batch after a change = %+v, want only summary two, StartsAt kept", b)
	}

	end := time.Now()
	n.Resolved(labels, end)
	b = next(t)
	if len(b) != 1 || !b[0].EndsAt.Equal(end) || b[0].Annotations["summary"] != "two" {
		t.Fatalf("resolution = %+v, want EndsAt %s with its annotations", b, end)
	}

	// Not known (e.g. from before a restart): resolved all the same.
	other := map[string]string{"alertname": "AgentSilent", "facility": "f2"}
	n.Resolved(other, end)
	b = next(t)
	if len(b) != 1 || b[0].Labels["alertname"] != "AgentSilent" || !b[0].EndsAt.Equal(end) || b[0].StartsAt.After(end) {
		t.Fatalf("resolution of an unknown alert = %+v", b)
	}
}
