// Package webhook posts GreenPulse's facility alerts one by one as JSON to
// a plain HTTP endpoint, for a ministry that runs no Alertmanager: a chat
// bot, an SMS gateway's HTTP API, a script. It is only the way out: the
// facility alert rules (package alerts, wired in the collector) feed it.
//
//	alerts.Evaluator ─► Notifier.Firing / Resolved ─► queue (bounded) ─► Notifier.Run ─► POST <url>
//
// An alert is posted once when it fires and once when it clears, not at
// each change while it is active (after a restart, active alerts are
// posted once more). Firing and Resolved are called on the ingest path
// and never wait for the network: they put the alert on a queue of QueueSize events, which
// drops its oldest event (counted) when full. Run posts the events one at
// a time in the order they came, so the events of one alert arrive in
// order. Each is one POST with Content-Type application/json and
// User-Agent greenpulse-collector, and with "Authorization: Bearer <token>"
// when the environment variable GREENPULSE_ALERTS_WEBHOOK_TOKEN is set:
//
//	{"version":"1","status":"firing","alert":{…},"sent_at":"2026-12-02T13:52:42Z"}
//
// where status is firing or resolved, alert is the alert as GET
// /api/v1/alerts shows it, and sent_at is when it was first posted (its
// retries are the same bytes, so a receiver may de-duplicate on them).
// An answer of 2xx delivers it. Network errors, 5xx, 408 and 429 (a
// gateway's rate limit) are retried with backoff, up to five tries in all
// (waiting 1 s, 2 s, 4 s, 8 s); any other answer, 4xx or a redirect (not followed, so the token never goes
// elsewhere), is the event's fault and is logged with its status and the
// start of its body. An event that was not delivered is dropped.
//
// The URL carries no credentials: the token comes from the environment,
// and logs and errors name the URL by scheme and host only, since chat
// bots' URLs carry a secret in their path or query.
//
// Metrics:
//
//	greenpulse_collector_alerts_notifications_total{destination="webhook",result="ok|error"}
//	    alerts posted, after retries (the Alertmanager client's metric too)
//	greenpulse_collector_alerts_webhook_pending
//	    events waiting in the queue
//	greenpulse_collector_alerts_webhook_dropped_total
//	    events dropped from a full queue, oldest first
package webhook

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Config is where alerts are posted.
type Config struct {
	// URL is the endpoint each alert is posted to, http or https, with
	// any path and query but without user or password.
	URL string `yaml:"url"`
	// Timeout bounds one POST (default 10 s).
	Timeout time.Duration `yaml:"timeout"`
}

// Defaults and fixed values of the webhook.
const (
	DefaultTimeout = 10 * time.Second
	// TokenEnv names the environment variable with the bearer token; the
	// token is not configured in the file, so that it is never in it.
	TokenEnv = "GREENPULSE_ALERTS_WEBHOOK_TOKEN"
	// QueueSize is how many events wait for Run before the oldest is
	// dropped.
	QueueSize = 1000
)

// Validate checks the config without any network I/O. Its errors start
// with "webhook url" or "webhook timeout" and never show the URL's path,
// query or credentials.
func (c Config) Validate() error {
	if c.URL == "" {
		return errors.New("webhook url: empty")
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		// url.Parse's error repeats the URL, password included.
		return errors.New("webhook url: not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("webhook url %q: scheme must be http or https", site(u))
	}
	if u.Host == "" {
		return errors.New("webhook url: no host")
	}
	if u.User != nil {
		return fmt.Errorf("webhook url %q: must not carry a user or password; set %s for a bearer token",
			site(u), TokenEnv)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("webhook timeout %s: must not be negative", c.Timeout)
	}
	return nil
}

// site names u in errors and logs: its scheme and host only.
func site(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host}).String()
}
