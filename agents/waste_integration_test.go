package agents_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/agents"
	"github.com/greenpulse-health/greenpulse/agents/config"
	"github.com/greenpulse-health/greenpulse/agents/wastelog"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
)

// TestWasteEntryQueuedThenSent runs the agent as `greenpulse-agent run`
// does, with a page password, while its broker is down: a waste entry
// made through the page's API is listed as queued, and once the broker is
// up and acknowledged it, as sent.
func TestWasteEntryQueuedThenSent(t *testing.T) {
	testenv.RequireIntegration(t)
	brokerPort, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	broker, err := testenv.NewMosquitto(t.TempDir(), brokerPort)
	if err != nil {
		t.Fatal(err)
	}
	// Registered first so it runs last: the agent goes offline while the
	// broker still answers.
	t.Cleanup(func() {
		if err := broker.Stop(); err != nil {
			t.Errorf("stop broker: %v", err)
		}
	})
	httpPort, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	const password = "waste-page-pw"
	cfg := config.Default()
	cfg.Facility = facility
	cfg.Log.Level = "warn"
	cfg.HTTP.Listen = fmt.Sprintf("127.0.0.1:%d", httpPort)
	cfg.HTTP.Password = password
	cfg.MQTT.Broker = broker.URL()
	cfg.MQTT.MaxReconnectInterval = time.Second
	cfg.Outbox.Dir = t.TempDir()
	cfg.Sources.Simulate.Enabled = false
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		log := slog.New(slog.NewTextHandler(teststack.TestWriter{T: t}, &slog.HandlerOptions{Level: slog.LevelError}))
		done <- agents.Serve(ctx, cfg, "test", log)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("agent: %v", err)
		}
	})

	client := &http.Client{Timeout: 5 * time.Second}
	call := func(method, path, body string) (*http.Response, error) {
		req, err := http.NewRequest(method, "http://"+cfg.HTTP.Listen+path, strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth("staff", password)
		return client.Do(req)
	}
	// recent returns whether the list was served, and the answer.
	recent := func() (bool, string) {
		resp, err := call(http.MethodGet, "/api/v1/waste/recent", "")
		if err != nil {
			return false, err.Error()
		}
		return resp.StatusCode == http.StatusOK, resp.Status + " " + readAll(resp)
	}
	teststack.Eventually(t, 10*time.Second, "agent's web server up", recent)

	resp, err := call(http.MethodPost, "/api/v1/waste", `{"category":"infectious","treatment":"incineration","mass_kg":7.5,"note":"ward 3"}`)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(resp); resp.StatusCode != http.StatusCreated {
		t.Fatalf("entry: %s %s", resp.Status, body)
	}
	if _, got := recent(); !strings.Contains(got, `"note":"ward 3","id":"`) || !strings.Contains(got, `"state":"`+string(wastelog.Queued)+`"`) {
		t.Fatalf("recent while the broker is down: %s", got)
	}

	if err := broker.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	teststack.Eventually(t, 30*time.Second, "entry sent", func() (bool, string) {
		_, got := recent()
		return strings.Contains(got, `"state":"`+string(wastelog.Sent)+`"`), got
	})
}

// readAll reads and closes the body of resp.
func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Sprintf("%s (reading the body: %v)", b, err)
	}
	return string(b)
}
