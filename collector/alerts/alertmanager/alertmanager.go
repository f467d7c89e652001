// Package alertmanager sends GreenPulse's alerts to Prometheus
// Alertmanager through its v2 API, so that a ministry routes them to the
// email, chat or SMS gateway it already runs. It is only the way out: the
// facility alert rules (package alerts, wired in the collector) feed it.
//
//	alerts.Evaluator ─► Notifier.Firing / Resolved ─► Notifier.Run ─► Client.Send ─► POST <url>/api/v2/alerts (every URL)
//
// Client.Send posts a batch to every configured URL, so each instance of
// an Alertmanager HA pair gets every alert (they de-duplicate
// notifications between themselves). An answer of 4xx is the alert's
// fault and is not retried; 5xx and network errors are retried twice with
// backoff. Errors name the URL with any password redacted.
//
// Notifier keeps the active alerts, as Prometheus does: it sends a new
// alert at once and re-sends every active one every ResendEvery with
// EndsAt four resend periods ahead, so that Alertmanager keeps it active
// while GreenPulse runs and resolves it by itself if GreenPulse dies. A
// resolved alert is sent with EndsAt at its end, and again on the next
// re-sends until one reached every URL (at most four periods: by then
// Alertmanager has resolved it anyway).
//
// Metrics:
//
//	greenpulse_collector_alerts_notifications_total{destination="alertmanager",result="ok|error"}
//	    batches posted to one URL, after retries
//	greenpulse_collector_alerts_notified_alerts_total{destination="alertmanager"}
//	    alerts in batches a URL accepted
//	greenpulse_collector_alerts_last_notification_success_timestamp_seconds{destination="alertmanager"}
//	    when a batch was last accepted (Unix time; 0: never since start)
//	greenpulse_collector_alerts_notifier_active
//	    alerts the notifier holds as firing
//	greenpulse_collector_alerts_notifier_resolved_pending
//	    resolved alerts not yet delivered to every URL
package alertmanager

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Alert is an alert as Alertmanager's v2 API takes it (its postableAlert).
// Labels identify it; a zero StartsAt is taken by Alertmanager as now, a
// zero EndsAt as now plus its resolve_timeout.
type Alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt,omitzero"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Config is where alerts go and how often they are re-sent.
type Config struct {
	// URLs are Alertmanagers' base URLs (http://am:9093, or with the
	// path prefix of --web.route-prefix); each gets every alert. A URL
	// may carry basic-auth credentials.
	URLs []string
	// Timeout bounds one POST (default 10 s).
	Timeout time.Duration
	// ResendEvery is how often the Notifier re-sends active alerts
	// (default 1 min, Prometheus's resend delay).
	ResendEvery time.Duration
}

// Defaults of Config.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultResendEvery = time.Minute
)

// Validate checks the config without any network I/O.
func (c Config) Validate() error {
	if len(c.URLs) == 0 {
		return errors.New("alertmanager: no urls")
	}
	seen := map[string]bool{}
	for _, raw := range c.URLs {
		u, err := url.Parse(raw)
		if err != nil {
			// url.Parse's error repeats the URL, password included.
			return errors.New("alertmanager url: not a URL")
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return fmt.Errorf("alertmanager url %q: scheme must be http or https", u.Redacted())
		}
		if u.Host == "" {
			return fmt.Errorf("alertmanager url %q: no host", u.Redacted())
		}
		if u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("alertmanager url %q: a base URL has no query or fragment", u.Redacted())
		}
		if seen[u.String()] {
			return fmt.Errorf("alertmanager url %q: listed twice", u.Redacted())
		}
		seen[u.String()] = true
	}
	if c.Timeout < 0 {
		return fmt.Errorf("alertmanager timeout %s: must not be negative", c.Timeout)
	}
	if c.ResendEvery < 0 {
		return fmt.Errorf("alertmanager resend_every %s: must not be negative", c.ResendEvery)
	}
	return nil
}

// Client posts alerts to every configured Alertmanager. It is safe for
// concurrent use.
type Client struct {
	targets     []target
	http        *http.Client
	resendEvery time.Duration
	metrics     *Metrics
	log         *slog.Logger

	attempts int           // per URL and batch
	backoff  time.Duration // before the first retry, doubled after
}

type target struct {
	endpoint string // <base>/api/v2/alerts, credentials included
	name     string // the same, password redacted: for errors and logs
}

// New validates cfg and builds a client. A nil metrics records nothing; a
// nil log discards.
func New(cfg Config, metrics *Metrics, log *slog.Logger) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.ResendEvery == 0 {
		cfg.ResendEvery = DefaultResendEvery
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		http:        &http.Client{Timeout: cfg.Timeout},
		resendEvery: cfg.ResendEvery,
		metrics:     metrics,
		log:         log,
		attempts:    3,
		backoff:     250 * time.Millisecond,
	}
	for _, raw := range cfg.URLs {
		u, _ := url.Parse(raw) // Validate parsed it
		u = u.JoinPath("api", "v2", "alerts")
		c.targets = append(c.targets, target{endpoint: u.String(), name: u.Redacted()})
	}
	return c, nil
}

// Send posts alerts to every URL at once and waits for all. Its error
// joins one error per URL that did not accept them, each naming the URL
// and the last status and body (clipped) or network error; the URLs that
// accepted them have them regardless.
func (c *Client) Send(ctx context.Context, alerts []Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	body, err := json.Marshal(alerts)
	if err != nil {
		return fmt.Errorf("encode %d alerts: %w", len(alerts), err)
	}
	errs := make([]error, len(c.targets))
	var wg sync.WaitGroup
	for i, t := range c.targets {
		wg.Go(func() {
			errs[i] = c.post(ctx, t, body)
			c.metrics.sent(len(alerts), errs[i])
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// post sends body to one URL, retrying 5xx and network errors.
func (c *Client) post(ctx context.Context, t target, body []byte) error {
	wait := c.backoff
	var last error
	attempt := 1
	for ; ; attempt++ {
		retry, err := c.postOnce(ctx, t, body)
		if err == nil {
			return nil
		}
		last = err
		if !retry || attempt == c.attempts {
			break
		}
		c.log.Debug("alertmanager: retrying", "url", t.name, "attempt", attempt, "err", err)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("post alerts to %s: %w (then %w)", t.name, last, ctx.Err())
		case <-timer.C:
		}
		wait *= 2
	}
	if attempt > 1 {
		return fmt.Errorf("post alerts to %s: after %d attempts: %w", t.name, attempt, last)
	}
	return fmt.Errorf("post alerts to %s: %w", t.name, last)
}

// postOnce makes one POST; retry says whether another attempt may help.
func (c *Client) postOnce(ctx context.Context, t target, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.endpoint, bytes.NewReader(body))
	if err != nil {
		return false, errors.New("build request") // its error would show the URL
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "greenpulse-collector")
	resp, err := c.http.Do(req)
	if err != nil {
		// net/http strips the password from the URL it puts in its
		// errors, but the URL is named by the caller already.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return ctx.Err() == nil, err
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode/100 == 2 {
		return false, nil
	}
	// The answer other than 2xx: its status line and the start of its body.
	return resp.StatusCode >= 500, fmt.Errorf("%s: %s", resp.Status, clip(string(snippet), 300))
}

// clip shortens s to at most n bytes on a rune boundary, on one line.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
