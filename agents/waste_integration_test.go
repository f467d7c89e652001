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
	const password = "waste-page-pw"
	cfg := wasteAgentConfig(t, broker.URL(), password)
	cfg.MQTT.MaxReconnectInterval = time.Second
	serveAgent(t, cfg)

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

// wasteAgentConfig is an agent of the test facility that takes waste
// entries on a free loopback port behind password, and simulates nothing.
func wasteAgentConfig(t *testing.T, brokerURL, password string) config.Config {
	t.Helper()
	httpPort, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Facility = facility
	cfg.Log.Level = "warn"
	cfg.HTTP.Listen = fmt.Sprintf("127.0.0.1:%d", httpPort)
	cfg.HTTP.Password = password
	cfg.MQTT.Broker = brokerURL
	cfg.Outbox.Dir = t.TempDir()
	cfg.Sources.Simulate.Enabled = false
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// serveAgent runs the agent as `greenpulse-agent run` does until the test
// ends, and fails the test if it returns an error.
func serveAgent(t *testing.T, cfg config.Config) {
	t.Helper()
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
